//! `stress-action leaderboard`: its flags, and the exit code: 0 when the leaderboard was written,
//! 2 for inputs that are not runs or runs that do not compare (the message names the setting),
//! 1 when S3 or the disk failed. Also `publish DIR` for a leaderboard directory.

use std::path::PathBuf;

use clap::Args;
use stress_action::config::publish::{process_env, PublishArgs, PublishConfig};
use stress_action::leaderboard::{leaderboard, LeaderboardOptions};
use stress_action::publish::github::CommentOutcome;
use stress_action::ExitStatus;

use super::fail;
use stress_action::config::publish::validate_url;

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
    if let Some(Err(e)) = cmd.s3_endpoint.clone().map(|url| validate_url("--s3-endpoint", url)) {
        return fail(&e, ExitStatus::Usage);
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

/// `publish DIR` on a leaderboard directory: the sticky comment and the upload, re-rendered from
/// leaderboard.json; 0 when all went, 4 when a step failed, 2 for bad flags or a broken directory.
pub async fn publish_leaderboard(dir: &std::path::Path, flags: PublishArgs) -> i32 {
    let env = process_env();
    let cfg = match PublishConfig::build(flags, &env) {
        Ok(cfg) => cfg,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let done = match stress_action::leaderboard::publish::publish(dir, &cfg, &env).await {
        Ok(done) => done,
        Err(e) => return fail(&e, e.exit_status()),
    };
    match &done.comment {
        Some(CommentOutcome::Created(id)) => println!("created PR comment {id} with the leaderboard"),
        Some(CommentOutcome::Updated(id)) => println!("updated PR comment {id} with the leaderboard"),
        _ => {}
    }
    for url in &done.uploaded {
        println!("uploaded {url}");
    }
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    for f in &done.failures {
        eprintln!("error: {f}");
    }
    if done.failures.is_empty() {
        ExitStatus::Pass.code()
    } else {
        ExitStatus::PublishFailed.code()
    }
}
