//! `--threshold` through the binary, against a real `serve` and the local provider: a threshold that
//! holds passes with the measured value, the same metric with an impossible limit fails naming it, a
//! metric without data is inconclusive, a typo is exit 2 before anything runs, stress.toml's
//! `thresholds` works, and injected latency is what the threshold measures.

mod serve_support;
mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::{ServeArgs, Server};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("STRESS_ACTION_TOKEN");
    cmd
}

/// Five sequential sandboxes (the lifecycle workload unless `extra` picks others), with one
/// `--threshold` per entry of `thresholds`.
fn run(endpoint: Option<&str>, out: &Path, thresholds: &[&str], extra: &[&str]) -> (i32, Value) {
    let mut cmd = stress();
    cmd.args([
        "run",
        "--quiet",
        "--seed",
        "5",
        "--modes",
        "sequential",
        "--lifecycle-count",
        "5",
    ]);
    if !extra.contains(&"--workload") {
        cmd.args(["--workload", "lifecycle"]);
    }
    if let Some(url) = endpoint {
        cmd.args(["--provider", "http", "--endpoint", url]);
    }
    for t in thresholds {
        cmd.args(["--threshold", t]);
    }
    let output = cmd.args(extra).arg("--out").arg(out).output().unwrap();
    let code = output.status.code().expect("exited");
    assert!(
        out.join("report.json").is_file(),
        "exit {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = read_report(out);
    assert_accounting(&report);
    (code, report)
}

fn reasons(report: &Value) -> Vec<String> {
    report["verdict_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_threshold_that_holds_passes_and_an_impossible_limit_on_the_same_metric_fails() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run(
        Some(&server.url),
        &dir.path().join("holds"),
        &["lifecycle.sequential.tti.p95 < 60s"],
        &[],
    );
    assert_eq!(code, 0, "{:?}", reasons(&report));
    let t = &report["thresholds"][0];
    assert_eq!(t["expr"], "lifecycle.sequential.tti.p95 < 60s");
    assert_eq!(t["ok"], true);
    // The value is the report's own p95 (same histogram), in the unit the expression used (s).
    let p95_ms = report["lifecycle"]["sequential"]["tti_ms"]["p95"].as_f64().unwrap();
    let value = t["value"].as_f64().unwrap();
    assert!(
        value > 0.0 && (value * 1000.0 - p95_ms).abs() < 0.01,
        "{value} s vs {p95_ms} ms"
    );
    assert!(
        t["measured"].as_str().unwrap().ends_with(" s (p95 of 5 samples)"),
        "{t}"
    );
    assert_eq!(report["config"]["thresholds"][0], "lifecycle.sequential.tti.p95 < 60s");

    let impossible = "lifecycle.sequential.tti.p95 < 0.001ms";
    let out = dir.path().join("crossed");
    let (code, report) = run(Some(&server.url), &out, &[impossible], &[]);
    assert_eq!(code, 1, "{:?}", reasons(&report));
    let t = &report["thresholds"][0];
    assert_eq!(t["ok"], false);
    let measured = t["measured"].as_str().unwrap();
    assert!(measured.ends_with(" ms (p95 of 5 samples)"), "{measured}");
    assert_eq!(report["workloads"]["lifecycle"]["verdict"], "fail");
    assert_eq!(
        reasons(&report),
        vec![format!(
            "lifecycle: threshold `{impossible}` crossed: measured {measured}"
        )]
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let row = format!("| lifecycle.sequential.tti.p95 &lt; 0.001ms | {measured} | ❌ crossed |");
    assert!(summary.contains(&row), "{summary}");
    let log = std::fs::read_to_string(out.join("run.log")).unwrap();
    assert!(
        log.contains(&format!("crossed: {impossible}: measured {measured}")),
        "{log}"
    );

    // `report DIR` re-renders from report.json and leaves it as it was.
    let before = std::fs::read(out.join("report.json")).unwrap();
    std::fs::remove_file(out.join("summary.md")).unwrap();
    stress().arg("report").arg(&out).assert().code(0);
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);
    assert!(std::fs::read_to_string(out.join("summary.md")).unwrap().contains(&row));
}

#[test]
fn injected_create_latency_is_what_the_threshold_measures() {
    let server = Server::start(ServeArgs {
        fault_latency_ms: Some("30".into()),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run(
        Some(&server.url),
        &dir.path().join("run"),
        &[
            "lifecycle.sequential.create.p50 > 25ms",
            "lifecycle.sequential.create.p50 < 25ms",
        ],
        &[],
    );
    assert_eq!(code, 1, "{:?}", reasons(&report));
    let (holds, crossed) = (&report["thresholds"][0], &report["thresholds"][1]);
    assert_eq!(holds["ok"], true, "{holds}");
    assert_eq!(crossed["ok"], false, "{crossed}");
    let p50 = holds["value"].as_f64().unwrap();
    assert!(p50 >= 30.0, "the injected 30 ms are in the measured create: {p50}");
    assert_eq!(holds["value"], crossed["value"], "one metric, one measurement");
    assert_eq!(
        reasons(&report),
        vec![format!(
            "lifecycle: threshold `lifecycle.sequential.create.p50 < 25ms` crossed: measured {}",
            crossed["measured"].as_str().unwrap()
        )]
    );
}

#[test]
fn a_burst_threshold_when_only_sequential_ran_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run(None, &dir.path().join("run"), &["lifecycle.burst.tti.p95 < 2s"], &[]);
    assert_eq!(code, 3, "{:?}", reasons(&report));
    assert_eq!(report["verdict"], "inconclusive");
    let t = &report["thresholds"][0];
    assert_eq!((t["ok"].clone(), t["value"].clone()), (Value::Bool(false), Value::Null));
    assert_eq!(
        reasons(&report),
        vec!["lifecycle: threshold `lifecycle.burst.tti.p95 < 2s` has no data: lifecycle mode burst did not run"]
    );
    let summary = std::fs::read_to_string(dir.path().join("run/summary.md")).unwrap();
    assert!(
        summary.contains("| lifecycle.burst.tti.p95 &lt; 2s | lifecycle mode burst did not run | ⚠️ no data |"),
        "{summary}"
    );
}

#[test]
fn a_typo_or_bad_unit_is_exit_2_naming_it_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let cases = [
        (
            "lifecycle.bust.tti.p95 < 2s",
            "invalid --threshold: unknown metric \"lifecycle.bust.tti.p95\" (did you mean lifecycle.burst.tti.p95?)",
        ),
        ("lifecycle.burst.tti.p95 < 2min", "unknown unit \"min\""),
        ("lifecycle.burst.tti.p95 < 2", "a latency: write the value in ms or s"),
        ("lifecycle.burst.tti.p95 = 2s", "unknown operator \"=\""),
        ("retries.create.rate < 5", "write 5% for a percent"),
    ];
    for (expr, says) in cases {
        let output = stress()
            .args([
                "run",
                "--threshold",
                "checkpoint.restore.p95 < 1s",
                "--threshold",
                expr,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{expr}: {stderr}");
        assert!(stderr.contains(says), "{expr}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists(), "nothing ran");
}

#[test]
fn thresholds_in_stress_toml_work_and_flags_replace_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("stress.toml");
    std::fs::write(
        &config,
        "thresholds = [\n  \"lifecycle.sequential.success_rate >= 100%\",\n  \"lifecycle.sequential.tti.p99 < 0.001ms\",\n]\n",
    )
    .unwrap();
    let config_arg = ["--config", config.to_str().unwrap()];
    let (code, report) = run(None, &dir.path().join("file"), &[], &config_arg);
    assert_eq!(code, 1, "{:?}", reasons(&report));
    let results = report["thresholds"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ok"], true, "{}", results[0]);
    assert_eq!(results[0]["value"], 100.0, "a percent, as written");
    assert_eq!(results[1]["ok"], false);

    let flag = "lifecycle.sequential.tti.p99 < 60s";
    let (code, report) = run(None, &dir.path().join("flag"), &[flag], &config_arg);
    assert_eq!(code, 0, "{:?}", reasons(&report));
    assert_eq!(
        report["config"]["thresholds"],
        serde_json::json!([flag]),
        "the flag replaces the list"
    );

    std::fs::write(
        &config,
        "thresholds = [\"lifecycle.sequential.tti.p99 < 1 fortnight\"]\n",
    )
    .unwrap();
    stress()
        .args(["run", "--config", config.to_str().unwrap(), "--out"])
        .arg(dir.path().join("never"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid --threshold"))
        .stderr(predicates::str::contains("unknown unit \"fortnight\""));
    assert!(!dir.path().join("never").exists());
}

#[test]
fn every_unit_and_kind_of_metric_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let exprs = [
        "lifecycle.sequential.tti.p95 < 60s",
        "lifecycle.sequential.create.max <= 60000ms",
        "lifecycle.sequential.success_rate >= 100%",
        "lifecycle.infra_rate <= 0",
        "lifecycle.leaked <= 0",
        "storage.upload.p50 < 60s",
        "storage.download.p99 < 60000ms",
        "storage.upload.mbps > 0.001MB/s",
        "storage.download.mbps > 0.001",
        "checkpoint.restore.p95 < 60s",
        "checkpoint.verify.max < 60s",
    ];
    let extra = [
        "--workload",
        "checkpoint,lifecycle,storage",
        "-n",
        "2",
        "--marker-size",
        "1",
    ];
    let (code, report) = run(None, &dir.path().join("run"), &exprs, &extra);
    assert_eq!(code, 0, "{:?} {}", reasons(&report), report["thresholds"]);
    let results = report["thresholds"].as_array().unwrap();
    assert_eq!(results.len(), exprs.len());
    for (t, expr) in results.iter().zip(exprs) {
        assert_eq!(t["expr"], expr);
        assert_eq!(t["ok"], true, "{t}");
        assert!(t["value"].is_number(), "{t}");
    }
    let value = |i: usize| results[i]["value"].as_f64().unwrap();
    assert_eq!(value(2), 100.0, "percent as written");
    assert_eq!((value(3), value(4)), (0.0, 0.0));
    // Storage over all sizes: the smoke run's 3 transfers of 1 MB, in MB/s whichever way written.
    assert!(
        results[7]["measured"].as_str().unwrap().contains("(3 MB in "),
        "{}",
        results[7]
    );
    assert!(
        results[8]["measured"].as_str().unwrap().contains(" MB/s (3 MB in "),
        "{}",
        results[8]
    );
    let restore_p95 = report["checkpoint"]["restore_ms"]["p95"].as_f64().unwrap();
    assert!(
        (value(9) * 1000.0 - restore_p95).abs() < 0.01,
        "{} vs {restore_p95}",
        value(9)
    );
}
