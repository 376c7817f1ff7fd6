//! In-flight timelines of several shards laid on one wall clock: lifecycle modes (sandboxes alive)
//! and the checkpoint workload (checkpoints in flight) record the same form, the highest count per
//! 100 ms bucket from a `started_at` instant, and merge the same way.

use chrono::{DateTime, Utc};

use crate::report::TimelinePoint;
use crate::workload::timeline::BUCKET;

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

pub fn bucket_ms() -> f64 {
    BUCKET.as_millis() as f64
}

/// Milliseconds from `base` to a shard's origin (0 when it has none).
pub fn offset_ms(origin: &Option<DateTime<Utc>>, base: DateTime<Utc>) -> f64 {
    origin.map_or(0.0, |o| (o - base).num_milliseconds().max(0) as f64)
}

/// The bucket a shard's timeline starts in.
pub fn start_bucket(offset_ms: f64) -> usize {
    (offset_ms / bucket_ms()).round() as usize
}

/// The sum, per 100 ms bucket of wall-clock time, of each shard's highest count in that bucket
/// (`placed`: each shard's start bucket and timeline): an upper bound of the true peak, since two
/// shards' maxima in one bucket need not coincide, exact when they do. A shard that ended with some
/// still in flight keeps them until the end of the merged timeline.
pub fn lay(placed: &[(usize, &[TimelinePoint])]) -> Vec<TimelinePoint> {
    let mut sums: Vec<u64> = Vec::new();
    for (start, points) in placed {
        if sums.len() < start + points.len() {
            sums.resize(start + points.len(), 0);
        }
        for (i, point) in points.iter().enumerate() {
            sums[start + i] += point.alive;
        }
    }
    for (start, points) in placed {
        let end_value = points.last().map_or(0, |p| p.alive);
        if end_value > 0 {
            for slot in sums.iter_mut().skip(start + points.len()) {
                *slot += end_value;
            }
        }
    }
    sums.iter()
        .enumerate()
        .map(|(i, alive)| TimelinePoint {
            t_ms: i as u64 * BUCKET.as_millis() as u64,
            alive: *alive,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(alive: &[u64]) -> Vec<TimelinePoint> {
        alive
            .iter()
            .enumerate()
            .map(|(i, a)| TimelinePoint {
                t_ms: i as u64 * 100,
                alive: *a,
            })
            .collect()
    }

    #[test]
    fn shards_add_up_per_bucket_and_a_shard_still_running_stays_counted() {
        let (a, b) = (points(&[1, 3, 0]), points(&[2, 2]));
        let merged = lay(&[(0, &a), (2, &b)]);
        let alive: Vec<u64> = merged.iter().map(|p| p.alive).collect();
        assert_eq!(alive, vec![1, 3, 2, 2]);
        let c = points(&[5]);
        let alive: Vec<u64> = lay(&[(0, &c), (1, &a)]).iter().map(|p| p.alive).collect();
        assert_eq!(alive, vec![5, 6, 8, 5], "the first shard's 5 stay until the end");
    }
}
