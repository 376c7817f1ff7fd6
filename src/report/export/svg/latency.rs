//! `tti-<mode>.svg`: the latency distribution of one lifecycle mode as percentile curves (create,
//! first command, TTI) on a log-scaled percentile axis, the way HdrHistogram plots show tails.

use std::collections::BTreeMap;

use plotters::prelude::*;

use super::{axis_max, chart_error, draw_svg, BLUE, FONT, GREY, ORANGE, RED};
use crate::record::{decode_histogram, LatencySummary};
use crate::report::export::{ExportError, Rendered};
use crate::report::ModeReport;

const POINTS: u32 = 120;
/// The deepest tail shown: 99.9999%.
const MAX_X: f64 = 1e6;

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
        let points = match histograms.get(&format!("lifecycle.{mode}.{key}")) {
            Some(encoded) => {
                let h = decode_histogram(encoded)
                    .map_err(|e| chart_error(&name, format!("lifecycle.{mode}.{key}: {e}")))?;
                curve_from_histogram(&h)
            }
            None => curve_from_summary(summary),
        };
        if !points.is_empty() {
            series.push((label, points, color));
        }
    }
    if series.is_empty() {
        return Ok(None);
    }
    let x_max = series
        .iter()
        .flat_map(|(_, p, _)| p.iter().map(|(x, _)| *x))
        .fold(10.0f64, f64::max);
    let y_max = axis_max(
        series
            .iter()
            .flat_map(|(_, p, _)| p.iter().map(|(_, y)| *y))
            .fold(0.0, f64::max),
    );
    draw_svg(&name, |root| {
        let err = |e| chart_error(&name, e);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Lifecycle {mode}: latency by percentile"),
                (FONT, 22).into_font().color(&GREY),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d((1f64..x_max).log_scale(), 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_label_formatter(&|x| percentile_label(*x))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        for (label, points, color) in &series {
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

/// `x = 1 / (1 - q)`: 1 is the median's left end (0%), 10 is p90, 100 is p99, and so on. The curve
/// stops where the sample count stops telling anything new.
fn curve_from_histogram(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let x_max = (10f64.powf((h.len() as f64).log10().ceil())).clamp(10.0, MAX_X);
    (0..=POINTS)
        .map(|i| {
            let x = 10f64.powf(x_max.log10() * f64::from(i) / f64::from(POINTS));
            let q = (1.0 - 1.0 / x).clamp(0.0, 1.0);
            (x, h.value_at_quantile(q) as f64 / 1000.0)
        })
        .collect()
}

/// Older or hand-made reports without histograms still get a curve through the stored percentiles.
fn curve_from_summary(s: &LatencySummary) -> Vec<(f64, f64)> {
    if s.count == 0 {
        return Vec::new();
    }
    vec![
        (1.0, s.min),
        (2.0, s.p50),
        (10.0, s.p90),
        (20.0, s.p95),
        (100.0, s.p99),
        (1000.0, s.p999),
    ]
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
        let mut h = crate::record::new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 1000).unwrap();
        }
        let curve = curve_from_histogram(&h);
        let (x, y) = curve[curve.len() - 1];
        assert!((x - 1000.0).abs() < 1e-6, "{x}");
        assert!(y > 990.0, "{y}");
    }
}
