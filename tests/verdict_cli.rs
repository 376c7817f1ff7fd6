//! Per-workload verdicts through the binary against a real `serve`: a workload that tested nothing
//! is never hidden by the others' successes, and corruption fails only the workload it hit.

mod serve_support;
mod support;

use std::path::Path;
use std::process::Command;

use serve_support::{ServeArgs, Server};
use support::{assert_accounting, read_report};

fn smoke_over_http(server: &Server, out: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let status = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args([
            "run",
            "--profile",
            "smoke",
            "--provider",
            "http",
            "--quiet",
            "--seed",
            "7",
        ])
        .args(["--endpoint", server.url.as_str()])
        .args(extra)
        .arg("--out")
        .arg(out)
        .env_remove("STRESS_ACTION_TOKEN")
        .status()
        .expect("the binary runs");
    let report = read_report(out);
    assert_accounting(&report);
    (status.code(), report)
}

#[test]
fn a_platform_whose_checkpoints_always_fail_is_inconclusive_not_green() {
    let server = Server::start(ServeArgs {
        fault_error_rate: Some(1.0),
        fault_ops: Some("checkpoint".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = smoke_over_http(&server, &dir.path().join("run"), &[]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    assert_eq!(report["verdict"], "inconclusive");
    let w = &report["workloads"];
    assert_eq!(w["checkpoint"]["verdict"], "inconclusive");
    assert_eq!(w["checkpoint"]["verified"], 0);
    assert_eq!(w["lifecycle"]["verdict"], "pass", "{}", w["lifecycle"]);
    assert_eq!(w["storage"]["verdict"], "pass", "{}", w["storage"]);
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(reason.starts_with("checkpoint: 0 of 10 restores verified"), "{reason}");
    assert!(reason.contains("http_error_503"), "{reason}");
    // The headline and the per-workload rows say the same in summary.md.
    let summary = std::fs::read_to_string(dir.path().join("run/summary.md")).unwrap();
    assert!(
        summary.contains("| checkpoint | ⚠️ inconclusive | 0 / 10 |"),
        "{summary}"
    );
    assert!(summary.contains("| lifecycle | ✅ pass | 30 / 30 |"), "{summary}");
}

#[test]
fn corrupted_reads_fail_storage_while_the_other_workloads_pass() {
    let server = Server::start(ServeArgs {
        fault_corrupt_read_rate: Some(1.0),
        fault_ops: Some("read_file".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = smoke_over_http(&server, &dir.path().join("run"), &[]);
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    let w = &report["workloads"];
    assert_eq!(w["storage"]["verdict"], "fail");
    assert_eq!(w["checkpoint"]["verdict"], "pass", "{}", w["checkpoint"]);
    assert_eq!(w["lifecycle"]["verdict"], "pass", "{}", w["lifecycle"]);
    let reasons: Vec<&str> = report["verdict_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert_eq!(reasons, vec!["storage: 3 of 3 transfers corrupted"]);
}

#[test]
fn a_clean_platform_passes_every_workload() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = smoke_over_http(&server, &dir.path().join("run"), &[]);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    for name in ["checkpoint", "lifecycle", "storage"] {
        assert_eq!(report["workloads"][name]["verdict"], "pass", "{name}");
    }
    assert_eq!(
        report["verdict_reasons"][0],
        "43 of 43 operations verified in 3 workloads"
    );
}

#[test]
fn the_infra_budget_applies_per_workload_and_can_be_raised() {
    // Every storage read answered 503: storage is all infra, the other workloads are clean.
    let server = Server::start(ServeArgs {
        fault_error_rate: Some(1.0),
        fault_ops: Some("read_file".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = smoke_over_http(&server, &dir.path().join("a"), &[]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    assert_eq!(report["workloads"]["storage"]["verdict"], "inconclusive");
    assert_eq!(report["config"]["max_infra_rate"], 0.1);
    // Raising the budget does not make "nothing verified" a pass.
    let (code, report) = smoke_over_http(&server, &dir.path().join("b"), &["--max-infra-rate", "1"]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
}
