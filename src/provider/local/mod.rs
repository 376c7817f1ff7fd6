//! The embedded default provider: a sandbox is a directory on this machine and the processes run in
//! it; a checkpoint is a copy-on-write clone of that directory taken while the sandbox is quiesced.
//!
//! State lives in the file system, not in memory (`ROOT/sandboxes/ID`, `ROOT/checkpoints/ID`), so a
//! server restarted on the same root still serves every acknowledged checkpoint. Quiescing is real:
//! every exec and file write holds a shared lock on its sandbox, and a checkpoint takes it exclusively,
//! so a snapshot never reads a file another process of this provider is still writing.

mod exec;
mod paths;
mod tree;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::RwLock;

use super::payload::{ChunkSource, Hasher, CHUNK};
use super::{
    CheckpointId, Digest, ExecOutput, ExecRequest, Payload, Provider, ProviderError, ProviderResult, SandboxId,
};
pub use exec::{kill_group, run_in_dir, CAPTURE_LIMIT};
pub use paths::resolve_in;
pub use tree::{clone_tree, CloneMode};

/// Where the provider keeps its sandboxes.
#[derive(Clone, Debug, Default)]
pub struct LocalOptions {
    /// Work root; `None` makes a private directory under the system temp dir, removed at shutdown.
    pub root: Option<PathBuf>,
}

pub struct LocalProvider {
    root: PathBuf,
    owns_root: bool,
    nonce: u32,
    counter: AtomicU64,
    clone_mode: Arc<CloneMode>,
    locks: Mutex<HashMap<String, Arc<RwLock<()>>>>,
    created_sandboxes: Mutex<HashSet<String>>,
    created_checkpoints: Mutex<HashSet<String>>,
    quiesce: bool,
}

impl LocalProvider {
    pub fn new(options: LocalOptions) -> std::io::Result<Self> {
        let nonce: u32 = rand::random();
        let (root, owns_root) = match options.root {
            Some(root) => (root, false),
            None => (
                std::env::temp_dir().join(format!("stress-action-{}-{nonce:08x}", std::process::id())),
                true,
            ),
        };
        std::fs::create_dir_all(root.join("sandboxes"))?;
        std::fs::create_dir_all(root.join("checkpoints"))?;
        Ok(Self {
            root,
            owns_root,
            nonce,
            counter: AtomicU64::new(0),
            clone_mode: Arc::default(),
            locks: Mutex::default(),
            created_sandboxes: Mutex::default(),
            created_checkpoints: Mutex::default(),
            quiesce: true,
        })
    }

    /// Unsafe on purpose: checkpoints no longer wait for running commands, reproducing the torn
    /// snapshot bug (a disk image archived while a process still writes it). Only for the
    /// `unquiesced-checkpoint` chaos scenario, which must then detect corruption.
    pub fn unquiesced(mut self) -> Self {
        self.quiesce = false;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// "reflink" or "copy": how checkpoints are taken on this file system.
    pub fn clone_mode(&self) -> &'static str {
        self.clone_mode.describe()
    }

    fn next_id(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{:08x}-{n:06}", self.nonce)
    }

    fn lock_for(&self, id: &str) -> Arc<RwLock<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_string()).or_default().clone()
    }

    fn existing_dir(&self, kind: &str, subdir: &str, id: &str) -> ProviderResult<PathBuf> {
        if !paths::is_valid_id(id) {
            return Err(ProviderError::provider(format!("invalid {kind} id {id:?}")));
        }
        let dir = self.root.join(subdir).join(id);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(ProviderError::provider(format!("no such {kind} {id}")))
        }
    }

    fn sandbox_dir(&self, id: &SandboxId) -> ProviderResult<PathBuf> {
        self.existing_dir("sandbox", "sandboxes", &id.0)
    }

    fn checkpoint_dir(&self, id: &CheckpointId) -> ProviderResult<PathBuf> {
        self.existing_dir("checkpoint", "checkpoints", &id.0)
    }

    /// Writes the chunks of `source` to `path` as they come (the reference server streams an upload
    /// to disk through this), holding the sandbox's shared lock like any write. Answers the bytes
    /// written; a source that fails leaves the file cut short and answers its error.
    pub async fn write_from(
        &self,
        sandbox: &SandboxId,
        path: &str,
        source: &mut dyn ChunkSource,
    ) -> ProviderResult<u64> {
        use tokio::io::AsyncWriteExt;
        let dir = self.sandbox_dir(sandbox)?;
        let target = resolve_in(&dir, path)?;
        let lock = self.lock_for(&sandbox.0);
        let _shared = lock.read().await;
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_error("write_file", e))?;
        }
        let mut file = tokio::fs::File::create(&target)
            .await
            .map_err(|e| io_error("write_file", e))?;
        let mut written = 0u64;
        while let Some(chunk) = source.next_chunk().await? {
            file.write_all(&chunk).await.map_err(|e| io_error("write_file", e))?;
            written += chunk.len() as u64;
        }
        file.flush().await.map_err(|e| io_error("write_file", e))?;
        Ok(written)
    }

    /// The file at `path`, opened for reading, with its length: the reference server streams a
    /// read from it instead of loading it.
    pub async fn open_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<(tokio::fs::File, u64)> {
        let dir = self.sandbox_dir(sandbox)?;
        let target = resolve_in(&dir, path)?;
        let what = || format!("read_file {path}");
        let file = tokio::fs::File::open(&target).await.map_err(|e| io_error(&what(), e))?;
        let len = file.metadata().await.map_err(|e| io_error(&what(), e))?.len();
        Ok((file, len))
    }

    async fn clone_dir(&self, from: PathBuf, to: PathBuf) -> ProviderResult<()> {
        let mode = self.clone_mode.clone();
        let target = to.clone();
        let result = tokio::task::spawn_blocking(move || clone_tree(&from, &target, &mode))
            .await
            .map_err(|e| ProviderError::provider(format!("clone task failed: {e}")))?;
        if let Err(e) = result {
            let _ = remove_dir(to).await;
            return Err(ProviderError::provider(format!("clone failed: {e}")));
        }
        Ok(())
    }
}

async fn remove_dir(dir: PathBuf) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    })
    .await
    .map_err(std::io::Error::other)?
}

fn io_error(what: &str, e: std::io::Error) -> ProviderError {
    ProviderError::provider(format!("{what}: {e}"))
}

#[async_trait]
impl Provider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    fn environment(&self) -> Vec<(String, String)> {
        vec![
            ("clone_mode".to_string(), self.clone_mode().to_string()),
            ("quiesced_checkpoints".to_string(), self.quiesce.to_string()),
        ]
    }

    async fn create(&self) -> ProviderResult<SandboxId> {
        let id = self.next_id("sb");
        tokio::fs::create_dir(self.root.join("sandboxes").join(&id))
            .await
            .map_err(|e| io_error("create sandbox", e))?;
        self.created_sandboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone());
        Ok(SandboxId(id))
    }

    async fn exec(&self, sandbox: &SandboxId, request: &ExecRequest) -> ProviderResult<ExecOutput> {
        let dir = self.sandbox_dir(sandbox)?;
        let lock = self.lock_for(&sandbox.0);
        let _shared = lock.read().await;
        run_in_dir(&dir, request).await
    }

    /// A whole buffer is a payload of one chunk: the same path resolution, lock and writing as a
    /// streamed upload ([`LocalProvider::write_from`]).
    async fn write_file(&self, sandbox: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        let mut once = Some(data).into_iter();
        self.write_from(sandbox, path, &mut once).await.map(|_| ())
    }

    async fn read_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        let dir = self.sandbox_dir(sandbox)?;
        let target = resolve_in(&dir, path)?;
        match tokio::fs::read(&target).await {
            Ok(data) => Ok(Bytes::from(data)),
            Err(e) => Err(io_error(&format!("read_file {path}"), e)),
        }
    }

    async fn write_payload(&self, sandbox: &SandboxId, path: &str, payload: &Payload) -> ProviderResult<Digest> {
        let mut chunks = payload.chunks();
        self.write_from(sandbox, path, &mut chunks).await?;
        Ok(chunks.digest())
    }

    async fn read_digest(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Digest> {
        let (file, _) = self.open_file(sandbox, path).await?;
        let mut file = file.into_std().await;
        let what = format!("read_file {path}");
        // One blocking task reads and hashes the whole file: no hop per chunk.
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let (mut hasher, mut buf) = (Hasher::default(), vec![0u8; CHUNK]);
            loop {
                match file.read(&mut buf) {
                    Ok(0) => return Ok(hasher.finish()),
                    Ok(n) => hasher.update(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(&what, e)),
                }
            }
        })
        .await
        .map_err(|e| ProviderError::provider(format!("read_file task failed: {e}")))?
    }

    async fn checkpoint(&self, sandbox: &SandboxId) -> ProviderResult<CheckpointId> {
        let dir = self.sandbox_dir(sandbox)?;
        let id = self.next_id("cp");
        let staging = self.root.join("checkpoints").join(format!(".staging-{id}"));
        let lock = self.lock_for(&sandbox.0);
        if self.quiesce {
            // Exclusive: no exec or write of this provider runs in the sandbox while it is cloned.
            let _quiesced = lock.write().await;
            self.clone_dir(dir, staging.clone()).await?;
        } else {
            self.clone_dir(dir, staging.clone()).await?;
        }
        // Published by rename, so a crash mid-clone never leaves a checkpoint that looks ready.
        tokio::fs::rename(&staging, self.root.join("checkpoints").join(&id))
            .await
            .map_err(|e| io_error("publish checkpoint", e))?;
        self.created_checkpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone());
        Ok(CheckpointId(id))
    }

    async fn restore(&self, checkpoint: &CheckpointId) -> ProviderResult<SandboxId> {
        let from = self.checkpoint_dir(checkpoint)?;
        let id = self.next_id("sb");
        self.clone_dir(from, self.root.join("sandboxes").join(&id)).await?;
        self.created_sandboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone());
        Ok(SandboxId(id))
    }

    async fn destroy(&self, sandbox: &SandboxId) -> ProviderResult<()> {
        let dir = self.sandbox_dir(sandbox)?;
        let lock = self.lock_for(&sandbox.0);
        {
            let _exclusive = lock.write().await;
            remove_dir(dir).await.map_err(|e| io_error("destroy", e))?;
        }
        self.locks.lock().unwrap_or_else(|p| p.into_inner()).remove(&sandbox.0);
        self.created_sandboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&sandbox.0);
        Ok(())
    }

    async fn delete_checkpoint(&self, checkpoint: &CheckpointId) -> ProviderResult<()> {
        let dir = self.checkpoint_dir(checkpoint)?;
        remove_dir(dir).await.map_err(|e| io_error("delete checkpoint", e))?;
        self.created_checkpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&checkpoint.0);
        Ok(())
    }

    async fn shutdown(&self) -> ProviderResult<()> {
        if self.owns_root {
            return remove_dir(self.root.clone())
                .await
                .map_err(|e| io_error("remove work root", e));
        }
        let sandboxes: Vec<String> = self
            .created_sandboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        let checkpoints: Vec<String> = self
            .created_checkpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for id in sandboxes {
            remove_dir(self.root.join("sandboxes").join(id))
                .await
                .map_err(|e| io_error("cleanup", e))?;
        }
        for id in checkpoints {
            remove_dir(self.root.join("checkpoints").join(id))
                .await
                .map_err(|e| io_error("cleanup", e))?;
        }
        Ok(())
    }
}

impl Drop for LocalProvider {
    /// Last line of defence for a private work root: an error path or a panic must not leave
    /// gigabytes of sandboxes in the temp dir.
    fn drop(&mut self) {
        if self.owns_root {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
