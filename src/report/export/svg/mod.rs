//! Charts as SVG, one file per chart and one module per chart type (as in criterion.rs).
//!
//! Every chart is 800×450 (two stacked panels: 800×600), one metric per y axis, drawn with plotters' SVG backend and a generic `sans-serif` family, and
//! passed through [`sanitize`] so it survives GitHub's image proxy, which blanks SVGs with inline
//! `style` attributes or external fonts. A chart whose workload did not run is not written. Chart code
//! returns errors and never panics: a broken chart must not cost the other reports.

mod bars;
pub mod capacity;
mod checkpoint;
mod concurrency;
mod frame;
mod latency;
mod restores;
mod storage;
pub mod timeseries;

use std::fmt::Display;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ExportContext, ExportError, Exporter, Rendered};

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 450;
/// A generic family: the reader's own sans-serif font, nothing to download.
pub const FONT: &str = "sans-serif";

/// Colour-blind-friendly (Tableau 10) series colours.
pub const BLUE: RGBColor = RGBColor(0x4c, 0x78, 0xa8);
pub const ORANGE: RGBColor = RGBColor(0xf5, 0x85, 0x18);
pub const RED: RGBColor = RGBColor(0xe4, 0x57, 0x56);
pub const GREEN: RGBColor = RGBColor(0x54, 0xa2, 0x4b);
pub const PURPLE: RGBColor = RGBColor(0xb2, 0x79, 0xa2);
pub const GREY: RGBColor = RGBColor(0x33, 0x33, 0x33);

pub struct SvgExporter;

impl Exporter for SvgExporter {
    fn name(&self) -> &'static str {
        "svg"
    }

    fn render(&self, ctx: &ExportContext<'_>, _earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        render_charts(ctx.result)
    }
}

/// Every chart the run has data for, in a fixed order.
pub fn render_charts(result: &crate::report::RunResult) -> Result<Vec<Rendered>, ExportError> {
    let mut out = Vec::new();
    if let Some(lc) = &result.lifecycle {
        for (mode, report) in lc.modes() {
            if let Some(chart) = latency::render(mode, report, &result.histograms)? {
                out.push(chart);
            }
        }
        for (mode, report) in lc.modes() {
            if let Some(chart) = concurrency::render(mode, report)? {
                out.push(chart);
            }
        }
    }
    if let Some(chart) = result
        .lifecycle
        .as_ref()
        .and_then(|lc| lc.capacity.as_ref())
        .map(capacity::render)
        .transpose()?
        .flatten()
    {
        out.push(chart);
    }
    let faults = result.chaos.as_ref().map_or(&[][..], |c| &c.fault_windows[..]);
    if let Some(chart) = result
        .timeseries
        .as_ref()
        .map(|ts| timeseries::render(ts, faults))
        .transpose()?
        .flatten()
    {
        out.push(chart);
    }
    if let Some(cp) = &result.checkpoint {
        if let Some(chart) = checkpoint::render(cp, &result.histograms)? {
            out.push(chart);
        }
        if let Some(chart) = restores::render(cp)? {
            out.push(chart);
        }
    }
    if let Some(st) = &result.storage {
        if let Some(chart) = storage::render(st)? {
            out.push(chart);
        }
    }
    if let Some(os) = &result.object_storage {
        let caption = "Object storage per object size";
        if let Some(chart) = storage::render_sizes("object-storage.svg", caption, &os.sizes)? {
            out.push(chart);
        }
    }
    Ok(out)
}

pub(crate) fn chart_error(chart: &str, e: impl Display) -> ExportError {
    ExportError::Chart {
        chart: chart.to_string(),
        message: e.to_string(),
    }
}

/// Draws one chart on a white 800×450 canvas and returns the sanitized SVG document.
pub(crate) fn draw_svg(
    name: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ExportError>,
) -> Result<Rendered, ExportError> {
    draw_svg_sized(name, HEIGHT, draw)
}

/// [`draw_svg`] on a canvas `height` pixels tall (small multiples stack panels).
pub(crate) fn draw_svg_sized(
    name: &str,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ExportError>,
) -> Result<Rendered, ExportError> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(name, e))?;
        draw(&root)?;
        root.present().map_err(|e| chart_error(name, e))?;
    }
    Ok(Rendered {
        name: name.to_string(),
        content: sanitize(&buf),
    })
}

/// Removes any inline `style` attribute (GitHub's image proxy blanks SVGs that use them); plotters
/// draws with presentation attributes, so nothing visible is lost.
pub fn sanitize(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(start) = rest.find(" style=\"") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 8..];
        match after.find('"') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Category axis: `n` slots of width 1, with ticks (and labels) at slot centres only.
#[derive(Clone)]
pub(crate) struct Slots {
    n: usize,
    inner: plotters::coord::types::RangedCoordf64,
}

pub(crate) fn category_axis(n: usize) -> Slots {
    Slots {
        n,
        inner: (0f64..n.max(1) as f64).into(),
    }
}

impl Ranged for Slots {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.n).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The label of the slot whose centre is `x`.
pub(crate) fn category_label(labels: &[String], x: f64) -> String {
    let i = (x - 0.5).round();
    if i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// A bar inside slot `slot`, the `k`-th of `of` side by side.
pub(crate) fn bar(slot: usize, k: usize, of: usize, y0: f64, y1: f64, color: RGBColor) -> Rectangle<(f64, f64)> {
    let group = 0.7;
    let width = group / of.max(1) as f64;
    let x0 = slot as f64 + (1.0 - group) / 2.0 + k as f64 * width;
    Rectangle::new([(x0, y0), (x0 + width * 0.92, y1)], color.filled())
}

/// Axis numbers without false precision: `250`, `12`, `0.5`.
pub(crate) fn tick(v: &f64) -> String {
    if v.abs() >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').to_string()
    }
}

/// An axis upper bound just above the data: keys sit above the plot, so no room is kept for them.
pub(crate) fn axis_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    max * 1.08
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_style_attributes() {
        let svg = r#"<svg><text style="font-family:Arial" x="1">a</text><rect style="fill:red"/></svg>"#;
        let clean = sanitize(svg);
        assert!(!clean.contains("style="), "{clean}");
        assert!(clean.contains(r#"<text x="1">a</text>"#), "{clean}");
    }
}
