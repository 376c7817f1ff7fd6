//! The file routes of protocol v1, streamed both ways: an upload goes to disk chunk by chunk as it
//! arrives and a read is sent chunk by chunk from the file, so the server's memory stays flat
//! whatever the file's size (no limit on file bodies; the request-body limit is the JSON calls').
//! `--fault-corrupt-read-rate` flips one byte of a read on its way out.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::AsyncReadExt;

use super::faults::CapacitySlot;
use super::guard::{admit, file_path, provider_error_answer, respond, ConnKill};
use super::state::AppState;
use crate::provider::payload::{ChunkBody, ChunkSender, ChunkSource, CHUNK};
use crate::provider::{InfraClass, ProviderError, ProviderResult, SandboxId};

pub async fn write_file(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let _slot = match admit(&state, &headers, &kill, "write_file").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
    let path = match file_path(&query) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match state.provider.write_from(&SandboxId(id), path, &mut Upload(body)).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => respond(provider_error_answer(&e)),
    }
}

pub async fn read_file(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let slot = match admit(&state, &headers, &kill, "read_file").await {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
    let path = match file_path(&query) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match state.provider.open_file(&SandboxId(id), path).await {
        Ok((file, len)) => {
            let flip = state.faults.corrupt_read(usize::try_from(len).unwrap_or(usize::MAX));
            let (tx, body) = ChunkBody::channel(Some(len));
            // The slot goes with the body: a capacity fault holds a read until it was sent.
            tokio::spawn(send_file(file, tx, flip.map(|at| at as u64), slot));
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::new(body),
            )
                .into_response()
        }
        Err(e) => respond(provider_error_answer(&e)),
    }
}

/// Sends the file a chunk at a time, the byte at `flip` inverted; a read error breaks the body
/// off (the client sees a truncated answer, never a shorter file).
async fn send_file(mut file: tokio::fs::File, tx: ChunkSender, flip: Option<u64>, _slot: CapacitySlot) {
    let mut offset = 0u64;
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = match file.read(&mut chunk).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        chunk.truncate(n);
        if let Some(at) = flip.filter(|at| (offset..offset + n as u64).contains(at)) {
            chunk[(at - offset) as usize] ^= 0xff;
        }
        offset += n as u64;
        if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
            return; // the client went away
        }
    }
}

/// An upload's body as the chunks the provider writes.
struct Upload(Body);

#[async_trait]
impl ChunkSource for Upload {
    async fn next_chunk(&mut self) -> ProviderResult<Option<Bytes>> {
        loop {
            match self.0.frame().await {
                None => return Ok(None),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
                Some(Err(e)) => {
                    return Err(ProviderError::new(
                        InfraClass::NetworkError,
                        format!("write_file: the upload broke off: {e}"),
                    ))
                }
            }
        }
    }
}
