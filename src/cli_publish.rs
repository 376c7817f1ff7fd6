//! Command-line surface of publishing and comparison. The publishing flags are the library's
//! `PublishArgs` itself, shared with `run` and stress.toml's `[publish]` table.

use std::path::PathBuf;

use clap::Args;
use stress_action::config::publish::PublishArgs;

#[derive(Args, Debug)]
pub struct PublishCmd {
    /// The run directory (holds report.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub flags: PublishArgs,
}

#[derive(Args, Debug)]
pub struct CompareCmd {
    /// Baseline: a run directory or a report.json.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// This run: a run directory or a report.json.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,
    /// Fail (exit 1) when a p95 got worse by more than PCT percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_on_regression: Option<f64>,
}
