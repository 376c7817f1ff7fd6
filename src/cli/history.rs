//! `stress-action history --from DIR|s3://bucket/prefix --branch main --last N --out DIR`: the
//! trend of a branch from the index `publish` keeps: trend-*.svg, history.md and history.json, with
//! the change points where a level moved. Exit 0 (also for an empty history, with a warning), 2 for
//! bad flags, 4 when the store cannot be read or the output written.

use std::path::PathBuf;

use clap::Args;
use stress_action::config::publish::parse_s3_url;
use stress_action::error::ConfigError;
use stress_action::history::{write_trend, HistoryStore, Trend};
use stress_action::stats::ChangePointSettings;
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct HistoryCmd {
    /// Where the index is: the --history-dir of publish, or s3://bucket/prefix (its --history-prefix).
    #[arg(long, value_name = "DIR|S3_URL")]
    pub from: String,
    /// The branch whose runs to read (a pull request's runs are under pr-<N>).
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    pub branch: String,
    /// How many of the latest runs to read.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub last: usize,
    /// Directory to write trend-*.svg, history.md and history.json to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// S3-compatible endpoint URL for s3:// (MinIO, moto, ...); enables path-style addressing.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// A change point is kept when Welch's t-test between its two sides gives p below this.
    #[arg(long, value_name = "P", allow_negative_numbers = true, default_value_t = ChangePointSettings::default().max_p_value)]
    pub max_p_value: f64,
    /// ... and the level moved by at least this many percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true, default_value_t = ChangePointSettings::default().min_magnitude * 100.0)]
    pub min_magnitude: f64,
    /// Fewest runs on each side of a change point.
    #[arg(long, value_name = "N", default_value_t = ChangePointSettings::default().min_segment)]
    pub min_segment: usize,
}

impl HistoryCmd {
    fn settings(&self) -> Result<ChangePointSettings, ConfigError> {
        if !(self.max_p_value > 0.0 && self.max_p_value < 1.0) {
            return Err(ConfigError::new(
                "--max-p-value",
                format!("must be between 0 and 1, got {}", self.max_p_value),
            ));
        }
        if !(self.min_magnitude.is_finite() && self.min_magnitude >= 0.0) {
            return Err(ConfigError::new(
                "--min-magnitude",
                format!("must be a percentage >= 0, got {}", self.min_magnitude),
            ));
        }
        if self.min_segment < 2 {
            return Err(ConfigError::new(
                "--min-segment",
                "must be at least 2 (a t-test needs two points a side)",
            ));
        }
        if self.last == 0 {
            return Err(ConfigError::new("--last", "must be at least 1"));
        }
        if self.branch.trim().is_empty() {
            return Err(ConfigError::new("--branch", "must not be empty"));
        }
        Ok(ChangePointSettings {
            max_p_value: self.max_p_value,
            min_magnitude: self.min_magnitude / 100.0,
            min_segment: self.min_segment,
        })
    }

    async fn store(&self) -> Result<HistoryStore, ConfigError> {
        if !self.from.starts_with("s3://") {
            return Ok(HistoryStore::Dir(PathBuf::from(&self.from)));
        }
        if let Some(url) = &self.s3_endpoint {
            stress_action::config::publish::validate_url("--s3-endpoint", url.clone())?;
        }
        let (bucket, prefix) = parse_s3_url(&self.from)
            .or_else(|| {
                let bucket = self.from.trim_start_matches("s3://").trim_end_matches('/');
                (!bucket.is_empty() && !bucket.contains('/')).then(|| (bucket.to_string(), String::new()))
            })
            .ok_or_else(|| {
                ConfigError::new(
                    "--from",
                    format!("must be a directory or s3://bucket/prefix, got {:?}", self.from),
                )
            })?;
        let client = stress_action::s3::client(self.s3_endpoint.as_deref()).await;
        Ok(HistoryStore::S3 { client, bucket, prefix })
    }
}

pub async fn history_cmd(cmd: HistoryCmd) -> i32 {
    let settings = match cmd.settings() {
        Ok(s) => s,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let store = match cmd.store().await {
        Ok(s) => s,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let entries = match store.last(&cmd.branch, cmd.last).await {
        Ok(e) => e,
        Err(e) => return fail(&e, ExitStatus::PublishFailed),
    };
    if entries.is_empty() {
        eprintln!(
            "warning: no runs of branch {:?} under {} (publish writes them with --history-dir or --history-prefix)",
            cmd.branch,
            store.describe()
        );
    }
    let trend = Trend::build(&cmd.branch, &entries, &settings);
    match write_trend(&trend, &cmd.out) {
        Ok(files) => {
            println!(
                "history of {}: {} runs, {} change point(s); wrote {} to {}",
                cmd.branch,
                trend.runs.len(),
                trend.change_points.len(),
                files.join(", "),
                cmd.out.display()
            );
            for c in &trend.change_points {
                let moves: Vec<String> = c
                    .moves
                    .iter()
                    .map(|m| format!("{} {:+.1} %", m.label, m.change * 100.0))
                    .collect();
                println!(
                    "change point at run {} (commit {}): {}",
                    c.index + 1,
                    c.sha.as_deref().unwrap_or(&c.label),
                    moves.join(", ")
                );
            }
            ExitStatus::Pass.code()
        }
        Err(e) => fail(&e, ExitStatus::PublishFailed),
    }
}
