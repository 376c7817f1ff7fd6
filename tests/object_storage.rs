//! The object-storage workload against a real S3 protocol server (moto on 127.0.0.1), through the
//! binary: clean transfers verify and leave the bucket empty; a proxy that flips one byte of every
//! object it serves is corruption (exit 1); a bucket that does not exist is infra, never corruption;
//! Ctrl-C mid-run still sweeps the run's objects; and the thresholds read the workload's histograms.

mod moto;
mod proxy_support;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use moto::{aws_env, Moto};
use proxy_support::{Answer, RewriteProxy};
use support::cli::{assert_matches_schema, n};
use support::{assert_accounting, read_report};

const BUCKET: &str = "bench-bucket";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn create_bucket(moto: &Moto) {
    rt().block_on(async { moto.client().create_bucket().bucket(BUCKET).send().await.unwrap() });
}

/// Every key in the bucket, and every incomplete multipart upload.
fn bucket_contents(moto: &Moto) -> (Vec<String>, usize) {
    rt().block_on(async {
        let client = moto.client();
        let list = client.list_objects_v2().bucket(BUCKET).send().await.unwrap();
        let keys = list
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .map(str::to_string)
            .collect();
        let uploads = client.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
        (keys, uploads.uploads().len())
    })
}

fn run(endpoint: &str, out: &std::path::Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut cmd = assert_cmd::Command::cargo_bin("stress-action").unwrap();
    let output = aws_env(&mut cmd)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args([
            "run",
            "-q",
            "--seed",
            "3",
            "--workload",
            "object-storage",
            "--object-store-bucket",
            BUCKET,
        ])
        .args(["--object-store-endpoint", endpoint, "--out"])
        .arg(out)
        .args(extra)
        // 310 MB up and down through moto (Python) takes minutes on a loaded machine (228 s seen).
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(out.join("report.json").is_file(), "no report: {stderr}");
    let report = read_report(out);
    assert_accounting(&report);
    assert_matches_schema("object-storage", &report);
    (output.status.code(), report, stderr)
}

#[test]
fn single_and_multipart_transfers_verify_and_the_bucket_is_empty_afterwards() {
    let moto = Moto::start();
    create_bucket(&moto);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let started = Instant::now();
    let (code, report, stderr) = run(
        &moto.url,
        &out,
        &[
            "--object-store-prefix",
            "ci/bench",
            // 1 MB goes in one PUT, 10 MB in parts (the threshold is 8 MB): both paths, 4 times
            // each, 44 MB through moto instead of the default 310 MB (50 s of the suite).
            "--storage-sizes",
            "1,10",
            "--storage-iterations",
            "4",
            "--threshold",
            "object-storage.download.p95 < 60s",
            "--threshold",
            "object-storage.upload.mbps > 0.01",
        ],
    );
    eprintln!(
        "8 transfers (1 and 10 MB x 4) took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(0), "{stderr}\n{}", report["verdict_reasons"]);
    let w = &report["workloads"]["object-storage"];
    assert_eq!((n(&w["planned"]), n(&w["verified"])), (8, 8), "{w}");
    assert_eq!(w["verdict"], "pass");
    let os = &report["object_storage"];
    assert_eq!(os["bucket"], BUCKET);
    let prefix = os["prefix"].as_str().unwrap();
    assert!(prefix.starts_with("ci/bench/") && prefix.ends_with('/'), "{prefix}");
    assert_eq!(os["multipart_threshold_mb"], 8.0);
    assert_eq!((n(&os["swept"]), n(&os["left_behind"])), (0, 0));
    let sizes: Vec<f64> = os["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size_mb"].as_f64().unwrap())
        .collect();
    assert_eq!(sizes, vec![1.0, 10.0]);
    for size in os["sizes"].as_array().unwrap() {
        assert_eq!((n(&size["verified"]), n(&size["upload_ms"]["count"])), (4, 4), "{size}");
        assert!(size["download_mb_s"].as_f64().unwrap() > 0.0, "{size}");
    }
    for key in ["object-storage.10mb.upload_ms", "object-storage.1mb.download_ms"] {
        assert!(report["histograms"][key].is_string(), "{key}");
    }
    let thresholds = report["thresholds"].as_array().unwrap();
    assert!(thresholds.iter().all(|t| t["ok"] == true), "{thresholds:?}");
    assert_eq!(bucket_contents(&moto), (Vec::new(), 0), "the run left objects behind");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### Object storage"), "{summary}");
    assert!(out.join("object-storage.svg").is_file());
    // report.html gives it a section of its own: the table, then its chart right after it.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let section = &html[html
        .find("<section id=\"object-storage\">")
        .expect("an object-storage section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains("<table") && section.contains("<figure id=\"object-storage.svg\">"),
        "{section}"
    );
}

/// Flips one byte in the middle of every object body served (not listings or errors).
fn flip_object_bytes(mut answer: Answer) -> Answer {
    if answer.method == "GET" && answer.path.ends_with(".bin") && answer.status == 200 && !answer.body.is_empty() {
        let mut body = answer.body.to_vec();
        let middle = body.len() / 2;
        body[middle] ^= 0x01;
        answer.body = body.into();
    }
    answer
}

#[test]
fn a_proxy_that_flips_a_byte_on_get_is_corruption_and_exit_1() {
    let moto = Moto::start();
    create_bucket(&moto);
    let proxy = RewriteProxy::start(&moto.url, flip_object_bytes);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let (code, report, stderr) = run(
        &proxy.url,
        &out,
        &["--storage-sizes", "0.5,1", "--storage-iterations", "2"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    let w = &report["workloads"]["object-storage"];
    assert_eq!((n(&w["planned"]), n(&w["corrupted"]), n(&w["infra"])), (4, 4, 0), "{w}");
    assert_eq!(report["verdict"], "fail");
    let reasons = report["verdict_reasons"].to_string();
    assert!(
        reasons.contains("object-storage: 4 of 4 transfers corrupted"),
        "{reasons}"
    );
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(events.contains("\"check\":\"sha256\""), "{events}");
    assert_eq!(
        bucket_contents(&moto),
        (Vec::new(), 0),
        "objects left after a corrupted run"
    );

    // `compare` reads the object-storage section like the storage one, size by size.
    let compared = assert_cmd::Command::cargo_bin("stress-action")
        .unwrap()
        .arg("compare")
        .args([&out, &out])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&compared.stdout);
    assert!(
        text.contains("Object storage 0.5 MB") && text.contains("Object storage 1 MB"),
        "{text}"
    );
}

#[test]
fn a_missing_bucket_is_infra_and_a_bad_flag_is_exit_2() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = run(
        &moto.url,
        &dir.path().join("run"),
        &["--storage-sizes", "0.25", "--storage-iterations", "2"],
    );
    assert_eq!(code, Some(3), "{stderr}");
    let w = &report["workloads"]["object-storage"];
    assert_eq!((n(&w["infra"]), n(&w["corrupted"])), (2, 0), "{w}");
    let mut cmd = assert_cmd::Command::cargo_bin("stress-action").unwrap();
    let assert = cmd
        .args(["run", "-q", "--workload", "object-storage", "--out"])
        .arg(dir.path().join("no-bucket"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("--object-store-bucket"), "{stderr}");
}

#[test]
fn ctrl_c_mid_run_still_sweeps_the_runs_objects() {
    let moto = Moto::start();
    create_bucket(&moto);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress-action"));
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args([
            "run",
            "-q",
            "--workload",
            "object-storage",
            "--object-store-bucket",
            BUCKET,
        ])
        .args([
            "--object-store-endpoint",
            &moto.url,
            "--storage-sizes",
            "0.25",
            "--storage-iterations",
            "100000",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(out.join("events.jsonl")).map_or(0, |t| t.lines().count()) < 3 {
        assert!(Instant::now() < deadline, "no transfer recorded within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let report = read_report(&out);
    assert_eq!(report["interrupted"], true);
    assert_accounting(&report);
    assert_eq!(bucket_contents(&moto), (Vec::new(), 0), "objects left after Ctrl-C");
}
