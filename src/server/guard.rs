//! What every request passes before a handler runs (bearer auth, then its injected fault), and the
//! protocol's answer shapes: JSON errors with a code, replayable answers for idempotency keys.
// Early returns carry the finished `Response` (as axum handlers do); boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::Notify;

use super::faults::{CapacitySlot, Fault};
use super::routes::HANG_LIMIT;
use super::state::{Answer, AppState};
use crate::provider::http::wire::{ErrorBody, ErrorDetail, IDEMPOTENCY_KEY};
use crate::provider::ProviderError;
use crate::verify::InfraClass;

/// Dropping the connection a request came on: set by the accept loop, used by the reset fault.
#[derive(Clone)]
pub struct ConnKill(pub Arc<Notify>);

/// Ids the server hands out and accepts: no path separators, nothing to walk a directory with.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let (status, ct, body) = error_answer(status, code, message);
    (status, [(header::CONTENT_TYPE, ct)], body).into_response()
}

pub fn error_answer(status: StatusCode, code: &str, message: impl Into<String>) -> Answer {
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

pub fn json_answer<T: serde::Serialize>(status: StatusCode, value: &T) -> Answer {
    match serde_json::to_vec(value) {
        Ok(body) => (status, "application/json", Bytes::from(body)),
        Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, "provider_error", e.to_string()),
    }
}

pub fn respond((status, ct, body): Answer) -> Response {
    (status, [(header::CONTENT_TYPE, ct)], body).into_response()
}

/// The local provider's error as the protocol's status and code.
pub fn provider_error_answer(e: &ProviderError) -> Answer {
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

/// Authorization, a `--fault-capacity` slot, then the request's fault. `Ok` holds the slot the
/// handler keeps until it answered; `Err` is the answer to send instead of handling it.
pub async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    kill: &ConnKill,
    op: &'static str,
) -> Result<CapacitySlot, Response> {
    authorize(state, headers)?;
    let slot = state.faults.occupy(op).await;
    let (latency, fault) = state.faults.decide(op);
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => Ok(slot),
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

pub fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    state.clients.note(headers);
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

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs `work` once per idempotency key: a retried POST gets the first attempt's answer.
pub async fn once<F: Future<Output = Answer>>(state: &AppState, headers: &HeaderMap, op: &str, work: F) -> Response {
    match headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()) {
        Some(key) if !key.is_empty() && key.len() <= 200 => {
            let cell = state.idempotency.cell(format!("{op}:{key}"));
            respond(cell.get_or_init(|| work).await.clone())
        }
        _ => respond(work.await),
    }
}

pub fn sandbox_exists(state: &AppState, id: &str) -> bool {
    is_plain_id(id) && state.provider.root().join("sandboxes").join(id).is_dir()
}

/// A body that could not be read: too large (413, `too_large`) or broken (400, `bad_request`).
pub fn body_error(rejection: &BytesRejection) -> Response {
    let status = rejection.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "bad_request"
    };
    error(status, code, rejection.body_text())
}

pub fn file_path(query: &HashMap<String, String>) -> Result<&str, Response> {
    match query.get("path") {
        Some(p) if !p.is_empty() => Ok(p),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the query parameter `path` is required",
        )),
    }
}
