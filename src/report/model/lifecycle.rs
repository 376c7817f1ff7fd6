//! Report section of the lifecycle workload: one entry per mode that ran, in the shape report.json
//! promises.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CapacityReport, LatencySummary, TimelinePoint};

/// Sandbox creation benchmarks, one entry per mode that ran.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LifecycleReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<ModeReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staggered: Option<ModeReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<ModeReport>,
    /// The capacity search of a `--ramp` run (its staggered mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityReport>,
}

impl LifecycleReport {
    /// The modes that ran, in their canonical order, with their names.
    pub fn modes(&self) -> Vec<(&'static str, &ModeReport)> {
        [
            ("sequential", &self.sequential),
            ("staggered", &self.staggered),
            ("burst", &self.burst),
        ]
        .into_iter()
        .filter_map(|(name, m)| m.as_ref().map(|m| (name, m)))
        .collect()
    }
}

/// How each sandbox of a mode ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// Created, ready, and alive at the end.
    pub success: u64,
    /// Ready, then failed the liveness probe.
    pub partial: u64,
    /// Created, but the first command failed.
    pub readiness_failed: u64,
    /// Creation failed.
    pub failed: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModeReport {
    pub count: u64,
    pub status: StatusCounts,
    /// Failures by infra class, with the HTTP status kept (`http_error_503`).
    pub failure_class: BTreeMap<String, u64>,
    pub create_ms: LatencySummary,
    pub first_command_ms: LatencySummary,
    /// Time to interactive: create + first command, measured from the scheduled start.
    pub tti_ms: LatencySummary,
    pub destroy_ms: LatencySummary,
    #[serde(default)]
    pub destroy_failures: u64,
    /// Failed destroys by infra class; those sandboxes are left to the final sweep.
    #[serde(default)]
    pub destroy_failure_class: BTreeMap<String, u64>,
    /// Sandboxes this run had to destroy in the final sweep (should be 0).
    #[serde(default)]
    pub swept: u64,
    /// First request to last ready.
    pub wall_clock_ms: f64,
    pub time_to_first_ready_ms: Option<f64>,
    pub peak_concurrency: u64,
    #[serde(default)]
    pub mean_concurrency: f64,
    /// Sandboxes alive over time: an exact step function, bounded in points (see [`super::timeline`]).
    pub timeline: Vec<TimelinePoint>,
    /// Wall-clock instant the timeline's `t_ms` counts from, so shards' timelines can be merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

impl ModeReport {
    pub fn success_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.status.success as f64 / self.count as f64
        }
    }
}
