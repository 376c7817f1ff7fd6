//! A provider decorator for the lifecycle and storage workloads: slow or serialized creates, a fate
//! per created sandbox (create / first command / liveness probe / first destroy fails), and
//! downloads with one flipped byte. The real local provider does all the actual work.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use stress_action::provider::{
    CheckpointId, ExecOutput, ExecRequest, Provider, ProviderError, ProviderResult, SandboxId,
};

/// What happens to the n-th created sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Fine,
    /// create answers HTTP 503.
    CreateFails,
    /// The first command times out.
    ReadyFails,
    /// The second command (the liveness probe) answers HTTP 502.
    LivenessFails,
    /// The first destroy answers HTTP 500; a second attempt works.
    DestroyFailsOnce,
}

#[derive(Clone)]
pub struct Tweaks {
    pub create_delay: Duration,
    /// Creates are handled one at a time (a single-worker server), so they queue.
    pub serialize_creates: bool,
    /// The fate of the n-th create (1-based).
    pub fate: fn(u64) -> Fate,
    pub corrupt_reads: bool,
}

impl Default for Tweaks {
    fn default() -> Self {
        Self {
            create_delay: Duration::ZERO,
            serialize_creates: false,
            fate: |_| Fate::Fine,
            corrupt_reads: false,
        }
    }
}

pub struct TweakedProvider {
    pub inner: Arc<dyn Provider>,
    pub tweaks: Tweaks,
    create_lock: tokio::sync::Mutex<()>,
    creates: AtomicU64,
    fates: Mutex<HashMap<SandboxId, (Fate, u64)>>,
    pub created: AtomicU64,
    pub destroyed: AtomicU64,
}

impl TweakedProvider {
    pub fn new(inner: Arc<dyn Provider>, tweaks: Tweaks) -> Self {
        Self {
            inner,
            tweaks,
            create_lock: tokio::sync::Mutex::new(()),
            creates: AtomicU64::new(0),
            fates: Mutex::default(),
            created: AtomicU64::new(0),
            destroyed: AtomicU64::new(0),
        }
    }

    fn fate(&self, sb: &SandboxId) -> Fate {
        self.fates.lock().unwrap().get(sb).map_or(Fate::Fine, |f| f.0)
    }
}

#[async_trait]
impl Provider for TweakedProvider {
    fn name(&self) -> &'static str {
        "tweaked-local"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        let n = self.creates.fetch_add(1, Ordering::SeqCst) + 1;
        let fate = (self.tweaks.fate)(n);
        if !self.tweaks.create_delay.is_zero() {
            if self.tweaks.serialize_creates {
                let _one_at_a_time = self.create_lock.lock().await;
                tokio::time::sleep(self.tweaks.create_delay).await;
            } else {
                tokio::time::sleep(self.tweaks.create_delay).await;
            }
        }
        if fate == Fate::CreateFails {
            return Err(ProviderError::http(503, "injected: no capacity"));
        }
        let sb = self.inner.create().await?;
        self.created.fetch_add(1, Ordering::SeqCst);
        self.fates.lock().unwrap().insert(sb.clone(), (fate, 0));
        Ok(sb)
    }
    async fn exec(&self, sb: &SandboxId, req: &ExecRequest) -> ProviderResult<ExecOutput> {
        let (fate, call) = {
            let mut fates = self.fates.lock().unwrap();
            let entry = fates.entry(sb.clone()).or_insert((Fate::Fine, 0));
            entry.1 += 1;
            *entry
        };
        match (fate, call) {
            (Fate::ReadyFails, 1) => Err(ProviderError::timeout("injected: first command timed out")),
            (Fate::LivenessFails, 2) => Err(ProviderError::http(502, "injected: sandbox gone")),
            _ => self.inner.exec(sb, req).await,
        }
    }
    async fn write_file(&self, sb: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        self.inner.write_file(sb, path, data).await
    }
    async fn read_file(&self, sb: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        let data = self.inner.read_file(sb, path).await?;
        if !self.tweaks.corrupt_reads || data.is_empty() {
            return Ok(data);
        }
        let mut bytes = data.to_vec();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        Ok(Bytes::from(bytes))
    }
    async fn checkpoint(&self, sb: &SandboxId) -> ProviderResult<CheckpointId> {
        self.inner.checkpoint(sb).await
    }
    async fn restore(&self, cp: &CheckpointId) -> ProviderResult<SandboxId> {
        self.inner.restore(cp).await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        if self.fate(sb) == Fate::DestroyFailsOnce {
            self.fates
                .lock()
                .unwrap()
                .insert(sb.clone(), (Fate::Fine, u64::MAX / 2));
            return Err(ProviderError::http(500, "injected: destroy failed"));
        }
        self.inner.destroy(sb).await?;
        self.destroyed.fetch_add(1, Ordering::SeqCst);
        self.fates.lock().unwrap().remove(sb);
        Ok(())
    }
    async fn shutdown(&self) -> ProviderResult<()> {
        self.inner.shutdown().await
    }
}
