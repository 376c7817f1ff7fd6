//! What every chart has around its plot: a title, a subtitle that says what is measured and how
//! many samples, and a key whose marks are the marks drawn (a line for a line, a bar for a bar, a
//! band for a band). The key sits above the plot, never over it, so no headroom is left for it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{chart_error, ExportError, FONT, GREY, WIDTH};

/// Text that is not the title: axis labels, key, subtitle. plotters writes sizes at 0.8 of what it
/// is given, so 16 is 12.9 px in the SVG: a chart at its own width reads at 12 px or more.
pub const TEXT: u32 = 16;
pub const MUTED: RGBColor = RGBColor(0x57, 0x60, 0x6a);

/// How a series is drawn, so its key shows the same mark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    Line,
    Bar,
    /// A light band (a range), drawn as a light rectangle.
    Band,
}

/// One entry of a chart's key.
pub struct Key {
    pub label: String,
    pub color: RGBColor,
    pub mark: Mark,
}

impl Key {
    pub fn new(label: impl Into<String>, color: RGBColor, mark: Mark) -> Self {
        Key {
            label: label.into(),
            color,
            mark,
        }
    }
}

/// Draws the title, the subtitle and the key (`one_per_row`: each entry on its own line, for long
/// ones) and returns the area left for the plot.
pub fn header<'a>(
    root: &DrawingArea<SVGBackend<'a>, Shift>,
    name: &str,
    title: &str,
    subtitle: &str,
    keys: &[Key],
    one_per_row: bool,
) -> Result<DrawingArea<SVGBackend<'a>, Shift>, ExportError> {
    let err = |e| chart_error(name, e);
    let left = 16;
    root.draw(&Text::new(
        title.to_string(),
        (left, 12),
        (FONT, 24).into_font().color(&GREY),
    ))
    .map_err(err)?;
    let mut y = 42;
    if !subtitle.is_empty() {
        root.draw(&Text::new(
            subtitle.to_string(),
            (left, y),
            (FONT, TEXT).into_font().color(&MUTED),
        ))
        .map_err(err)?;
        y += 22;
    }
    let mut x = left;
    let row = 21;
    let mut rows = 0;
    for (i, key) in keys.iter().enumerate() {
        let width = 30 + (key.label.chars().count() as f64 * 7.2) as i32 + 22;
        let wrap = i > 0 && (one_per_row || x + width > WIDTH as i32 - left);
        if wrap {
            x = left;
            y += row;
        }
        rows = rows.max(1);
        if wrap {
            rows += 1;
        }
        draw_mark(root, key, (x, y + 8)).map_err(err)?;
        root.draw(&Text::new(
            key.label.clone(),
            (x + 28, y + 8),
            (FONT, TEXT)
                .into_font()
                .color(&GREY)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += width;
    }
    let used = if rows > 0 { y + row + 4 } else { y + 2 };
    Ok(root.split_vertically(used).1)
}

fn draw_mark(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    key: &Key,
    (x, y): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let c = key.color;
    match key.mark {
        Mark::Line => root.draw(&PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))),
        Mark::Bar => root.draw(&Rectangle::new([(x + 4, y - 7), (x + 18, y + 7)], c.filled())),
        Mark::Band => root.draw(&Rectangle::new([(x, y - 6), (x + 22, y + 6)], c.mix(0.25).filled())),
    }
}
