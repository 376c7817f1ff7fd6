//! Publishing when a step fails: S3 is down (a closed port on 127.0.0.1), GitHub is the GitHub-like
//! server. Every step is still attempted, the comment says the upload failed and links nothing that
//! is not there, and the exit code is 4 for `publish`, the verdict's for `run --publish`.

mod fake_github;
mod moto;
mod publish_support;

use fake_github::FakeGitHub;
use moto::aws_env;
use publish_support::{cli, edit_report, run_dir};

const CDN: &str = "https://cdn.example.test/results";

/// What a reader of the posted comment must never be sent to when nothing was uploaded.
fn assert_links_nothing_uploaded(body: &str) {
    assert!(body.contains("The upload to S3 failed"), "{body}");
    for broken in [
        CDN,
        "cdn.example.test",
        "stress-bucket",
        "s3://",
        "X-Amz-Signature",
        "![",
    ] {
        assert!(!body.contains(broken), "the comment links {broken:?}:\n{body}");
    }
    assert!(
        body.contains("```mermaid"),
        "charts fall back to inline Mermaid:\n{body}"
    );
}

#[test]
fn s3_down_still_posts_the_comment_saying_so_then_exits_4() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    edit_report(&dir, |v| v["verdict"] = serde_json::json!("inconclusive"));
    let gh = FakeGitHub::start(100);
    let outputs = tmp.path().join("github-output");
    let s3 = String::from("http://127.0.0.1:1") /* port 1: nothing listens, and no parallel test can take it */;
    let mut cmd = cli();
    aws_env(&mut cmd)
        .env("GITHUB_TOKEN", "test-token-not-secret")
        .env("GITHUB_OUTPUT", &outputs)
        .args(["publish", dir.to_str().unwrap()])
        .args([
            "--s3-bucket",
            "stress-bucket",
            "--s3-endpoint",
            &s3,
            "--public-base-url",
            CDN,
        ])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", &gh.url])
        .assert()
        .code(4)
        .stdout(predicates::str::contains("created PR comment"))
        .stderr(predicates::str::contains(
            "error: S3: cannot upload s3://stress-bucket/",
        ));
    let ours = gh.with_marker("default");
    assert_eq!(ours.len(), 1, "the comment was posted despite the failed upload");
    assert_links_nothing_uploaded(&ours[0].body);
    assert!(ours[0].body.contains("inconclusive"), "{}", ours[0].body);
    assert_eq!(
        std::fs::read_to_string(dir.join("comment.md")).unwrap(),
        ours[0].body,
        "comment.md keeps what was posted"
    );
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        outputs.contains("verdict<<STRESS_ACTION_EOF\ninconclusive\nSTRESS_ACTION_EOF\n"),
        "the verdict output is report.json's even on exit 4: {outputs}"
    );
    assert!(
        !outputs.contains("report-url"),
        "no URL of a report that is not there: {outputs}"
    );
}

#[test]
fn a_failed_comment_does_not_stop_the_other_steps() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    for _ in 0..5 {
        gh.script(500, &[("Retry-After", "0")]);
    }
    let moto = moto::Moto::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            moto.client()
                .create_bucket()
                .bucket("stress-bucket")
                .send()
                .await
                .unwrap()
        });
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", dir.to_str().unwrap()])
        .args([
            "--s3-bucket",
            "stress-bucket",
            "--s3-endpoint",
            &moto.url,
            "--s3-prefix",
            "p",
        ])
        .args(["--save-baseline", "s3://stress-bucket/baselines/main.json"])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", &gh.url])
        .assert()
        .code(4)
        .stdout(predicates::str::contains("uploaded"))
        .stdout(predicates::str::contains("saved the baseline"))
        .stderr(predicates::str::contains("error: GitHub:"));
}

#[test]
fn run_publish_with_s3_down_still_comments_and_keeps_the_verdicts_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let gh = FakeGitHub::start(100);
    let s3 = String::from("http://127.0.0.1:1") /* port 1: nothing listens, and no parallel test can take it */;
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args([
            "run",
            "-n",
            "2",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "1",
        ])
        .args(["--workload", "checkpoint", "--out", out.to_str().unwrap(), "--publish"])
        .args([
            "--s3-bucket",
            "stress-bucket",
            "--s3-endpoint",
            &s3,
            "--public-base-url",
            CDN,
        ])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", &gh.url])
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "warning: publishing failed (S3: cannot upload s3://stress-bucket/",
        ));
    let ours = gh.with_marker("default");
    assert_eq!(ours.len(), 1, "the comment was posted despite the failed upload");
    assert_links_nothing_uploaded(&ours[0].body);
    assert!(ours[0].body.contains("pass"), "{}", ours[0].body);
}

#[test]
fn a_usage_error_still_leaves_report_jsons_verdict_as_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    edit_report(&dir, |v| v["verdict"] = serde_json::json!("fail"));
    let outputs = tmp.path().join("github-output");
    // A baseline that is there but is no report is the user's to fix (one not there yet is a
    // branch's first run, not an error).
    let baseline = tmp.path().join("baseline.json");
    std::fs::write(&baseline, "not a report").unwrap();
    cli()
        .env("GITHUB_OUTPUT", &outputs)
        .args(["publish", dir.to_str().unwrap()])
        .args(["--baseline", baseline.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid --baseline"));
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        outputs.contains("verdict<<STRESS_ACTION_EOF\nfail\nSTRESS_ACTION_EOF\n"),
        "{outputs}"
    );
}
