//! `compare BASE CURRENT` and `--fail-on-regression` on reports whose histograms have known shifts
//! (built deterministically from the full fixture): every rule proven both ways at the exit code.

mod publish_support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use publish_support::{cli, edit_report, fixture, measured_run};

const N: u64 = 200;

fn compare(base: &Path, current: &Path, flags: &[&str]) -> assert_cmd::assert::Assert {
    cli()
        .args(["compare", base.to_str().unwrap(), current.to_str().unwrap()])
        .args(flags)
        .assert()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn row<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no row {start:?} in\n{out}"))
}

#[test]
fn a_known_shift_regresses_with_its_effect_and_interval_and_fails_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("lifecycle.burst.tti_ms", 1.3)]);
    let gated = compare(&base, &current, &["--fail-on-regression"]).code(1);
    let err = String::from_utf8(gated.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("regression: Burst TTI regressed: p") && err.contains("+30.") && err.contains("(95 % CI +"),
        "{err}"
    );
    let out = stdout(&gated);
    assert!(row(&out, "| Burst | TTI |").contains("🔴 **regressed**"), "{out}");
    assert!(out.contains("**Significant regressions (1):**"), "{out}");
    // Every other metric is the same distribution: unchanged.
    for section in ["Sequential", "Staggered"] {
        assert!(
            row(&out, &format!("| {section} | TTI |")).ends_with("| unchanged |"),
            "{out}"
        );
    }
    // Without the gate the same comparison is reported, and the exit code is 0.
    compare(&base, &current, &[])
        .success()
        .stdout(predicate::str::contains("🔴 **regressed**"));
}

#[test]
fn the_same_distributions_pass_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[]);
    let ok = compare(&base, &current, &["--fail-on-regression"]).success();
    assert!(!String::from_utf8_lossy(&ok.get_output().stderr).contains("regression"));
    let out = stdout(&ok);
    assert!(!out.contains("regressed") && !out.contains("improved"), "{out}");
    assert!(
        row(&out, "| Checkpoint | restore |").ends_with("| unchanged |"),
        "{out}"
    );
    assert!(
        row(&out, "| Storage 16 MB | download |").ends_with("| unchanged |"),
        "{out}"
    );
}

#[test]
fn an_improvement_is_reported_and_never_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("checkpoint.all.restore_ms", 0.7)]);
    let out = stdout(&compare(&base, &current, &["--fail-on-regression"]).success());
    assert!(
        row(&out, "| Checkpoint | restore |").contains("🟢 improved (p"),
        "{out}"
    );
}

#[test]
fn a_significant_shift_below_the_minimum_effect_is_unchanged_until_the_effect_is_lowered() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", 4000, &[]);
    let current = measured_run(tmp.path(), "current", 4000, &[("lifecycle.sequential.create_ms", 1.05)]);
    let out = stdout(&compare(&base, &current, &["--fail-on-regression"]).success());
    let line = row(&out, "| Sequential | create |");
    assert!(
        line.ends_with("| unchanged |"),
        "+5 % is below the default 10 %: {line}"
    );
    compare(&base, &current, &["--fail-on-regression", "--min-effect", "2"])
        .code(1)
        .stderr(predicate::str::contains("Sequential create regressed"));
}

#[test]
fn a_shift_below_the_minimum_milliseconds_is_unchanged_until_the_floor_is_lowered() {
    // Sequential destroy p50 5 ms: +15 % is 0.75 ms, above the 10 % but below the default 1 ms.
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", 1000, &[]);
    let current = measured_run(
        tmp.path(),
        "current",
        1000,
        &[("lifecycle.sequential.destroy_ms", 1.15)],
    );
    let out = stdout(&compare(&base, &current, &["--fail-on-regression"]).success());
    assert!(out.contains("minimum effect 10 % and 1 ms"), "{out}");
    let line = row(&out, "| Sequential | destroy |");
    assert!(line.ends_with("| unchanged |"), "0.75 ms is below 1 ms: {line}");
    compare(&base, &current, &["--fail-on-regression", "--min-effect-ms", "0.5"])
        .code(1)
        .stderr(
            predicate::str::contains("Sequential destroy regressed: p")
                .and(predicate::str::contains("+15.0 %, +0.").and(predicate::str::contains(" ms (95 % CI"))),
        );
    compare(&base, &current, &["--min-effect-ms", "-1"])
        .code(2)
        .stderr(predicate::str::contains("--min-effect-ms"));
}

#[test]
fn operations_measured_together_count_as_the_independent_samples_they_are_worth() {
    // Burst TTI +30 % on 200 samples a side: a regression when each was measured alone ...
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("lifecycle.burst.tti_ms", 1.3)]);
    compare(&base, &current, &["--fail-on-regression"])
        .code(1)
        .stderr(predicate::str::contains("Burst TTI regressed"));
    // ... and not testable when the reports say ~100 were in flight at once (≈2 a side): one
    // queue against another, whose run-to-run spread no test of 200 draws would allow for.
    for dir in [&base, &current] {
        edit_report(dir, |v| {
            v["histogram_overlap"] =
                serde_json::json!({"lifecycle.burst.tti_ms": 100.0, "lifecycle.sequential.tti_ms": 1.0});
        });
    }
    let ok = compare(&base, &current, &["--fail-on-regression"]).success();
    let out = stdout(&ok);
    let line = row(&out, "| Burst | TTI |");
    assert!(line.contains("n=200, ≈2 independent"), "{line}");
    assert!(
        line.contains(
            "incomparable: too few independent samples to test (baseline: 200 measured ≈100 at a time are worth ≈2"
        ),
        "{line}"
    );
    assert!(row(&out, "| Sequential | TTI |").ends_with("| unchanged |"), "{out}");
    assert!(String::from_utf8_lossy(&ok.get_output().stderr).contains("note: not judged: Burst TTI: incomparable"));
    // Every latency measured ~100 at a time: the gate tested nothing, so it is inconclusive.
    for dir in [&base, &current] {
        edit_report(dir, |v| {
            let keys: Vec<String> = v["histograms"].as_object().unwrap().keys().cloned().collect();
            v["histogram_overlap"] = keys.into_iter().map(|k| (k, serde_json::json!(100.0))).collect();
        });
    }
    compare(&base, &current, &["--fail-on-regression"])
        .code(3)
        .stderr(predicate::str::contains(
            "inconclusive: --fail-on-regression tested nothing: not one of the",
        ));
}

#[test]
fn too_few_samples_are_incomparable_and_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", 5, &[]);
    let current = measured_run(tmp.path(), "current", 5, &[("lifecycle.burst.tti_ms", 3.0)]);
    // Nothing could be tested: the gate says inconclusive (3), not pass.
    compare(&base, &current, &["--fail-on-regression"])
        .code(3)
        .stdout(predicate::str::contains(
            "incomparable: too few samples to test (5 and 5",
        ))
        .stderr(predicate::str::contains("note: not judged: Burst TTI: incomparable"));
}

#[test]
fn runs_of_different_profiles_are_incomparable_not_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("lifecycle.burst.tti_ms", 3.0)]);
    edit_report(&current, |v| v["profile"] = serde_json::json!("burst"));
    // The gate judged nothing: inconclusive (3), never a pass; without the gate, a report (0).
    compare(&base, &current, &["--fail-on-regression"])
        .code(3)
        .stdout(predicate::str::contains(
            "the runs are incomparable, different profiles (smoke and burst)",
        ))
        .stdout(predicate::str::contains("| Burst |").not())
        .stderr(predicate::str::contains(
            "inconclusive: --fail-on-regression tested nothing",
        ));
    compare(&base, &current, &[]).success();
}

#[test]
fn a_mode_of_another_size_is_noted_as_incomparable() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = current_selecting(tmp.path(), &[("lifecycle.burst.tti_ms", 3.0)], |v| {
        v["config"]["burst_size"] = serde_json::json!(500)
    });
    edit_report(&base, select_everything);
    compare(&base, &current, &["--fail-on-regression"])
        .success()
        .stdout(predicate::str::contains(
            "Burst (incomparable: burst of 10 in the baseline, burst of 500 in this run)",
        ))
        .stdout(predicate::str::contains("| Burst |").not());
}

fn select_everything(v: &mut serde_json::Value) {
    v["config"]["workloads"] = serde_json::json!(["checkpoint", "lifecycle", "storage"]);
    v["config"]["lifecycle_modes"] = serde_json::json!(["sequential", "staggered", "burst"]);
    v["config"]["storage_sizes_mb"] = serde_json::json!([1.0, 4.0, 10.0, 16.0]);
    v["config"]["lifecycle_count"] = serde_json::json!(10);
    v["config"]["burst_size"] = serde_json::json!(10);
}

/// A current run that recorded what it selected (as every run of this version does), with
/// histograms and `edit` applied on top.
fn current_selecting(parent: &Path, scaled: &[(&str, f64)], edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let dir = measured_run(parent, "current", N, scaled);
    edit_report(&dir, |v| {
        select_everything(v);
        edit(v);
    });
    dir
}

#[test]
fn a_selected_mode_missing_from_this_run_is_no_data_never_improved_and_fails_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = current_selecting(tmp.path(), &[], |v| {
        v["lifecycle"].as_object_mut().unwrap().remove("burst");
        let hists = v["histograms"].as_object_mut().unwrap();
        hists.retain(|k, _| !k.starts_with("lifecycle.burst."));
    });
    let out = stdout(&compare(&base, &current, &[]).success());
    for metric in ["create", "first command", "TTI", "destroy", "success rate"] {
        let line = row(&out, &format!("| Burst | {metric} |"));
        assert!(
            line.contains("| no data |") && line.ends_with("| ⚠️ no data in this run |"),
            "{line}"
        );
    }
    assert!(!out.contains("improved"), "{out}");
    compare(&base, &current, &["--fail-on-regression"])
        .code(1)
        .stderr(predicate::str::contains(
            "regression: Burst TTI: no data in this run (baseline n=200, this run no data), so a regression cannot be ruled out",
        ))
        .stderr(predicate::str::contains("Sequential").not());
}

#[test]
fn a_mode_this_run_did_not_select_is_noted_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = current_selecting(tmp.path(), &[], |v| {
        v["lifecycle"].as_object_mut().unwrap().remove("burst");
        v["config"]["lifecycle_modes"] = serde_json::json!(["sequential", "staggered"]);
    });
    compare(&base, &current, &["--fail-on-regression"])
        .success()
        .stdout(predicate::str::contains("_Not compared: Burst (not run in this run)._"))
        .stdout(predicate::str::contains("| Burst |").not());
}

#[test]
fn an_empty_histogram_is_no_data_never_minus_100_percent_better() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    // Every restore failed on infrastructure: the restore histogram is empty, its summary all zeros.
    let current = current_selecting(tmp.path(), &[], |v| {
        let empty = stress_action::report::encode_histogram(&stress_action::report::new_histogram());
        v["histograms"]["checkpoint.all.restore_ms"] = serde_json::json!(empty);
        v["checkpoint"]["restore_ms"] = serde_json::json!({"count": 0, "min": 0.0, "p50": 0.0, "p90": 0.0,
            "p95": 0.0, "p99": 0.0, "p999": 0.0, "max": 0.0, "mean": 0.0});
    });
    let out = stdout(&compare(&base, &current, &[]).success());
    assert!(
        row(&out, "| Checkpoint | restore |").ends_with("| ⚠️ no data in this run |"),
        "{out}"
    );
    assert!(!out.contains("-100"), "{out}");
    compare(&base, &current, &["--fail-on-regression"])
        .code(1)
        .stderr(predicate::str::contains("Checkpoint restore: no data in this run"));
    // The comment says the same, and the gate fails `publish` too.
    cli()
        .args(["publish", current.to_str().unwrap()])
        .args(["--baseline", base.to_str().unwrap(), "--fail-on-regression"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Checkpoint restore: no data"));
    let body = std::fs::read_to_string(current.join("comment.md")).unwrap();
    assert!(
        body.contains("⚠️ **Checkpoint restore**: no data in this run, so a regression cannot be ruled out"),
        "{body}"
    );
    assert!(!body.contains("-100"), "{body}");
}

#[test]
fn a_selected_workload_missing_from_report_json_is_no_data_for_every_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = current_selecting(tmp.path(), &[], |v| {
        v.as_object_mut().unwrap().remove("storage");
        v["histograms"]
            .as_object_mut()
            .unwrap()
            .retain(|k, _| !k.starts_with("storage."));
    });
    let out = stdout(
        &compare(&base, &current, &["--fail-on-regression"])
            .code(1)
            .stderr(predicate::str::contains("Storage 16 MB download: no data in this run")),
    );
    for size in ["1", "4", "10", "16"] {
        for metric in ["upload", "download"] {
            let line = row(&out, &format!("| Storage {size} MB | {metric} |"));
            assert!(line.ends_with("| ⚠️ no data in this run |"), "{line}");
        }
    }
}

#[test]
fn an_older_baseline_without_histograms_is_incomparable_not_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let current = measured_run(tmp.path(), "current", N, &[("checkpoint.all.restore_ms", 5.0)]);
    let out = stdout(
        &cli()
            .args(["compare", fixture("report-checkpoint-only.json").to_str().unwrap()])
            .arg(&current)
            .arg("--fail-on-regression")
            .assert()
            // The only latency is untestable: the gate tested nothing, inconclusive, not a pass.
            .code(3),
    );
    assert!(
        row(&out, "| Checkpoint | restore |").ends_with("| incomparable: no histogram in the baseline |"),
        "{out}"
    );
    assert!(!out.contains("| Burst |"), "{out}");
}

#[test]
fn a_number_after_fail_on_regression_is_the_minimum_effect_with_a_deprecation_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let plus15 = measured_run(tmp.path(), "plus15", N, &[("lifecycle.burst.tti_ms", 1.15)]);
    let plus40 = measured_run(tmp.path(), "plus40", N, &[("lifecycle.burst.tti_ms", 1.4)]);
    let warning = "warning: --fail-on-regression 20 is deprecated";
    compare(&base, &plus15, &["--fail-on-regression", "20"])
        .success()
        .stderr(predicate::str::contains(warning))
        .stderr(predicate::str::contains("--fail-on-regression --min-effect 20"));
    compare(&base, &plus40, &["--fail-on-regression", "20"])
        .code(1)
        .stderr(predicate::str::contains(warning))
        .stderr(predicate::str::contains("Burst TTI regressed"));
    // At the default 10 %, +15 % is a regression.
    compare(&base, &plus15, &["--fail-on-regression"]).code(1);
    compare(&base, &plus15, &["--fail-on-regression", "false"]).success();
}

#[test]
fn bad_inputs_are_usage_errors_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    cli()
        .args([
            "compare",
            tmp.path().join("nope").to_str().unwrap(),
            base.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read report"));
    for (flags, field) in [
        (&["--fail-on-regression", "-5"][..], "--fail-on-regression"),
        (&["--fail-on-regression", "lots"][..], "--fail-on-regression"),
        (&["--alpha", "2"][..], "--alpha"),
        (&["--alpha", "0"][..], "--alpha"),
        (&["--min-effect", "-1"][..], "--min-effect"),
        (
            &["--fail-on-regression", "20", "--min-effect", "10"][..],
            "--fail-on-regression",
        ),
    ] {
        compare(&base, &base, flags)
            .code(2)
            .stderr(predicate::str::contains(field));
    }
}

#[test]
fn publish_leads_the_comment_with_the_regression_and_folds_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("lifecycle.burst.tti_ms", 1.5)]);
    cli()
        .args([
            "publish",
            current.to_str().unwrap(),
            "--baseline",
            base.to_str().unwrap(),
        ])
        .arg("--fail-on-regression")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("regression: Burst TTI regressed"));
    let body = std::fs::read_to_string(current.join("comment.md")).unwrap();
    let lead = body
        .find("🔴 **Burst TTI** regressed: p")
        .unwrap_or_else(|| panic!("{body}"));
    let modes = body.find("### Lifecycle").unwrap();
    let details = body.find("<details>").unwrap();
    assert!(
        lead < modes && modes < details,
        "regressions, then the modes, then details: {body}"
    );
    assert!(
        body.contains("**Against the baseline:** 1 significant regression in"),
        "{body}"
    );
    assert!(
        body.contains("<summary>Every metric against the baseline</summary>"),
        "{body}"
    );
    assert!(current.join("comparison.md").is_file());
}

#[test]
fn run_with_a_baseline_writes_the_comparison_and_keeps_its_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, baseline: Option<&Path>| {
        let out = tmp.path().join(name);
        let mut cmd = cli();
        cmd.args([
            "run",
            "-q",
            "-n",
            "12",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "3",
        ])
        .args(["--workload", "checkpoint", "--out", out.to_str().unwrap()]);
        if let Some(b) = baseline {
            cmd.args(["--baseline", b.to_str().unwrap()]);
        }
        cmd.assert().success();
        out
    };
    let base = run("base", None);
    let current = run("current", Some(&base));
    let cmp = std::fs::read_to_string(current.join("comparison.md")).unwrap();
    assert!(cmp.contains("| Checkpoint | restore | n=12"), "{cmp}");
    assert!(
        !cmp.contains("Burst"),
        "a checkpoint-only run has no lifecycle rows: {cmp}"
    );
    // Another size is not compared, and says so.
    let other = tmp.path().join("other");
    cli()
        .args([
            "run",
            "-q",
            "-n",
            "10",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "3",
        ])
        .args(["--workload", "checkpoint", "--out", other.to_str().unwrap()])
        .args(["--baseline", base.to_str().unwrap()])
        .assert()
        .success();
    let cmp = std::fs::read_to_string(other.join("comparison.md")).unwrap();
    assert!(
        cmp.contains("Checkpoint (incomparable: 12 restores in 1 rounds"),
        "{cmp}"
    );
    // The same run gated on regressions: nothing could be compared, so the gate is inconclusive
    // (3), not green, while the run's own verdict in report.json stays its own (pass).
    let gated = tmp.path().join("gated");
    cli()
        .args([
            "run",
            "-q",
            "-n",
            "10",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "3",
        ])
        .args(["--workload", "checkpoint", "--out", gated.to_str().unwrap()])
        .args(["--baseline", base.to_str().unwrap(), "--fail-on-regression"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "inconclusive: --fail-on-regression tested nothing",
        ));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(gated.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "pass");
}

#[test]
fn schema_version_1_histograms_still_compare() {
    let tmp = tempfile::tempdir().unwrap();
    let base = measured_run(tmp.path(), "base", N, &[]);
    let current = measured_run(tmp.path(), "current", N, &[("lifecycle.sequential.tti_ms", 2.0)]);
    // Re-encode the baseline's histograms the way version 1 wrote them (uncompressed V2).
    edit_report(&base, |v| {
        v["schema_version"] = serde_json::json!(1);
        for (_, h) in v["histograms"].as_object_mut().unwrap() {
            let hist = stress_action::report::decode_histogram(h.as_str().unwrap()).unwrap();
            let mut buf = Vec::new();
            hdrhistogram::serialization::Serializer::serialize(
                &mut hdrhistogram::serialization::V2Serializer::new(),
                &hist,
                &mut buf,
            )
            .unwrap();
            *h = serde_json::json!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, buf));
        }
    });
    compare(&base, &current, &["--fail-on-regression"])
        .code(1)
        .stderr(predicate::str::contains("Sequential TTI regressed"));
}

#[test]
fn the_stress_toml_key_reads_like_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let quick = [
        "run",
        "-q",
        "--workload",
        "lifecycle",
        "--modes",
        "sequential",
        "--lifecycle-count",
        "10",
    ];
    cli()
        .args(quick)
        .args(["--out", base.to_str().unwrap()])
        .assert()
        .code(0);
    let with_config = |name: &str, key: &str| {
        let config = tmp.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[publish]\nenabled = false\nbaseline = {:?}\nfail-on-regression = {key}\n",
                base.to_str().unwrap()
            ),
        )
        .unwrap();
        cli()
            .args(quick)
            .args(["--config", config.to_str().unwrap()])
            .args(["--out", tmp.path().join(name).to_str().unwrap()])
            .assert()
    };
    // A number is the old percent: taken as the minimum effect, with the same warning as the flag.
    let number = with_config("number", "20");
    let code = number.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "{code:?}");
    number.stderr(predicate::str::contains("--fail-on-regression 20 is deprecated"));
    let switch = with_config("switch", "true");
    let code = switch.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "{code:?}");
    switch.stderr(predicate::str::contains("deprecated").not());
    with_config("bad", "\"lots\"")
        .code(2)
        .stderr(predicate::str::contains("fail-on-regression"));
}
