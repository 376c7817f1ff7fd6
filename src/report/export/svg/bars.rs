//! Bar panels for small multiples: one metric per panel and per y axis (counts in one, latency in
//! another), bars centred in their own slot, values written on the bars when there is room. Two
//! panels stacked share the categories, so a reader compares a slot across panels by its column,
//! never a dot against a bar on a second axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{MUTED, TEXT};
use super::{axis_max, bar, category_axis, category_label, chart_error, tick, ExportError, FONT, GREY};

/// One series of bars: a value per slot, in its colour.
pub struct Bars {
    pub values: Vec<f64>,
    pub color: RGBColor,
}

/// How a panel places its series in a slot.
#[derive(Clone, Copy, PartialEq)]
pub enum Layout {
    /// On top of each other (parts of one whole: verified, corrupted, infra).
    Stacked,
    /// Next to each other, each with its value written above it when there is room.
    SideBySide,
}

/// Most bars a panel writes values on; past it only each series' highest is written.
const LABELLED_BARS: usize = 24;

/// One panel: `title` over its plot, `y_desc` on its own y axis, `value` writing a bar's value.
pub struct Panel<'a> {
    pub title: &'a str,
    pub labels: &'a [String],
    pub y_desc: &'a str,
    pub series: &'a [Bars],
    pub layout: Layout,
    pub value: &'a dyn Fn(f64) -> String,
}

/// Draws `p` on `area`.
// Long: the axis, the bars and their values are one drawing.
pub fn panel(area: &DrawingArea<SVGBackend<'_>, Shift>, name: &str, p: &Panel<'_>) -> Result<(), ExportError> {
    let Panel {
        title,
        labels,
        y_desc,
        series,
        layout,
        value,
    } = *p;
    let err = |e| chart_error(name, e);
    let top = match layout {
        Layout::Stacked => (0..labels.len())
            .map(|i| {
                series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max),
        Layout::SideBySide => series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max),
    };
    // Room for the value written above the highest bar.
    let y_max = axis_max(top) * if layout == Layout::SideBySide { 1.06 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, TEXT + 1).into_font().color(&MUTED))
        .margin(8)
        .margin_right(20)
        .x_label_area_size(30)
        .y_label_area_size(64)
        .build_cartesian_2d(category_axis(labels.len()), 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|x| category_label(labels, *x))
        .y_desc(y_desc)
        .label_style((FONT, TEXT))
        .y_label_formatter(&|v| {
            // Stacked bars are counts: no tick at half a restore.
            if layout == Layout::Stacked && v.fract().abs() > 1e-9 {
                String::new()
            } else {
                tick(v)
            }
        })
        .axis_desc_style((FONT, TEXT))
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    let of = series.len();
    let every = labels.len() * of <= LABELLED_BARS;
    for (k, s) in series.iter().enumerate() {
        let bars = s.values.iter().enumerate().map(|(slot, v)| match layout {
            Layout::Stacked => {
                let y0: f64 = series[..k]
                    .iter()
                    .map(|b| b.values.get(slot).copied().unwrap_or(0.0))
                    .sum();
                bar(slot, 0, 1, y0, y0 + v, s.color)
            }
            Layout::SideBySide => bar(slot, k, of, 0.0, *v, s.color),
        });
        chart.draw_series(bars).map_err(err)?;
        if layout == Layout::Stacked {
            continue;
        }
        let highest = s.values.iter().copied().fold(f64::MIN, f64::max);
        let width = 0.7 / of.max(1) as f64;
        let written = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| every || **v == highest)
            .map(|(slot, v)| {
                let x = slot as f64 + 0.15 + (k as f64 + 0.46) * width;
                let style = (FONT, TEXT)
                    .into_font()
                    .color(&GREY)
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                Text::new(value(*v), (x, *v), style)
            });
        chart.draw_series(written).map_err(err)?;
    }
    Ok(())
}
