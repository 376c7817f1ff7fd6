//! The corruption self-test is enforced: damage the checks miss fails the run ("detector missed"),
//! damage that could not be applied or confirmed is `unapplied` (never a miss, never counted as
//! injected), and deleting a git object really deletes it in a packed repository too.
//!
//! Each test wraps the real local provider: the wrapper hides the damage from the checks (a blind
//! detector), ignores the damage (so it cannot be confirmed), or packs the repository before the
//! checkpoint. Everything else is the real provider doing real git work.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
use stress_action::ExitStatus;
use support::{assert_accounting, read_report};

/// The commands the restore verification runs, as `verify_restore` issues them.
const CHECKS: [&[&str]; 4] = [
    &["git", "status", "--porcelain"],
    &["git", "log", "-1", "--format=%H"],
    &["git", "fsck", "--full"],
    &["sha256sum", "marker.bin"],
];

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The local provider as it is.
    Plain,
    /// Every check of a restored sandbox answers what it answered on the healthy origin.
    BlindDetector,
    /// After the checkpoint, damage (`rm`, the git object deletion, writes of the marker) does nothing.
    DamageIgnored,
    /// The origin's repository is packed (`git repack -a -d`) before each checkpoint.
    Packed,
}

struct Wrapper {
    inner: Arc<dyn Provider>,
    mode: Mode,
    checkpointed: AtomicBool,
    healthy_answers: Mutex<HashMap<Vec<String>, ExecOutput>>,
    /// Set when a checkpoint was taken of a repository with no loose object left.
    packed: AtomicBool,
}

impl Wrapper {
    fn around_local(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(LocalProvider::new(LocalOptions::default()).unwrap()),
            mode,
            checkpointed: AtomicBool::new(false),
            healthy_answers: Mutex::default(),
            packed: AtomicBool::new(false),
        })
    }

    async fn run(&self, sb: &SandboxId, argv: &[&str]) -> ExecOutput {
        let request = ExecRequest::new(argv.iter().copied(), Duration::from_secs(60));
        self.inner.exec(sb, &request).await.unwrap()
    }

    async fn pack(&self, sb: &SandboxId) {
        assert!(self.run(sb, &["git", "repack", "-a", "-d", "-q"]).await.success());
        assert!(self.run(sb, &["git", "prune-packed"]).await.success());
        let counts = self.run(sb, &["git", "count-objects", "-v"]).await.stdout_text();
        let loose_none = counts.lines().any(|l| l == "count: 0");
        let in_pack = counts.lines().any(|l| l.starts_with("in-pack: ") && l != "in-pack: 0");
        self.packed.store(loose_none && in_pack, Ordering::SeqCst);
    }
}

fn ok() -> ExecOutput {
    ExecOutput {
        exit_code: Some(0),
        ..Default::default()
    }
}

#[async_trait]
impl Provider for Wrapper {
    fn name(&self) -> &'static str {
        "wrapped-local"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        self.inner.create().await
    }
    async fn exec(&self, sb: &SandboxId, req: &ExecRequest) -> ProviderResult<ExecOutput> {
        if let Some(answer) = self.healthy_answers.lock().unwrap().get(&req.argv) {
            return Ok(answer.clone());
        }
        let damaging = req.argv[0] == "rm" || req.argv.iter().any(|a| a == "delete-git-object");
        if self.mode == Mode::DamageIgnored && self.checkpointed.load(Ordering::SeqCst) && damaging {
            return Ok(ok());
        }
        self.inner.exec(sb, req).await
    }
    async fn write_file(&self, sb: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        if self.mode == Mode::DamageIgnored && self.checkpointed.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.inner.write_file(sb, path, data).await
    }
    async fn read_file(&self, sb: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        self.inner.read_file(sb, path).await
    }
    async fn checkpoint(&self, sb: &SandboxId) -> ProviderResult<CheckpointId> {
        match self.mode {
            Mode::BlindDetector => {
                for argv in CHECKS {
                    let out = self.run(sb, argv).await;
                    assert!(out.success(), "{argv:?} on the origin");
                    let key = argv.iter().map(|a| a.to_string()).collect();
                    self.healthy_answers.lock().unwrap().insert(key, out);
                }
            }
            Mode::Packed => self.pack(sb).await,
            Mode::Plain | Mode::DamageIgnored => {}
        }
        let id = self.inner.checkpoint(sb).await?;
        self.checkpointed.store(true, Ordering::SeqCst);
        Ok(id)
    }
    async fn restore(&self, cp: &CheckpointId) -> ProviderResult<SandboxId> {
        self.inner.restore(cp).await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        self.inner.destroy(sb).await
    }
    async fn delete_checkpoint(&self, cp: &CheckpointId) -> ProviderResult<()> {
        self.inner.delete_checkpoint(cp).await
    }
    async fn shutdown(&self) -> ProviderResult<()> {
        self.inner.shutdown().await
    }
}

/// One round of `restores`, damaging `rate` of them (cycling through the four kinds).
fn config(out: &std::path::Path, restores: i64, rate: f64) -> RunConfig {
    let mut cfg = RunConfig::build(RunArgs {
        restores: Some(restores),
        rounds: Some(1),
        concurrency: Some(2),
        marker_size_mb: Some(0.25),
        out: Some(out.to_path_buf()),
        seed: Some(3),
        quiet: true,
        max_infra_rate: Some(1.0),
        workload: Some("checkpoint".into()),
        ..Default::default()
    })
    .unwrap();
    cfg.checkpoint.inject_corruption = rate;
    cfg
}

fn count(report: &serde_json::Value, kind: &str, field: &str) -> u64 {
    report["checkpoint"]["injection"][kind][field].as_u64().unwrap_or(0)
}

const KINDS: [&str; 4] = ["bitflip", "truncate", "delete_git_object", "delete_marker"];

#[tokio::test]
async fn a_blind_detector_fails_the_run_with_detector_missed() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Wrapper::around_local(Mode::BlindDetector);
    let summary = run_with_provider(config(dir.path(), 8, 0.5), provider, CancelToken::new())
        .await
        .unwrap();
    assert_eq!(summary.exit_status(), ExitStatus::Fail);
    assert_eq!(summary.exit_status().code(), 1);
    let report = read_report(dir.path());
    assert_accounting(&report);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["workloads"]["checkpoint"]["verdict"], "fail");
    for kind in KINDS {
        let counts = (
            count(&report, kind, "injected"),
            count(&report, kind, "detected"),
            count(&report, kind, "missed"),
            count(&report, kind, "unapplied"),
        );
        assert_eq!(counts, (1, 0, 1, 0), "{kind}: confirmed, then missed");
    }
    let t = &report["totals"];
    assert_eq!(
        (t["injected"].as_u64(), t["injected_detected"].as_u64()),
        (Some(4), Some(0))
    );
    assert_eq!(
        t["corrupted"], 0,
        "the checks saw nothing: only the self-test can fail this run"
    );
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("checkpoint: detector missed 4 of 4 injected damages"),
        "{reason}"
    );
    let details = std::fs::read_to_string(dir.path().join("error-details.log")).unwrap();
    assert_eq!(details.matches("=== SELF-TEST MISSED").count(), 4, "{details}");
}

#[tokio::test]
async fn the_same_damage_seen_by_real_checks_is_detected_not_missed() {
    // The control of the test above: without the blindfold every damage is caught.
    let dir = tempfile::tempdir().unwrap();
    let provider = Wrapper::around_local(Mode::Plain);
    let summary = run_with_provider(config(dir.path(), 8, 0.5), provider, CancelToken::new())
        .await
        .unwrap();
    let report = read_report(dir.path());
    for kind in KINDS {
        assert_eq!(
            (count(&report, kind, "injected"), count(&report, kind, "detected")),
            (1, 1),
            "{kind}"
        );
        assert_eq!(count(&report, kind, "missed"), 0, "{kind}");
    }
    let reasons = report["verdict_reasons"].to_string();
    assert!(!reasons.contains("detector missed"), "{reasons}");
    // Detected damage is corruption the run reports: it fails, as every self-test run does.
    assert_eq!(summary.result.verdict, Verdict::Fail);
}

#[tokio::test]
async fn damage_that_cannot_be_confirmed_is_unapplied_never_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Wrapper::around_local(Mode::DamageIgnored);
    let summary = run_with_provider(config(dir.path(), 8, 0.5), provider, CancelToken::new())
        .await
        .unwrap();
    let report = read_report(dir.path());
    assert_accounting(&report);
    for kind in KINDS {
        let counts = (
            count(&report, kind, "injected"),
            count(&report, kind, "missed"),
            count(&report, kind, "unapplied"),
        );
        assert_eq!(counts, (0, 0, 1), "{kind}: never counted as injected");
    }
    assert_eq!(report["totals"]["injected"], 0);
    assert_eq!(report["totals"]["corrupted"], 0);
    assert_eq!(summary.result.verdict, Verdict::Inconclusive);
    assert_eq!(summary.exit_status().code(), 3);
    let reasons = report["verdict_reasons"].to_string();
    assert!(!reasons.contains("detector missed"), "{reasons}");
    assert!(reasons.contains("the self-test could not apply 4 damages"), "{reasons}");
}

#[tokio::test]
async fn deleting_a_git_object_of_a_packed_repository_really_deletes_it() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Wrapper::around_local(Mode::Packed);
    run_with_provider(config(dir.path(), 4, 1.0), provider.clone(), CancelToken::new())
        .await
        .unwrap();
    assert!(
        provider.packed.load(Ordering::SeqCst),
        "the checkpoint was taken of a packed repository (no loose object)"
    );
    let report = read_report(dir.path());
    let kind = "delete_git_object";
    assert_eq!(
        (
            count(&report, kind, "injected"),
            count(&report, kind, "detected"),
            count(&report, kind, "missed"),
            count(&report, kind, "unapplied")
        ),
        (1, 1, 0, 0),
        "{}",
        report["checkpoint"]["injection"]
    );
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let line = events
        .lines()
        .find(|l| l.contains("\"injected\":\"delete_git_object\""))
        .expect("the damage is in events.jsonl");
    assert!(line.contains("confirmed gone"), "{line}");
    assert!(line.contains("\"outcome\":\"corrupted\""), "{line}");
}
