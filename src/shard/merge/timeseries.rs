//! The time series of timed shards (`run --shard --duration/--rate` or `--ramp`) laid on one wall
//! clock.
//!
//! Shards start at their own instants, so a shard's window `i` is placed by its wall-clock start
//! (`started_at + t_s`) into the aggregate window that covers most of it: the aggregate's windows
//! count from the earliest shard's start, and a shard's windows move by their offset rounded to the
//! nearest window (at most half a window off). In each aggregate window the counts add, the
//! headline HdrHistograms add exactly (so the windows still merge into the aggregate's totals), and
//! alive sandboxes add (each shard's peak in the window: an upper bound of the peak of the sum, as
//! the shards' peaks need not coincide). The client's RSS and open descriptors are one process's
//! each, not additive: the aggregate keeps the highest shard's, the one that would run out first.
//! The trend test then runs on the merged windows, exactly as on one run's.

use chrono::{DateTime, Utc};

use super::timeline::parse_time;
use super::Part;
use crate::record::trend::series_of;
use crate::record::windows::Window;
use crate::report::{decode_histogram, TimeSeries};

/// The shards' series merged window by window; `None` when no shard was timed. Shards cut into
/// windows of different widths cannot be laid on one grid: an error naming the field.
pub fn merge(parts: &[Part]) -> Result<Option<TimeSeries>, String> {
    let series: Vec<(&Part, &TimeSeries, DateTime<Utc>)> = parts
        .iter()
        .filter_map(|p| {
            let ts = p.result.timeseries.as_ref()?;
            let start = parse_time(&ts.started_at).or_else(|| parse_time(&p.result.started_at))?;
            Some((p, ts, start))
        })
        .collect();
    let Some(&(first, first_ts, _)) = series.first() else {
        return Ok(None);
    };
    let width = first_ts.window_s;
    if let Some((other, ts, _)) = series.iter().find(|(_, ts, _)| (ts.window_s - width).abs() > 1e-9) {
        return Err(format!(
            "timeseries.window_s is {} s in {} but {} s in {}: run every shard with the same --window",
            width, first.source, ts.window_s, other.source
        ));
    }
    let base = series.iter().map(|(_, _, start)| *start).min().unwrap_or_default();
    let mut windows: Vec<Window> = Vec::new();
    for (part, ts, start) in &series {
        let offset_s = (*start - base).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
        for w in &ts.windows {
            let index = ((offset_s + w.t_s) / width).round().max(0.0) as usize;
            if windows.len() <= index {
                windows.resize_with(index + 1, Window::default);
            }
            add_window(&mut windows[index], w, &part.source)?;
        }
    }
    let started_at = base.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(Some(series_of(width, started_at, &windows)))
}

/// One shard's window added into the aggregate's: counts and alive summed, histograms added, the
/// client's footprint the highest of the shards'.
fn add_window(into: &mut Window, w: &crate::report::WindowReport, source: &str) -> Result<(), String> {
    into.launched += w.launched;
    into.verified += w.verified;
    into.corrupted += w.corrupted;
    into.infra += w.infra;
    into.alive += w.alive;
    into.rss_mb = max_of(into.rss_mb, w.rss_mb);
    into.open_fds = max_of(into.open_fds, w.open_fds);
    for (key, latency) in &w.latency {
        let h = decode_histogram(&latency.histogram)
            .map_err(|e| format!("{source}: timeseries window at {} s, {key}: {e}", w.t_s))?;
        match into.latencies.get_mut(key) {
            Some(mine) => mine
                .add(&h)
                .map_err(|e| format!("{source}: timeseries window at {} s, {key}: {e:?}", w.t_s))?,
            None => {
                into.latencies.insert(key.clone(), h);
            }
        }
    }
    Ok(())
}

fn max_of<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}
