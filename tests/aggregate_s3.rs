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

/// The highest VmHWM of `child` seen while it ran (sampled every 5 ms; the high-water mark only
/// grows, so the last sample is the peak up to a few ms before the exit), in MB.
fn peak_rss_mb(child: &mut std::process::Child) -> (std::process::ExitStatus, f64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak_kb as f64 / 1024.0);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Each shard's events.jsonl is streamed from S3 to the aggregate's, never held whole: two shards
/// of 40 MB of events each aggregate completely (every line, tagged with its shard) while the
/// process peaks within a few MB of what aggregating the same shards with small logs takes.
#[test]
fn large_event_logs_stream_from_s3_into_the_aggregate() {
    use std::io::Write;
    let moto = Moto::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { moto.client().create_bucket().bucket(BUCKET).send().await.unwrap() });
    let tmp = tempfile::tempdir().unwrap();
    let filler = format!(
        "{{\"ts\":\"2026-01-02T03:04:05.678Z\",\"workload\":\"lifecycle\",\"phase\":\"burst\",\"sandbox\":\"sb-{}\",\
         \"duration_ms\":12.345,\"outcome\":\"verified\",\"index\":1,\"result\":\"success\"}}\n",
        "x".repeat(120)
    );
    let per_shard = (40 << 20) / filler.len();
    let mut lines = 0;
    for index in 1..=2 {
        let dir = shard(tmp.path(), index);
        publish(&moto, &dir, &format!("runs/small/shard-{index}"));
        let events = dir.join("events.jsonl");
        lines += std::fs::read_to_string(&events).unwrap().lines().count();
        let mut out = std::io::BufWriter::new(std::fs::OpenOptions::new().append(true).open(&events).unwrap());
        for _ in 0..per_shard {
            out.write_all(filler.as_bytes()).unwrap();
        }
        out.flush().unwrap();
        lines += per_shard;
        publish(&moto, &dir, &format!("runs/big/shard-{index}"));
    }

    let (_, small_mb) = aggregate_peak_mb(&moto, &tmp.path().join("agg-small"), "runs/small");
    let agg = tmp.path().join("agg");
    let (code, peak_mb) = aggregate_peak_mb(&moto, &agg, "runs/big");
    assert_eq!(code, Some(0));
    let merged = std::fs::read_to_string(agg.join("events.jsonl")).unwrap();
    assert_eq!(merged.lines().count(), lines, "every line of both shards");
    let mut tagged = [0usize; 3];
    for line in merged.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        tagged[event["shard"].as_u64().unwrap() as usize] += 1;
    }
    assert_eq!(tagged[1] + tagged[2], lines, "each line tagged with its shard");
    assert!(tagged[1] > per_shard && tagged[2] > per_shard, "{tagged:?}");
    // Held whole, one log alone would add 40 MB (twice that with the copy to disk).
    assert!(
        peak_mb - small_mb < 12.0,
        "aggregate peaked at {peak_mb:.1} MB for 40 MB logs, {small_mb:.1} MB for small ones"
    );
}

/// `aggregate s3://shards/PREFIX --out OUT`: its exit code and peak RSS in MB.
fn aggregate_peak_mb(moto: &Moto, out: &Path, prefix: &str) -> (Option<i32>, f64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stress-action"))
        .args(["aggregate", "--s3-endpoint", &moto.url, "--out"])
        .arg(out)
        .arg(format!("s3://{BUCKET}/{prefix}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak_mb) = peak_rss_mb(&mut child);
    (status.code(), peak_mb)
}
