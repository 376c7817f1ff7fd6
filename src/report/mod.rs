//! The one model every later step reads (`report.json`), the verdict rules, and the console view.

pub mod console_view;
pub mod console_workloads;
pub mod export;
pub mod model;
pub mod model_chaos;
pub mod model_contention;
pub mod model_shard;
pub mod model_workloads;
pub mod thresholds;
pub mod verdict;

pub use model::{CheckpointReport, ConfigSnapshot, RoundReport, RunResult, Totals, SCHEMA_VERSION};
pub use model_shard::{AggregateInfo, HostStats, ShardInfo, ShardSummary};
pub use model_workloads::{LifecycleReport, ModeReport, StatusCounts, StorageReport, StorageSizeReport, TimelinePoint};
pub use verdict::{judge, ProviderFailure, RetryStats, ThresholdResult, Verdict, WorkloadResult};
