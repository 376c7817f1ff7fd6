//! Evaluating `--threshold` objectives on a finished report.
//!
//! A pure function of report.json: the expressions are kept in `config.thresholds` and everything
//! they measure is in the report (histograms, workload results, retry counts), so `aggregate`
//! evaluates the same expressions on the merged histograms and reaches the verdict a single run of
//! the same size would. A metric the run has no data for is never a pass: the result has no value and
//! `judge` makes its workload inconclusive.

mod measure;

use crate::config::threshold::{self, Kind, Threshold, Unit};
use crate::report::{RunResult, ThresholdResult};

use measure::Measured;

/// Every threshold of `config.thresholds`, evaluated; `judge` reads the results afterwards.
pub fn evaluate(result: &RunResult) -> Vec<ThresholdResult> {
    result
        .config
        .thresholds
        .iter()
        .map(|expr| evaluate_one(result, expr))
        .collect()
}

/// Sets `result.thresholds` from `result.config.thresholds`; call before `report::judge`.
pub fn apply(result: &mut RunResult) {
    result.thresholds = evaluate(result);
}

fn evaluate_one(result: &RunResult, expr: &str) -> ThresholdResult {
    // Validated when the run was configured; a report edited by hand or written by another version
    // may still hold one this version cannot read, and that is no data, not a pass.
    let t = match threshold::parse(expr) {
        Ok(t) => t,
        Err(e) => return no_data(expr, format!("cannot evaluate: {}", e.message)),
    };
    match measure::measure(result, &t.metric_name, &t.metric) {
        Measured::NoData(why) => no_data(expr, why),
        Measured::Value { value, detail } => {
            // Rounded to a millionth of the unit: below the histograms' precision, free of float noise.
            let shown = (value * t.unit.per_canonical() * 1e6).round() / 1e6;
            ThresholdResult {
                expr: t.expr.clone(),
                value: Some(shown),
                ok: t.op.holds(value, t.limit),
                measured: Some(format!("{}{} ({detail})", number(shown), suffix(&t))),
            }
        }
    }
}

/// The unit the value is shown in: as written, and MB/s for a throughput written without one.
fn suffix(t: &Threshold) -> &'static str {
    match (t.unit, t.metric.kind()) {
        (Unit::Bare, Kind::Throughput) => " MB/s",
        (unit, _) => unit.suffix(),
    }
}

fn no_data(expr: &str, why: String) -> ThresholdResult {
    ThresholdResult {
        expr: expr.trim().to_string(),
        value: None,
        ok: false,
        measured: Some(format!("no data: {why}")),
    }
}

/// Four significant digits at most, without trailing zeros (`812.3`, `30.02`, `0.05`, `2`).
pub fn number(v: f64) -> String {
    let decimals = match v.abs() {
        a if a >= 1000.0 => 0,
        a if a >= 100.0 => 1,
        a if a >= 10.0 => 2,
        a if a >= 1.0 || a == 0.0 => 3,
        // Below one, four significant digits: 0.0003 s must not show as 0.
        a => (3 - a.log10().floor() as i32).clamp(3, 12) as usize,
    };
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
