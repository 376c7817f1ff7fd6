//! `stress-action leaderboard`: its flags, and the exit code: 0 when the leaderboard was written,
//! 2 for inputs that are not runs or runs that do not compare (the message names the setting),
//! 1 when S3 or the disk failed.

use std::path::PathBuf;

use clap::Args;
use stress_action::leaderboard::{leaderboard, LeaderboardOptions};
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct LeaderboardCmd {
    /// Directory to write leaderboard.json, leaderboard.md, leaderboard.html and the charts to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// S3-compatible endpoint URL for s3:// inputs (MinIO, moto, ...).
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Run directories, directories holding them (download-artifact), or s3://bucket/prefix.
    #[arg(value_name = "RUN", required = true)]
    pub inputs: Vec<String>,
}

pub async fn leaderboard_cmd(cmd: LeaderboardCmd) -> i32 {
    if let Some(url) = &cmd.s3_endpoint {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            let e = stress_action::error::ConfigError::new(
                "--s3-endpoint",
                format!("must start with http:// or https://, got {url:?}"),
            );
            return fail(&e, ExitStatus::Usage);
        }
    }
    let opts = LeaderboardOptions {
        out: cmd.out,
        inputs: cmd.inputs,
        s3_endpoint: cmd.s3_endpoint,
    };
    match leaderboard(&opts).await {
        Ok(board) => {
            for mode in &board.modes {
                let ranked: Vec<String> = mode
                    .rows
                    .iter()
                    .map(|r| format!("{}. {} ({:.1})", r.rank, r.label, r.score))
                    .collect();
                println!("{}: {}", mode.mode, ranked.join(", "));
            }
            println!("leaderboard of {} runs: {}", board.runs.len(), opts.out.display());
            ExitStatus::Pass.code()
        }
        Err(e) => fail(&e, e.exit_status()),
    }
}
