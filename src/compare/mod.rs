//! Two runs decided metric by metric from their whole distributions: is this run slower, faster,
//! or the same as the baseline, and how sure can we be?
//!
//! Every latency metric (per lifecycle mode: create, first command, TTI, destroy; checkpoint
//! restore, verify and checkpoint; storage upload and download per size) is judged from the two
//! HdrHistograms report.json holds: a Mann–Whitney U test on the distributions, and the shift of
//! p50 and p95 with 95 % bootstrap intervals. Success rates are judged as proportions. A metric
//! *regressed* only when the difference is significant (p below `alpha`) **and** an effect larger
//! than `min_effect` is surely there (its interval lies on the worse side of 0): significance alone
//! flags harmless shifts in large samples, a percent alone flags noise. docs/statistics.md states
//! the method, its assumptions and how to choose the two settings.
//!
//! What cannot be judged is said so, never guessed: a part one side did not run is a note; a
//! metric a side measured nothing of is "no data" (never "improved", and `--fail-on-regression`
//! fails on it because a regression cannot be ruled out); runs of different providers, profiles or
//! sizes, and metrics with too few samples or no histogram (reports of older versions), are
//! "incomparable". Everything is read from report.json; nothing is random but seeded.

mod decide;
mod parts;
mod render;

use crate::stats::Interval;

pub use parts::compare;

pub use crate::config::compare::CompareSettings;

/// Fewest samples per side a metric needs to be tested: below it the normal approximation of
/// Mann–Whitney and the bootstrap of p95 say little.
pub const MIN_SAMPLES: u64 = 10;

/// What one run measured of a metric, as shown beside the decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Values {
    /// Milliseconds.
    Latency {
        count: u64,
        p50: f64,
        p95: f64,
        /// Operations in flight at once on average (1: one at a time): the samples are worth
        /// `count / overlap` independent ones.
        overlap: f64,
    },
    Rate {
        successes: u64,
        count: u64,
    },
}

impl Values {
    pub fn count(&self) -> u64 {
        match self {
            Values::Latency { count, .. } | Values::Rate { count, .. } => *count,
        }
    }
}

/// A relative change of one statistic (`p50`, `p95`, `rate`) with its 95 % interval, in the metric's
/// own direction (`+0.2` = 20 % larger; for a success rate, 20 % higher).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    pub stat: &'static str,
    pub change: f64,
    pub interval: Interval,
    /// The change in milliseconds, for latencies (`None` for a success rate).
    pub absolute_ms: Option<f64>,
}

/// The test of a metric both runs measured enough of.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// Mann–Whitney's for latencies, the two-proportion z-test's for rates.
    pub p_value: f64,
    /// p50 and p95 for latencies; the rate for success rates.
    pub shifts: Vec<Shift>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Significantly worse by more than the minimum effect: `effect` is the change that says so.
    Regressed {
        effect: Shift,
    },
    Improved {
        effect: Shift,
    },
    Unchanged,
    /// Which side measured nothing ("no data in this run").
    NoData(&'static str),
    /// Why the metric cannot be tested (too few samples, no histogram).
    Incomparable(String),
}

/// One metric of one part on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    /// `Sequential`, `Checkpoint`, `Storage 1 MB`.
    pub section: String,
    /// `TTI`, `restore`, `success rate`.
    pub metric: &'static str,
    /// The histogram's key in report.json (`lifecycle.burst.tti_ms`), or `<part>.success_rate`.
    pub key: String,
    pub base: Option<Values>,
    pub current: Option<Values>,
    pub evidence: Option<Evidence>,
    pub decision: Decision,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub settings: CompareSettings,
    pub rows: Vec<MetricRow>,
    /// Parts one side did not run, e.g. `Lifecycle (not run in this run)`, and parts that ran with
    /// different sizes: shown, never judged.
    pub not_compared: Vec<String>,
    /// Why the two runs cannot be compared at all (different providers or profiles).
    pub incomparable: Option<String>,
}

impl Comparison {
    pub fn regressed(&self) -> impl Iterator<Item = &MetricRow> {
        self.rows
            .iter()
            .filter(|r| matches!(r.decision, Decision::Regressed { .. }))
    }
}

pub use render::{effect_text, p_text, signed_pct};
