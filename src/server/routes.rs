//! The HTTP routes of protocol v1, each a thin adapter over the local provider: authorize, apply
//! the request's fault, call the provider, and answer with the protocol's JSON shapes.
// Early returns carry the finished `Response` (as axum handlers do); boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use tokio::sync::Notify;

use super::faults::Fault;
use super::state::{Answer, AppState, Job};
use crate::provider::http::wire::{
    CheckpointState, CheckpointStatus, ErrorBody, ErrorDetail, ExecBody, ExecResult, Health, SandboxCreated,
    IDEMPOTENCY_KEY, PROTOCOL,
};
use crate::provider::{ExecRequest, Provider, ProviderError, SandboxId};
use crate::verify::InfraClass;

/// Largest request body (file uploads included).
pub const MAX_REQUEST_BODY: usize = 64 << 20;
/// Longest exec timeout a client may ask for.
const MAX_EXEC_TIMEOUT_MS: u64 = 3_600_000;
/// A "never answers" fault holds the request at most this long, then drops the connection.
pub const HANG_LIMIT: Duration = Duration::from_secs(120);

/// Dropping the connection a request came on: set by the accept loop, used by the reset fault.
#[derive(Clone)]
pub struct ConnKill(pub Arc<Notify>);

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/sandboxes", post(create))
        .route("/v1/sandboxes/{id}", axum::routing::delete(destroy))
        .route("/v1/sandboxes/{id}/exec", post(exec))
        .route("/v1/sandboxes/{id}/files", get(read_file).put(write_file))
        .route("/v1/sandboxes/{id}/checkpoints", post(checkpoint))
        .route("/v1/checkpoints/{id}", get(checkpoint_status).delete(delete_checkpoint))
        .route("/v1/checkpoints/{id}/restore", post(restore))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route in protocol v1") })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .with_state(state)
}

/// Ids the server hands out and accepts: no path separators, nothing to walk a directory with.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let (status, ct, body) = error_answer(status, code, message);
    (status, [(header::CONTENT_TYPE, ct)], body).into_response()
}

fn error_answer(status: StatusCode, code: &str, message: impl Into<String>) -> Answer {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.into(),
        },
    };
    (
        status,
        "application/json",
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    )
}

fn json_answer<T: serde::Serialize>(status: StatusCode, value: &T) -> Answer {
    match serde_json::to_vec(value) {
        Ok(body) => (status, "application/json", Bytes::from(body)),
        Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, "provider_error", e.to_string()),
    }
}

fn respond((status, ct, body): Answer) -> Response {
    (status, [(header::CONTENT_TYPE, ct)], body).into_response()
}

/// The local provider's error as the protocol's status and code.
fn provider_error_answer(e: &ProviderError) -> Answer {
    let msg = e.message.as_str();
    if e.class == InfraClass::Timeout {
        error_answer(StatusCode::GATEWAY_TIMEOUT, "timeout", msg)
    } else if msg.contains("escapes the sandbox") {
        error_answer(StatusCode::BAD_REQUEST, "bad_path", msg)
    } else if msg.starts_with("no such") || msg.starts_with("invalid") || msg.contains("No such file") {
        error_answer(StatusCode::NOT_FOUND, "not_found", msg)
    } else {
        error_answer(StatusCode::INTERNAL_SERVER_ERROR, "provider_error", msg)
    }
}

/// Authorization, then the request's fault. `Err` is the answer to send instead of handling it.
async fn admit(state: &AppState, headers: &HeaderMap, kill: &ConnKill, op: &'static str) -> Result<(), Response> {
    authorize(state, headers)?;
    let (latency, fault) = state.faults.decide(op);
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => Ok(()),
        Fault::Error(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            Err(error(status, "injected_fault", format!("injected fault on {op}")))
        }
        Fault::Reset => {
            kill.0.notify_one();
            std::future::pending().await
        }
        Fault::Hang => {
            tokio::time::sleep(HANG_LIMIT).await;
            kill.0.notify_one();
            std::future::pending().await
        }
    }
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = &state.token else { return Ok(()) };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token",
        ))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs `work` once per idempotency key: a retried POST gets the first attempt's answer.
async fn once<F: Future<Output = Answer>>(state: &AppState, headers: &HeaderMap, op: &str, work: F) -> Response {
    match headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()) {
        Some(key) if !key.is_empty() && key.len() <= 200 => {
            let cell = state.idempotency.cell(format!("{op}:{key}"));
            respond(cell.get_or_init(|| work).await.clone())
        }
        _ => respond(work.await),
    }
}

fn sandbox_exists(state: &AppState, id: &str) -> bool {
    is_plain_id(id) && state.provider.root().join("sandboxes").join(id).is_dir()
}

async fn health(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(resp) = authorize(&state, &headers) {
        return resp;
    }
    respond(json_answer(
        StatusCode::OK,
        &Health {
            status: "ok".into(),
            protocol: PROTOCOL.into(),
        },
    ))
}

async fn create(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "create").await {
        return resp;
    }
    once(&state, &headers, "create", async {
        match state.provider.create().await {
            Ok(id) => json_answer(StatusCode::CREATED, &SandboxCreated { id: id.0 }),
            Err(e) => provider_error_answer(&e),
        }
    })
    .await
}

async fn exec(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "exec").await {
        return resp;
    }
    let req: ExecBody = match serde_json::from_slice(&body) {
        Ok(req) => req,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", format!("exec body: {e}")),
    };
    if req.argv.is_empty() || !(1..=MAX_EXEC_TIMEOUT_MS).contains(&req.timeout_ms) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("argv must not be empty and timeout_ms must be 1..={MAX_EXEC_TIMEOUT_MS}"),
        );
    }
    if !sandbox_exists(&state, &id) {
        return error(StatusCode::NOT_FOUND, "not_found", format!("no such sandbox {id}"));
    }
    once(&state, &headers, "exec", async {
        let request = ExecRequest {
            argv: req.argv,
            timeout: Duration::from_millis(req.timeout_ms),
        };
        match state.provider.exec(&SandboxId(id), &request).await {
            Ok(out) => json_answer(StatusCode::OK, &ExecResult::from_output(&out)),
            Err(e) => provider_error_answer(&e),
        }
    })
    .await
}

fn file_path(query: &HashMap<String, String>) -> Result<&str, Response> {
    match query.get("path") {
        Some(p) if !p.is_empty() => Ok(p),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the query parameter `path` is required",
        )),
    }
}

async fn write_file(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "write_file").await {
        return resp;
    }
    let path = match file_path(&query) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match state.provider.write_file(&SandboxId(id), path, body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => respond(provider_error_answer(&e)),
    }
}

async fn read_file(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "read_file").await {
        return resp;
    }
    let path = match file_path(&query) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match state.provider.read_file(&SandboxId(id), path).await {
        Ok(data) => {
            let data = match state.faults.corrupt_read(data.len()) {
                Some(at) => {
                    let mut bytes = data.to_vec();
                    bytes[at] ^= 0xff;
                    Bytes::from(bytes)
                }
                None => data,
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::from(data),
            )
                .into_response()
        }
        Err(e) => respond(provider_error_answer(&e)),
    }
}

async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "checkpoint").await {
        return resp;
    }
    if !sandbox_exists(&state, &id) {
        return error(StatusCode::NOT_FOUND, "not_found", format!("no such sandbox {id}"));
    }
    once(&state, &headers, "checkpoint", async {
        let job = state.jobs.start();
        let (bg, job_id) = (state.clone(), job.clone());
        // The clone runs in the background; clients poll GET /v1/checkpoints/{id} until ready.
        tokio::spawn(async move {
            let outcome = match bg.provider.checkpoint(&SandboxId(id)).await {
                Ok(cp) => Job::Ready(cp),
                Err(e) => Job::Failed(e.to_string()),
            };
            bg.jobs.finish(&job_id, outcome);
        });
        json_answer(
            StatusCode::ACCEPTED,
            &CheckpointStatus {
                id: job,
                status: CheckpointState::Pending,
                error: None,
            },
        )
    })
    .await
}

async fn checkpoint_status(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "checkpoint_status").await {
        return resp;
    }
    let (status, error) = match state.jobs.get(&id) {
        None => return error(StatusCode::NOT_FOUND, "not_found", format!("no such checkpoint {id}")),
        Some(Job::Pending) => (CheckpointState::Pending, None),
        Some(Job::Ready(_)) => (CheckpointState::Ready, None),
        Some(Job::Failed(why)) => (CheckpointState::Failed, Some(why)),
    };
    respond(json_answer(StatusCode::OK, &CheckpointStatus { id, status, error }))
}

async fn restore(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "restore").await {
        return resp;
    }
    let cp = match state.jobs.get(&id) {
        None => return error(StatusCode::NOT_FOUND, "not_found", format!("no such checkpoint {id}")),
        Some(Job::Pending) => return error(StatusCode::CONFLICT, "not_ready", format!("checkpoint {id} is pending")),
        Some(Job::Failed(why)) => return error(StatusCode::CONFLICT, "checkpoint_failed", why),
        Some(Job::Ready(cp)) => cp,
    };
    once(&state, &headers, "restore", async {
        match state.provider.restore(&cp).await {
            Ok(sb) => json_answer(StatusCode::CREATED, &SandboxCreated { id: sb.0 }),
            Err(e) => provider_error_answer(&e),
        }
    })
    .await
}

async fn destroy(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "destroy").await {
        return resp;
    }
    match state.provider.destroy(&SandboxId(id)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => respond(provider_error_answer(&e)),
    }
}

async fn delete_checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = admit(&state, &headers, &kill, "delete_checkpoint").await {
        return resp;
    }
    match state.jobs.get(&id) {
        None => error(StatusCode::NOT_FOUND, "not_found", format!("no such checkpoint {id}")),
        Some(Job::Pending) => error(StatusCode::CONFLICT, "not_ready", format!("checkpoint {id} is pending")),
        Some(Job::Failed(_)) => {
            state.jobs.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        Some(Job::Ready(cp)) => match state.provider.delete_checkpoint(&cp).await {
            Ok(()) => {
                state.jobs.remove(&id);
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => respond(provider_error_answer(&e)),
        },
    }
}
