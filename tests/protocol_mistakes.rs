//! A platform that speaks the protocol wrongly is a `provider_error` naming the mismatch, never
//! corrupted data: a real `serve` behind an HTTP proxy that rewrites some answers the way a
//! non-conforming platform would, driven through the binary.

mod proxy_support;
mod serve_support;
mod support;

use std::path::Path;
use std::process::Command;

use base64::Engine;
use proxy_support::{Answer, RewriteProxy};
use serve_support::Server;
use support::{assert_accounting, read_report};

fn run_over(url: &str, out: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let status = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args([
            "run",
            "--profile",
            "smoke",
            "--provider",
            "http",
            "--quiet",
            "--seed",
            "3",
        ])
        .args(["--endpoint", url])
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

fn is_file_read(a: &Answer) -> bool {
    a.method == "GET" && a.path.ends_with("/files") && a.status == 200
}

/// File reads answered as a JSON envelope with the bytes in base64.
fn json_envelope(mut a: Answer) -> Answer {
    if is_file_read(&a) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&a.body);
        a.body = serde_json::to_vec(&serde_json::json!({ "data_b64": b64 }))
            .unwrap()
            .into();
        a.content_type = "application/json".into();
    }
    a
}

/// The raw bytes, but labelled as text.
fn text_label(mut a: Answer) -> Answer {
    if is_file_read(&a) {
        a.content_type = "text/plain; charset=utf-8".into();
    }
    a
}

/// Checkpoints reported `"done"` where the protocol says `"ready"`.
fn done_not_ready(mut a: Answer) -> Answer {
    if a.path.contains("/checkpoints") && a.content_type.starts_with("application/json") {
        let text = String::from_utf8_lossy(&a.body).replace("\"ready\"", "\"done\"");
        a.body = text.into_bytes().into();
    }
    a
}

/// Checkpoint answers without any `status`.
fn no_status(mut a: Answer) -> Answer {
    if a.path.contains("/checkpoints") && a.status < 300 {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&a.body) {
            if let Some(fields) = v.as_object_mut() {
                fields.remove("status");
            }
            a.body = serde_json::to_vec(&v).unwrap().into();
        }
    }
    a
}

#[test]
fn a_file_read_answered_as_a_json_envelope_is_a_provider_error_not_corruption() {
    let server = Server::clean();
    let proxy = RewriteProxy::start(&server.url, json_envelope);
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run_over(&proxy.url, &dir.path().join("run"), &["--workload", "storage"]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let storage = &report["workloads"]["storage"];
    assert_eq!(storage["verdict"], "inconclusive");
    assert_eq!(
        storage["corrupted"], 0,
        "a protocol mistake is never corruption: {storage}"
    );
    assert_eq!(storage["infra"], storage["planned"]);
    assert_eq!(storage["infra_classes"]["provider_error"], storage["planned"]);
    let reason = storage["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("read_file answered Content-Type application/json, the protocol says application/octet-stream"),
        "{reason}"
    );
    // Not retried: a wrong answer does not become right by asking again.
    assert_eq!(report["retries"]["read_file"]["retried"], 0, "{}", report["retries"]);
}

#[test]
fn the_same_bytes_labelled_as_text_are_refused_and_correct_ones_pass() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let labelled = RewriteProxy::start(&server.url, text_label);
    let (code, report) = run_over(&labelled.url, &dir.path().join("text"), &["--workload", "storage"]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let reason = report["workloads"]["storage"]["reasons"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("Content-Type text/plain; charset=utf-8"), "{reason}");
    // The proxy itself changes nothing else: passing the answers through untouched passes.
    let untouched = RewriteProxy::start(&server.url, |a| a);
    let (code, report) = run_over(&untouched.url, &dir.path().join("same"), &["--workload", "storage"]);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
}

#[test]
fn a_checkpoint_reported_done_leaves_the_checkpoint_workload_inconclusive() {
    let server = Server::clean();
    let proxy = RewriteProxy::start(&server.url, done_not_ready);
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run_over(&proxy.url, &dir.path().join("run"), &[]);
    // Lifecycle and storage pass; their successes must not carry a run whose restores never ran.
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let w = &report["workloads"];
    assert_eq!(w["lifecycle"]["verdict"], "pass", "{}", w["lifecycle"]);
    assert_eq!(w["storage"]["verdict"], "pass", "{}", w["storage"]);
    let cp = &w["checkpoint"];
    assert_eq!(cp["verdict"], "inconclusive");
    assert_eq!(cp["corrupted"], 0);
    assert_eq!(cp["infra_classes"]["provider_error"], cp["planned"], "{cp}");
    let reason = cp["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("answered `status` \"done\"; the protocol says \"pending\", \"ready\" or \"failed\""),
        "{reason}"
    );
}

#[test]
fn a_checkpoint_answer_without_status_names_the_missing_field() {
    let server = Server::clean();
    let proxy = RewriteProxy::start(&server.url, no_status);
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = run_over(&proxy.url, &dir.path().join("run"), &["--workload", "checkpoint"]);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let reason = report["workloads"]["checkpoint"]["reasons"][0].as_str().unwrap();
    assert!(reason.contains("checkpoint answered without `status`"), "{reason}");
}
