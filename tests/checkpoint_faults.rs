//! Infra faults injected into a real local provider: they must be counted as infra, never as
//! corruption, retries must absorb transient failures, and all-infra runs must be inconclusive.

mod support;

use std::sync::Arc;

use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{LocalProvider, Provider};
use stress_action::report::Verdict;
use stress_action::run::run_with_provider;
use stress_action::ExitStatus;
use support::{assert_accounting, read_report, Faults, FaultyProvider};

fn config(out: &std::path::Path, restores: i64) -> RunConfig {
    RunConfig::build(RunArgs {
        restores: Some(restores),
        concurrency: Some(4),
        marker_size_mb: Some(0.25),
        out: Some(out.to_path_buf()),
        seed: Some(1),
        quiet: true,
        max_infra_rate: Some(1.0),
        workload: Some("checkpoint".into()),
        ..Default::default()
    })
    .unwrap()
}

fn local() -> Arc<dyn Provider> {
    Arc::new(LocalProvider::new(LocalOptions::default()).unwrap())
}

#[tokio::test]
async fn failed_restores_are_infra_not_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = Arc::new(FaultyProvider::new(
        local(),
        Faults {
            restore_every: 3,
            ..Default::default()
        },
    ));
    let summary = run_with_provider(config(dir.path(), 12), faulty, CancelToken::new())
        .await
        .unwrap();
    let t = &summary.result.totals;
    assert_eq!((t.verified, t.corrupted, t.infra, t.lost), (8, 0, 4, 0));
    assert_eq!(summary.result.verdict, Verdict::Pass);
    assert_eq!(summary.result.infra_classes.get("http_error_502"), Some(&4));
    assert_accounting(&read_report(dir.path()));
}

#[tokio::test]
async fn a_check_that_keeps_timing_out_is_infra_and_transient_ones_are_retried() {
    // fsck times out on every attempt: infra, with the class kept.
    let dir = tempfile::tempdir().unwrap();
    let always = Arc::new(FaultyProvider::new(
        local(),
        Faults {
            exec_word: Some(("fsck", u64::MAX)),
            ..Default::default()
        },
    ));
    let summary = run_with_provider(config(dir.path(), 4), always.clone(), CancelToken::new())
        .await
        .unwrap();
    let t = &summary.result.totals;
    assert_eq!((t.verified, t.corrupted, t.infra), (0, 0, 4));
    assert_eq!(summary.result.verdict, Verdict::Inconclusive);
    assert_eq!(ExitStatus::from_verdict(summary.result.verdict, false).code(), 3);
    assert_eq!(summary.result.infra_classes.get("timeout"), Some(&4));
    // 1 attempt + 2 retries per restore.
    assert_eq!(
        always.injected_exec_faults.load(std::sync::atomic::Ordering::SeqCst),
        12
    );

    // fsck times out twice per sandbox, then answers: the retries absorb it.
    let dir = tempfile::tempdir().unwrap();
    let twice = Arc::new(FaultyProvider::new(
        local(),
        Faults {
            exec_word: Some(("fsck", 2)),
            ..Default::default()
        },
    ));
    let summary = run_with_provider(config(dir.path(), 4), twice, CancelToken::new())
        .await
        .unwrap();
    assert_eq!((summary.result.totals.verified, summary.result.totals.infra), (4, 0));
    assert_eq!(summary.result.verdict, Verdict::Pass);
}

#[tokio::test]
async fn every_restore_failing_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = Arc::new(FaultyProvider::new(
        local(),
        Faults {
            restore_every: 1,
            ..Default::default()
        },
    ));
    let summary = run_with_provider(config(dir.path(), 6), faulty, CancelToken::new())
        .await
        .unwrap();
    let t = &summary.result.totals;
    assert_eq!((t.verified, t.corrupted, t.infra), (0, 0, 6));
    assert_eq!(summary.result.verdict, Verdict::Inconclusive);
    assert_eq!(summary.exit_status(), ExitStatus::Inconclusive);
}

#[tokio::test]
async fn real_corruption_still_wins_over_infra_noise() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 12);
    cfg.checkpoint.inject_corruption = 0.25;
    let faulty = Arc::new(FaultyProvider::new(
        local(),
        Faults {
            restore_every: 5,
            ..Default::default()
        },
    ));
    let summary = run_with_provider(cfg, faulty, CancelToken::new()).await.unwrap();
    let t = &summary.result.totals;
    assert!(t.corrupted > 0 && t.infra > 0, "{t:?}");
    assert_eq!(t.injected_detected, t.injected);
    assert_eq!(summary.result.verdict, Verdict::Fail);
}
