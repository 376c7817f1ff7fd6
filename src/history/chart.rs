//! The trend charts: `trend-tti.svg` (p50 and p95 of time to interactive per mode, per commit),
//! `trend-restore.svg` (restore and checkpoint latency) and `trend-success.svg` (success rate per
//! mode), with every change point marked where the level moved. Drawn like the run's own charts
//! (plotters' SVG backend, presentation attributes only, see [`crate::report::export::svg`]), so they
//! survive GitHub's image proxy too.

use plotters::prelude::*;

use super::trend::{Trend, TrendSeries};
use crate::report::export::svg::{
    axis_max, category_axis, category_label, chart_error, draw_svg, tick, BLUE, FONT, GREEN, GREY, ORANGE, PURPLE, RED,
};
use crate::report::export::{ExportError, Rendered};

/// One chart: file, caption, y axis, and its series (key, colour).
struct TrendChart {
    name: &'static str,
    caption: &'static str,
    y_desc: &'static str,
    /// A fixed top of the y axis (success rates), else sized to the data.
    y_top: Option<f64>,
    series: Vec<(String, RGBColor)>,
}

fn charts() -> Vec<TrendChart> {
    let modes = [("sequential", BLUE), ("staggered", ORANGE), ("burst", GREEN)];
    vec![
        TrendChart {
            name: "trend-tti.svg",
            caption: "Time to interactive per commit: p50 (thick), p95 (thin)",
            y_desc: "TTI (ms)",
            y_top: None,
            series: modes
                .iter()
                .flat_map(|(m, c)| ["p50", "p95"].map(|s| (format!("lifecycle.{m}.tti_ms.{s}"), *c)))
                .collect(),
        },
        TrendChart {
            name: "trend-restore.svg",
            caption: "Checkpoint latency per commit: p50 (thick), p95 (thin)",
            y_desc: "latency (ms)",
            y_top: None,
            series: [("restore_ms", BLUE), ("checkpoint_ms", PURPLE)]
                .iter()
                .flat_map(|(k, c)| ["p50", "p95"].map(|s| (format!("checkpoint.all.{k}.{s}"), *c)))
                .collect(),
        },
        TrendChart {
            name: "trend-success.svg",
            caption: "Success rate per commit",
            y_desc: "success (%)",
            y_top: Some(110.0),
            series: modes
                .iter()
                .map(|(m, c)| (format!("lifecycle.{m}.success_rate"), *c))
                .collect(),
        },
    ]
}

/// Every trend chart the history has data for.
pub fn render_charts(trend: &Trend) -> Result<Vec<Rendered>, ExportError> {
    let mut out = Vec::new();
    for chart in charts() {
        let series: Vec<(&TrendSeries, RGBColor)> = chart
            .series
            .iter()
            .filter_map(|(key, color)| trend.series(key).map(|s| (s, *color)))
            .collect();
        if series.is_empty() || trend.runs.is_empty() {
            continue;
        }
        out.push(draw(trend, &chart, &series)?);
    }
    Ok(out)
}

// Long: one chart's frame, series, change-point marks and legend share the same plotters context.
fn draw(trend: &Trend, chart: &TrendChart, series: &[(&TrendSeries, RGBColor)]) -> Result<Rendered, ExportError> {
    let name = chart.name;
    let n = trend.runs.len();
    let labels: Vec<String> = trend.runs.iter().map(|r| r.label.clone()).collect();
    let every = n.div_ceil(15).max(1);
    let max = series
        .iter()
        .flat_map(|(s, _)| s.values.iter().flatten())
        .copied()
        .fold(0.0, f64::max);
    let y_max = chart.y_top.unwrap_or_else(|| axis_max(max));
    let marks: Vec<usize> = trend
        .change_points
        .iter()
        .filter(|c| c.moves.iter().any(|m| series.iter().any(|(s, _)| s.key == m.series)))
        .map(|c| c.index)
        .collect();
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let mut ctx = ChartBuilder::on(root)
            .caption(chart.caption, (FONT, 20).into_font().color(&GREY))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(category_axis(n), 0f64..y_max)
            .map_err(err)?;
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_desc("commit")
            .y_desc(chart.y_desc)
            .x_label_formatter(&|x| {
                let i = (x - 0.5).round() as usize;
                if i.is_multiple_of(every) {
                    category_label(&labels, *x)
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 12))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        for (s, color) in series {
            let thick = s.key.ends_with(".p50") || s.key.ends_with("success_rate");
            let width = if thick { 2 } else { 1 };
            let points: Vec<(f64, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64 + 0.5, v)))
                .collect();
            let color = *color;
            ctx.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(width)))
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width)));
            ctx.draw_series(points.iter().map(|p| {
                let style = if thick { color.filled() } else { color.stroke_width(1) };
                Circle::new(*p, 3, style)
            }))
            .map_err(err)?;
        }
        for (k, index) in marks.iter().enumerate() {
            let x = *index as f64;
            let line = ctx
                .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], RED.stroke_width(2)))
                .map_err(err)?;
            if k == 0 {
                line.label("change point")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
            }
        }
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE)
            .border_style(GREY)
            .label_font((FONT, 12))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}
