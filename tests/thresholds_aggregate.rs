//! `aggregate` evaluates thresholds again on the merged histograms: two shards, one against a server
//! that delays every create by 200 ms and one against a fast server, each cross a different threshold
//! on its own slice of 3 sandboxes; the merged 6 samples hold both, so the aggregate passes with
//! values no single shard measured.

mod serve_support;
mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use serve_support::{ServeArgs, Server};
use support::{assert_accounting, read_report};

const P50_FAST: &str = "lifecycle.sequential.create.p50 < 100ms";
const P95_SLOW: &str = "lifecycle.sequential.create.p95 > 100ms";

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("STRESS_ACTION_TOKEN");
    cmd
}

fn shard(url: &str, index: u32, out: &Path) -> Value {
    stress()
        .args([
            "run",
            "--quiet",
            "--seed",
            "9",
            "--workload",
            "lifecycle",
            "--modes",
            "sequential",
        ])
        .args(["--lifecycle-count", "6", "--provider", "http", "--endpoint", url])
        .args(["--shard", &format!("{index}/2"), "--group", "thresholds"])
        .args(["--threshold", P50_FAST, "--threshold", P95_SLOW, "--out"])
        .arg(out)
        .assert()
        .code(1);
    read_report(out)
}

/// `(ok, value, measured)` of every threshold of a report.
fn results(report: &Value) -> Vec<(bool, f64, String)> {
    report["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["ok"].as_bool().unwrap(),
                t["value"].as_f64().unwrap(),
                t["measured"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn aggregate_re_evaluates_thresholds_on_the_merged_histograms() {
    let slow = Server::start(ServeArgs {
        fault_latency_ms: Some("200".into()),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    let fast = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = (1..=2).map(|i| dir.path().join(format!("shard-{i}"))).collect();

    let one = results(&shard(&slow.url, 1, &inputs[0]));
    assert_eq!(
        (one[0].0, one[1].0),
        (false, true),
        "slow shard: p50 crossed, p95 holds: {one:?}"
    );
    assert!(one[0].1 >= 200.0, "{one:?}");
    assert!(one[0].2.contains("(p50 of 3 samples)"), "{one:?}");
    let two = results(&shard(&fast.url, 2, &inputs[1]));
    assert_eq!(
        (two[0].0, two[1].0),
        (true, false),
        "fast shard: p50 holds, p95 crossed: {two:?}"
    );

    let out = dir.path().join("agg");
    let output = stress()
        .arg("aggregate")
        .arg("--out")
        .arg(&out)
        .args(&inputs)
        .output()
        .unwrap();
    let agg = read_report(&out);
    assert_accounting(&agg);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        agg["verdict_reasons"]
    );
    assert_eq!(agg["config"]["thresholds"], serde_json::json!([P50_FAST, P95_SLOW]));
    let merged = results(&agg);
    assert_eq!((merged[0].0, merged[1].0), (true, true), "{merged:?}");
    // p50 of the 6 merged samples is the fast shard's slowest, p95 the slow shard's slowest: the
    // values come from the merged histogram, not from either shard's report.
    assert!(merged[0].1 < 100.0 && merged[1].1 >= 200.0, "{merged:?}");
    assert_ne!(merged[0].1, one[0].1);
    assert!(merged[0].2.contains("(p50 of 6 samples)"), "{merged:?}");
    assert!(merged[1].2.contains("(p95 of 6 samples)"), "{merged:?}");
    assert_eq!(agg["verdict"], "pass");
    let shards: Vec<&str> = agg["aggregate"]["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(shards, vec!["fail", "fail"], "each shard's own verdict stays on record");
}
