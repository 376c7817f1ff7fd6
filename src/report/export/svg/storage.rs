//! `storage.svg`: upload and download throughput per file size as bars, with their p95 latency on a
//! second axis.

use plotters::prelude::*;

use super::{
    axis_max, bar, chart_error, draw_slot_lines_and_legend, draw_svg, slot_chart, Series, SlotAxes, BLUE, ORANGE,
    PURPLE, RED,
};
use crate::report::export::{ExportError, Rendered};
use crate::report::{StorageReport, StorageSizeReport};

pub fn render(st: &StorageReport) -> Result<Option<Rendered>, ExportError> {
    render_sizes(
        "storage.svg",
        "Storage throughput and p95 latency per file size",
        &st.sizes,
    )
}

/// The chart of any workload measured per size: `storage.svg`, `object-storage.svg`.
pub fn render_sizes(name: &str, caption: &str, sizes: &[StorageSizeReport]) -> Result<Option<Rendered>, ExportError> {
    if sizes.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = sizes.iter().map(|s| format!("{} MB", s.size_mb)).collect();
    let rate_max = axis_max(
        sizes
            .iter()
            .map(|s| s.upload_mb_s.max(s.download_mb_s))
            .fold(0.0, f64::max),
    );
    let ms_max = axis_max(
        sizes
            .iter()
            .map(|s| s.upload_ms.p95.max(s.download_ms.p95))
            .fold(0.0, f64::max),
    );
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let axes = SlotAxes {
            caption,
            labels: &labels,
            y_max: rate_max,
            y_desc: "throughput (MB/s)",
            y2_max: ms_max,
            y2_desc: "p95 (ms)",
        };
        let mut chart = slot_chart(root, axes, err)?;
        let bars: [Series<StorageSizeReport>; 2] = [
            ("upload MB/s", |s| s.upload_mb_s, BLUE),
            ("download MB/s", |s| s.download_mb_s, ORANGE),
        ];
        for (k, (label, value, color)) in bars.into_iter().enumerate() {
            chart
                .draw_series(
                    sizes
                        .iter()
                        .enumerate()
                        .map(|(slot, s)| bar(slot, k, 2, 0.0, value(s), color)),
                )
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        let lines: [Series<StorageSizeReport>; 2] = [
            ("upload p95", |s| s.upload_ms.p95, PURPLE),
            ("download p95", |s| s.download_ms.p95, RED),
        ];
        draw_slot_lines_and_legend(&mut chart, sizes, &lines, SeriesLabelPosition::UpperRight, err)
    })
    .map(Some)
}
