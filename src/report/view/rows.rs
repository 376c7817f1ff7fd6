//! The rows several outputs list: one per workload, per threshold, per kind of provider call.

use crate::report::{RetryStats, RunResult, ThresholdResult, Verdict};

/// One workload, judged on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadRow<'a> {
    pub name: &'a str,
    pub verdict: Verdict,
    pub verified: u64,
    pub planned: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub lost: u64,
    /// Why, joined with "; ".
    pub why: String,
}

/// Workloads in the order they ran (`config.workloads`); any the config does not name follow.
pub fn workloads(result: &RunResult) -> Vec<WorkloadRow<'_>> {
    let order = &result.config.workloads;
    let mut names: Vec<&String> = result.workloads.keys().collect();
    names.sort_by_key(|n| order.iter().position(|o| o == *n).unwrap_or(usize::MAX));
    names
        .into_iter()
        .map(|name| {
            let w = &result.workloads[name];
            WorkloadRow {
                name,
                verdict: w.verdict,
                verified: w.verified,
                planned: w.planned,
                corrupted: w.corrupted,
                infra: w.infra,
                lost: w.lost,
                why: w.reasons.join("; "),
            }
        })
        .collect()
}

pub fn warnings(result: &RunResult) -> Vec<String> {
    result
        .workloads
        .iter()
        .flat_map(|(name, w)| w.warnings.iter().map(move |line| format!("{name}: {line}")))
        .collect()
}

/// Whether a threshold held. No data is never a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdStatus {
    Held,
    Crossed,
    NoData,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdRow<'a> {
    pub expr: &'a str,
    pub status: ThresholdStatus,
    /// The measured value (`812 ms`), or for no data why there is none; `-` when the report says
    /// nothing.
    pub measured: &'a str,
}

pub fn thresholds(result: &RunResult) -> Vec<ThresholdRow<'_>> {
    result.thresholds.iter().map(threshold_row).collect()
}

fn threshold_row(t: &ThresholdResult) -> ThresholdRow<'_> {
    let measured = t.measured.as_deref().unwrap_or("-");
    let (status, measured) = match (t.ok, t.value) {
        (true, _) => (ThresholdStatus::Held, measured),
        (false, Some(_)) => (ThresholdStatus::Crossed, measured),
        (false, None) => (
            ThresholdStatus::NoData,
            measured.strip_prefix("no data: ").unwrap_or(measured),
        ),
    };
    ThresholdRow {
        expr: &t.expr,
        status,
        measured,
    }
}

/// The protocol's order of calls; kinds it does not name follow alphabetically.
pub const CALL_ORDER: [&str; 8] = [
    "create",
    "exec",
    "write_file",
    "read_file",
    "checkpoint",
    "restore",
    "destroy",
    "delete_checkpoint",
];

#[derive(Clone, Debug, PartialEq)]
pub struct RetryRow<'a> {
    pub call: &'a str,
    pub stats: RetryStats,
}

/// Every kind of call, shown only when something was retried: bounded retries otherwise hide a
/// platform that fails 40 % of first attempts.
pub fn retries(result: &RunResult) -> Vec<RetryRow<'_>> {
    if result.retries.values().all(|r| r.retried == 0) {
        return Vec::new();
    }
    let mut calls: Vec<RetryRow<'_>> = result
        .retries
        .iter()
        .map(|(call, stats)| RetryRow { call, stats: *stats })
        .collect();
    calls.sort_by_key(|r| CALL_ORDER.iter().position(|o| *o == r.call).unwrap_or(CALL_ORDER.len()));
    calls
}
