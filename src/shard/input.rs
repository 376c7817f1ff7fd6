//! Finding shard run directories: a run directory, a directory of run directories (what
//! `actions/download-artifact` leaves), or an `s3://bucket/prefix` holding run directories uploaded
//! by `publish`. S3 shards are fetched (report.json and events.jsonl only) into a staging directory,
//! events.jsonl streamed chunk by chunk.

use std::path::{Path, PathBuf};

use super::aggregate::AggregateError;
use super::merge::Part;
use crate::config::publish::parse_s3_url;
use crate::report::RunResult;
use crate::s3;

/// A shard found, with where its events are on local disk (if it has any).
pub struct Found {
    pub part: Part,
    pub events: Option<PathBuf>,
}

fn read_part(source: String, report: &Path) -> Result<Part, AggregateError> {
    let result = RunResult::read_dir(report).map_err(|e| AggregateError::Input(format!("{source}: {e}")))?;
    if result.shard.is_none() && result.aggregate.is_none() {
        return Err(AggregateError::Input(format!(
            "{source}: not a shard (its report.json has no `shard`; run each shard with --shard I/N)"
        )));
    }
    Ok(Part { source, result })
}

pub fn local(dir: &Path) -> Result<Vec<Found>, AggregateError> {
    crate::report::run_dirs(dir)
        .map_err(AggregateError::Input)?
        .into_iter()
        .map(|d| {
            let part = read_part(d.display().to_string(), &d.join("report.json"))?;
            let events = d.join("events.jsonl");
            Ok(Found {
                part,
                events: events.is_file().then_some(events),
            })
        })
        .collect()
}

/// Every run directory under `s3://bucket/prefix`, staged under `staging/<n>/`.
pub async fn from_s3(url: &str, endpoint: Option<&str>, staging: &Path) -> Result<Vec<Found>, AggregateError> {
    let (bucket, prefix) = parse_s3_url(url)
        .or_else(|| {
            let bucket = url.strip_prefix("s3://")?.trim_end_matches('/');
            (!bucket.is_empty() && !bucket.contains('/')).then(|| (bucket.to_string(), String::new()))
        })
        .ok_or_else(|| AggregateError::Input(format!("{url:?} is not an s3://bucket/prefix URL")))?;
    let prefix = prefix.trim_end_matches('/').to_string();
    let client = s3::client(endpoint).await;
    let list_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let keys: Vec<String> = s3::list_keys(&client, &bucket, &list_prefix)
        .await
        .map_err(|e| AggregateError::S3(e.to_string()))?
        .into_iter()
        .filter(|k| k == "report.json" || k.ends_with("/report.json"))
        .collect();
    if keys.is_empty() {
        return Err(AggregateError::Input(format!(
            "{url}: no run directory (no report.json) under this prefix"
        )));
    }
    let mut found = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let dir_key = key.trim_end_matches("report.json");
        let local = staging.join(n.to_string());
        std::fs::create_dir_all(&local)
            .map_err(|e| AggregateError::Io(format!("cannot create {}: {e}", local.display())))?;
        let bytes = s3::get_bytes(&client, &bucket, key)
            .await
            .map_err(|e| AggregateError::S3(e.to_string()))?;
        let report = local.join("report.json");
        std::fs::write(&report, bytes)
            .map_err(|e| AggregateError::Io(format!("cannot write {}: {e}", report.display())))?;
        let part = read_part(format!("s3://{bucket}/{dir_key}"), &report)?;
        let events_key = format!("{dir_key}events.jsonl");
        let path = local.join("events.jsonl");
        // Streamed to the staging file, never whole in memory.
        let events = match s3::download_if_exists(&client, &bucket, &events_key, &path).await {
            Ok(true) => Some(path),
            // A shard without events still merges: its counts and histograms are in report.json.
            Ok(false) => None,
            Err(e) => return Err(AggregateError::S3(e.to_string())),
        };
        found.push(Found { part, events });
    }
    Ok(found)
}
