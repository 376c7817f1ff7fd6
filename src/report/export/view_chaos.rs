//! The summary's contention and chaos rows, formatted like the rest of the view.

use serde::Serialize;

use super::view::{cell, fmt_ms, icon};
use crate::report::RunResult;

#[derive(Serialize, Default)]
pub struct ChaosView {
    /// writers, writes, acknowledged, present, lost, duplicates, unknown, refused, indeterminate.
    pub contention: Option<Vec<String>>,
    /// count, p50, p95, p99, max of the per-write latency (lock waits show here).
    pub contention_latency: Option<Vec<String>>,
    pub contention_note: String,
    /// One row per scenario: name, verdict, workload, runs, passed, pass rate, faults, indeterminate, ...
    pub chaos: Vec<Vec<String>>,
    pub chaos_failures: Vec<String>,
}

pub fn build(result: &RunResult) -> ChaosView {
    let mut view = ChaosView::default();
    if let Some(c) = &result.contention {
        view.contention = Some(
            [
                c.writers.into(),
                c.writes.into(),
                c.acknowledged,
                c.present,
                c.lost,
                c.duplicates,
                c.unknown,
                c.refused.max(c.failed),
                c.indeterminate,
            ]
            .iter()
            .map(u64::to_string)
            .collect(),
        );
        let w = &c.write_ms;
        view.contention_latency = Some(vec![
            w.count.to_string(),
            fmt_ms(w.p50),
            fmt_ms(w.p95),
            fmt_ms(w.p99),
            fmt_ms(w.max),
        ]);
        let mut notes = Vec::new();
        if let Some(t) = &c.target {
            notes.push(format!("store: built-in `{}`", cell(t)));
        }
        if c.kills > 0 {
            notes.push(format!("kill9 killed {} writes mid-flight", c.kills));
        }
        if c.refused.max(c.failed) > 0 {
            notes.push(format!(
                "{} writes refused by the store (non-zero exit): infra, nothing was promised",
                c.refused.max(c.failed)
            ));
        }
        if !c.incomplete_writers.is_empty() {
            let list: Vec<String> = c
                .incomplete_writers
                .iter()
                .take(10)
                .map(|(w, n)| format!("w{w} lost {n}"))
                .collect();
            notes.push(format!(
                "incomplete writers ({}): {}",
                c.incomplete_writers.len(),
                list.join(", ")
            ));
        }
        if let Some(e) = &c.setup_error {
            notes.push(format!("setup failed: {}", cell(e)));
        }
        view.contention_note = notes.join(" · ");
    }
    if let Some(chaos) = &result.chaos {
        for s in &chaos.scenarios {
            let verdict = s
                .verdict
                .map_or(String::new(), |v| format!("{} {}", icon(v), v.as_str()));
            view.chaos.push(vec![
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
            for f in s.failures.iter().take(5) {
                view.chaos_failures.push(format!("{}: {}", cell(&s.name), cell(f)));
            }
        }
    }
    view
}
