//! The summary's view model: every number already formatted, so templates only lay out text and the
//! output is the same whatever the template engine's number formatting does.

use serde::Serialize;

use super::corruptions::CorruptionDetail;
use crate::report::{RunResult, Verdict};

/// How many corruption details the summary lists; the rest are counted.
pub const CORRUPTION_DETAILS: usize = 20;

#[derive(Serialize)]
pub struct SummaryView {
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
    pub rounds: Vec<Vec<String>>,
    pub checkpoint_latency: Option<Vec<Vec<String>>>,
    pub modes: Vec<ModeView>,
    pub mermaid: Option<MermaidView>,
    pub storage: Vec<Vec<String>>,
    pub corruptions: Vec<Vec<String>>,
    pub corruptions_total: u64,
    pub environment: Vec<(String, String)>,
    /// Contention and chaos sections (`view_chaos.rs`).
    #[serde(flatten)]
    pub chaos: super::view_chaos::ChaosView,
    /// Which shard this run was, or what an aggregate merged.
    pub shard_line: Option<String>,
    pub shards: Vec<Vec<String>>,
    /// The tool's own peak memory, CPU and open files.
    pub host_line: Option<String>,
}

#[derive(Serialize)]
pub struct ModeView {
    pub name: String,
    pub row: Vec<String>,
    pub failure_classes: String,
}

#[derive(Serialize)]
pub struct MermaidView {
    pub modes: String,
    pub y_max: String,
    pub p50: String,
    pub p95: String,
    pub p99: String,
}

pub(super) fn icon(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Inconclusive => "⚠️",
    }
}

pub fn verdict_line(result: &RunResult) -> String {
    let (icon, word) = (icon(result.verdict), result.verdict.as_str());
    let reasons = result.verdict_reasons.join("; ");
    if reasons.is_empty() {
        format!("{icon} **{word}**")
    } else {
        format!("{icon} **{word}**: {}", cell(&reasons))
    }
}

/// Milliseconds as people read them: no false precision on big numbers.
pub fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Text safe inside a markdown table cell and inside the raw HTML of `<details>`.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().take(300) {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// `| workload | verdict | verified | corrupted | infra | lost | why |`, in run order.
fn workload_rows(result: &RunResult) -> Vec<Vec<String>> {
    let order = &result.config.workloads;
    let mut names: Vec<&String> = result.workloads.keys().collect();
    names.sort_by_key(|n| order.iter().position(|o| o == *n).unwrap_or(usize::MAX));
    names
        .into_iter()
        .map(|name| {
            let w = &result.workloads[name];
            vec![
                cell(name),
                format!("{} {}", icon(w.verdict), w.verdict.as_str()),
                format!("{} / {}", w.verified, w.planned),
                w.corrupted.to_string(),
                w.infra.to_string(),
                w.lost.to_string(),
                cell(&w.reasons.join("; ")),
            ]
        })
        .collect()
}

/// The protocol's order of calls; kinds it does not name follow alphabetically.
const CALL_ORDER: [&str; 8] = [
    "create",
    "exec",
    "write_file",
    "read_file",
    "checkpoint",
    "restore",
    "destroy",
    "delete_checkpoint",
];

/// `| call | calls | first-try success | retried | gave up |`, shown only when something was
/// retried: bounded retries otherwise hide a platform that fails 40 % of first attempts.
fn retry_rows(result: &RunResult) -> Vec<Vec<String>> {
    if result.retries.values().all(|r| r.retried == 0) {
        return Vec::new();
    }
    let mut calls: Vec<_> = result.retries.iter().collect();
    calls.sort_by_key(|(op, _)| CALL_ORDER.iter().position(|o| o == op).unwrap_or(CALL_ORDER.len()));
    calls
        .into_iter()
        .map(|(op, r)| {
            vec![
                cell(op),
                r.calls.to_string(),
                format!("{:.1}%", r.first_try_rate() * 100.0),
                r.retried.to_string(),
                r.gave_up.to_string(),
            ]
        })
        .collect()
}

fn warnings(result: &RunResult) -> Vec<String> {
    result
        .workloads
        .iter()
        .flat_map(|(name, w)| w.warnings.iter().map(move |line| cell(&format!("{name}: {line}"))))
        .collect()
}

/// Each threshold with what was measured: held, crossed, or no data (which is never a pass).
fn threshold_rows(result: &RunResult) -> Vec<Vec<String>> {
    result
        .thresholds
        .iter()
        .map(|t| {
            let measured = t.measured.as_deref().unwrap_or("-");
            let (measured, result) = match (t.ok, t.value) {
                (true, _) => (measured, "✅ held"),
                (false, Some(_)) => (measured, "❌ crossed"),
                (false, None) => (measured.strip_prefix("no data: ").unwrap_or(measured), "⚠️ no data"),
            };
            vec![cell(&t.expr), cell(measured), result.to_string()]
        })
        .collect()
}

pub fn build(result: &RunResult, corruptions: &[CorruptionDetail]) -> SummaryView {
    let t = &result.totals;
    let mut run_line = format!(
        "profile `{}` · provider `{}` · seed `{}` · started {} · {:.1} s · stress-action {}",
        cell(&result.profile),
        cell(&result.provider),
        result.seed,
        cell(&result.started_at),
        result.duration_s,
        cell(&result.tool_version)
    );
    if result.interrupted {
        run_line.push_str(" · **interrupted** (partial results)");
    }
    let integrity = vec![
        t.planned.to_string(),
        t.verified.to_string(),
        t.corrupted.to_string(),
        t.infra.to_string(),
        t.lost.to_string(),
        format!("{} / {}", t.injected, t.injected_detected),
    ];
    let (rounds, checkpoint_latency) = match &result.checkpoint {
        Some(cp) => {
            let rounds = cp
                .rounds
                .iter()
                .map(|r| {
                    vec![
                        r.round.to_string(),
                        r.restores.to_string(),
                        r.verified.to_string(),
                        r.corrupted.to_string(),
                        r.infra.to_string(),
                        fmt_ms(r.setup_ms),
                        fmt_ms(r.restore_ms.p50),
                        fmt_ms(r.restore_ms.p95),
                        fmt_ms(r.verify_ms.p50),
                        fmt_ms(r.verify_ms.p95),
                    ]
                })
                .collect();
            let lat = [("restore", &cp.restore_ms), ("verify", &cp.verify_ms)]
                .into_iter()
                .map(|(name, s)| {
                    vec![
                        name.to_string(),
                        s.count.to_string(),
                        fmt_ms(s.p50),
                        fmt_ms(s.p95),
                        fmt_ms(s.p99),
                        fmt_ms(s.max),
                    ]
                })
                .collect();
            (rounds, Some(lat))
        }
        None => (Vec::new(), None),
    };
    let mut modes = Vec::new();
    let mut mermaid = None;
    if let Some(lc) = &result.lifecycle {
        let ran = lc.modes();
        for (name, m) in &ran {
            modes.push(ModeView {
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
            });
        }
        if !ran.is_empty() {
            let series = |f: &dyn Fn(&crate::report::ModeReport) -> f64| {
                ran.iter()
                    .map(|(_, m)| format!("{:.1}", f(m)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let y_max = ran.iter().map(|(_, m)| m.tti_ms.p99).fold(1.0f64, f64::max) * 1.1;
            mermaid = Some(MermaidView {
                modes: ran.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
                y_max: format!("{:.0}", y_max.ceil()),
                p50: series(&|m| m.tti_ms.p50),
                p95: series(&|m| m.tti_ms.p95),
                p99: series(&|m| m.tti_ms.p99),
            });
        }
    }
    let storage = result
        .storage
        .as_ref()
        .map(|s| {
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
        })
        .unwrap_or_default();
    let corruptions = corruptions
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
        .collect();
    SummaryView {
        verdict_line: verdict_line(result),
        workloads: workload_rows(result),
        warnings: warnings(result),
        thresholds: threshold_rows(result),
        run_line,
        interrupted: result.interrupted,
        integrity,
        infra_classes: result.infra_classes.iter().map(|(k, v)| (cell(k), *v)).collect(),
        retries: retry_rows(result),
        rounds,
        checkpoint_latency,
        modes,
        mermaid,
        storage,
        corruptions,
        corruptions_total: t.corrupted,
        environment: result.environment.iter().map(|(k, v)| (cell(k), cell(v))).collect(),
        chaos: super::view_chaos::build(result),
        shard_line: super::view_host::shard_line(result),
        shards: super::view_host::shard_rows(result),
        host_line: result.host.as_ref().map(super::view_host::host_line),
    }
}
