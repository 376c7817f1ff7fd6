//! Everything `doctor` created, so it can all be destroyed at the end, whatever failed on the way.
//!
//! The record is kept by the wire itself ([`Tracked`] wraps it): every sandbox a create or restore
//! answered and every checkpoint a checkpoint call answered is remembered until a destroy or delete
//! of it succeeds, so no check has to remember to clean up after itself.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;

use super::report::{Check, Status};
use super::wire::{Exec, Failure, Kind, Reply, Wire};
use crate::provider::http::wire::CheckpointStatus;
use crate::provider::ExecOutput;

/// How long cleanup waits for a pending checkpoint to settle before deleting it.
const SETTLE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Left {
    sandboxes: BTreeSet<String>,
    checkpoints: BTreeSet<String>,
}

pub struct Tracked {
    inner: Arc<dyn Wire>,
    left: Mutex<Left>,
}

impl Tracked {
    pub fn new(inner: Arc<dyn Wire>) -> Self {
        Self {
            inner,
            left: Mutex::default(),
        }
    }

    fn left(&self) -> std::sync::MutexGuard<'_, Left> {
        self.left.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sandbox(&self, id: &Reply<String>) {
        if let Ok(id) = id {
            self.left().sandboxes.insert(id.clone());
        }
    }

    /// Destroys every sandbox and deletes every checkpoint still alive; the `cleanup` check says
    /// what was removed and names anything that could not be.
    pub async fn clean_up(&self) -> Check {
        let (sandboxes, checkpoints) = {
            let left = self.left();
            (left.sandboxes.clone(), left.checkpoints.clone())
        };
        let mut stuck = Vec::new();
        for id in &sandboxes {
            match self.destroy(id).await {
                Ok(()) | Err(Failure::Answer { status: Some(404), .. }) => {}
                Err(e) => stuck.push(format!("sandbox {id}: {e}")),
            }
        }
        for id in &checkpoints {
            if let Err(e) = self.delete_settled(id).await {
                stuck.push(format!("checkpoint {id}: {e}"));
            }
        }
        let removed = format!("{} sandboxes and {} checkpoints", sandboxes.len(), checkpoints.len());
        if stuck.is_empty() {
            Check {
                name: "cleanup".into(),
                status: Status::Pass,
                expected: String::new(),
                received: format!("removed everything doctor created that was still there ({removed})"),
            }
        } else {
            Check {
                name: "cleanup".into(),
                status: Status::Fail,
                expected: format!("destroy and delete to remove {removed}"),
                received: format!("left behind: {}", stuck.join("; ")),
            }
        }
    }

    /// Deletes a checkpoint, waiting for a pending one to settle first (a pending checkpoint
    /// cannot be deleted: 409).
    async fn delete_settled(&self, id: &str) -> Reply<()> {
        let started = Instant::now();
        loop {
            match self.delete_checkpoint(id).await {
                Err(Failure::Answer { status: Some(409), .. }) if started.elapsed() < SETTLE => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(Failure::Answer { status: Some(404), .. }) => return Ok(()),
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Wire for Tracked {
    fn kind(&self) -> Kind {
        self.inner.kind()
    }

    async fn health(&self) -> Reply<Value> {
        self.inner.health().await
    }

    async fn create(&self, key: Option<&str>) -> Reply<String> {
        let id = self.inner.create(key).await;
        self.sandbox(&id);
        id
    }

    async fn exec(&self, sandbox: &str, exec: Exec<'_>) -> Reply<ExecOutput> {
        self.inner.exec(sandbox, exec).await
    }

    async fn write_file(&self, sandbox: &str, path: &str, data: Bytes) -> Reply<()> {
        self.inner.write_file(sandbox, path, data).await
    }

    async fn read_file(&self, sandbox: &str, path: &str) -> Reply<Bytes> {
        self.inner.read_file(sandbox, path).await
    }

    async fn checkpoint(&self, sandbox: &str) -> Reply<CheckpointStatus> {
        let status = self.inner.checkpoint(sandbox).await;
        if let Ok(s) = &status {
            self.left().checkpoints.insert(s.id.clone());
        }
        status
    }

    async fn checkpoint_status(&self, checkpoint: &str) -> Reply<CheckpointStatus> {
        self.inner.checkpoint_status(checkpoint).await
    }

    async fn restore(&self, checkpoint: &str) -> Reply<String> {
        let id = self.inner.restore(checkpoint).await;
        self.sandbox(&id);
        id
    }

    async fn destroy(&self, sandbox: &str) -> Reply<()> {
        let done = self.inner.destroy(sandbox).await;
        if done.is_ok() {
            self.left().sandboxes.remove(sandbox);
        }
        done
    }

    async fn delete_checkpoint(&self, checkpoint: &str) -> Reply<()> {
        let done = self.inner.delete_checkpoint(checkpoint).await;
        if done.is_ok() {
            self.left().checkpoints.remove(checkpoint);
        }
        done
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await
    }
}
