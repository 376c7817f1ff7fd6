//! Baseline comparison: how this run moved against the base branch's run, metric by metric.
//!
//! Only metrics present on both sides are compared, so an older baseline without the lifecycle or
//! storage sections still yields the checkpoint rows. Percentiles come from report.json's
//! histogram summaries, never from samples.

use std::path::Path;

use crate::report::RunResult;

use super::error::PublishError;

/// Whether a larger number is good news (throughput, success rate) or bad news (latency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeltaRow {
    pub section: String,
    pub metric: String,
    pub unit: &'static str,
    pub base: f64,
    pub current: f64,
    pub direction: Direction,
    /// p95 rows are the ones `--fail-on-regression` judges.
    pub is_p95: bool,
}

impl DeltaRow {
    /// Change in percent of the base; `None` when the base is 0 (no meaningful ratio).
    pub fn change_pct(&self) -> Option<f64> {
        (self.base != 0.0).then(|| (self.current - self.base) / self.base * 100.0)
    }

    /// How much worse, in percent (positive = worse), whatever the direction.
    pub fn regression_pct(&self) -> Option<f64> {
        self.change_pct().map(|c| match self.direction {
            Direction::LowerIsBetter => c,
            Direction::HigherIsBetter => -c,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub rows: Vec<DeltaRow>,
}

/// Reads a run directory or a report.json path.
pub fn load_report(path: &Path) -> Result<RunResult, PublishError> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    RunResult::read(&file).map_err(|e| PublishError::Input(format!("cannot read report {}: {e}", file.display())))
}

pub fn compare(base: &RunResult, current: &RunResult) -> Comparison {
    let mut rows = Vec::new();
    let mut push = |section: &str, metric: &str, unit, base: f64, current: f64, direction, is_p95| {
        rows.push(DeltaRow {
            section: section.into(),
            metric: metric.into(),
            unit,
            base,
            current,
            direction,
            is_p95,
        })
    };
    use Direction::*;
    if let (Some(b), Some(c)) = (&base.lifecycle, &current.lifecycle) {
        let pairs = [
            ("Sequential", &b.sequential, &c.sequential),
            ("Staggered", &b.staggered, &c.staggered),
            ("Burst", &b.burst, &c.burst),
        ];
        for (mode, bm, cm) in pairs {
            let (Some(bm), Some(cm)) = (bm, cm) else { continue };
            push(
                mode,
                "TTI p50",
                "ms",
                bm.tti_ms.p50,
                cm.tti_ms.p50,
                LowerIsBetter,
                false,
            );
            push(mode, "TTI p95", "ms", bm.tti_ms.p95, cm.tti_ms.p95, LowerIsBetter, true);
            push(
                mode,
                "TTI p99",
                "ms",
                bm.tti_ms.p99,
                cm.tti_ms.p99,
                LowerIsBetter,
                false,
            );
            let (bs, cs) = (bm.success_rate() * 100.0, cm.success_rate() * 100.0);
            push(mode, "success rate", "%", bs, cs, HigherIsBetter, false);
        }
    }
    if let (Some(b), Some(c)) = (&base.checkpoint, &current.checkpoint) {
        push(
            "Checkpoint",
            "restore p50",
            "ms",
            b.restore_ms.p50,
            c.restore_ms.p50,
            LowerIsBetter,
            false,
        );
        push(
            "Checkpoint",
            "restore p95",
            "ms",
            b.restore_ms.p95,
            c.restore_ms.p95,
            LowerIsBetter,
            true,
        );
        push(
            "Checkpoint",
            "verify p50",
            "ms",
            b.verify_ms.p50,
            c.verify_ms.p50,
            LowerIsBetter,
            false,
        );
        push(
            "Checkpoint",
            "verify p95",
            "ms",
            b.verify_ms.p95,
            c.verify_ms.p95,
            LowerIsBetter,
            true,
        );
    }
    if let (Some(b), Some(c)) = (&base.storage, &current.storage) {
        for cs in &c.sizes {
            let Some(bs) = b.sizes.iter().find(|s| (s.size_mb - cs.size_mb).abs() < 1e-9) else {
                continue;
            };
            let section = format!("Storage {} MB", cs.size_mb);
            push(
                &section,
                "upload",
                "MB/s",
                bs.upload_mb_s,
                cs.upload_mb_s,
                HigherIsBetter,
                false,
            );
            push(
                &section,
                "download",
                "MB/s",
                bs.download_mb_s,
                cs.download_mb_s,
                HigherIsBetter,
                false,
            );
            push(
                &section,
                "upload p95",
                "ms",
                bs.upload_ms.p95,
                cs.upload_ms.p95,
                LowerIsBetter,
                true,
            );
            push(
                &section,
                "download p95",
                "ms",
                bs.download_ms.p95,
                cs.download_ms.p95,
                LowerIsBetter,
                true,
            );
        }
    }
    Comparison { rows }
}

impl Comparison {
    /// The reasons a run fails `--fail-on-regression PCT`: every p95 that got worse by more than PCT.
    pub fn regressions(&self, threshold_pct: f64) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.is_p95)
            .filter_map(|r| {
                let worse = r.regression_pct()?;
                (worse > threshold_pct).then(|| {
                    format!(
                        "{} {} regressed {:.1}% ({} -> {} {}), over the {threshold_pct}% threshold",
                        r.section,
                        r.metric,
                        worse,
                        fmt_num(r.base),
                        fmt_num(r.current),
                        r.unit
                    )
                })
            })
            .collect()
    }

    pub fn to_markdown(&self) -> String {
        if self.rows.is_empty() {
            return "_No metric is present in both the baseline and this run._\n".into();
        }
        let mut out = String::from("| Section | Metric | Baseline | This run | Change |\n|---|---|---:|---:|---|\n");
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} {} | {} {} | {} |\n",
                r.section,
                r.metric,
                fmt_num(r.base),
                r.unit,
                fmt_num(r.current),
                r.unit,
                change_cell(r)
            ));
        }
        out
    }
}

/// `▲ +12.3% (worse)`: the arrow follows the number, the word says whether that is good.
fn change_cell(r: &DeltaRow) -> String {
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
    use super::*;

    fn row(base: f64, current: f64, direction: Direction) -> DeltaRow {
        DeltaRow {
            section: "Burst".into(),
            metric: "TTI p95".into(),
            unit: "ms",
            base,
            current,
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
        };
        assert_eq!(c.regressions(20.0).len(), 1);
        assert!(c.regressions(30.0).is_empty());
        let mut p50 = row(100.0, 300.0, Direction::LowerIsBetter);
        p50.is_p95 = false;
        assert!(Comparison { rows: vec![p50] }.regressions(1.0).is_empty());
    }
}
