//! `aggregate s3://bucket/prefix` against a real S3 protocol server (moto on 127.0.0.1): shards
//! published by `publish` are found under the prefix, merged, and the aggregate publishes in turn.

mod moto;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use moto::{aws_env, Moto};
use predicates::str::contains;

const BUCKET: &str = "shards";

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_RUN_ID");
    aws_env(&mut cmd);
    cmd
}

fn shard(dir: &Path, index: u32) -> PathBuf {
    let out = dir.join(format!("shard-{index}"));
    stress()
        .args([
            "run",
            "--workload",
            "checkpoint",
            "-n",
            "6",
            "--marker-size",
            "0.1",
            "--quiet",
        ])
        .args(["--shard", &format!("{index}/2"), "--group", "s3g", "--work-dir"])
        .arg(dir.join(format!("work-{index}")))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    out
}

fn publish(moto: &Moto, dir: &Path, prefix: &str) {
    stress()
        .arg("publish")
        .arg(dir)
        .args(["--s3-bucket", BUCKET, "--s3-prefix", prefix, "--s3-endpoint", &moto.url])
        .assert()
        .code(0);
}

#[test]
fn shards_in_s3_are_found_merged_and_the_aggregate_publishes() {
    let moto = Moto::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { moto.client().create_bucket().bucket(BUCKET).send().await.unwrap() });
    let tmp = tempfile::tempdir().unwrap();
    for index in 1..=2 {
        let dir = shard(tmp.path(), index);
        publish(&moto, &dir, &format!("runs/42/shard-{index}"));
    }

    let agg = tmp.path().join("agg");
    stress()
        .args(["aggregate", "--s3-endpoint", &moto.url, "--out"])
        .arg(&agg)
        .arg(format!("s3://{BUCKET}/runs/42"))
        .assert()
        .code(0)
        .stdout(contains("aggregated 2 shard(s)"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(agg.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["totals"]["planned"], 6);
    assert_eq!(report["totals"]["verified"], 6);
    let sources = report["aggregate"]["shards"].to_string();
    assert!(sources.contains("s3://shards/runs/42/shard-1/"), "{sources}");
    let events = std::fs::read_to_string(agg.join("events.jsonl")).unwrap();
    assert!(events.contains("\"shard\":2"), "events of the S3 shards are merged");
    assert!(!agg.join(".shards").exists(), "the staging copies are removed");

    // The aggregate publishes like a run, and a later aggregate of the prefix skips it.
    publish(&moto, &agg, "runs/42/aggregate");
    stress()
        .args(["aggregate", "--s3-endpoint", &moto.url, "--out"])
        .arg(tmp.path().join("agg-again"))
        .arg(format!("s3://{BUCKET}/runs/42/"))
        .assert()
        .code(0)
        .stderr(contains("it is an aggregate, not a shard"));

    // A prefix with nothing under it is bad input.
    stress()
        .args(["aggregate", "--s3-endpoint", &moto.url, "--out"])
        .arg(tmp.path().join("agg-none"))
        .arg(format!("s3://{BUCKET}/runs/nope"))
        .assert()
        .code(2)
        .stderr(contains("no run directory"));
}
