//! One run in a branch's history: enough to draw a trend and find change points without reading
//! the run directory, and small (a few kB: the headline histograms are compressed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::{decode_histogram, LatencySummary, RunResult, Source, Verdict};

/// Bumped when a field of an entry changes meaning.
pub const HISTORY_SCHEMA_VERSION: u32 = 1;

/// Histograms an entry keeps whole: time to interactive per mode and the checkpoint latencies.
const HEADLINE_HISTOGRAMS: [&str; 6] = [
    "lifecycle.sequential.tti_ms",
    "lifecycle.staggered.tti_ms",
    "lifecycle.burst.tti_ms",
    "checkpoint.all.restore_ms",
    "checkpoint.all.verify_ms",
    "checkpoint.all.checkpoint_ms",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub schema_version: u32,
    pub source: Source,
    pub started_at: String,
    pub tool_version: String,
    pub profile: String,
    pub provider: String,
    pub verdict: Verdict,
    /// Each workload's verdict.
    pub workloads: BTreeMap<String, Verdict>,
    /// Every latency histogram's count and percentiles in ms (per-round histograms left out),
    /// keyed like report.json's histograms.
    pub metrics: BTreeMap<String, MetricPoint>,
    /// `lifecycle.<mode>.success_rate`: successes of count.
    pub rates: BTreeMap<String, RatePoint>,
    /// The headline histograms, compressed as in report.json, for later distribution comparisons.
    pub histograms: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatePoint {
    pub successes: u64,
    pub count: u64,
}

impl RatePoint {
    pub fn rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.successes as f64 / self.count as f64)
    }
}

impl HistoryEntry {
    pub fn of(result: &RunResult) -> Self {
        let mut metrics = BTreeMap::new();
        for (key, text) in &result.histograms {
            if key.split('.').nth(1).is_some_and(|scope| scope.starts_with("round")) {
                continue;
            }
            if let Ok(h) = decode_histogram(text) {
                let s = LatencySummary::from_histogram(&h);
                metrics.insert(
                    key.clone(),
                    MetricPoint {
                        count: s.count,
                        p50: s.p50,
                        p95: s.p95,
                        p99: s.p99,
                    },
                );
            }
        }
        let rates = result
            .lifecycle
            .iter()
            .flat_map(|l| l.modes())
            .map(|(name, m)| {
                (
                    format!("lifecycle.{name}.success_rate"),
                    RatePoint {
                        successes: m.status.success,
                        count: m.count,
                    },
                )
            })
            .collect();
        HistoryEntry {
            schema_version: HISTORY_SCHEMA_VERSION,
            source: result.source.clone(),
            started_at: result.started_at.clone(),
            tool_version: result.tool_version.clone(),
            profile: result.profile.clone(),
            provider: result.provider.clone(),
            verdict: result.verdict,
            workloads: result.workloads.iter().map(|(k, w)| (k.clone(), w.verdict)).collect(),
            metrics,
            rates,
            histograms: HEADLINE_HISTOGRAMS
                .iter()
                .filter_map(|k| result.histograms.get(*k).map(|h| (k.to_string(), h.clone())))
                .collect(),
        }
    }

    /// `20260102T030405123Z-0123456789ab-99-1.json`: names sort in the order the runs started.
    pub fn file_name(&self) -> String {
        let stamp = chrono::DateTime::parse_from_rfc3339(&self.started_at)
            .map(|t| t.with_timezone(&chrono::Utc).format("%Y%m%dT%H%M%S%3fZ").to_string())
            .unwrap_or_else(|_| "00000000T000000000Z".into());
        let sha = self
            .source
            .sha
            .as_deref()
            .map_or("nosha".to_string(), |s| safe(&s[..s.len().min(12)]));
        let run = self.source.run_id.as_deref().map_or("local".to_string(), safe);
        format!("{stamp}-{sha}-{run}-{}.json", self.source.run_attempt.unwrap_or(1))
    }

    /// The branch whose history this run belongs to; see [`branch_dir`].
    pub fn branch(&self) -> String {
        match (self.source.pr, self.source.branch()) {
            (Some(pr), _) => format!("pr-{pr}"),
            (None, Some(b)) => branch_dir(b),
            (None, None) => "local".into(),
        }
    }
}

/// A branch name as a directory (and S3 key segment): `release/1.x` -> `release-1.x`. A pull
/// request's runs go to `pr-<N>`, never to the branch it targets, so a PR (or a fork naming its
/// branch `main`) cannot write into the base branch's history.
pub fn branch_dir(branch: &str) -> String {
    let mapped: String = branch
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches('.');
    if trimmed.is_empty() {
        "unnamed".into()
    } else {
        trimmed.to_string()
    }
}

fn safe(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_are_safe_directories() {
        assert_eq!(branch_dir("main"), "main");
        assert_eq!(branch_dir("release/1.x"), "release-1.x");
        assert_eq!(branch_dir("../../etc"), "-..-etc");
        assert_eq!(branch_dir(".."), "unnamed");
    }
}
