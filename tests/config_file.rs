//! stress.toml through the binary: every flag of `run` is a key of the file, flags override it,
//! and unknown keys are refused with the key and the line named.

mod support;

use assert_cmd::Command;
use predicates::str::contains;
use support::read_report;

fn stress() -> Command {
    Command::cargo_bin("stress-action").unwrap()
}

/// The long flags `run --help` lists, so a flag added later is covered without editing this test.
fn run_flags() -> Vec<String> {
    let help = stress().args(["run", "--help"]).output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    let mut flags: Vec<String> = text
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string())
        .filter(|f| !f.is_empty() && !matches!(f.as_str(), "help" | "config" | "version"))
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn every_run_flag_is_a_config_key() {
    let flags = run_flags();
    assert!(flags.len() >= 12, "parsed flags from --help: {flags:?}");
    let dir = tempfile::tempdir().unwrap();
    for flag in flags {
        // A wrong-typed or invalid value, and a poison key so nothing ever runs.
        let poison = if flag == "concurrency" {
            "rounds = 0"
        } else {
            "concurrency = 0"
        };
        let path = dir.path().join(format!("{flag}.toml"));
        std::fs::write(&path, format!("{flag} = \"not-a-valid-value\"\n{poison}\n")).unwrap();
        let out = stress()
            .arg("run")
            .arg("--config")
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join("never"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            !stderr.contains("unknown field"),
            "--{flag} cannot be set in stress.toml: {stderr}"
        );
    }
    assert!(!dir.path().join("never").exists());
}

#[test]
fn flags_override_the_file_and_typos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stress.toml");
    std::fs::write(&path, "restores = 6\nmarker-size = 1\nseed = 11\nconcurrency = 2\n").unwrap();
    let out = dir.path().join("run");
    stress()
        .args(["run", "-q", "-n", "3", "--config"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let report = read_report(&out);
    assert_eq!(report["config"]["restores"], 3, "the flag wins over the file");
    assert_eq!(report["config"]["concurrency"], 2, "the file wins over the profile");
    assert_eq!(report["seed"], 11);

    std::fs::write(&path, "restores = 6\n# a comment\nconcurency = 2\n").unwrap();
    stress()
        .arg("run")
        .arg("--config")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("line 3"))
        .stderr(contains("concurency"));
    stress()
        .args(["run", "--config", "/nonexistent/stress.toml"])
        .assert()
        .code(2)
        .stderr(contains("--config"));
}

/// `run` with the GitHub Actions variables of the developer's (or CI's) environment removed, so
/// publishing has nowhere to go but the run directory.
fn run_without_actions_env() -> Command {
    let mut cmd = stress();
    for var in [
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_EVENT_PATH",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
    ] {
        cmd.env_remove(var);
    }
    cmd.args([
        "run",
        "-q",
        "-n",
        "2",
        "-r",
        "1",
        "-c",
        "2",
        "--marker-size",
        "0.05",
        "--workload",
        "checkpoint",
    ]);
    cmd
}

#[test]
fn a_publish_table_turns_publishing_on_and_its_mistakes_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("stress.toml");
    // Publishing with nowhere to send to still renders the comment into the run directory.
    std::fs::write(&config, "seed = 3\n\n[publish]\ncomment-key = \"nightly\"\n").unwrap();
    let on = dir.path().join("on");
    run_without_actions_env()
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&on)
        .assert()
        .code(0);
    let comment = std::fs::read_to_string(on.join("comment.md")).expect("[publish] published the run");
    assert!(comment.contains("stress-action verdict"), "{comment}");

    std::fs::write(&config, "[publish]\nenabled = false\ncomment-key = \"nightly\"\n").unwrap();
    let off = dir.path().join("off");
    run_without_actions_env()
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&off)
        .assert()
        .code(0);
    assert!(off.join("report.json").is_file());
    assert!(!off.join("comment.md").exists(), "enabled = false does not publish");

    // A bad value in the table is the flag's error, before anything runs.
    std::fs::write(&config, "[publish]\ncomment-key = \"not a key\"\n").unwrap();
    let never = dir.path().join("never");
    run_without_actions_env()
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&never)
        .assert()
        .code(2)
        .stderr(contains("--comment-key"));
    // The same key at the top level and in the table: which one wins would be a guess.
    std::fs::write(&config, "comment-key = \"a\"\n[publish]\ncomment-key = \"b\"\n").unwrap();
    run_without_actions_env()
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&never)
        .assert()
        .code(2)
        .stderr(contains("line 3"))
        .stderr(contains("`comment-key` is set twice"));
    assert!(!never.exists());
}
