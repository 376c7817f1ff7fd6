//! How many things were in flight over time, as an exact step function: one point per change, each
//! holding from its `t_ms` until the next point's, the last point closing the timeline at its end.
//!
//! A long run would need a point per create and per destroy, so the number of points is bounded
//! ([`MAX_POINTS`]): past it, neighbouring steps are merged into one point that keeps their highest
//! count (`alive`), their lowest (`low`) and their time-weighted mean (`mean`). That loses where
//! inside the merged span each change fell, never the peak, the minimum or the area under the line,
//! so the mean a report states is always the area under the drawn line divided by its span.
//!
//! Reports of versions that sampled the highest count per 100 ms bucket read the same way: each
//! bucket is a step holding its highest count (an over-estimate of the area).

use serde::{Deserialize, Serialize};

/// The most points a timeline keeps: more than a chart has pixel columns, and a few dozen KB of
/// report.json however many sandboxes a run creates.
pub const MAX_POINTS: usize = 2048;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Milliseconds from the timeline's origin (`started_at`), to the microsecond.
    pub t_ms: f64,
    /// How many were in flight from `t_ms` until the next point (the highest, for a merged step).
    pub alive: u64,
    /// A merged step's lowest count; absent when the step is exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<u64>,
    /// A merged step's time-weighted mean count; absent when the step is exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
}

impl TimelinePoint {
    /// An exact step: `alive` in flight from `t_ms` on.
    pub fn at(t_ms: f64, alive: u64) -> Self {
        TimelinePoint {
            t_ms,
            alive,
            low: None,
            mean: None,
        }
    }

    /// The lowest count during the step.
    pub fn lowest(&self) -> u64 {
        self.low.unwrap_or(self.alive)
    }

    /// The time-weighted mean count during the step.
    pub fn average(&self) -> f64 {
        self.mean.unwrap_or(self.alive as f64)
    }
}

/// The area under the step line, in count × milliseconds.
pub fn area(points: &[TimelinePoint]) -> f64 {
    points
        .windows(2)
        .map(|w| w[0].average() * (w[1].t_ms - w[0].t_ms).max(0.0))
        .sum()
}

/// Milliseconds from the first point to the last.
pub fn span_ms(points: &[TimelinePoint]) -> f64 {
    match (points.first(), points.last()) {
        (Some(a), Some(b)) => (b.t_ms - a.t_ms).max(0.0),
        _ => 0.0,
    }
}

/// The time-weighted mean over the timeline's span, rounded to thousandths (0 for an empty span).
pub fn mean(points: &[TimelinePoint]) -> f64 {
    let span = span_ms(points);
    if span <= 0.0 {
        return 0.0;
    }
    (area(points) / span * 1000.0).round() / 1000.0
}

/// The highest count at any instant (exact: merging keeps every step's highest).
pub fn peak(points: &[TimelinePoint]) -> u64 {
    points.iter().map(|p| p.alive).max().unwrap_or(0)
}

/// Merges neighbouring steps pairwise until at most `max` points are left. The last point (the
/// timeline's end, or the count still open while recording) is kept as it is.
pub fn compact(points: &mut Vec<TimelinePoint>, max: usize) {
    let max = max.max(3);
    while points.len() > max {
        let Some(last) = points.pop() else { return };
        let steps = std::mem::take(points);
        let mut i = 0;
        while i < steps.len() {
            let end = steps.get(i + 2).map_or(last.t_ms, |p| p.t_ms);
            match steps.get(i + 1) {
                Some(b) => points.push(merge(&steps[i], b, end)),
                None => points.push(steps[i]),
            }
            i += 2;
        }
        points.push(last);
    }
}

/// Steps `a` then `b`, `b` ending at `end`, as one.
fn merge(a: &TimelinePoint, b: &TimelinePoint, end: f64) -> TimelinePoint {
    let width = (end - a.t_ms).max(0.0);
    let area = a.average() * (b.t_ms - a.t_ms).max(0.0) + b.average() * (end - b.t_ms).max(0.0);
    let mean = if width > 0.0 {
        area / width
    } else {
        a.average().max(b.average())
    };
    TimelinePoint {
        t_ms: a.t_ms,
        alive: a.alive.max(b.alive),
        low: Some(a.lowest().min(b.lowest())),
        mean: Some((mean * 1000.0).round() / 1000.0),
    }
}

/// Several timelines laid on one clock (`placed`: each one's offset in milliseconds and its
/// points) and added up at every instant. A timeline that ended with some still in flight keeps
/// them until the end of the sum. Exact for exact steps; for merged ones the sum of the highest is
/// an upper bound and the means add up exactly. The result is bounded like any timeline.
pub fn sum(placed: &[(f64, &[TimelinePoint])]) -> Vec<TimelinePoint> {
    let mut instants: Vec<f64> = placed
        .iter()
        .flat_map(|(off, points)| points.iter().map(move |p| round_us(off + p.t_ms)))
        .collect();
    instants.sort_by(f64::total_cmp);
    instants.dedup();
    let mut out: Vec<TimelinePoint> = Vec::with_capacity(instants.len());
    let mut cursors = vec![0usize; placed.len()];
    for t in instants {
        let mut step = TimelinePoint::at(t, 0);
        let (mut low, mut mean, mut merged) = (0u64, 0f64, false);
        for ((off, points), cursor) in placed.iter().zip(cursors.iter_mut()) {
            while *cursor + 1 < points.len() && round_us(off + points[*cursor + 1].t_ms) <= t {
                *cursor += 1;
            }
            let Some(p) = points.get(*cursor) else { continue };
            if round_us(off + p.t_ms) > t {
                continue;
            }
            step.alive += p.alive;
            low += p.lowest();
            mean += p.average();
            merged |= p.low.is_some() || p.mean.is_some();
        }
        if merged {
            step.low = Some(low);
            step.mean = Some((mean * 1000.0).round() / 1000.0);
        }
        out.push(step);
    }
    compact(&mut out, MAX_POINTS);
    out
}

fn round_us(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(points: &[(f64, u64)]) -> Vec<TimelinePoint> {
        points.iter().map(|(t, a)| TimelinePoint::at(*t, *a)).collect()
    }

    #[test]
    fn compacting_keeps_peak_low_and_area() {
        let mut points: Vec<TimelinePoint> = (0..1000u64).map(|i| TimelinePoint::at(i as f64, i % 7)).collect();
        points.push(TimelinePoint::at(1000.0, 0));
        let (a, p) = (area(&points), peak(&points));
        compact(&mut points, 100);
        assert!(points.len() <= 100, "{}", points.len());
        assert_eq!(peak(&points), p);
        assert!((area(&points) - a).abs() / a < 1e-3, "{} vs {a}", area(&points));
        assert_eq!(points.iter().map(TimelinePoint::lowest).min(), Some(0));
        assert_eq!(points.last().map(|p| p.t_ms), Some(1000.0));
    }

    #[test]
    fn sums_step_functions_on_one_clock() {
        let a = steps(&[(0.0, 0), (1.0, 2), (3.0, 0)]);
        let b = steps(&[(0.0, 1), (1.5, 0)]);
        let total = sum(&[(0.0, &a), (2.0, &b)]);
        let alive: Vec<(f64, u64)> = total.iter().map(|p| (p.t_ms, p.alive)).collect();
        assert_eq!(alive, vec![(0.0, 0), (1.0, 2), (2.0, 3), (3.0, 1), (3.5, 0)]);
        assert!((area(&total) - (area(&a) + area(&b))).abs() < 1e-9);
    }
}
