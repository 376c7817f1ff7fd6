//! A linear ramp through the real CLI against the real `serve` over 127.0.0.1: the arrival rate
//! rises continuously (every half-second window launches more than the one before, also within a
//! step, where a stepped ramp holds its rate), the steps the knee is judged on offer the mean rate
//! over them, and a shape that does not exist is exit 2 naming `--ramp-shape`.

mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::ServeChild;
use support::{assert_accounting, read_report};

fn run(url: &str, out: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "-q", "--seed", "7", "--provider", "http", "--endpoint", url])
        .args(["--workload", "lifecycle"])
        .args(args)
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), stderr)
}

fn counts(values: &[Value], field: &str) -> Vec<u64> {
    values.iter().map(|v| v[field].as_u64().unwrap()).collect()
}

#[test]
fn a_linear_ramp_launches_more_in_every_window_and_offers_each_steps_mean() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // A lenient SLO: what is under test is when sandboxes arrive, not how fast this machine is.
    let ramp = [
        "--ramp",
        "6/s..30/s",
        "--over",
        "6s",
        "--ramp-steps",
        "3",
        "--window",
        "1s",
        "--slo",
        "p95_tti<=30s,success>=50%",
    ];
    let (code, stderr) = run(
        &server.url,
        dir.path(),
        &[&ramp[..], &["--ramp-shape", "linear"]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(dir.path());
    assert_accounting(&report);
    assert!(
        report["config"]["ramp"].as_str().unwrap().ends_with("linear"),
        "{}",
        report["config"]["ramp"]
    );
    // The steps are judged at the mean rate over each: 10, 18, 26 a second.
    let steps = report["lifecycle"]["capacity"]["steps"].as_array().unwrap();
    let offered: Vec<f64> = steps.iter().map(|s| s["offered_per_s"].as_f64().unwrap()).collect();
    assert_eq!(offered, [10.0, 18.0, 26.0]);

    // 6/s rising to 30/s: Λ(t) = 6 t + 2 t², so each second launches 4 more than the one before
    // (8, 12, 16, 20, 24, 28), also within a step.
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    let launched = counts(&windows[..windows.len().min(6)], "launched");
    assert!(launched.len() >= 6, "{launched:?}");
    assert!(
        launched.windows(2).all(|w| w[1] > w[0]),
        "arrivals per window must rise: {launched:?}"
    );
    // Per step 20, 36 and 52 on time (a loaded machine launches some late).
    let per_step = counts(steps, "launched");
    assert!(
        per_step.windows(2).all(|w| w[1] > w[0]),
        "launched per step {per_step:?}"
    );
    assert!(per_step.iter().sum::<u64>() >= 97, "about 108 in all: {per_step:?}");

    // A stepped ramp holds its rate within a step: the two seconds of a step launch alike (6, 18, 30).
    let stepped = dir.path().join("stepped");
    let (code, stderr) = run(&server.url, &stepped, &ramp);
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(&stepped);
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    let halves = counts(&windows[..windows.len().min(6)], "launched");
    let pairs: Vec<&[u64]> = halves.chunks_exact(2).collect();
    let flat = pairs.iter().filter(|h| h[0].abs_diff(h[1]) <= 1).count();
    assert!(
        pairs.len() == 3 && flat >= 2,
        "a stepped ramp's seconds within a step match: {halves:?}"
    );
}

#[test]
fn an_unknown_ramp_shape_is_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let (code, stderr) = run(
        "http://127.0.0.1:9",
        &out,
        &["--ramp", "10/s..50/s", "--over", "20s", "--ramp-shape", "curved"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--ramp-shape"), "{stderr}");
    assert!(!out.join("report.json").exists());
}
