//! `stress-action leaderboard`: several runs (providers, regions, instance types) side by side in
//! one page, the way platform teams and their buyers read these numbers.
//!
//! Input is run directories as `run` leaves them, a directory of them (what download-artifact
//! leaves) or `s3://bucket/prefix` holding them; only report.json is read. Runs with different
//! settings are refused ([`compare`]). Lifecycle modes are ranked by a documented composite score
//! ([`score`]), storage and object-storage sizes by throughput. The result is leaderboard.json
//! ([`model`]), from which leaderboard.md, leaderboard.html and one `leaderboard-<mode>.svg` per
//! mode are rendered ([`render`], [`chart`]); `publish DIR` on a leaderboard directory posts it as
//! the sticky comment and uploads it, re-rendered from leaderboard.json ([`publish`]).

pub mod chart;
pub mod compare;
pub mod input;
pub mod model;
pub mod publish;
pub mod render;
pub mod score;

use std::path::{Path, PathBuf};

pub use model::{Leaderboard, LEADERBOARD_FILE};

use crate::error::ExitStatus;
use crate::report::RunResult;

/// One run to compare, and where it came from (for messages and the runs table).
pub struct Run {
    pub source: String,
    pub result: RunResult,
}

#[derive(Debug, thiserror::Error)]
pub enum LeaderboardError {
    /// An input that is not a run directory, a directory of them or an s3:// prefix holding them.
    #[error("{0}")]
    Input(String),
    /// Runs whose settings differ, or that share a label.
    #[error("runs are not comparable: {0}")]
    NotComparable(String),
    #[error("{0}")]
    S3(String),
    #[error("{0}")]
    Io(String),
    #[error("cannot render the leaderboard: {0}")]
    Render(String),
}

impl LeaderboardError {
    /// Inputs and settings are the user's to fix (2); a store or disk that failed is not.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            LeaderboardError::Input(_) | LeaderboardError::NotComparable(_) => ExitStatus::Usage,
            _ => ExitStatus::Fail,
        }
    }
}

pub struct LeaderboardOptions {
    pub out: PathBuf,
    pub inputs: Vec<String>,
    pub s3_endpoint: Option<String>,
}

/// Reads the runs, checks they compare, ranks them and writes the leaderboard directory.
pub async fn leaderboard(opts: &LeaderboardOptions) -> Result<Leaderboard, LeaderboardError> {
    let mut runs = Vec::new();
    for input in &opts.inputs {
        runs.extend(input::read(input, opts.s3_endpoint.as_deref()).await?);
    }
    compare::check(&runs)?;
    let board = Leaderboard::build(&runs);
    write(&board, &opts.out)?;
    Ok(board)
}

/// leaderboard.json first (so a rendering failure loses nothing), then what is rendered from it.
pub fn write(board: &Leaderboard, out: &Path) -> Result<(), LeaderboardError> {
    let io = |what: &Path, e: std::io::Error| LeaderboardError::Io(format!("cannot write {}: {e}", what.display()));
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let json = serde_json::to_string_pretty(board).map_err(|e| LeaderboardError::Render(e.to_string()))?;
    let path = out.join(LEADERBOARD_FILE);
    std::fs::write(&path, json + "\n").map_err(|e| io(&path, e))?;
    let charts = chart::render_all(board)?;
    let markdown = render::markdown(board)?;
    let html = render::html(board, &markdown, &charts)?;
    let files = charts.iter().map(|c| (c.name.clone(), c.content.clone())).chain([
        ("leaderboard.md".to_string(), markdown),
        ("leaderboard.html".to_string(), html),
    ]);
    for (name, content) in files {
        let path = out.join(&name);
        std::fs::write(&path, content).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
