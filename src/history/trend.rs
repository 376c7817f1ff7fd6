//! A branch's trend: the runs in order, one series per headline statistic (TTI p50 and p95 per
//! mode, restore and checkpoint p50 and p95, success rate per mode), and the change points of each
//! series grouped by the run where the level moved. This is what history.json holds and what the
//! charts and history.md draw.

use serde::Serialize;

use super::entry::HistoryEntry;
use crate::report::Verdict;
use crate::stats::{change_points, ChangePointSettings, Scale};

#[derive(Clone, Debug, Serialize)]
pub struct Trend {
    pub branch: String,
    pub runs: Vec<TrendRun>,
    pub series: Vec<TrendSeries>,
    pub change_points: Vec<TrendChange>,
    pub method: Method,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrendRun {
    pub sha: Option<String>,
    /// The first 7 characters of the commit, or `#<n>` when the run recorded none.
    pub label: String,
    pub started_at: String,
    pub run_id: Option<String>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrendSeries {
    /// `lifecycle.sequential.tti_ms.p50`, `lifecycle.burst.success_rate`.
    pub key: String,
    /// `sequential TTI p50`.
    pub label: String,
    pub unit: &'static str,
    /// One value per run; `null` where the run did not measure it.
    pub values: Vec<Option<f64>>,
}

/// A run where at least one series' level moved.
#[derive(Clone, Debug, Serialize)]
pub struct TrendChange {
    /// Position of the run in `runs` (0-based): the first run at the new level.
    pub index: usize,
    pub sha: Option<String>,
    pub label: String,
    pub moves: Vec<TrendMove>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrendMove {
    pub series: String,
    pub label: String,
    pub unit: &'static str,
    /// The level before and after the change point: the mean of the runs on each side (the
    /// geometric mean for latencies).
    pub before: f64,
    pub after: f64,
    /// (after − before) / before.
    pub change: f64,
    pub p_value: f64,
}

/// The change-point method and its parameters, written into history.json so a reader knows how
/// the points were found.
#[derive(Clone, Debug, Serialize)]
pub struct Method {
    pub name: &'static str,
    pub max_p_value: f64,
    pub min_magnitude: f64,
    pub min_segment: usize,
}

/// Latency series: (histogram key in the entry, label); each gives a p50 and a p95 series.
const LATENCY_SERIES: [(&str, &str); 5] = [
    ("lifecycle.sequential.tti_ms", "sequential TTI"),
    ("lifecycle.staggered.tti_ms", "staggered TTI"),
    ("lifecycle.burst.tti_ms", "burst TTI"),
    ("checkpoint.all.restore_ms", "restore"),
    ("checkpoint.all.checkpoint_ms", "checkpoint"),
];

const MODES: [&str; 3] = ["sequential", "staggered", "burst"];

impl Trend {
    pub fn build(branch: &str, entries: &[HistoryEntry], settings: &ChangePointSettings) -> Self {
        let runs = entries
            .iter()
            .enumerate()
            .map(|(i, e)| TrendRun {
                sha: e.source.sha.clone(),
                label: e.source.short_sha().map_or(format!("#{}", i + 1), str::to_string),
                started_at: e.started_at.clone(),
                run_id: e.source.run_id.clone(),
                verdict: e.verdict,
            })
            .collect::<Vec<_>>();
        let mut series = Vec::new();
        for (key, label) in LATENCY_SERIES {
            for (stat, pick) in [
                ("p50", (|m| m.p50) as fn(&super::entry::MetricPoint) -> f64),
                ("p95", |m| m.p95),
            ] {
                let values: Vec<Option<f64>> = entries
                    .iter()
                    .map(|e| e.metrics.get(key).filter(|m| m.count > 0).map(pick))
                    .collect();
                push_if_any(
                    &mut series,
                    format!("{key}.{stat}"),
                    format!("{label} {stat}"),
                    "ms",
                    values,
                );
            }
        }
        for mode in MODES {
            let key = format!("lifecycle.{mode}.success_rate");
            let values = entries
                .iter()
                .map(|e| e.rates.get(&key).and_then(|r| r.rate()).map(|r| r * 100.0))
                .collect();
            push_if_any(&mut series, key, format!("{mode} success rate"), "%", values);
        }
        let change_points = changes(&runs, &series, settings);
        Trend {
            branch: branch.to_string(),
            runs,
            series,
            change_points,
            method: Method {
                name: "E-divisive means (energy distance, α = 1) with binary segmentation; each split confirmed by Welch's t-test (Hunter); latencies on a log scale",
                max_p_value: settings.max_p_value,
                min_magnitude: settings.min_magnitude,
                min_segment: settings.min_segment,
            },
        }
    }

    pub fn series(&self, key: &str) -> Option<&TrendSeries> {
        self.series.iter().find(|s| s.key == key)
    }
}

fn push_if_any(
    series: &mut Vec<TrendSeries>,
    key: String,
    label: String,
    unit: &'static str,
    values: Vec<Option<f64>>,
) {
    if values.iter().any(Option::is_some) {
        series.push(TrendSeries {
            key,
            label,
            unit,
            values,
        });
    }
}

/// Change points of every series, on the runs that measured it, grouped by run.
fn changes(runs: &[TrendRun], series: &[TrendSeries], settings: &ChangePointSettings) -> Vec<TrendChange> {
    let mut out: Vec<TrendChange> = Vec::new();
    for s in series {
        let (at, values): (Vec<usize>, Vec<f64>) = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .unzip();
        // Latencies move by factors: searched on a log scale (levels are geometric means).
        let scale = if s.unit == "ms" { Scale::Log } else { Scale::Linear };
        for cp in change_points(&values, scale, settings) {
            let index = at[cp.index];
            let m = TrendMove {
                series: s.key.clone(),
                label: s.label.clone(),
                unit: s.unit,
                before: cp.mean_before,
                after: cp.mean_after,
                change: cp.change,
                p_value: cp.p_value,
            };
            match out.iter_mut().find(|c| c.index == index) {
                Some(c) => c.moves.push(m),
                None => out.push(TrendChange {
                    index,
                    sha: runs[index].sha.clone(),
                    label: runs[index].label.clone(),
                    moves: vec![m],
                }),
            }
        }
    }
    out.sort_by_key(|c| c.index);
    out
}
