//! Chart data for outputs that draw their own charts (Mermaid in summary.md and the PR comment):
//! three series (p50, p95, p99) over a few labelled points, with the axis already sized. Mermaid
//! draws no legend, so the title names the lines: p50 ≤ p95 ≤ p99 always, so "from the bottom"
//! tells which line is which.

use crate::report::{CheckpointReport, LatencySummary, ModeReport};

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub title: &'static str,
    pub y_label: &'static str,
    pub labels: Vec<String>,
    /// p50, p95 and p99, one value per label, in milliseconds.
    pub series: [Vec<f64>; 3],
}

impl Chart {
    fn of(title: &'static str, y_label: &'static str, points: Vec<(String, &LatencySummary)>) -> Option<Self> {
        if points.is_empty() {
            return None;
        }
        let pick = |f: fn(&LatencySummary) -> f64| points.iter().map(|(_, s)| f(s)).collect();
        Some(Chart {
            title,
            y_label,
            series: [pick(|s| s.p50), pick(|s| s.p95), pick(|s| s.p99)],
            labels: points.into_iter().map(|(label, _)| label).collect(),
        })
    }

    /// The top of the y axis: a tenth above the highest value, whole milliseconds, at least 1.
    pub fn y_max(&self) -> f64 {
        let max = self.series.iter().flatten().copied().fold(1.0_f64, f64::max);
        (max * 1.1).ceil()
    }
}

pub fn tti_per_mode(modes: &[(&'static str, &ModeReport)]) -> Option<Chart> {
    Chart::of(
        "TTI per mode (ms), lines from the bottom: p50, p95, p99",
        "TTI (ms)",
        modes.iter().map(|(name, m)| (name.to_string(), &m.tti_ms)).collect(),
    )
}

/// Checkpoint (request to ready), restore and verify latency; the checkpoint point only when the
/// report measured it (older reports did not).
pub fn checkpoint_latency(cp: &CheckpointReport) -> Chart {
    let mut steps = Vec::new();
    if cp.checkpoint_ms.count > 0 {
        steps.push(("checkpoint", &cp.checkpoint_ms));
    }
    steps.push(("restore", &cp.restore_ms));
    steps.push(("verify", &cp.verify_ms));
    Chart {
        title: "Checkpoint latency (ms), lines from the bottom: p50, p95, p99",
        y_label: "latency (ms)",
        labels: steps.iter().map(|(name, _)| name.to_string()).collect(),
        series: [
            steps.iter().map(|(_, s)| s.p50).collect(),
            steps.iter().map(|(_, s)| s.p95).collect(),
            steps.iter().map(|(_, s)| s.p99).collect(),
        ],
    }
}
