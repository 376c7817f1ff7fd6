//! In-flight timelines of several shards laid on one wall clock: lifecycle modes (sandboxes alive)
//! and the checkpoint workload (checkpoints in flight) record the same form, an exact step function
//! from a `started_at` instant, and merge the same way: each shard moved by its offset from the
//! earliest start, then added up at every change ([`crate::report::timeline::sum`]).

use chrono::{DateTime, Utc};

use crate::report::timeline;
use crate::report::TimelinePoint;

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Milliseconds from `base` to a shard's origin (0 when it has none).
pub fn offset_ms(origin: &Option<DateTime<Utc>>, base: DateTime<Utc>) -> f64 {
    origin.map_or(0.0, |o| {
        (o - base).num_microseconds().unwrap_or(0).max(0) as f64 / 1000.0
    })
}

/// The merged timeline (`placed`: each shard's offset and timeline), its peak (never below the
/// highest shard's own exact peak) and its mean, which is the area under the merged line over its
/// span, as for one run.
pub fn lay(placed: &[(f64, &[TimelinePoint])], shard_peak: u64) -> (Vec<TimelinePoint>, u64, f64) {
    let merged = timeline::sum(placed);
    let peak = timeline::peak(&merged).max(shard_peak);
    let mean = timeline::mean(&merged);
    (merged, peak, mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(alive: &[u64]) -> Vec<TimelinePoint> {
        alive
            .iter()
            .enumerate()
            .map(|(i, a)| TimelinePoint::at(i as f64 * 100.0, *a))
            .collect()
    }

    #[test]
    fn shards_add_up_at_every_change_and_a_shard_still_running_stays_counted() {
        let (a, b) = (steps(&[1, 3, 0]), steps(&[2, 2]));
        let (merged, peak, _) = lay(&[(0.0, &a), (200.0, &b)], 0);
        let alive: Vec<u64> = merged.iter().map(|p| p.alive).collect();
        assert_eq!(alive, vec![1, 3, 2, 2]);
        assert_eq!(peak, 3);
        let c = steps(&[5]);
        let (merged, _, _) = lay(&[(0.0, &c), (100.0, &a)], 0);
        let alive: Vec<u64> = merged.iter().map(|p| p.alive).collect();
        assert_eq!(alive, vec![5, 6, 8, 5], "the first shard's 5 stay until the end");
    }
}
