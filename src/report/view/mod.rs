//! What every output shows, built once from report.json: the headline, one row per workload, the
//! thresholds, the provider calls that needed retries, the lifecycle modes, the chart data, the
//! corruption details, the contention and chaos sections, and where the run ran.
//!
//! The view decides *what* is shown and in which order (run order for workloads, the protocol's
//! order for provider calls, the canonical order for lifecycle modes) and derives what several
//! outputs need (a threshold's status, a chart's axis, the notes under the contention table). It
//! formats nothing for a medium: the console upper-cases verdicts and pads columns, summary.md adds
//! icons and escapes cells, the PR comment shortens. Two outputs can then disagree on how a row
//! looks, never on which rows exist.

mod chart;
mod comparison;
mod corruptions;
mod rows;
mod sections;
mod timing;

use std::path::Path;

pub use chart::Chart;
pub use comparison::BaselineView;
pub use corruptions::{first_corruptions, CorruptionDetail, CORRUPTION_DETAILS};
pub use rows::{RetryRow, ThresholdRow, ThresholdStatus, WorkloadRow, CALL_ORDER};
pub use sections::{host_line, ContentionNote, ContentionView, Placement};
pub use timing::timing_line;

use crate::compare::Comparison;
use crate::report::{CapacityReport, ModeReport, RunResult, ScenarioReport, Trend, Verdict};

/// The lifecycle modes in their canonical order: every output's mode table has these three rows.
pub const LIFECYCLE_MODES: [&str; 3] = ["sequential", "staggered", "burst"];

/// The run's verdict and why; the first thing every output says.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline<'a> {
    pub verdict: Verdict,
    pub reasons: &'a [String],
    pub interrupted: bool,
    /// Set when the self-test damaged restores on purpose: a reader must not take its
    /// corruptions for the platform's.
    pub self_test: Option<SelfTest>,
}

/// What the corruption self-test injected and what the checks caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfTest {
    pub injected: u64,
    pub detected: u64,
}

impl SelfTest {
    pub fn missed(&self) -> u64 {
        self.injected.saturating_sub(self.detected)
    }
}

impl<'a> Headline<'a> {
    pub fn of(result: &'a RunResult) -> Self {
        let t = &result.totals;
        Headline {
            verdict: result.verdict,
            reasons: &result.verdict_reasons,
            interrupted: result.interrupted,
            self_test: (t.injected > 0).then_some(SelfTest {
                injected: t.injected,
                detected: t.injected_detected,
            }),
        }
    }
}

/// Everything an output may show about one run. Sections every output shows as they are in the
/// report (totals, rounds, storage sizes, environment) are read from [`RunView::result`].
pub struct RunView<'a> {
    pub result: &'a RunResult,
    pub headline: Headline<'a>,
    /// In the order the workloads ran.
    pub workloads: Vec<WorkloadRow<'a>>,
    /// `<workload>: <line>` for things to know that did not change the verdict (leaked sandboxes).
    pub warnings: Vec<String>,
    pub thresholds: Vec<ThresholdRow<'a>>,
    /// Every kind of provider call, in the protocol's order; empty unless some call was retried.
    pub retries: Vec<RetryRow<'a>>,
    /// The lifecycle modes that ran, in their canonical order.
    pub modes: Vec<(&'static str, &'a ModeReport)>,
    /// The three modes' table when the lifecycle workload ran: one row per mode, `None` for a mode
    /// that did not run.
    pub mode_rows: Vec<(&'static str, Option<&'a ModeReport>)>,
    /// Thresholds crossed or without data: the lines under the headline.
    pub crossed: Vec<ThresholdRow<'a>>,
    /// The comparison with the baseline, when one was made (`publish`, `run --baseline`).
    pub baseline: Option<BaselineView<'a>>,
    /// p50/p95/p99 time to interactive per lifecycle mode.
    pub tti_chart: Option<Chart>,
    /// p50/p95/p99 restore and verify latency (for outputs that need a chart when no mode ran).
    pub checkpoint_chart: Option<Chart>,
    /// The first [`CORRUPTION_DETAILS`] corrupted operations from events.jsonl.
    pub corruptions: Vec<CorruptionDetail>,
    pub contention: Option<ContentionView<'a>>,
    pub scenarios: Vec<&'a ScenarioReport>,
    /// Why chaos runs did not pass: the first five per scenario, as (scenario, line).
    pub chaos_failures: Vec<(&'a str, &'a str)>,
    /// Which shard this run was, or what an aggregate merged.
    pub placement: Option<Placement<'a>>,
    /// The tool's own peak memory, CPU and open files.
    pub host_line: Option<String>,
    /// A ramp's capacity search, whose knee every output states.
    pub capacity: Option<&'a CapacityReport>,
    /// Headline latencies the trend test says degraded over a timed run, by key: every output
    /// calls them out, since a run can pass while getting slower by the minute.
    pub degraded: Vec<(&'a str, &'a Trend)>,
    /// Where the run's wall time went, up to report.json (see `report::RENDERED_AFTER_REPORT`).
    pub time_line: Option<String>,
}

impl<'a> RunView<'a> {
    /// `run_dir` is read only for the corruption details in events.jsonl, and only when the report
    /// counts corruption.
    pub fn build(result: &'a RunResult, run_dir: &Path) -> Self {
        let corruptions = if result.totals.corrupted > 0 {
            first_corruptions(run_dir, CORRUPTION_DETAILS)
        } else {
            Vec::new()
        };
        let modes = result.lifecycle.as_ref().map(|l| l.modes()).unwrap_or_default();
        let scenarios: Vec<&ScenarioReport> = result.chaos.iter().flat_map(|c| &c.scenarios).collect();
        let chaos_failures = scenarios
            .iter()
            .flat_map(|s| s.failures.iter().take(5).map(|f| (s.name.as_str(), f.as_str())))
            .collect();
        let thresholds = rows::thresholds(result);
        let mode_rows = match &result.lifecycle {
            Some(_) => LIFECYCLE_MODES
                .iter()
                .map(|name| (*name, modes.iter().find(|(n, _)| n == name).map(|(_, m)| *m)))
                .collect(),
            None => Vec::new(),
        };
        RunView {
            result,
            headline: Headline::of(result),
            workloads: rows::workloads(result),
            warnings: rows::warnings(result),
            crossed: thresholds
                .iter()
                .filter(|t| t.status != ThresholdStatus::Held)
                .cloned()
                .collect(),
            thresholds,
            mode_rows,
            baseline: None,
            retries: rows::retries(result),
            tti_chart: chart::tti_per_mode(&modes),
            checkpoint_chart: result.checkpoint.as_ref().map(chart::checkpoint_latency),
            modes,
            corruptions,
            contention: result.contention.as_ref().map(ContentionView::of),
            scenarios,
            chaos_failures,
            placement: Placement::of(result),
            host_line: result.host.as_ref().map(host_line),
            capacity: result.lifecycle.as_ref().and_then(|l| l.capacity.as_ref()),
            degraded: result
                .timeseries
                .iter()
                .flat_map(|ts| &ts.trends)
                .filter(|(_, t)| t.degraded)
                .map(|(k, t)| (k.as_str(), t))
                .collect(),
            time_line: result.timing.as_ref().map(|t| timing_line(&t.until_report(), false)),
        }
    }

    /// The view with the comparison against a baseline, whose regressions every output then leads
    /// with.
    pub fn with_comparison(mut self, cmp: Option<&'a Comparison>) -> Self {
        self.baseline = cmp.map(BaselineView::of);
        self
    }
}
