//! Protocol v1 over a command plugin's JSON lines, one request at a time, every response line read
//! as the plugin wrote it.
//!
//! The run's client drops a line it cannot pair with a request and lets the caller time out a
//! minute later; here such a line is kept, and a response whose `id` is the request's number
//! written as a string fails its call at once, saying so: that mistake is the most common one.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;

use super::{shape, Exec, Failure, Kind, Reply, Wire};
use crate::provider::command::wire::Request;
use crate::provider::http::wire::CheckpointStatus;
use crate::provider::ExecOutput;

/// Longest response line read (a 16 MiB file is ~22 MiB of base64).
const MAX_LINE: usize = 96 << 20;
/// Lines that paired with no request, kept to explain a call that got no answer.
const MAX_STRAYS: usize = 8;
const EXEC_MARGIN: Duration = Duration::from_secs(15);

type Waiter = oneshot::Sender<Result<Value, String>>;

#[derive(Default)]
struct State {
    waiting: HashMap<u64, Waiter>,
    strays: Vec<String>,
    /// Why no more answers will come.
    ended: Option<String>,
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct PluginWire {
    program: String,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    shared: Shared,
    next_id: AtomicU64,
    child: tokio::sync::Mutex<Child>,
    call_timeout: Duration,
}

impl PluginWire {
    /// Starts the plugin; its stderr passes through, so its own diagnostics stay visible.
    pub fn start(cmd: &[String], call_timeout: Duration) -> Result<Self, String> {
        let Some((program, args)) = cmd.split_first() else {
            return Err("the plugin command names no program".into());
        };
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the plugin {program:?}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the plugin has no stdout")?;
        let shared = Shared::default();
        tokio::spawn(read_lines(stdout, shared.clone()));
        Ok(Self {
            program: program.clone(),
            stdin: tokio::sync::Mutex::new(stdin),
            shared,
            next_id: AtomicU64::new(1),
            child: tokio::sync::Mutex::new(child),
            call_timeout,
        })
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// Sends one request and reads its response's `result`, or its `error` as a [`Failure`].
    async fn call(&self, mut req: Request<'_>, timeout: Duration) -> Reply<Value> {
        let op = req.op;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        req.id = id;
        let line = req.to_line().map_err(|e| Failure::Malformed(format!("{op}: {e}")))?;
        let (tx, rx) = oneshot::channel();
        {
            let mut state = lock(&self.shared);
            if let Some(why) = &state.ended {
                return Err(Failure::NoAnswer(format!("{op}: {why}")));
            }
            state.waiting.insert(id, tx);
        }
        if let Err(e) = self.write(&line).await {
            lock(&self.shared).waiting.remove(&id);
            return Err(Failure::NoAnswer(format!("{op}: cannot write to the plugin: {e}")));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(response))) => interpret(op, response),
            Ok(Ok(Err(unpairable))) => Err(Failure::Malformed(format!("{op}: {unpairable}"))),
            Ok(Err(_)) => {
                let why = lock(&self.shared).ended.clone().unwrap_or_default();
                Err(Failure::NoAnswer(format!("{op}: {why}")))
            }
            Err(_) => {
                let mut state = lock(&self.shared);
                state.waiting.remove(&id);
                let strays = match state.strays.last() {
                    Some(line) => format!("; the last line that paired with no request: {line}"),
                    None => String::new(),
                };
                Err(Failure::NoAnswer(format!(
                    "{op}: no response with `id` {id} within {} s{strays}",
                    timeout.as_secs()
                )))
            }
        }
    }

    async fn write(&self, line: &[u8]) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().await;
        match stdin.as_mut() {
            Some(pipe) => {
                pipe.write_all(line).await?;
                pipe.flush().await
            }
            None => Err(std::io::Error::other("its stdin is closed")),
        }
    }
}

/// A response line: `ok` true with a `result`, or false with an `error` naming its class.
fn interpret(op: &str, response: Value) -> Reply<Value> {
    let shown = super::short(&response.to_string(), 120);
    match response.get("ok") {
        Some(Value::Bool(true)) => response
            .get("result")
            .cloned()
            .ok_or_else(|| Failure::Malformed(format!("{op} answered ok without `result`: {shown}"))),
        Some(Value::Bool(false)) => {
            let Some(error) = response.get("error").and_then(Value::as_object) else {
                return Err(Failure::Malformed(format!(
                    "{op} answered ok=false without an `error` object: {shown}"
                )));
            };
            Err(Failure::Answer {
                status: error
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok()),
                code: error.get("class").and_then(Value::as_str).map(str::to_string),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        _ => Err(Failure::Malformed(format!(
            "{op} answered without a boolean `ok`: {shown}"
        ))),
    }
}

/// Routes response lines to their callers until the plugin's stdout closes.
async fn read_lines(stdout: ChildStdout, shared: Shared) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = Vec::new();
    let why = loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) => break "the plugin closed its stdout (it exited)".to_string(),
            Err(e) => break format!("the plugin wrote unreadable output ({e})"),
            Ok(_) if line.len() > MAX_LINE => break format!("the plugin wrote a line longer than {MAX_LINE} bytes"),
            Ok(_) => route(&line, &shared),
        }
    };
    let mut state = lock(&shared);
    state.ended = Some(why);
    state.waiting.clear();
}

fn route(line: &[u8], shared: &Shared) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let shown = super::short(String::from_utf8_lossy(line).trim_end(), 120);
    let value: Option<Value> = serde_json::from_slice(line).ok();
    let id = value.as_ref().and_then(|v| v.get("id")).cloned();
    let mut state = lock(shared);
    let delivery = match (&id, value) {
        (Some(Value::Number(n)), Some(value)) => n.as_u64().map(|n| (n, Ok(value))),
        (Some(Value::String(text)), Some(_)) => text.parse::<u64>().ok().map(|n| {
            let why = format!(
                "the plugin answered with `id` {text:?}, a string; the protocol says the request's integer id \
                 ({n}), and the run's client cannot pair this answer: {shown}"
            );
            (n, Err(why))
        }),
        _ => None,
    };
    match delivery.and_then(|(n, answer)| state.waiting.remove(&n).map(|tx| (tx, answer))) {
        Some((tx, answer)) => {
            let _ = tx.send(answer);
        }
        None => {
            if state.strays.len() == MAX_STRAYS {
                state.strays.remove(0);
            }
            state.strays.push(shown);
        }
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn malformed<T>(result: Result<T, String>) -> Reply<T> {
    result.map_err(Failure::Malformed)
}

fn on_sandbox<'a>(op: &'a str, sandbox: &'a str) -> Request<'a> {
    let mut req = Request::new(op);
    req.sandbox = Some(sandbox);
    req
}

fn on_checkpoint<'a>(op: &'a str, checkpoint: &'a str) -> Request<'a> {
    let mut req = Request::new(op);
    req.checkpoint = Some(checkpoint);
    req
}

#[async_trait]
impl Wire for PluginWire {
    fn kind(&self) -> Kind {
        Kind::Command
    }

    async fn health(&self) -> Reply<Value> {
        self.call(Request::new("health"), self.call_timeout).await
    }

    async fn create(&self, _key: Option<&str>) -> Reply<String> {
        malformed(shape::created(
            "create",
            &self.call(Request::new("create"), self.call_timeout).await?,
        ))
    }

    async fn exec(&self, sandbox: &str, exec: Exec<'_>) -> Reply<ExecOutput> {
        let argv: Vec<String> = exec.argv.iter().map(|a| a.to_string()).collect();
        let mut req = on_sandbox("exec", sandbox);
        req.argv = Some(&argv);
        req.timeout_ms = Some(exec.timeout.as_millis() as u64);
        malformed(shape::exec(&self.call(req, exec.timeout + EXEC_MARGIN).await?))
    }

    async fn write_file(&self, sandbox: &str, path: &str, data: Bytes) -> Reply<()> {
        let mut req = on_sandbox("write_file", sandbox);
        req.path = Some(path);
        req.data_b64 = Some(b64().encode(&data));
        self.call(req, self.call_timeout).await.map(|_| ())
    }

    async fn read_file(&self, sandbox: &str, path: &str) -> Reply<Bytes> {
        let mut req = on_sandbox("read_file", sandbox);
        req.path = Some(path);
        let result = self.call(req, self.call_timeout).await?;
        malformed(shape::file_data(&result)).map(Bytes::from)
    }

    async fn checkpoint(&self, sandbox: &str) -> Reply<CheckpointStatus> {
        let result = self.call(on_sandbox("checkpoint", sandbox), self.call_timeout).await?;
        malformed(shape::checkpoint("checkpoint", &result))
    }

    async fn checkpoint_status(&self, checkpoint: &str) -> Reply<CheckpointStatus> {
        let result = self
            .call(on_checkpoint("checkpoint_status", checkpoint), self.call_timeout)
            .await?;
        malformed(shape::checkpoint("checkpoint_status", &result))
    }

    async fn restore(&self, checkpoint: &str) -> Reply<String> {
        let result = self
            .call(on_checkpoint("restore", checkpoint), self.call_timeout)
            .await?;
        malformed(shape::created("restore", &result))
    }

    async fn destroy(&self, sandbox: &str) -> Reply<()> {
        self.call(on_sandbox("destroy", sandbox), self.call_timeout)
            .await
            .map(|_| ())
    }

    async fn delete_checkpoint(&self, checkpoint: &str) -> Reply<()> {
        let req = on_checkpoint("delete_checkpoint", checkpoint);
        self.call(req, self.call_timeout).await.map(|_| ())
    }

    /// Closes stdin (the plugin's signal to finish), waits briefly, then kills it.
    async fn shutdown(&self) {
        drop(self.stdin.lock().await.take());
        let mut child = self.child.lock().await;
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}
