//! report.json `timing` through the real CLI against the reference server over 127.0.0.1: the
//! phases of a burst follow what the server really made them wait, the top-level phases add up to
//! no more than the process ran, summary.md and the console say where the time went, and `report
//! DIR` renders the same summary.md although report.json's timing gained rendering and writing.

mod serve_support;
mod support;

use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use serve_support::{ServeArgs, Server};
use support::read_report;

fn seconds(timing: &Value, name: &str) -> f64 {
    timing["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["seconds"].as_f64())
        .unwrap_or_else(|| panic!("no phase {name} in {timing}"))
}

#[test]
fn a_burst_over_http_says_where_its_wall_time_went() {
    // Every exec waits 100 ms at the server; 4 in flight: the 12 first commands take at least
    // 3 x 100 ms after the release, and so do the 12 liveness probes after the hold.
    let server = Server::start(ServeArgs {
        fault_latency_ms: Some("100".into()),
        fault_ops: Some("exec".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let started = Instant::now();
    let assert = Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("STRESS_ACTION_TOKEN")
        .args(["run", "--seed", "7", "--provider", "http", "--endpoint", &server.url])
        .args([
            "--profile",
            "burst",
            "--burst-size",
            "12",
            "--max-in-flight",
            "4",
            "--out",
        ])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
    let process_s = started.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();

    let report = read_report(&out);
    let timing = &report["timing"];
    let total = timing["total_s"].as_f64().unwrap();
    let ready = seconds(timing, "lifecycle.burst.ready");
    let probe_destroy = seconds(timing, "lifecycle.burst.probe_destroy");
    assert!(ready >= 0.3, "ready {ready} s: the first commands waited 3 x 100 ms");
    assert!(
        probe_destroy >= 0.3,
        "probe + destroy {probe_destroy} s: the probes waited too"
    );
    let lifecycle = seconds(timing, "lifecycle");
    assert!(lifecycle >= ready + probe_destroy, "{timing}");
    let top: f64 = timing["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["name"].as_str().unwrap().contains('.'))
        .map(|p| p["seconds"].as_f64().unwrap())
        .sum();
    assert!(top <= total + 0.01, "top-level phases {top} s over the total {total} s");
    assert!(
        total <= process_s,
        "total {total} s is more than the process ran ({process_s} s)"
    );
    // What the phases leave unexplained is small: nothing of the run hides between them.
    assert!(total - top < 0.25, "{} s between phases: {timing}", total - top);
    for name in ["startup", "preparation", "shutdown", "report", "rendering", "writing"] {
        seconds(timing, name);
    }

    let last = console
        .lines()
        .rev()
        .find(|l| l.starts_with("time: "))
        .unwrap_or_default();
    assert!(last.contains("burst: launch") && last.contains("; total "), "{console}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let line = summary
        .lines()
        .find(|l| l.contains("time: start-up"))
        .unwrap_or_default();
    assert!(
        line.contains("probe + destroy") && !line.contains("rendering"),
        "{summary}"
    );

    Command::cargo_bin("stress-action")
        .unwrap()
        .arg("report")
        .arg(&out)
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(out.join("summary.md")).unwrap(), summary);
}
