//! `restores.svg`: per checkpoint round, two panels sharing the rounds: verified / corrupted / infra
//! restores stacked, and under them the restore and verify p50 as bars with their values, so a bad
//! round and a slow round both stand out and no latency is read off a count axis.

use super::bars::{panel, Bars, Layout, Panel};
use super::frame::{header, Key, Mark};
use super::{draw_svg_sized, BLUE, GREEN, ORANGE, PURPLE, RED};
use crate::report::export::markdown::format::fmt_ms;
use crate::report::export::{ExportError, Rendered};
use crate::report::CheckpointReport;

pub fn render(cp: &CheckpointReport) -> Result<Option<Rendered>, ExportError> {
    let name = "restores.svg";
    let rounds = &cp.rounds;
    if rounds.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = rounds.iter().map(|r| r.round.to_string()).collect();
    let outcomes = [
        Bars {
            values: rounds.iter().map(|r| r.verified as f64).collect(),
            color: GREEN,
        },
        Bars {
            values: rounds.iter().map(|r| r.corrupted as f64).collect(),
            color: RED,
        },
        Bars {
            values: rounds.iter().map(|r| r.infra as f64).collect(),
            color: ORANGE,
        },
    ];
    let latency = [
        Bars {
            values: rounds.iter().map(|r| r.restore_ms.p50).collect(),
            color: BLUE,
        },
        Bars {
            values: rounds.iter().map(|r| r.verify_ms.p50).collect(),
            color: PURPLE,
        },
    ];
    let keys = [
        Key::new("verified", GREEN, Mark::Bar),
        Key::new("corrupted", RED, Mark::Bar),
        Key::new("infra", ORANGE, Mark::Bar),
        Key::new("restore p50 ms", BLUE, Mark::Bar),
        Key::new("verify p50 ms", PURPLE, Mark::Bar),
    ];
    let restores: u64 = rounds.iter().map(|r| r.restores).sum();
    let subtitle = format!(
        "{} rounds, {restores} restores · all green is good; lower latency is better",
        rounds.len()
    );
    draw_svg_sized(name, 600, |root| {
        let plot = header(root, name, "Restores per round", &subtitle, &keys, false)?;
        let (upper, lower) = plot.split_vertically(plot.dim_in_pixel().1 / 2);
        let count = |v: f64| format!("{v:.0}");
        panel(
            &upper,
            name,
            &Panel {
                title: "outcome of every restore",
                labels: &labels,
                y_desc: "restores",
                series: &outcomes,
                layout: Layout::Stacked,
                value: &count,
            },
        )?;
        panel(
            &lower,
            name,
            &Panel {
                title: "median latency per round",
                labels: &labels,
                y_desc: "p50 (ms)",
                series: &latency,
                layout: Layout::SideBySide,
                value: &fmt_ms,
            },
        )
    })
    .map(Some)
}
