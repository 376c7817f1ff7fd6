//! The lifecycle and storage workloads through the real CLI against the reference server (hosted in
//! the test process) over 127.0.0.1: server latency lands in time to interactive in every mode, queueing in the tool
//! is counted (latency from the scheduled start), a burst is really concurrent, a corrupted download
//! fails the run, and each status comes from what the server really did.

mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::{ServeArgs, Server};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN");
    cmd
}

/// `run -q --provider http` against `server` with `args`, into `out`; returns the exit code.
fn run(server: &Server, out: &Path, args: &[&str]) -> i32 {
    let assert = stress()
        .args([
            "run",
            "-q",
            "--seed",
            "7",
            "--provider",
            "http",
            "--endpoint",
            &server.url,
        ])
        .args(args)
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(240))
        .assert();
    let output = assert.get_output();
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("run killed: {}", String::from_utf8_lossy(&output.stderr)))
}

/// `timings.<metric>` of every lifecycle event of `mode`, ordered by launch index.
fn per_launch(out: &Path, mode: &str, metric: &str) -> Vec<f64> {
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let mut rows: Vec<(u64, f64)> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["workload"] == "lifecycle" && e["phase"] == mode)
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["timings"][metric]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{metric} missing in {e}")),
            )
        })
        .collect();
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, v)| v).collect()
}

#[test]
fn server_latency_lands_in_time_to_interactive_in_every_mode() {
    let server = Server::start(ServeArgs {
        fault_latency_ms: Some("50".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let code = run(
        &server,
        dir.path(),
        &[
            "--workload",
            "lifecycle",
            "--lifecycle-count",
            "5",
            "--stagger-ms",
            "20",
        ],
    );
    assert_eq!(code, 0);
    let report = read_report(dir.path());
    assert_accounting(&report);
    for mode in ["sequential", "staggered", "burst"] {
        let m = &report["lifecycle"][mode];
        assert_eq!(m["status"]["success"], 5, "{mode}: {m}");
        let p50 = |metric: &str| m[metric]["p50"].as_f64().unwrap();
        assert!(p50("create_ms") >= 50.0, "{mode}: {}", m["create_ms"]);
        // The first command is delayed 50 ms as well, and TTI is create + first command.
        assert!(p50("tti_ms") >= 100.0, "{mode}: {}", m["tti_ms"]);
    }
}

#[test]
fn queueing_in_the_tool_counts_because_latency_starts_at_the_scheduled_launch() {
    // serve sleeps 500 ms per create but handles creates concurrently, so a launch every 100 ms
    // is not queued by the server: every create takes ~500 ms from its scheduled start.
    let server = Server::start(ServeArgs {
        fault_latency_ms: Some("500".into()),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    let staggered = [
        "--workload",
        "lifecycle",
        "--modes",
        "staggered",
        "--lifecycle-count",
        "5",
        "--stagger-ms",
        "100",
    ];
    let free = tempfile::tempdir().unwrap();
    assert_eq!(run(&server, free.path(), &staggered), 0);
    let creates = per_launch(free.path(), "staggered", "create_ms");
    assert_eq!(creates.len(), 5);
    // Queued behind four creates, the last would be >= 2100 ms; slack for a loaded machine.
    assert!(
        creates.iter().all(|c| *c >= 500.0) && creates[4] < 1500.0,
        "without a cap nothing queues: {creates:?}"
    );

    // With one request in flight, launch i waits for every create before it: scheduled at 100·i ms,
    // answered near 500·(i+1) ms, so its create time from the schedule grows ~400 ms per launch. A
    // tool measuring from when the request was actually sent would report a flat ~500 ms.
    let capped = tempfile::tempdir().unwrap();
    let args: Vec<&str> = staggered.iter().copied().chain(["--max-in-flight", "1"]).collect();
    assert_eq!(run(&server, capped.path(), &args), 0);
    let report = read_report(capped.path());
    assert_eq!(report["config"]["max_in_flight"], 1);
    assert_eq!(report["lifecycle"]["staggered"]["status"]["success"], 5);
    let creates = per_launch(capped.path(), "staggered", "create_ms");
    assert!(
        creates.windows(2).all(|w| w[1] > w[0] + 250.0),
        "each launch waits longer than the one before: {creates:?}"
    );
    assert!(creates[4] >= 2000.0, "{creates:?}");
    let tti = per_launch(capped.path(), "staggered", "tti_ms");
    assert!(
        tti.iter().zip(&creates).all(|(t, c)| t >= c),
        "TTI includes the queued create"
    );
    let max = report["lifecycle"]["staggered"]["create_ms"]["max"].as_f64().unwrap();
    assert!(max >= 2000.0, "the histogram holds the queued latencies too: {max}");
}

#[test]
fn a_burst_of_200_is_really_concurrent_and_leaves_nothing_on_the_server() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(ServeArgs {
        root: Some(root.path().to_path_buf()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let code = run(&server, dir.path(), &["--profile", "burst", "--burst-size", "200"]);
    assert_eq!(code, 0);
    let report = read_report(dir.path());
    let b = &report["lifecycle"]["burst"];
    assert_eq!(b["status"]["success"], 200, "{b}");
    assert_eq!(b["peak_concurrency"], 200);
    assert_eq!(b["destroy_failures"], 0);
    assert_eq!(report["totals"]["verified"], 200);
    assert!(report["environment"]["open_files_limit"].is_string());
    let left = std::fs::read_dir(root.path().join("sandboxes")).unwrap().count();
    assert_eq!(left, 0, "every sandbox was destroyed on the server");
}

#[test]
fn a_corrupted_download_fails_the_run_and_clean_ones_verify() {
    let storage = [
        "--workload",
        "storage",
        "--storage-sizes",
        "1",
        "--storage-iterations",
        "2",
    ];
    let clean = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&clean, dir.path(), &storage), 0);
    let size = &read_report(dir.path())["storage"]["sizes"][0];
    assert_eq!(
        (size["verified"].as_u64(), size["corrupted"].as_u64()),
        (Some(2), Some(0)),
        "{size}"
    );

    let corrupting = Server::start(ServeArgs {
        fault_corrupt_read_rate: Some(1.0),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&corrupting, dir.path(), &storage), 1);
    let report = read_report(dir.path());
    assert_accounting(&report);
    let size = &report["storage"]["sizes"][0];
    assert_eq!(size["corrupted"], 2, "{size}");
    assert_eq!(report["totals"]["infra"], 0, "a flipped byte is corruption, not infra");
    assert_eq!(report["verdict"], "fail");
}

/// tests/lifecycle.rs checks the status mapping exhaustively with a decorator; this checks that
/// what a real server does produces those statuses over HTTP, with the status code kept.
#[test]
fn statuses_come_from_what_the_server_really_did() {
    let lifecycle = [
        "--workload",
        "lifecycle",
        "--modes",
        "sequential",
        "--lifecycle-count",
        "2",
        "--max-infra-rate",
        "1",
    ];
    let status = |out: &Path| read_report(out)["lifecycle"]["sequential"].clone();

    // Nothing is verified in any of these runs, so each is inconclusive (exit 3), never a failure.
    // Every create answered 503 (after the provider's retries): failed, class http_error_503.
    let refusing = Server::start(ServeArgs {
        fault_error_rate: Some(1.0),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&refusing, dir.path(), &lifecycle), 3);
    let m = status(dir.path());
    assert_eq!(m["status"]["failed"], 2, "{m}");
    assert_eq!(m["failure_class"]["http_error_503"], 2, "{m}");

    let server = Server::clean();
    // A first command that exits 1 in the sandbox: readiness_failed.
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = lifecycle.iter().copied().chain(["--ready-cmd", "false"]).collect();
    assert_eq!(run(&server, dir.path(), &args), 3);
    let m = status(dir.path());
    assert_eq!(m["status"]["readiness_failed"], 2, "{m}");
    assert_eq!(m["failure_class"]["provider_error"], 2, "{m}");

    // `mkdir probed` succeeds as the first command and fails as the liveness probe: partial.
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = lifecycle
        .iter()
        .copied()
        .chain(["--ready-cmd", "mkdir probed"])
        .collect();
    assert_eq!(run(&server, dir.path(), &args), 3);
    let m = status(dir.path());
    assert_eq!(m["status"]["partial"], 2, "{m}");
    assert_eq!(m["tti_ms"]["count"], 2, "partial sandboxes were ready: {m}");
    assert_eq!(m["swept"], 0, "{m}");
}

#[test]
fn sandboxes_the_server_would_not_destroy_are_leaked_and_warned_about_without_failing() {
    let lifecycle = [
        "--workload",
        "lifecycle",
        "--modes",
        "sequential",
        "--lifecycle-count",
        "10",
    ];
    // Half of all destroys refused (409, not retried): the sandboxes stay alive on the server.
    let refusing = Server::start(ServeArgs {
        fault_error_rate: Some(0.5),
        fault_status: Some(409),
        fault_ops: Some("destroy".into()),
        fault_seed: Some(4),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("leaky");
    assert_eq!(run(&refusing, &out, &lifecycle), 0, "a leak is a warning by default");
    let report = read_report(&out);
    let m = &report["lifecycle"]["sequential"];
    let leaked = report["workloads"]["lifecycle"]["leaked"].as_u64().unwrap();
    assert!(leaked > 0, "{}", report["workloads"]["lifecycle"]);
    assert_eq!(
        m["destroy_failures"].as_u64(),
        Some(leaked),
        "each failed destroy is one leak: {m}"
    );
    assert_eq!(m["swept"].as_u64(), Some(leaked), "{m}");
    assert_eq!(report["workloads"]["lifecycle"]["verdict"], "pass");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let warning = format!("- ⚠️ lifecycle: {leaked} sandboxes leaked");
    assert!(summary.contains(&warning), "{warning} in\n{summary}");

    // A server that destroys what it is asked to: nothing leaked, no warning.
    let clean = Server::clean();
    let out = dir.path().join("clean");
    assert_eq!(run(&clean, &out, &lifecycle), 0);
    let report = read_report(&out);
    assert_eq!(report["workloads"]["lifecycle"]["leaked"], 0);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(!summary.contains("leaked"), "{summary}");
}
