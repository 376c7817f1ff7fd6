//! The PR comment body: a header with the verdict and links, the run's summary (rendered from the
//! view, which leads with the workloads' verdicts, crossed thresholds and significant regressions),
//! the base branch's trend line, the baseline comparison folded into `<details>`, and the charts,
//! shortened section by section to fit GitHub's 65,536-character limit.
//!
//! The summary is summary.md's template rendered from the view built from report.json (with the
//! comparison) by the shared markdown exporter, never a summary.md found in the run directory; when
//! rendering failed, a compact body is rendered here from the same view.

use std::collections::BTreeMap;

use crate::report::export::markdown::format::verdict_line;
use crate::report::export::mermaid::xychart;
use crate::report::export::render_summary;
use crate::report::view::RunView;

/// GitHub rejects issue comments longer than this (in characters).
pub const MAX_COMMENT_CHARS: usize = 65_536;

pub fn marker(key: &str) -> String {
    format!("<!-- stress-action:{key} -->")
}

/// Everything the body is made of; links are absolute URLs (public or presigned) by file name.
pub struct CommentInput<'a> {
    pub key: &'a str,
    pub view: &'a RunView<'a>,
    pub comparison_md: Option<String>,
    /// The base branch's trend of the headline metric with this run beside it.
    pub trend_md: Option<String>,
    pub file_urls: &'a BTreeMap<String, String>,
    pub chart_files: Vec<String>,
    pub run_url: Option<&'a str>,
    /// Warnings a reader must see before the numbers (e.g. the upload failed), one paragraph each.
    pub notices: &'a [String],
}

/// A body section; lower `priority` sections are shortened first.
struct Section {
    title: &'static str,
    text: String,
    priority: u8,
}

pub fn render(input: &CommentInput) -> String {
    let full_report = input
        .file_urls
        .get("report.html")
        .or_else(|| input.file_urls.get("report.json"))
        .map(String::as_str)
        .or(input.run_url);
    let mut header = format!(
        "{}\n## stress-action verdict: {}\n\n",
        marker(input.key),
        verdict_line(&input.view.headline)
    );
    let mut links = Vec::new();
    if let Some(url) = input.run_url {
        links.push(format!("[workflow run]({url})"));
    }
    if let Some(url) = full_report {
        links.push(format!("[full report]({url})"));
    }
    if !links.is_empty() {
        header.push_str(&links.join(" · "));
        header.push_str("\n\n");
    }
    for notice in input.notices {
        header.push_str(&format!("> {notice}\n\n"));
    }
    let summary = render_summary(input.view).unwrap_or_else(|_| compact_summary(input.view));
    let summary_has_chart = summary.contains("```mermaid");
    let mut sections = vec![Section {
        title: "Summary",
        text: summary,
        priority: 1,
    }];
    if let Some(trend) = &input.trend_md {
        sections.push(Section {
            title: "Trend",
            text: trend.clone(),
            priority: 2,
        });
    }
    if let Some(cmp) = &input.comparison_md {
        sections.push(Section {
            title: "Comparison with the baseline",
            text: format!(
                "<details>\n<summary>Every metric against the baseline</summary>\n\n### Comparison with the baseline\n\n{cmp}\n</details>\n"
            ),
            priority: 2,
        });
    }
    sections.push(Section {
        title: "Charts",
        text: charts_section(input, summary_has_chart),
        priority: 0,
    });
    fit(header, sections, full_report)
}

/// Joins header and sections; when too long, replaces sections (least important first) by a
/// pointer to the full report, and as a last resort cuts the text. Never returns more than
/// [`MAX_COMMENT_CHARS`] characters.
fn fit(header: String, mut sections: Vec<Section>, full_report: Option<&str>) -> String {
    let join = |sections: &[Section]| {
        let mut body = header.clone();
        for s in sections {
            body.push_str(&s.text);
            body.push('\n');
        }
        body
    };
    let pointer = |title: &str| match full_report {
        Some(url) => format!("_{title}: too long for a comment, see the [full report]({url})._\n"),
        None => format!("_{title}: too long for a comment, see the run directory._\n"),
    };
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].priority);
    for i in order {
        if join(&sections).chars().count() <= MAX_COMMENT_CHARS {
            break;
        }
        sections[i].text = pointer(sections[i].title);
    }
    let body = join(&sections);
    if body.chars().count() <= MAX_COMMENT_CHARS {
        return body;
    }
    let note = pointer("Header");
    let keep = MAX_COMMENT_CHARS.saturating_sub(note.chars().count() + 1);
    let mut cut: String = body.chars().take(keep).collect();
    cut.push('\n');
    cut.push_str(&note);
    cut
}

fn charts_section(input: &CommentInput, summary_has_chart: bool) -> String {
    let mut out = String::from("### Charts\n\n");
    let linked: Vec<_> = input
        .chart_files
        .iter()
        .filter_map(|f| input.file_urls.get(f).map(|u| (f, u)))
        .collect();
    if !linked.is_empty() {
        for (name, url) in linked {
            out.push_str(&format!("![{name}]({url})\n"));
        }
        return out;
    }
    // summary.md already draws its Mermaid chart: a second copy would show the same chart twice.
    if summary_has_chart {
        return String::new();
    }
    // Inline charts need no upload: TTI per mode, or checkpoint latency when no mode ran.
    match input.view.tti_chart.as_ref().or(input.view.checkpoint_chart.as_ref()) {
        Some(chart) => {
            out.push_str(&xychart(chart));
            out.push('\n');
        }
        None => out.push_str("_No chart data in this run._\n"),
    }
    out
}

/// The body used when summary.md could not be rendered. It always names the three lifecycle
/// modes, saying "not run" for those absent, so a reader sees what was not measured.
pub fn compact_summary(view: &RunView<'_>) -> String {
    let r = view.result;
    let t = &r.totals;
    let mut out = format!(
        "### Integrity\n\n| planned | verified | corrupted | infra | lost | injected / detected |\n|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} / {} |\n\n",
        t.planned, t.verified, t.corrupted, t.infra, t.lost, t.injected, t.injected_detected
    );
    if let Some(c) = &r.checkpoint {
        out.push_str(&format!(
            "Checkpoint: {} round(s); restore p50 {:.1} ms, p95 {:.1} ms; verify p50 {:.1} ms, p95 {:.1} ms.\n\n",
            c.rounds.len(),
            c.restore_ms.p50,
            c.restore_ms.p95,
            c.verify_ms.p50,
            c.verify_ms.p95
        ));
    }
    out.push_str("### Lifecycle\n\n| Mode | count | success | partial | readiness failed | failed | TTI p50 | TTI p95 | TTI p99 | peak concurrency |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (mode, name) in [
        ("sequential", "Sequential"),
        ("staggered", "Staggered"),
        ("burst", "Burst"),
    ] {
        match view.modes.iter().find(|(ran, _)| *ran == mode).map(|(_, m)| m) {
            Some(m) => out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} |\n",
                m.count,
                m.status.success,
                m.status.partial,
                m.status.readiness_failed,
                m.status.failed,
                m.tti_ms.p50,
                m.tti_ms.p95,
                m.tti_ms.p99,
                m.peak_concurrency
            )),
            None => out.push_str(&format!("| {name} | not run | | | | | | | | |\n")),
        }
    }
    out.push_str("\n### Storage\n\n");
    match &r.storage {
        Some(s) if !s.sizes.is_empty() => {
            out.push_str("| size | verified | corrupted | infra | upload MB/s | download MB/s | upload p95 | download p95 |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for z in &s.sizes {
                out.push_str(&format!(
                    "| {} MB | {} | {} | {} | {:.1} | {:.1} | {:.1} ms | {:.1} ms |\n",
                    z.size_mb,
                    z.verified,
                    z.corrupted,
                    z.infra,
                    z.upload_mb_s,
                    z.download_mb_s,
                    z.upload_ms.p95,
                    z.download_ms.p95
                ));
            }
        }
        _ => out.push_str("_not run_\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_body_is_shortened_below_the_limit() {
        let header = "<!-- stress-action:k -->\n".to_string();
        let sections = vec![
            Section {
                title: "Summary",
                text: "x".repeat(70_000),
                priority: 1,
            },
            Section {
                title: "Charts",
                text: "small chart\n".into(),
                priority: 0,
            },
        ];
        let body = fit(header.clone(), sections, Some("https://example.invalid/r.html"));
        assert!(body.chars().count() <= MAX_COMMENT_CHARS);
        assert!(body.starts_with(&header));
        assert!(body.contains("full report"));
        let huge = fit("h".repeat(80_000), vec![], None);
        assert!(huge.chars().count() <= MAX_COMMENT_CHARS);
    }
}
