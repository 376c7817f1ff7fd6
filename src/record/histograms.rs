//! The run's latency histograms while it runs, one per `<workload>.<scope>.<metric>` key, encoded
//! into report.json at the end with the model's codec ([`crate::report::encode_histogram`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::windows::{is_headline, WindowSet};
use crate::report::{encode_histogram, new_histogram, LatencySummary, MAX_MICROS};

#[derive(Default)]
pub struct HistogramSet {
    inner: Mutex<BTreeMap<String, Histogram<u64>>>,
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
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = map.get_mut(key) {
            h.saturating_record(micros);
        } else {
            let mut h = new_histogram();
            h.saturating_record(micros);
            map.insert(key.to_string(), h);
        }
    }

    pub fn summary(&self, key: &str) -> LatencySummary {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).map(LatencySummary::from_histogram).unwrap_or_default()
    }

    /// Every histogram as base64 V2, keyed like `checkpoint.all.restore_ms`.
    pub fn encode_all(&self) -> BTreeMap<String, String> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, h)| (k.clone(), encode_histogram(h))).collect()
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
}
