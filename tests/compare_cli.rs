//! `compare BASE CURRENT` and `--fail-on-regression` on fixture reports with every section.

mod publish_support;

use predicates::prelude::*;
use publish_support::{cli, edit_report, fixture, run_dir};

/// Burst TTI p95 from 720 ms (fixture) to `p95`.
fn current_with_burst_p95(parent: &std::path::Path, p95: f64) -> std::path::PathBuf {
    let dir = run_dir(parent, "current");
    edit_report(&dir, |v| {
        v["lifecycle"]["burst"]["tti_ms"]["p95"] = serde_json::json!(p95)
    });
    dir
}

#[test]
fn a_regression_over_the_threshold_fails_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_with_burst_p95(tmp.path(), 900.0); // +25%
    cli()
        .args([
            "compare",
            fixture("report-full.json").to_str().unwrap(),
            current.to_str().unwrap(),
        ])
        .args(["--fail-on-regression", "20"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "| Burst | TTI p95 | 720 ms | 900 ms | ▲ +25.0% (worse) |",
        ))
        .stderr(predicate::str::contains(
            "Burst TTI p95 regressed 25.0% (720 -> 900 ms), over the 20% threshold",
        ));
}

#[test]
fn a_regression_within_the_threshold_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_with_burst_p95(tmp.path(), 900.0);
    cli()
        .args([
            "compare",
            fixture("report-full.json").to_str().unwrap(),
            current.to_str().unwrap(),
        ])
        .args(["--fail-on-regression", "30"])
        .assert()
        .success()
        .stderr(predicate::str::contains("regression").not());
}

#[test]
fn every_section_present_on_both_sides_is_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let current = run_dir(tmp.path(), "current");
    edit_report(&current, |v| {
        v["storage"]["sizes"][0]["upload_mb_s"] = serde_json::json!(80.0);
        v["checkpoint"]["restore_ms"]["p50"] = serde_json::json!(30.0);
    });
    let out = cli()
        .args([
            "compare",
            fixture("report-full.json").to_str().unwrap(),
            current.to_str().unwrap(),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for needle in [
        "| Sequential | TTI p50 |",
        "| Staggered | TTI p99 |",
        "| Burst | success rate |",
        "| Checkpoint | restore p50 | 40.00 ms | 30.00 ms | ▼ -25.0% (better) |",
        "| Checkpoint | verify p50 |",
        "| Storage 1 MB | upload | 100 MB/s | 80.00 MB/s | ▼ -20.0% (worse) |",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn an_older_baseline_compares_what_both_sides_have() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_with_burst_p95(tmp.path(), 5000.0);
    cli()
        .args([
            "compare",
            fixture("report-checkpoint-only.json").to_str().unwrap(),
            current.to_str().unwrap(),
        ])
        .args(["--fail-on-regression", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| Checkpoint | restore p95 |"))
        .stdout(predicate::str::contains("Burst").not());
}

#[test]
fn publish_with_a_baseline_puts_the_table_in_the_comment_and_fails_on_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_with_burst_p95(tmp.path(), 1000.0);
    cli()
        .args([
            "publish",
            current.to_str().unwrap(),
            "--baseline",
            fixture("report-full.json").to_str().unwrap(),
        ])
        .args(["--fail-on-regression", "20"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Burst TTI p95 regressed"));
    let body = std::fs::read_to_string(current.join("comment.md")).unwrap();
    assert!(
        body.contains("### Comparison with the baseline") && body.contains("▲ +38.9% (worse)"),
        "{body}"
    );
}

#[test]
fn bad_inputs_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    cli()
        .args([
            "compare",
            tmp.path().join("nope").to_str().unwrap(),
            fixture("report-full.json").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read report"));
    cli()
        .args([
            "compare",
            fixture("report-full.json").to_str().unwrap(),
            fixture("report-full.json").to_str().unwrap(),
        ])
        .args(["--fail-on-regression", "-5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--fail-on-regression"));
}

#[test]
fn run_with_a_baseline_writes_the_comparison_and_keeps_its_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    cli()
        .args([
            "run",
            "-n",
            "2",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "3",
            "--workload",
            "checkpoint",
        ])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--baseline",
            fixture("report-full.json").to_str().unwrap(),
        ])
        .assert()
        .success();
    let cmp = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(cmp.contains("| Checkpoint | restore p95 |"), "{cmp}");
    assert!(
        !cmp.contains("Burst"),
        "a checkpoint-only run has no lifecycle rows: {cmp}"
    );
}
