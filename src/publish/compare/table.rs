//! What a comparison says: the markdown table (shared by `compare`, comparison.md and the PR
//! comment) and the reasons `--fail-on-regression` fails.

use super::{Comparison, DeltaRow};

impl Comparison {
    /// The reasons a run fails `--fail-on-regression PCT`: every p95 that got worse by more than PCT,
    /// and every p95 with no data on a side (a regression there cannot be ruled out).
    pub fn regressions(&self, threshold_pct: f64) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.is_p95)
            .filter_map(|r| {
                if let Some(missing) = r.no_data() {
                    return Some(format!(
                        "{} {}: {missing} (baseline {}, this run {}), so a regression cannot be ruled out",
                        r.section,
                        r.metric,
                        value_cell(r.base, r.unit),
                        value_cell(r.current, r.unit)
                    ));
                }
                let worse = r.regression_pct()?;
                (worse > threshold_pct).then(|| {
                    format!(
                        "{} {} regressed {:.1}% ({} -> {} {}), over the {threshold_pct}% threshold",
                        r.section,
                        r.metric,
                        worse,
                        fmt_num(r.base.unwrap_or_default()),
                        fmt_num(r.current.unwrap_or_default()),
                        r.unit
                    )
                })
            })
            .collect()
    }

    pub fn to_markdown(&self) -> String {
        let mut out = if self.rows.is_empty() {
            "_No metric is present in both the baseline and this run._\n".to_string()
        } else {
            let mut table =
                String::from("| Section | Metric | Baseline | This run | Change |\n|---|---|---:|---:|---|\n");
            for r in &self.rows {
                table.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    r.section,
                    r.metric,
                    value_cell(r.base, r.unit),
                    value_cell(r.current, r.unit),
                    change_cell(r)
                ));
            }
            table
        };
        if !self.not_compared.is_empty() {
            out.push_str(&format!("\n_Not compared: {}._\n", self.not_compared.join("; ")));
        }
        out
    }
}

fn value_cell(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) => format!("{} {unit}", fmt_num(v)),
        None => "no data".to_string(),
    }
}

/// `▲ +12.3% (worse)`: the arrow follows the number, the word says whether that is good.
pub(super) fn change_cell(r: &DeltaRow) -> String {
    if let Some(missing) = r.no_data() {
        return missing.to_string();
    }
    let Some(pct) = r.change_pct() else {
        return if r.current == r.base {
            "=".into()
        } else {
            "n/a (baseline 0)".into()
        };
    };
    if pct.abs() < 0.05 {
        return "= 0.0%".into();
    }
    let arrow = if pct > 0.0 { "▲" } else { "▼" };
    let worse = r.regression_pct().unwrap_or(0.0) > 0.0;
    format!("{arrow} {pct:+.1}% ({})", if worse { "worse" } else { "better" })
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::Direction;
    use super::*;

    fn row(base: f64, current: f64, direction: Direction) -> DeltaRow {
        DeltaRow {
            section: "Burst".into(),
            metric: "TTI p95".into(),
            unit: "ms",
            base: Some(base),
            current: Some(current),
            direction,
            is_p95: true,
        }
    }

    #[test]
    fn arrows_follow_the_number_and_words_the_meaning() {
        assert_eq!(
            change_cell(&row(100.0, 110.0, Direction::LowerIsBetter)),
            "▲ +10.0% (worse)"
        );
        assert_eq!(
            change_cell(&row(100.0, 90.0, Direction::LowerIsBetter)),
            "▼ -10.0% (better)"
        );
        assert_eq!(
            change_cell(&row(100.0, 90.0, Direction::HigherIsBetter)),
            "▼ -10.0% (worse)"
        );
        assert_eq!(
            change_cell(&row(0.0, 5.0, Direction::LowerIsBetter)),
            "n/a (baseline 0)"
        );
    }

    #[test]
    fn regression_threshold_is_strict_and_only_on_p95() {
        let c = Comparison {
            rows: vec![row(100.0, 125.0, Direction::LowerIsBetter)],
            ..Default::default()
        };
        assert_eq!(c.regressions(20.0).len(), 1);
        assert!(c.regressions(30.0).is_empty());
        let mut p50 = row(100.0, 300.0, Direction::LowerIsBetter);
        p50.is_p95 = false;
        assert!(Comparison {
            rows: vec![p50],
            ..Default::default()
        }
        .regressions(1.0)
        .is_empty());
    }

    #[test]
    fn no_data_is_never_an_improvement_and_fails_the_gate() {
        let mut r = row(720.0, 0.0, Direction::LowerIsBetter);
        r.current = None;
        assert_eq!(change_cell(&r), "no data in this run");
        assert_eq!(r.change_pct(), None);
        let c = Comparison {
            rows: vec![r.clone()],
            ..Default::default()
        };
        let reasons = c.regressions(1000.0);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with("Burst TTI p95: no data in this run"),
            "{reasons:?}"
        );
        assert!(c
            .to_markdown()
            .contains("| Burst | TTI p95 | 720 ms | no data | no data in this run |"));
        r.base = None;
        assert_eq!(change_cell(&r), "no data in either run");
    }
}
