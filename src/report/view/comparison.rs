//! The comparison with a baseline as the outputs lead with it: the significant regressions (with
//! effect and interval), the metrics with no data, and how many metrics were compared. Built from
//! the comparison `publish` or `run --baseline` made; a run directory alone has none.

use crate::compare::{CompareSettings, Comparison, Decision, MetricRow};

#[derive(Clone, Debug)]
pub struct BaselineView<'a> {
    pub settings: CompareSettings,
    /// Significant regressions, in the comparison's order.
    pub regressions: Vec<&'a MetricRow>,
    /// Metrics a side measured nothing of: they fail `--fail-on-regression`.
    pub no_data: Vec<&'a MetricRow>,
    pub improved: usize,
    /// Metrics that were tested.
    pub compared: usize,
    /// Why the runs could not be compared at all.
    pub incomparable: Option<&'a str>,
}

impl<'a> BaselineView<'a> {
    pub fn of(cmp: &'a Comparison) -> Self {
        let with = |f: fn(&Decision) -> bool| cmp.rows.iter().filter(move |r| f(&r.decision));
        BaselineView {
            settings: cmp.settings,
            regressions: with(|d| matches!(d, Decision::Regressed { .. })).collect(),
            no_data: with(|d| matches!(d, Decision::NoData(_))).collect(),
            improved: with(|d| matches!(d, Decision::Improved { .. })).count(),
            compared: cmp.rows.iter().filter(|r| r.evidence.is_some()).count(),
            incomparable: cmp.incomparable.as_deref(),
        }
    }
}
