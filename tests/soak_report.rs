//! What a timed run shows at its end, through the real CLI against the real `serve` over
//! 127.0.0.1: a server that cannot keep up (`--fault-capacity` below the offered rate) builds a
//! queue, so time to interactive grows over the run; the trend test says so in report.json, the
//! console calls it out above the verdict, summary.md leads with it (the per-window table folded in
//! a `<details>`), and report.html has the windows as a table. Every output calls out exactly the
//! latencies the trend test says degraded (none on an unloaded machine).

mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::ServeChild;
use support::{assert_accounting, read_report};

/// `run` (not quiet: the console is under test) for 3 s at `rate` in half-second windows.
fn timed_run(url: &str, out: &Path, rate: &str) -> (i32, String) {
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "--seed", "7", "--provider", "http", "--endpoint", url])
        .args([
            "--workload",
            "lifecycle",
            "--duration",
            "3s",
            "--rate",
            rate,
            "--window",
            "500ms",
        ])
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

/// The `<section id="soak">` of report.html.
fn soak_section(html: &str) -> &str {
    let start = html
        .find("<section id=\"soak\">")
        .expect("report.html has a soak section");
    let end = html[start..].find("</section>").unwrap();
    &html[start..start + end]
}

const TTI: &str = "lifecycle.staggered.tti_ms";

#[test]
fn a_queue_that_grows_is_called_out_as_a_degraded_trend_everywhere() {
    // 3 creates at once x 100 ms is 30 a second; 40 a second are offered.
    let server = ServeChild::start(&[
        "--fault-capacity",
        "3",
        "--fault-latency-ms",
        "100",
        "--fault-ops",
        "create",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = timed_run(&server.url, dir.path(), "40/s");
    assert_eq!(code, 0, "every sandbox is verified, only later: {stdout}");
    let report = read_report(dir.path());
    assert_accounting(&report);
    let trend = &report["timeseries"]["trends"][TTI];
    assert_eq!(trend["degraded"], true, "{trend}");

    let callout = stdout
        .lines()
        .find(|l| l.starts_with(&format!("DEGRADED: {TTI}")))
        .unwrap_or_else(|| panic!("the console calls the trend out: {stdout}"));
    assert!(
        callout.contains(&format!("drift {:.2}", trend["drift"].as_f64().unwrap())),
        "{callout}"
    );
    let verdict_at = stdout.find("\nverdict: ").unwrap();
    assert!(stdout.find(callout).unwrap() < verdict_at, "above the verdict");

    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let lead = summary
        .find(&format!("**`{TTI}` degraded**"))
        .expect("summary.md leads with it");
    assert!(
        lead < summary.find("<details>").unwrap(),
        "visible without opening anything"
    );
    let windows = report["timeseries"]["windows"].as_array().unwrap();
    let folded = summary.find("<summary>Time series of").expect("the windows are folded");
    assert!(summary[folded..].contains("| t s | launched |"), "{summary}");

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let soak = soak_section(&html);
    assert!(soak.contains("lifecycle.staggered.tti_ms degraded"), "{soak}");
    // One header row and one row per window (a short run shows every window).
    let rows = soak.matches("<tr>").count();
    assert_eq!(rows, 1 + windows.len(), "{soak}");
    assert!(
        soak.contains("<th>t s</th>") && soak.contains("id=\"timeseries.svg\""),
        "{soak}"
    );
}

/// On an unloaded server nothing should degrade, but a loaded test machine can slow a run's last
/// third for real (the trend test is right to say so): the outputs are checked against the trend
/// test key by key, whichever way it went, so a callout without a degradation (or one left out)
/// fails on any machine.
#[test]
fn the_callouts_follow_the_trend_test_key_by_key() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = timed_run(&server.url, dir.path(), "30/s");
    assert_eq!(code, 0, "{stdout}");
    let report = read_report(dir.path());
    // (A loaded machine may leave a third under 20 samples: no trend, and nothing to call out.)
    let trends = report["timeseries"]["trends"].as_object().cloned().unwrap_or_default();
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let soak = soak_section(&html);
    assert!(soak.contains("<th>t s</th>"), "{soak}");
    for (key, t) in &trends {
        let degraded = t["degraded"] == Value::Bool(true);
        assert_eq!(
            stdout.contains(&format!("DEGRADED: {key}:")),
            degraded,
            "{key}: {t}\n{stdout}"
        );
        assert_eq!(
            summary.contains(&format!("**`{key}` degraded**")),
            degraded,
            "{key}: {summary}"
        );
        assert_eq!(soak.contains(&format!("{key} degraded")), degraded, "{key}: {soak}");
    }
    let called_out = stdout.matches("DEGRADED: ").count();
    let degraded = trends.values().filter(|t| t["degraded"] == true).count();
    assert_eq!(called_out, degraded, "{stdout}");
}
