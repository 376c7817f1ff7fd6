//! `report.json`: versioned, self-contained, and the only input of every step after the run
//! (judging, views, exporters, publishers, `aggregate`, `compare`).
//!
//! A leaf: the model imports nothing else of the crate, so any module may read or build it without
//! pulling in how it was measured or how it is shown. One file per report section; the types a
//! section shares (latency summaries, verdicts) have their own.

mod capacity;
mod chaos;
mod checkpoint;
mod contention;
mod file;
mod host;
mod latency;
mod lifecycle;
mod object_storage;
mod shard;
mod source;
mod storage;
pub mod timeline;
mod timeseries;
mod timing;
mod verdict;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use capacity::{walk_to_knee, CapacityReport, SloReport, StepReport};
pub use chaos::{ChaosReport, FaultWindow, ScenarioReport};
pub use checkpoint::{CheckpointReport, InFlight, InjectionCount, RoundReport};
pub use contention::ContentionReport;
pub use file::{run_dirs, ReadError, REPORT_FILE};
pub use host::HostStats;
pub use latency::{decode_histogram, encode_histogram, histogram_bytes, new_histogram, LatencySummary, MAX_MICROS};
pub use lifecycle::{LifecycleReport, ModeReport, StatusCounts};
pub use object_storage::ObjectStorageReport;
pub use shard::{AggregateInfo, ShardInfo, ShardSummary};
pub use source::Source;
pub use storage::{StorageReport, StorageSizeReport};
pub use timeline::TimelinePoint;
pub use timeseries::{TimeSeries, Trend, WindowLatency, WindowReport, DRIFT_MIN_EFFECT};
pub use timing::{Phase, Timing, RENDERED_AFTER_REPORT};
pub use verdict::{ProviderFailure, RetryStats, ThresholdResult, Verdict, WorkloadResult};

/// Bumped when a field changes meaning or disappears; additions keep the version. Version 2 writes
/// the histograms compressed (V2 + DEFLATE); version 1 reports (uncompressed V2) are still read.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub schema_version: u32,
    pub tool_version: String,
    pub verdict: Verdict,
    pub verdict_reasons: Vec<String>,
    pub interrupted: bool,
    pub seed: u64,
    pub profile: String,
    pub provider: String,
    /// Which platform, region or instance type was measured (`--label`); what `leaderboard` ranks
    /// by. Empty in reports written before labels existed, where the provider kind stands in.
    #[serde(default)]
    pub label: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_s: f64,
    /// The repository, commit, ref, pull request and workflow run this run measured; empty in
    /// reports of older versions.
    #[serde(default)]
    pub source: Source,
    pub config: ConfigSnapshot,
    pub totals: Totals,
    /// Every selected workload judged on its own; the run's `verdict` is the worst of them.
    #[serde(default)]
    pub workloads: BTreeMap<String, WorkloadResult>,
    /// Provider calls by kind (`create`, `exec`, ...): how many needed a retry or gave up.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retries: BTreeMap<String, RetryStats>,
    /// `--threshold` expressions and what the run measured for each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<ThresholdResult>,
    /// Set when the provider died for good during the run (a plugin that exited, a server gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_failure: Option<ProviderFailure>,
    /// Infra failures by class (`timeout`, `http_error_502`, ...).
    pub infra_classes: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage: Option<ObjectStorageReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contention: Option<ContentionReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<ChaosReport>,
    /// Every latency histogram as base64 HdrHistogram V2 + DEFLATE (V2 in schema version 1), keyed
    /// `<workload>.<scope>.<metric>`.
    pub histograms: BTreeMap<String, String>,
    /// Per histogram, how many of its operations were in flight at once on average (at least 1):
    /// `compare` counts its samples as `count / overlap` independent ones. Absent in older reports
    /// (read as 1: one at a time).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub histogram_overlap: BTreeMap<String, f64>,
    /// Facts about the platform worth knowing when reading numbers (e.g. `clone_mode: copy`).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Set when this run was one shard of a matrix (`run --shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Set on the report `stress-action aggregate` writes: the shards it merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateInfo>,
    /// A timed run (`--duration`, `--ramp`) cut into `--window`s, with the trend of its latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries: Option<TimeSeries>,
    /// The tool's own peak memory, CPU time and open files (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostStats>,
    /// Where the run's wall time went (absent in reports of older versions and in aggregates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

impl RunResult {
    /// The label, or for reports older than labels the provider kind.
    pub fn display_label(&self) -> &str {
        if self.label.is_empty() {
            &self.provider
        } else {
            &self.label
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigSnapshot {
    pub restores: u32,
    pub rounds: u32,
    pub concurrency: u32,
    /// Checkpoint rounds in flight at once (`--round-concurrency`); absent in reports written
    /// before rounds could overlap, which ran one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_concurrency: Option<u32>,
    pub marker_size_mb: f64,
    pub inject_corruption: f64,
    pub max_infra_rate: f64,
    pub exec_timeout_ms: u64,
    /// Workloads that were selected, in run order.
    #[serde(default)]
    pub workloads: Vec<String>,
    #[serde(default)]
    pub lifecycle_modes: Vec<String>,
    #[serde(default)]
    pub lifecycle_count: u64,
    #[serde(default)]
    pub burst_size: u64,
    #[serde(default)]
    pub stagger_ms: u64,
    #[serde(default)]
    pub ready_cmd: String,
    #[serde(default)]
    pub storage_sizes_mb: Vec<f64>,
    #[serde(default)]
    pub storage_iterations: u32,
    /// The object-storage workload's sizes and iterations (absent when it did not run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_storage_sizes_mb: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage_iterations: Option<u32>,
    /// Lifecycle requests in flight at once (`--max-in-flight`), and whether the open-file limit
    /// chose it; absent in reports written before the cap existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight_auto: Option<bool>,
    /// `--duration` in seconds, `--rate` per second, `--arrivals`, `--ramp`: how a timed run paced
    /// its arrivals (absent in count-based runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<String>,
    /// `--threshold` expressions, kept so `aggregate` can evaluate them on the merged histograms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<String>,
}

/// `planned == verified + corrupted + infra + lost`. `planned` counts operations issued; when a run is
/// interrupted, what was never issued is `cancelled`, not lost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub planned: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub lost: u64,
    #[serde(default)]
    pub cancelled: u64,
    #[serde(default)]
    pub injected: u64,
    #[serde(default)]
    pub injected_detected: u64,
}
