//! report.html's section of a timed run: the knee and the degraded latencies first, then the
//! capacity search's steps as a table beside its chart, the time series window by window beside
//! its chart, and the trend of each headline latency. The same rows as summary.md's, so the two
//! never disagree on what a step or a window held.

use super::page::{note, section, table, Block, Charts, Section};
use crate::report::export::markdown::soak::SoakSection;
use crate::report::export::svg::{capacity, timeseries};

pub(super) fn soak_section(md: &SoakSection, charts: &mut Charts<'_>) -> Option<Section> {
    if md.capacity_line.is_none() && md.series_line.is_none() {
        return None;
    }
    let mut blocks: Vec<Block> = md.degraded.iter().map(|l| note(l)).collect();
    if let Some(line) = &md.capacity_line {
        blocks.push(note(line));
        let head = vec![
            "offered /s",
            "launched",
            "achieved /s",
            "success",
            "TTI p50 ms",
            "TTI p95 ms",
            "step",
        ];
        blocks.push(table(head, 0, &md.capacity_steps));
        blocks.extend(charts.figure(
            capacity::NAME,
            "Achieved against offered rate and p95 TTI per step; the knee is the highest step that kept up and held the SLO.".into(),
        ));
    }
    if let Some(line) = &md.series_line {
        blocks.push(note(line));
        let head = vec![
            "t s", "launched", "ended", "success", "infra", "p50 ms", "p95 ms", "p99 ms", "alive", "RSS MB", "fds",
        ];
        blocks.push(table(head, 0, &md.series));
        blocks.extend(charts.figure(
            timeseries::NAME,
            "Latency and success per window: flat lines are a platform that holds up; shaded spans are chaos faults armed.".into(),
        ));
        blocks.extend(md.trends.iter().map(|t| note(t)));
    }
    Some(section("soak", "Soak and capacity", blocks))
}
