//! The command provider with real plugin processes: the shipped example plugin (forwarding to a
//! real `stress-action serve`) passes the smoke profile, and a plugin that dies mid-run turns the
//! in-flight and later operations into infra errors while the run still accounts for everything.

mod serve_support;
mod support;

use std::time::Duration;

use assert_cmd::Command;
use predicates::str::contains;
use serve_support::Server;
use support::{assert_accounting, read_report};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers/http_plugin.py");
const DYING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/plugins/dying_plugin.py");

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN");
    cmd
}

#[test]
fn example_plugin_passes_smoke() {
    let server = Server::start(&["--token", "plugin-token-93ab"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let plugin = format!("python3 '{EXAMPLE}' --endpoint {}", server.url);
    stress()
        .env("STRESS_ACTION_TOKEN", "plugin-token-93ab")
        .args([
            "run",
            "--profile",
            "smoke",
            "-q",
            "--provider",
            "command",
            "--provider-cmd",
            &plugin,
            "--out",
        ])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
    let report = read_report(&out);
    assert_eq!(report["provider"], "command");
    // smoke: 10 restores, 10 sandboxes in each of the 3 lifecycle modes, 3 storage transfers.
    assert_eq!(report["totals"]["verified"], 43);
    assert_eq!(report["lifecycle"]["burst"]["status"]["success"], 10);
    assert_accounting(&report);
}

#[test]
fn a_plugin_that_dies_mid_run_fails_in_flight_operations_as_infra() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let plugin = format!("python3 '{DYING}' {}", server.url);
    // Setup takes about a dozen requests; the plugin dies a few restores later.
    stress()
        .env("EXIT_AFTER", "40")
        .args([
            "run",
            "-q",
            "-n",
            "20",
            "-c",
            "4",
            "--marker-size",
            "0.1",
            "--max-infra-rate",
            "1",
            "--workload",
            "checkpoint",
        ])
        .args(["--provider", "command", "--provider-cmd", &plugin, "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
    let report = read_report(&out);
    let t = &report["totals"];
    assert_eq!(t["planned"], 20);
    assert_eq!(t["lost"], 0);
    assert_eq!(t["corrupted"], 0);
    assert!(t["verified"].as_u64().unwrap() > 0, "{t}");
    assert!(t["infra"].as_u64().unwrap() > 0, "{t}");
    assert_accounting(&report);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(events.contains("plugin"), "events name the plugin's exit");
}

#[test]
fn a_plugin_that_cannot_start_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    stress()
        .args([
            "run",
            "--provider",
            "command",
            "--provider-cmd",
            "/nonexistent/plugin --x",
            "--out",
        ])
        .arg(dir.path().join("run"))
        .assert()
        .code(2)
        .stderr(contains("--provider-cmd"));
    stress()
        .args(["run", "--provider", "command", "--provider-cmd", "true", "--out"])
        .arg(dir.path().join("run2"))
        .assert()
        .code(2)
        .stderr(contains("health"));
}
