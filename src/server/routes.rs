//! The HTTP routes of protocol v1, each a thin adapter over the local provider: authorize, apply
//! the request's fault (see [`super::guard`]), call the provider, and answer with the protocol's
//! JSON shapes.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;

use super::files;
use super::guard::{
    admit, authorize, body_error, error, json_answer, once, provider_error_answer, respond, sandbox_exists, ConnKill,
};
use super::state::{AppState, Job};
use crate::provider::http::wire::{
    CheckpointState, CheckpointStatus, ExecBody, ExecResult, Health, SandboxCreated, PROTOCOL,
};
use crate::provider::{CheckpointId, ExecRequest, Provider, SandboxId};

/// Largest request body of the JSON calls; file uploads stream to disk and have no limit.
pub const MAX_REQUEST_BODY: usize = 64 << 20;
/// Longest exec timeout a client may ask for.
const MAX_EXEC_TIMEOUT_MS: u64 = 3_600_000;
/// A "never answers" fault holds the request at most this long, then drops the connection.
pub const HANG_LIMIT: Duration = Duration::from_secs(120);

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/sandboxes", post(create))
        .route("/v1/sandboxes/{id}", axum::routing::delete(destroy))
        .route("/v1/sandboxes/{id}/exec", post(exec))
        .route("/v1/sandboxes/{id}/files", get(files::read_file).put(files::write_file))
        .route("/v1/sandboxes/{id}/checkpoints", post(checkpoint))
        .route("/v1/checkpoints/{id}", get(checkpoint_status).delete(delete_checkpoint))
        .route("/v1/checkpoints/{id}/restore", post(restore))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route in protocol v1") })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .with_state(state)
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
    let _slot = match admit(&state, &headers, &kill, "create").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let _slot = match admit(&state, &headers, &kill, "exec").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(&rejection),
    };
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

async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let _slot = match admit(&state, &headers, &kill, "checkpoint").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
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
    let _slot = match admit(&state, &headers, &kill, "checkpoint_status").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
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
    let _slot = match admit(&state, &headers, &kill, "restore").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
    let cp = match state.jobs.get(&id) {
        None => return error(StatusCode::NOT_FOUND, "not_found", format!("no such checkpoint {id}")),
        Some(Job::Pending) => return error(StatusCode::CONFLICT, "not_ready", format!("checkpoint {id} is pending")),
        Some(Job::Failed(why)) => return error(StatusCode::CONFLICT, "checkpoint_failed", why),
        Some(Job::Ready(cp)) => cp,
    };
    let cp = mixed_up(&state, &id, cp);
    once(&state, &headers, "restore", async {
        match state.provider.restore(&cp).await {
            Ok(sb) => json_answer(StatusCode::CREATED, &SandboxCreated { id: sb.0 }),
            Err(e) => provider_error_answer(&e),
        }
    })
    .await
}

/// The checkpoint a restore of job `id` really restores: its own, or, when the mix-up fault picks
/// this restore, another ready one (`--fault-checkpoint-mixup-rate`).
fn mixed_up(state: &AppState, id: &str, own: CheckpointId) -> CheckpointId {
    let others = state.jobs.others_ready(id);
    match state.faults.checkpoint_mixup(others.len()) {
        Some(pick) => others.into_iter().nth(pick).unwrap_or(own),
        None => own,
    }
}

async fn destroy(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let _slot = match admit(&state, &headers, &kill, "destroy").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
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
    let _slot = match admit(&state, &headers, &kill, "delete_checkpoint").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
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
