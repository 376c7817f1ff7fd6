//! Measurement, not a check (ignored by default; run with `cargo nextest run --run-ignored only -E
//! 'binary(lifecycle_memory)'` in release for real numbers): the lifecycle workload's own memory per
//! in-flight sandbox, over a provider that does nothing, so the number is the tool's and not the
//! platform's. Prints the process's peak RSS for bursts of two sizes and the slope between them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::{
    CheckpointId, ExecOutput, ExecRequest, Provider, ProviderError, ProviderResult, SandboxId,
};
use stress_action::run::run_with_provider;

/// Sandboxes that exist only as ids: every call answers at once.
#[derive(Default)]
struct NullProvider {
    next: AtomicU64,
}

#[async_trait]
impl Provider for NullProvider {
    fn name(&self) -> &'static str {
        "null"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        Ok(SandboxId(format!(
            "sb-{:08}",
            self.next.fetch_add(1, Ordering::Relaxed)
        )))
    }
    async fn exec(&self, _: &SandboxId, _: &ExecRequest) -> ProviderResult<ExecOutput> {
        Ok(ExecOutput {
            exit_code: Some(0),
            ..Default::default()
        })
    }
    async fn write_file(&self, _: &SandboxId, _: &str, _: Bytes) -> ProviderResult<()> {
        Ok(())
    }
    async fn read_file(&self, _: &SandboxId, _: &str) -> ProviderResult<Bytes> {
        Err(ProviderError::provider("no files"))
    }
    async fn checkpoint(&self, _: &SandboxId) -> ProviderResult<CheckpointId> {
        Err(ProviderError::provider("no checkpoints"))
    }
    async fn restore(&self, _: &CheckpointId) -> ProviderResult<SandboxId> {
        Err(ProviderError::provider("no checkpoints"))
    }
    async fn destroy(&self, _: &SandboxId) -> ProviderResult<()> {
        Ok(())
    }
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn burst(n: i64) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let cfg = RunConfig::build(RunArgs {
        profile: Some("burst".into()),
        burst_size: Some(n),
        out: Some(dir.path().to_path_buf()),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    let summary = run_with_provider(cfg, Arc::new(NullProvider::default()), CancelToken::new())
        .await
        .unwrap();
    let burst = summary.result.lifecycle.unwrap().burst.unwrap();
    assert_eq!(burst.peak_concurrency, n as u64);
    peak_rss_kb()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement; run explicitly"]
async fn memory_per_in_flight_sandbox() {
    let small = burst(10_000).await;
    let large = burst(100_000).await;
    println!(
        "peak RSS after a burst of 10,000: {:.1} MB; of 100,000: {:.1} MB; ~{:.0} bytes per in-flight sandbox",
        small as f64 / 1024.0,
        large as f64 / 1024.0,
        (large.saturating_sub(small) * 1024) as f64 / 90_000.0
    );
}
