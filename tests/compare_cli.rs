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

/// A current run that recorded what it selected (as every run of this version does), with `edit`
/// applied on top.
fn current_selecting(parent: &std::path::Path, edit: impl FnOnce(&mut serde_json::Value)) -> std::path::PathBuf {
    let dir = run_dir(parent, "current");
    edit_report(&dir, |v| {
        v["config"]["workloads"] = serde_json::json!(["checkpoint", "lifecycle", "storage"]);
        v["config"]["lifecycle_modes"] = serde_json::json!(["sequential", "staggered", "burst"]);
        v["config"]["storage_sizes_mb"] = serde_json::json!([1.0, 4.0, 10.0, 16.0]);
        edit(v);
    });
    dir
}

fn compare_with_fixture(current: &std::path::Path, gate: Option<&str>) -> assert_cmd::assert::Assert {
    let mut cmd = cli();
    cmd.args([
        "compare",
        fixture("report-full.json").to_str().unwrap(),
        current.to_str().unwrap(),
    ]);
    if let Some(pct) = gate {
        cmd.args(["--fail-on-regression", pct]);
    }
    cmd.assert()
}

#[test]
fn a_selected_lifecycle_mode_missing_from_this_run_is_no_data_and_fails_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_selecting(tmp.path(), |v| {
        v["lifecycle"].as_object_mut().unwrap().remove("burst");
    });
    let row = "| Burst | TTI p95 | 720 ms | no data | no data in this run |";
    compare_with_fixture(&current, None)
        .success()
        .stdout(predicate::str::contains(row))
        .stdout(predicate::str::contains(
            "| Burst | success rate | 95.00 % | no data | no data in this run |",
        ));
    compare_with_fixture(&current, Some("1000"))
        .code(1)
        .stdout(predicate::str::contains("better").not())
        .stderr(predicate::str::contains(
            "regression: Burst TTI p95: no data in this run (baseline 720 ms, this run no data)",
        ))
        .stderr(predicate::str::contains("Sequential").not());
}

#[test]
fn a_mode_this_run_did_not_select_is_noted_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_selecting(tmp.path(), |v| {
        v["lifecycle"].as_object_mut().unwrap().remove("burst");
        v["config"]["lifecycle_modes"] = serde_json::json!(["sequential", "staggered"]);
    });
    compare_with_fixture(&current, Some("1"))
        .success()
        .stdout(predicate::str::contains("_Not compared: Burst (not run in this run)._"))
        .stdout(predicate::str::contains("| Burst |").not());
}

#[test]
fn an_empty_histogram_is_no_data_never_minus_100_percent_better() {
    let tmp = tempfile::tempdir().unwrap();
    // Every restore failed on infrastructure: the restore histogram is empty, its summary all zeros.
    let empty = serde_json::json!({"count": 0, "min": 0.0, "p50": 0.0, "p90": 0.0, "p95": 0.0,
        "p99": 0.0, "p999": 0.0, "max": 0.0, "mean": 0.0});
    let current = current_selecting(tmp.path(), |v| v["checkpoint"]["restore_ms"] = empty);
    compare_with_fixture(&current, None)
        .success()
        .stdout(predicate::str::contains(
            "| Checkpoint | restore p95 | 72.00 ms | no data | no data in this run |",
        ))
        .stdout(predicate::str::contains("-100.0%").not());
    compare_with_fixture(&current, Some("20"))
        .code(1)
        .stderr(predicate::str::contains("Checkpoint restore p95: no data in this run"));
    // The comment shows the same: no data, and the gate fails `publish` too.
    cli()
        .args(["publish", current.to_str().unwrap()])
        .args(["--baseline", fixture("report-full.json").to_str().unwrap()])
        .args(["--fail-on-regression", "20"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Checkpoint restore p95: no data"));
    let body = std::fs::read_to_string(current.join("comment.md")).unwrap();
    assert!(
        body.contains("| restore p95 | 72.00 ms | no data | no data in this run |"),
        "{body}"
    );
    assert!(!body.contains("-100.0%"), "{body}");
}

#[test]
fn a_selected_workload_missing_from_report_json_is_no_data_for_every_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let current = current_selecting(tmp.path(), |v| {
        v.as_object_mut().unwrap().remove("storage");
    });
    let out = compare_with_fixture(&current, Some("1000"))
        .code(1)
        .stderr(predicate::str::contains(
            "Storage 16 MB download p95: no data in this run",
        ))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for size in ["1", "4", "10", "16"] {
        for metric in ["upload", "download", "upload p95", "download p95"] {
            let row = format!("| Storage {size} MB | {metric} |");
            let line = out
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("no {row} in\n{out}"));
            assert!(line.ends_with("| no data | no data in this run |"), "{line}");
        }
    }
}
