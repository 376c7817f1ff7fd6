//! Payloads stream (issue #18), through the binary against a real `serve`: storage files and
//! markers of several 1 MiB chunks are generated, sent, read back and hashed chunk by chunk, and
//! verify; a read corrupted on its way out of a streamed answer is still caught (exit 1); an
//! upload whose connection is reset mid-body is generated again from its first byte and verifies,
//! counted as a retry; and a size the command provider cannot carry is refused before the run
//! (exit 2 naming the flag).

mod serve_support;
mod support;

use std::path::Path;

use assert_cmd::Command;
use serve_support::{ServeArgs, Server};
use support::{assert_accounting, read_report};

const EXAMPLE_PLUGIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers/http_plugin.py");

/// `run` over http against `server` with `args`; the exit code and report.json.
fn run_over_http(server: &Server, out: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .args([
            "run",
            "-q",
            "--seed",
            "11",
            "--provider",
            "http",
            "--endpoint",
            server.url.as_str(),
        ])
        .args(args)
        .arg("--out")
        .arg(out)
        .env_remove("STRESS_ACTION_TOKEN")
        .output()
        .expect("the binary runs");
    let report = read_report(out);
    assert_accounting(&report);
    (output.status.code(), report)
}

/// Per size: (size_mb, iterations, verified, corrupted, infra).
fn storage_rows(report: &serde_json::Value) -> Vec<(f64, u64, u64, u64, u64)> {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    report["storage"]["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let size = s["size_mb"].as_f64().unwrap();
            (
                size,
                n(s, "iterations"),
                n(s, "verified"),
                n(s, "corrupted"),
                n(s, "infra"),
            )
        })
        .collect()
}

#[test]
fn files_and_markers_of_several_chunks_verify_over_http() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "storage,checkpoint",
        "--storage-sizes",
        "2.5,1",
        "--storage-iterations",
        "2",
        "-n",
        "2",
        "-r",
        "1",
        "--marker-size",
        "2.3",
    ];
    let (code, report) = run_over_http(&server, &dir.path().join("run"), &args);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert_eq!(storage_rows(&report), vec![(2.5, 2, 2, 0, 0), (1.0, 2, 2, 0, 0)]);
    let round = &report["checkpoint"]["rounds"][0];
    assert_eq!(
        (round["restores"].as_u64(), round["verified"].as_u64()),
        (Some(2), Some(2))
    );
    // The digest of the streamed upload is what `sha256sum` found in the sandbox and in each restore.
    assert_eq!(round["marker_sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn a_read_corrupted_in_a_streamed_answer_fails_the_run() {
    let server = Server::start(ServeArgs {
        fault_corrupt_read_rate: Some(1.0),
        fault_ops: Some("read_file".into()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "storage",
        "--storage-sizes",
        "2.5",
        "--storage-iterations",
        "2",
    ];
    let (code, report) = run_over_http(&server, &dir.path().join("run"), &args);
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    assert_eq!(storage_rows(&report), vec![(2.5, 2, 0, 2, 0)]);
    assert_eq!(report["workloads"]["storage"]["verdict"], "fail");
    let events = std::fs::read_to_string(dir.path().join("run/events.jsonl")).unwrap();
    // Same length, other digest: one flipped byte, not a short read.
    assert!(
        events.contains("(2621440 of 2621440 bytes came back)"),
        "the corrupted transfer names its length: {events}"
    );
}

#[test]
fn an_upload_reset_mid_body_is_sent_again_from_its_first_byte_and_verifies() {
    let server = Server::start(ServeArgs {
        fault_reset_rate: Some(0.5),
        fault_ops: Some("write_file".into()),
        fault_seed: Some(4),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "storage",
        "--storage-sizes",
        "1.5",
        "--storage-iterations",
        "6",
    ];
    let (code, report) = run_over_http(&server, &dir.path().join("run"), &args);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert_eq!(storage_rows(&report), vec![(1.5, 6, 6, 0, 0)]);
    let writes = &report["retries"]["write_file"];
    assert_eq!(writes["calls"], 6, "{writes}");
    assert!(
        writes["retried"].as_u64().unwrap() >= 1,
        "some upload was reset: {writes}"
    );
    assert!(writes["attempts"].as_u64().unwrap() > 6, "{writes}");
    assert_eq!(writes["gave_up"], 0, "{writes}");
}

fn refused_with_command_provider(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let plugin = format!("python3 '{EXAMPLE_PLUGIN}' --endpoint http://127.0.0.1:9");
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .args(["run", "-q", "--provider", "command", "--provider-cmd", &plugin])
        .args(args)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(!dir.path().join("run/report.json").exists(), "refused before the run");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn sizes_the_command_provider_cannot_carry_are_refused_naming_the_flag() {
    let err = refused_with_command_provider(&["--workload", "storage", "--storage-sizes", "1,65"]);
    assert!(err.contains("--storage-sizes"), "{err}");
    assert!(
        err.contains("65 MB is more than the command provider carries (64 MB"),
        "{err}"
    );
    let err = refused_with_command_provider(&["--workload", "checkpoint", "--marker-size", "100"]);
    assert!(err.contains("--marker-size"), "{err}");
    assert!(
        err.contains("100 MB is more than the command provider carries"),
        "{err}"
    );
}
