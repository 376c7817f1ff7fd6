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
    let mut offset = 0;
    for part in parts {
        for (key, text) in &part.result.histograms {
            let h = decode_histogram(text).map_err(|e| format!("{}: histogram {key}: {e}", part.source))?;
            let merged = map.entry(renumber_round_key(key, offset)).or_insert_with(new_histogram);
            merged
                .add(&h)
                .map_err(|e| format!("{}: histogram {key} cannot be merged: {e:?}", part.source))?;
        }
        offset += part.rounds();
    }
    Ok(MergedHistograms { map })
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
