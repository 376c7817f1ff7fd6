//! A branch's first run has no baseline yet: publishing and the comment go on, the comment says so,
//! and the exit code is the run's (also with `--fail-on-regression`). A baseline that exists but is
//! no report is still the user's mistake (exit 2).

mod fake_github;
mod moto;
mod publish_support;

use fake_github::FakeGitHub;
use moto::{aws_env, Moto};
use predicates::prelude::*;
use publish_support::{cli, measured_run, publish_to_github};

const FIRST_RUN: &str = "First run on this branch: nothing to compare";

#[test]
fn publish_without_a_baseline_yet_posts_the_comment_with_the_first_run_note() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = measured_run(tmp.path(), "run", 50, &[]);
    let gh = FakeGitHub::start(100);
    let missing = tmp.path().join("baseline-not-saved-yet");
    publish_to_github(
        &dir,
        &gh.url,
        "k",
        &["--baseline", missing.to_str().unwrap(), "--fail-on-regression"],
    )
    .code(0)
    .stdout(predicate::str::contains("created PR comment"))
    .stderr(predicate::str::contains("first run, nothing to compare"));
    let ours = gh.with_marker("k");
    assert_eq!(ours.len(), 1);
    assert!(ours[0].body.contains(FIRST_RUN), "{}", ours[0].body);
    assert!(
        !ours[0].body.contains("Comparison with the baseline"),
        "{}",
        ours[0].body
    );
    assert!(!dir.join("comparison.md").exists());
}

#[test]
fn a_baseline_that_nothing_can_be_compared_with_makes_the_gate_inconclusive_not_green() {
    // The baseline exists but is of another profile: the gate judged nothing, so a passing run
    // publishes its comment and exits 3 (inconclusive), saying why; the same without the gate is 0.
    let tmp = tempfile::tempdir().unwrap();
    let dir = measured_run(tmp.path(), "run", 50, &[]);
    let base = measured_run(tmp.path(), "base", 50, &[]);
    publish_support::edit_report(&base, |v| v["profile"] = serde_json::json!("burst"));
    let gh = FakeGitHub::start(100);
    let args = ["--baseline", base.to_str().unwrap(), "--fail-on-regression"];
    publish_to_github(&dir, &gh.url, "k", &args)
        .code(3)
        .stdout(predicate::str::contains("created PR comment"))
        .stderr(predicate::str::contains(
            "inconclusive: --fail-on-regression tested nothing: the runs are incomparable",
        ));
    publish_to_github(&dir, &gh.url, "k", &args[..2]).code(0);
}

#[test]
fn a_run_without_a_baseline_yet_keeps_its_own_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = measured_run(tmp.path(), "run", 50, &[]);
    let missing = tmp.path().join("nothing-here");
    let out = tmp.path().join("run2");
    // `run --baseline` with no baseline yet: the run's verdict decides (a pass here).
    cli()
        .args([
            "run",
            "-q",
            "-n",
            "2",
            "-r",
            "1",
            "--marker-size",
            "0.05",
            "--workload",
            "checkpoint",
        ])
        .args(["--out", out.to_str().unwrap(), "--baseline", missing.to_str().unwrap()])
        .arg("--fail-on-regression")
        .assert()
        .code(0);
    // A baseline file that is not a report is a usage error.
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, "{").unwrap();
    cli()
        .args(["publish", dir.to_str().unwrap(), "--baseline", junk.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid --baseline"));
}

#[test]
fn an_s3_baseline_not_saved_yet_is_a_first_run_not_a_failure() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        moto.client()
            .create_bucket()
            .bucket("stress-baselines")
            .send()
            .await
            .unwrap()
    });
    let dir = measured_run(tmp.path(), "run", 50, &[]);
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", dir.to_str().unwrap(), "--s3-endpoint", &moto.url])
        .args([
            "--baseline",
            "s3://stress-baselines/baselines/main/report.json",
            "--fail-on-regression",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "no baseline at s3://stress-baselines/baselines/main/report.json: first run",
        ));
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(body.contains(FIRST_RUN), "{body}");
    // A bucket that does not exist is not "no baseline yet": the read failed (exit 4), said so.
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", dir.to_str().unwrap(), "--s3-endpoint", &moto.url])
        .args(["--baseline", "s3://no-such-bucket/main.json"])
        .assert()
        .code(4);
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(body.contains("The baseline could not be read"), "{body}");
}
