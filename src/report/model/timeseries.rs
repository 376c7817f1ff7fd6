//! Report section of a timed run: the run cut into windows, and the trend of each headline
//! latency from the first third of the windows to the last.
//!
//! Each window keeps its own HdrHistograms (base64 V2, like the run's), so the windows merge
//! exactly into the totals and a later reader can recompute anything shown here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TimeSeries {
    /// Width of every window in seconds (`--window`).
    pub window_s: f64,
    /// Wall-clock instant the first window starts at.
    pub started_at: String,
    pub windows: Vec<WindowReport>,
    /// Per headline latency key (`lifecycle.staggered.tti_ms`): the p95 of the last third of the
    /// windows against the first third.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trends: BTreeMap<String, Trend>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WindowReport {
    /// Seconds from `started_at` to this window's start.
    pub t_s: f64,
    /// Operations whose scheduled start fell in the window.
    pub launched: u64,
    /// Operations that ended in the window, and how.
    pub ended: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    /// `verified / ended`; absent when nothing ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_rate: Option<f64>,
    /// Most sandboxes alive at once in the window.
    pub alive: u64,
    /// The client's own resident memory and open descriptors, sampled in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_fds: Option<u64>,
    /// Headline latencies that ended in the window.
    #[serde(default)]
    pub latency: BTreeMap<String, WindowLatency>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WindowLatency {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// The window's HdrHistogram, base64 V2.
    pub histogram: String,
}

/// Whether a latency degraded over the run: the p95 of the last third of the windows against the
/// first third, each with a 95 % confidence interval from its histogram (distribution-free, from
/// the binomial order statistics), and `degraded` when the last third's interval lies wholly above
/// the first's and the ratio is at least [`DRIFT_MIN_EFFECT`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trend {
    pub first_p95: f64,
    pub first_ci: [f64; 2],
    pub first_count: u64,
    pub last_p95: f64,
    pub last_ci: [f64; 2],
    pub last_count: u64,
    /// `last_p95 / first_p95`: 1 is flat, 1.5 half as slow again.
    pub drift: f64,
    pub degraded: bool,
}

/// The smallest drift called a degradation, however significant: 10 % slower.
pub const DRIFT_MIN_EFFECT: f64 = 1.1;
