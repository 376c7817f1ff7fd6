//! The run's latency histograms while it runs, one per `<workload>.<scope>.<metric>` key, encoded
//! into report.json at the end with the model's codec ([`crate::report::encode_histogram`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::windows::{is_headline, WindowSet};
use crate::report::{encode_histogram, new_histogram, LatencySummary, MAX_MICROS};

#[derive(Default)]
pub struct HistogramSet {
    inner: Mutex<BTreeMap<String, (Histogram<u64>, Span)>>,
    /// Where headline latencies also go, one histogram per window, so windows sum to the totals.
    windows: Option<Arc<WindowSet>>,
}

impl HistogramSet {
    pub fn windowed(windows: Arc<WindowSet>) -> Self {
        Self {
            inner: Mutex::default(),
            windows: Some(windows),
        }
    }

    pub fn record(&self, key: &str, latency: Duration) {
        if let Some(w) = self.windows.as_ref().filter(|_| is_headline(key)) {
            w.latency(key, latency);
        }
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        // Called as the operation ends: it ran from `end - latency`.
        let end = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((h, span)) = map.get_mut(key) {
            h.saturating_record(micros);
            span.add(end, latency);
        } else {
            let mut h = new_histogram();
            h.saturating_record(micros);
            map.insert(key.to_string(), (h, Span::new(end, latency)));
        }
    }

    pub fn summary(&self, key: &str) -> LatencySummary {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .map(|(h, _)| LatencySummary::from_histogram(h))
            .unwrap_or_default()
    }

    /// Every histogram as base64 V2, keyed like `checkpoint.all.restore_ms`.
    pub fn encode_all(&self) -> BTreeMap<String, String> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, (h, _))| (k.clone(), encode_histogram(h))).collect()
    }

    /// Per histogram, how many of its operations were in flight at once on average (Little's law:
    /// the time spent in them over the span from the first start to the last end), at least 1.
    /// `compare` counts a run's samples as `count / overlap` independent ones: operations in
    /// flight together share the machine and the queue, and move together from run to run.
    pub fn overlap_all(&self) -> BTreeMap<String, f64> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, (_, span))| (k.clone(), span.overlap())).collect()
    }
}

/// When a metric's operations ran: the earliest start, the latest end, and their summed time.
struct Span {
    first_start: Instant,
    last_end: Instant,
    busy: Duration,
}

impl Span {
    fn new(end: Instant, latency: Duration) -> Self {
        Span {
            first_start: end.checked_sub(latency).unwrap_or(end),
            last_end: end,
            busy: latency,
        }
    }

    fn add(&mut self, end: Instant, latency: Duration) {
        let start = end.checked_sub(latency).unwrap_or(end);
        self.first_start = self.first_start.min(start);
        self.last_end = self.last_end.max(end);
        self.busy += latency;
    }

    /// Rounded to 2 decimals: report.json keeps it, and more digits would only be noise.
    fn overlap(&self) -> f64 {
        let span = self.last_end.duration_since(self.first_start).as_secs_f64();
        let mean = if span > 0.0 {
            self.busy.as_secs_f64() / span
        } else {
            1.0
        };
        (mean.max(1.0) * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::decode_histogram;

    #[test]
    fn summary_and_roundtrip() {
        let set = HistogramSet::default();
        for ms in 1..=100u64 {
            set.record("k", Duration::from_millis(ms));
        }
        let s = set.summary("k");
        assert_eq!(s.count, 100);
        assert!((s.p50 - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.max - 100.0).abs() < 0.1, "{s:?}");
        let encoded = set.encode_all();
        let back = decode_histogram(&encoded["k"]).unwrap();
        assert_eq!(LatencySummary::from_histogram(&back), s);
        assert_eq!(set.summary("missing").count, 0);
    }

    #[test]
    fn overlap_counts_operations_in_flight_together() {
        let set = HistogramSet::default();
        // One at a time (each ends before the next is recorded as starting): overlap 1.
        for _ in 0..3 {
            set.record("alone", Duration::from_micros(1));
            std::thread::sleep(Duration::from_millis(2));
        }
        // Ten operations of 50 ms each, all ending now: they ran together.
        for _ in 0..10 {
            set.record("together", Duration::from_millis(50));
        }
        let o = set.overlap_all();
        assert_eq!(o["alone"], 1.0);
        assert!(o["together"] > 8.0 && o["together"] <= 10.0, "{o:?}");
    }
}
