//! `events.jsonl`: one line per operation or step, written as it happens, so a crash or Ctrl-C keeps
//! everything recorded up to that moment.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::verify::{InfraClass, Outcome};

/// One record. Optional fields are left out of the line when unset.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Event {
    pub ts: String,
    pub workload: &'static str,
    pub phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// The operation's own id where the workload has one (a contention write: `w3-s17`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_ms: Option<f64>,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<InfraClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where the evidence of a failed operation is, relative to the run directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Position of the operation in its workload (lifecycle sandbox, storage iteration), 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// How the operation ended in its workload's own terms (lifecycle `success`, `partial`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    /// Named step latencies in milliseconds (`create_ms`, `tti_ms`, `upload_ms`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings: Option<std::collections::BTreeMap<&'static str, f64>>,
}

pub fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

impl Event {
    pub fn new(workload: &'static str, phase: &'static str, duration: std::time::Duration) -> Self {
        Event {
            workload,
            phase,
            duration_ms: ms(duration),
            outcome: "ok",
            ..Default::default()
        }
    }

    /// Copies the outcome's kind, class and check into the event.
    pub fn with_outcome(mut self, outcome: &Outcome) -> Self {
        self.outcome = outcome.kind();
        match outcome {
            Outcome::Verified => {}
            Outcome::Corrupted {
                check,
                expected,
                actual,
            } => {
                self.check = Some(check.clone());
                self.detail
                    .get_or_insert_with(|| format!("expected {expected}, found {actual}"));
            }
            Outcome::Infra { class, status, detail } => {
                self.class = Some(*class);
                self.status = *status;
                self.detail.get_or_insert_with(|| detail.clone());
            }
        }
        self
    }
}

/// Buffered lines reach the disk at least this often, so a crash loses at most this much.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

pub struct EventLog {
    out: Mutex<(BufWriter<File>, std::time::Instant)>,
}

impl EventLog {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            out: Mutex::new((BufWriter::new(File::create(path)?), std::time::Instant::now())),
        })
    }

    /// Appends one line with the current timestamp. A failing disk must not abort measurements, so
    /// write errors are reported once on stderr and otherwise ignored.
    pub fn write(&self, event: &Event) {
        let mut event = event.clone();
        event.ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let Ok(mut line) = serde_json::to_vec(&event) else {
            return;
        };
        line.push(b'\n');
        let mut guard = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let (out, last_flush) = &mut *guard;
        let mut result = out.write_all(&line);
        if result.is_ok() && last_flush.elapsed() >= FLUSH_EVERY {
            result = out.flush();
            *last_flush = std::time::Instant::now();
        }
        if let Err(e) = result {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| eprintln!("warning: cannot write events.jsonl: {e}"));
        }
    }

    pub fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|p| p.into_inner()).0.flush();
    }
}
