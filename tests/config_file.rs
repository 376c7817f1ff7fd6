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
