//! The checkpoint section of an aggregate: rounds laid end to end (renumbered shard after shard),
//! self-test counts summed, latency from the merged histograms.

use super::{MergedHistograms, Part};
use crate::report::CheckpointReport;

pub fn merge(parts: &[Part], hist: &MergedHistograms) -> Option<CheckpointReport> {
    if parts.iter().all(|p| p.result.checkpoint.is_none()) {
        return None;
    }
    let mut out = CheckpointReport {
        restore_ms: hist.summary("checkpoint.all.restore_ms"),
        verify_ms: hist.summary("checkpoint.all.verify_ms"),
        ..Default::default()
    };
    let mut offset = 0;
    for part in parts {
        if let Some(cp) = &part.result.checkpoint {
            for round in &cp.rounds {
                let mut round = round.clone();
                round.round += offset;
                out.rounds.push(round);
            }
            for (kind, count) in &cp.injection {
                let merged = out.injection.entry(kind.clone()).or_default();
                merged.injected += count.injected;
                merged.detected += count.detected;
            }
        }
        offset += part.rounds();
    }
    Some(out)
}
