//! Histograms added key by key: the merged set is what every latency summary of the aggregate is
//! computed from (percentiles of a union are not averages of percentiles). Checkpoint rounds are
//! renumbered so shard 2's round 1 follows shard 1's last round.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::Part;
use crate::report::{decode_histogram, new_histogram, LatencySummary};

/// Histograms added key by key; the merged set is what every summary of the aggregate comes from.
pub struct MergedHistograms {
    pub map: BTreeMap<String, Histogram<u64>>,
    /// Per key, the operations in flight at once on average, so the union is worth the sum of
    /// the shards' independent samples (shards run apart: their samples do not overlap each
    /// other's). Keys no shard reported an overlap for are left out (read as 1).
    pub overlap: BTreeMap<String, f64>,
}

impl MergedHistograms {
    pub fn summary(&self, key: &str) -> LatencySummary {
        self.map
            .get(key)
            .map(LatencySummary::from_histogram)
            .unwrap_or_default()
    }
}

/// `checkpoint.round3.restore_ms` of a shard whose rounds start after `offset` others.
fn renumber_round_key(key: &str, offset: u32) -> String {
    let Some(rest) = key.strip_prefix("checkpoint.round") else {
        return key.to_string();
    };
    let Some((num, metric)) = rest.split_once('.') else {
        return key.to_string();
    };
    match num.parse::<u32>() {
        Ok(n) => format!("checkpoint.round{}.{metric}", n + offset),
        Err(_) => key.to_string(),
    }
}

pub fn merge_histograms(parts: &[Part]) -> Result<MergedHistograms, String> {
    let mut map: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    // Per merged key: (samples, independent samples), and whether any shard reported an overlap.
    let mut worth: BTreeMap<String, (f64, f64, bool)> = BTreeMap::new();
    let mut offset = 0;
    for part in parts {
        for (key, text) in &part.result.histograms {
            let h = decode_histogram(text).map_err(|e| format!("{}: histogram {key}: {e}", part.source))?;
            let merged_key = renumber_round_key(key, offset);
            let reported = part.result.histogram_overlap.get(key).copied();
            let w = worth.entry(merged_key.clone()).or_default();
            let n = h.len() as f64;
            *w = (
                w.0 + n,
                w.1 + n / reported.unwrap_or(1.0).max(1.0),
                w.2 || reported.is_some(),
            );
            let merged = map.entry(merged_key).or_insert_with(new_histogram);
            merged
                .add(&h)
                .map_err(|e| format!("{}: histogram {key} cannot be merged: {e:?}", part.source))?;
        }
        offset += part.rounds();
    }
    let overlap = worth
        .into_iter()
        .filter(|(_, (n, effective, reported))| *reported && *n > 0.0 && *effective > 0.0)
        .map(|(k, (n, effective, _))| (k, ((n / effective).max(1.0) * 100.0).round() / 100.0))
        .collect();
    Ok(MergedHistograms { map, overlap })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_keys_move_past_earlier_shards() {
        assert_eq!(
            renumber_round_key("checkpoint.round2.restore_ms", 3),
            "checkpoint.round5.restore_ms"
        );
        assert_eq!(
            renumber_round_key("checkpoint.all.restore_ms", 3),
            "checkpoint.all.restore_ms"
        );
        assert_eq!(
            renumber_round_key("lifecycle.burst.tti_ms", 3),
            "lifecycle.burst.tti_ms"
        );
    }
}
