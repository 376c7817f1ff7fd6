//! How many things are in flight over time, in memory that does not grow with their number: every
//! change of the count is recorded at its instant (an exact step function), and past
//! [`MAX_POINTS`] neighbouring steps are merged keeping their peak, low and area (see
//! [`crate::report::timeline`]); the exact peak, the time-weighted mean of that same line, and the
//! instants of first request, first ready and last ready.
//!
//! A lifecycle mode counts the sandboxes alive; the checkpoint workload counts the checkpoints in
//! flight. Both report the same timeline form, so `aggregate` lays shards' timelines on the wall
//! clock the same way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::report::timeline::{self, MAX_POINTS};
use crate::report::TimelinePoint;

pub struct InFlightClock {
    origin: Instant,
    timeline: Mutex<TimelineState>,
    first_start_us: AtomicU64,
    first_ready_us: AtomicU64,
    last_ready_us: AtomicU64,
}

struct TimelineState {
    alive: u64,
    peak: u64,
    /// One point per change since `origin` (the last one open), merged past twice [`MAX_POINTS`].
    points: Vec<TimelinePoint>,
}

/// The numbers a finished mode (or workload) reports about time and concurrency.
pub struct ClockSummary {
    pub wall_clock_ms: f64,
    pub time_to_first_ready_ms: Option<f64>,
    pub peak: u64,
    /// The area under `timeline` divided by its span: the mean the chart draws.
    pub mean: f64,
    pub timeline: Vec<TimelinePoint>,
}

impl InFlightClock {
    pub fn new() -> Self {
        let origin = Instant::now();
        Self {
            origin,
            timeline: Mutex::new(TimelineState {
                alive: 0,
                peak: 0,
                points: vec![TimelinePoint::at(0.0, 0)],
            }),
            first_start_us: AtomicU64::new(u64::MAX),
            first_ready_us: AtomicU64::new(u64::MAX),
            last_ready_us: AtomicU64::new(0),
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_micros() as u64
    }

    /// A sandbox's scheduled start: the earliest one is the mode's "first request".
    pub fn started(&self, scheduled: Instant) {
        self.first_start_us.fetch_min(self.micros(scheduled), Ordering::Relaxed);
    }

    pub fn ready(&self, at: Instant) {
        let us = self.micros(at);
        self.first_ready_us.fetch_min(us, Ordering::Relaxed);
        self.last_ready_us.fetch_max(us, Ordering::Relaxed);
    }

    /// One more in flight (`up`: a sandbox came to life, a checkpoint was requested) or one fewer.
    pub fn alive_changed(&self, up: bool) {
        let mut t = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        // Read under the lock, so the points are in time order.
        let at = self.micros(Instant::now()) as f64 / 1000.0;
        t.alive = if up { t.alive + 1 } else { t.alive.saturating_sub(1) };
        t.peak = t.peak.max(t.alive);
        // Every change is a point, even several within one microsecond: a step of no width adds
        // nothing to the area but keeps the peak on the line.
        let point = TimelinePoint::at(at, t.alive);
        t.points.push(point);
        if t.points.len() > 2 * MAX_POINTS {
            timeline::compact(&mut t.points, MAX_POINTS);
        }
    }

    pub fn summary(&self) -> ClockSummary {
        let end = self.micros(Instant::now());
        let t = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        let first_start = self.first_start_us.load(Ordering::Relaxed);
        let first_ready = self.first_ready_us.load(Ordering::Relaxed);
        let last_ready = self.last_ready_us.load(Ordering::Relaxed);
        let any_ready = first_ready != u64::MAX && first_start != u64::MAX;
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        // Close the timeline at "now", so a reader sees it return to zero.
        let mut points = t.points.clone();
        points.push(TimelinePoint::at(end as f64 / 1000.0, t.alive));
        timeline::compact(&mut points, MAX_POINTS);
        ClockSummary {
            wall_clock_ms: if any_ready {
                ms(last_ready.saturating_sub(first_start))
            } else {
                0.0
            },
            time_to_first_ready_ms: any_ready.then(|| ms(first_ready.saturating_sub(first_start))),
            peak: t.peak,
            mean: timeline::mean(&points),
            timeline: points,
        }
    }
}

impl Default for InFlightClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_exact_and_the_timeline_has_every_change() {
        let clock = InFlightClock::new();
        clock.started(Instant::now());
        for _ in 0..5 {
            clock.alive_changed(true);
        }
        clock.ready(Instant::now());
        for _ in 0..5 {
            clock.alive_changed(false);
        }
        let s = clock.summary();
        assert_eq!(s.peak, 5);
        assert_eq!(timeline::peak(&s.timeline), 5);
        assert!(s.timeline.len() >= 3, "{:?}", s.timeline);
        assert_eq!(s.timeline.last().map(|p| p.alive), Some(0));
        assert!(s.time_to_first_ready_ms.is_some());
        assert!((s.mean - timeline::mean(&s.timeline)).abs() < 1e-9);
    }

    #[test]
    fn a_hundred_thousand_changes_stay_bounded_and_keep_the_peak() {
        let clock = InFlightClock::new();
        for i in 0..100_000u64 {
            clock.alive_changed(i % 3 != 2);
        }
        let s = clock.summary();
        assert!(s.timeline.len() <= MAX_POINTS, "{}", s.timeline.len());
        assert_eq!(timeline::peak(&s.timeline), s.peak);
    }
}
