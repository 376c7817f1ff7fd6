//! Report section of a capacity search (`--ramp`): every step of the rising rate, what it
//! achieved, and the knee, the highest offered rate the platform sustained.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CapacityReport {
    /// The ramp asked for, per second (this shard's share when sharded).
    pub from_per_s: f64,
    pub to_per_s: f64,
    pub over_s: f64,
    pub step_s: f64,
    pub steps_planned: u32,
    pub slo: SloReport,
    /// Steps in the order they ran.
    pub steps: Vec<StepReport>,
    /// The highest step that kept up and held the SLO; absent when none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knee: Option<StepReport>,
    /// The ramp stopped before its last step: two steps past the knee had failed.
    pub stopped_early: bool,
}

/// What a step had to hold.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SloReport {
    /// Achieved over offered rate at least this.
    pub keep_up: f64,
    /// p95 time to interactive at most this many ms (the factor times the lowest step's p95, or
    /// the `--slo` value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tti_p95_max_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tti_p95_factor: Option<f64>,
    pub min_success: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub index: u32,
    pub offered_per_s: f64,
    /// Sandboxes launched in the step.
    pub launched: u64,
    /// Sandboxes that ended verified in the step, per second.
    pub achieved_per_s: f64,
    /// Sandboxes that ended in the step (any outcome), and of those the verified ones.
    pub ended: u64,
    #[serde(default)]
    pub verified: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tti_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tti_p95_ms: Option<f64>,
    pub keeps_up: bool,
    pub slo_holds: bool,
    /// The step's time to interactive, base64 HdrHistogram: `aggregate` merges shards' steps from
    /// it exactly (a p95 of the union is no shard's p95). Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tti_histogram: Option<String>,
}

impl StepReport {
    pub fn passed(&self) -> bool {
        self.keeps_up && self.slo_holds
    }
}

impl SloReport {
    /// The p95 TTI a step may have: the SLO's milliseconds, or its factor times the lowest step's
    /// p95 (`baseline`); `None` while there is no baseline.
    pub fn limit(&self, baseline: Option<f64>) -> Option<f64> {
        self.tti_p95_max_ms
            .filter(|_| self.tti_p95_factor.is_none())
            .or_else(|| Some(self.tti_p95_factor? * baseline?))
    }

    /// Sets `keeps_up` and `slo_holds` of `step` from its numbers: the one rule of the live search
    /// and of `aggregate`, which re-decides merged steps. `slack_per_s` forgives completions that
    /// fell on the far side of a window's edge (one sandbox per half step, per shard).
    pub fn judge(&self, step: &mut StepReport, baseline: Option<f64>, slack_per_s: f64) {
        let tti_ok = match (self.limit(baseline), step.tti_p95_ms) {
            (Some(limit), Some(p95)) => p95 <= limit,
            _ => false,
        };
        step.keeps_up = step.achieved_per_s + slack_per_s >= self.keep_up * step.offered_per_s;
        step.slo_holds = tti_ok && step.success_rate.is_some_and(|s| s >= self.min_success);
    }
}

/// The knee of judged `steps` and whether the search stops before the last of them: the highest
/// step that passed, walking up until `stop_after` steps in a row have failed (a platform past its
/// knee only builds a queue). Returns (knee, steps walked).
pub fn walk_to_knee(steps: &[StepReport], stop_after: u32) -> (Option<StepReport>, usize) {
    let (mut knee, mut failed_in_a_row) = (None, 0);
    for (i, step) in steps.iter().enumerate() {
        if step.passed() {
            knee = Some(step.clone());
            failed_in_a_row = 0;
        } else {
            failed_in_a_row += 1;
        }
        if failed_in_a_row >= stop_after {
            return (knee, i + 1);
        }
    }
    (knee, steps.len())
}

impl CapacityReport {
    /// "sustainable: 140 sandboxes/s (p95 TTI 2.1 s, success 99.6 %)", or why there is no knee.
    pub fn headline(&self) -> String {
        match &self.knee {
            None => format!(
                "sustainable: none of the {} steps from {} sandboxes/s kept up and held the SLO",
                self.steps.len(),
                round1(self.from_per_s)
            ),
            Some(k) => format!(
                "sustainable: {} sandboxes/s (p95 TTI {}, success {:.1} %)",
                round1(k.offered_per_s),
                k.tti_p95_ms.map_or("n/a".to_string(), human_ms),
                k.success_rate.unwrap_or(0.0) * 100.0
            ),
        }
    }
}

fn round1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

fn human_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}
