//! Chaos faults on the time series, through the real binary: a chaos run records when each
//! scenario run had its fault armed (`chaos.fault_windows` in report.json, one per run, on the
//! wall clock), has a time series, and timeseries.svg shades each span where the x axis puts its
//! start and end; a run without chaos shades nothing.

mod report_support;
mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use chrono::DateTime;
use report_support::svg::Chart;
use serde_json::Value;
use support::cli::assert_matches_schema;
use support::read_report;

/// The fault shade's fill, as the chart writes it.
const FAULT: &str = "#B2182B";

fn run(out: &Path, args: &[&str]) {
    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "-q", "--seed", "3", "--window", "500ms"])
        .args(args)
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(180))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// The shaded spans of timeseries.svg: (x, width) of every rectangle filled with the fault colour.
fn shaded(chart: &Chart) -> Vec<(f64, f64)> {
    let doc = roxmltree::Document::parse(&chart.svg).unwrap();
    let mut spans: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(FAULT))
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap();
            (num("x"), num("width"))
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    spans
}

fn seconds_between(from: &Value, to: &Value) -> f64 {
    let t = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    (t(to) - t(from)).num_microseconds().unwrap() as f64 / 1e6
}

#[test]
fn each_chaos_fault_window_is_shaded_where_it_happened() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chaos");
    let work = dir.path().join("work");
    let work = work.to_str().unwrap();
    run(
        &out,
        &[
            "--workload",
            "chaos",
            "--nemesis",
            "latency,5xx",
            "-n",
            "8",
            "--work-dir",
            work,
        ],
    );
    let report = read_report(&out);
    assert_matches_schema("a chaos run with its fault windows", &report);
    let faults = report["chaos"]["fault_windows"].as_array().unwrap();
    let names: Vec<&str> = faults.iter().map(|f| f["scenario"].as_str().unwrap()).collect();
    assert_eq!(names, ["latency", "5xx"], "one window per scenario run");
    let series = &report["timeseries"];
    assert!(series["windows"].as_array().unwrap().len() >= 2, "{series}");
    assert!(
        series.get("trends").is_none(),
        "scenarios differ by design: no trend across them"
    );

    let chart = Chart::read(&out, "timeseries.svg");
    let spans = shaded(&chart);
    assert_eq!(spans.len(), faults.len(), "{spans:?}");
    let x = chart.x_axis();
    for (f, (px, width)) in faults.iter().zip(&spans) {
        let start = seconds_between(&series["started_at"], &f["started_at"]);
        let end = start + f["duration_s"].as_f64().unwrap();
        assert!(
            (x.px(start) - px).abs() <= 2.0,
            "{f}: starts at {start} s, drawn at x {px}"
        );
        assert!(
            (x.px(end) - (px + width)).abs() <= 2.0,
            "{f}: ends at {end} s, drawn to x {}",
            px + width
        );
    }
    // The second scenario starts where the first ended: the spans do not overlap.
    assert!(spans[0].0 + spans[0].1 <= spans[1].0 + 1.0, "{spans:?}");
}

#[test]
fn a_run_without_chaos_shades_nothing() {
    let server = serve_support::ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("timed");
    run(
        &out,
        &[
            "--provider",
            "http",
            "--endpoint",
            &server.url,
            "--workload",
            "lifecycle",
            "--duration",
            "1s",
            "--rate",
            "20/s",
        ],
    );
    assert!(read_report(&out)["chaos"].is_null());
    assert!(shaded(&Chart::read(&out, "timeseries.svg")).is_empty());
}
