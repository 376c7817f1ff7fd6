//! `tti-modes.svg`: p50 / p95 / p99 time to interactive of every lifecycle mode side by side.

use plotters::prelude::*;

use super::{
    axis_max, bar, category_axis, category_label, chart_error, draw_svg, tick, Series, BLUE, FONT, GREY, ORANGE, RED,
};
use crate::report::export::{ExportError, Rendered};
use crate::report::LifecycleReport;

pub fn render(lc: &LifecycleReport) -> Result<Option<Rendered>, ExportError> {
    let name = "tti-modes.svg";
    let modes = lc.modes();
    if modes.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = modes.iter().map(|(n, _)| (*n).to_string()).collect();
    let y_max = axis_max(modes.iter().map(|(_, m)| m.tti_ms.p99).fold(0.0, f64::max));
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let mut chart = ChartBuilder::on(root)
            .caption("Time to interactive per mode", (FONT, 22).into_font().color(&GREY))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(category_axis(labels.len()), 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("mode")
            .y_desc("TTI (ms)")
            .x_label_formatter(&|x| category_label(&labels, *x))
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        let series: [Series<crate::report::LatencySummary>; 3] = [
            ("p50", |s| s.p50, BLUE),
            ("p95", |s| s.p95, ORANGE),
            ("p99", |s| s.p99, RED),
        ];
        for (k, (label, value, color)) in series.into_iter().enumerate() {
            chart
                .draw_series(
                    modes
                        .iter()
                        .enumerate()
                        .map(|(slot, (_, m))| bar(slot, k, 3, 0.0, value(&m.tti_ms), color)),
                )
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
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
