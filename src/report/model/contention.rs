//! Report section of the contention workload.

use serde::{Deserialize, Serialize};

use super::LatencySummary;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContentionReport {
    /// The built-in demo store, when one was used (`flock` or `naive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub writers: u32,
    pub writes: u32,
    /// Writes whose command exited 0: the store promised to keep them.
    pub acknowledged: u64,
    /// Distinct expected ids found in the store.
    pub present: u64,
    /// Acknowledged writes missing from the store.
    pub lost: u64,
    /// Ids stored more than once.
    pub duplicates: u64,
    /// Records in the store that no writer wrote.
    pub unknown: u64,
    /// Write commands that exited non-zero (or died by a signal outside the `kill9` schedule): the
    /// store refused them, nothing was promised, so they are infra (`refused: exit N`), never lost.
    #[serde(default)]
    pub refused: u64,
    /// The name earlier versions gave `refused` (same value), kept for readers of older reports.
    pub failed: u64,
    /// Writes with no answer (timeout: a possible deadlock; platform error; killed by `kill9`):
    /// may go either way.
    pub indeterminate: u64,
    /// Writes killed mid-flight by the `kill9` fault schedule: faults that really hit a writer.
    #[serde(default)]
    pub kills: u64,
    /// Writers missing at least one acknowledged write: `[writer, lost]`.
    pub incomplete_writers: Vec<(u32, u64)>,
    pub write_ms: LatencySummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
}
