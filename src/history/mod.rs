//! The history of a branch: one small index entry per published run (where it came from, its
//! verdicts, key percentiles and the compressed histograms of the headline metrics), kept in S3
//! and/or a local directory under `<prefix>/<branch>/`, and what `stress-action history` and the PR
//! comment make of the last N of them: trend charts, history.md, history.json, and the change
//! points where a metric's level moved, found with a documented method (see [`crate::stats`] and
//! docs/statistics.md), never with a fixed percent.
//!
//! Entries are written by `publish` only; everything here reads entries, never run directories,
//! so a history of thousands of runs costs one small object per run.

mod chart;
mod entry;
mod output;
mod render;
mod store;
mod trend;

pub use chart::render_charts;
pub use entry::{branch_dir, HistoryEntry, HISTORY_SCHEMA_VERSION};
pub use output::write_trend;
pub use render::{history_markdown, sparkline};
pub use store::{HistoryError, HistoryStore};
pub use trend::{Trend, TrendChange, TrendMove, TrendRun, TrendSeries};
