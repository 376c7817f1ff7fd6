//! summary.md's contention, chaos and shard sections, formatted like the rest of the context.

use serde::Serialize;

use super::format::{cell, code, fmt_ms, icon};
use crate::report::view::{ContentionNote, Placement, RunView};

#[derive(Serialize, Default)]
pub struct ChaosSection {
    /// writers, writes, acknowledged, present, lost, duplicates, unknown, refused, indeterminate.
    pub contention: Option<Vec<String>>,
    /// count, p50, p95, p99, max of the per-write latency (lock waits show here).
    pub contention_latency: Option<Vec<String>>,
    pub contention_note: String,
    /// One row per scenario: name, verdict, workload, runs, passed, pass rate, faults, indeterminate, ...
    pub chaos: Vec<Vec<String>>,
    pub chaos_failures: Vec<String>,
}

pub fn chaos(view: &RunView<'_>) -> ChaosSection {
    let mut section = ChaosSection::default();
    if let Some(cv) = &view.contention {
        let c = cv.report;
        section.contention = Some(
            [
                c.writers.into(),
                c.writes.into(),
                c.acknowledged,
                c.present,
                c.lost,
                c.duplicates,
                c.unknown,
                cv.refused,
                c.indeterminate,
            ]
            .iter()
            .map(u64::to_string)
            .collect(),
        );
        let w = &c.write_ms;
        section.contention_latency = Some(vec![
            w.count.to_string(),
            fmt_ms(w.p50),
            fmt_ms(w.p95),
            fmt_ms(w.p99),
            fmt_ms(w.max),
        ]);
        section.contention_note = cv.notes.iter().map(note).collect::<Vec<_>>().join(" · ");
    }
    for s in &view.scenarios {
        let verdict = s
            .verdict
            .map_or(String::new(), |v| format!("{} {}", icon(v), v.as_str()));
        section.chaos.push(vec![
            cell(&s.name),
            verdict,
            cell(&s.workload),
            s.runs.to_string(),
            s.passed.to_string(),
            format!("{:.0}%", s.pass_rate * 100.0),
            s.faults_injected.to_string(),
            s.indeterminate.to_string(),
            s.verified.to_string(),
            s.corrupted.to_string(),
            s.infra.to_string(),
        ]);
    }
    section.chaos_failures = view
        .chaos_failures
        .iter()
        .map(|(name, line)| format!("{}: {}", cell(name), cell(line)))
        .collect();
    section
}

fn note(n: &ContentionNote<'_>) -> String {
    match n {
        ContentionNote::Target(t) => format!("store: built-in {}", code(t)),
        ContentionNote::Kills(k) => format!("kill9 killed {k} writes mid-flight"),
        ContentionNote::Refused(r) => {
            format!("{r} writes refused by the store (non-zero exit): infra, nothing was promised")
        }
        ContentionNote::IncompleteWriters(count, shown) => {
            let list: Vec<String> = shown.iter().map(|(w, n)| format!("w{w} lost {n}")).collect();
            format!("incomplete writers ({count}): {}", list.join(", "))
        }
        ContentionNote::SetupFailed(e) => format!("setup failed: {}", cell(e)),
    }
}

/// Shown under the run line: which shard this was, or what the aggregate merged.
pub fn shard_line(view: &RunView<'_>) -> Option<String> {
    view.placement.as_ref().map(|p| match p {
        Placement::Shard { index, count, group } => format!("shard {index}/{count} of group {}", code(group)),
        Placement::Aggregate { merged, count, group } => {
            format!("aggregate of {merged} of {count} shards of group {}", code(group))
        }
    })
}

/// One row per merged shard: index, verdict, operations, corrupted, duration, host footprint.
pub fn shard_rows(view: &RunView<'_>) -> Vec<Vec<String>> {
    let Some(a) = &view.result.aggregate else {
        return Vec::new();
    };
    a.shards
        .iter()
        .map(|s| {
            vec![
                format!("{}/{}", s.index, a.count),
                s.verdict.as_str().to_string(),
                s.planned.to_string(),
                s.corrupted.to_string(),
                format!("{:.1}", s.duration_s),
                s.host.as_ref().map_or("-".into(), |h| format!("{:.1}", h.peak_rss_mb)),
                s.host.as_ref().map_or("-".into(), |h| format!("{:.1}", h.cpu_s)),
                s.host.as_ref().map_or("-".into(), |h| h.max_open_fds.to_string()),
            ]
        })
        .collect()
}
