//! The end-of-run tables printed to the console (and so to `run.log`): the view as plain aligned
//! text, verdicts in capitals.

mod table;
mod workloads;

use table::render_table;

use crate::report::view::{RunView, ThresholdStatus};

pub fn render(view: &RunView<'_>) -> String {
    let result = view.result;
    let t = &result.totals;
    let mut out = checkpoint_tables(view);
    if !view.modes.is_empty() {
        out.push('\n');
        out.push_str(&workloads::render_lifecycle(&view.modes));
    }
    if let Some(storage) = &result.storage {
        out.push('\n');
        out.push_str(&workloads::render_storage(storage));
    }
    if let Some(os) = &result.object_storage {
        out.push('\n');
        out.push_str(&workloads::render_sizes("Object storage", &os.sizes));
    }
    out.push_str(&format!(
        "\ntotals over all workloads: planned {}, verified {}, corrupted {}, infra {}, lost {}\n",
        t.planned, t.verified, t.corrupted, t.infra, t.lost
    ));
    if !result.infra_classes.is_empty() {
        let classes: Vec<String> = result.infra_classes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("\ninfra errors by class: {}\n", classes.join(", ")));
    }
    let retried: Vec<String> = view
        .retries
        .iter()
        .filter(|r| r.stats.retried > 0)
        .map(|r| {
            let s = &r.stats;
            format!(
                "{} {} of {} ({:.1}% first try, {} gave up)",
                r.call,
                s.retried,
                s.calls,
                s.first_try_rate() * 100.0,
                s.gave_up
            )
        })
        .collect();
    if !retried.is_empty() {
        out.push_str(&format!("\ncalls that needed a retry: {}\n", retried.join(", ")));
    }
    out.push_str(&workloads_table(view));
    out.push_str(&soak_lines(view));
    out.push_str(&thresholds_lines(view));
    let headline = &view.headline;
    out.push_str(&format!(
        "\nverdict: {}{} for {} ({})\n",
        headline.verdict.as_str().to_uppercase(),
        if headline.interrupted { " (interrupted)" } else { "" },
        result.display_label(),
        headline.reasons.join("; ")
    ));
    out
}

/// The checkpoint summary and the per-round table; empty when the workload did not run.
fn checkpoint_tables(view: &RunView<'_>) -> String {
    let Some(cp) = &view.result.checkpoint else {
        return String::new();
    };
    let t = &view.result.totals;
    let mut out = String::from("Checkpoint/restore summary\n");
    let sum = |f: fn(&crate::report::RoundReport) -> u64| cp.rounds.iter().map(f).sum::<u64>().to_string();
    let rows = vec![
        vec!["total restores".to_string(), sum(|r| r.restores)],
        vec!["verified".to_string(), sum(|r| r.verified)],
        vec!["corruptions".to_string(), sum(|r| r.corrupted)],
        vec!["infra errors".to_string(), sum(|r| r.infra)],
        vec![
            "injected / detected".to_string(),
            format!("{} / {}", t.injected, t.injected_detected),
        ],
        vec![
            "checkpoints ready / peak in flight".to_string(),
            format!(
                "{} of {} / {}",
                cp.checkpoints_ready(),
                cp.rounds.len(),
                cp.in_flight.peak
            ),
        ],
        vec![
            "p50 / p95 / p99 checkpoint".to_string(),
            format!(
                "{:.1} / {:.1} / {:.1} ms",
                cp.checkpoint_ms.p50, cp.checkpoint_ms.p95, cp.checkpoint_ms.p99
            ),
        ],
        vec!["avg restore".to_string(), format!("{:.1} ms", cp.restore_ms.mean)],
        vec!["avg verify".to_string(), format!("{:.1} ms", cp.verify_ms.mean)],
        vec![
            "p95 restore / verify".to_string(),
            format!("{:.1} / {:.1} ms", cp.restore_ms.p95, cp.verify_ms.p95),
        ],
    ];
    out.push_str(&render_table(&["metric", "value"], &rows));
    out.push_str("\nPer round\n");
    let rows: Vec<Vec<String>> = cp
        .rounds
        .iter()
        .map(|r| {
            vec![
                r.round.to_string(),
                r.restores.to_string(),
                r.verified.to_string(),
                r.corrupted.to_string(),
                r.infra.to_string(),
                format!("{:.0}", r.setup_ms),
                r.checkpoint_ms.map_or("-".into(), |v| format!("{v:.0}")),
                format!("{:.1}", r.restore_ms.mean),
                format!("{:.1}", r.verify_ms.mean),
            ]
        })
        .collect();
    out.push_str(&render_table(
        &[
            "round",
            "restores",
            "verified",
            "corrupted",
            "infra",
            "setup ms",
            "checkpoint ms",
            "avg restore ms",
            "avg verify ms",
        ],
        &rows,
    ));
    out
}

/// One row per workload, each judged on its own, right above the run's verdict.
fn workloads_table(view: &RunView<'_>) -> String {
    if view.workloads.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = view
        .workloads
        .iter()
        .map(|w| {
            vec![
                w.name.to_string(),
                w.verdict.as_str().to_uppercase(),
                format!("{} / {}", w.verified, w.planned),
                w.corrupted.to_string(),
                w.infra.to_string(),
                w.lost.to_string(),
                w.why.clone(),
            ]
        })
        .collect();
    let mut out = String::from("\nPer workload\n");
    out.push_str(&render_table(
        &["workload", "verdict", "verified", "corrupted", "infra", "lost", "why"],
        &rows,
    ));
    for line in &view.warnings {
        out.push_str(&format!("warning: {line}\n"));
    }
    out
}

/// A ramp's knee and every headline latency the trend test says degraded: a run can pass while
/// getting slower, so this stands right above the verdict.
fn soak_lines(view: &RunView<'_>) -> String {
    let mut out = String::new();
    if let Some(c) = view.capacity {
        out.push_str(&format!("\ncapacity: {}\n", c.headline()));
    }
    if !view.degraded.is_empty() {
        out.push('\n');
    }
    for (key, t) in &view.degraded {
        out.push_str(&format!(
            "DEGRADED: {key}: p95 {:.1} ms in the last third of the run against {:.1} ms in the first (drift {:.2}, 95 % intervals [{:.1}, {:.1}] and [{:.1}, {:.1}] do not overlap)\n",
            t.last_p95, t.first_p95, t.drift, t.last_ci[0], t.last_ci[1], t.first_ci[0], t.first_ci[1]
        ));
    }
    out
}

/// How many thresholds held, then every one that did not: crossed (with the value) or without data.
fn thresholds_lines(view: &RunView<'_>) -> String {
    if view.thresholds.is_empty() {
        return String::new();
    }
    let held = view
        .thresholds
        .iter()
        .filter(|t| t.status == ThresholdStatus::Held)
        .count();
    let mut out = format!("\nthresholds: {held} of {} held\n", view.thresholds.len());
    for t in &view.thresholds {
        match t.status {
            ThresholdStatus::Held => {}
            ThresholdStatus::Crossed => out.push_str(&format!("  crossed: {}: measured {}\n", t.expr, t.measured)),
            ThresholdStatus::NoData => out.push_str(&format!("  {}: no data: {}\n", t.expr, t.measured)),
        }
    }
    out
}
