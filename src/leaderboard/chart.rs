//! `leaderboard-<mode>.svg`: one horizontal bar per run, best score at the top, the bar reaching
//! the TTI p50 with marks at p95 and p99. Drawn like every other chart (plotters, presentation
//! attributes only, sanitized) so GitHub's image proxy shows it.

use plotters::prelude::*;

use super::model::{Leaderboard, ModeBoard, ModeRow};
use super::LeaderboardError;
use crate::report::export::svg::{
    axis_max, category_axis, category_label, chart_error, draw_svg, tick, BLUE, FONT, GREY, ORANGE, RED,
};
use crate::report::export::Rendered;

/// A tail percentile drawn as a mark: its legend, how to read it from a row, its colour.
type Mark = (&'static str, fn(&ModeRow) -> Option<f64>, RGBColor);

/// Longest label on the axis; the table has the whole one.
const AXIS_LABEL_CHARS: usize = 22;

pub fn render_all(board: &Leaderboard) -> Result<Vec<Rendered>, LeaderboardError> {
    board
        .modes
        .iter()
        .map(|m| render(m).map_err(|e| LeaderboardError::Render(e.to_string())))
        .collect()
}

fn short(label: &str) -> String {
    if label.chars().count() <= AXIS_LABEL_CHARS {
        label.to_string()
    } else {
        let head: String = label.chars().take(AXIS_LABEL_CHARS - 1).collect();
        format!("{head}…")
    }
}

pub fn render(board: &ModeBoard) -> Result<Rendered, crate::report::export::ExportError> {
    let name = format!("leaderboard-{}.svg", board.mode);
    let n = board.rows.len();
    // Slots count up from the bottom: the first-ranked run takes the top one.
    let labels: Vec<String> = board.rows.iter().rev().map(|r| short(&r.label)).collect();
    let x_max = axis_max(
        board
            .rows
            .iter()
            .filter_map(|r| r.tti_p99_ms.or(r.tti_p50_ms))
            .fold(0.0, f64::max),
    );
    let caption = format!("Time to interactive, {} (ranked by score)", board.mode);
    draw_svg(&name, |root| {
        let err = |e| chart_error(&name, e);
        let mut chart = ChartBuilder::on(root)
            .caption(&caption, (FONT, 22).into_font().color(&GREY))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..x_max, category_axis(n))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("TTI (ms)")
            .y_label_formatter(&|y| category_label(&labels, *y))
            .x_label_formatter(&tick)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        let slot = |i: usize| (n - 1 - i) as f64;
        chart
            .draw_series(board.rows.iter().enumerate().filter_map(|(i, r)| {
                let p50 = r.tti_p50_ms?;
                Some(Rectangle::new(
                    [(0.0, slot(i) + 0.2), (p50, slot(i) + 0.8)],
                    BLUE.filled(),
                ))
            }))
            .map_err(err)?
            .label("p50")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], BLUE.filled()));
        let marks: [Mark; 2] = [("p95", |r| r.tti_p95_ms, ORANGE), ("p99", |r| r.tti_p99_ms, RED)];
        for (label, value, color) in marks {
            chart
                .draw_series(board.rows.iter().enumerate().filter_map(|(i, r)| {
                    let v = value(r)?;
                    Some(PathElement::new(
                        vec![(v, slot(i) + 0.1), (v, slot(i) + 0.9)],
                        color.stroke_width(3),
                    ))
                }))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x + 6, y - 6), (x + 6, y + 6)], color.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE)
            .border_style(GREY)
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}
