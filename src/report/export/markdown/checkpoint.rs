//! summary.md's checkpoint section: checkpoint (request to ready), restore and verify latency, how
//! many checkpoints were in flight at once, and one row per round.

use serde::Serialize;

use super::format::fmt_ms;
use crate::report::view::RunView;
use crate::report::{CheckpointReport, LatencySummary};

#[derive(Serialize, Default)]
pub struct CheckpointSection {
    /// `| latency | count | p50 | p95 | p99 | max |`: checkpoint (when measured), restore, verify.
    pub checkpoint_latency: Option<Vec<Vec<String>>>,
    /// Checkpoints ready, in flight at the peak, and rounds at once; empty for reports of versions
    /// that did not count them.
    pub checkpoint_line: String,
    pub rounds: Vec<Vec<String>>,
}

pub fn section(view: &RunView<'_>) -> CheckpointSection {
    let Some(cp) = &view.result.checkpoint else {
        return CheckpointSection::default();
    };
    let mut latency = Vec::new();
    if cp.checkpoint_ms.count > 0 {
        latency.push(latency_row("checkpoint", &cp.checkpoint_ms));
    }
    latency.push(latency_row("restore", &cp.restore_ms));
    latency.push(latency_row("verify", &cp.verify_ms));
    CheckpointSection {
        checkpoint_latency: Some(latency),
        checkpoint_line: in_flight_line(cp, view.result.config.round_concurrency),
        rounds: cp.rounds.iter().map(round_row).collect(),
    }
}

fn latency_row(name: &str, s: &LatencySummary) -> Vec<String> {
    vec![
        name.to_string(),
        s.count.to_string(),
        fmt_ms(s.p50),
        fmt_ms(s.p95),
        fmt_ms(s.p99),
        fmt_ms(s.max),
    ]
}

/// `20 of 20 checkpoints ready · peak 10 in flight (mean 6.2) · round concurrency 10 · 2 restored the
/// wrong checkpoint`.
fn in_flight_line(cp: &CheckpointReport, round_concurrency: Option<u32>) -> String {
    if cp.checkpoint_ms.count == 0 && cp.in_flight.peak == 0 {
        return String::new();
    }
    let mut parts = vec![
        format!("{} of {} checkpoints ready", cp.checkpoints_ready(), cp.rounds.len()),
        format!("peak {} in flight (mean {:.1})", cp.in_flight.peak, cp.in_flight.mean),
    ];
    if let Some(k) = round_concurrency {
        parts.push(format!("round concurrency {k}"));
    }
    let wrong = cp.wrong_checkpoints();
    if wrong > 0 {
        parts.push(format!("**{wrong} restored the wrong checkpoint**"));
    }
    parts.join(" · ")
}

fn round_row(r: &crate::report::RoundReport) -> Vec<String> {
    vec![
        r.round.to_string(),
        r.restores.to_string(),
        r.verified.to_string(),
        r.corrupted.to_string(),
        r.infra.to_string(),
        fmt_ms(r.setup_ms),
        r.checkpoint_ms.map_or("-".into(), fmt_ms),
        fmt_ms(r.restore_ms.p50),
        fmt_ms(r.restore_ms.p95),
        fmt_ms(r.verify_ms.p50),
        fmt_ms(r.verify_ms.p95),
    ]
}
