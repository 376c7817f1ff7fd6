//! The time series of report.json from the run's windows, and the trend test that says whether a
//! latency degraded over the run.
//!
//! The trend test compares the p95 of the last third of the windows with the p95 of the first
//! third. Each p95 gets a distribution-free 95 % confidence interval from its merged histogram:
//! the rank of the p-quantile in n samples is binomial, so the interval runs from the value at rank
//! `n p - 1.96 sqrt(n p (1 - p))` to the value at rank `n p + 1.96 sqrt(n p (1 - p))`. The latency
//! `degraded` when the last third's interval lies wholly above the first third's (the difference is
//! significant) and the drift `last_p95 / first_p95` is at least [`DRIFT_MIN_EFFECT`] (and large
//! enough to matter). Fewer than [`MIN_SAMPLES`] samples in either third gives no trend at all.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::windows::{Window, WindowSet};
use crate::report::{new_histogram, TimeSeries, Trend, WindowLatency, WindowReport, DRIFT_MIN_EFFECT};

/// Samples each third needs before its p95 says anything.
pub const MIN_SAMPLES: u64 = 20;
const Z95: f64 = 1.96;
const P: f64 = 0.95;

/// The series of a finished run: every window, and the trend of every headline latency.
pub fn time_series(set: &WindowSet) -> TimeSeries {
    let started_at =
        chrono::DateTime::<chrono::Utc>::from(set.started_at()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    series_of(set.width().as_secs_f64(), started_at, &set.all())
}

/// The series of `windows` of `width` seconds from `started_at`: also how `aggregate` rebuilds the
/// series of shards from their merged windows, so a merged trend is tested like a run's own.
pub fn series_of(width: f64, started_at: String, windows: &[Window]) -> TimeSeries {
    let reports = windows
        .iter()
        .enumerate()
        .map(|(i, w)| window_report(i as f64 * width, w))
        .collect();
    TimeSeries {
        window_s: width,
        started_at,
        windows: reports,
        trends: trends(windows),
    }
}

fn window_report(t_s: f64, w: &Window) -> WindowReport {
    let ended = w.ended();
    let share = |n: u64| (ended > 0).then(|| round4(n as f64 / ended as f64));
    let encoded = w.encoded();
    let latency = w
        .latencies
        .iter()
        .map(|(key, h)| {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            let summary = WindowLatency {
                count: h.len(),
                p50: ms(0.5),
                p95: ms(0.95),
                p99: ms(0.99),
                histogram: encoded.get(key).cloned().unwrap_or_default(),
            };
            (key.clone(), summary)
        })
        .collect();
    WindowReport {
        t_s,
        launched: w.launched,
        ended,
        verified: w.verified,
        corrupted: w.corrupted,
        infra: w.infra,
        success_rate: share(w.verified),
        infra_rate: share(w.infra),
        alive: w.alive,
        rss_mb: w.rss_mb,
        open_fds: w.open_fds,
        latency,
    }
}

/// The trend of every latency key seen in the windows, when there are at least three windows.
fn trends(windows: &[Window]) -> BTreeMap<String, Trend> {
    let third = windows.len() / 3;
    if third == 0 {
        return BTreeMap::new();
    }
    let keys: std::collections::BTreeSet<&String> = windows.iter().flat_map(|w| w.latencies.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let first = merged(&windows[..third], key);
            let last = merged(&windows[windows.len() - third..], key);
            trend(&first, &last).map(|t| (key.clone(), t))
        })
        .collect()
}

fn merged(windows: &[Window], key: &str) -> Histogram<u64> {
    let mut h = new_histogram();
    for w in windows {
        if let Some(part) = w.latencies.get(key) {
            // Same bounds everywhere (new_histogram), so adding cannot fail.
            let _ = h.add(part);
        }
    }
    h
}

/// The p95 drift from `first` to `last`, with its significance; `None` with too few samples.
pub fn trend(first: &Histogram<u64>, last: &Histogram<u64>) -> Option<Trend> {
    if first.len() < MIN_SAMPLES || last.len() < MIN_SAMPLES {
        return None;
    }
    let (first_p95, first_ci) = p95_with_ci(first);
    let (last_p95, last_ci) = p95_with_ci(last);
    let drift = if first_p95 > 0.0 { last_p95 / first_p95 } else { 1.0 };
    Some(Trend {
        first_p95,
        first_ci,
        first_count: first.len(),
        last_p95,
        last_ci,
        last_count: last.len(),
        drift: round4(drift),
        degraded: last_ci[0] > first_ci[1] && drift >= DRIFT_MIN_EFFECT,
    })
}

/// The p95 in ms and its 95 % interval from the binomial ranks around `n p`.
fn p95_with_ci(h: &Histogram<u64>) -> (f64, [f64; 2]) {
    let n = h.len() as f64;
    let spread = Z95 * (n * P * (1.0 - P)).sqrt();
    let q = |rank: f64| (rank / n).clamp(0.0, 1.0);
    let ms = |quantile: f64| h.value_at_quantile(quantile) as f64 / 1000.0;
    (ms(P), [ms(q((n * P - spread).floor())), ms(q((n * P + spread).ceil()))])
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values_ms: impl Iterator<Item = u64>) -> Histogram<u64> {
        let mut h = new_histogram();
        for v in values_ms {
            h.record(v * 1000).unwrap();
        }
        h
    }

    #[test]
    fn a_doubled_latency_is_a_significant_degradation() {
        let first = hist((0..500).map(|i| 50 + i % 50));
        let last = hist((0..500).map(|i| 100 + i % 100));
        let t = trend(&first, &last).unwrap();
        assert!(t.degraded, "{t:?}");
        assert!((t.drift - 2.0).abs() < 0.1, "{t:?}");
        assert!(t.first_ci[0] <= t.first_p95 && t.first_p95 <= t.first_ci[1]);
    }

    #[test]
    fn the_same_distribution_is_flat_and_small_samples_say_nothing() {
        let a = hist((0..500).map(|i| 50 + i % 50));
        let b = hist((0..500).map(|i| 50 + (i * 7) % 50));
        let t = trend(&a, &b).unwrap();
        assert!(!t.degraded && (t.drift - 1.0).abs() < 0.05, "{t:?}");
        assert!(trend(&hist(1..10), &hist(100..110)).is_none());
    }
}
