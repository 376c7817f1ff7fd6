//! Shared test helpers: reading run directories, and a provider decorator that injects infra faults
//! into a real provider so classification can be tested without touching real data.
#![allow(dead_code)]

pub mod action_runner;
pub mod cli;
pub mod release_server;
pub mod tweaked;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use stress_action::provider::{
    CheckpointId, ExecOutput, ExecRequest, Provider, ProviderError, ProviderResult, SandboxId,
};

pub fn read_report(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json exists");
    serde_json::from_str(&text).expect("report.json parses")
}

/// `planned == verified + corrupted + infra + lost`, checked on report.json's totals.
pub fn assert_accounting(report: &serde_json::Value) {
    let t = &report["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("totals.{k} missing"));
    assert_eq!(
        n("planned"),
        n("verified") + n("corrupted") + n("infra") + n("lost"),
        "accounting: {t}"
    );
}

/// Which calls fail, and how.
#[derive(Clone, Default)]
pub struct Faults {
    /// Every n-th restore fails with an HTTP 502 (0 = never).
    pub restore_every: u64,
    /// Commands whose argv contains this word time out on their first `times` attempts per sandbox
    /// (u64::MAX = always).
    pub exec_word: Option<(&'static str, u64)>,
}

pub struct FaultyProvider {
    pub inner: Arc<dyn Provider>,
    pub faults: Faults,
    restores: AtomicU64,
    exec_failures: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    pub injected_exec_faults: AtomicU64,
}

impl FaultyProvider {
    pub fn new(inner: Arc<dyn Provider>, faults: Faults) -> Self {
        Self {
            inner,
            faults,
            restores: AtomicU64::new(0),
            exec_failures: Default::default(),
            injected_exec_faults: AtomicU64::new(0),
        }
    }
}

#[async_trait]
impl Provider for FaultyProvider {
    fn name(&self) -> &'static str {
        "faulty-local"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        self.inner.create().await
    }
    async fn exec(&self, sb: &SandboxId, req: &ExecRequest) -> ProviderResult<ExecOutput> {
        if let Some((word, times)) = self.faults.exec_word {
            if req.argv.iter().any(|a| a == word) {
                let mut map = self.exec_failures.lock().unwrap();
                let seen = map.entry(sb.0.clone()).or_default();
                if *seen < times {
                    *seen += 1;
                    self.injected_exec_faults.fetch_add(1, Ordering::SeqCst);
                    return Err(ProviderError::timeout(format!("injected timeout of {word}")));
                }
            }
        }
        self.inner.exec(sb, req).await
    }
    async fn write_file(&self, sb: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        self.inner.write_file(sb, path, data).await
    }
    async fn read_file(&self, sb: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        self.inner.read_file(sb, path).await
    }
    async fn checkpoint(&self, sb: &SandboxId) -> ProviderResult<CheckpointId> {
        self.inner.checkpoint(sb).await
    }
    async fn restore(&self, cp: &CheckpointId) -> ProviderResult<SandboxId> {
        let n = self.restores.fetch_add(1, Ordering::SeqCst) + 1;
        if self.faults.restore_every > 0 && n.is_multiple_of(self.faults.restore_every) {
            return Err(ProviderError::http(502, "injected bad gateway"));
        }
        self.inner.restore(cp).await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        self.inner.destroy(sb).await
    }
    async fn shutdown(&self) -> ProviderResult<()> {
        self.inner.shutdown().await
    }
}
