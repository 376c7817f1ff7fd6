//! The `command` provider: a plugin program, started once, speaking JSON lines on stdin/stdout, so
//! any vendor SDK can be wrapped in a short script.
//!
//! Requests carry ids and many are in flight at once; one reader task routes each response line to
//! the waiting call. If the plugin exits, every in-flight call and every later call fails at once
//! as infra (`provider_error`), so the run still ends with every operation accounted for, and the
//! death itself is reported once, with the request it happened at ([`Provider::death`]).
//!
//! Calls that are safe to repeat (`health`, `write_file`, `read_file`, `checkpoint_status`,
//! `destroy`, `delete_checkpoint`) are retried as over HTTP when the plugin classifies a failure as
//! worth another attempt. `create`, `exec`, `checkpoint` and `restore` never are: the JSON-lines
//! protocol has no idempotency key, so a repeat could run a command twice or leak a sandbox.

mod responses;
pub mod wire;

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

use crate::provider::http::classify::is_retryable;
use crate::provider::http::transport::{backoff, MAX_RETRIES};
use crate::provider::http::wire::{CheckpointState, CheckpointStatus, ExecResult, SandboxCreated};
use crate::provider::retry::note_retry;
use crate::provider::{
    CheckpointId, ExecOutput, ExecRequest, Provider, ProviderDeath, ProviderError, ProviderResult, SandboxId,
};
use responses::{lock, read_responses, Pending, Plugin};
use wire::{FileData, Request};

/// Deadline of a call that is not an exec, health included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const EXEC_MARGIN: Duration = Duration::from_secs(15);
const CHECKPOINT_DEADLINE: Duration = Duration::from_secs(600);

pub struct CommandProvider {
    program: String,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    pending: Arc<Pending>,
    next_id: Arc<AtomicU64>,
    child: Arc<tokio::sync::Mutex<Child>>,
    call_timeout: Duration,
}

impl CommandProvider {
    /// Starts the plugin. Its stderr is passed through so its own diagnostics stay visible.
    pub fn start(cmd: &[String]) -> ProviderResult<Self> {
        let Some((program, args)) = cmd.split_first() else {
            return Err(ProviderError::provider("empty plugin command"));
        };
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ProviderError::provider(format!("cannot start plugin {program:?}: {e}")))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| ProviderError::provider("plugin has no stdout"))?;
        let pending: Arc<Pending> = Arc::default();
        let child = Arc::new(tokio::sync::Mutex::new(child));
        let next_id = Arc::new(AtomicU64::new(1));
        let plugin = Plugin {
            program: program.clone(),
            child: child.clone(),
            next_id: next_id.clone(),
        };
        tokio::spawn(read_responses(stdout, pending.clone(), plugin));
        Ok(Self {
            program: program.clone(),
            stdin: tokio::sync::Mutex::new(stdin),
            pending,
            next_id,
            child,
            call_timeout: CALL_TIMEOUT,
        })
    }

    /// Deadline of every call but exec (default [`CALL_TIMEOUT`]); tests shorten it so a plugin
    /// that never answers costs a second, not minutes.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Asks the plugin for `health`: proves it started and speaks the protocol before work begins.
    pub async fn preflight(&self) -> ProviderResult<()> {
        self.call_retrying::<serde_json::Value>(|| Request::new("health"))
            .await
            .map(|_| ())
    }

    async fn call<T: DeserializeOwned>(&self, mut req: Request<'_>, timeout: Duration) -> ProviderResult<T> {
        let op = req.op.to_string();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        req.id = id;
        let line = req
            .to_line()
            .map_err(|e| ProviderError::provider(format!("{op}: {e}")))?;
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = lock(&self.pending);
            if let Some(death) = &pending.dead {
                return Err(ProviderError::provider(format!("{op}: {}", death.message)));
            }
            pending.waiting.insert(id, tx);
        }
        let written = {
            let mut stdin = self.stdin.lock().await;
            match stdin.as_mut() {
                Some(pipe) => pipe.write_all(&line).await.and(pipe.flush().await),
                None => Err(std::io::Error::other("plugin stdin is closed")),
            }
        };
        if let Err(e) = written {
            lock(&self.pending).waiting.remove(&id);
            let why = lock(&self.pending).dead.clone().map(|d| d.message);
            return Err(ProviderError::provider(format!(
                "{op}: cannot write to plugin {}: {}",
                self.program,
                why.unwrap_or_else(|| e.to_string())
            )));
        }
        let response = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                let why = lock(&self.pending)
                    .dead
                    .clone()
                    .map_or_else(|| "plugin went away".into(), |d| d.message);
                return Err(ProviderError::provider(format!("{op}: {why}")));
            }
            Err(_) => {
                lock(&self.pending).waiting.remove(&id);
                return Err(ProviderError::timeout(format!(
                    "{op}: no answer from the plugin within {} ms",
                    timeout.as_millis()
                )));
            }
        };
        if !response.ok {
            return Err(match response.error {
                Some(e) => e.into_provider_error(&op),
                None => ProviderError::provider(format!("{op}: plugin answered ok=false without an error")),
            });
        }
        serde_json::from_value(response.result)
            .map_err(|e| ProviderError::provider(format!("{op}: malformed plugin result: {e}")))
    }
}

impl CommandProvider {
    fn checkpoint_answer(op: &str, answer: ProviderResult<serde_json::Value>) -> ProviderResult<CheckpointStatus> {
        CheckpointStatus::from_answer(op, &answer?).map_err(ProviderError::provider)
    }

    /// A call that is safe to repeat, retried like an HTTP call (bounded, jittered backoff, only
    /// failures worth another attempt). A `destroy` or `delete_checkpoint` that finds nothing on a
    /// retry had succeeded on an earlier attempt. A call the plugin did not answer at all within
    /// its deadline is not repeated: the plugin is stuck or still busy with it, a repeat would only
    /// queue behind it, and a hung plugin would hold the run's start for five deadlines.
    async fn call_retrying<'a, T: DeserializeOwned>(&self, request: impl Fn() -> Request<'a>) -> ProviderResult<T> {
        let deletes = matches!(request().op, "destroy" | "delete_checkpoint");
        let mut attempt = 0u32;
        loop {
            let started = Instant::now();
            let answer = self.call::<T>(request(), self.call_timeout).await;
            let unanswered = started.elapsed() >= self.call_timeout;
            match answer {
                Err(e) if attempt > 0 && e.status == Some(404) && deletes => {
                    return serde_json::from_value(serde_json::json!({}))
                        .map_err(|e| ProviderError::provider(e.to_string()))
                }
                Err(e) if attempt < MAX_RETRIES && is_retryable(&e) && !unanswered && !self.is_dead() => {
                    attempt += 1;
                    note_retry();
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(mut e) if attempt > 0 => {
                    e.message = format!("{} (after {} attempts)", e.message, attempt + 1);
                    return Err(e);
                }
                other => return other,
            }
        }
    }

    fn is_dead(&self) -> bool {
        lock(&self.pending).dead.is_some()
    }

    /// Deletes a checkpoint that failed or never became ready, so they do not pile up on the
    /// platform; returns what to add to the error message.
    async fn discard_checkpoint(&self, id: &str) -> String {
        let mut req = Request::new("delete_checkpoint");
        req.checkpoint = Some(id);
        match self.call::<serde_json::Value>(req, self.call_timeout).await {
            Ok(_) => " (deleted)".to_string(),
            Err(e) => format!(" (and deleting it failed: {e})"),
        }
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn non_empty(op: &str, id: String) -> ProviderResult<String> {
    if id.is_empty() {
        Err(ProviderError::provider(format!("{op}: empty id in plugin result")))
    } else {
        Ok(id)
    }
}

#[async_trait]
impl Provider for CommandProvider {
    fn name(&self) -> &'static str {
        "command"
    }

    fn environment(&self) -> Vec<(String, String)> {
        vec![("plugin".to_string(), self.program.clone())]
    }

    async fn create(&self) -> ProviderResult<SandboxId> {
        let created: SandboxCreated = self.call(Request::new("create"), self.call_timeout).await?;
        Ok(SandboxId(non_empty("create", created.id)?))
    }

    async fn exec(&self, sandbox: &SandboxId, request: &ExecRequest) -> ProviderResult<ExecOutput> {
        let mut req = Request::new("exec");
        req.sandbox = Some(&sandbox.0);
        req.argv = Some(&request.argv);
        req.timeout_ms = Some(request.timeout.as_millis() as u64);
        let result: ExecResult = self.call(req, request.timeout + EXEC_MARGIN).await?;
        result
            .into_output()
            .map_err(|e| ProviderError::provider(format!("exec: malformed plugin result: {e}")))
    }

    async fn write_file(&self, sandbox: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        let data_b64 = b64().encode(&data);
        self.call_retrying::<serde_json::Value>(|| {
            let mut req = Request::new("write_file");
            req.sandbox = Some(&sandbox.0);
            req.path = Some(path);
            req.data_b64 = Some(data_b64.clone());
            req
        })
        .await
        .map(|_| ())
    }

    async fn read_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        let data: FileData = self
            .call_retrying(|| {
                let mut req = Request::new("read_file");
                req.sandbox = Some(&sandbox.0);
                req.path = Some(path);
                req
            })
            .await?;
        b64()
            .decode(data.data_b64.as_bytes())
            .map(Bytes::from)
            .map_err(|e| ProviderError::provider(format!("read_file: data_b64 is not base64: {e}")))
    }

    async fn checkpoint(&self, sandbox: &SandboxId) -> ProviderResult<CheckpointId> {
        let mut req = Request::new("checkpoint");
        req.sandbox = Some(&sandbox.0);
        let mut status = Self::checkpoint_answer("checkpoint", self.call(req, self.call_timeout).await)?;
        let id = non_empty("checkpoint", status.id.clone())?;
        let started = Instant::now();
        let mut wait = Duration::from_millis(10);
        loop {
            match status.status {
                CheckpointState::Ready => return Ok(CheckpointId(id)),
                CheckpointState::Failed => {
                    let deleted = self.discard_checkpoint(&id).await;
                    return Err(ProviderError::provider(format!(
                        "checkpoint {id} failed: {}{deleted}",
                        status.error.unwrap_or_else(|| "no reason given".into())
                    )));
                }
                CheckpointState::Pending if started.elapsed() > CHECKPOINT_DEADLINE => {
                    let deleted = self.discard_checkpoint(&id).await;
                    return Err(ProviderError::timeout(format!(
                        "checkpoint {id} still pending{deleted}"
                    )));
                }
                CheckpointState::Pending => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(500));
            let answer = self
                .call_retrying(|| {
                    let mut req = Request::new("checkpoint_status");
                    req.checkpoint = Some(&id);
                    req
                })
                .await;
            status = Self::checkpoint_answer("checkpoint_status", answer)?;
        }
    }

    async fn restore(&self, checkpoint: &CheckpointId) -> ProviderResult<SandboxId> {
        let mut req = Request::new("restore");
        req.checkpoint = Some(&checkpoint.0);
        let created: SandboxCreated = self.call(req, self.call_timeout).await?;
        Ok(SandboxId(non_empty("restore", created.id)?))
    }

    async fn destroy(&self, sandbox: &SandboxId) -> ProviderResult<()> {
        self.call_retrying::<serde_json::Value>(|| {
            let mut req = Request::new("destroy");
            req.sandbox = Some(&sandbox.0);
            req
        })
        .await
        .map(|_| ())
    }

    async fn delete_checkpoint(&self, checkpoint: &CheckpointId) -> ProviderResult<()> {
        self.call_retrying::<serde_json::Value>(|| {
            let mut req = Request::new("delete_checkpoint");
            req.checkpoint = Some(&checkpoint.0);
            req
        })
        .await
        .map(|_| ())
    }

    fn death(&self) -> Option<ProviderDeath> {
        lock(&self.pending).dead.clone()
    }

    /// Closes the plugin's stdin (its signal to finish), waits briefly, then kills it.
    async fn shutdown(&self) -> ProviderResult<()> {
        drop(self.stdin.lock().await.take());
        let mut child = self.child.lock().await;
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
        Ok(())
    }
}
