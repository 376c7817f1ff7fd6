//! `publish --history-dir/--history-prefix` keeps one entry per run, and `history` turns a
//! branch's entries into trend charts, history.md and history.json with the change points where a
//! level moved: with real runs against `serve` (the last four slower), and with S3 (moto).

mod fake_github;
mod moto;
mod publish_support;
mod serve_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use predicates::prelude::*;
use publish_support::{cli, edit_report, measured_run, publish_to_github};
use serve_support::{ServeArgs, Server};

fn sha(i: usize) -> String {
    format!("{i:x}{}", "0123456789abcdef0123456789abcdef01234567")[..40].to_string()
}

/// One real run of 20 sequential sandboxes against `server`, as commit `i` of main in CI.
fn run_commit(server: &Server, parent: &Path, i: usize) -> PathBuf {
    let out = parent.join(format!("run-{i}"));
    cli()
        .env_remove("GITHUB_ACTIONS")
        .env("GITHUB_SHA", sha(i))
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_RUN_ID", format!("{}", 1000 + i))
        .args(["run", "-q", "--provider", "http", "--endpoint", &server.url])
        .args([
            "--workload",
            "lifecycle",
            "--modes",
            "sequential",
            "--lifecycle-count",
            "20",
            "--seed",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
    out
}

#[test]
fn eight_commits_with_the_last_four_slower_have_one_change_point_at_the_fifth() {
    let fast = Server::clean();
    let slow = Server::start(ServeArgs {
        fault_latency_ms: Some("30".into()),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    for i in 1..=8 {
        let dir = run_commit(if i <= 4 { &fast } else { &slow }, tmp.path(), i);
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["source"]["sha"], sha(i));
        assert_eq!(report["source"]["ref"], "refs/heads/main");
        cli()
            .args([
                "publish",
                dir.to_str().unwrap(),
                "--history-dir",
                index.to_str().unwrap(),
            ])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("history: wrote this run's entry to"));
    }
    assert_eq!(std::fs::read_dir(index.join("main")).unwrap().count(), 8);
    let out = tmp.path().join("trend");
    cli()
        .args([
            "history",
            "--from",
            index.to_str().unwrap(),
            "--branch",
            "main",
            "--last",
            "20",
        ])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("8 runs, 1 change point(s)"))
        .stdout(predicate::str::contains(format!(
            "change point at run 5 (commit {})",
            sha(5)
        )));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("history.json")).unwrap()).unwrap();
    let cps = json["change_points"].as_array().unwrap();
    assert_eq!(cps.len(), 1, "{json:#}");
    assert_eq!(cps[0]["index"], 4);
    assert_eq!(cps[0]["sha"], sha(5));
    let tti = cps[0]["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["series"] == "lifecycle.sequential.tti_ms.p50")
        .unwrap_or_else(|| panic!("TTI p50 moved: {json:#}"));
    let (before, after) = (tti["before"].as_f64().unwrap(), tti["after"].as_f64().unwrap());
    assert!(
        after - before > 25.0,
        "the 30 ms of the slower creates: {before} -> {after}"
    );
    assert_eq!(json["runs"].as_array().unwrap().len(), 8);
    for svg in ["trend-tti.svg", "trend-success.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{svg}: {e}"));
        assert!(!text.contains("style="), "presentation attributes only: {svg}");
    }
    assert!(
        !out.join("trend-restore.svg").exists(),
        "no checkpoint runs, no restore chart"
    );
    let md = std::fs::read_to_string(out.join("history.md")).unwrap();
    assert!(md.contains(&format!("at run 5 of 8, commit `{}`", sha(5))), "{md}");
    assert!(md.contains("![trend-tti.svg](trend-tti.svg)"), "{md}");
}

/// A fixture run of commit `i` on `git_ref`, its TTI scaled by `factor`.
fn commit(parent: &Path, i: usize, git_ref: &str, factor: f64) -> PathBuf {
    let dir = measured_run(parent, &format!("c{i}"), 50, &[("lifecycle.sequential.tti_ms", factor)]);
    edit_report(&dir, |v| {
        v["started_at"] = serde_json::json!(format!("2026-01-0{i}T00:00:00.000Z"));
        v["source"] = serde_json::json!({"repository": "o/r", "sha": sha(i), "ref": git_ref, "run_id": i.to_string()});
    });
    dir
}

#[test]
fn the_pr_comment_shows_the_base_branchs_trend_beside_this_run() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    for i in 1..=5 {
        let dir = commit(tmp.path(), i, "refs/heads/main", 1.0);
        cli()
            .args([
                "publish",
                dir.to_str().unwrap(),
                "--history-dir",
                index.to_str().unwrap(),
            ])
            .assert()
            .success();
    }
    // The PR's report claims to be main (a fork can write anything): its entry still goes to pr-7.
    let pr = commit(tmp.path(), 6, "refs/heads/main", 1.0);
    let gh = fake_github::FakeGitHub::start(100);
    publish_to_github(&pr, &gh.url, "k", &["--history-dir", index.to_str().unwrap()]).success();
    let body = &gh.with_marker("k")[0].body;
    assert!(
        body.contains("**Trend of `main`**: sequential TTI p50 of its last 5 runs"),
        "{body}"
    );
    assert!(body.contains("xychart-beta") && body.contains("\"PR #7\""), "{body}");
    assert_eq!(
        std::fs::read_dir(index.join("main")).unwrap().count(),
        5,
        "main untouched"
    );
    assert_eq!(std::fs::read_dir(index.join("pr-7")).unwrap().count(), 1);
}

#[test]
fn history_in_s3_under_the_default_prefix() {
    let moto = moto::Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        moto.client()
            .create_bucket()
            .bucket("stress-history")
            .send()
            .await
            .unwrap()
    });
    let tmp = tempfile::tempdir().unwrap();
    for i in 1..=7 {
        let dir = commit(tmp.path(), i, "refs/heads/main", if i <= 3 { 1.0 } else { 3.0 });
        let mut cmd = cli();
        moto::aws_env(&mut cmd)
            .env("GITHUB_REPOSITORY", "o/r")
            .args([
                "publish",
                dir.to_str().unwrap(),
                "--s3-bucket",
                "stress-history",
                "--s3-endpoint",
                &moto.url,
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "history: wrote this run's entry to s3://stress-history/stress-action/o/r/history/main/",
            ));
    }
    let out = tmp.path().join("trend");
    let mut cmd = cli();
    moto::aws_env(&mut cmd)
        .args([
            "history",
            "--from",
            "s3://stress-history/stress-action/o/r/history",
            "--s3-endpoint",
            &moto.url,
        ])
        .args(["--last", "5", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("5 runs"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("history.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs[0]["sha"], sha(3), "the last 5 of 7, oldest first");
    assert_eq!(runs[4]["sha"], sha(7));
    assert!(
        out.join("trend-restore.svg").is_file(),
        "the fixture has checkpoint runs"
    );
}

#[test]
fn bad_flags_are_usage_errors_and_an_empty_history_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let from = tmp.path().to_str().unwrap();
    for (flags, field) in [
        (&["--max-p-value", "2"][..], "--max-p-value"),
        (&["--min-magnitude", "-1"][..], "--min-magnitude"),
        (&["--min-segment", "1"][..], "--min-segment"),
        (&["--last", "0"][..], "--last"),
    ] {
        cli()
            .args(["history", "--from", from, "--out", out.to_str().unwrap()])
            .args(flags)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(field));
    }
    cli()
        .args([
            "history",
            "--from",
            from,
            "--branch",
            "main",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: no runs of branch \"main\""));
    let md = std::fs::read_to_string(out.join("history.md")).unwrap();
    assert!(md.contains("No runs recorded for this branch yet"), "{md}");
    cli()
        .args(["publish", tmp.path().to_str().unwrap(), "--history-prefix", "p"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--history-prefix"));
}
