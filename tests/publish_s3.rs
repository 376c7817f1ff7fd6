//! Uploading run directories to a real S3 protocol server (moto on 127.0.0.1).

mod moto;
mod publish_support;

use std::collections::BTreeMap;

use moto::{aws_env, Moto};
use predicates::prelude::*;
use publish_support::{cli, run_dir};

const BUCKET: &str = "stress-bucket";

/// key -> (bytes, content type) of every object under `prefix`.
fn download_all(moto: &Moto, bucket: &str, prefix: &str) -> BTreeMap<String, (Vec<u8>, String)> {
    publish_support::download_all(&moto.client(), bucket, prefix)
}

fn create_bucket(moto: &Moto, bucket: &str) {
    publish_support::create_bucket(&moto.client(), bucket);
}

fn publish_s3(moto_url: &str, dir: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args([
            "publish",
            dir.to_str().unwrap(),
            "--s3-bucket",
            BUCKET,
            "--s3-endpoint",
            moto_url,
        ])
        .args(extra)
        .assert()
}

/// What a run directory holds by construction, plus a file it does not: only the first kind is
/// uploaded, each under its cap, byte for byte, with its Content-Type, and a second publish of the
/// same run changes nothing.
#[test]
fn the_run_directorys_data_and_the_rendered_reports_are_uploaded_byte_for_byte_and_idempotently() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    std::fs::write(dir.join("error-details.log"), "op 1: timeout\n").unwrap();
    // Over the multipart threshold, with content that catches misordered parts.
    let big: Vec<u8> = (0..17 * 1024 * 1024 + 123)
        .map(|i: u32| b"abcdefghij\n"[(i % 11) as usize])
        .collect();
    std::fs::write(dir.join("events.jsonl"), &big).unwrap();
    // Over run.log's 16 MiB cap and an evidence file's 1 MiB cap: skipped, and said so.
    std::fs::write(dir.join("run.log"), vec![b'x'; 16 * 1024 * 1024 + 1]).unwrap();
    std::fs::create_dir_all(dir.join("evidence/op-1")).unwrap();
    std::fs::write(dir.join("evidence/op-1/expected.txt"), "marker 1\n").unwrap();
    std::fs::write(dir.join("evidence/op-1/huge.txt"), vec![b'y'; 1024 * 1024 + 1]).unwrap();
    std::fs::write(dir.join("big.bin"), &big).unwrap();

    publish_s3(&moto.url, &dir, &["--s3-prefix", "runs/1"])
        .success()
        .stdout(predicates::str::contains("to s3://stress-bucket/runs/1"))
        .stderr(predicates::str::contains("not publishing run.log: over the 16 MiB cap"))
        .stderr(predicates::str::contains(
            "not publishing evidence/op-1/huge.txt: over the 1 MiB cap per evidence file",
        ));
    let first = download_all(&moto, BUCKET, "runs/1/");
    let published = publish_support::files_under(&dir.join("published"));
    let keys: Vec<String> = first
        .keys()
        .map(|k| k.strip_prefix("runs/1/").unwrap().to_string())
        .collect();
    assert_eq!(keys, published, "DIR/published/ holds exactly what was uploaded");
    for name in &published {
        let (bytes, _) = &first[&format!("runs/1/{name}")];
        assert_eq!(
            bytes,
            &std::fs::read(dir.join("published").join(name)).unwrap(),
            "{name} differs"
        );
    }
    for name in [
        "report.json",
        "events.jsonl",
        "error-details.log",
        "evidence/op-1/expected.txt",
    ] {
        assert_eq!(
            first[&format!("runs/1/{name}")].0,
            std::fs::read(dir.join(name)).unwrap(),
            "{name} is passed on as it is"
        );
    }
    for name in [
        "summary.md",
        "report.html",
        "tti-burst.svg",
        "comment.md",
        "s3-manifest.json",
    ] {
        assert!(published.contains(&name.to_string()), "{name} in {published:?}");
    }
    for name in ["big.bin", "run.log", "evidence/op-1/huge.txt"] {
        assert!(!published.contains(&name.to_string()), "{name} in {published:?}");
    }
    let ct = |name: &str| first[&format!("runs/1/{name}")].1.clone();
    assert_eq!(ct("tti-burst.svg"), "image/svg+xml");
    assert_eq!(ct("report.json"), "application/json");
    assert_eq!(ct("events.jsonl"), "application/x-ndjson");
    assert!(ct("summary.md").starts_with("text/markdown"));
    assert!(ct("report.html").starts_with("text/html"));
    assert!(ct("error-details.log").starts_with("text/plain"));
    assert!(ct("evidence/op-1/expected.txt").starts_with("text/plain"));

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("s3-manifest.json")).unwrap()).unwrap();
    let objects = manifest["objects"].as_array().unwrap();
    assert_eq!(
        objects.len(),
        published.len() - 1,
        "every object but the manifest itself"
    );
    let big_entry = objects.iter().find(|o| o["key"] == "runs/1/events.jsonl").unwrap();
    assert_eq!(big_entry["size"], big.len() as u64);
    assert_eq!(big_entry["sha256"].as_str().unwrap().len(), 64);
    let skipped: Vec<(&str, u64)> = manifest["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["file"].as_str().unwrap(), s["size"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("run.log", 16 * 1024 * 1024 + 1),
            ("evidence/op-1/huge.txt", 1024 * 1024 + 1)
        ]
    );
    assert_eq!(manifest["not_published"], serde_json::json!(["big.bin"]));

    // Publishing the same run again changes nothing.
    publish_s3(&moto.url, &dir, &["--s3-prefix", "runs/1"]).success();
    let second = download_all(&moto, BUCKET, "runs/1/");
    assert_eq!(first, second);
}

#[test]
fn presigned_links_put_chart_images_in_the_comment() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    publish_s3(&moto.url, &dir, &["--s3-prefix", "p", "--presign-days", "7"]).success();
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(body.contains("![tti-burst.svg]("), "{body}");
    assert!(body.contains("X-Amz-Signature"), "{body}");
    let charts = &body[body.find("### Charts").expect("a charts section")..];
    assert!(
        !charts.contains("```mermaid"),
        "linked images, not inline charts: {charts}"
    );
}

#[test]
fn baselines_are_saved_to_and_read_from_s3() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let base = publish_support::measured_run(tmp.path(), "base", 200, &[]);
    publish_s3(
        &moto.url,
        &base,
        &["--save-baseline", "s3://stress-bucket/baselines/main.json"],
    )
    .success();
    let current = publish_support::measured_run(tmp.path(), "current", 200, &[("lifecycle.burst.tti_ms", 2.0)]);
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", current.to_str().unwrap(), "--s3-endpoint", &moto.url])
        .args([
            "--baseline",
            "s3://stress-bucket/baselines/main.json",
            "--fail-on-regression",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("Burst TTI regressed: p"));
    let cmp = std::fs::read_to_string(current.join("comparison.md")).unwrap();
    assert!(cmp.contains("🔴 **regressed** (p"), "{cmp}");
}

#[test]
fn an_unreachable_server_is_a_clear_error_and_exit_4() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let url = String::from("http://127.0.0.1:1") /* port 1: nothing listens, and no parallel test can take it */;
    publish_s3(&url, &dir, &[]).code(4).stderr(predicates::str::contains(
        "error: S3: cannot upload s3://stress-bucket/",
    ));
}

#[test]
fn a_public_base_url_links_charts_and_the_full_report() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    std::fs::write(dir.join("report.html"), "<html></html>").unwrap();
    let outputs = tmp.path().join("github-output");
    let mut cmd = cli();
    aws_env(&mut cmd)
        .env("GITHUB_OUTPUT", &outputs)
        .args([
            "publish",
            dir.to_str().unwrap(),
            "--s3-bucket",
            BUCKET,
            "--s3-endpoint",
            &moto.url,
        ])
        .args(["--s3-prefix", "p/1", "--public-base-url", "https://cdn.example.test/r/"])
        .assert()
        .success();
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        outputs.contains("report-url<<STRESS_ACTION_EOF\nhttps://cdn.example.test/r/p/1/report.html\n"),
        "the action's report-url output: {outputs}"
    );
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(
        body.contains("![tti-burst.svg](https://cdn.example.test/r/p/1/tti-burst.svg)"),
        "{body}"
    );
    assert!(
        body.contains("[full report](https://cdn.example.test/r/p/1/report.html)"),
        "{body}"
    );
}

fn keys_under(moto: &Moto, prefix: &str) -> Vec<String> {
    download_all(moto, BUCKET, prefix).into_keys().collect()
}

const SAVED: &str = "s3://stress-bucket/baselines/main.json";

/// A change to a workload's results in report.json.
type Edit = fn(&mut serde_json::Value);

#[test]
fn only_a_passing_run_is_saved_as_the_baseline() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    // report.json still says pass: publishing judges the run from its numbers.
    let edits: [(&str, Edit); 2] = [
        ("fail", |w| {
            w["corrupted"] = 1.into();
            w["verified"] = 9.into();
        }),
        ("inconclusive", |w| {
            w["infra"] = 10.into();
            w["verified"] = 0.into();
        }),
    ];
    for (verdict, edit) in edits {
        let dir = run_dir(tmp.path(), verdict);
        publish_support::edit_report(&dir, |v| edit(&mut v["workloads"]["checkpoint"]));
        let mut cmd = cli();
        aws_env(&mut cmd)
            .args(["publish", dir.to_str().unwrap(), "--s3-endpoint", &moto.url])
            .args(["--save-baseline", SAVED])
            .assert()
            .code(0)
            .stdout(predicates::str::contains("saved the baseline").not())
            .stderr(predicates::str::contains(format!(
                "warning: not saving the baseline to {SAVED}: the verdict is {verdict}; only a passing run becomes the baseline"
            )));
        assert!(keys_under(&moto, "baselines/").is_empty(), "a {verdict} run was saved");
    }
    let pass = run_dir(tmp.path(), "pass");
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", pass.to_str().unwrap(), "--s3-endpoint", &moto.url])
        .args(["--save-baseline", SAVED])
        .assert()
        .success()
        .stderr(predicates::str::contains("not saving").not());
    let saved = download_all(&moto, BUCKET, "baselines/");
    assert_eq!(
        saved["baselines/main.json"].0,
        std::fs::read(pass.join("report.json")).unwrap()
    );
}

#[test]
fn an_inconclusive_run_saves_no_baseline_and_keeps_exit_3() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // A 1 ms command timeout: nothing can be verified, so the run is inconclusive.
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args([
            "run",
            "-q",
            "--workload",
            "checkpoint",
            "-n",
            "2",
            "--exec-timeout-ms",
            "1",
        ])
        .args(["--out", out.to_str().unwrap(), "--publish", "--s3-endpoint", &moto.url])
        .args(["--save-baseline", SAVED])
        .assert()
        .code(3)
        .stderr(
            predicates::str::contains("not saving the baseline")
                .and(predicates::str::contains("the verdict is inconclusive")),
        );
    assert!(keys_under(&moto, "baselines/").is_empty());
    assert!(out.join("report.json").is_file());
}
