//! Run directories for publishing tests, built from the fixture report.json files (all sections)
//! plus the kinds of files a real run leaves (charts, events, logs, markdown, HTML).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn run_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("report-full.json"), dir.join("report.json")).unwrap();
    std::fs::write(
        dir.join("tti-modes.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450"><rect width="10" height="10" fill="blue"/></svg>"#,
    )
    .unwrap();
    std::fs::write(dir.join("events.jsonl"), "{\"op\":\"restore\"}\n{\"op\":\"verify\"}\n").unwrap();
    std::fs::write(dir.join("run.log"), "started\nfinished\n").unwrap();
    dir
}

/// `report.json` edited in place (e.g. to make a regression).
pub fn edit_report(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("report.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// The binary with an environment free of the developer's GitHub/AWS settings.
pub fn cli() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    for var in [
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_EVENT_PATH",
        "GITHUB_SERVER_URL",
        "GITHUB_API_URL",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `publish DIR` to PR o/r#7 of the GitHub-like server at `api_url`, with a token.
pub fn publish_to_github(dir: &Path, api_url: &str, key: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    cli()
        .env("GITHUB_TOKEN", "test-token-not-secret")
        .args(["publish", dir.to_str().unwrap(), "--comment-key", key])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", api_url])
        .args(extra)
        .assert()
}
