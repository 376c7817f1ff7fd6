//! The `http` provider: protocol v1 of `docs/provider-protocol.md` over one pooled client.
//!
//! Every call goes through [`transport::Transport::send`] (per-call deadline, bounded jittered
//! retries, size-limited bodies; supporting calls are retried, the measured `restore` is not) and
//! every answer is checked against the protocol: JSON parsed into the wire types, file reads only as
//! `application/octet-stream`. Anything else is a `provider_error` naming the call and the mismatch,
//! so a broken platform can never look like corrupted data. Checkpoints are polled until `ready` so
//! the returned id is always restorable. A server that stops answering for good is reported once
//! ([`liveness`]).

pub mod classify;
pub mod endpoint;
pub mod liveness;
pub mod transport;
pub mod wire;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::config::Secret;
use crate::provider::InfraClass;
use crate::provider::{
    CheckpointId, Digest, ExecOutput, ExecRequest, Payload, Provider, ProviderDeath, ProviderError, ProviderResult,
    SandboxId,
};
use transport::{new_idempotency_key, Body, Call, Transport, MAX_FILE_BODY, MAX_JSON_BODY, MAX_RETRIES};
use wire::{CheckpointState, CheckpointStatus, ExecBody, ExecResult, Health, SandboxCreated};

/// Deadline of one attempt of a call that is not an exec.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Added to an exec's own timeout: the server needs time to notice, kill and answer.
const EXEC_MARGIN: Duration = Duration::from_secs(15);
/// How long a checkpoint may stay pending before the call gives up.
const CHECKPOINT_DEADLINE: Duration = Duration::from_secs(600);
/// Calls in a row without any answer before the server is suspected gone mid-run (the console then
/// stops repeating the failure); the end-of-run health check decides.
const SUSPECT_AFTER_CALLS: u64 = 8;
/// The body of a POST with nothing to send.
const EMPTY_JSON_OBJECT: &[u8] = b"{}";
/// Deadline of the end-of-run health check.
const FINAL_HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpProvider {
    transport: Transport,
    call_timeout: Duration,
    endpoint_note: Option<String>,
}

impl HttpProvider {
    /// `endpoint` with or without the `/v1` suffix (see [`endpoint::normalize`]).
    pub fn new(endpoint: &str, token: Option<Secret>) -> ProviderResult<Self> {
        let endpoint = endpoint::normalize(endpoint);
        let transport = Transport::new(&endpoint.base, token)
            .map_err(|e| ProviderError::provider(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            transport,
            call_timeout: CALL_TIMEOUT,
            endpoint_note: endpoint.note,
        })
    }

    /// Set when the endpoint was given with the `/v1` suffix: the run says which URL it used.
    pub fn endpoint_note(&self) -> Option<&str> {
        self.endpoint_note.as_deref()
    }

    /// Deadline of each attempt of every call but exec (default [`CALL_TIMEOUT`]); chaos tests
    /// shorten it so a server that never answers costs seconds, not minutes.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Checks reachability and credentials before any work starts; a rejected token (401/403) is
    /// not retryable, so it is reported at once.
    pub async fn preflight(&self) -> ProviderResult<Health> {
        let (_, body) = self
            .transport
            .send(call("health", Method::GET, "/v1/health".into(), self.call_timeout))
            .await?;
        parse::<Health>("health", &body)
    }

    async fn json<T: DeserializeOwned>(&self, c: Call<'_>) -> ProviderResult<T> {
        let op = c.op;
        let (_, body) = self.transport.send(c).await?;
        parse(op, &body)
    }

    async fn checkpoint_answer(&self, c: Call<'_>) -> ProviderResult<CheckpointStatus> {
        let op = c.op;
        let answer: serde_json::Value = self.json(c).await?;
        CheckpointStatus::from_answer(op, &answer).map_err(ProviderError::provider)
    }

    /// The open streak of calls without an answer, as the line the report shows.
    fn death_after(&self, min_calls: u64) -> Option<ProviderDeath> {
        let streak = self.transport.liveness.streak(min_calls)?;
        Some(ProviderDeath {
            message: format!(
                "the server {} stopped answering at request {} ({})",
                self.transport.base(),
                streak.first_request,
                streak.cause
            ),
            since: streak.since,
        })
    }

    async fn poll_checkpoint(&self, mut status: CheckpointStatus) -> ProviderResult<CheckpointId> {
        let started = Instant::now();
        let mut wait = Duration::from_millis(10);
        loop {
            match status.status {
                CheckpointState::Ready => return Ok(CheckpointId(status.id)),
                CheckpointState::Failed => {
                    let deleted = self.discard_checkpoint(&status.id).await;
                    return Err(ProviderError::provider(format!(
                        "checkpoint {} failed: {}{deleted}",
                        status.id,
                        status.error.unwrap_or_else(|| "no reason given".into())
                    )));
                }
                CheckpointState::Pending if started.elapsed() > CHECKPOINT_DEADLINE => {
                    let deleted = self.discard_checkpoint(&status.id).await;
                    return Err(ProviderError::timeout(format!(
                        "checkpoint {} still pending after {} s{deleted}",
                        status.id,
                        CHECKPOINT_DEADLINE.as_secs()
                    )));
                }
                CheckpointState::Pending => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(500));
            let id = status.id.clone();
            status = self
                .checkpoint_answer(call(
                    "checkpoint_status",
                    Method::GET,
                    format!("/v1/checkpoints/{}", seg(&id)),
                    self.call_timeout,
                ))
                .await?;
            if status.id != id {
                return Err(ProviderError::provider(format!(
                    "checkpoint_status: asked for {id}, got {}",
                    status.id
                )));
            }
        }
    }
}

/// One call of `op`. A POST carries an idempotency key and, when it has nothing to send, the empty
/// JSON object: the protocol says request bodies are JSON, and a server whose framework parses
/// every POST body as JSON rejected the empty body the client used to send.
impl HttpProvider {
    /// Deletes a checkpoint the caller will never get an id of (it failed, or never became ready),
    /// so failed checkpoints do not pile up on the platform. One attempt: this is cleanup inside
    /// the `checkpoint` call, whose own outcome is already decided. Returns what to add to the
    /// error message.
    async fn discard_checkpoint(&self, id: &str) -> String {
        let mut c = call(
            "delete_checkpoint",
            Method::DELETE,
            format!("/v1/checkpoints/{}", seg(id)),
            self.call_timeout,
        );
        c.retries = 0;
        match self.transport.send(c).await {
            Ok(_) => " (deleted)".to_string(),
            Err(e) => format!(" (and deleting it failed: {e})"),
        }
    }
}

/// A call on one file of a sandbox: `/v1/sandboxes/{id}/files?path=…`.
fn file_call<'a>(op: &'static str, method: Method, sandbox: &SandboxId, path: &'a str, timeout: Duration) -> Call<'a> {
    let mut c = call(op, method, format!("/v1/sandboxes/{}/files", seg(&sandbox.0)), timeout);
    c.query = Some(("path", path));
    c
}

fn call(op: &'static str, method: Method, path: String, timeout: Duration) -> Call<'static> {
    let post = method == Method::POST;
    Call {
        op,
        not_found_ok_on_retry: method == Method::DELETE,
        idempotency_key: post.then(new_idempotency_key),
        body: post.then(|| Body::Json(EMPTY_JSON_OBJECT.to_vec())),
        method,
        path,
        query: None,
        timeout,
        max_body: MAX_JSON_BODY,
        retries: MAX_RETRIES,
        file_answer: false,
    }
}

/// Slowest transfer rate an upload's deadline allows for, on top of the call's own deadline.
const MIN_TRANSFER_BYTES_PER_S: u64 = 8 << 20;

/// The deadline of one upload attempt of `len` bytes: the call's deadline plus the time the bytes
/// take at [`MIN_TRANSFER_BYTES_PER_S`] (30 s plus 128 s for 1 GiB), so a large file is not cut off
/// by a deadline meant for a small one.
pub fn transfer_timeout(call_timeout: Duration, len: u64) -> Duration {
    call_timeout + Duration::from_secs_f64(len as f64 / MIN_TRANSFER_BYTES_PER_S as f64)
}

fn parse<T: DeserializeOwned>(op: &str, body: &[u8]) -> ProviderResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        let shown = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        ProviderError::provider(format!("{op}: malformed response ({e}): {shown:?}"))
    })
}

/// Ids go into URL paths; anything but the safe characters is percent-encoded.
pub fn seg(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn non_empty_id(op: &str, id: String) -> ProviderResult<String> {
    if id.is_empty() {
        Err(ProviderError::provider(format!("{op}: empty id in response")))
    } else {
        Ok(id)
    }
}

#[async_trait]
impl Provider for HttpProvider {
    fn name(&self) -> &'static str {
        "http"
    }

    fn environment(&self) -> Vec<(String, String)> {
        vec![("endpoint".to_string(), self.transport.base().to_string())]
    }

    async fn create(&self) -> ProviderResult<SandboxId> {
        let created: SandboxCreated = self
            .json(call("create", Method::POST, "/v1/sandboxes".into(), self.call_timeout))
            .await?;
        Ok(SandboxId(non_empty_id("create", created.id)?))
    }

    async fn exec(&self, sandbox: &SandboxId, request: &ExecRequest) -> ProviderResult<ExecOutput> {
        let body = ExecBody {
            argv: request.argv.clone(),
            timeout_ms: request.timeout.as_millis() as u64,
        };
        let mut c = call(
            "exec",
            Method::POST,
            format!("/v1/sandboxes/{}/exec", seg(&sandbox.0)),
            request.timeout + EXEC_MARGIN,
        );
        c.body = Some(Body::Json(
            serde_json::to_vec(&body).map_err(|e| ProviderError::provider(format!("exec: {e}")))?,
        ));
        let result: ExecResult = self.json(c).await?;
        result
            .into_output()
            .map_err(|e| ProviderError::provider(format!("exec: malformed response: {e}")))
    }

    async fn write_file(&self, sandbox: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        let mut c = file_call("write_file", Method::PUT, sandbox, path, self.call_timeout);
        c.body = Some(Body::Raw(data));
        self.transport.send(c).await.map(|_| ())
    }

    async fn read_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        let mut c = file_call("read_file", Method::GET, sandbox, path, self.call_timeout);
        c.max_body = MAX_FILE_BODY;
        c.file_answer = true;
        self.transport.send(c).await.map(|(_, body)| body)
    }

    /// Streamed: the body is generated as it is sent, and the attempt's deadline grows with the
    /// payload ([`transfer_timeout`]).
    async fn write_payload(&self, sandbox: &SandboxId, path: &str, payload: &Payload) -> ProviderResult<Digest> {
        let timeout = transfer_timeout(self.call_timeout, payload.len());
        let mut c = file_call("write_file", Method::PUT, sandbox, path, timeout);
        c.body = None;
        self.transport.send_payload(c, payload).await
    }

    /// Streamed: the answer is hashed as it arrives, whatever its size.
    async fn read_digest(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Digest> {
        let mut c = file_call("read_file", Method::GET, sandbox, path, self.call_timeout);
        c.file_answer = true;
        self.transport.send_digest(c).await
    }

    async fn checkpoint(&self, sandbox: &SandboxId) -> ProviderResult<CheckpointId> {
        let status = self
            .checkpoint_answer(call(
                "checkpoint",
                Method::POST,
                format!("/v1/sandboxes/{}/checkpoints", seg(&sandbox.0)),
                self.call_timeout,
            ))
            .await?;
        non_empty_id("checkpoint", status.id.clone())?;
        self.poll_checkpoint(status).await
    }

    async fn restore(&self, checkpoint: &CheckpointId) -> ProviderResult<SandboxId> {
        let mut c = call(
            "restore",
            Method::POST,
            format!("/v1/checkpoints/{}/restore", seg(&checkpoint.0)),
            self.call_timeout,
        );
        // A restore is the operation the checkpoint workload measures: a failed attempt is a fact
        // about the platform to report, not a blip to hide behind a retry.
        c.retries = 0;
        let created: SandboxCreated = self.json(c).await?;
        Ok(SandboxId(non_empty_id("restore", created.id)?))
    }

    async fn destroy(&self, sandbox: &SandboxId) -> ProviderResult<()> {
        self.transport
            .send(call(
                "destroy",
                Method::DELETE,
                format!("/v1/sandboxes/{}", seg(&sandbox.0)),
                self.call_timeout,
            ))
            .await
            .map(|_| ())
    }

    async fn delete_checkpoint(&self, checkpoint: &CheckpointId) -> ProviderResult<()> {
        self.transport
            .send(call(
                "delete_checkpoint",
                Method::DELETE,
                format!("/v1/checkpoints/{}", seg(&checkpoint.0)),
                self.call_timeout,
            ))
            .await
            .map(|_| ())
    }

    fn death(&self) -> Option<ProviderDeath> {
        self.death_after(SUSPECT_AFTER_CALLS)
    }

    /// Dead when the run ended in a streak of calls without an answer and health gets none either.
    async fn confirm_death(&self) -> Option<ProviderDeath> {
        let suspected = self.death_after(1)?;
        let mut health = call("health", Method::GET, "/v1/health".into(), FINAL_HEALTH_TIMEOUT);
        health.retries = 1;
        match self.transport.send(health).await {
            Err(e) if matches!(e.class, InfraClass::NetworkError | InfraClass::Timeout) => Some(ProviderDeath {
                message: format!("{} and was still unreachable at the end of the run", suspected.message),
                ..suspected
            }),
            _ => None,
        }
    }
}
