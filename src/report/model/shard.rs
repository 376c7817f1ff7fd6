//! Report sections about sharded runs: which shard of a matrix a run was, and what an aggregate was
//! made of.

use serde::{Deserialize, Serialize};

use super::{HostStats, Verdict};

/// This run's place in a sharded run (`run --shard I/N`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based.
    pub index: u32,
    pub count: u32,
    pub group: String,
    /// The seed this shard's workloads used (derived from the report's `seed` and the index).
    #[serde(default)]
    pub seed: u64,
}

/// What an aggregate report was merged from (`stress-action aggregate`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AggregateInfo {
    pub group: String,
    pub count: u32,
    pub shards: Vec<ShardSummary>,
}

/// One merged shard, as its own report.json described it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardSummary {
    pub index: u32,
    /// Where the shard was read from (a directory or an s3:// URL).
    pub source: String,
    pub verdict: Verdict,
    pub started_at: String,
    pub duration_s: f64,
    pub planned: u64,
    pub corrupted: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostStats>,
}
