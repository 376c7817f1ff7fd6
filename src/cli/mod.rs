//! The command line: one module per subcommand, each holding its clap flags and the step that turns
//! them into a library call and the library's answer into an exit code. Everything the commands do
//! is in the library; what is here is parsing, printing and exit codes.

mod aggregate;
mod compare;
mod doctor;
mod history;
mod leaderboard;
mod publish;
mod report;
mod run;
mod serve;

use std::error::Error;

use clap::{Parser, Subcommand};
use stress_action::ExitStatus;

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
    Run(run::RunCmd),
    /// Re-render summary.md, report.html and the charts of a run directory from its report.json alone.
    Report(report::ReportCmd),
    /// Serve the HTTP sandbox protocol, backed by the local provider, with optional fault injection.
    Serve(serve::ServeCmd),
    /// Upload a run directory to S3 and post or update the sticky PR comment.
    Publish(publish::PublishCmd),
    /// Compare two runs (run directories or report.json files) metric by metric, from their histograms.
    Compare(compare::CompareCmd),
    /// The trend of a branch from the history index publish keeps: charts, history.md, change points.
    History(history::HistoryCmd),
    /// Rank several runs (providers, regions, instance types) side by side: leaderboard.json, .md,
    /// .html and one chart per lifecycle mode.
    Leaderboard(leaderboard::LeaderboardCmd),
    /// Merge the run directories of `run --shard I/N` (local or s3://) into one run directory.
    Aggregate(aggregate::AggregateCmd),
    /// Check a platform against the protocol, one line per rule: what it expects, what it got.
    Doctor(doctor::DoctorCmd),
}

pub async fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(cmd) => run::run_cmd(cmd).await,
        Command::Report(cmd) => report::report_cmd(cmd),
        Command::Serve(cmd) => serve::serve_cmd(cmd).await,
        Command::Publish(cmd) => publish::publish_cmd(cmd).await,
        Command::Compare(cmd) => compare::compare_cmd(cmd),
        Command::History(cmd) => history::history_cmd(cmd).await,
        Command::Aggregate(cmd) => aggregate::aggregate_cmd(cmd).await,
        Command::Doctor(cmd) => doctor::doctor_cmd(cmd).await,
        Command::Leaderboard(cmd) => leaderboard::leaderboard_cmd(cmd).await,
    }
}

/// Prints the error with its whole chain of causes and returns the exit code.
pub fn fail(err: &dyn Error, status: ExitStatus) -> i32 {
    let mut text = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
    status.code()
}
