//! `stress-action aggregate --out DIR INPUT...`: checks that the inputs are the shards of one run
//! (one group, one shard count, no index twice), merges them, and writes a run directory that every
//! later step (`report`, `publish`, `compare`) reads like a single run's.
//!
//! Wrong inputs (a path that is no run, a run that is no shard, two groups, two shard counts, a
//! shard twice) are usage errors: nothing is written. A missing shard is different: the merge of
//! the others is written, with verdict `fail` and the missing shard named, because a smaller total
//! must never pass for the whole.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::input::{self, Found};
use super::merge::{self, Part};
use crate::report::view::RunView;
use crate::report::{export, RunResult};
use crate::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// The inputs are not the shards of one run: exit 2, nothing written.
    #[error("{0}")]
    Input(String),
    #[error("S3: {0}")]
    S3(String),
    #[error("{0}")]
    Io(String),
    /// A shard's data could not be merged (a broken histogram).
    #[error("cannot merge: {0}")]
    Merge(String),
}

impl AggregateError {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            AggregateError::Input(_) => ExitStatus::Usage,
            AggregateError::S3(_) | AggregateError::Io(_) | AggregateError::Merge(_) => ExitStatus::Fail,
        }
    }
}

pub struct AggregateOptions {
    pub out: PathBuf,
    /// Run directories, directories of run directories, or `s3://bucket/prefix`.
    pub inputs: Vec<String>,
    pub s3_endpoint: Option<String>,
}

/// What was written, for the caller's exit code and message.
pub struct Aggregated {
    pub result: RunResult,
    pub missing: Vec<u32>,
}

pub async fn aggregate(opts: &AggregateOptions, warn: &dyn Fn(&str)) -> Result<Aggregated, AggregateError> {
    if opts.inputs.is_empty() {
        return Err(AggregateError::Input(
            "name at least one INPUT (a run directory or s3://bucket/prefix)".into(),
        ));
    }
    let staging = opts.out.join(".shards");
    let mut found: Vec<Found> = Vec::new();
    for (n, input) in opts.inputs.iter().enumerate() {
        if input.starts_with("s3://") {
            found.extend(input::from_s3(input, opts.s3_endpoint.as_deref(), &staging.join(n.to_string())).await?);
        } else {
            found.extend(input::local(Path::new(input))?);
        }
    }
    found.retain(|f| {
        let is_aggregate = f.part.result.aggregate.is_some();
        if is_aggregate {
            warn(&format!("{}: skipped, it is an aggregate, not a shard", f.part.source));
        }
        !is_aggregate
    });
    let (group, count, missing) = check(&mut found)?;
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| AggregateError::Io(format!("cannot create --out {}: {e}", opts.out.display())))?;
    let (parts, events): (Vec<Part>, Vec<Option<PathBuf>>) = found.into_iter().map(|f| (f.part, f.events)).unzip();
    let result = merge::merge(&parts, &group, count, &missing).map_err(AggregateError::Merge)?;
    concat_events(&parts, &events, &opts.out.join("events.jsonl"))?;
    result
        .write_atomic(&opts.out.join("report.json"))
        .map_err(|e| AggregateError::Io(format!("cannot write report.json: {e}")))?;
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(e) = export::finish(&RunView::build(&result, &opts.out), &opts.out, warn) {
        warn(&export::rendering_failed(&opts.out, &e));
    }
    Ok(Aggregated { result, missing })
}

/// One group, one count, each index at most once; returns (group, count, missing indexes) and
/// leaves `found` sorted by shard index.
fn check(found: &mut [Found]) -> Result<(String, u32, Vec<u32>), AggregateError> {
    if found.is_empty() {
        return Err(AggregateError::Input("no shard found in the inputs".into()));
    }
    found.sort_by_key(|f| f.part.index());
    let shard = |f: &Found| f.part.result.shard.clone().expect("inputs without shard were refused");
    let first = shard(&found[0]);
    let groups: BTreeSet<String> = found.iter().map(|f| shard(f).group).collect();
    if groups.len() > 1 {
        let list: Vec<String> = found
            .iter()
            .map(|f| format!("{} (group {})", f.part.source, shard(f).group))
            .collect();
        return Err(AggregateError::Input(format!(
            "the inputs belong to {} different groups ({}); aggregate the shards of one run: {}",
            groups.len(),
            groups.into_iter().collect::<Vec<_>>().join(", "),
            list.join(", ")
        )));
    }
    if let Some(other) = found.iter().find(|f| shard(f).count != first.count) {
        return Err(AggregateError::Input(format!(
            "{} says {} shards but {} says {}",
            found[0].part.source,
            first.count,
            other.part.source,
            shard(other).count
        )));
    }
    for pair in found.windows(2) {
        if pair[0].part.index() == pair[1].part.index() {
            return Err(AggregateError::Input(format!(
                "shard {}/{} given twice: {} and {}",
                pair[0].part.index(),
                first.count,
                pair[0].part.source,
                pair[1].part.source
            )));
        }
    }
    let present: BTreeSet<u32> = found.iter().map(|f| f.part.index()).collect();
    let missing = (1..=first.count).filter(|i| !present.contains(i)).collect();
    Ok((first.group, first.count, missing))
}

/// Every shard's events, one after the other, each line tagged with `"shard": I` and checkpoint
/// rounds renumbered like the aggregate's. Streamed line by line: memory stays flat however large.
fn concat_events(parts: &[Part], events: &[Option<PathBuf>], path: &Path) -> Result<(), AggregateError> {
    let io = |e: std::io::Error| AggregateError::Io(format!("cannot write {}: {e}", path.display()));
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    let mut round_offset = 0u64;
    for (part, events) in parts.iter().zip(events) {
        let index = part.index();
        if let Some(events) = events {
            let file =
                File::open(events).map_err(|e| AggregateError::Io(format!("cannot read {}: {e}", events.display())))?;
            for line in BufReader::new(file).lines() {
                let line = line.map_err(|e| AggregateError::Io(format!("cannot read {}: {e}", events.display())))?;
                let Ok(serde_json::Value::Object(mut event)) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if let Some(round) = event.get("round").and_then(|r| r.as_u64()) {
                    event.insert("round".into(), (round + round_offset).into());
                }
                event.insert("shard".into(), index.into());
                let text = serde_json::to_string(&event).map_err(|e| AggregateError::Io(e.to_string()))?;
                writeln!(out, "{text}").map_err(io)?;
            }
        }
        round_offset += u64::from(part.rounds());
    }
    out.flush().map_err(io)
}
