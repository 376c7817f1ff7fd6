//! The end-of-run tables printed to the console (and so to `run.log`).

use super::RunResult;
use crate::console::table::render_table;

pub fn render(result: &RunResult) -> String {
    let t = &result.totals;
    let mut out = String::new();
    if let Some(cp) = &result.checkpoint {
        out.push_str("Checkpoint/restore summary\n");
        let sum = |f: fn(&super::RoundReport) -> u64| cp.rounds.iter().map(f).sum::<u64>().to_string();
        let rows = vec![
            vec!["total restores".to_string(), sum(|r| r.restores)],
            vec!["verified".to_string(), sum(|r| r.verified)],
            vec!["corruptions".to_string(), sum(|r| r.corrupted)],
            vec!["infra errors".to_string(), sum(|r| r.infra)],
            vec![
                "injected / detected".to_string(),
                format!("{} / {}", t.injected, t.injected_detected),
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
                "avg restore ms",
                "avg verify ms",
            ],
            &rows,
        ));
    }
    if let Some(lifecycle) = &result.lifecycle {
        out.push('\n');
        out.push_str(&super::console_workloads::render_lifecycle(lifecycle));
    }
    if let Some(storage) = &result.storage {
        out.push('\n');
        out.push_str(&super::console_workloads::render_storage(storage));
    }
    out.push_str(&format!(
        "\ntotals over all workloads: planned {}, verified {}, corrupted {}, infra {}, lost {}\n",
        t.planned, t.verified, t.corrupted, t.infra, t.lost
    ));
    if !result.infra_classes.is_empty() {
        let classes: Vec<String> = result.infra_classes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("\ninfra errors by class: {}\n", classes.join(", ")));
    }
    let retried: Vec<String> = result
        .retries
        .iter()
        .filter(|(_, r)| r.retried > 0)
        .map(|(op, r)| {
            format!(
                "{op} {} of {} ({:.1}% first try, {} gave up)",
                r.retried,
                r.calls,
                r.first_try_rate() * 100.0,
                r.gave_up
            )
        })
        .collect();
    if !retried.is_empty() {
        out.push_str(&format!("\ncalls that needed a retry: {}\n", retried.join(", ")));
    }
    out.push_str(&workloads_table(result));
    out.push_str(&thresholds_lines(result));
    out.push_str(&format!(
        "\nverdict: {}{} ({})\n",
        result.verdict.as_str().to_uppercase(),
        if result.interrupted { " (interrupted)" } else { "" },
        result.verdict_reasons.join("; ")
    ));
    out
}

/// One row per workload, each judged on its own, right above the run's verdict.
fn workloads_table(result: &RunResult) -> String {
    if result.workloads.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = result
        .workloads
        .iter()
        .map(|(name, w)| {
            vec![
                name.clone(),
                w.verdict.as_str().to_uppercase(),
                format!("{} / {}", w.verified, w.planned),
                w.corrupted.to_string(),
                w.infra.to_string(),
                w.lost.to_string(),
                w.reasons.join("; "),
            ]
        })
        .collect();
    let mut out = String::from("\nPer workload\n");
    out.push_str(&render_table(
        &["workload", "verdict", "verified", "corrupted", "infra", "lost", "why"],
        &rows,
    ));
    for (name, w) in &result.workloads {
        for line in &w.warnings {
            out.push_str(&format!("warning: {name}: {line}\n"));
        }
    }
    out
}

/// How many thresholds held, then every one that did not: crossed (with the value) or without data.
fn thresholds_lines(result: &RunResult) -> String {
    if result.thresholds.is_empty() {
        return String::new();
    }
    let held = result.thresholds.iter().filter(|t| t.ok).count();
    let mut out = format!("\nthresholds: {held} of {} held\n", result.thresholds.len());
    for t in result.thresholds.iter().filter(|t| !t.ok) {
        let measured = t.measured.as_deref().unwrap_or("-");
        match t.value {
            Some(_) => out.push_str(&format!("  crossed: {}: measured {measured}\n", t.expr)),
            None => out.push_str(&format!("  {}: {measured}\n", t.expr)),
        }
    }
    out
}
