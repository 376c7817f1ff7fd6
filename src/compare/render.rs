//! What a comparison says in words: the markdown table (shared by `compare`, comparison.md and
//! the PR comment), the one-line statement of a regression (the gate's reason and the comment's
//! lead line), and the reasons `--fail-on-regression` fails.

use super::{Comparison, Decision, MetricRow, Shift, Values};

impl Comparison {
    /// The reasons a run fails `--fail-on-regression`: every significant regression, and every
    /// metric with no data on a side (a regression there cannot be ruled out).
    pub fn gate_failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|r| match &r.decision {
                Decision::Regressed { .. } => Some(r.statement()),
                Decision::NoData(missing) => Some(format!(
                    "{} {}: {missing} (baseline {}, this run {}), so a regression cannot be ruled out",
                    r.section,
                    r.metric,
                    count_text(r.base),
                    count_text(r.current)
                )),
                _ => None,
            })
            .collect()
    }

    /// Why `--fail-on-regression` could not judge anything: the runs are incomparable, or not one
    /// latency metric could be tested (every one incomparable, e.g. bursts worth too few
    /// independent samples). A gate that tested nothing must not read as a pass.
    pub fn gate_untested(&self) -> Option<String> {
        if let Some(why) = &self.incomparable {
            return Some(format!("the runs are incomparable ({why})"));
        }
        let latencies = || self.rows.iter().filter(|r| !r.key.ends_with("success_rate"));
        let tested = latencies().any(|r| {
            matches!(
                r.decision,
                Decision::Regressed { .. } | Decision::Improved { .. } | Decision::Unchanged | Decision::NoData(_)
            )
        });
        (!tested).then(|| {
            format!(
                "not one of the {} latency metrics could be tested (see the notes on what was not judged)",
                latencies().count()
            )
        })
    }

    /// Metrics and parts that were not judged, one line each: worth a warning, not a failure.
    pub fn not_judged(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .incomparable
            .iter()
            .map(|w| format!("the runs are incomparable: {w}"))
            .collect();
        out.extend(self.rows.iter().filter_map(|r| match &r.decision {
            Decision::Incomparable(why) => Some(format!("{} {}: incomparable: {why}", r.section, r.metric)),
            _ => None,
        }));
        out.extend(self.not_compared.iter().filter(|n| n.contains("incomparable")).cloned());
        out
    }

    pub fn to_markdown(&self) -> String {
        let s = &self.settings;
        let mut out = format!(
            "_Mann–Whitney U on the histograms, α = {}, minimum effect {} and {} ms; intervals are 95 % bootstrap intervals._\n\n",
            s.alpha,
            pct(s.min_effect),
            s.min_effect_ms
        );
        if let Some(why) = &self.incomparable {
            out.push_str(&format!("**Not compared: the runs are incomparable, {why}.**\n"));
            return out;
        }
        let regressed: Vec<String> = self.regressed().map(|r| format!("- 🔴 {}\n", r.statement())).collect();
        if !regressed.is_empty() {
            out.push_str(&format!(
                "**Significant regressions ({}):**\n\n{}\n",
                regressed.len(),
                regressed.concat()
            ));
        }
        if self.rows.is_empty() {
            out.push_str("_No metric is present in both the baseline and this run._\n");
        } else {
            out.push_str("| Section | Metric | Baseline | This run | p50 change | p95 change | p | Decision |\n");
            out.push_str("|---|---|---:|---:|---|---|---:|---|\n");
            for r in &self.rows {
                out.push_str(&row(r));
            }
        }
        if !self.not_compared.is_empty() {
            out.push_str(&format!("\n_Not compared: {}._\n", self.not_compared.join("; ")));
        }
        out
    }
}

impl MetricRow {
    /// `Burst TTI regressed: p95 +38.9 % (95 % CI +30.1 % to +47.2 %), p = 3.2e-9`.
    pub fn statement(&self) -> String {
        let (word, effect) = match &self.decision {
            Decision::Regressed { effect } => ("regressed", effect),
            Decision::Improved { effect } => ("improved", effect),
            _ => return format!("{} {}: {}", self.section, self.metric, decision_text(&self.decision)),
        };
        let p = self
            .evidence
            .as_ref()
            .map_or(String::new(), |e| format!(", p = {}", p_text(e.p_value)));
        format!("{} {} {word}: {}{p}", self.section, self.metric, effect_text(effect))
    }
}

fn row(r: &MetricRow) -> String {
    let shift = |stat: &str| {
        r.evidence
            .as_ref()
            .and_then(|e| {
                e.shifts
                    .iter()
                    .find(|s| s.stat == stat || (stat == "p50" && s.stat == "rate"))
            })
            .map_or(String::new(), change_text)
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
        r.section,
        r.metric,
        values_text(r.base),
        values_text(r.current),
        shift("p50"),
        shift("p95"),
        r.evidence.as_ref().map_or(String::new(), |e| p_text(e.p_value)),
        decision_text(&r.decision)
    )
}

fn decision_text(d: &Decision) -> String {
    match d {
        Decision::Regressed { effect } => format!("🔴 **regressed** ({} {})", effect.stat, signed_pct(effect.change)),
        Decision::Improved { effect } => format!("🟢 improved ({} {})", effect.stat, signed_pct(effect.change)),
        Decision::Unchanged => "unchanged".into(),
        Decision::NoData(which) => format!("⚠️ {which}"),
        Decision::Incomparable(why) => format!("incomparable: {why}"),
    }
}

/// `p95 +38.9 % (95 % CI +30.1 % to +47.2 %)`.
pub fn effect_text(s: &Shift) -> String {
    let ms = s.absolute_ms.map_or(String::new(), |ms| {
        let sign = if ms >= 0.0 { "+" } else { "−" };
        format!(", {sign}{} ms", self::ms(ms.abs()))
    });
    format!(
        "{} {}{ms} (95 % CI {} to {})",
        s.stat,
        signed_pct(s.change),
        signed_pct(s.interval.low),
        signed_pct(s.interval.high)
    )
}

/// `+12.3 % [+8.0, +16.1]`.
fn change_text(s: &Shift) -> String {
    format!(
        "{} [{}, {}]",
        signed_pct(s.change),
        signed_num(s.interval.low * 100.0),
        signed_num(s.interval.high * 100.0)
    )
}

/// `n=200 · p50 3.1 / p95 4.8 ms` (`n=200, ≈3 independent · …` when ~70 ran at once), or
/// `196/200 (98.0 %)`.
fn values_text(v: Option<Values>) -> String {
    match v {
        None => "no data".into(),
        Some(Values::Latency {
            count,
            p50,
            p95,
            overlap,
        }) => {
            let worth = (count as f64 / overlap.max(1.0)).floor().max(1.0);
            let n = if worth < count as f64 {
                format!("n={count}, ≈{worth:.0} independent")
            } else {
                format!("n={count}")
            };
            format!("{n} · {} / {} ms", ms(p50), ms(p95))
        }
        Some(Values::Rate { successes, count }) => {
            format!("{successes}/{count} ({:.1} %)", successes as f64 / count as f64 * 100.0)
        }
    }
}

fn count_text(v: Option<Values>) -> String {
    v.map_or("no data".into(), |v| format!("n={}", v.count()))
}

/// `1.4` below 10 at a time (where a tenth changes what a run is worth), `73` above.
pub(super) fn overlap_text(overlap: f64) -> String {
    if overlap < 10.0 {
        format!("{overlap:.1}")
    } else {
        format!("{overlap:.0}")
    }
}

pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

pub fn signed_pct(f: f64) -> String {
    format!("{} %", signed_num(f * 100.0))
}

fn signed_num(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "+∞".into() } else { "−∞".into() };
    }
    format!("{v:+.1}")
}

fn pct(f: f64) -> String {
    format!("{} %", (f * 1000.0).round() / 10.0)
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CompareSettings, Evidence};
    use super::*;
    use crate::stats::Interval;

    fn regressed() -> MetricRow {
        let effect = Shift {
            stat: "p95",
            change: 0.389,
            interval: Interval {
                low: 0.301,
                high: 0.472,
            },
            absolute_ms: Some(280.0),
        };
        MetricRow {
            section: "Burst".into(),
            metric: "TTI",
            key: "lifecycle.burst.tti_ms".into(),
            base: Some(Values::Latency {
                count: 200,
                p50: 500.0,
                p95: 720.0,
                overlap: 1.0,
            }),
            current: Some(Values::Latency {
                count: 200,
                p50: 560.0,
                p95: 1000.0,
                overlap: 1.0,
            }),
            evidence: Some(Evidence {
                p_value: 3.2e-9,
                shifts: vec![effect],
            }),
            decision: Decision::Regressed { effect },
        }
    }

    #[test]
    fn a_regression_names_metric_effect_and_interval() {
        let r = regressed();
        assert_eq!(
            r.statement(),
            "Burst TTI regressed: p95 +38.9 %, +280 ms (95 % CI +30.1 % to +47.2 %), p = 3.2e-9"
        );
        let c = Comparison {
            settings: CompareSettings::default(),
            rows: vec![r],
            ..Default::default()
        };
        assert_eq!(c.gate_failures().len(), 1);
        assert!(c.to_markdown().contains(
            "| Burst | TTI | n=200 · 500 / 720 ms | n=200 · 560 / 1000 ms |  | +38.9 % [+30.1, +47.2] | 3.2e-9 | 🔴 **regressed** (p95 +38.9 %) |"
        ));
    }

    #[test]
    fn no_data_fails_the_gate_and_incomparable_does_not() {
        let mut r = regressed();
        r.current = None;
        r.evidence = None;
        r.decision = Decision::NoData("no data in this run");
        let mut few = regressed();
        few.decision = Decision::Incomparable("too few samples".into());
        let c = Comparison {
            rows: vec![r, few],
            ..Default::default()
        };
        assert_eq!(
            c.gate_failures(),
            vec!["Burst TTI: no data in this run (baseline n=200, this run no data), so a regression cannot be ruled out"]
        );
        assert_eq!(c.not_judged(), vec!["Burst TTI: incomparable: too few samples"]);
        assert!(!c.to_markdown().contains("better"));
    }
}
