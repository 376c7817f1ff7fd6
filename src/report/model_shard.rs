//! Report sections about where a run ran: which shard of a matrix it was, what the aggregate was
//! made of, and how hard the tool itself worked (so users see when their runner was the bottleneck).

use serde::{Deserialize, Serialize};

use super::Verdict;

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

/// The tool's own footprint during the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostStats {
    /// Peak resident set size of the process, from getrusage.
    pub peak_rss_mb: f64,
    /// User + system CPU time of the process.
    pub cpu_s: f64,
    /// Highest number of open file descriptors seen (see `fds_source`).
    pub max_open_fds: u64,
    /// `sampled`: counted in /proc/self/fd every 200 ms during the run (a peak between samples can be
    /// missed); `rlimit`: /proc was not readable and `max_open_fds` is the soft limit instead.
    pub fds_source: String,
    /// The soft RLIMIT_NOFILE: the ceiling a burst runs into.
    pub fd_limit: u64,
    /// Logical CPUs the tool could use.
    #[serde(default)]
    pub cpus: u64,
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
