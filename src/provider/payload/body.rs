//! A streamed HTTP body fed through a small channel, shared by the client's uploads and the
//! reference server's file reads: at most a few chunks wait in the channel, so the producer runs
//! only as fast as the connection drains it.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Digest, Payload};

/// Chunks waiting between producer and connection.
const IN_FLIGHT_CHUNKS: usize = 2;

/// The producer's end: send `Ok(chunk)`s, an `Err` to break the body off, drop it to end the body.
pub type ChunkSender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// An [`http_body::Body`] of chunks received from a [`ChunkSender`]. With a known length it is sent
/// with `Content-Length`, so a body cut short is an error on both ends, never a shorter file.
pub struct ChunkBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    len: Option<u64>,
}

impl ChunkBody {
    pub fn channel(len: Option<u64>) -> (ChunkSender, Self) {
        let (tx, rx) = mpsc::channel(IN_FLIGHT_CHUNKS);
        (tx, Self { rx, len })
    }

    /// `payload` generated on a blocking thread (generating and hashing a chunk is CPU work) into a
    /// body. The handle answers the digest of what was sent once every chunk was taken, `None`
    /// when the body was dropped first (a failed attempt).
    pub fn generate(payload: Payload) -> (Self, JoinHandle<Option<Digest>>) {
        let (tx, body) = Self::channel(Some(payload.len()));
        let producer = tokio::task::spawn_blocking(move || {
            let mut chunks = payload.chunks();
            for chunk in chunks.by_ref() {
                tx.blocking_send(Ok(chunk)).ok()?;
            }
            Some(chunks.digest())
        });
        (body, producer)
    }
}

impl http_body::Body for ChunkBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|next| next.map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}
