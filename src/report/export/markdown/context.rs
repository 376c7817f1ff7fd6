//! What `templates/summary.md.j2` is given: the view's rows as text, every number already
//! formatted and every piece of report text escaped, so the template only lays out lines and the
//! output is the same whatever the template engine's number formatting does.

use serde::Serialize;

use super::checkpoint::{self, CheckpointSection};
use super::format::{cell, fmt_ms, icon, verdict_line};
use super::sections::{self, ChaosSection};
use super::soak::{self, SoakSection};
use crate::report::export::mermaid;
use crate::report::view::{RunView, ThresholdStatus};

#[derive(Serialize)]
pub struct SummaryContext {
    pub verdict_line: String,
    /// One row per workload under the headline: each is judged on its own.
    pub workloads: Vec<Vec<String>>,
    /// Things to know that did not change the verdict (leaked sandboxes).
    pub warnings: Vec<String>,
    /// `| threshold | measured | result |`, one row per `--threshold`.
    pub thresholds: Vec<Vec<String>>,
    pub run_line: String,
    pub interrupted: bool,
    pub integrity: Vec<String>,
    pub infra_classes: Vec<(String, u64)>,
    /// First-try success per kind of provider call; empty unless some call needed a retry.
    pub retries: Vec<Vec<String>>,
    #[serde(flatten)]
    pub checkpoint: CheckpointSection,
    pub modes: Vec<ModeSection>,
    /// The Mermaid block of TTI per mode.
    pub mermaid: Option<String>,
    pub storage: Vec<Vec<String>>,
    pub corruptions: Vec<Vec<String>>,
    pub corruptions_total: u64,
    pub environment: Vec<(String, String)>,
    #[serde(flatten)]
    pub chaos: ChaosSection,
    /// A timed run's time series and a ramp's capacity search.
    #[serde(flatten)]
    pub soak: SoakSection,
    /// Which shard this run was, or what an aggregate merged.
    pub shard_line: Option<String>,
    pub shards: Vec<Vec<String>>,
    /// The tool's own peak memory, CPU and open files.
    pub host_line: Option<String>,
}

#[derive(Serialize)]
pub struct ModeSection {
    pub name: String,
    pub row: Vec<String>,
    pub failure_classes: String,
}

pub fn build(view: &RunView<'_>) -> SummaryContext {
    let result = view.result;
    let t = &result.totals;
    SummaryContext {
        verdict_line: verdict_line(&view.headline),
        workloads: workload_rows(view),
        warnings: view.warnings.iter().map(|w| cell(w)).collect(),
        thresholds: threshold_rows(view),
        run_line: run_line(view),
        interrupted: result.interrupted,
        integrity: vec![
            t.planned.to_string(),
            t.verified.to_string(),
            t.corrupted.to_string(),
            t.infra.to_string(),
            t.lost.to_string(),
            format!("{} / {}", t.injected, t.injected_detected),
        ],
        infra_classes: result.infra_classes.iter().map(|(k, v)| (cell(k), *v)).collect(),
        retries: retry_rows(view),
        checkpoint: checkpoint::section(view),
        modes: mode_sections(view),
        mermaid: view.tti_chart.as_ref().map(mermaid::xychart),
        storage: storage_rows(view),
        corruptions: corruption_rows(view),
        corruptions_total: t.corrupted,
        environment: result.environment.iter().map(|(k, v)| (cell(k), cell(v))).collect(),
        chaos: sections::chaos(view),
        soak: soak::section(result),
        shard_line: sections::shard_line(view),
        shards: sections::shard_rows(view),
        host_line: view.host_line.clone(),
    }
}

fn run_line(view: &RunView<'_>) -> String {
    let result = view.result;
    let mut line = format!(
        "profile `{}` · provider `{}` · seed `{}` · started {} · {:.1} s · stress-action {}",
        cell(&result.profile),
        cell(&result.provider),
        result.seed,
        cell(&result.started_at),
        result.duration_s,
        cell(&result.tool_version)
    );
    if result.interrupted {
        line.push_str(" · **interrupted** (partial results)");
    }
    line
}

/// `| workload | verdict | verified | corrupted | infra | lost | why |`.
fn workload_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    view.workloads
        .iter()
        .map(|w| {
            vec![
                cell(w.name),
                format!("{} {}", icon(w.verdict), w.verdict.as_str()),
                format!("{} / {}", w.verified, w.planned),
                w.corrupted.to_string(),
                w.infra.to_string(),
                w.lost.to_string(),
                cell(&w.why),
            ]
        })
        .collect()
}

fn threshold_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    view.thresholds
        .iter()
        .map(|t| {
            let status = match t.status {
                ThresholdStatus::Held => "✅ held",
                ThresholdStatus::Crossed => "❌ crossed",
                ThresholdStatus::NoData => "⚠️ no data",
            };
            vec![cell(t.expr), cell(t.measured), status.to_string()]
        })
        .collect()
}

/// `| call | calls | first-try success | retried | gave up |`.
fn retry_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    view.retries
        .iter()
        .map(|r| {
            vec![
                cell(r.call),
                r.stats.calls.to_string(),
                format!("{:.1}%", r.stats.first_try_rate() * 100.0),
                r.stats.retried.to_string(),
                r.stats.gave_up.to_string(),
            ]
        })
        .collect()
}

fn mode_sections(view: &RunView<'_>) -> Vec<ModeSection> {
    view.modes
        .iter()
        .map(|(name, m)| ModeSection {
            name: (*name).to_string(),
            row: vec![
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
            failure_classes: m
                .failure_class
                .iter()
                .map(|(k, v)| format!("{} {v}", cell(k)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

fn storage_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    let Some(s) = &view.result.storage else {
        return Vec::new();
    };
    s.sizes
        .iter()
        .map(|z| {
            vec![
                format!("{}", z.size_mb),
                z.iterations.to_string(),
                z.verified.to_string(),
                z.corrupted.to_string(),
                z.infra.to_string(),
                format!("{:.1}", z.upload_mb_s),
                fmt_ms(z.upload_ms.p95),
                format!("{:.1}", z.download_mb_s),
                fmt_ms(z.download_ms.p95),
            ]
        })
        .collect()
}

fn corruption_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    view.corruptions
        .iter()
        .map(|c| {
            vec![
                cell(&c.location()),
                cell(c.check.as_deref().unwrap_or("-")),
                cell(&match (&c.detail, &c.evidence) {
                    (Some(d), Some(e)) => format!("{d} (evidence: {e})"),
                    (None, Some(e)) => format!("evidence: {e}"),
                    (d, None) => d.clone().unwrap_or_else(|| "-".into()),
                }),
            ]
        })
        .collect()
}
