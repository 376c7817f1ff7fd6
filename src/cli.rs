//! Command-line surface: clap derive structs only. Everything here is turned into the library's
//! clap-free `RunArgs` and validated there, so errors name flags the same way whatever the source.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use stress_action::config::RunArgs;

#[derive(Parser, Debug)]
#[command(
    name = "stress-action",
    version,
    about = "Integrity and latency stress tests for sandbox platforms"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a profile against a provider, verify every operation, and write the run directory.
    Run(RunCmd),
    /// Upload a run directory to S3 and post or update the sticky PR comment.
    Publish(crate::cli_publish::PublishCmd),
    /// Compare two runs (run directories or report.json files) metric by metric.
    Compare(crate::cli_publish::CompareCmd),
}

#[derive(Args, Debug)]
pub struct RunCmd {
    /// smoke (10 restores, 1 round) or full (1000 restores, 5 rounds).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Where sandboxes live: local (default).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Work directory of the local provider (default: a private directory in the system temp dir).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Total restores across all rounds.
    #[arg(short = 'n', long, value_name = "N", allow_negative_numbers = true)]
    pub restores: Option<i64>,
    /// Checkpoint rounds; each writes a fresh marker and checkpoint.
    #[arg(short = 'r', long, value_name = "N", allow_negative_numbers = true)]
    pub rounds: Option<i64>,
    /// Restores in flight at once.
    #[arg(short = 'c', long, value_name = "N", allow_negative_numbers = true)]
    pub concurrency: Option<i64>,
    /// Size of the random marker file in MB (default 5).
    #[arg(long = "marker-size", value_name = "MB", allow_negative_numbers = true)]
    pub marker_size: Option<f64>,
    /// Run directory (default results/<UTC timestamp>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for markers and the self-test (default random, printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print only errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
    /// Self-test: damage this fraction of restores before verification (0..1).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub inject_corruption: Option<f64>,
    /// Above this fraction of infra errors the verdict is inconclusive (default 0.5).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub max_infra_rate: Option<f64>,
    /// Timeout of each command run in a sandbox, in milliseconds (default 60000).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub exec_timeout_ms: Option<i64>,
    /// After the run, publish the run directory (S3, PR comment); a failure only warns.
    #[arg(long)]
    pub publish: bool,
    #[command(flatten)]
    pub publishing: crate::cli_publish::PublishFlags,
}

impl RunCmd {
    pub fn into_run_args(self) -> RunArgs {
        RunArgs {
            profile: self.profile,
            provider: self.provider,
            work_dir: self.work_dir,
            restores: self.restores,
            rounds: self.rounds,
            concurrency: self.concurrency,
            marker_size_mb: self.marker_size,
            out: self.out,
            seed: self.seed,
            quiet: self.quiet,
            inject_corruption: self.inject_corruption,
            max_infra_rate: self.max_infra_rate,
            exec_timeout_ms: self.exec_timeout_ms,
        }
    }
}
