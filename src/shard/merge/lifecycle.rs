//! The lifecycle section of an aggregate: counts summed per mode, latency from the merged
//! histograms, and each shard's timeline laid on wall-clock time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::timeline::{self, offset_ms, parse_time};
use super::{MergedHistograms, Part};
use crate::report::{LifecycleReport, ModeReport, TimelinePoint};

pub fn merge(parts: &[Part], hist: &MergedHistograms) -> Option<LifecycleReport> {
    if parts.iter().all(|p| p.result.lifecycle.is_none()) {
        return None;
    }
    let mut out = LifecycleReport::default();
    for name in ["sequential", "staggered", "burst"] {
        let modes: Vec<(&Part, &ModeReport)> = parts
            .iter()
            .filter_map(|p| {
                let lc = p.result.lifecycle.as_ref()?;
                lc.modes().into_iter().find(|(n, _)| *n == name).map(|(_, m)| (p, m))
            })
            .collect();
        if modes.is_empty() {
            continue;
        }
        let merged = Some(mode(name, &modes, hist));
        match name {
            "sequential" => out.sequential = merged,
            "staggered" => out.staggered = merged,
            _ => out.burst = merged,
        }
    }
    Some(out)
}

fn add_classes(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// One lifecycle mode over all shards: counts summed, then the timeline laid on the wall clock.
fn mode(name: &str, modes: &[(&Part, &ModeReport)], hist: &MergedHistograms) -> ModeReport {
    let mut out = summed(name, modes, hist);
    // Each shard's origin on the wall clock: the mode's own start, else its run's start.
    let origins: Vec<Option<DateTime<Utc>>> = modes
        .iter()
        .map(|(p, m)| {
            m.started_at
                .as_deref()
                .or(Some(&p.result.started_at))
                .and_then(parse_time)
        })
        .collect();
    match origins.iter().flatten().min().copied() {
        Some(base) => lay_on_wall_clock(&mut out, modes, &origins, base),
        None => out.peak_concurrency = modes.iter().map(|(_, m)| m.peak_concurrency).max().unwrap_or(0),
    }
    out
}

/// Counts and failure classes summed; latency from the merged histograms.
fn summed(name: &str, modes: &[(&Part, &ModeReport)], hist: &MergedHistograms) -> ModeReport {
    let key = |metric: &str| format!("lifecycle.{name}.{metric}");
    let mut out = ModeReport {
        create_ms: hist.summary(&key("create_ms")),
        first_command_ms: hist.summary(&key("first_command_ms")),
        tti_ms: hist.summary(&key("tti_ms")),
        destroy_ms: hist.summary(&key("destroy_ms")),
        ..Default::default()
    };
    for (_, m) in modes {
        out.count += m.count;
        out.status.success += m.status.success;
        out.status.partial += m.status.partial;
        out.status.readiness_failed += m.status.readiness_failed;
        out.status.failed += m.status.failed;
        add_classes(&mut out.failure_class, &m.failure_class);
        add_classes(&mut out.destroy_failure_class, &m.destroy_failure_class);
        out.destroy_failures += m.destroy_failures;
        out.swept += m.swept;
    }
    out
}

/// The timeline is laid on the wall clock ([`timeline::lay`]). Wall-clock figures span from the
/// earliest shard's start (`base`) to the last sandbox ready on any shard.
fn lay_on_wall_clock(
    out: &mut ModeReport,
    modes: &[(&Part, &ModeReport)],
    origins: &[Option<DateTime<Utc>>],
    base: DateTime<Utc>,
) {
    let mut last_ready: Option<f64> = None;
    let mut first_ready: Option<f64> = None;
    let mut placed: Vec<(f64, &[TimelinePoint])> = Vec::new();
    for ((_, m), origin) in modes.iter().zip(origins) {
        let off = offset_ms(origin, base);
        placed.push((off, &m.timeline));
        if let Some(ttfr) = m.time_to_first_ready_ms {
            let ready_first = off + ttfr;
            let ready_last = off + m.wall_clock_ms;
            first_ready = Some(first_ready.map_or(ready_first, |f: f64| f.min(ready_first)));
            last_ready = Some(last_ready.map_or(ready_last, |l: f64| l.max(ready_last)));
        }
    }
    let shard_peak = modes.iter().map(|(_, m)| m.peak_concurrency).max().unwrap_or(0);
    (out.timeline, out.peak_concurrency, out.mean_concurrency) = timeline::lay(&placed, shard_peak);
    let round3 = |v: f64| (v * 1000.0).round() / 1000.0;
    out.time_to_first_ready_ms = first_ready.map(round3);
    out.wall_clock_ms = last_ready.map_or(0.0, round3);
    out.started_at = Some(base.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{RunResult, ShardInfo};

    fn part(index: u32, started_at: &str, alive: &[u64], wall: f64) -> Part {
        let result: RunResult = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tool_version": "t", "verdict": "pass", "verdict_reasons": [],
            "interrupted": false, "seed": 1, "profile": "burst", "provider": "http",
            "started_at": started_at, "finished_at": started_at, "duration_s": 1.0,
            "config": { "restores": 0, "rounds": 0, "concurrency": 1, "marker_size_mb": 1.0,
                        "inject_corruption": 0.0, "max_infra_rate": 0.5, "exec_timeout_ms": 1 },
            "totals": { "planned": 0, "verified": 0, "corrupted": 0, "infra": 0, "lost": 0 },
            "infra_classes": {}, "histograms": {}
        }))
        .unwrap();
        let mode = ModeReport {
            count: 2,
            started_at: Some(started_at.to_string()),
            timeline: alive
                .iter()
                .enumerate()
                .map(|(i, a)| TimelinePoint::at(i as f64 * 100.0, *a))
                .collect(),
            peak_concurrency: alive.iter().copied().max().unwrap_or(0),
            wall_clock_ms: wall,
            time_to_first_ready_ms: Some(50.0),
            ..Default::default()
        };
        Part {
            source: format!("s{index}"),
            result: RunResult {
                shard: Some(ShardInfo {
                    index,
                    count: 2,
                    group: "g".into(),
                    seed: 0,
                }),
                lifecycle: Some(LifecycleReport {
                    burst: Some(mode),
                    ..Default::default()
                }),
                ..result
            },
        }
    }

    #[test]
    fn timelines_are_laid_on_the_wall_clock() {
        // Shard 2 starts 200 ms after shard 1: its steps move 200 ms right.
        let parts = vec![
            part(1, "2026-01-01T00:00:00.000Z", &[2, 2, 0], 150.0),
            part(2, "2026-01-01T00:00:00.200Z", &[2, 2, 0], 150.0),
        ];
        let hist = MergedHistograms {
            map: Default::default(),
            overlap: Default::default(),
        };
        let lc = merge(&parts, &hist).unwrap();
        let m = lc.burst.unwrap();
        let alive: Vec<u64> = m.timeline.iter().map(|p| p.alive).collect();
        assert_eq!(alive, vec![2, 2, 2, 2, 0]);
        assert_eq!(m.peak_concurrency, 2);
        assert_eq!(m.count, 4);
        assert_eq!(m.wall_clock_ms, 350.0, "first start to the last ready on either shard");
        assert_eq!(m.time_to_first_ready_ms, Some(50.0));
        assert_eq!(m.started_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    }
}
