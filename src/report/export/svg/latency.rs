//! `tti-<mode>.svg`: the latency distribution of one lifecycle mode as percentile curves (create,
//! first command, TTI) on a log-scaled percentile axis, the way HdrHistogram plots show tails. The
//! drawing ([`draw_percentiles`]) and the curves ([`curve_of`]) serve other workloads' percentile
//! charts too (`checkpoint-latency.svg`).
//!
//! Every curve ends at its slowest sample, drawn as a labelled end point: with few samples the
//! maximum is the one a reader looks for. p50, p95 and p99 are dots on the curve with their values
//! in the key (the table's numbers), the subtitle says how many samples, and the y axis stops just
//! above the maximum.

use std::collections::BTreeMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{header, Key, Mark, TEXT};
use super::{chart_error, draw_svg, tick, BLUE, FONT, ORANGE, RED};
use crate::report::export::markdown::format::fmt_ms;
use crate::report::export::{ExportError, Rendered};
use crate::report::ModeReport;
use crate::report::{decode_histogram, LatencySummary};

const POINTS: u32 = 120;
/// The deepest tail shown: six nines, 99.9999%.
const MAX_NINES: f64 = 6.0;
/// Room right of the curves' end for the maximum's label, as a share of the percentile axis.
const END_ROOM: f64 = 0.2;

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
        if let Some(curve) = curve_of(
            &name,
            label,
            &format!("lifecycle.{mode}.{key}"),
            summary,
            histograms,
            color,
        )? {
            series.push(curve);
        }
    }
    let what = "lower is better; TTI = create + first command, from the scheduled start";
    draw_percentiles(
        &name,
        &format!("Lifecycle {mode}: latency by percentile"),
        what,
        &series,
    )
}

/// A labelled curve of (nines, milliseconds) points in its colour, with the numbers its key and
/// dots show.
pub(super) struct Curve {
    pub label: &'static str,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub summary: LatencySummary,
}

/// Where p50, p95 and p99 sit on the percentile axis.
fn marks(s: &LatencySummary) -> [(f64, f64); 3] {
    [(2f64.log10(), s.p50), (20f64.log10(), s.p95), (2.0, s.p99)]
}

/// Percentile curves on one chart; no chart when there is no curve.
// Long: the frame, the curves, their quantile dots and the labelled end points are one drawing.
pub(super) fn draw_percentiles(
    name: &str,
    title: &str,
    what: &str,
    series: &[Curve],
) -> Result<Option<Rendered>, ExportError> {
    if series.is_empty() {
        return Ok(None);
    }
    let x_end = series
        .iter()
        .flat_map(|c| c.points.iter().map(|(x, _)| *x))
        .fold(2.0f64, f64::max);
    let y_top = series.iter().map(|c| c.summary.max).fold(0.0, f64::max);
    let y_max = axis_max(y_top);
    let counts: Vec<u64> = series.iter().map(|c| c.summary.count).collect();
    let n = if counts.iter().all(|c| *c == counts[0]) {
        format!("n = {}", counts[0])
    } else {
        let parts: Vec<String> = series
            .iter()
            .map(|c| format!("{} {}", c.label, c.summary.count))
            .collect();
        format!("n = {}", parts.join(", "))
    };
    let keys: Vec<Key> = series
        .iter()
        .map(|c| {
            let s = &c.summary;
            let label = format!(
                "{}: p50 {} · p95 {} · p99 {} · max {} ms",
                c.label,
                fmt_ms(s.p50),
                fmt_ms(s.p95),
                fmt_ms(s.p99),
                fmt_ms(s.max)
            );
            Key::new(label, c.color, Mark::Line)
        })
        .collect();
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let plot = header(root, name, title, &format!("{n} · {what}"), &keys, true)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(Nines::new(x_end), 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_label_formatter(&|n| percentile_label(10f64.powf(*n)))
            .label_style((FONT, TEXT))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, TEXT))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        let mut label_ys: Vec<i32> = Vec::new();
        let mut by_max: Vec<&Curve> = series.iter().collect();
        by_max.sort_by(|a, b| b.summary.max.total_cmp(&a.summary.max));
        for c in series {
            let color = c.color;
            chart
                .draw_series(LineSeries::new(c.points.iter().copied(), color.stroke_width(2)))
                .map_err(err)?;
            let dots = marks(&c.summary).into_iter().filter(|(x, _)| *x <= x_end + 1e-9);
            chart
                .draw_series(dots.map(|p| Circle::new(p, 4, color.filled())))
                .map_err(err)?;
        }
        for c in by_max {
            let end = c.points.last().map_or((x_end, c.summary.max), |p| *p);
            let (_, py) = chart.backend_coord(&end);
            // Nudge a label down when it would sit on the one above.
            let mut dy = 0;
            while label_ys.iter().any(|y| (py + dy - y).abs() < 16) {
                dy += 16;
            }
            label_ys.push(py + dy);
            let style = (FONT, TEXT)
                .into_font()
                .color(&c.color)
                .pos(Pos::new(HPos::Left, VPos::Center));
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at(end)
                        + Circle::new((0, 0), 5, c.color.filled())
                        + Text::new(format!("max {}", fmt_ms(c.summary.max)), (9, dy), style),
                ))
                .map_err(err)?;
        }
        Ok(())
    })
    .map(Some)
}

/// The top of the latency axis: just above the slowest sample (never more than a tenth of empty
/// room), since the key sits above the plot.
fn axis_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    max * 1.08
}

/// The curve of histogram `key`, else (older or hand-made reports) of the summary's percentiles;
/// none when nothing was measured.
pub(super) fn curve_of(
    chart: &str,
    label: &'static str,
    key: &str,
    summary: &LatencySummary,
    histograms: &BTreeMap<String, String>,
    color: RGBColor,
) -> Result<Option<Curve>, ExportError> {
    let (points, summary) = match histograms.get(key) {
        Some(encoded) => {
            let h = decode_histogram(encoded).map_err(|e| chart_error(chart, format!("{key}: {e}")))?;
            // The histogram's own numbers, so the key, the dots and the curve agree.
            (curve_from_histogram(&h), LatencySummary::from_histogram(&h))
        }
        None => (curve_from_summary(summary), summary.clone()),
    };
    Ok((!points.is_empty()).then_some(Curve {
        label,
        points,
        color,
        summary,
    }))
}

/// x is the number of nines, `-log10(1 - q)`: 0 is 0%, 1 is p90, 2 is p99, and so on, so the tail gets
/// as much room as the body. The axis goes at least to p99 and as deep as the sample count tells
/// something new; the last point is the maximum, so the slowest sample is always drawn.
fn curve_from_histogram(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let max_nines = (h.len() as f64).log10().ceil().clamp(2.0, MAX_NINES);
    (0..=POINTS)
        .map(|i| {
            let n = max_nines * f64::from(i) / f64::from(POINTS);
            let q = if i == POINTS {
                1.0
            } else {
                (1.0 - 10f64.powf(-n)).clamp(0.0, 1.0)
            };
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
        (1000.0, s.max),
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
    /// Ticks up to `max` nines; the axis goes on a little for the end labels.
    fn new(max: f64) -> Self {
        let max = max.max(1.0);
        Nines {
            max,
            inner: (0f64..max * (1.0 + END_ROOM)).into(),
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
            // Few samples: the body is all there is, so label 95% too.
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
        assert!(y > 999.0, "{y}");
        let mut few = crate::report::new_histogram();
        for v in 1..=10u64 {
            few.record(v * 100).unwrap();
        }
        let curve = curve_from_histogram(&few);
        assert_eq!(curve.last().map(|p| p.0), Some(2.0), "p99 is on the axis");
        assert!(
            (curve.last().map_or(0.0, |p| p.1) - 1.0).abs() < 0.01,
            "ends at the max"
        );
    }
}
