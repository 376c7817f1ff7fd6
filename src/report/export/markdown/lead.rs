//! What summary.md (and so the PR comment and report.html) leads with, before everything else
//! folds into `<details>`: crossed thresholds, the comparison with the baseline, one table of the
//! three lifecycle modes; and the footer line saying which commit the run measured.

use serde::Serialize;

use super::format::{cell, fmt_ms};
use crate::compare::{effect_text, p_text};
use crate::report::view::{RunView, ThresholdStatus};
use crate::report::Source;

/// The comparison's lines under the headline.
#[derive(Serialize)]
pub struct BaselineLead {
    pub heading: String,
    pub lines: Vec<String>,
}

/// `❌ threshold `expr` crossed: measured 812 ms`, one per threshold that did not hold.
pub fn crossed(view: &RunView<'_>) -> Vec<String> {
    view.crossed
        .iter()
        .map(|t| match t.status {
            ThresholdStatus::NoData => format!("⚠️ threshold `{}`: no data ({})", cell(t.expr), cell(t.measured)),
            _ => format!("❌ threshold `{}` crossed: measured {}", cell(t.expr), cell(t.measured)),
        })
        .collect()
}

pub fn baseline(view: &RunView<'_>) -> Option<BaselineLead> {
    let b = view.baseline.as_ref()?;
    let how = format!(
        "Mann–Whitney U, α = {}, minimum effect {} % and {} ms",
        b.settings.alpha,
        (b.settings.min_effect * 1000.0).round() / 10.0,
        b.settings.min_effect_ms
    );
    if let Some(why) = b.incomparable {
        return Some(BaselineLead {
            heading: format!(
                "**Against the baseline:** not compared, the runs are incomparable ({}).",
                cell(why)
            ),
            lines: Vec::new(),
        });
    }
    let heading = match (b.regressions.len(), b.no_data.len()) {
        (0, 0) => format!(
            "**Against the baseline:** no significant regression in {} metrics ({} improved; {how}).",
            b.compared, b.improved
        ),
        (n, _) => format!(
            "**Against the baseline:** {n} significant regression{} in {} metrics ({how}):",
            if n == 1 { "" } else { "s" },
            b.compared
        ),
    };
    let mut lines: Vec<String> = b
        .regressions
        .iter()
        .map(|r| match &r.decision {
            crate::compare::Decision::Regressed { effect } => format!(
                "🔴 **{} {}** regressed: {}, p = {}",
                cell(&r.section),
                r.metric,
                effect_text(effect),
                r.evidence.as_ref().map_or("-".into(), |e| p_text(e.p_value))
            ),
            _ => String::new(),
        })
        .collect();
    lines.extend(b.no_data.iter().map(|r| {
        let why = match &r.decision {
            crate::compare::Decision::NoData(w) => *w,
            _ => "no data",
        };
        format!(
            "⚠️ **{} {}**: {why}, so a regression cannot be ruled out",
            cell(&r.section),
            r.metric
        )
    }));
    Some(BaselineLead { heading, lines })
}

/// `| mode | count | success | partial | readiness failed | failed | TTI p50 | p95 | p99 | peak |`,
/// three rows; a mode that did not run says so.
pub fn mode_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    view.mode_rows
        .iter()
        .map(|(name, m)| match m {
            Some(m) => vec![
                (*name).to_string(),
                m.count.to_string(),
                m.status.success.to_string(),
                m.status.partial.to_string(),
                m.status.readiness_failed.to_string(),
                m.status.failed.to_string(),
                fmt_ms(m.tti_ms.p50),
                fmt_ms(m.tti_ms.p95),
                fmt_ms(m.tti_ms.p99),
                m.peak_concurrency.to_string(),
            ],
            None => {
                let mut row = vec![(*name).to_string(), "not run".to_string()];
                row.resize(10, String::new());
                row
            }
        })
        .collect()
}

/// `burst: http_error_503 2, timeout 1`, for each mode with failures.
pub fn mode_failures(view: &RunView<'_>) -> Vec<String> {
    view.modes
        .iter()
        .filter(|(_, m)| !m.failure_class.is_empty())
        .map(|(name, m)| {
            let classes: Vec<String> = m
                .failure_class
                .iter()
                .map(|(k, v)| format!("{} {v}", cell(k)))
                .collect();
            format!("{name} failures: {}", classes.join(", "))
        })
        .collect()
}

/// `o/r@abc1234 · refs/pull/7/merge → main · PR #7 · run 99 (attempt 2) · stress / smoke · Linux X64`.
pub fn source_line(s: &Source) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    match (&s.repository, s.short_sha()) {
        (Some(r), Some(sha)) => parts.push(format!("{}@{}", cell(r), cell(sha))),
        (Some(r), None) => parts.push(cell(r)),
        (None, Some(sha)) => parts.push(format!("commit {}", cell(sha))),
        (None, None) => {}
    }
    match (&s.git_ref, &s.base_ref) {
        (Some(r), Some(b)) => parts.push(format!("{} → {}", cell(r), cell(b))),
        (Some(r), None) => parts.push(cell(r)),
        (None, Some(b)) => parts.push(format!("into {}", cell(b))),
        (None, None) => {}
    }
    if let Some(pr) = s.pr {
        parts.push(format!("PR #{pr}"));
    }
    if let Some(id) = &s.run_id {
        let attempt = s.run_attempt.map_or(String::new(), |a| format!(" (attempt {a})"));
        parts.push(format!("run {}{attempt}", cell(id)));
    }
    let job: Vec<String> = [&s.workflow, &s.job].into_iter().flatten().map(|x| cell(x)).collect();
    if !job.is_empty() {
        parts.push(job.join(" / "));
    }
    let runner: Vec<String> = [&s.runner_os, &s.runner_arch]
        .into_iter()
        .flatten()
        .map(|x| cell(x))
        .collect();
    if !runner.is_empty() {
        parts.push(runner.join(" "));
    }
    Some(parts.join(" · "))
}
