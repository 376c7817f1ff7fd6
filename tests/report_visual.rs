//! The charts as a reader sees them, checked from their drawn coordinates: every SVG renders to a
//! PNG; a 10-sample percentile curve reaches its slowest sample with little headroom; no chart has
//! a second y axis; and a real burst's timeline, drawn as steps, has the area the stated mean
//! promises (and a wrong mean is caught).

mod report_support;
mod serve_support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use report_support::svg::{render_png, Chart};
use report_support::{full_result, write_run_dir, Scenario, ALL_CHARTS};
use serve_support::{ServeArgs, Server};
use stress_action::report::export::ExportManager;
use stress_action::report::timeline::{self, MAX_POINTS};
use stress_action::report::{encode_histogram, new_histogram, LatencySummary, RunResult};

const BLUE: &str = "#4C78A8";
const ORANGE: &str = "#F58518";
const RED: &str = "#E45756";

fn export(result: &RunResult) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), result);
    ExportManager::default().export(result, dir.path()).unwrap();
    dir
}

#[test]
fn every_chart_renders_to_a_png_that_is_not_blank() {
    for scenario in [Scenario::Pass, Scenario::Corruption, Scenario::Infra] {
        let dir = export(&full_result(scenario));
        for name in ALL_CHARTS {
            let chart = Chart::read(dir.path(), name);
            let png = render_png(name, &chart.svg);
            let first = png.pixels()[0];
            let inked = png.pixels().iter().filter(|p| **p != first).count();
            assert!(inked > 2000, "{name}: {inked} pixels drawn");
            let bytes = png.encode_png().unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{name}");
        }
    }
}

/// The sequential mode of the fixture with TTI of exactly 10 samples: nine from 0.50 to 0.94 ms
/// and one slow one, 1.32 ms (p95 = p99 = max), the one a reader looks for.
fn ten_samples() -> RunResult {
    let mut result = full_result(Scenario::Pass);
    let mut h = new_histogram();
    for v in [500, 550, 600, 650, 700, 750, 800, 870, 940, 1320] {
        h.record(v).unwrap();
    }
    let summary = LatencySummary::from_histogram(&h);
    assert!((summary.max - 1.32).abs() < 0.01 && (summary.p95 - summary.max).abs() < 0.01);
    result
        .histograms
        .insert("lifecycle.sequential.tti_ms".into(), encode_histogram(&h));
    // TTI alone on the chart, so its axis is its own.
    for metric in ["create_ms", "first_command_ms"] {
        result.histograms.remove(&format!("lifecycle.sequential.{metric}"));
    }
    if let Some(m) = result.lifecycle.as_mut().and_then(|l| l.sequential.as_mut()) {
        m.tti_ms = summary;
        m.create_ms = LatencySummary::default();
        m.first_command_ms = LatencySummary::default();
    }
    result
}

#[test]
fn a_ten_sample_percentile_chart_plots_its_maximum_with_little_headroom() {
    let dir = export(&ten_samples());
    let chart = Chart::read(dir.path(), "tti-sequential.svg");
    let y = chart.y_axis();
    let tti = chart.lines(RED);
    assert_eq!(tti.len(), 1, "one TTI curve");
    let top_px = tti[0].iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let drawn_max = y.value(top_px);
    assert!(
        (drawn_max - 1.32).abs() < 0.02,
        "the curve's highest drawn point is {drawn_max:.3} ms, the slowest sample 1.32 ms"
    );
    let end = tti[0].last().copied().unwrap();
    assert_eq!(end.1, top_px, "the curve ends at its maximum");
    let texts: Vec<String> = chart.texts().into_iter().map(|t| t.4).collect();
    assert!(
        texts.iter().any(|t| t == "max 1.32"),
        "the end point is labelled: {texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("n = 10")),
        "n in the subtitle: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("TTI: p50 ") && t.contains("p95 1.32") && t.contains("p99 1.32")),
        "p50/p95/p99 with their values: {texts:?}"
    );
    // Headroom: the value at the plot's top edge is within 10 % of the maximum.
    let axis_max = y.value(chart.plot_top());
    assert!(
        axis_max <= 1.32 * 1.10 + 0.01,
        "the y axis goes to {axis_max:.2} ms for a 1.32 ms maximum"
    );
}

#[test]
fn no_chart_has_a_second_y_axis() {
    for scenario in [Scenario::Pass, Scenario::Corruption] {
        let dir = export(&full_result(scenario));
        for name in ALL_CHARTS {
            let chart = Chart::read(dir.path(), name);
            let titles = chart.y_axis_titles();
            assert!(!titles.is_empty(), "{name}: no y axis title");
            assert!(
                titles.iter().all(|x| *x < 100.0),
                "{name}: a y axis title on the right (a second axis) at {titles:?}"
            );
            let right_ticks: Vec<String> = chart
                .texts()
                .into_iter()
                .filter(|(x, _, anchor, t, text)| {
                    *x > 700.0 && anchor == "start" && t.is_none() && text.parse::<f64>().is_ok()
                })
                .map(|t| t.4)
                .collect();
            assert!(
                right_ticks.is_empty(),
                "{name}: tick labels right of the plot {right_ticks:?}"
            );
        }
    }
}

/// The area under the drawn step line divided by its drawn span, in the axes' units.
fn drawn_mean(chart: &Chart) -> f64 {
    let (x, y) = (chart.x_axis(), chart.y_axis());
    let steps = chart.lines(BLUE);
    assert_eq!(steps.len(), 1, "{}: one step line", chart.name);
    let points: Vec<(f64, f64)> = steps[0].iter().map(|(px, py)| (x.value(*px), y.value(*py))).collect();
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    let span = points.last().unwrap().0 - points[0].0;
    area / span
}

/// The orange mean line's value on the y axis.
fn drawn_mean_line(chart: &Chart) -> f64 {
    let lines = chart.lines(ORANGE);
    assert_eq!(lines.len(), 1, "{}: one mean line", chart.name);
    chart.y_axis().value(lines[0][0].1)
}

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN");
    cmd
}

fn mode(out: &Path, name: &str) -> serde_json::Value {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    report["lifecycle"][name].clone()
}

#[test]
fn a_burst_timeline_has_the_area_its_stated_mean_promises_and_a_wrong_mean_is_caught() {
    let server = Server::start(ServeArgs::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let args = ["run", "-q", "--seed", "5", "--profile", "burst", "--burst-size", "300"];
    let code = stress()
        .args(args)
        .args(["--provider", "http", "--endpoint", &server.url, "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(240))
        .assert()
        .get_output()
        .status
        .code();
    assert_eq!(code, Some(0), "the burst passes");
    let burst = mode(&out, "burst");
    let points: Vec<stress_action::report::TimelinePoint> = serde_json::from_value(burst["timeline"].clone()).unwrap();
    assert!(points.len() <= MAX_POINTS);
    assert_eq!(
        timeline::peak(&points),
        300,
        "every sandbox of the burst was alive at once"
    );
    let stated = burst["mean_concurrency"].as_f64().unwrap();
    assert!((timeline::mean(&points) - stated).abs() <= 0.001 * stated.max(1.0));

    let chart = Chart::read(&out, "concurrency-burst.svg");
    let (drawn, line) = (drawn_mean(&chart), drawn_mean_line(&chart));
    assert!(
        (drawn - stated).abs() <= 0.01 * stated,
        "area / span of the steps {drawn:.2}, stated mean {stated}"
    );
    assert!(
        (line - stated).abs() <= 0.01 * stated,
        "the mean line is at {line:.2}, stated {stated}"
    );

    // A report whose mean does not match its timeline is drawn as it says, and the check sees it.
    let path = out.join("report.json");
    let mut report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    report["lifecycle"]["burst"]["mean_concurrency"] = serde_json::json!(stated * 1.2);
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    stress().args(["report"]).arg(&out).assert().success();
    let chart = Chart::read(&out, "concurrency-burst.svg");
    let (drawn, line) = (drawn_mean(&chart), drawn_mean_line(&chart));
    assert!(
        (line - drawn).abs() > 0.1 * drawn,
        "a mean 20 % off must not match the steps: line {line:.2}, steps {drawn:.2}"
    );
}

#[test]
fn sequential_draws_its_timeline_and_says_why_it_reaches_its_count() {
    let dir = export(&full_result(Scenario::Pass));
    let chart = Chart::read(dir.path(), "concurrency-sequential.svg");
    let texts: Vec<String> = chart.texts().into_iter().map(|t| t.4).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("held alive until the whole mode settles")),
        "{texts:?}"
    );
}
