//! `checkpoint-latency.svg`: checkpoint (request to ready, polling included) and restore latency by
//! percentile, from the run's histograms: how long a snapshot takes, and its tail under a storm.

use std::collections::BTreeMap;

use super::latency::{curve_of, draw_percentiles};
use super::{BLUE, RED};
use crate::report::export::{ExportError, Rendered};
use crate::report::CheckpointReport;

pub fn render(cp: &CheckpointReport, histograms: &BTreeMap<String, String>) -> Result<Option<Rendered>, ExportError> {
    let name = "checkpoint-latency.svg";
    let metrics = [
        ("checkpoint", "checkpoint.all.checkpoint_ms", &cp.checkpoint_ms, RED),
        ("restore", "checkpoint.all.restore_ms", &cp.restore_ms, BLUE),
    ];
    let mut series = Vec::new();
    for (label, key, summary, color) in metrics {
        if let Some(curve) = curve_of(name, label, key, summary, histograms, color)? {
            series.push(curve);
        }
    }
    let what = "lower is better; checkpoint = request to ready, polling included";
    draw_percentiles(name, "Checkpoint and restore: latency by percentile", what, &series)
}
