//! Running the `stress-action doctor` binary and reading what it said: the exit code, and the
//! checks of its `--json` report by name.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::process::Command;

pub struct Doctor {
    pub code: Option<i32>,
    pub report: serde_json::Value,
    pub stderr: String,
}

impl Doctor {
    fn names(&self, status: &str) -> BTreeSet<String> {
        self.checks()
            .iter()
            .filter(|c| c["status"] == status)
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn checks(&self) -> Vec<serde_json::Value> {
        self.report["checks"].as_array().cloned().unwrap_or_default()
    }

    pub fn failed(&self) -> BTreeSet<String> {
        self.names("fail")
    }

    pub fn passed(&self) -> BTreeSet<String> {
        self.names("pass")
    }

    /// The check called `name`; panics with the whole report when there is none.
    pub fn check(&self, name: &str) -> serde_json::Value {
        self.checks()
            .into_iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {:#}", self.report))
    }

    /// What the report says, for assertion messages.
    pub fn shown(&self) -> String {
        let lines: Vec<String> = self
            .checks()
            .iter()
            .map(|c| format!("{} {}: {} | {}", c["status"], c["name"], c["expected"], c["received"]))
            .collect();
        format!("exit {:?}\n{}\nstderr: {}", self.code, lines.join("\n"), self.stderr)
    }
}

/// `stress-action doctor ARGS --json`, without a token unless `env` gives one.
pub fn doctor(args: &[&str], env: &[(&str, &str)]) -> Doctor {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress-action"));
    cmd.arg("doctor")
        .args(args)
        .arg("--json")
        .env_remove("STRESS_ACTION_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("--json output ({e}): {stdout}\n{stderr}"));
    Doctor {
        code: out.status.code(),
        report,
        stderr,
    }
}

/// `doctor --provider http --endpoint URL --json`.
pub fn doctor_http(url: &str) -> Doctor {
    doctor(&["--provider", "http", "--endpoint", url], &[])
}

/// The checks every doctor run against a working platform passes, whatever one mistake it has.
pub const CORE: [&str; 6] = ["health", "create", "image.true", "files.empty", "restore", "cleanup"];

/// Asserts exit 1 with exactly `failing` failed, and the core checks still passing.
pub fn assert_fails_only(d: &Doctor, failing: &[&str]) {
    // Shown by `--no-capture`: what a platform engineer would read.
    println!("{}", d.shown());
    assert_eq!(d.code, Some(1), "{}", d.shown());
    let want: BTreeSet<String> = failing.iter().map(|s| s.to_string()).collect();
    assert_eq!(d.failed(), want, "{}", d.shown());
    for name in CORE {
        assert!(d.passed().contains(name), "{name} still passes: {}", d.shown());
    }
}
