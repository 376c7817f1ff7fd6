//! `restores.svg`: per checkpoint round, verified / corrupted / infra restores stacked, with the
//! restore and verify p50 on a second axis, so a bad round and a slow round both stand out.

use plotters::prelude::*;

use super::{
    axis_max, bar, chart_error, draw_slot_lines_and_legend, draw_svg, slot_chart, Series, SlotAxes, BLUE, GREEN,
    ORANGE, PURPLE, RED,
};
use crate::report::export::{ExportError, Rendered};
use crate::report::CheckpointReport;

pub fn render(cp: &CheckpointReport) -> Result<Option<Rendered>, ExportError> {
    let name = "restores.svg";
    let rounds = &cp.rounds;
    if rounds.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = rounds.iter().map(|r| format!("round {}", r.round)).collect();
    let count_max = axis_max(
        rounds
            .iter()
            .map(|r| (r.verified + r.corrupted + r.infra) as f64)
            .fold(0.0, f64::max),
    );
    let ms_max = axis_max(
        rounds
            .iter()
            .map(|r| r.restore_ms.p50.max(r.verify_ms.p50))
            .fold(0.0, f64::max),
    );
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let axes = SlotAxes {
            caption: "Restores per round",
            labels: &labels,
            y_max: count_max,
            y_desc: "restores",
            y2_max: ms_max,
            y2_desc: "p50 (ms)",
        };
        let mut chart = slot_chart(root, axes, err)?;
        let stacks: [(&str, RGBColor); 3] = [("verified", GREEN), ("corrupted", RED), ("infra", ORANGE)];
        for (k, (label, color)) in stacks.into_iter().enumerate() {
            let bars = rounds.iter().enumerate().map(|(slot, r)| {
                let parts = [r.verified as f64, r.corrupted as f64, r.infra as f64];
                let y0: f64 = parts[..k].iter().sum();
                bar(slot, 0, 1, y0, y0 + parts[k], color)
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        let lines: [Series<crate::report::RoundReport>; 2] = [
            ("restore p50", |r| r.restore_ms.p50, BLUE),
            ("verify p50", |r| r.verify_ms.p50, PURPLE),
        ];
        draw_slot_lines_and_legend(&mut chart, rounds, &lines, SeriesLabelPosition::UpperLeft, err)
    })
    .map(Some)
}
