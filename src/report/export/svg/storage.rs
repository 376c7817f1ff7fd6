//! `storage.svg`: per file size, two panels sharing the sizes: upload and download throughput, and
//! under them their p95 latency, each bar with its value; one metric per y axis.

use super::bars::{panel, Bars, Layout, Panel};
use super::frame::{header, Key, Mark};
use super::{draw_svg_sized, BLUE, ORANGE};
use crate::report::export::markdown::format::fmt_ms;
use crate::report::export::{ExportError, Rendered};
use crate::report::{StorageReport, StorageSizeReport};

pub fn render(st: &StorageReport) -> Result<Option<Rendered>, ExportError> {
    render_sizes("storage.svg", "Storage per file size", &st.sizes)
}

/// The chart of any workload measured per size: `storage.svg`, `object-storage.svg`.
pub fn render_sizes(name: &str, title: &str, sizes: &[StorageSizeReport]) -> Result<Option<Rendered>, ExportError> {
    if sizes.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = sizes.iter().map(|s| format!("{} MB", s.size_mb)).collect();
    let rates = [
        Bars {
            values: sizes.iter().map(|s| s.upload_mb_s).collect(),
            color: BLUE,
        },
        Bars {
            values: sizes.iter().map(|s| s.download_mb_s).collect(),
            color: ORANGE,
        },
    ];
    let latency = [
        Bars {
            values: sizes.iter().map(|s| s.upload_ms.p95).collect(),
            color: BLUE,
        },
        Bars {
            values: sizes.iter().map(|s| s.download_ms.p95).collect(),
            color: ORANGE,
        },
    ];
    let keys = [
        Key::new("upload", BLUE, Mark::Bar),
        Key::new("download", ORANGE, Mark::Bar),
    ];
    let transfers: u64 = sizes.iter().map(|s| s.iterations).sum();
    let subtitle =
        format!("{transfers} transfers each way, SHA-256 verified · higher throughput and lower latency are better");
    draw_svg_sized(name, 600, |root| {
        let plot = header(root, name, title, &subtitle, &keys, false)?;
        let (upper, lower) = plot.split_vertically(plot.dim_in_pixel().1 / 2);
        let rate = |v: f64| format!("{v:.0}");
        panel(
            &upper,
            name,
            &Panel {
                title: "throughput",
                labels: &labels,
                y_desc: "MB/s",
                series: &rates,
                layout: Layout::SideBySide,
                value: &rate,
            },
        )?;
        panel(
            &lower,
            name,
            &Panel {
                title: "p95 latency",
                labels: &labels,
                y_desc: "p95 (ms)",
                series: &latency,
                layout: Layout::SideBySide,
                value: &fmt_ms,
            },
        )
    })
    .map(Some)
}
