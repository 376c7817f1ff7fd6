//! What `templates/summary.md.j2` is given: the view's rows as text, every number already
//! formatted and every piece of report text escaped, so the template only lays out lines and the
//! output is the same whatever the template engine's number formatting does.

use serde::Serialize;

use super::checkpoint::{self, CheckpointSection};
use super::format::{cell, code, fmt_ms, icon, verdict_line};
use super::lead::{self, BaselineLead};
use super::sections::{self, ChaosSection};
use super::soak::{self, SoakSection};
use crate::report::export::mermaid;
use crate::report::view::{RunView, ThresholdStatus};
use crate::report::{ObjectStorageReport, StorageSizeReport};

#[derive(Serialize)]
pub struct SummaryContext {
    /// The run's `--label`, in the heading: which platform these numbers are about.
    pub label: String,
    pub verdict_line: String,
    /// One row per workload under the headline: each is judged on its own.
    pub workloads: Vec<Vec<String>>,
    /// Things to know that did not change the verdict (leaked sandboxes).
    pub warnings: Vec<String>,
    /// Thresholds crossed or without data, one line each, under the headline.
    pub crossed: Vec<String>,
    /// The comparison with the baseline, when one was made.
    pub baseline: Option<BaselineLead>,
    /// One row per lifecycle mode (all three) when the lifecycle workload ran.
    pub mode_rows: Vec<Vec<String>>,
    pub mode_failures: Vec<String>,
    /// Which commit, ref, pull request and workflow run this run measured.
    pub source_line: Option<String>,
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
    /// The Mermaid block of TTI per mode.
    pub mermaid: Option<String>,
    pub storage: Vec<Vec<String>>,
    /// The object-storage workload's table, in the storage table's columns.
    pub object_storage: Vec<Vec<String>>,
    /// Where the objects went: `s3://bucket/prefix at endpoint`, multipart threshold, the sweep.
    pub object_storage_line: Option<String>,
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
    /// Where the run's wall time went.
    pub time_line: Option<String>,
}

pub fn build(view: &RunView<'_>) -> SummaryContext {
    let result = view.result;
    let t = &result.totals;
    SummaryContext {
        label: cell(result.display_label()),
        verdict_line: verdict_line(&view.headline),
        workloads: workload_rows(view),
        warnings: view.warnings.iter().map(|w| cell(w)).collect(),
        crossed: lead::crossed(view),
        baseline: lead::baseline(view),
        mode_rows: lead::mode_rows(view),
        mode_failures: lead::mode_failures(view),
        source_line: lead::source_line(&result.source),
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
        mermaid: view.tti_chart.as_ref().map(mermaid::xychart),
        storage: view
            .result
            .storage
            .as_ref()
            .map(|s| size_rows(&s.sizes))
            .unwrap_or_default(),
        object_storage: view
            .result
            .object_storage
            .as_ref()
            .map(|s| size_rows(&s.sizes))
            .unwrap_or_default(),
        object_storage_line: view.result.object_storage.as_ref().map(object_storage_line),
        corruptions: corruption_rows(view),
        corruptions_total: t.corrupted,
        environment: result.environment.iter().map(|(k, v)| (cell(k), cell(v))).collect(),
        chaos: sections::chaos(view),
        soak: soak::section(result),
        shard_line: sections::shard_line(view),
        shards: sections::shard_rows(view),
        host_line: view.host_line.clone(),
        time_line: view.time_line.clone(),
    }
}

fn run_line(view: &RunView<'_>) -> String {
    let result = view.result;
    let mut line = format!(
        "label {} · profile {} · provider {} · seed `{}` · started {} · {:.1} s · stress-action {}",
        code(result.display_label()),
        code(&result.profile),
        code(&result.provider),
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

/// `s3://bucket/prefix/ at endpoint · multipart from 8 MB in 8 MB parts · swept N`.
fn object_storage_line(os: &ObjectStorageReport) -> String {
    let mut line = format!(
        "{} at {} · multipart from {} MB in {} MB parts",
        code(&format!("s3://{}/{}", os.bucket, os.prefix)),
        cell(os.endpoint.as_deref().unwrap_or("AWS S3")),
        os.multipart_threshold_mb,
        os.part_size_mb
    );
    if os.swept > 0 {
        line.push_str(&format!(" · {} object(s) removed by the final sweep", os.swept));
    }
    if os.left_behind > 0 {
        line.push_str(&format!(" · **{} object(s) left in the bucket**", os.left_behind));
    }
    line
}

fn size_rows(sizes: &[StorageSizeReport]) -> Vec<Vec<String>> {
    sizes
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
