//! `histograms.hlog`: every histogram of report.json as an HdrHistogram interval log, the format
//! HdrHistogram's `HistogramLogWriter` writes and its log processors and plotters read. One interval
//! per histogram, tagged with its report.json key and spanning the whole run, so a run opens in
//! those tools as it is (`HistogramLogProcessor -tag lifecycle.burst.tti_ms -i histograms.hlog`).

use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;

use super::{ExportContext, ExportError, Exporter, Rendered};
use crate::report::{decode_histogram, RunResult};

pub const HLOG_FILE: &str = "histograms.hlog";

pub struct HlogExporter;

impl Exporter for HlogExporter {
    fn name(&self) -> &'static str {
        "hlog"
    }

    fn render(&self, ctx: &ExportContext<'_>, _earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        if ctx.result.histograms.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Rendered {
            name: HLOG_FILE.to_string(),
            content: interval_log(ctx.result)?,
        }])
    }
}

fn encode_error(message: String) -> ExportError {
    ExportError::Encode {
        file: HLOG_FILE.to_string(),
        message,
    }
}

/// The log's text: the header (comment, format version, start and base time, max value divisor)
/// and one line per histogram. Values are microseconds; the interval maximum is shown in ms.
pub fn interval_log(result: &RunResult) -> Result<String, ExportError> {
    let err = |e: &dyn std::fmt::Debug| encode_error(format!("{e:?}"));
    let start = chrono::DateTime::parse_from_rfc3339(&result.started_at)
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis().max(0) as u64))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let length = Duration::from_secs_f64(result.duration_s.max(0.0));
    let mut buf = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut log = IntervalLogWriterBuilder::new()
            .add_comment(&format!(
                "stress-action {}: the histograms of report.json (microseconds), one interval per tag",
                result.tool_version
            ))
            .add_comment("[Histogram log format version 1.3]")
            .with_start_time(start)
            .with_base_time(start)
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut buf, &mut serializer)
            .map_err(|e| err(&e))?;
        for (key, text) in &result.histograms {
            let h = decode_histogram(text).map_err(|e| encode_error(format!("{key}: {e}")))?;
            let tag = Tag::new(key).ok_or_else(|| encode_error(format!("{key} cannot be a tag")))?;
            log.write_histogram(&h, Duration::ZERO, length, Some(tag))
                .map_err(|e| err(&e))?;
        }
    }
    String::from_utf8(buf).map_err(|e| encode_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{encode_histogram, new_histogram};
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn every_histogram_is_one_tagged_interval_that_reads_back() {
        let mut h = new_histogram();
        for us in [1_000u64, 2_000, 3_000, 250_000] {
            h.record(us).unwrap();
        }
        let result: RunResult = serde_json::from_value(serde_json::json!({
            "schema_version": 2, "tool_version": "t", "verdict": "pass", "verdict_reasons": [],
            "interrupted": false, "seed": 1, "profile": "smoke", "provider": "local",
            "started_at": "2026-01-02T03:04:05.000Z", "finished_at": "2026-01-02T03:04:15.000Z",
            "duration_s": 10.0, "config": {"restores": 1, "rounds": 1, "concurrency": 1,
            "marker_size_mb": 1.0, "inject_corruption": 0.0, "max_infra_rate": 0.1, "exec_timeout_ms": 1},
            "totals": {"planned": 0, "verified": 0, "corrupted": 0, "infra": 0, "lost": 0},
            "infra_classes": {},
            "histograms": {"lifecycle.burst.tti_ms": encode_histogram(&h), "checkpoint.all.restore_ms": encode_histogram(&h)}
        }))
        .unwrap();
        let log = interval_log(&result).unwrap();
        assert!(log.contains("#[StartTime: 1767323045.000"), "{log}");
        assert!(log.contains("#[MaxValueDivisor: 1000.000]"), "{log}");
        let mut tags = Vec::new();
        for entry in IntervalLogIterator::new(log.as_bytes()) {
            if let LogEntry::Interval(i) = entry.unwrap() {
                tags.push(i.tag().unwrap().as_str().to_string());
                assert_eq!(i.duration(), Duration::from_secs(10));
                assert!((i.max() - 250.0).abs() < 0.5, "max in ms: {}", i.max());
                let bytes =
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, i.encoded_histogram()).unwrap();
                let back: hdrhistogram::Histogram<u64> =
                    Deserializer::new().deserialize(&mut bytes.as_slice()).unwrap();
                assert_eq!(back, h);
            }
        }
        assert_eq!(tags, vec!["checkpoint.all.restore_ms", "lifecycle.burst.tti_ms"]);
    }
}
