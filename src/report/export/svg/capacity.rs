//! `capacity.svg`: the rate/latency curve of a `--ramp`: offered and achieved sandboxes per second
//! per step, p95 time to interactive on a second axis, and the knee marked.

use plotters::prelude::*;

use super::{axis_max, chart_error, draw_svg, tick, BLUE, FONT, GREEN, GREY, ORANGE, RED};
use crate::report::export::{ExportError, Rendered};
use crate::report::CapacityReport;

pub const NAME: &str = "capacity.svg";

// Long: one sequence of plotters calls on one dual-axis chart (axes, three curves, the knee, the
// failed steps, the legend); split, each part would have to name plotters' dual-coordinate type.
pub fn render(c: &CapacityReport) -> Result<Option<Rendered>, ExportError> {
    if c.steps.is_empty() {
        return Ok(None);
    }
    let Curves {
        offered,
        achieved,
        p95,
        failed,
    } = curves(c);
    let x_max = c.steps.iter().map(|s| s.offered_per_s).fold(0.0, f64::max) * 1.05;
    let y_max = axis_max(x_max);
    let y2_max = axis_max(p95.iter().map(|p| p.1).fold(0.0, f64::max));
    draw_svg(NAME, |root| {
        let err = |e| chart_error(NAME, e);
        let mut chart = ChartBuilder::on(root)
            .caption(c.headline(), (FONT, 18).into_font().color(&GREY))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(err)?
            .set_secondary_coord(0f64..x_max, 0f64..y2_max);
        chart
            .configure_mesh()
            .x_desc("offered sandboxes/s")
            .y_desc("sandboxes/s")
            .label_style((FONT, 13))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        chart
            .configure_secondary_axes()
            .y_desc("p95 time to interactive (ms)")
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (label, points, color) in [("offered", offered, GREY), ("achieved", achieved, BLUE)] {
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                .map_err(err)?;
        }
        chart
            .draw_secondary_series(LineSeries::new(p95, ORANGE.stroke_width(2)))
            .map_err(err)?
            .label("p95 TTI")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ORANGE.stroke_width(2)));
        if let Some(k) = &c.knee {
            let x = k.offered_per_s;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, y_max)],
                    GREEN.stroke_width(2),
                )))
                .map_err(err)?
                .label("knee")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
        }
        chart
            .draw_series(failed.iter().map(|p| Cross::new(*p, 6, RED.stroke_width(2))))
            .map_err(err)?;
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

/// The chart's points, each `(offered rate, value)`.
struct Curves {
    offered: Vec<(f64, f64)>,
    achieved: Vec<(f64, f64)>,
    p95: Vec<(f64, f64)>,
    /// Steps that fell behind or broke the SLO, marked with a cross on the achieved curve.
    failed: Vec<(f64, f64)>,
}

fn curves(c: &CapacityReport) -> Curves {
    let points = |f: fn(&crate::report::StepReport) -> Option<f64>| -> Vec<(f64, f64)> {
        c.steps
            .iter()
            .filter_map(|s| f(s).map(|v| (s.offered_per_s, v)))
            .collect()
    };
    Curves {
        offered: points(|s| Some(s.offered_per_s)),
        achieved: points(|s| Some(s.achieved_per_s)),
        p95: points(|s| s.tti_p95_ms),
        failed: points(|s| (!s.passed()).then_some(s.achieved_per_s)),
    }
}
