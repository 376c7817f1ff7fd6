//! Report section of the checkpoint workload: latency over all rounds, one entry per round, and what
//! the self-test injected and how much of it the checks caught.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::LatencySummary;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub rounds: Vec<RoundReport>,
    pub restore_ms: LatencySummary,
    pub verify_ms: LatencySummary,
    /// Self-test damage by kind: how many were injected and how many the checks caught.
    #[serde(default)]
    pub injection: BTreeMap<String, InjectionCount>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InjectionCount {
    /// Damages applied and confirmed (the object is gone, the marker's hash changed).
    pub injected: u64,
    pub detected: u64,
    /// Confirmed damages the checks did not catch: any fails the run.
    #[serde(default)]
    pub missed: u64,
    /// Damages that tested nothing, so the run cannot pass: not applied, not confirmed, or confirmed
    /// but the checks could not look at them (infra).
    #[serde(default)]
    pub unapplied: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RoundReport {
    pub round: u32,
    pub checkpoint_id: Option<String>,
    pub marker_sha256: String,
    pub commit: Option<String>,
    pub setup_ms: f64,
    /// Why the round could not be set up; its restores then count as infra (or corrupted, if the
    /// marker was already wrong before the checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    pub restores: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    /// Restored sandboxes the provider failed to destroy (a leak on the platform, not corruption).
    #[serde(default)]
    pub destroy_failures: u64,
    pub restore_ms: LatencySummary,
    pub verify_ms: LatencySummary,
}
