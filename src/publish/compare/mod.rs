//! Baseline comparison: how this run moved against the base branch's run, metric by metric.
//!
//! A part of the report (a workload, a lifecycle mode, a storage size) that one side did not run is
//! not compared but named in a note, so an older baseline without the lifecycle or storage sections
//! still yields the checkpoint rows. A part that both sides ran but one side has no measurements of
//! (an empty histogram, a selected mode missing from report.json) is a "no data" row: never a
//! "−100 %, better", and `--fail-on-regression` fails on it because a regression cannot be ruled
//! out. Percentiles come from report.json's histogram summaries, never from samples.

mod collect;
mod table;

pub use collect::compare;

/// Whether a larger number is good news (throughput, success rate) or bad news (latency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// One metric on both sides; `None` is "no data" (nothing was measured on that side).
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaRow {
    pub section: String,
    pub metric: String,
    pub unit: &'static str,
    pub base: Option<f64>,
    pub current: Option<f64>,
    pub direction: Direction,
    /// p95 rows are the ones `--fail-on-regression` judges.
    pub is_p95: bool,
}

impl DeltaRow {
    /// Change in percent of the base; `None` when a side has no data or the base is 0 (no
    /// meaningful ratio).
    pub fn change_pct(&self) -> Option<f64> {
        let (base, current) = (self.base?, self.current?);
        (base != 0.0).then(|| (current - base) / base * 100.0)
    }

    /// How much worse, in percent (positive = worse), whatever the direction.
    pub fn regression_pct(&self) -> Option<f64> {
        self.change_pct().map(|c| match self.direction {
            Direction::LowerIsBetter => c,
            Direction::HigherIsBetter => -c,
        })
    }

    /// Which side lacks data, in words; `None` when both sides measured the metric.
    pub fn no_data(&self) -> Option<&'static str> {
        match (self.base, self.current) {
            (Some(_), Some(_)) => None,
            (Some(_), None) => Some("no data in this run"),
            (None, Some(_)) => Some("no data in the baseline"),
            (None, None) => Some("no data in either run"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub rows: Vec<DeltaRow>,
    /// Parts one side did not run, e.g. `Lifecycle (not run in this run)`: shown, never judged.
    pub not_compared: Vec<String>,
}
