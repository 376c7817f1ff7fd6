//! The trend in words: history.md (the runs, the change points and how they were found) and the
//! one line the PR comment gains, a Mermaid line of the base branch's headline metric with this
//! run's value beside it.

use super::entry::HistoryEntry;
use super::trend::Trend;
use crate::report::{decode_histogram, LatencySummary, RunResult};

/// The headline metric of a trend line: the first of these both the history and the run have.
const HEADLINES: [(&str, &str); 4] = [
    ("lifecycle.sequential.tti_ms", "sequential TTI p50"),
    ("lifecycle.staggered.tti_ms", "staggered TTI p50"),
    ("lifecycle.burst.tti_ms", "burst TTI p50"),
    ("checkpoint.all.restore_ms", "restore p50"),
];

/// history.md: `charts` are the trend SVGs written next to it.
pub fn history_markdown(trend: &Trend, charts: &[String]) -> String {
    let mut out = format!(
        "## stress-action history of `{}`: {} run{}\n\n",
        trend.branch,
        trend.runs.len(),
        if trend.runs.len() == 1 { "" } else { "s" }
    );
    if trend.runs.is_empty() {
        out.push_str("_No runs recorded for this branch yet._\n");
        return out;
    }
    out.push_str(&change_points_section(trend));
    for chart in charts {
        out.push_str(&format!("![{chart}]({chart})\n"));
    }
    if !charts.is_empty() {
        out.push('\n');
    }
    let columns: Vec<_> = trend.series.iter().collect();
    out.push_str("| # | commit | started | verdict |");
    for s in &columns {
        out.push_str(&format!(" {} ({}) |", s.label, s.unit));
    }
    out.push_str("\n|---:|---|---|---|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for (i, run) in trend.runs.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {} |",
            i + 1,
            run.label,
            run.started_at,
            run.verdict.as_str()
        ));
        for s in &columns {
            out.push_str(&format!(" {} |", s.values[i].map_or("-".into(), num)));
        }
        out.push('\n');
    }
    let m = &trend.method;
    out.push_str(&format!(
        "\n_Change points: {}; a split is kept when p < {} and the level moved by at least {} %, with at least {} runs on each side (docs/statistics.md)._\n",
        m.name,
        m.max_p_value,
        m.min_magnitude * 100.0,
        m.min_segment
    ));
    out
}

fn change_points_section(trend: &Trend) -> String {
    if trend.change_points.is_empty() {
        return "**Change points:** none: no level moved.\n\n".into();
    }
    let mut out = format!("**Change points ({}):**\n\n", trend.change_points.len());
    for c in &trend.change_points {
        let moves: Vec<String> = c
            .moves
            .iter()
            .map(|m| {
                format!(
                    "{} {} → {} {} ({:+.1} %, p = {:.1e})",
                    m.label,
                    num(m.before),
                    num(m.after),
                    m.unit,
                    m.change * 100.0,
                    m.p_value
                )
            })
            .collect();
        out.push_str(&format!(
            "- at run {} of {}, commit `{}`: {}\n",
            c.index + 1,
            trend.runs.len(),
            c.sha.as_deref().unwrap_or(&c.label),
            moves.join("; ")
        ));
    }
    out.push('\n');
    out
}

/// The PR comment's trend line: the base branch's last runs of the headline metric and this run's
/// value beside it, as text and as a Mermaid line; `None` when they share no headline metric.
pub fn sparkline(branch: &str, entries: &[HistoryEntry], current: &RunResult, current_label: &str) -> Option<String> {
    let (key, label) = HEADLINES.iter().find(|(k, _)| {
        current.histograms.contains_key(*k) && entries.iter().any(|e| e.metrics.get(*k).is_some_and(|m| m.count > 0))
    })?;
    let now = LatencySummary::from_histogram(&decode_histogram(current.histograms.get(*key)?).ok()?);
    if now.count == 0 {
        return None;
    }
    let points: Vec<(String, f64)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let m = e.metrics.get(*key).filter(|m| m.count > 0)?;
            Some((
                e.source.short_sha().map_or(format!("#{}", i + 1), str::to_string),
                m.p50,
            ))
        })
        .collect();
    let mut labels: Vec<String> = points.iter().map(|(l, _)| format!("\"{l}\"")).collect();
    labels.push(format!("\"{current_label}\""));
    let mut line: Vec<String> = points.iter().map(|(_, v)| format!("{v:.2}")).collect();
    line.push(format!("{:.2}", now.p50));
    let mut bar = vec!["0".to_string(); points.len()];
    bar.push(format!("{:.2}", now.p50));
    let top = points.iter().map(|(_, v)| *v).fold(now.p50, f64::max) * 1.2;
    Some(format!(
        "**Trend of `{branch}`**: {label} of its last {} runs, {} → {}; {current_label}: **{} ms**\n\n```mermaid\nxychart-beta\n    title \"{label} (ms): {branch}, then {current_label}\"\n    x-axis [{}]\n    y-axis \"ms\" 0 --> {:.0}\n    line [{}]\n    bar [{}]\n```\n",
        points.len(),
        num(points.first().map_or(0.0, |p| p.1)),
        num(points.last().map_or(0.0, |p| p.1)),
        num(now.p50),
        labels.join(", "),
        top.ceil().max(1.0),
        line.join(", "),
        bar.join(", ")
    ))
}

fn num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
