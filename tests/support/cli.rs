//! Running `stress-action run` through the binary for CLI tests: exit code, report.json (checked
//! against the schema and the accounting invariant) and the run directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

use super::{assert_accounting, read_report};

/// `stress-action run -q --seed 9 --out DIR/NAME ARGS` with `env` set; panics without a report.
pub fn run_cli(
    dir: &Path,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value, PathBuf) {
    let out = dir.join(name);
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .envs(env.iter().copied())
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "-q", "--seed", "9", "--out"])
        .arg(&out)
        .args(args)
        .timeout(Duration::from_secs(240))
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        out.join("report.json").is_file(),
        "no report (exit {code:?}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = read_report(&out);
    assert_accounting(&report);
    assert_matches_schema(name, &report);
    (code, report, out)
}

pub fn assert_matches_schema(what: &str, report: &serde_json::Value) {
    let text = std::fs::read_to_string("schema/report.schema.json").unwrap();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler
        .add_resource("file:///report.schema.json", serde_json::from_str(&text).unwrap())
        .unwrap();
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile("file:///report.schema.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(report, index) {
        panic!("{what}: report.json does not match the schema: {e:#}");
    }
}

/// A count in report.json.
pub fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// How many evidence directories a run left.
pub fn evidence_dirs(out: &Path) -> usize {
    std::fs::read_dir(out.join("evidence")).map_or(0, |d| d.count())
}
