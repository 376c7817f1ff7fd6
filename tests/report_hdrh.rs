//! HdrHistogram's own Python package (`hdrh`) reads a real run as it is: report.json's compressed
//! histograms give the same percentiles as its summaries, and histograms.hlog reads with hdrh's
//! interval-log reader. scripts/test installs `hdrhistogram` into .venv and sets `HDRH_PYTHON`;
//! elsewhere the test looks for .venv/bin/python and says so when hdrh is not there.

mod publish_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use publish_support::{cli, edit_report};

/// An interpreter that imports hdrh: `HDRH_PYTHON`, else the project's .venv.
fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidate = std::env::var_os("HDRH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import hdrh"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("HDRH_PYTHON").is_some() {
        panic!("HDRH_PYTHON={} cannot import hdrh", candidate.display());
    }
    ok.then_some(candidate)
}

fn check(python: &Path, dir: &Path) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-hdrh.py");
    Command::new(python).arg(script).arg(dir).output().unwrap()
}

#[test]
fn hdrh_decodes_report_json_and_the_interval_log_with_the_same_percentiles() {
    let Some(python) = python() else {
        eprintln!("skipped: no python with hdrh (scripts/test installs it into .venv)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    cli()
        .args([
            "run",
            "-q",
            "--workload",
            "checkpoint,lifecycle,storage",
            "--restores",
            "4",
            "--modes",
            "sequential,burst",
        ])
        .args(["--lifecycle-count", "30", "--burst-size", "30", "--seed", "3"])
        .args(["--out", dir.to_str().unwrap()])
        .assert()
        .code(0);
    let ok = check(&python, &dir);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("hdrh reads"), "{stdout}");

    // The check can fail: a summary that disagrees with its histogram is named.
    edit_report(&dir, |v| {
        let p95 = &mut v["lifecycle"]["burst"]["tti_ms"]["p95"];
        *p95 = serde_json::json!(p95.as_f64().unwrap() + 1.0);
    });
    let bad = check(&python, &dir);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("lifecycle.burst.tti_ms: p95"), "{stderr}");
}
