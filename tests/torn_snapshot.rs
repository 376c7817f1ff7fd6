//! A checkpoint taken while a process rewrites the marker: the quiescing local provider waits and
//! every restore verifies; the unsafe unquiesced mode captures a torn file and every restore of
//! that checkpoint is detected as corrupted.

use std::sync::Arc;

use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::LocalProvider;
use stress_action::report::Verdict;
use stress_action::run::run_with_provider;

fn config(out: &std::path::Path) -> RunConfig {
    let mut cfg = RunConfig::build(RunArgs {
        restores: Some(6),
        rounds: Some(2),
        marker_size_mb: Some(1.0),
        out: Some(out.to_path_buf()),
        seed: Some(5),
        workload: Some("checkpoint".into()),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    cfg.checkpoint.write_during_checkpoint = true;
    cfg
}

#[tokio::test]
async fn quiesced_checkpoints_survive_a_concurrent_writer() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Arc::new(LocalProvider::new(LocalOptions::default()).unwrap());
    let summary = run_with_provider(config(dir.path()), provider, CancelToken::new())
        .await
        .unwrap();
    assert_eq!(
        summary.result.verdict,
        Verdict::Pass,
        "{:?}",
        summary.result.verdict_reasons
    );
    assert_eq!(summary.result.totals.verified, 6);
}

#[tokio::test]
async fn unquiesced_checkpoints_are_caught_torn() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Arc::new(LocalProvider::new(LocalOptions::default()).unwrap().unquiesced());
    let summary = run_with_provider(config(dir.path()), provider, CancelToken::new())
        .await
        .unwrap();
    assert_eq!(summary.result.verdict, Verdict::Fail);
    assert_eq!(
        summary.result.totals.corrupted, 6,
        "every restore of a torn checkpoint is corrupted"
    );
    assert_eq!(
        summary
            .result
            .environment
            .get("quiesced_checkpoints")
            .map(String::as_str),
        Some("false")
    );
    let evidence = std::fs::read_dir(dir.path().join("evidence")).unwrap().count();
    assert_eq!(evidence, 6);
}
