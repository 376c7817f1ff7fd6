//! `--threshold EXPR`: service-level objectives a run must meet, k6-style (`lifecycle.burst.tti.p95 <
//! 2s`, `retries.create.rate < 5%`).
//!
//! Parsed and validated when the configuration is built, so a typo is exit 2 before any sandbox is
//! created; evaluated (in `report::thresholds`) from the finished report alone, so `aggregate`
//! evaluates the same expressions again on the merged histograms. A value is always kept in the
//! metric's canonical unit (milliseconds, a fraction, MB/s, a count) next to the unit the user wrote,
//! which is the unit the report shows it in.

pub mod metric;

pub use metric::{Histograms, Kind, Metric, Stat};

use crate::error::ConfigError;

const FIELD: &str = "--threshold";
const EXAMPLE: &str = "e.g. 'lifecycle.burst.tti.p95 < 2s' or 'retries.create.rate < 5%'";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
        }
    }
}

/// The unit a value was written in; the report shows the measured value in the same unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Ms,
    S,
    Percent,
    MbPerS,
    /// No unit: a fraction for rates, MB/s for throughput, a number for counts.
    Bare,
}

impl Unit {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" => Unit::Bare,
            "ms" => Unit::Ms,
            "s" => Unit::S,
            "%" => Unit::Percent,
            "MB/s" | "mb/s" => Unit::MbPerS,
            _ => return None,
        })
    }

    /// How many of this unit make one canonical unit (1 ms = 0.001 s, a fraction of 1 = 100 %).
    pub fn per_canonical(self) -> f64 {
        match self {
            Unit::S => 0.001,
            Unit::Percent => 100.0,
            Unit::Ms | Unit::MbPerS | Unit::Bare => 1.0,
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Ms => " ms",
            Unit::S => " s",
            Unit::Percent => "%",
            Unit::MbPerS => " MB/s",
            Unit::Bare => "",
        }
    }
}

/// One parsed `--threshold`: holds when `measured OP limit`, both in the metric's canonical unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// As the user wrote it (trimmed): the name report.json, the summary and the reasons use.
    pub expr: String,
    pub metric_name: String,
    pub metric: Metric,
    pub op: Op,
    /// The limit in the metric's canonical unit (ms, fraction, MB/s, count).
    pub limit: f64,
    pub unit: Unit,
}

fn error(message: String) -> ConfigError {
    ConfigError::new(FIELD, message)
}

/// Parses `METRIC OP VALUE[UNIT]`; every error names the expression and what is wrong with it.
pub fn parse(text: &str) -> Result<Threshold, ConfigError> {
    let expr = text.trim().to_string();
    let at = expr.find(['<', '>', '=', '!']).ok_or_else(|| {
        error(format!(
            "{expr:?} has no operator: write METRIC OP VALUE[UNIT] with OP one of < <= > >= ({EXAMPLE})"
        ))
    })?;
    let metric_name = expr[..at].trim();
    let rest = &expr[at..];
    let (op, value_text) = if let Some(v) = rest.strip_prefix("<=") {
        (Op::Le, v)
    } else if let Some(v) = rest.strip_prefix(">=") {
        (Op::Ge, v)
    } else if let Some(v) = rest.strip_prefix('<') {
        (Op::Lt, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (Op::Gt, v)
    } else {
        let bad: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
        return Err(error(format!(
            "{expr:?}: unknown operator {bad:?} (expected one of < <= > >=)"
        )));
    };
    if metric_name.is_empty() || metric_name.contains(char::is_whitespace) {
        return Err(error(format!(
            "{expr:?}: expected METRIC OP VALUE[UNIT], the metric being one dotted name ({EXAMPLE})"
        )));
    }
    let metric = metric::parse(metric_name).ok_or_else(|| unknown_metric(metric_name))?;
    let (number, unit) = split_value(&expr, value_text.trim())?;
    let (limit, unit) = limit_in_canonical(&expr, metric_name, metric.kind(), number, unit)?;
    Ok(Threshold {
        metric_name: metric_name.to_string(),
        expr,
        metric,
        op,
        limit,
        unit,
    })
}

fn unknown_metric(name: &str) -> ConfigError {
    let hint = metric::suggest(name)
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    error(format!(
        "unknown metric {name:?}{hint}; valid metrics: {}",
        metric::valid_forms()
    ))
}

/// `250ms` → (250, ms); the number is plain decimal, never negative.
fn split_value(expr: &str, text: &str) -> Result<(f64, Unit), ConfigError> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit_text) = (&text[..end], text[end..].trim());
    if number.is_empty() {
        let why = if text.is_empty() {
            "has no value after the operator".to_string()
        } else if text.starts_with('-') {
            "has a negative value; every metric is zero or more".to_string()
        } else {
            format!("has no number in {text:?}")
        };
        return Err(error(format!("{expr:?} {why} ({EXAMPLE})")));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| error(format!("{expr:?}: {number:?} is not a number")))?;
    let unit = Unit::parse(unit_text).ok_or_else(|| {
        error(format!(
            "{expr:?}: unknown unit {unit_text:?} (expected ms, s, %, MB/s, or none for a fraction or a count)"
        ))
    })?;
    Ok((value, unit))
}

/// Checks that the unit fits the metric and converts the value to the metric's canonical unit.
fn limit_in_canonical(expr: &str, name: &str, kind: Kind, value: f64, unit: Unit) -> Result<(f64, Unit), ConfigError> {
    let misfit = |wants: &str| {
        let written = match unit {
            Unit::Bare => "no unit".to_string(),
            u => format!("unit {:?}", u.suffix().trim()),
        };
        Err(error(format!("{expr:?}: {written} does not fit {name}, {wants}")))
    };
    match (kind, unit) {
        (Kind::Latency, Unit::Ms | Unit::S) => {}
        (Kind::Latency, _) => return misfit("a latency: write the value in ms or s (e.g. 250ms, 2s)"),
        (Kind::Rate, Unit::Percent) if value > 100.0 => {
            return Err(error(format!("{expr:?}: a rate is at most 100%")));
        }
        (Kind::Rate, Unit::Bare) if value > 1.0 => {
            return Err(error(format!(
                "{expr:?}: a rate without a unit is a fraction from 0 to 1; write {value}% for a percent"
            )));
        }
        (Kind::Rate, Unit::Percent | Unit::Bare) => {}
        (Kind::Rate, _) => return misfit("a rate: write a percent (5%) or a fraction (0.05)"),
        (Kind::Throughput, Unit::MbPerS | Unit::Bare) => {}
        (Kind::Throughput, _) => return misfit("a throughput in MB/s (e.g. 50MB/s)"),
        (Kind::Count, Unit::Bare) => {}
        (Kind::Count, _) => return misfit("a count: write a plain number (e.g. 0)"),
    }
    Ok((value / unit.per_canonical(), unit))
}

/// Parses every expression; the first bad one is the error.
pub fn parse_all(exprs: &[String]) -> Result<Vec<Threshold>, ConfigError> {
    exprs.iter().map(|e| parse(e)).collect()
}

#[cfg(test)]
mod tests;
