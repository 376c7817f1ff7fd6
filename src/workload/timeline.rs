//! How many things are in flight over time, in memory that does not grow with their number: the
//! concurrency timeline (the highest number alive in each 100 ms bucket, so memory grows with the
//! duration, not the size), the exact peak, a time-weighted mean, and the instants of first request,
//! first ready and last ready.
//!
//! A lifecycle mode counts the sandboxes alive; the checkpoint workload counts the checkpoints in
//! flight. Both report the same timeline form, so `aggregate` lays shards' timelines on the wall
//! clock the same way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::report::TimelinePoint;

pub const BUCKET: Duration = Duration::from_millis(100);

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
    /// Highest number of sandboxes alive in each 100 ms bucket since `origin`.
    buckets: Vec<u64>,
    last_change: Instant,
    /// Integral of `alive` over time, in sandbox-microseconds, for the time-weighted mean.
    area: f64,
}

/// The numbers a finished mode (or workload) reports about time and concurrency.
pub struct ClockSummary {
    pub wall_clock_ms: f64,
    pub time_to_first_ready_ms: Option<f64>,
    pub peak: u64,
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
                buckets: Vec::new(),
                last_change: origin,
                area: 0.0,
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
        let now = Instant::now();
        let bucket = (now.saturating_duration_since(self.origin).as_millis() / BUCKET.as_millis()) as usize;
        let mut t = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        t.area += t.alive as f64 * now.saturating_duration_since(t.last_change).as_micros() as f64;
        t.last_change = now;
        let carried = t.alive;
        while t.buckets.len() <= bucket {
            t.buckets.push(carried);
        }
        t.alive = if up { t.alive + 1 } else { t.alive.saturating_sub(1) };
        t.peak = t.peak.max(t.alive);
        let alive = t.alive;
        if let Some(b) = t.buckets.get_mut(bucket) {
            *b = (*b).max(alive);
        }
    }

    pub fn summary(&self) -> ClockSummary {
        let now = Instant::now();
        let t = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        let area = t.area + t.alive as f64 * now.saturating_duration_since(t.last_change).as_micros() as f64;
        let first_start = self.first_start_us.load(Ordering::Relaxed);
        let first_ready = self.first_ready_us.load(Ordering::Relaxed);
        let last_ready = self.last_ready_us.load(Ordering::Relaxed);
        let any_ready = first_ready != u64::MAX && first_start != u64::MAX;
        let window_start = if first_start == u64::MAX { 0 } else { first_start };
        let window_us = self.micros(now).saturating_sub(window_start).max(1);
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        let mut timeline: Vec<TimelinePoint> = t
            .buckets
            .iter()
            .enumerate()
            .map(|(i, alive)| TimelinePoint {
                t_ms: i as u64 * BUCKET.as_millis() as u64,
                alive: *alive,
            })
            .collect();
        // Close the timeline at "now", so a reader sees it return to zero.
        timeline.push(TimelinePoint {
            t_ms: timeline.len() as u64 * BUCKET.as_millis() as u64,
            alive: t.alive,
        });
        ClockSummary {
            wall_clock_ms: if any_ready {
                ms(last_ready.saturating_sub(first_start))
            } else {
                0.0
            },
            time_to_first_ready_ms: any_ready.then(|| ms(first_ready.saturating_sub(first_start))),
            peak: t.peak,
            mean: ((area / window_us as f64) * 1000.0).round() / 1000.0,
            timeline,
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
    fn peak_is_exact_and_timeline_is_per_bucket() {
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
        assert_eq!(s.timeline[0].alive, 5);
        assert_eq!(s.timeline.last().map(|p| p.alive), Some(0));
        assert!(s.time_to_first_ready_ms.is_some());
    }
}
