//! The end-of-run tables printed to the console (and so to `run.log`).

use super::RunResult;
use crate::console::table::render_table;

pub fn render(result: &RunResult) -> String {
    let t = &result.totals;
    let mut out = String::new();
    if let Some(cp) = &result.checkpoint {
        out.push_str("Checkpoint/restore summary\n");
        let rows = vec![
            vec!["total restores".to_string(), t.planned.to_string()],
            vec!["verified".to_string(), t.verified.to_string()],
            vec!["corruptions".to_string(), t.corrupted.to_string()],
            vec!["infra errors".to_string(), t.infra.to_string()],
            vec!["lost".to_string(), t.lost.to_string()],
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
    if !result.infra_classes.is_empty() {
        let classes: Vec<String> = result.infra_classes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("\ninfra errors by class: {}\n", classes.join(", ")));
    }
    out.push_str(&format!(
        "\nverdict: {}{} ({})\n",
        result.verdict.as_str().to_uppercase(),
        if result.interrupted { " (interrupted)" } else { "" },
        result.verdict_reasons.join("; ")
    ));
    out
}
