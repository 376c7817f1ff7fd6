//! Report section of the chaos workload: one entry per fault scenario, with how often it ran and
//! passed, so a flaky platform shows as a pass rate below 100 % instead of a lucky green run.

use serde::{Deserialize, Serialize};

use super::Verdict;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChaosReport {
    /// How many times every scenario was run (`--repeat`).
    pub repeat: u32,
    pub scenarios: Vec<ScenarioReport>,
    /// When each scenario run had its fault armed, on the wall clock: the time-series chart shades
    /// these spans, so a latency spike or a success dip can be read against the fault that caused
    /// it. Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_windows: Vec<FaultWindow>,
}

/// One scenario run, from its setup to its last check: the span its fault could fire in.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FaultWindow {
    /// The fault (`kill9`, `latency`, ...), as in [`ScenarioReport::name`].
    pub scenario: String,
    /// Which run of the scenario (1-based, up to `--repeat`).
    pub run: u32,
    pub started_at: String,
    pub duration_s: f64,
    /// Faults that hit a request in this run.
    pub faults_injected: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// The fault (`kill9`, `restart-server`, `latency`, `reset`, `5xx`, `unquiesced-checkpoint`).
    pub name: String,
    /// The workload the fault was applied to (`contention` or `checkpoint`).
    pub workload: String,
    pub runs: u32,
    /// Runs that passed: the fault hit, something was verified, nothing corrupted or lost.
    pub passed: u32,
    /// The worst run's verdict: corrupted or lost fail; a fault that never hit, nothing verified
    /// or a failed setup is inconclusive. Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    pub pass_rate: f64,
    /// Faults that hit a request, not windows opened: requests the child `serve` faulted (latency,
    /// reset, 5xx), writes killed by `kill9`, restarts that failed requests, checkpoints taken while
    /// the torn writer ran.
    pub faults_injected: u64,
    /// Operations in flight at a fault whose effect is unknown (allowed either way).
    pub indeterminate: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub lost: u64,
    /// Why runs did not pass, one line per such run (`run 2: the fault never hit a request: …`).
    #[serde(default)]
    pub failures: Vec<String>,
}
