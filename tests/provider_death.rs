//! A server gone for the rest of the run is named once, as the one reason of every workload it
//! took down; a server that drops out and comes back is not dead. A real `serve` behind a TCP proxy
//! the test cuts off mid-run, driven through the binary.

mod proxy_support;
mod serve_support;
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proxy_support::SwitchProxy;
use serde_json::Value;
use serve_support::Server;
use support::{assert_accounting, read_report};

/// Sequential lifecycle sandboxes (each ready command takes 50 ms), then storage; `during` runs
/// while the binary works (it flips the proxy), then the run is awaited (at most 120 s).
fn run_through(proxy: &SwitchProxy, out: &Path, during: impl FnOnce()) -> (Option<i32>, Value, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args(["run", "-q", "--workload", "lifecycle,storage", "--modes", "sequential"])
        .args([
            "--lifecycle-count",
            "16",
            "--ready-cmd",
            "sleep 0.05",
            "--max-infra-rate",
            "1",
        ])
        .args(["--storage-sizes", "0.1", "--storage-iterations", "3"])
        .args(["--provider", "http", "--endpoint", proxy.url.as_str()])
        .arg("--out")
        .arg(out)
        .env_remove("STRESS_ACTION_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    during();
    let output = wait_bounded(child, Duration::from_secs(120));
    let report = read_report(out);
    assert_accounting(&report);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), report, stderr)
}

fn wait_bounded(mut child: std::process::Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the run took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output collected")
}

#[test]
fn a_server_gone_for_the_rest_of_the_run_is_named_once_per_workload() {
    let server = Server::clean();
    let proxy = SwitchProxy::start(&server.url);
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = run_through(&proxy, &dir.path().join("run"), || {
        std::thread::sleep(Duration::from_millis(600));
        proxy.set_down(true);
    });
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let failure = &report["provider_failure"];
    let message = failure["message"].as_str().expect("provider_failure.message");
    let prefix = format!("the server {} stopped answering at request ", proxy.url);
    assert!(message.starts_with(&prefix), "{message}");
    assert!(
        message.ends_with("and was still unreachable at the end of the run"),
        "{message}"
    );
    assert_eq!(failure["workloads"], serde_json::json!(["lifecycle", "storage"]));
    for name in ["lifecycle", "storage"] {
        let w = &report["workloads"][name];
        assert_eq!(w["verdict"], "inconclusive", "{name}: {w}");
        assert_eq!(
            w["reasons"],
            serde_json::json!([message]),
            "{name}: one line, the death"
        );
        assert_eq!(w["corrupted"], 0, "{name}: {w}");
    }
    let verified = report["workloads"]["lifecycle"]["verified"].as_u64().unwrap();
    assert!(
        verified < 16,
        "the cut came mid-lifecycle: {}",
        report["workloads"]["lifecycle"]
    );
    let said = stderr.lines().filter(|l| l.contains("stopped answering")).count();
    assert_eq!(said, 1, "{stderr}");
}

#[test]
fn a_server_that_drops_out_and_comes_back_is_not_dead() {
    let server = Server::clean();
    let proxy = SwitchProxy::start(&server.url);
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) = run_through(&proxy, &dir.path().join("run"), || {
        std::thread::sleep(Duration::from_millis(400));
        proxy.set_down(true);
        std::thread::sleep(Duration::from_millis(400));
        proxy.set_down(false);
    });
    assert!(
        report.get("provider_failure").is_none(),
        "{}",
        report["provider_failure"]
    );
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    // The outage was real: calls needed retries (or failed) while the server was cut off.
    let hit: u64 = report["retries"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["retried"].as_u64().unwrap() + r["gave_up"].as_u64().unwrap())
        .sum();
    assert!(hit > 0, "{}", report["retries"]);
}
