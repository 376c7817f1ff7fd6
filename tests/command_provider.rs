//! The command provider with real plugin processes: the shipped example plugin (forwarding to the
//! reference server, hosted in the test process) passes the smoke profile, and a plugin that dies mid-run turns the
//! in-flight and later operations into infra errors while the run still accounts for everything,
//! and is named once, as the one reason of every workload it took down.

mod serve_support;
mod support;

use std::time::Duration;

use assert_cmd::Command;
use predicates::str::contains;
use serve_support::{ServeArgs, Server};
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
    let server = Server::start(ServeArgs {
        token: Some("plugin-token-93ab".into()),
        ..ServeArgs::default()
    });
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
    // Each call counted once, by kind: 1 checkpoint sandbox + 30 lifecycle + 1 storage creates;
    // those 32 plus the 10 restored sandboxes destroyed; nothing needed a retry.
    let retries = &report["retries"];
    assert_eq!(retries["create"]["calls"], 32, "{retries}");
    assert_eq!(retries["restore"]["calls"], 10, "{retries}");
    assert_eq!(retries["destroy"]["calls"], 42, "{retries}");
    for (op, r) in retries.as_object().unwrap() {
        assert_eq!((&r["retried"], &r["gave_up"]), (&0.into(), &0.into()), "{op}: {r}");
        assert_eq!(r["attempts"], r["calls"], "{op}: {r}");
    }
}

#[test]
fn a_plugin_that_dies_mid_run_is_named_once_and_leaves_what_it_touched_inconclusive() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let plugin = format!("python3 '{DYING}' {}", server.url);
    // Setup takes about a dozen requests; the plugin dies a few restores later, and storage runs
    // entirely after the death.
    let run = stress()
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
            "checkpoint,storage",
            "--storage-sizes",
            "0.1",
            "--storage-iterations",
            "5",
        ])
        .args(["--provider", "command", "--provider-cmd", &plugin, "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(3);
    let report = read_report(&out);
    let t = &report["totals"];
    assert_eq!(t["planned"], 25);
    assert_eq!((t["lost"].as_u64(), t["corrupted"].as_u64()), (Some(0), Some(0)), "{t}");
    assert!(t["verified"].as_u64().unwrap() > 0, "{t}");
    assert_accounting(&report);

    let failure = &report["provider_failure"];
    let message = failure["message"].as_str().expect("provider_failure.message");
    assert!(
        message.starts_with("the plugin python3 exited (exit status: 3) at request "),
        "{message}"
    );
    let at: u64 = message["the plugin python3 exited (exit status: 3) at request ".len()..]
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a request number in {message:?}"));
    assert!(at > 40, "the plugin read request 41 before dying: {message}");
    assert_eq!(failure["workloads"], serde_json::json!(["checkpoint", "storage"]));
    for name in ["checkpoint", "storage"] {
        let w = &report["workloads"][name];
        assert_eq!(w["verdict"], "inconclusive", "{name}: {w}");
        assert_eq!(
            w["reasons"],
            serde_json::json!([message]),
            "{name}: one line, the death"
        );
    }
    let about_it = report["verdict_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str().unwrap_or("").contains("plugin"))
        .count();
    assert_eq!(about_it, 2, "{}", report["verdict_reasons"]);
    // The console says it once; the failures it caused are counted, not repeated.
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    let lines = stderr.lines().filter(|l| l.contains("exited (exit status: 3)")).count();
    assert_eq!(lines, 1, "{stderr}");
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(
        events.contains("the plugin python3 exited"),
        "events name the plugin's exit"
    );
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
