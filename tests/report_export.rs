//! The exporters on synthetic run directories with every section: summary snapshots, charts that
//! parse and render, a self-contained HTML report, deterministic output.

mod report_support;

use report_support::{assert_chart_is_readable, full_result, write_run_dir, Scenario, ALL_CHARTS};
use stress_action::report::export::{render_summary, ExportManager};
use stress_action::report::view::RunView;

fn summary_of(scenario: Scenario) -> String {
    let dir = tempfile::tempdir().unwrap();
    let result = full_result(scenario);
    write_run_dir(dir.path(), &result);
    render_summary(&RunView::build(&result, dir.path())).unwrap()
}

#[test]
fn summary_of_a_passing_run() {
    let md = summary_of(Scenario::Pass);
    assert!(md.contains("✅ **pass**"), "{md}");
    insta::assert_snapshot!("summary_pass", md);
}

#[test]
fn summary_of_a_run_with_corruption() {
    let md = summary_of(Scenario::Corruption);
    assert!(
        md.contains(
            "❌ **fail** · 3 corruptions injected by the self-test, 3 detected: checkpoint: 27 of 150 restores corrupted"
        ),
        "{md}"
    );
    assert!(md.contains("| checkpoint | ❌ fail | 123 / 150 | 27 |"), "{md}");
    assert!(md.contains("<details>") && md.contains("first 20 of 27"), "{md}");
    insta::assert_snapshot!("summary_corruption", md);
}

#[test]
fn summary_of_a_run_with_infra_errors() {
    let md = summary_of(Scenario::Infra);
    assert!(md.contains("⚠️ **inconclusive**"), "{md}");
    assert!(md.contains("| timeout | 90 |"), "{md}");
    insta::assert_snapshot!("summary_infra", md);
}

#[test]
fn every_chart_is_written_parses_and_renders() {
    for scenario in [Scenario::Pass, Scenario::Corruption, Scenario::Infra] {
        let dir = tempfile::tempdir().unwrap();
        let result = full_result(scenario);
        write_run_dir(dir.path(), &result);
        let files = ExportManager::default().export(&result, dir.path()).unwrap();
        for chart in ALL_CHARTS {
            assert!(
                files.iter().any(|f| f == chart),
                "{scenario:?}: {chart} missing from {files:?}"
            );
            let svg = std::fs::read_to_string(dir.path().join(chart)).unwrap();
            assert_chart_is_readable(chart, &svg);
        }
    }
}

#[test]
fn html_report_inlines_every_chart_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let result = full_result(Scenario::Corruption);
    write_run_dir(dir.path(), &result);
    ExportManager::default().export(&result, dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(
        html.matches("<svg").count(),
        ALL_CHARTS.len(),
        "one inline <svg> per chart"
    );
    for chart in ALL_CHARTS {
        assert!(
            html.contains(&format!("<figure id=\"{chart}\">")),
            "{chart} not inlined"
        );
    }
    assert!(html.contains("<table"), "tables rendered");
    assert!(!html.contains("<script"), "no scripts at all");
    assert!(!html.contains("<link"), "no external stylesheets");
    assert!(!html.contains("@font-face") && !html.contains("@import"), "no fonts");
    assert!(
        !html.contains("mermaid") && !html.contains("xychart"),
        "no raw Mermaid source"
    );
    assert!(html.contains("@media print"), "a print stylesheet");
    for (i, _) in html.match_indices("http") {
        let around = &html[i.saturating_sub(20)..(i + 40).min(html.len())];
        assert!(
            around.contains("www.w3.org/2000/svg"),
            "external URL in report.html: {around}"
        );
    }
}

#[test]
fn html_report_puts_the_verdict_and_the_failures_first() {
    let dir = tempfile::tempdir().unwrap();
    let result = full_result(Scenario::Corruption);
    write_run_dir(dir.path(), &result);
    ExportManager::default().export(&result, dir.path()).unwrap();
    // The template escapes `/` in text and attributes; a browser reads it back as `/`.
    let html = std::fs::read_to_string(dir.path().join("report.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    let banner = html
        .find("<header class=\"banner fail\"")
        .expect("a banner classed by the verdict");
    assert!(html.contains(".banner.fail {"), "its colour comes from CSS");
    assert!(
        html[banner..].contains("<p class=\"verdict\">fail</p>"),
        "the verdict is a word"
    );
    assert!(
        html.contains("<span class=\"badge fail\">fail</span>"),
        "one row per workload"
    );
    let details = html
        .find("<details class=\"corruptions\" id=\"corruptions\" open>")
        .expect("corruption details open when the run failed");
    let first_section = html.find("<section").unwrap();
    assert!(
        banner < details && details < first_section,
        "banner, then corruptions, then the rest"
    );
    assert!(
        html.contains("<a href=\"evidence/round1-restore0/\">evidence/round1-restore0/</a>"),
        "evidence is a relative link"
    );
    // Each chart sits in its section, after its table, with a caption saying what good is.
    let storage = html.find("<section id=\"storage\">").unwrap();
    let chart = html.find("<figure id=\"storage.svg\">").unwrap();
    assert!(storage < chart, "storage.svg in the storage section");
    assert!(html[chart..].contains("higher throughput is better"));
    assert!(html.contains("<figure id=\"tti-burst.svg\">"));
    assert!(html.contains("lower is better; TTI from the scheduled start"));

    let pass = full_result(Scenario::Pass);
    let dir = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), &pass);
    ExportManager::default().export(&pass, dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<header class=\"banner pass\""));
    assert!(!html.contains("class=\"corruptions\""), "nothing to open on a pass");
}

#[test]
fn rendering_is_deterministic() {
    let result = full_result(Scenario::Corruption);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write_run_dir(a.path(), &result);
    write_run_dir(b.path(), &result);
    let files = ExportManager::default().export(&result, a.path()).unwrap();
    ExportManager::default().export(&result, b.path()).unwrap();
    for f in &files {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between two renders");
    }
}

#[test]
fn sections_that_did_not_run_are_left_out() {
    let mut result = full_result(Scenario::Pass);
    result.lifecycle = None;
    result.storage = None;
    let dir = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), &result);
    let files = ExportManager::default().export(&result, dir.path()).unwrap();
    assert_eq!(
        files,
        [
            "checkpoint-latency.svg",
            "restores.svg",
            "summary.md",
            "report.html",
            "histograms.hlog"
        ]
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        !md.contains("Lifecycle") && !md.contains("Storage") && !md.contains("mermaid"),
        "{md}"
    );
}

#[test]
fn the_comment_draws_each_chart_once_and_mermaid_names_its_lines() {
    use stress_action::publish::comment::{render, CommentInput};
    let dir = tempfile::tempdir().unwrap();
    let result = full_result(Scenario::Pass);
    write_run_dir(dir.path(), &result);
    let view = RunView::build(&result, dir.path());
    let md = render_summary(&view).unwrap();
    assert_eq!(
        md.matches("```mermaid").count(),
        1,
        "summary.md draws TTI per mode once"
    );
    assert!(md.contains("lines from the bottom: p50, p95, p99"), "{md}");
    let urls = Default::default();
    let body = render(&CommentInput {
        key: "k",
        view: &view,
        comparison_md: None,
        trend_md: None,
        file_urls: &urls,
        chart_files: Vec::new(),
        run_url: None,
        notices: &[],
    });
    assert_eq!(
        body.matches("```mermaid").count(),
        1,
        "the comment's summary draws the TTI chart, the charts section does not again: {body}"
    );
}
