//! How hard the tool itself worked during a run, so users see when their runner (file descriptors,
//! CPU, memory), not the platform, was the bottleneck. `record::host` samples it.

use serde::{Deserialize, Serialize};

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
