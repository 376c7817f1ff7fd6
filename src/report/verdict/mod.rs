//! Turning a run's records into pass / fail / inconclusive.
//!
//! Each workload is judged on its own ([`workload`]) and the run takes the worst of them
//! (fail > inconclusive > pass): summing across workloads would let 30 lifecycle successes hide 10
//! restores that were never tested. Corruption and loss always fail; a workload that verified
//! nothing, or whose infra errors exceed `--max-infra-rate`, is inconclusive; an interrupted run is
//! never a pass. The judge reads only the report, so `aggregate` re-judges merged shards the same way.

mod workload;

use super::{RunResult, Verdict};

/// Judges every workload in `result.workloads` and the run as a whole, in place.
///
/// Expects the counts, sections, thresholds and provider facts to be filled in; overwrites
/// `verdict`, `verdict_reasons` and every workload's `verdict`, `reasons` and `warnings`.
pub fn judge(result: &mut RunResult) {
    let names: Vec<String> = result.workloads.keys().cloned().collect();
    for name in &names {
        let decision = workload::decide(name, result);
        if let Some(w) = result.workloads.get_mut(name) {
            w.verdict = decision.verdict;
            w.reasons = decision.reasons;
            w.warnings = decision.warnings;
        }
    }
    let (verdict, reasons) = combine(result);
    result.verdict = verdict;
    result.verdict_reasons = reasons;
}

/// The worst workload's verdict, with every non-passing workload's reasons (failures first), then
/// the run-wide rules: thresholds on no workload, an interrupted run.
fn combine(result: &RunResult) -> (Verdict, Vec<String>) {
    let mut verdict = Verdict::Pass;
    let mut fail = Vec::new();
    let mut inconclusive = Vec::new();
    for (name, w) in &result.workloads {
        verdict = verdict.worst(w.verdict);
        let lines = w.reasons.iter().map(|r| format!("{name}: {r}"));
        match w.verdict {
            Verdict::Fail => fail.extend(lines),
            Verdict::Inconclusive => inconclusive.extend(lines),
            Verdict::Pass => {}
        }
    }
    for t in result.thresholds.iter().filter(|t| !t.ok) {
        if result.workloads.contains_key(workload::owner(t.metric())) {
            continue;
        }
        let (v, line) = workload::threshold_line(t);
        verdict = verdict.worst(v);
        match v {
            Verdict::Fail => fail.push(line),
            _ => inconclusive.push(line),
        }
    }
    if result.workloads.is_empty() && verdict == Verdict::Pass {
        verdict = Verdict::Inconclusive;
        inconclusive.push("no workload ran".to_string());
    }
    let mut reasons: Vec<String> = fail.into_iter().chain(inconclusive).collect();
    if result.interrupted {
        let t = &result.totals;
        verdict = verdict.worst(Verdict::Inconclusive);
        reasons.push(format!(
            "interrupted after {} of {} operations",
            t.planned,
            t.planned + t.cancelled
        ));
    }
    if verdict == Verdict::Pass {
        let t = &result.totals;
        reasons.push(format!(
            "{} of {} operations verified in {} workload{}",
            t.verified,
            t.planned,
            result.workloads.len(),
            if result.workloads.len() == 1 { "" } else { "s" }
        ));
    }
    (verdict, reasons)
}

#[cfg(test)]
mod tests;
