//! Report section of the checkpoint workload: latency over all rounds (checkpoint request to ready,
//! restore, verify), how many checkpoints were in flight over time, one entry per round, and what
//! the self-test injected and how much of it the checks caught.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LatencySummary, TimelinePoint};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub rounds: Vec<RoundReport>,
    /// Checkpoint request to ready, polling included: the number vendors publish as snapshot
    /// creation time, and the one that degrades first when many sandboxes snapshot at once.
    /// From the `checkpoint.all.checkpoint_ms` histogram (absent in reports of older versions).
    #[serde(default)]
    pub checkpoint_ms: LatencySummary,
    /// Checkpoints in flight over time (requested, not yet ready or failed), with the peak: whether
    /// a storm really took its checkpoints together.
    #[serde(default)]
    pub in_flight: InFlight,
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

/// How many operations were in flight over time, in the form of a lifecycle mode's timeline (an
/// exact step function), so shards' timelines merge on the wall clock the same way.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InFlight {
    /// The exact highest number in flight at any instant.
    pub peak: u64,
    /// The time-weighted mean over the workload's span.
    #[serde(default)]
    pub mean: f64,
    /// Number in flight at every change, closed by a last point at the end.
    #[serde(default)]
    pub timeline: Vec<TimelinePoint>,
    /// Wall-clock instant the timeline's `t_ms` counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RoundReport {
    pub round: u32,
    pub checkpoint_id: Option<String>,
    pub marker_sha256: String,
    pub commit: Option<String>,
    pub setup_ms: f64,
    /// This round's checkpoint, request to ready (polling included); absent when it never became
    /// ready (and in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_ms: Option<f64>,
    /// Why the round could not be set up; its restores then count as infra (or corrupted, if the
    /// marker was already wrong before the checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    pub restores: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    /// Corrupted restores that held another round's marker and commit: the platform handed back
    /// the wrong checkpoint (a mix-up under concurrency), not a damaged one.
    #[serde(default)]
    pub wrong_checkpoint: u64,
    /// Restored sandboxes the provider failed to destroy (a leak on the platform, not corruption).
    #[serde(default)]
    pub destroy_failures: u64,
    pub restore_ms: LatencySummary,
    pub verify_ms: LatencySummary,
}

impl CheckpointReport {
    /// Restores over all rounds that came back holding another round's checkpoint.
    pub fn wrong_checkpoints(&self) -> u64 {
        self.rounds.iter().map(|r| r.wrong_checkpoint).sum()
    }

    /// Rounds whose checkpoint became ready.
    pub fn checkpoints_ready(&self) -> u64 {
        self.rounds.iter().filter(|r| r.checkpoint_id.is_some()).count() as u64
    }
}
