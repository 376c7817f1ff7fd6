//! The rules for one workload. Reasons are written for the platform team reading the check: they say
//! what was (not) tested and why, in the workload's own unit (restores, sandboxes, transfers).

use crate::report::RunResult;
use crate::report::{ThresholdResult, Verdict, WorkloadResult};

pub(super) struct Decision {
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

/// What one operation of a workload is, for reasons people can read.
pub fn unit(workload: &str) -> &'static str {
    match workload {
        "checkpoint" => "restores",
        "lifecycle" => "sandboxes",
        "storage" | "object-storage" => "transfers",
        "contention" => "writes",
        _ => "operations",
    }
}

/// The workload a metric belongs to: its first dotted segment.
pub(super) fn owner(metric: &str) -> &str {
    metric.split('.').next().unwrap_or(metric)
}

/// A threshold that did not hold: crossed fails, no data is inconclusive (never a pass).
pub(super) fn threshold_line(t: &ThresholdResult) -> (Verdict, String) {
    match (&t.value, &t.measured) {
        (None, measured) => (
            Verdict::Inconclusive,
            format!(
                "threshold `{}` has no data: {}",
                t.expr,
                measured
                    .as_deref()
                    .map(|m| m.strip_prefix("no data: ").unwrap_or(m))
                    .unwrap_or("the run measured nothing for it")
            ),
        ),
        (Some(v), measured) => (
            Verdict::Fail,
            format!(
                "threshold `{}` crossed: measured {}",
                t.expr,
                measured.clone().unwrap_or_else(|| format!("{v}"))
            ),
        ),
    }
}

pub(super) fn decide(name: &str, result: &RunResult) -> Decision {
    let Some(w) = result.workloads.get(name) else {
        return Decision {
            verdict: Verdict::Inconclusive,
            reasons: vec!["nothing ran".into()],
            warnings: Vec::new(),
        };
    };
    let unit = unit(name);
    let mut fail = Vec::new();
    let mut inconclusive = Vec::new();
    let is_chaos = name == "chaos";
    if is_chaos {
        chaos_scenarios(result, &mut fail, &mut inconclusive);
    }
    if fail.is_empty() {
        counted_failures(name, w, result, &mut fail);
    }
    if name == "checkpoint" {
        self_test(result, &mut fail, &mut inconclusive);
    }
    for t in result.thresholds.iter().filter(|t| !t.ok && owner(t.metric()) == name) {
        match threshold_line(t) {
            (Verdict::Fail, line) => fail.push(line),
            (_, line) => inconclusive.push(line),
        }
    }
    let provider_died = result
        .provider_failure
        .as_ref()
        .filter(|pf| pf.workloads.iter().any(|n| n == name));
    if let Some(pf) = provider_died {
        inconclusive.push(pf.message.clone());
    }
    // A workload that already fails needs no "nothing verified" on top (its operations were corrupted),
    // and one the provider's death explains needs no second line about the failures it caused.
    if !is_chaos && fail.is_empty() && provider_died.is_none() {
        untested(
            w,
            unit,
            deliberate_faults(name, result),
            result.config.max_infra_rate,
            &mut inconclusive,
        );
    }
    let mut warnings = Vec::new();
    if w.leaked > 0 {
        warnings.push(format!(
            "{} {} leaked: left alive by the platform and removed by the final sweep",
            w.leaked,
            match name {
                "storage" => "files",
                "object-storage" => "objects",
                _ => "sandboxes",
            }
        ));
    }
    let (verdict, reasons) = if !fail.is_empty() {
        (Verdict::Fail, fail.into_iter().chain(inconclusive).collect())
    } else if !inconclusive.is_empty() {
        (Verdict::Inconclusive, inconclusive)
    } else {
        (Verdict::Pass, vec![pass_line(w, unit)])
    };
    Decision {
        verdict,
        reasons,
        warnings,
    }
}

fn counted_failures(name: &str, w: &WorkloadResult, result: &RunResult, fail: &mut Vec<String>) {
    let unit = unit(name);
    if w.corrupted > 0 {
        let (injected, wrong) = match (name, &result.checkpoint) {
            ("checkpoint", Some(cp)) => (
                cp.injection.values().map(|c| c.detected).sum::<u64>(),
                cp.wrong_checkpoints(),
            ),
            _ => (0, 0),
        };
        let mut notes = Vec::new();
        if wrong > 0 {
            notes.push(format!(
                "{wrong} restored the wrong checkpoint: another round's marker or commit"
            ));
        }
        if injected > 0 {
            notes.push(format!("{injected} of them injected by the self-test and detected"));
        }
        let note = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        fail.push(format!("{} of {} {unit} corrupted{note}", w.corrupted, w.planned));
    }
    if w.lost > 0 {
        fail.push(format!("{} {unit} lost (planned but never reported)", w.lost));
    }
}

/// The self-test proves the detectors: damage that went unnoticed fails the run, and damage that
/// could not be applied tested nothing, so it cannot count as a pass either.
fn self_test(result: &RunResult, fail: &mut Vec<String>, inconclusive: &mut Vec<String>) {
    let Some(cp) = &result.checkpoint else { return };
    let injected: u64 = cp.injection.values().map(|c| c.injected).sum();
    let missed: Vec<(&String, u64)> = cp
        .injection
        .iter()
        .map(|(kind, c)| (kind, c.missed.max(c.injected.saturating_sub(c.detected))))
        .filter(|(_, m)| *m > 0)
        .collect();
    if !missed.is_empty() {
        let total: u64 = missed.iter().map(|(_, m)| m).sum();
        let kinds: Vec<String> = missed.iter().map(|(k, m)| format!("{k} {m}")).collect();
        fail.push(format!(
            "detector missed {total} of {injected} injected damages ({})",
            kinds.join(", ")
        ));
    }
    let unapplied: Vec<(&String, u64)> = cp
        .injection
        .iter()
        .filter(|(_, c)| c.unapplied > 0)
        .map(|(k, c)| (k, c.unapplied))
        .collect();
    if !unapplied.is_empty() {
        let total: u64 = unapplied.iter().map(|(_, m)| m).sum();
        let kinds: Vec<String> = unapplied.iter().map(|(k, m)| format!("{k} {m}")).collect();
        inconclusive.push(format!(
            "the self-test could not apply {total} damages ({}): the detectors were not tested on them",
            kinds.join(", ")
        ));
    }
}

/// Every scenario decides for itself; the chaos workload is the worst of them.
fn chaos_scenarios(result: &RunResult, fail: &mut Vec<String>, inconclusive: &mut Vec<String>) {
    let Some(chaos) = &result.chaos else {
        inconclusive.push("no chaos scenario ran".into());
        return;
    };
    if chaos.scenarios.iter().all(|s| s.runs == 0) {
        inconclusive.push("no chaos scenario ran".into());
        return;
    }
    for s in &chaos.scenarios {
        let verdict = s.verdict.unwrap_or(if s.runs > 0 && s.passed == s.runs {
            Verdict::Pass
        } else {
            Verdict::Fail
        });
        let why = if s.reasons.is_empty() {
            s.failures.join("; ")
        } else {
            s.reasons.join("; ")
        };
        let line = format!("scenario {} {}: {why}", s.name, verdict.as_str());
        match verdict {
            Verdict::Fail => fail.push(line),
            Verdict::Inconclusive => inconclusive.push(line),
            Verdict::Pass => {}
        }
    }
}

/// Operations the tool failed on purpose (writes killed by the `kill9` fault schedule): they are
/// infra outcomes, but the platform did not cause them, so they do not count against its budget.
fn deliberate_faults(name: &str, result: &RunResult) -> u64 {
    match (name, &result.contention) {
        ("contention", Some(c)) => c.kills,
        _ => 0,
    }
}

/// A workload that verified nothing tested nothing; one whose platform failed too often was not
/// really tested either.
fn untested(w: &WorkloadResult, unit: &str, deliberate: u64, max_infra_rate: f64, inconclusive: &mut Vec<String>) {
    let platform_infra = w.infra.saturating_sub(deliberate);
    let rate = if w.planned == 0 {
        0.0
    } else {
        platform_infra as f64 / w.planned as f64
    };
    if w.planned == 0 {
        inconclusive.push("nothing ran".into());
    } else if w.verified == 0 {
        let mut line = format!("0 of {} {unit} verified", w.planned);
        if w.infra > 0 {
            line.push_str(&format!(" — {} infra ({})", w.infra, classes(w)));
            if let Some(first) = &w.first_infra {
                line.push_str(&format!("; first: {first}"));
            }
        }
        inconclusive.push(line);
    } else if rate > max_infra_rate {
        let own = if deliberate > 0 {
            format!(", not counting {deliberate} the fault schedule caused")
        } else {
            String::new()
        };
        inconclusive.push(format!(
            "infra errors on {:.1}% of {unit} ({} of {}: {}{own}) exceed --max-infra-rate {:.1}%",
            rate * 100.0,
            platform_infra,
            w.planned,
            classes(w),
            max_infra_rate * 100.0
        ));
    }
}

fn classes(w: &WorkloadResult) -> String {
    if w.infra_classes.is_empty() {
        return "class unknown".into();
    }
    w.infra_classes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pass_line(w: &WorkloadResult, unit: &str) -> String {
    let mut line = format!("{} of {} {unit} verified", w.verified, w.planned);
    if w.infra > 0 {
        line.push_str(&format!(", {} infra ({:.1}%)", w.infra, w.infra_rate() * 100.0));
    }
    line
}
