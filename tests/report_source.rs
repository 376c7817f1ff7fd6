//! Where a run came from, as report.json records it and summary.md's footer shows it: from the
//! GitHub Actions environment (git not consulted), from `git` when run locally in a repository (a
//! remote's credentials never kept), and for an aggregate the shards' common source.

mod publish_support;

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::Value;

const ACTIONS_VARS: [&str; 13] = [
    "GITHUB_ACTIONS",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_BASE_REF",
    "GITHUB_EVENT_PATH",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKFLOW",
    "GITHUB_JOB",
    "RUNNER_OS",
    "RUNNER_ARCH",
    "GITHUB_STEP_SUMMARY",
];

/// A small local run from `cwd`, with no GitHub Actions variables but those in `env`.
fn run(cwd: &Path, out: &Path, env: &[(&str, &str)], extra: &[&str]) -> Value {
    let mut cmd = publish_support::cli();
    for var in ACTIONS_VARS {
        cmd.env_remove(var);
    }
    cmd.current_dir(cwd)
        .envs(env.iter().copied())
        .args(["run", "-q", "--workload", "lifecycle", "--modes", "sequential"])
        .args(["--lifecycle-count", "10", "--seed", "1", "--out", out.to_str().unwrap()])
        .args(extra)
        .assert()
        .code(0);
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Std::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A repository on branch `feature/x` with one commit and a remote whose URL carries a token.
fn repository(parent: &Path) -> PathBuf {
    let repo = parent.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "feature/x"]);
    std::fs::write(repo.join("a.txt"), "a").unwrap();
    git(&repo, &["add", "a.txt"]);
    git(&repo, &["commit", "-qm", "one"]);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://someone:ghp_SECRETtoken123@github.com/acme/widgets.git",
        ],
    );
    repo
}

fn every_file_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    all
}

#[test]
fn a_local_run_in_a_repository_records_its_commit_and_never_the_remotes_token() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repository(tmp.path());
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let out = tmp.path().join("run");
    let report = run(&repo, &out, &[], &[]);
    let source = &report["source"];
    assert_eq!(source["sha"], head.as_str());
    assert_eq!(source["ref"], "refs/heads/feature/x");
    assert_eq!(source["repository"], "acme/widgets");
    for absent in [
        "base_ref",
        "pr",
        "run_id",
        "run_attempt",
        "workflow",
        "job",
        "runner_os",
        "runner_arch",
    ] {
        assert_eq!(source[absent], Value::Null, "{absent}: {source}");
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let footer = summary
        .lines()
        .find(|l| l.starts_with("<sub>source: "))
        .expect("source footer");
    assert!(footer.contains(&format!("acme/widgets@{}", &head[..7])), "{footer}");
    assert!(footer.contains("refs/heads/feature/x"), "{footer}");
    assert!(
        !every_file_in(&out).contains("SECRETtoken"),
        "the remote's token reached the run directory"
    );

    // Outside any repository and outside Actions, nothing is known and nothing is guessed.
    let bare = tempfile::tempdir().unwrap();
    let report = run(
        bare.path(),
        &tmp.path().join("bare"),
        &[("GIT_CEILING_DIRECTORIES", "/")],
        &[],
    );
    assert!(
        report["source"].as_object().unwrap().values().all(Value::is_null),
        "{}",
        report["source"]
    );
}

#[test]
fn in_github_actions_the_environment_is_the_source_and_git_is_not_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repository(tmp.path());
    let event = tmp.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 7}}"#).unwrap();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_SHA", sha),
        ("GITHUB_REF", "refs/pull/7/merge"),
        ("GITHUB_BASE_REF", "main"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_RUN_ID", "99"),
        ("GITHUB_RUN_ATTEMPT", "2"),
        ("GITHUB_WORKFLOW", "stress"),
        ("GITHUB_JOB", "smoke"),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
    ];
    let out = tmp.path().join("run");
    let report = run(&repo, &out, &env, &[]);
    let want = serde_json::json!({
        "repository": "o/r", "sha": sha, "ref": "refs/pull/7/merge", "base_ref": "main", "pr": 7,
        "run_id": "99", "run_attempt": 2, "workflow": "stress", "job": "smoke",
        "runner_os": "Linux", "runner_arch": "X64"
    });
    assert_eq!(report["source"], want);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(
            "<sub>source: o/r@0123456 · refs/pull/7/merge → main · PR #7 · run 99 (attempt 2) · stress / smoke · Linux X64</sub>"
        ),
        "{summary}"
    );

    // Whatever the environment holds is taken as text, never a panic.
    let odd = run(
        &repo,
        &tmp.path().join("odd"),
        &[("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", "ééééééééé")],
        &[],
    );
    assert_eq!(odd["source"]["sha"], "ééééééééé");
    assert_eq!(odd["source"]["ref"], Value::Null, "git was asked inside Actions");
}

#[test]
fn an_aggregate_keeps_what_its_shards_share() {
    let tmp = tempfile::tempdir().unwrap();
    let sha = "89abcdef0123456789abcdef0123456789abcdef";
    let shards: Vec<PathBuf> = (1..=2)
        .map(|i| {
            let out = tmp.path().join(format!("shard-{i}"));
            let job = format!("shard-{i}");
            let env = [
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_SHA", sha),
                ("GITHUB_JOB", job.as_str()),
            ];
            run(tmp.path(), &out, &env, &["--shard", &format!("{i}/2"), "--group", "g"]);
            out
        })
        .collect();
    let out = tmp.path().join("all");
    Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["aggregate", "--out", out.to_str().unwrap()])
        .args(&shards)
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["source"]["sha"], sha);
    assert_eq!(report["source"]["job"], Value::Null, "{}", report["source"]);
}
