//! Retries made visible: a platform that needs a second attempt on 40 % of creates passes with
//! every sandbox up, and report.json and summary.md still say how many calls needed one. A call is
//! counted once whoever retried it: the HTTP transport, a workload's retried check, or both.

mod serve_support;
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use serve_support::{ServeArgs, Server};
use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{LocalProvider, Provider};
use stress_action::run::run_with_provider;
use support::{assert_accounting, read_report, Faults, FaultyProvider};

const TABLE_HEADER: &str = "| provider call | calls | first-try success | retried | gave up |";

fn lifecycle_over_http(server: &Server, out: &Path) -> (Option<i32>, Value) {
    lifecycle_over_http_with(server, out, &[])
}

fn lifecycle_over_http_with(server: &Server, out: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let status = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args([
            "run",
            "--workload",
            "lifecycle",
            "--modes",
            "sequential",
            "--lifecycle-count",
            "20",
        ])
        .args(["--provider", "http", "--quiet", "--endpoint", server.url.as_str()])
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

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("a count, got {v}"))
}

#[test]
fn creates_that_needed_a_retry_are_counted_and_shown() {
    let server = Server::start(ServeArgs {
        fault_error_rate: Some(0.4),
        fault_ops: Some("create".into()),
        fault_seed: Some(11),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = lifecycle_over_http(&server, &dir.path().join("run"));
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);

    let status = &report["lifecycle"]["sequential"]["status"];
    let created = 20 - n(&status["failed"]);
    let create = &report["retries"]["create"];
    assert_eq!(n(&create["calls"]), 20, "one logical call per sandbox: {create}");
    assert_eq!(
        n(&create["calls"]) - n(&create["gave_up"]),
        created,
        "{create} {status}"
    );
    assert!(n(&create["retried"]) > 0, "{create}");
    assert!(n(&create["attempts"]) > n(&create["calls"]), "{create}");
    // Only creates were faulted: every other kind went through on its first attempt.
    for (op, r) in report["retries"].as_object().unwrap() {
        if op != "create" {
            assert_eq!(r["retried"], 0, "{op}: {r}");
        }
    }

    let summary = std::fs::read_to_string(dir.path().join("run/summary.md")).unwrap();
    assert!(summary.contains(TABLE_HEADER), "{summary}");
    let retried = n(&create["retried"]);
    let first_try = (20 - retried) as f64 / 20.0 * 100.0;
    let row = format!("| create | 20 | {first_try:.1}% | {retried} | {} |", create["gave_up"]);
    assert!(summary.contains(&row), "{row} in\n{summary}");
    assert!(summary.contains("| exec | 40 | 100.0% | 0 | 0 |"), "{summary}");
    let log = std::fs::read_to_string(dir.path().join("run/run.log")).unwrap();
    assert!(
        log.contains(&format!("calls that needed a retry: create {retried} of 20")),
        "{log}"
    );
}

/// Every sandbox came up, but 40 % of creates needed a retry: a threshold on the retry rate is how
/// a team says that is not healthy, and the exit code obeys it.
#[test]
fn a_retry_rate_threshold_fails_a_platform_that_only_works_on_the_second_try() {
    let faulty = Server::start(ServeArgs {
        fault_error_rate: Some(0.4),
        fault_ops: Some("create".into()),
        fault_seed: Some(11),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let gate = ["--threshold", "retries.create.rate < 5%"];
    let (code, report) = lifecycle_over_http_with(&faulty, &dir.path().join("faulty"), &gate);
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    let t = &report["thresholds"][0];
    assert_eq!(t["ok"], false, "{t}");
    let create = &report["retries"]["create"];
    let rate = n(&create["retried"]) as f64 / n(&create["calls"]) as f64 * 100.0;
    assert!((t["value"].as_f64().unwrap() - rate).abs() < 1e-9, "{t} vs {create}");
    let reasons = report["verdict_reasons"].to_string();
    assert!(
        reasons.contains("threshold `retries.create.rate < 5%` crossed"),
        "{reasons}"
    );
    // The same gate on a clean platform holds.
    let clean = Server::clean();
    let (code, report) = lifecycle_over_http_with(&clean, &dir.path().join("clean"), &gate);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert_eq!(report["thresholds"][0]["ok"], true);
}

#[test]
fn a_clean_platform_retries_nothing_and_shows_no_table() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = lifecycle_over_http(&server, &dir.path().join("run"));
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    let retries = report["retries"].as_object().expect("retries recorded");
    assert_eq!(retries["create"]["calls"], 20);
    for (op, r) in retries {
        assert_eq!((&r["retried"], &r["gave_up"]), (&0.into(), &0.into()), "{op}: {r}");
        assert_eq!(r["attempts"], r["calls"], "{op}: {r}");
    }
    let summary = std::fs::read_to_string(dir.path().join("run/summary.md")).unwrap();
    assert!(!summary.contains(TABLE_HEADER), "{summary}");
}

fn checkpoint_config(out: &Path, restores: i64) -> RunConfig {
    RunConfig::build(RunArgs {
        restores: Some(restores),
        concurrency: Some(2),
        marker_size_mb: Some(0.1),
        out: Some(out.to_path_buf()),
        seed: Some(1),
        quiet: true,
        max_infra_rate: Some(1.0),
        workload: Some("checkpoint".into()),
        ..Default::default()
    })
    .unwrap()
}

async fn checkpoint_with_fsck_faults(times: u64) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn Provider> = Arc::new(LocalProvider::new(LocalOptions::default()).unwrap());
    let faults = Faults {
        exec_word: Some(("fsck", times)),
        ..Default::default()
    };
    let faulty = Arc::new(FaultyProvider::new(local, faults));
    run_with_provider(checkpoint_config(dir.path(), 6), faulty, CancelToken::new())
        .await
        .unwrap();
    read_report(dir.path())["retries"]["exec"].clone()
}

#[tokio::test]
async fn a_check_retried_by_the_workload_is_one_call_with_all_its_attempts() {
    // `git fsck` times out once in every restored sandbox: each of those 6 checks is one call that
    // needed a second attempt.
    let once = checkpoint_with_fsck_faults(1).await;
    assert_eq!(n(&once["retried"]), 6, "{once}");
    assert_eq!(n(&once["attempts"]) - n(&once["calls"]), 6, "{once}");
    assert_eq!(n(&once["gave_up"]), 0, "{once}");

    // Always timing out: every fsck check gives up after its three attempts; the calls are the
    // same checks as before, so the count of calls does not grow with the attempts.
    let always = checkpoint_with_fsck_faults(u64::MAX).await;
    assert_eq!((n(&always["retried"]), n(&always["gave_up"])), (6, 6), "{always}");
    // The marker check after fsck never runs: one call fewer per restore, however many attempts.
    assert_eq!(n(&always["calls"]), n(&once["calls"]) - 6, "{always}");
    assert_eq!(n(&always["attempts"]) - n(&always["calls"]), 6 * 2, "{always}");
}
