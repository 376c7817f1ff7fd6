//! The plugin's side of the pipe: one task reads response lines and hands each to the call
//! waiting for its `id`; when the plugin's stdout closes, every waiting call is woken with the one
//! line that says how the plugin died.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::sync::oneshot;

use super::wire::{self, Response};
use crate::config::COMMAND_MAX_FILE_MB;
use crate::provider::ProviderDeath;

/// Longest response line accepted (a 16 MB file read is ~22 MB of base64).
const MAX_LINE: usize = 96 << 20;

// The largest file the config lets through must fit in one line: base64 (4/3) plus the envelope.
const _: () = assert!((COMMAND_MAX_FILE_MB as usize) * (1 << 20) / 3 * 4 + (64 << 10) <= MAX_LINE);

pub type Pending = Mutex<PendingState>;

#[derive(Default)]
pub struct PendingState {
    pub waiting: HashMap<u64, oneshot::Sender<Response>>,
    /// Why the plugin can no longer answer; set once, when its stdout closes.
    pub dead: Option<ProviderDeath>,
}

pub fn lock(p: &Pending) -> std::sync::MutexGuard<'_, PendingState> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the response reader needs to say how the plugin died.
pub struct Plugin {
    pub program: String,
    pub child: Arc<tokio::sync::Mutex<Child>>,
    pub next_id: Arc<AtomicU64>,
}

/// Routes response lines to their callers until the plugin's stdout closes, then fails everyone.
pub async fn read_responses(stdout: ChildStdout, pending: Arc<Pending>, plugin: Plugin) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = Vec::new();
    let mut answered = 0u64;
    let why = loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) => break Ended::Closed,
            Err(e) => break Ended::Broken(format!("wrote unreadable output ({e})")),
            Ok(_) if line.len() > MAX_LINE => break Ended::Broken(format!("sent a line longer than {MAX_LINE} bytes")),
            Ok(_) => {}
        }
        let Ok(response) = serde_json::from_slice::<Response>(&line) else {
            // A line we cannot pair with a request: its caller times out; say why once here.
            eprintln!("warning: plugin {} {}", plugin.program, wire::unpaired(&line));
            continue;
        };
        answered += 1;
        if let Some(tx) = lock(&pending).waiting.remove(&response.id) {
            let _ = tx.send(response);
        }
    };
    let since = Instant::now();
    let sent = plugin.next_id.load(Ordering::Relaxed).saturating_sub(1);
    let status = {
        let mut child = plugin.child.lock().await;
        match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
            Ok(Ok(status)) => Some(status.to_string()),
            _ => None,
        }
    };
    let program = &plugin.program;
    let message = match (why, status) {
        (Ended::Closed, Some(status)) => {
            format!("the plugin {program} exited ({status}) at request {sent}, after answering {answered}")
        }
        (Ended::Closed, None) => format!("the plugin {program} closed its stdout at request {sent} (still running)"),
        (Ended::Broken(why), status) => format!(
            "the plugin {program} {why} at request {sent} ({})",
            status.as_deref().unwrap_or("still running")
        ),
    };
    let mut state = lock(&pending);
    state.dead = Some(ProviderDeath { message, since });
    // Dropping the senders wakes every in-flight call with the reason above.
    state.waiting.clear();
}

/// Why the reader stopped.
enum Ended {
    Closed,
    Broken(String),
}
