//! `concurrency-<mode>.svg`: sandboxes alive over time, from the mode's 100 ms timeline.

use plotters::prelude::*;

use super::{axis_max, chart_error, draw_svg, tick, BLUE, FONT, GREY};
use crate::report::export::{ExportError, Rendered};
use crate::report::ModeReport;

pub fn render(mode: &str, report: &ModeReport) -> Result<Option<Rendered>, ExportError> {
    if report.timeline.is_empty() {
        return Ok(None);
    }
    let name = format!("concurrency-{mode}.svg");
    // A step line: the count holds until the next sample.
    let mut points = Vec::with_capacity(report.timeline.len() * 2);
    for (i, p) in report.timeline.iter().enumerate() {
        let t = p.t_ms as f64 / 1000.0;
        if i > 0 {
            points.push((t, report.timeline[i - 1].alive as f64));
        }
        points.push((t, p.alive as f64));
    }
    let t_max = points.iter().map(|(t, _)| *t).fold(0.0, f64::max).max(0.1);
    let peak = report.timeline.iter().map(|p| p.alive).max().unwrap_or(0);
    let y_max = axis_max(peak.max(report.peak_concurrency) as f64);
    draw_svg(&name, |root| {
        let err = |e| chart_error(&name, e);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Lifecycle {mode}: sandboxes alive (peak {}, mean {:.1})",
                    report.peak_concurrency, report.mean_concurrency
                ),
                (FONT, 22).into_font().color(&GREY),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..t_max, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time since the first request (s)")
            .y_desc("sandboxes alive")
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)))
            .map_err(err)?;
        Ok(())
    })
    .map(Some)
}
