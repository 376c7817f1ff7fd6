//! The storage workload on the real local provider: clean transfers verify, and a download that
//! comes back with one flipped byte is corruption (exit 1), never infra.

mod support;

use std::sync::Arc;

use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{LocalProvider, Provider};
use stress_action::report::Verdict;
use stress_action::run::run_with_provider;
use stress_action::ExitStatus;
use support::tweaked::{TweakedProvider, Tweaks};
use support::{assert_accounting, read_report};

fn config(out: &std::path::Path) -> RunConfig {
    RunConfig::build(RunArgs {
        workload: Some("storage".into()),
        storage_sizes: Some("0.25,1".into()),
        storage_iterations: Some(3),
        out: Some(out.to_path_buf()),
        seed: Some(5),
        quiet: true,
        ..Default::default()
    })
    .unwrap()
}

fn local() -> Arc<dyn Provider> {
    Arc::new(LocalProvider::new(LocalOptions::default()).unwrap())
}

#[tokio::test]
async fn clean_transfers_all_verify() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_with_provider(config(dir.path()), local(), CancelToken::new())
        .await
        .unwrap();
    assert_eq!(summary.exit_status(), ExitStatus::Pass);
    let storage = summary.result.storage.as_ref().unwrap();
    assert_eq!(storage.sizes.len(), 2);
    for size in &storage.sizes {
        assert_eq!(
            (size.iterations, size.verified, size.corrupted, size.infra),
            (3, 3, 0, 0)
        );
        assert_eq!((size.upload_ms.count, size.download_ms.count), (3, 3));
        assert!(size.upload_mb_s > 0.0 && size.download_mb_s > 0.0);
        assert_eq!(size.delete_failures, 0);
    }
    assert!(summary.result.histograms.contains_key("storage.0.25mb.upload_ms"));
    assert!(summary.result.histograms.contains_key("storage.1mb.download_ms"));
    let report = read_report(dir.path());
    assert_accounting(&report);
    assert_eq!(report["totals"]["verified"], 6);
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    assert_eq!(events.matches("\"workload\":\"storage\"").count(), 6);
}

#[tokio::test]
async fn a_corrupted_download_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let corrupting = Arc::new(TweakedProvider::new(
        local(),
        Tweaks {
            corrupt_reads: true,
            ..Default::default()
        },
    ));
    let summary = run_with_provider(config(dir.path()), corrupting, CancelToken::new())
        .await
        .unwrap();
    let t = &summary.result.totals;
    assert_eq!((t.corrupted, t.verified, t.infra), (6, 0, 0));
    assert_eq!(summary.result.verdict, Verdict::Fail);
    assert_eq!(summary.exit_status().code(), 1);
    let details = std::fs::read_to_string(dir.path().join("error-details.log")).unwrap();
    assert_eq!(details.matches("=== CORRUPTED").count(), 6);
    assert!(details.contains("check: sha256"));
}
