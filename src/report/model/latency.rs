//! Latencies as report.json holds them: HdrHistograms in microseconds with 3 significant digits,
//! serialized as base64 V2 + DEFLATE (cookie 0x1c849314, what HdrHistogram's `HistogramLogWriter`
//! writes) so shards and later runs merge them exactly and other tools (Python's `hdrh`, the
//! HdrHistogram log processors) read them as they are, and the percentiles people read (in
//! milliseconds) taken from them. Reports of schema version 1 hold uncompressed V2 (cookie
//! 0x1c849313); the decoder reads both. The codec lives with the model because the histograms are
//! part of the file's format: whoever reads a report decodes them the same way.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest trackable latency: one hour. Longer values are clamped rather than dropped.
pub const MAX_MICROS: u64 = 3_600_000_000;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("static histogram bounds are valid")
}

/// The numbers people read, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl LatencySummary {
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| round3(us as f64 / 1000.0);
        LatencySummary {
            count: h.len(),
            min: ms(h.min()),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: round3(h.mean() / 1000.0),
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Base64 of the compressed V2 form (V2 + DEFLATE).
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    base64::engine::general_purpose::STANDARD.encode(histogram_bytes(h))
}

/// The compressed V2 bytes (what an interval log line holds, before base64).
pub fn histogram_bytes(h: &Histogram<u64>) -> Vec<u8> {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and a histogram of u64 counts always fits the V2 format; an
    // error here would be a bug of the serializer, which an empty result makes visible downstream.
    if V2DeflateSerializer::new().serialize(h, &mut buf).is_err() {
        buf.clear();
    }
    buf
}

/// Reads either form: V2 (schema version 1) or V2 + DEFLATE (schema version 2).
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_compressed_form_and_reads_both() {
        let mut h = new_histogram();
        for us in [900u64, 1_200, 1_200, 45_000, 3_000_000] {
            h.record(us).unwrap();
        }
        let text = encode_histogram(&h);
        let bytes = base64::engine::general_purpose::STANDARD.decode(&text).unwrap();
        assert_eq!(&bytes[..4], &0x1c84_9314u32.to_be_bytes(), "V2 + DEFLATE cookie");
        assert_eq!(decode_histogram(&text).unwrap(), h);
        let mut v1 = Vec::new();
        hdrhistogram::serialization::V2Serializer::new()
            .serialize(&h, &mut v1)
            .unwrap();
        assert_eq!(&v1[..4], &0x1c84_9313u32.to_be_bytes(), "uncompressed V2 cookie");
        let v1 = base64::engine::general_purpose::STANDARD.encode(v1);
        assert_eq!(
            decode_histogram(&v1).unwrap(),
            h,
            "reports of schema version 1 still read"
        );
    }
}
