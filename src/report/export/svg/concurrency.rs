//! `concurrency-<mode>.svg`: sandboxes alive over time, drawn from the mode's exact step timeline
//! (a step at every create and destroy), so a burst of 8 ms is drawn as what it was. The stated mean
//! is drawn as a line too: it is the area under the steps divided by their span, so the two can be
//! checked against each other by eye. Where the report merged neighbouring steps (very long runs),
//! the line is their mean and a light band shows their range.

use plotters::prelude::*;

use super::frame::{header, Key, Mark, TEXT};
use super::{chart_error, draw_svg, tick, BLUE, FONT, ORANGE};
use crate::report::export::{ExportError, Rendered};
use crate::report::timeline::{self, span_ms};
use crate::report::{ModeReport, TimelinePoint};

pub fn render(mode: &str, report: &ModeReport) -> Result<Option<Rendered>, ExportError> {
    if report.timeline.len() < 2 {
        return Ok(None);
    }
    let name = format!("concurrency-{mode}.svg");
    let why = if mode == "sequential" {
        "one created at a time, but each is held alive until the whole mode settles, then probed and destroyed"
    } else {
        "a step at every create and destroy; each sandbox is held alive until the whole mode settles"
    };
    let title = format!("Lifecycle {mode}: sandboxes alive");
    draw_timeline(
        &name,
        &title,
        why,
        "sandboxes alive",
        report.mean_concurrency,
        &report.timeline,
    )
}

/// A step line (and its mean) over time, for any in-flight timeline.
// Long: the units, the frame, the band, the steps and the mean line are one drawing.
pub(super) fn draw_timeline(
    name: &str,
    title: &str,
    why: &str,
    y_desc: &str,
    stated_mean: f64,
    points: &[TimelinePoint],
) -> Result<Option<Rendered>, ExportError> {
    let origin = points.first().map_or(0.0, |p| p.t_ms);
    let span = span_ms(points);
    let (unit, scale) = if span < 5000.0 { ("ms", 1.0) } else { ("s", 1000.0) };
    let x = |t: f64| (t - origin) / scale;
    let peak = timeline::peak(points);
    let merged = points.iter().any(|p| p.low.is_some());
    let steps = step_line(points, &x);
    let x_max = (span / scale).max(1e-3) * 1.04;
    let y_max = (peak.max(1) as f64 * 1.08).max(peak as f64 + 0.5);
    let subtitle = format!(
        "peak {peak} · mean {stated_mean:.2} over {} {unit} · {why}",
        tick(&(span / scale))
    );
    let mut keys = vec![Key::new(y_desc, BLUE, Mark::Line)];
    if merged {
        keys.push(Key::new("range within merged steps", BLUE, Mark::Band));
    }
    keys.push(Key::new(format!("mean {stated_mean:.2}"), ORANGE, Mark::Line));
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let plot = header(root, name, title, &subtitle, &keys, false)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(format!("time since the mode started ({unit})"))
            .y_desc(y_desc)
            .label_style((FONT, TEXT))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, TEXT))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        if merged {
            let bands = points.windows(2).filter(|w| w[0].low.is_some()).map(|w| {
                Rectangle::new(
                    [(x(w[0].t_ms), w[0].lowest() as f64), (x(w[1].t_ms), w[0].alive as f64)],
                    BLUE.mix(0.2).filled(),
                )
            });
            chart.draw_series(bands).map_err(err)?;
        }
        let mut fill = steps.clone();
        fill.push((steps.last().map_or(0.0, |p| p.0), 0.0));
        fill.push((steps.first().map_or(0.0, |p| p.0), 0.0));
        chart
            .draw_series(std::iter::once(Polygon::new(fill, BLUE.mix(0.12).filled())))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(steps.iter().copied(), BLUE.stroke_width(2)))
            .map_err(err)?;
        let (x0, x1) = (x(origin), x(origin + span));
        chart
            .draw_series(LineSeries::new(
                [(x0, stated_mean), (x1, stated_mean)],
                ORANGE.stroke_width(2),
            ))
            .map_err(err)?;
        Ok(())
    })
    .map(Some)
}

/// The step function as a polyline: each count holds until the next change (a merged step at its
/// mean), so the area under the line is the area the mean is computed from.
fn step_line(points: &[TimelinePoint], x: &dyn Fn(f64) -> f64) -> Vec<(f64, f64)> {
    let mut line = Vec::with_capacity(points.len() * 2);
    for (i, p) in points.iter().enumerate() {
        let t = x(p.t_ms);
        if let Some(prev) = i.checked_sub(1).map(|j| &points[j]) {
            line.push((t, prev.average()));
        }
        line.push((t, p.average()));
    }
    line
}
