//! What a run measured for one metric, read from report.json only: latencies from the HdrHistograms
//! (never from event vectors), rates and counts from the workload results and retry counts.

use hdrhistogram::Histogram;

use crate::config::threshold::{Histograms, Metric, Stat};
use crate::report::RunResult;
use crate::report::{decode_histogram, new_histogram};

/// A metric's value in its canonical unit (ms, fraction, MB/s, count), with the facts behind it
/// (`p95 of 30 samples`); or why there is none, which makes the threshold inconclusive.
#[derive(Debug, PartialEq)]
pub enum Measured {
    Value { value: f64, detail: String },
    NoData(String),
}

pub fn measure(result: &RunResult, name: &str, metric: &Metric) -> Measured {
    match metric {
        Metric::Latency { histograms, stat } => match histogram(result, histograms) {
            Ok(h) => latency(&h, name, *stat),
            Err(why) => Measured::NoData(why),
        },
        Metric::SuccessRate { mode } => success_rate(result, mode),
        Metric::Throughput { workload, metric } => throughput(result, workload, metric),
        Metric::RetryRate { op } => retry_rate(result, op),
        Metric::InfraRate { workload } => match ran(result, workload) {
            Ok(w) => Measured::Value {
                value: w.infra_rate(),
                detail: format!("{} of {} operations", w.infra, w.planned),
            },
            Err(why) => Measured::NoData(why),
        },
        Metric::Leaked { workload } => match ran(result, workload) {
            Ok(w) => Measured::Value {
                value: w.leaked as f64,
                detail: "left behind, removed by the final sweep".into(),
            },
            Err(why) => Measured::NoData(why),
        },
        Metric::Drift { key } => drift(result, key),
        Metric::SustainableRate => sustainable_rate(result),
    }
}

/// The trend of a timed run's windows; no data when the run was not timed or had too few samples.
fn drift(result: &RunResult, key: &str) -> Measured {
    let Some(series) = &result.timeseries else {
        return Measured::NoData("no time series: drift needs a timed run (--duration)".into());
    };
    match series.trends.get(key) {
        None => Measured::NoData(format!(
            "no trend of {key}: it needs 3 or more windows and 20 samples in the first and last third"
        )),
        Some(t) => Measured::Value {
            value: t.drift,
            detail: format!(
                "p95 {:.1} ms in the last third against {:.1} ms in the first{}",
                t.last_p95,
                t.first_p95,
                if t.degraded {
                    ", significant"
                } else {
                    ", not significant"
                }
            ),
        },
    }
}

/// The knee of a `--ramp`; no data without a ramp, and 0 when no step held (a measured floor).
fn sustainable_rate(result: &RunResult) -> Measured {
    let Some(capacity) = result.lifecycle.as_ref().and_then(|lc| lc.capacity.as_ref()) else {
        return Measured::NoData("no capacity search: lifecycle.sustainable_rate needs --ramp".into());
    };
    Measured::Value {
        value: capacity.knee.as_ref().map_or(0.0, |k| k.offered_per_s),
        detail: capacity.headline(),
    }
}

fn ran<'a>(result: &'a RunResult, workload: &str) -> Result<&'a crate::report::WorkloadResult, String> {
    match result.workloads.get(workload) {
        None => Err(format!("the {workload} workload did not run")),
        Some(w) if w.planned == 0 => Err(format!("the {workload} workload ran no operations")),
        Some(w) => Ok(w),
    }
}

fn latency(h: &Histogram<u64>, name: &str, stat: Stat) -> Measured {
    let micros = match stat {
        Stat::Quantile(q) => h.value_at_quantile(q) as f64,
        Stat::Max => h.max() as f64,
        Stat::Mean => h.mean(),
    };
    let stat_name = name.rsplit('.').next().unwrap_or(name);
    Measured::Value {
        value: micros / 1000.0,
        detail: format!("{stat_name} of {} samples", h.len()),
    }
}

/// The histogram a latency metric reads: one key, or every storage size of a direction added.
fn histogram(result: &RunResult, which: &Histograms) -> Result<Histogram<u64>, String> {
    let merged = match which {
        Histograms::Key(key) => match result.histograms.get(key) {
            Some(text) => decode(key, text)?,
            None => return Err(missing_key(result, key)),
        },
        Histograms::AllSizes { workload, metric } => {
            let mut all = new_histogram();
            for (key, text) in size_histograms(result, workload, metric) {
                all.add(decode(key, text)?)
                    .map_err(|e| format!("histogram {key} cannot be added: {e:?}"))?;
            }
            if all.is_empty() {
                return Err(no_transfer(result, workload));
            }
            all
        }
    };
    if merged.is_empty() {
        return Err("no samples recorded".into());
    }
    Ok(merged)
}

fn no_transfer(result: &RunResult, workload: &str) -> String {
    if result.workloads.contains_key(workload) {
        "no transfer completed".into()
    } else {
        format!("the {workload} workload did not run")
    }
}

fn decode(key: &str, text: &str) -> Result<Histogram<u64>, String> {
    decode_histogram(text).map_err(|e| format!("histogram {key} is unreadable: {e}"))
}

/// Why a histogram is absent: its workload or lifecycle mode did not run, or nothing got that far.
fn missing_key(result: &RunResult, key: &str) -> String {
    let mut parts = key.split('.');
    let workload = parts.next().unwrap_or(key);
    if !result.workloads.contains_key(workload) {
        return format!("the {workload} workload did not run");
    }
    if workload == "lifecycle" {
        let mode = parts.next().unwrap_or_default();
        let ran = result
            .lifecycle
            .as_ref()
            .is_some_and(|lc| lc.modes().iter().any(|(m, _)| *m == mode));
        if !ran {
            return format!("lifecycle mode {mode} did not run");
        }
    }
    "no samples recorded".into()
}

/// `(key, base64)` of every `<workload>.<size>mb.<metric>` histogram.
fn size_histograms<'a>(
    result: &'a RunResult,
    workload: &'a str,
    metric: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    result
        .histograms
        .iter()
        .filter(move |(key, _)| histogram_size(key, workload, metric).is_some())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The size in MB of a `<workload>.<size>mb.<metric>` key.
fn histogram_size(key: &str, workload: &str, metric: &str) -> Option<f64> {
    let size = key
        .strip_prefix(workload)?
        .strip_prefix('.')?
        .strip_suffix(metric)?
        .strip_suffix("mb.")?;
    size.parse().ok()
}

/// Every byte moved in one direction over the time it took, all file sizes together: the mean of
/// each size's histogram times its count is that size's total time.
fn throughput(result: &RunResult, workload: &str, metric: &str) -> Measured {
    let (mut megabytes, mut micros, mut transfers) = (0.0, 0.0, 0u64);
    for (key, text) in size_histograms(result, workload, metric) {
        let h = match decode(key, text) {
            Ok(h) => h,
            Err(why) => return Measured::NoData(why),
        };
        let size = histogram_size(key, workload, metric).unwrap_or(0.0);
        megabytes += size * h.len() as f64;
        micros += h.mean() * h.len() as f64;
        transfers += h.len();
    }
    if transfers == 0 || micros <= 0.0 {
        return Measured::NoData(no_transfer(result, workload));
    }
    let seconds = micros / 1e6;
    Measured::Value {
        value: megabytes / seconds,
        detail: format!("{megabytes} MB in {seconds:.3} s over {transfers} transfers"),
    }
}

fn success_rate(result: &RunResult, mode: &str) -> Measured {
    let Some(lc) = result.lifecycle.as_ref() else {
        return Measured::NoData("the lifecycle workload did not run".into());
    };
    match lc.modes().into_iter().find(|(m, _)| *m == mode) {
        None => Measured::NoData(format!("lifecycle mode {mode} did not run")),
        Some((_, m)) if m.count == 0 => Measured::NoData(format!("lifecycle mode {mode} launched no sandbox")),
        Some((_, m)) => Measured::Value {
            value: m.success_rate(),
            detail: format!("{} of {} sandboxes", m.status.success, m.count),
        },
    }
}

fn retry_rate(result: &RunResult, op: &str) -> Measured {
    match result.retries.get(op) {
        Some(r) if r.calls > 0 => Measured::Value {
            value: r.retried.min(r.calls) as f64 / r.calls as f64,
            detail: format!("{} of {} {op} calls retried", r.retried, r.calls),
        },
        _ if result.retries.is_empty() => Measured::NoData("the report counts no retries".into()),
        _ => Measured::NoData(format!("no {op} calls")),
    }
}
