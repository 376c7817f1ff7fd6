//! The checkpoint section of an aggregate: rounds laid end to end (renumbered shard after shard),
//! self-test counts summed, latency (checkpoint, restore, verify) from the merged histograms, and
//! each shard's checkpoints in flight laid on the wall clock.

use chrono::{DateTime, Utc};

use super::timeline::{self, offset_ms, parse_time};
use super::{MergedHistograms, Part};
use crate::report::{CheckpointReport, InFlight, TimelinePoint};

pub fn merge(parts: &[Part], hist: &MergedHistograms) -> Option<CheckpointReport> {
    if parts.iter().all(|p| p.result.checkpoint.is_none()) {
        return None;
    }
    let mut out = CheckpointReport {
        checkpoint_ms: hist.summary("checkpoint.all.checkpoint_ms"),
        restore_ms: hist.summary("checkpoint.all.restore_ms"),
        verify_ms: hist.summary("checkpoint.all.verify_ms"),
        in_flight: in_flight(parts),
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
                merged.missed += count.missed;
                merged.unapplied += count.unapplied;
            }
        }
        offset += part.rounds();
    }
    Some(out)
}

/// Every shard's checkpoints in flight on one wall clock, from the earliest shard's start. The peak
/// is the highest merged step, never below the highest shard's own exact peak.
fn in_flight(parts: &[Part]) -> InFlight {
    let shards: Vec<(&InFlight, Option<DateTime<Utc>>)> = parts
        .iter()
        .filter_map(|p| {
            let f = &p.result.checkpoint.as_ref()?.in_flight;
            let origin = f
                .started_at
                .as_deref()
                .or(Some(&p.result.started_at))
                .and_then(parse_time);
            Some((f, origin))
        })
        .collect();
    let shard_peak = shards.iter().map(|(f, _)| f.peak).max().unwrap_or(0);
    let Some(base) = shards.iter().filter_map(|(_, o)| *o).min() else {
        return InFlight {
            peak: shard_peak,
            ..Default::default()
        };
    };
    let placed: Vec<(f64, &[TimelinePoint])> = shards
        .iter()
        .map(|(f, o)| (offset_ms(o, base), f.timeline.as_slice()))
        .collect();
    let (timeline, peak, mean) = timeline::lay(&placed, shard_peak);
    InFlight {
        peak,
        mean,
        timeline,
        started_at: Some(base.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    }
}
