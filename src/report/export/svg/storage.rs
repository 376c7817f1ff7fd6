//! `storage.svg`: upload and download throughput per file size as bars, with their p95 latency on a
//! second axis.

use plotters::prelude::*;

use super::{
    axis_max, bar, category_axis, category_label, chart_error, draw_slot_lines_and_legend, draw_svg, tick, Series,
    BLUE, FONT, GREY, ORANGE, PURPLE, RED,
};
use crate::report::export::{ExportError, Rendered};
use crate::report::{StorageReport, StorageSizeReport};

pub fn render(st: &StorageReport) -> Result<Option<Rendered>, ExportError> {
    let name = "storage.svg";
    let sizes = &st.sizes;
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
    let n = sizes.len();
    draw_svg(name, |root| {
        let err = |e| chart_error(name, e);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Storage throughput and p95 latency per file size",
                (FONT, 22).into_font().color(&GREY),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(category_axis(n), 0f64..rate_max)
            .map_err(err)?
            .set_secondary_coord(0f64..n as f64, 0f64..ms_max);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| category_label(&labels, *x))
            .y_desc("throughput (MB/s)")
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        chart
            .configure_secondary_axes()
            .y_desc("p95 (ms)")
            .label_style((FONT, 13))
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(err)?;
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
