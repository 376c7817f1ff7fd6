//! `tti-<mode>.svg`: the latency distribution of one lifecycle mode as percentile curves (create,
//! first command, TTI) on a log-scaled percentile axis, the way HdrHistogram plots show tails. The
//! drawing ([`draw_percentiles`]) and the curves ([`curve_of`]) serve other workloads' percentile
//! charts too (`checkpoint-latency.svg`).

use std::collections::BTreeMap;

use plotters::prelude::*;

use super::{axis_max, chart_error, draw_svg, tick, BLUE, FONT, GREY, ORANGE, RED};
use crate::report::export::{ExportError, Rendered};
use crate::report::ModeReport;
use crate::report::{decode_histogram, LatencySummary};

const POINTS: u32 = 120;
/// The deepest tail shown: six nines, 99.9999%.
const MAX_NINES: f64 = 6.0;

pub fn render(
    mode: &str,
    report: &ModeReport,
    histograms: &BTreeMap<String, String>,
) -> Result<Option<Rendered>, ExportError> {
    let name = format!("tti-{mode}.svg");
    let metrics = [
        ("create", "create_ms", &report.create_ms, BLUE),
        ("first command", "first_command_ms", &report.first_command_ms, ORANGE),
        ("TTI", "tti_ms", &report.tti_ms, RED),
    ];
    let mut series = Vec::new();
    for (label, key, summary, color) in metrics {
        let points = curve_of(&name, &format!("lifecycle.{mode}.{key}"), summary, histograms)?;
        if !points.is_empty() {
            series.push((label, points, color));
        }
    }
    draw_percentiles(&name, &format!("Lifecycle {mode}: latency by percentile"), &series)
}

/// A labelled line of (nines, milliseconds) points in its colour.
pub(super) type Curve = (&'static str, Vec<(f64, f64)>, RGBColor);

/// Percentile curves on one chart; no chart when there is no curve.
pub(super) fn draw_percentiles(name: &str, caption: &str, series: &[Curve]) -> Result<Option<Rendered>, ExportError> {
    if series.is_empty() {
        return Ok(None);
    }
    let x_max = series
        .iter()
        .flat_map(|(_, p, _)| p.iter().map(|(x, _)| *x))
        .fold(1.0f64, f64::max);
    let y_max = axis_max(
        series
            .iter()
            .flat_map(|(_, p, _)| p.iter().map(|(_, y)| *y))
            .fold(0.0, f64::max),
    );
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 22).into_font().color(&GREY))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(Nines::new(x_max), 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_label_formatter(&|n| percentile_label(10f64.powf(*n)))
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        for (label, points, color) in series {
            let color = *color;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
                .map_err(err)?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE)
            .border_style(GREY)
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    })
    .map(Some)
}

/// The curve of histogram `key`, else (older or hand-made reports) of the summary's percentiles.
pub(super) fn curve_of(
    chart: &str,
    key: &str,
    summary: &LatencySummary,
    histograms: &BTreeMap<String, String>,
) -> Result<Vec<(f64, f64)>, ExportError> {
    Ok(match histograms.get(key) {
        Some(encoded) => {
            let h = decode_histogram(encoded).map_err(|e| chart_error(chart, format!("{key}: {e}")))?;
            curve_from_histogram(&h)
        }
        None => curve_from_summary(summary),
    })
}

/// x is the number of nines, `-log10(1 - q)`: 0 is 0%, 1 is p90, 2 is p99, and so on, so the tail gets
/// as much room as the body. The curve stops where the sample count stops telling anything new.
fn curve_from_histogram(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let max_nines = (h.len() as f64).log10().ceil().clamp(1.0, MAX_NINES);
    (0..=POINTS)
        .map(|i| {
            let n = max_nines * f64::from(i) / f64::from(POINTS);
            let q = (1.0 - 10f64.powf(-n)).clamp(0.0, 1.0);
            (n, h.value_at_quantile(q) as f64 / 1000.0)
        })
        .collect()
}

/// Older or hand-made reports without histograms still get a curve through the stored percentiles.
fn curve_from_summary(s: &LatencySummary) -> Vec<(f64, f64)> {
    if s.count == 0 {
        return Vec::new();
    }
    [
        (0.0, s.min),
        (2.0, s.p50),
        (10.0, s.p90),
        (20.0, s.p95),
        (100.0, s.p99),
        (1000.0, s.p999),
    ]
    .into_iter()
    .map(|(x, v)| (if x > 0.0 { f64::log10(x) } else { 0.0 }, v))
    .collect()
}

/// The percentile axis: linear in nines, ticks only at percentiles people quote.
#[derive(Clone)]
struct Nines {
    max: f64,
    inner: plotters::coord::types::RangedCoordf64,
}

impl Nines {
    fn new(max: f64) -> Self {
        let max = max.max(1.0);
        Nines {
            max,
            inner: (0f64..max).into(),
        }
    }
}

impl Ranged for Nines {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        let mut ticks = vec![0.0, 2f64.log10()];
        for nines in 1..=(MAX_NINES as u32) {
            ticks.push(f64::from(nines));
        }
        if self.max <= 2.0 {
            // Few samples: the body is all there is, so label 80% and 95% too.
            ticks.push(5f64.log10());
            ticks.push(20f64.log10());
        }
        ticks.sort_by(f64::total_cmp);
        ticks.into_iter().filter(|t| *t <= self.max + 1e-9).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 1.0 / x);
    if p <= 0.0 {
        return "0%".to_string();
    }
    let mut text = format!("{p:.4}");
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    format!("{text}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(1000.0), "99.9%");
        assert_eq!(percentile_label(2.0), "50%");
    }

    #[test]
    fn curve_reaches_the_maximum() {
        let mut h = crate::report::new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 1000).unwrap();
        }
        let curve = curve_from_histogram(&h);
        let (x, y) = curve[curve.len() - 1];
        assert!((x - 3.0).abs() < 1e-6, "{x}");
        assert!(y > 990.0, "{y}");
    }
}
