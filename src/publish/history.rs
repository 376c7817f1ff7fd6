//! Publishing's side of the history: the trend line the comment gains (the base branch's last
//! runs of the headline metric, read before this run is added) and this run's index entry, written
//! to every configured store.
//!
//! A pull request's entry always goes to `pr-<N>` with N from the publishing side (the flag or the
//! event), never from report.json: in the fork-PR recipe report.json is the fork's, and a forged
//! `ref` must not write into the base branch's history.

use super::error::PublishError;
use crate::config::publish::{Env, PublishConfig};
use crate::history::{branch_dir, sparkline, HistoryEntry, HistoryStore};
use crate::report::RunResult;

/// How many of the base branch's runs the comment's trend line shows.
pub const TREND_RUNS: usize = 20;

/// The configured stores: S3 first (the shared one), then the local directory.
fn stores(cfg: &PublishConfig, client: Option<&aws_sdk_s3::Client>) -> Vec<HistoryStore> {
    let mut out = Vec::new();
    if let (Some((bucket, prefix)), Some(client)) = (&cfg.history.s3, client) {
        out.push(HistoryStore::S3 {
            client: client.clone(),
            bucket: bucket.clone(),
            prefix: prefix.clone(),
        });
    }
    if let Some(dir) = &cfg.history.dir {
        out.push(HistoryStore::Dir(dir.clone()));
    }
    out
}

/// The branch whose trend a reader of this run wants: the branch a pull request merges into, else
/// the run's own branch.
fn base_branch(result: &RunResult, env: &Env) -> Option<String> {
    env.get("GITHUB_BASE_REF")
        .filter(|b| !b.is_empty())
        .cloned()
        .or_else(|| result.source.base_ref.clone())
        .or_else(|| result.source.branch().map(str::to_string))
}

/// The comment's trend line, from the first store that has runs of the base branch; `None` when
/// no history is configured or it is empty.
pub async fn trend_line(
    cfg: &PublishConfig,
    env: &Env,
    result: &RunResult,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<Option<String>, PublishError> {
    let Some(branch) = base_branch(result, env) else {
        return Ok(None);
    };
    let label = match cfg.github.as_ref().map(|g| g.pr).or(result.source.pr) {
        Some(pr) => format!("PR #{pr}"),
        None => "this run".to_string(),
    };
    for store in stores(cfg, client) {
        let entries = store
            .last(&branch, TREND_RUNS)
            .await
            .map_err(|e| PublishError::History(format!("cannot read {branch} in {}: {e}", store.describe())))?;
        if !entries.is_empty() {
            return Ok(sparkline(&branch_dir(&branch), &entries, result, &label));
        }
    }
    Ok(None)
}

/// Writes this run's entry to every configured store; returns where it went. An interrupted run
/// is not history (its numbers are partial).
pub async fn record(
    cfg: &PublishConfig,
    result: &RunResult,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<Vec<String>, PublishError> {
    if result.interrupted {
        return Ok(Vec::new());
    }
    let mut entry = HistoryEntry::of(result);
    if let Some(gh) = &cfg.github {
        // The publishing side's PR, whatever report.json says.
        entry.source.pr = Some(gh.pr);
    }
    let mut written = Vec::new();
    for store in stores(cfg, client) {
        let at = store.write(&entry).await.map_err(|e| {
            PublishError::History(format!("cannot write this run's entry to {}: {e}", store.describe()))
        })?;
        written.push(at);
    }
    Ok(written)
}
