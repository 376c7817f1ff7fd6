//! Merging shard reports into one: what every report has (totals, verdict, run metadata) here, the
//! histograms in [`histograms`] (everything else is recomputed from them), and one module per
//! workload section.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

mod capacity;
mod checkpoint;
mod histograms;
mod lifecycle;
mod storage;
mod timeline;
mod timeseries;

use crate::report::encode_histogram;
use crate::report::{
    self, AggregateInfo, ConfigSnapshot, ProviderFailure, RetryStats, RunResult, ShardSummary, Totals, Verdict,
    WorkloadResult,
};
pub use histograms::{merge_histograms, MergedHistograms};

/// One shard's report and where it came from.
pub struct Part {
    pub source: String,
    pub result: RunResult,
}

impl Part {
    pub fn index(&self) -> u32 {
        self.result.shard.as_ref().map_or(0, |s| s.index)
    }

    /// Checkpoint rounds this shard ran: the aggregate numbers rounds shard after shard.
    pub fn rounds(&self) -> u32 {
        self.result
            .checkpoint
            .as_ref()
            .map_or(0, |c| c.rounds.iter().map(|r| r.round).max().unwrap_or(0))
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn sum_totals(parts: &[Part]) -> Totals {
    let mut t = Totals::default();
    for p in parts {
        let s = &p.result.totals;
        t.planned += s.planned;
        t.verified += s.verified;
        t.corrupted += s.corrupted;
        t.infra += s.infra;
        t.lost += s.lost;
        t.cancelled += s.cancelled;
        t.injected += s.injected;
        t.injected_detected += s.injected_detected;
    }
    t
}

/// The aggregate of `parts` (sorted by shard index). `missing` lists shard indexes that were not
/// found: the aggregate then fails, whatever the others say, because its totals are incomplete.
pub fn merge(parts: &[Part], group: &str, count: u32, missing: &[u32]) -> Result<RunResult, String> {
    let first = &parts.first().ok_or("no shard to merge")?.result;
    let hist = merge_histograms(parts)?;
    let capacity = capacity::merge(parts)?;
    let totals = sum_totals(parts);
    let interrupted = parts.iter().any(|p| p.result.interrupted);
    let started = parts.iter().filter_map(|p| parse_time(&p.result.started_at)).min();
    let finished = parts.iter().filter_map(|p| parse_time(&p.result.finished_at)).max();
    let (started_at, finished_at, duration_s) = match (started, finished) {
        (Some(s), Some(f)) => (fmt_time(s), fmt_time(f), (f - s).num_milliseconds() as f64 / 1000.0),
        _ => (first.started_at.clone(), first.finished_at.clone(), first.duration_s),
    };

    let mut environment = first.environment.clone();
    environment.insert("shards".into(), format!("{} of {count} (group {group})", parts.len()));

    let mut merged = RunResult {
        schema_version: report::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        verdict: Verdict::Inconclusive,
        verdict_reasons: Vec::new(),
        interrupted,
        seed: first.seed,
        profile: first.profile.clone(),
        provider: first.provider.clone(),
        label: first.label.clone(),
        started_at,
        finished_at,
        duration_s,
        // The shards' common source: a field they disagree on (the job of each shard) is left out.
        source: report::Source::common(parts.iter().map(|p| &p.result.source)),
        config: merged_config(parts, capacity.as_ref()),
        totals,
        workloads: merge_workloads(parts),
        retries: merge_retries(parts),
        // Evaluated below on the merged histograms: a p95 of the union is not any shard's p95.
        thresholds: Vec::new(),
        provider_failure: merge_provider_failures(parts),
        infra_classes: merged_infra_classes(parts),
        checkpoint: checkpoint::merge(parts, &hist),
        lifecycle: lifecycle::merge(parts, &hist).map(|mut lc| {
            lc.capacity = capacity.clone();
            lc
        }),
        storage: storage::merge(parts, &hist),
        // `--shard` refuses the object-storage workload like contention and chaos.
        object_storage: None,
        histograms: hist.map.iter().map(|(k, h)| (k.clone(), encode_histogram(h))).collect(),
        histogram_overlap: hist.overlap.clone(),
        environment,
        // `--shard` refuses the contention and chaos workloads, so shards never carry them.
        contention: None,
        chaos: None,
        shard: None,
        aggregate: Some(aggregate_info(parts, group, count)),
        host: None,
        timing: None,
        timeseries: timeseries::merge(parts)?,
    };
    report::thresholds::apply(&mut merged);
    report::verdict::judge(&mut merged);
    overrule_with_shards(&mut merged, parts, group, count, missing);
    Ok(merged)
}

/// The first shard's settings with the sizes and rates summed: what one run of the whole would have
/// asked for.
fn merged_config(parts: &[Part], capacity: Option<&report::CapacityReport>) -> ConfigSnapshot {
    let mut config = parts.first().map(|p| p.result.config.clone()).unwrap_or_default();
    config.restores = parts.iter().map(|p| p.result.config.restores).sum();
    config.rounds = parts.iter().map(|p| p.result.config.rounds).sum();
    config.lifecycle_count = parts.iter().map(|p| p.result.config.lifecycle_count).sum();
    config.burst_size = parts.iter().map(|p| p.result.config.burst_size).sum();
    config.storage_iterations = parts.iter().map(|p| p.result.config.storage_iterations).sum();
    config.thresholds = union_of_thresholds(parts);
    let rates: Vec<f64> = parts.iter().filter_map(|p| p.result.config.rate_per_s).collect();
    config.rate_per_s = (!rates.is_empty()).then(|| rates.iter().sum());
    if let (Some(ramp), Some(c)) = (&config.ramp, capacity) {
        // "5/s..20/s over 8 s in 4 steps" of one shard: the whole ramp's rates, the rest as it was.
        let rest = ramp.split_once(" over ").map_or("", |(_, rest)| rest);
        config.ramp = Some(format!("{}/s..{}/s over {rest}", c.from_per_s, c.to_per_s));
    }
    config
}

fn merged_infra_classes(parts: &[Part]) -> BTreeMap<String, u64> {
    let mut infra_classes: BTreeMap<String, u64> = BTreeMap::new();
    for p in parts {
        for (k, v) in &p.result.infra_classes {
            *infra_classes.entry(k.clone()).or_default() += v;
        }
    }
    infra_classes
}

/// One line per merged shard, as its own report described it.
fn aggregate_info(parts: &[Part], group: &str, count: u32) -> AggregateInfo {
    AggregateInfo {
        group: group.to_string(),
        count,
        shards: parts
            .iter()
            .map(|p| ShardSummary {
                index: p.index(),
                source: p.source.clone(),
                verdict: p.result.verdict,
                started_at: p.result.started_at.clone(),
                duration_s: p.result.duration_s,
                planned: p.result.totals.planned,
                corrupted: p.result.totals.corrupted,
                host: p.result.host.clone(),
            })
            .collect(),
    }
}

/// Every shard's `--threshold` expressions, each once, in the order the shards listed them.
fn union_of_thresholds(parts: &[Part]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for expr in parts.iter().flat_map(|p| &p.result.config.thresholds) {
        if !all.contains(expr) {
            all.push(expr.clone());
        }
    }
    all
}

/// A shard's verdict on its own data, thresholds aside: a threshold is judged on the merged
/// histograms only, so a shard whose slice crossed one does not fail the aggregate by itself.
fn judged_without_thresholds(part: &Part) -> (Verdict, Vec<String>) {
    if part.result.thresholds.is_empty() {
        return (part.result.verdict, part.result.verdict_reasons.clone());
    }
    let mut own = part.result.clone();
    own.thresholds.clear();
    report::verdict::judge(&mut own);
    (own.verdict, own.verdict_reasons)
}

fn merge_workloads(parts: &[Part]) -> BTreeMap<String, WorkloadResult> {
    let mut map: BTreeMap<String, WorkloadResult> = BTreeMap::new();
    for p in parts {
        for (name, w) in &p.result.workloads {
            match map.get_mut(name) {
                Some(m) => m.add(w),
                None => {
                    map.insert(name.clone(), w.clone());
                }
            }
        }
    }
    map
}

fn merge_retries(parts: &[Part]) -> BTreeMap<String, RetryStats> {
    let mut map: BTreeMap<String, RetryStats> = BTreeMap::new();
    for p in parts {
        for (op, r) in &p.result.retries {
            map.entry(op.clone()).or_default().add(r);
        }
    }
    map
}

fn merge_provider_failures(parts: &[Part]) -> Option<ProviderFailure> {
    let failures: Vec<(u32, &ProviderFailure)> = parts
        .iter()
        .filter_map(|p| p.result.provider_failure.as_ref().map(|f| (p.index(), f)))
        .collect();
    if failures.is_empty() {
        return None;
    }
    let mut workloads: Vec<String> = failures.iter().flat_map(|(_, f)| f.workloads.clone()).collect();
    workloads.sort();
    workloads.dedup();
    let message = failures
        .iter()
        .map(|(i, f)| format!("shard {i}: {}", f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Some(ProviderFailure { message, workloads })
}

/// A shard that failed on its own data (corruption, loss, a self-test miss) fails the aggregate
/// whatever the merged counts say, and a missing shard makes its totals incomplete, which also fails
/// it. A threshold crossed on one shard's slice does not: the merged evaluation decides.
fn overrule_with_shards(merged: &mut RunResult, parts: &[Part], group: &str, count: u32, missing: &[u32]) {
    for p in parts.iter().filter(|p| p.result.verdict == Verdict::Fail) {
        let (verdict, reasons) = judged_without_thresholds(p);
        if verdict != Verdict::Fail {
            continue;
        }
        if merged.verdict != Verdict::Fail {
            merged.verdict = Verdict::Fail;
            merged.verdict_reasons.clear();
        }
        merged
            .verdict_reasons
            .push(format!("shard {}/{count} failed: {}", p.index(), reasons.join("; ")));
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|i| format!("{i}/{count}")).collect();
        merged.verdict = Verdict::Fail;
        merged.verdict_reasons.insert(
            0,
            format!(
                "shard {} of group {group} missing: the totals cover {} of {count} shards",
                list.join(", "),
                parts.len()
            ),
        );
    }
}
