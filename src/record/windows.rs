//! Per-window counts and histograms: the time series of a run, and the steps of a capacity ramp.
//!
//! A window is a fixed slice of wall time from an origin (`--window`, or one ramp step). Every
//! outcome and every headline latency is recorded once in the window it happened in, into an
//! HdrHistogram of its own, so the windows of a run merge exactly into its totals and a trend
//! (the last third against the first) is read from histograms, never from a vector of samples.
//! Memory grows with the number of windows, not with the number of operations.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;

use crate::report::{encode_histogram, new_histogram, MAX_MICROS};
use crate::verify::Outcome;

/// The metrics a window keeps a histogram of: the latencies a reader follows over time.
const HEADLINE: &[&str] = &[
    "tti_ms",
    "create_ms",
    "restore_ms",
    "checkpoint_ms",
    "upload_ms",
    "download_ms",
];

/// Whether `key` (`<workload>.<scope>.<metric>`) is a headline latency kept per window.
pub fn is_headline(key: &str) -> bool {
    key.rsplit('.').next().is_some_and(|m| HEADLINE.contains(&m))
}

/// One window while the run goes.
#[derive(Clone, Default)]
pub struct Window {
    /// Operations whose scheduled start fell in this window.
    pub launched: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub latencies: BTreeMap<String, Histogram<u64>>,
    /// Highest number of sandboxes alive seen in the window.
    pub alive: u64,
    pub rss_mb: Option<f64>,
    pub open_fds: Option<u64>,
}

impl Window {
    pub fn ended(&self) -> u64 {
        self.verified + self.corrupted + self.infra
    }

    /// Verified over ended; `None` when nothing ended.
    pub fn success_rate(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| self.verified as f64 / ended as f64)
    }

    pub fn encoded(&self) -> BTreeMap<String, String> {
        self.latencies
            .iter()
            .map(|(k, h)| (k.clone(), encode_histogram(h)))
            .collect()
    }
}

pub struct WindowSet {
    origin: Instant,
    started_at: SystemTime,
    width: Duration,
    windows: Mutex<Vec<Window>>,
    alive: AtomicI64,
}

impl WindowSet {
    pub fn new(width: Duration) -> Self {
        Self::starting_at(Instant::now(), width)
    }

    /// Windows counted from `origin`: a ramp's steps start with its first launch.
    pub fn starting_at(origin: Instant, width: Duration) -> Self {
        let since = origin.elapsed();
        Self {
            origin,
            started_at: SystemTime::now() - since,
            width: width.max(Duration::from_millis(1)),
            windows: Mutex::default(),
            alive: AtomicI64::new(0),
        }
    }

    pub fn width(&self) -> Duration {
        self.width
    }

    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }

    fn index(&self, at: Instant) -> usize {
        (at.saturating_duration_since(self.origin).as_nanos() / self.width.as_nanos()) as usize
    }

    fn with<R>(&self, at: Instant, f: impl FnOnce(&mut Window) -> R) -> R {
        let i = self.index(at);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() <= i {
            let alive = self.alive.load(Ordering::Relaxed).max(0) as u64;
            windows.resize_with(i + 1, || Window {
                alive,
                ..Default::default()
            });
        }
        f(&mut windows[i])
    }

    /// An operation scheduled at `at` was launched.
    pub fn launched(&self, at: Instant) {
        self.with(at, |w| w.launched += 1);
    }

    /// An operation ended now with `outcome`.
    pub fn outcome(&self, outcome: &Outcome) {
        self.with(Instant::now(), |w| match outcome {
            Outcome::Verified => w.verified += 1,
            Outcome::Corrupted { .. } => w.corrupted += 1,
            Outcome::Infra { .. } => w.infra += 1,
        });
    }

    /// A headline latency measured now.
    pub fn latency(&self, key: &str, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        self.with(Instant::now(), |w| {
            w.latencies
                .entry(key.to_string())
                .or_insert_with(new_histogram)
                .saturating_record(micros);
        });
    }

    /// A sandbox came up (`+1`) or went (`-1`); the window keeps the highest count it saw.
    pub fn alive_changed(&self, delta: i64) {
        let now = (self.alive.fetch_add(delta, Ordering::Relaxed) + delta).max(0) as u64;
        self.with(Instant::now(), |w| w.alive = w.alive.max(now));
    }

    /// The client's own footprint now, kept as the window's last sample.
    pub fn sample_host(&self, rss_mb: Option<f64>, open_fds: Option<u64>) {
        self.with(Instant::now(), |w| {
            w.rss_mb = rss_mb.or(w.rss_mb);
            w.open_fds = open_fds.or(w.open_fds);
        });
    }

    /// A copy of window `i` (empty when nothing happened in it yet).
    pub fn get(&self, i: usize) -> Window {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.get(i).cloned().unwrap_or_default()
    }

    /// Every window so far, in order.
    pub fn all(&self) -> Vec<Window> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::InfraClass;

    #[test]
    fn records_land_in_the_window_they_happened_in() {
        let set = WindowSet::starting_at(Instant::now() - Duration::from_millis(2500), Duration::from_secs(1));
        set.outcome(&Outcome::Verified);
        set.outcome(&Outcome::Infra {
            class: InfraClass::Timeout,
            status: None,
            detail: String::new(),
        });
        set.latency("lifecycle.staggered.tti_ms", Duration::from_millis(40));
        set.launched(Instant::now() - Duration::from_millis(2000));
        set.alive_changed(1);
        let all = set.all();
        assert_eq!(all.len(), 3);
        assert_eq!((all[2].verified, all[2].infra, all[2].alive), (1, 1, 1));
        assert_eq!(all[0].launched, 1);
        assert_eq!(all[2].success_rate(), Some(0.5));
        assert_eq!(all[2].latencies["lifecycle.staggered.tti_ms"].len(), 1);
        assert!(is_headline("storage.1mb.upload_ms") && !is_headline("lifecycle.burst.destroy_ms"));
    }
}
