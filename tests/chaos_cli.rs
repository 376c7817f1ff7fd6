//! Chaos through the binary, the way the issue checks it: every scenario decides and the exit code
//! obeys (a fault that never fires is inconclusive, data lost under a fault fails), a server
//! restarted mid-run keeps every acknowledged checkpoint, unquiesced checkpoints are caught torn,
//! the scenarios' operations are the chaos workload's, and the chaos profile passes with a pass
//! rate per scenario. Reports match the schema.

mod support;

use std::path::Path;

use assert_cmd::Command;
use support::cli::{evidence_dirs, n, run_cli};

fn run(dir: &Path, name: &str, args: &[&str]) -> (Option<i32>, serde_json::Value, std::path::PathBuf) {
    run_cli(dir, name, args, &[])
}

#[test]
fn restart_server_keeps_acknowledged_checkpoints_and_counts_under_chaos() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "checkpoint,chaos",
        "--nemesis",
        "restart-server",
        "-n",
        "16",
        "-r",
        "2",
    ];
    let (code, report, out) = run(dir.path(), "restart", &args);
    let s = &report["chaos"]["scenarios"][0];
    assert_eq!(s["name"], "restart-server");
    assert!(n(&s["infra"]) > 0, "requests failed during the outage: {s}");
    assert_eq!(n(&s["corrupted"]), 0, "{s}");
    assert_eq!(n(&s["faults_injected"]), 1, "the restart failed requests: {s}");
    assert_eq!((n(&s["runs"]), n(&s["passed"])), (1, 1), "{s}");
    assert_eq!(s["verdict"], "pass", "{s}");
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    // The scenario's operations (its 16 restores and the probe) are the chaos workload's; the
    // checkpoint workload holds only its own 16, untouched by the outage.
    let w = &report["workloads"];
    assert_eq!(
        (n(&w["checkpoint"]["planned"]), n(&w["checkpoint"]["infra"])),
        (16, 0),
        "{w}"
    );
    assert_eq!(n(&w["chaos"]["planned"]), 17, "{w}");
    assert_eq!(
        n(&w["chaos"]["infra"]),
        n(&s["infra"]),
        "the outage's failures are the chaos workload's: {w}"
    );
    assert!(report["histograms"]["chaos.all.restore_ms"].is_string());
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let probe = events
        .lines()
        .find(|l| l.contains("\"verify_probe\""))
        .expect("the acknowledged probe checkpoint was checked after the restart");
    assert!(probe.contains("\"outcome\":\"verified\""), "{probe}");
}

#[test]
fn unquiesced_checkpoints_are_caught_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "checkpoint",
        "-n",
        "6",
        "--marker-size",
        "1",
        "--nemesis",
        "unquiesced-checkpoint",
    ];
    let (code, report, out) = run(dir.path(), "unquiesced", &args);
    assert_eq!(code, Some(1));
    assert!(n(&report["totals"]["corrupted"]) > 0);
    assert!(evidence_dirs(&out) > 0, "evidence written for the torn restores");
}

#[test]
fn chaos_profile_passes_and_reports_a_pass_rate_per_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--profile",
        "chaos",
        "--repeat",
        "2",
        "-n",
        "12",
        "--writers",
        "4",
        "--writes",
        "30",
    ];
    let (code, report, out) = run(dir.path(), "chaos", &args);
    assert_eq!(code, Some(0), "{} {}", report["verdict_reasons"], report["chaos"]);
    assert_eq!(report["verdict"], "pass");
    let scenarios = report["chaos"]["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["kill9", "restart-server", "latency", "reset", "5xx"]);
    for s in scenarios {
        assert_eq!((n(&s["runs"]), n(&s["passed"])), (2, 2), "{s}");
        assert_eq!(s["pass_rate"], 1.0);
        assert_eq!(s["verdict"], "pass", "{s}");
        assert!(n(&s["faults_injected"]) >= 2, "{s}");
    }
    // Every operation of the scenarios is the chaos workload's: the profile runs no other.
    let w = report["workloads"].as_object().unwrap();
    assert_eq!(w.keys().collect::<Vec<_>>(), ["chaos"], "{w:?}");
    let chaos = &w["chaos"];
    let scenario_ops: u64 = scenarios
        .iter()
        .map(|s| n(&s["verified"]) + n(&s["corrupted"]) + n(&s["infra"]) + n(&s["lost"]))
        .sum();
    assert_eq!(n(&chaos["planned"]), scenario_ops, "{chaos}");
    assert_eq!(chaos["verdict"], "pass", "{chaos}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("### Chaos") && summary.contains("| restart-server |"),
        "{summary}"
    );
}

#[test]
fn a_chaos_fault_that_never_fires_is_inconclusive_naming_the_scenario() {
    // The test-only knob confines the latency window to read_file, which the checkpoint workload
    // never issues while nothing is corrupted: the window opens and hits no request.
    let dir = tempfile::tempdir().unwrap();
    let args = ["--workload", "chaos", "--nemesis", "latency", "-n", "12"];
    let env = [("STRESS_ACTION_CHAOS_FAULT_OPS", "read_file")];
    let (code, report, _) = run_cli(dir.path(), "never-fires", &args, &env);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let s = &report["chaos"]["scenarios"][0];
    assert_eq!(
        (s["verdict"].as_str(), n(&s["faults_injected"])),
        (Some("inconclusive"), 0),
        "{s}"
    );
    assert!(n(&s["verified"]) > 0, "the load itself ran: {s}");
    assert_eq!(report["workloads"]["chaos"]["verdict"], "inconclusive");
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("chaos: scenario latency inconclusive") && reason.contains("the fault never hit"),
        "{reason}"
    );

    // The control: the same window on every operation hits requests and passes.
    let (code, report, _) = run(dir.path(), "fires", &args);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert!(n(&report["chaos"]["scenarios"][0]["faults_injected"]) > 0);
}

#[test]
fn kill9_on_a_store_that_loses_updates_fails_the_chaos_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "chaos",
        "--nemesis",
        "kill9",
        "--contention-target",
        "naive",
        "--writers",
        "10",
        "--writes",
        "50",
    ];
    let (code, report, _) = run(dir.path(), "kill9-naive", &args);
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    let s = &report["chaos"]["scenarios"][0];
    assert_eq!(
        (s["name"].as_str(), s["verdict"].as_str()),
        (Some("kill9"), Some("fail")),
        "{s}"
    );
    assert!(n(&s["corrupted"]) > 0, "{s}");
    let w = &report["workloads"];
    assert!(n(&w["chaos"]["corrupted"]) > 0, "{w}");
    assert!(
        w.get("contention").is_none(),
        "the scenario's writes are the chaos workload's: {w}"
    );
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(reason.starts_with("chaos: scenario kill9 fail: run 1:"), "{reason}");
}

#[test]
fn a_chaos_scenario_built_to_corrupt_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "chaos",
        "--nemesis",
        "unquiesced-checkpoint",
        "-n",
        "4",
        "--marker-size",
        "1",
    ];
    let (code, report, _) = run(dir.path(), "chaos-fail", &args);
    assert_eq!(code, Some(1));
    let s = &report["chaos"]["scenarios"][0];
    assert_eq!(
        (n(&s["runs"]), n(&s["passed"]), s["pass_rate"].as_f64()),
        (1, 0, Some(0.0))
    );
    assert!(!s["failures"].as_array().unwrap().is_empty());
    assert_eq!(s["verdict"], "fail", "{s}");
    assert!(
        n(&s["faults_injected"]) > 0,
        "the torn writer raced the checkpoint: {s}"
    );
}

#[test]
fn bad_chaos_flags_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--nemesis", "meteor"], "--nemesis"),
        (
            &["--workload", "checkpoint", "--nemesis", "restart-server"],
            "--nemesis",
        ),
        (&["--workload", "checkpoint", "--repeat", "2"], "--repeat"),
        (
            &["--workload", "contention", "--contention-target", "magic"],
            "--contention-target",
        ),
        (&["--workload", "contention", "--write-cmd", "echo {id}"], "--list-cmd"),
        (&["--workload", "contention", "--writers", "0"], "--writers"),
    ];
    for (args, flag) in cases {
        let out = Command::cargo_bin("stress-action")
            .unwrap()
            .args(["run", "-q", "--out"])
            .arg(dir.path().join("never"))
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} should name {flag}: {stderr}");
    }
    assert!(!dir.path().join("never").exists());
}

#[test]
fn the_fault_schedule_can_live_in_a_chaos_table_of_stress_toml() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stress.toml");
    let body = "workload = \"chaos\"\nrestores = 4\nmarker-size = 1\n\n[chaos]\nnemesis = [\"unquiesced-checkpoint\"]\nrepeat = 2\n";
    std::fs::write(&path, body).unwrap();
    let (code, report, _) = run(dir.path(), "from-file", &["--config", path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "the unsafe scenario is caught");
    let s = &report["chaos"]["scenarios"][0];
    assert_eq!(
        (s["name"].as_str(), n(&s["runs"]), n(&s["passed"])),
        (Some("unquiesced-checkpoint"), 2, 0)
    );

    std::fs::write(&path, "workload = \"chaos\"\n[chaos]\nnemesis = [\"meteor\"]\n").unwrap();
    let out = Command::cargo_bin("stress-action")
        .unwrap()
        .args(["run", "-q", "--config"])
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--nemesis"));
}
