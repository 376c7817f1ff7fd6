//! The facts in report.json that can move a verdict besides the outcome counts: how each workload
//! ended, how often calls had to be retried, which thresholds held, and whether the provider died.
//!
//! They live in the report (not only in the running process) so `aggregate` and `report` re-judge a
//! run from its directory alone and reach the same verdict. The rules that decide are in
//! `report::verdict`; this is only what they decide and from what.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// fail > inconclusive > pass.
    fn severity(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Inconclusive => 1,
            Verdict::Fail => 2,
        }
    }

    pub fn worst(self, other: Verdict) -> Verdict {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

/// One workload's own verdict: decided from its counts alone, so successes of one workload never
/// hide another that tested nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    pub verdict: Verdict,
    /// Why, one line each; the first is the headline.
    pub reasons: Vec<String>,
    pub planned: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub lost: u64,
    /// Sandboxes (or files) the workload left behind that the final sweep had to remove.
    #[serde(default)]
    pub leaked: u64,
    /// Infra failures of this workload by class (`http_error_503`, `timeout`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub infra_classes: BTreeMap<String, u64>,
    /// The first infra failure's detail, so "nothing verified" says what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_infra: Option<String>,
    /// Things a reader should know that do not change the verdict (leaks, by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl WorkloadResult {
    /// A workload's counts before it is judged (`verdict` is filled by `report::verdict::judge`).
    pub fn counted(planned: u64, verified: u64, corrupted: u64, infra: u64, lost: u64) -> Self {
        Self {
            verdict: Verdict::Inconclusive,
            reasons: Vec::new(),
            planned,
            verified,
            corrupted,
            infra,
            lost,
            leaked: 0,
            infra_classes: BTreeMap::new(),
            first_infra: None,
            warnings: Vec::new(),
        }
    }

    pub fn infra_rate(&self) -> f64 {
        if self.planned == 0 {
            0.0
        } else {
            self.infra as f64 / self.planned as f64
        }
    }

    /// Adds another shard's counts of the same workload (the verdict is judged again afterwards).
    pub fn add(&mut self, other: &WorkloadResult) {
        self.planned += other.planned;
        self.verified += other.verified;
        self.corrupted += other.corrupted;
        self.infra += other.infra;
        self.lost += other.lost;
        self.leaked += other.leaked;
        for (k, v) in &other.infra_classes {
            *self.infra_classes.entry(k.clone()).or_default() += v;
        }
        if self.first_infra.is_none() {
            self.first_infra = other.first_infra.clone();
        }
    }
}

/// How one kind of provider call fared: a platform that needs a retry on 40 % of creates is not
/// healthy even when every sandbox came up, so retries are counted, shown and gateable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryStats {
    /// Logical calls made (each counted once, however many attempts it took).
    pub calls: u64,
    /// Calls that needed more than one attempt.
    pub retried: u64,
    /// Attempts over all calls (`attempts >= calls`).
    pub attempts: u64,
    /// Calls that failed after their last attempt.
    pub gave_up: u64,
}

impl RetryStats {
    pub fn add(&mut self, other: &RetryStats) {
        self.calls += other.calls;
        self.retried += other.retried;
        self.attempts += other.attempts;
        self.gave_up += other.gave_up;
    }

    /// Share of calls that succeeded on their first attempt.
    pub fn first_try_rate(&self) -> f64 {
        if self.calls == 0 {
            1.0
        } else {
            (self.calls - self.retried.min(self.calls)) as f64 / self.calls as f64
        }
    }
}

/// A threshold (`--threshold 'lifecycle.burst.tti.p95 < 2s'`) and what the run measured for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The expression as the user wrote it.
    pub expr: String,
    /// The metric in the unit the expression used; `null` when the run has no data for it.
    pub value: Option<f64>,
    /// `false` when crossed or when there was no data (then the verdict is inconclusive, not fail).
    pub ok: bool,
    /// The measured value as shown to people (`812 ms`, `4.2 %`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<String>,
}

impl ThresholdResult {
    /// The workload whose verdict a threshold moves: the first segment of its metric when that is a
    /// workload (`lifecycle.burst.tti.p95`), none for run-wide metrics (`retries.create.rate`).
    pub fn metric(&self) -> &str {
        self.expr
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '=')
            .next()
            .unwrap_or("")
    }
}

/// The provider stopped answering for good (a plugin that exited, a server gone for the rest of
/// the run): every workload it touched is inconclusive at best, with this one line as the reason
/// instead of one line per failed operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderFailure {
    pub message: String,
    /// Workloads that had operations after the provider died.
    pub workloads: Vec<String>,
}
