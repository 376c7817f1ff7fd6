//! Timed runs and the capacity search through the real CLI against the real `serve` binary over
//! 127.0.0.1: a duration at a rate launches rate x duration sandboxes, every one verified, cut into
//! windows that merge exactly into the totals; a server that fails shows it per window; a server
//! with a known ceiling (`--fault-capacity`) puts the knee of a ramp where the ceiling is, and the
//! ramp stops past it; the flags refuse nonsense with exit 2 naming the flag.
//!
//! Durations are a few seconds: the full-length checks (20 s at 20/s, a 40 s ramp to 800/s) are
//! the `#[ignore]`d tests at the end and `scripts/bench soak`.

mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::ServeChild;
use stress_action::report::{decode_histogram, new_histogram, LatencySummary};
use support::cli::assert_matches_schema;
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// `run -q --provider http --workload lifecycle` against `url` with `args`; (exit code, stderr).
fn run(url: &str, out: &Path, args: &[&str]) -> (i32, String) {
    let output = stress()
        .args(["run", "-q", "--seed", "7", "--provider", "http", "--endpoint", url])
        .args(["--workload", "lifecycle"])
        .args(args)
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(180))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let code = output.status.code().unwrap_or_else(|| panic!("run killed: {stderr}"));
    (code, stderr)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The windows' histograms of `key` merged, against the run's own histogram of `key`.
fn assert_windows_merge_into_the_total(report: &Value, key: &str) {
    let mut merged = new_histogram();
    for w in report["timeseries"]["windows"].as_array().unwrap() {
        if let Some(text) = w["latency"][key]["histogram"].as_str() {
            merged.add(decode_histogram(text).unwrap()).unwrap();
        }
    }
    let total = decode_histogram(report["histograms"][key].as_str().unwrap()).unwrap();
    assert_eq!(
        LatencySummary::from_histogram(&merged),
        LatencySummary::from_histogram(&total),
        "{key}: the windows must merge exactly into the total"
    );
}

#[test]
fn a_timed_run_launches_rate_times_duration_and_verifies_every_one() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        &server.url,
        dir.path(),
        &["--duration", "3s", "--rate", "20/s", "--window", "1s"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(dir.path());
    assert_accounting(&report);
    assert_matches_schema("a timed run", &report);
    let staggered = &report["lifecycle"]["staggered"];
    let count = n(&staggered["count"]);
    assert!((54..=66).contains(&count), "3 s at 20/s is 60 sandboxes, got {count}");
    assert_eq!(n(&staggered["status"]["success"]), count, "every sandbox verified");
    assert_eq!(n(&report["workloads"]["lifecycle"]["verified"]), count);
    assert!(
        report["lifecycle"].get("sequential").is_none(),
        "a timed run is the open model"
    );
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    assert!(windows.len() >= 3, "3 s in 1 s windows: {}", windows.len());
    let ended: u64 = windows.iter().map(|w| n(&w["ended"])).sum();
    let launched: u64 = windows.iter().map(|w| n(&w["launched"])).sum();
    assert_eq!((ended, launched), (count, count), "every sandbox in exactly one window");
    assert!(windows.iter().any(|w| n(&w["alive"]) > 0));
    assert!(windows.iter().any(|w| w["rss_mb"].as_f64().is_some_and(|m| m > 0.0)));
    for key in ["lifecycle.staggered.tti_ms", "lifecycle.staggered.create_ms"] {
        assert_windows_merge_into_the_total(&report, key);
    }
    assert_eq!(report["config"]["rate_per_s"], 20.0);
    assert_eq!(report["config"]["duration_s"], 3.0);
}

#[test]
fn a_failing_server_shows_in_the_windows_and_the_verdict() {
    // A 400 is not retried: every injected error is a failed sandbox.
    let server = ServeChild::start(&[
        "--fault-error-rate",
        "0.5",
        "--fault-status",
        "400",
        "--fault-ops",
        "create",
        "--fault-seed",
        "3",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        &server.url,
        dir.path(),
        &["--duration", "2s", "--rate", "20/s", "--window", "1s"],
    );
    assert_eq!(code, 3, "half the creates fail: inconclusive. {stderr}");
    let report = read_report(dir.path());
    assert_accounting(&report);
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    let infra: u64 = windows.iter().map(|w| n(&w["infra"])).sum();
    assert_eq!(infra, n(&report["workloads"]["lifecycle"]["infra"]));
    assert!(infra >= 10, "{infra}");
    let ended: u64 = windows.iter().map(|w| n(&w["ended"])).sum();
    let verified: u64 = windows.iter().map(|w| n(&w["verified"])).sum();
    assert!(verified * 10 < ended * 8, "success over the windows {verified}/{ended}");
    assert!(windows
        .iter()
        .any(|w| w["success_rate"].as_f64().is_some_and(|s| s < 1.0)));
}

#[test]
fn poisson_arrivals_and_a_shard_take_their_share_of_the_rate() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        &server.url,
        dir.path(),
        &["--duration", "3s", "--rate", "20/s", "--arrivals", "poisson"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(dir.path());
    let count = n(&report["lifecycle"]["staggered"]["count"]);
    assert!((35..=90).contains(&count), "Poisson with mean 60: {count}");
    assert_eq!(report["config"]["arrivals"], "poisson");

    let shard = dir.path().join("shard");
    let (code, stderr) = run(
        &server.url,
        &shard,
        &["--duration", "2s", "--rate", "20/s", "--shard", "1/2", "--group", "g"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(&shard);
    let count = n(&report["lifecycle"]["staggered"]["count"]);
    assert!((18..=22).contains(&count), "half of 20/s for 2 s: {count}");
    assert_eq!(report["config"]["rate_per_s"], 10.0);
}

/// A ramp from 10/s to 80/s over 12 s (1.5 s steps) against a server taking `capacity` creates of 250 ms at once.
fn ramp_against(capacity: &str, out: &Path) -> Value {
    let server = ServeChild::start(&[
        "--fault-capacity",
        capacity,
        "--fault-latency-ms",
        "250",
        "--fault-ops",
        "create",
    ]);
    let (code, stderr) = run(
        &server.url,
        out,
        &["--ramp", "10/s..80/s", "--over", "12s", "--ramp-steps", "8"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(out);
    assert_accounting(&report);
    assert_matches_schema("a ramp", &report);
    report
}

#[test]
fn the_knee_lands_at_the_servers_capacity_and_the_ramp_stops_past_it() {
    let dir = tempfile::tempdir().unwrap();
    // 10 at once x 250 ms: at most 40 creates a second.
    let report = ramp_against("10", dir.path());
    let capacity = &report["lifecycle"]["capacity"];
    let knee = capacity["knee"]["offered_per_s"].as_f64().unwrap();
    assert!((30.0..=50.0).contains(&knee), "knee {knee}/s, ceiling 40/s: {capacity}");
    assert_eq!(capacity["stopped_early"], true, "{capacity}");
    let steps = capacity["steps"].as_array().unwrap();
    assert!(steps.len() < 8, "stopped before the last step: {}", steps.len());
    let last_two: Vec<bool> = steps[steps.len() - 2..]
        .iter()
        .map(|s| s["keeps_up"] == true && s["slo_holds"] == true)
        .collect();
    assert_eq!(last_two, [false, false], "two failed steps past the knee ended it");
    assert!(steps[0]["achieved_per_s"].as_f64().unwrap() >= 9.5, "{}", steps[0]);

    // A lower ceiling, a lower knee: the search measures the server, not the schedule. 6 x 250 ms
    // is 24/s, between two steps, so the knee is the 20/s step (a step right at a ceiling is a
    // coin toss: with no headroom, the queue's p95 may or may not double).
    let lower = ramp_against("6", &dir.path().join("lower"));
    let knee = lower["lifecycle"]["capacity"]["knee"]["offered_per_s"]
        .as_f64()
        .unwrap();
    assert!((18.0..=30.0).contains(&knee), "knee {knee}/s, ceiling 24/s");
}

#[test]
fn drift_and_the_sustainable_rate_are_thresholds() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        &server.url,
        dir.path(),
        &[
            "--duration",
            "3s",
            "--rate",
            "30/s",
            "--window",
            "500ms",
            "--threshold",
            "lifecycle.staggered.tti.drift < 100",
            "--threshold",
            "lifecycle.sustainable_rate > 1",
        ],
    );
    // The drift is measured and holds; the sustainable rate needs a ramp: no data, inconclusive.
    assert_eq!(code, 3, "{stderr}");
    let report = read_report(dir.path());
    let t = report["thresholds"].as_array().unwrap();
    assert_eq!(t[0]["ok"], true, "{}", t[0]);
    let drift = report["timeseries"]["trends"]["lifecycle.staggered.tti_ms"]["drift"].as_f64();
    assert_eq!(t[0]["value"].as_f64(), drift, "the threshold reads the trend");
    assert!(t[1]["value"].is_null() && t[1]["ok"] == false, "{}", t[1]);

    let crossed = dir.path().join("crossed");
    let (code, _) = run(
        &server.url,
        &crossed,
        &[
            "--duration",
            "3s",
            "--rate",
            "30/s",
            "--window",
            "500ms",
            "--threshold",
            "lifecycle.staggered.tti.drift < 0.01",
        ],
    );
    assert_eq!(code, 1, "a drift threshold no run can meet fails the run");
}

#[test]
fn nonsense_pacing_is_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--duration", "0s"], "--duration"),
        (&["--duration", "5s", "--rate", "0/s"], "--rate"),
        (&["--ramp", "10/s..5/s", "--over", "10s"], "--ramp"),
        (&["--ramp", "10/s..50/s"], "--over"),
        (&["--duration", "5s", "--modes", "burst"], "--modes"),
        (&["--duration", "5s", "--arrivals", "bursty"], "--arrivals"),
        (&["--rate", "5/s"], "--rate"),
        (&["--duration", "5s", "--window", "0s"], "--window"),
        (&["--ramp", "10/s..50/s", "--over", "10s", "--slo", "p99<=2x"], "--slo"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (args, flag) in cases {
        let out = dir.path().join("never");
        let (code, stderr) = run("http://127.0.0.1:9", &out, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} must name {flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.join("report.json").exists());
    }
    let contention = stress()
        .args([
            "run",
            "--workload",
            "contention",
            "--contention-target",
            "flock",
            "--duration",
            "5s",
        ])
        .arg("--out")
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&contention.stderr);
    assert_eq!(contention.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--duration") && stderr.contains("contention"),
        "{stderr}"
    );
}

#[test]
fn the_soak_profile_runs_checkpoint_lifecycle_and_storage_together_until_time_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let output = stress()
        .args([
            "run",
            "-q",
            "--seed",
            "5",
            "--profile",
            "soak",
            "--duration",
            "3s",
            "--rate",
            "5/s",
        ])
        .args([
            "--restores",
            "2",
            "--marker-size",
            "0.25",
            "--storage-sizes",
            "0.25",
            "--window",
            "1s",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = read_report(&out);
    assert_accounting(&report);
    assert_matches_schema("a soak", &report);
    let lifecycle = n(&report["lifecycle"]["staggered"]["count"]);
    assert!((12..=18).contains(&lifecycle), "3 s at 5/s: {lifecycle}");
    let storage = n(&report["storage"]["sizes"][0]["iterations"]);
    assert!(
        storage > 3,
        "storage ran for the duration, not its count of 3: {storage}"
    );
    assert!(!report["checkpoint"]["rounds"].as_array().unwrap().is_empty());
    for w in ["checkpoint", "lifecycle", "storage"] {
        let r = &report["workloads"][w];
        assert_eq!(r["verified"], r["planned"], "{w}: every operation verified: {r}");
    }
    // Together, not one after another: the storage transfers overlap the lifecycle's 3 s.
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    assert!(report["duration_s"].as_f64().unwrap() < 30.0);
    assert!(windows.len() >= 3);
}

/// The first check at full length: 20 s at 20/s, about 400 sandboxes, all verified.
#[test]
#[ignore = "20 s; run with --run-ignored, see scripts/bench soak"]
fn full_length_twenty_seconds_at_twenty_a_second() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(&server.url, dir.path(), &["--duration", "20s", "--rate", "20/s"]);
    assert_eq!(code, 0, "{stderr}");
    let report = read_report(dir.path());
    let count = n(&report["lifecycle"]["staggered"]["count"]);
    assert!((360..=440).contains(&count), "{count}");
    assert_eq!(n(&report["lifecycle"]["staggered"]["status"]["success"]), count);
    assert!(report["timeseries"]["windows"].as_array().unwrap().len() >= 2);
}

/// The second check at full length: capacity 20 x 50 ms is 400 creates/s.
#[test]
#[ignore = "up to 40 s at up to 800 sandboxes/s; needs an unloaded machine, see scripts/bench soak"]
fn full_length_ramp_to_eight_hundred_finds_four_hundred() {
    let server = ServeChild::start(&[
        "--fault-capacity",
        "20",
        "--fault-latency-ms",
        "50",
        "--fault-ops",
        "create",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(&server.url, dir.path(), &["--ramp", "100/s..800/s", "--over", "40s"]);
    assert_eq!(code, 0, "{stderr}");
    let capacity = &read_report(dir.path())["lifecycle"]["capacity"];
    let knee = capacity["knee"]["offered_per_s"].as_f64().unwrap_or(0.0);
    assert!((300.0..=500.0).contains(&knee), "{capacity}");
    assert_eq!(capacity["stopped_early"], true);
}
