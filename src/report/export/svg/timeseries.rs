//! `timeseries.svg`: a timed run over time, one point per window: p50/p95/p99 of its headline
//! latency (time to interactive when the lifecycle ran) and the success rate on a second axis, so
//! degradation and failure bursts show where they happened. The spans in which a chaos scenario
//! had its fault armed are shaded behind the lines, one span per scenario run, so a spike reads
//! against the fault that caused it.

use plotters::prelude::*;

use super::{axis_max, chart_error, draw_svg, tick, BLUE, FONT, GREEN, GREY, ORANGE, RED};
use crate::report::export::{ExportError, Rendered};
use crate::report::{FaultWindow, TimeSeries};

pub const NAME: &str = "timeseries.svg";
/// The shade of a fault span (drawn at [`FAULT_OPACITY`]), and of its key.
pub const FAULT: RGBColor = RGBColor(0xb2, 0x18, 0x2b);
const FAULT_OPACITY: f64 = 0.15;

/// Each fault window as (start, end) in seconds since the series' start; spans that cannot be
/// placed (an unreadable instant) are left out rather than drawn in the wrong place.
pub fn fault_spans(ts: &TimeSeries, faults: &[FaultWindow]) -> Vec<(f64, f64)> {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let Some(origin) = parse(&ts.started_at) else {
        return Vec::new();
    };
    faults
        .iter()
        .filter_map(|f| {
            let at = parse(&f.started_at)?;
            let start = (at - origin).num_microseconds()? as f64 / 1e6;
            Some((start.max(0.0), (start + f.duration_s).max(0.0)))
        })
        .collect()
}

/// The latency key the chart follows: time to interactive if any, else the first headline one.
pub fn headline_key(ts: &TimeSeries) -> Option<String> {
    let keys: std::collections::BTreeSet<&String> = ts.windows.iter().flat_map(|w| w.latency.keys()).collect();
    keys.iter()
        .find(|k| k.ends_with("tti_ms"))
        .or_else(|| keys.iter().next())
        .map(|k| (*k).clone())
}

// Long: one chart, drawn top to bottom (axes, fault spans, three latency lines, success, key).
pub fn render(ts: &TimeSeries, faults: &[FaultWindow]) -> Result<Option<Rendered>, ExportError> {
    let Some(key) = headline_key(ts) else {
        return Ok(None);
    };
    let half = ts.window_s / 2.0;
    let series = |pick: fn(&crate::report::WindowLatency) -> f64| -> Vec<(f64, f64)> {
        ts.windows
            .iter()
            .filter_map(|w| w.latency.get(&key).map(|l| (w.t_s + half, pick(l))))
            .collect()
    };
    let lines = [
        ("p50", series(|l| l.p50), BLUE),
        ("p95", series(|l| l.p95), ORANGE),
        ("p99", series(|l| l.p99), RED),
    ];
    let success: Vec<(f64, f64)> = ts
        .windows
        .iter()
        .filter_map(|w| w.success_rate.map(|s| (w.t_s + half, s * 100.0)))
        .collect();
    let spans = fault_spans(ts, faults);
    let t_max = spans
        .iter()
        .map(|s| s.1)
        .fold((ts.windows.len() as f64 * ts.window_s).max(ts.window_s), f64::max);
    let y_max = axis_max(lines[2].1.iter().map(|p| p.1).fold(0.0, f64::max));
    draw_svg(NAME, |root| {
        let err = |e| chart_error(NAME, e);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{key} per {} s window", tick(&ts.window_s)),
                (FONT, 20).into_font().color(&GREY),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0f64..t_max, 0f64..y_max)
            .map_err(err)?
            .set_secondary_coord(0f64..t_max, 0f64..110f64);
        chart
            .configure_mesh()
            .x_desc("time since the run started (s)")
            .y_desc("latency (ms)")
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        chart
            .configure_secondary_axes()
            .y_desc("success (%)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(err)?;
        if !spans.is_empty() {
            let shade = FAULT.mix(FAULT_OPACITY).filled();
            chart
                .draw_series(
                    spans
                        .iter()
                        .map(|(a, b)| Rectangle::new([(*a, 0.0), (*b, y_max)], shade)),
                )
                .map_err(err)?
                .label("chaos fault armed")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], FAULT.stroke_width(6)));
        }
        for (label, points, color) in lines {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .draw_secondary_series(LineSeries::new(success, GREEN.stroke_width(2)))
            .map_err(err)?
            .label("success %")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE)
            .border_style(GREY)
            .label_font((FONT, 13))
            .draw()
            .map_err(err)
    })
    .map(Some)
}
