//! A check killed by SIGKILL (what the OOM killer does under concurrency) said nothing about the
//! data: it is infra, never corruption. A check that crashed (SIGSEGV) on the data stays corruption.
//! Both through real signals: the check is replaced by a shell that sends the signal to itself.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{
    CheckpointId, ExecOutput, ExecRequest, LocalProvider, Provider, ProviderResult, SandboxId,
};
use stress_action::report::Verdict;
use stress_action::run::run_with_provider;
use support::{assert_accounting, read_report};

/// The local provider, except that `git fsck` dies by `signal` (really: `kill -SIG $$`).
struct FsckDies {
    inner: Arc<dyn Provider>,
    signal: &'static str,
}

#[async_trait]
impl Provider for FsckDies {
    fn name(&self) -> &'static str {
        "fsck-dies-local"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        self.inner.create().await
    }
    async fn exec(&self, sb: &SandboxId, req: &ExecRequest) -> ProviderResult<ExecOutput> {
        if req.argv.iter().any(|a| a == "fsck") {
            let script = format!("kill -{} $$", self.signal);
            let dying = ExecRequest::new(["sh", "-c", script.as_str()], req.timeout);
            return self.inner.exec(sb, &dying).await;
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
        self.inner.restore(cp).await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        self.inner.destroy(sb).await
    }
    async fn shutdown(&self) -> ProviderResult<()> {
        self.inner.shutdown().await
    }
}

fn checkpoint_run(out: &Path, signal: &'static str) -> (RunConfig, Arc<dyn Provider>) {
    let cfg = RunConfig::build(RunArgs {
        restores: Some(4),
        rounds: Some(1),
        marker_size_mb: Some(0.25),
        out: Some(out.to_path_buf()),
        seed: Some(2),
        quiet: true,
        workload: Some("checkpoint".into()),
        ..Default::default()
    })
    .unwrap();
    let provider = Arc::new(FsckDies {
        inner: Arc::new(LocalProvider::new(LocalOptions::default()).unwrap()),
        signal,
    });
    (cfg, provider)
}

#[tokio::test]
async fn git_fsck_killed_by_sigkill_is_infra_not_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, provider) = checkpoint_run(dir.path(), "KILL");
    let summary = run_with_provider(cfg, provider, CancelToken::new()).await.unwrap();
    let report = read_report(dir.path());
    assert_accounting(&report);
    let t = &summary.result.totals;
    assert_eq!((t.verified, t.corrupted, t.infra), (0, 0, 4));
    assert_eq!(summary.result.infra_classes.get("provider_error"), Some(&4));
    assert_eq!(summary.result.verdict, Verdict::Inconclusive);
    assert_eq!(summary.exit_status().code(), 3);
    let first = report["workloads"]["checkpoint"]["first_infra"].as_str().unwrap();
    assert!(first.contains("git fsck killed, possibly out of memory"), "{first}");
    assert!(first.contains("SIGKILL"), "{first}");
}

#[tokio::test]
async fn git_fsck_crashing_with_sigsegv_is_still_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, provider) = checkpoint_run(dir.path(), "SEGV");
    let summary = run_with_provider(cfg, provider, CancelToken::new()).await.unwrap();
    let t = &summary.result.totals;
    assert_eq!((t.verified, t.corrupted, t.infra), (0, 4, 0));
    assert_eq!(summary.result.verdict, Verdict::Fail);
    assert_eq!(summary.exit_status().code(), 1);
    let details = std::fs::read_to_string(dir.path().join("error-details.log")).unwrap();
    assert!(details.contains("exit 139 (SIGSEGV)"), "{details}");
}

/// A contention run whose store listing dies by `signal`; the writes themselves all succeed.
fn contention_with_dying_listing(out: &Path, signal: &str) -> (Option<i32>, serde_json::Value) {
    let list = format!("sh -c 'kill -{signal} $$'");
    let output = assert_cmd::Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["run", "-q", "--seed", "4", "--workload", "contention"])
        .args(["--writers", "2", "--writes", "3"])
        .args(["--write-cmd", "sh -c 'echo {id} >> store.txt'", "--list-cmd", &list])
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let report = read_report(out);
    assert_accounting(&report);
    (output.status.code(), report)
}

#[test]
fn a_store_listing_killed_by_sigkill_is_infra_and_one_that_crashes_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = contention_with_dying_listing(&dir.path().join("kill"), "KILL");
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let w = &report["workloads"]["contention"];
    assert_eq!(
        (w["planned"].as_u64(), w["corrupted"].as_u64(), w["infra"].as_u64()),
        (Some(6), Some(0), Some(6))
    );
    assert!(
        w["first_infra"]
            .as_str()
            .unwrap()
            .contains("list store killed, possibly out of memory"),
        "{w}"
    );

    let (code, report) = contention_with_dying_listing(&dir.path().join("segv"), "SEGV");
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    let w = &report["workloads"]["contention"];
    assert_eq!(
        (w["corrupted"].as_u64(), w["infra"].as_u64()),
        (Some(6), Some(0)),
        "{w}"
    );
}
