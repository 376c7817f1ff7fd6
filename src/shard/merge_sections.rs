//! Merging the workload sections of shard reports: counts are summed, every latency summary is
//! recomputed from the merged histograms, and lifecycle timelines are laid on wall-clock time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::merge::{MergedHistograms, Part};
use crate::report::{CheckpointReport, LifecycleReport, ModeReport, StorageReport, StorageSizeReport, TimelinePoint};
use crate::workload::lifecycle::BUCKET;
use crate::workload::storage;

pub fn checkpoint(parts: &[Part], hist: &MergedHistograms) -> Option<CheckpointReport> {
    if parts.iter().all(|p| p.result.checkpoint.is_none()) {
        return None;
    }
    let mut out = CheckpointReport {
        restore_ms: hist.summary("checkpoint.all.restore_ms"),
        verify_ms: hist.summary("checkpoint.all.verify_ms"),
        ..Default::default()
    };
    let mut offset = 0;
    for part in parts {
        if let Some(cp) = &part.result.checkpoint {
            for round in &cp.rounds {
                let mut round = round.clone();
                round.round += offset;
                out.rounds.push(round);
            }
            for (kind, count) in &cp.injection {
                let merged = out.injection.entry(kind.clone()).or_default();
                merged.injected += count.injected;
                merged.detected += count.detected;
            }
        }
        offset += part.rounds();
    }
    Some(out)
}

pub fn lifecycle(parts: &[Part], hist: &MergedHistograms) -> Option<LifecycleReport> {
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

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn add_classes(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// One lifecycle mode over all shards. The timeline is the sum, per 100 ms bucket of wall-clock
/// time, of each shard's highest count alive in that bucket: an upper bound of the true peak (two
/// shards' maxima in one bucket need not coincide), exact when the bucket maxima do. Wall-clock
/// figures span from the earliest shard's start to the last sandbox ready on any shard.
fn mode(name: &str, modes: &[(&Part, &ModeReport)], hist: &MergedHistograms) -> ModeReport {
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
    let Some(base) = origins.iter().flatten().min().copied() else {
        out.peak_concurrency = modes.iter().map(|(_, m)| m.peak_concurrency).max().unwrap_or(0);
        return out;
    };
    let offset_ms = |o: &Option<DateTime<Utc>>| o.map_or(0.0, |o| (o - base).num_milliseconds().max(0) as f64);
    let bucket_ms = BUCKET.as_millis() as f64;

    let mut timeline: Vec<u64> = Vec::new();
    let mut weighted_mean = 0.0;
    let mut last_ready: Option<f64> = None;
    let mut first_ready: Option<f64> = None;
    for ((_, m), origin) in modes.iter().zip(&origins) {
        let off = offset_ms(origin);
        let start = (off / bucket_ms).round() as usize;
        let len = m.timeline.len();
        if timeline.len() < start + len {
            timeline.resize(start + len, 0);
        }
        // Before `start` the shard had nothing alive.
        for (i, point) in m.timeline.iter().enumerate() {
            timeline[start + i] += point.alive;
        }
        weighted_mean += m.mean_concurrency * (len.saturating_sub(1)) as f64 * bucket_ms;
        if let Some(ttfr) = m.time_to_first_ready_ms {
            let ready_first = off + ttfr;
            let ready_last = off + m.wall_clock_ms;
            first_ready = Some(first_ready.map_or(ready_first, |f: f64| f.min(ready_first)));
            last_ready = Some(last_ready.map_or(ready_last, |l: f64| l.max(ready_last)));
        }
    }
    // A shard that ended with sandboxes still alive keeps them alive until the end of the timeline.
    for ((_, m), origin) in modes.iter().zip(&origins) {
        let start = (offset_ms(origin) / bucket_ms).round() as usize;
        let end_value = m.timeline.last().map_or(0, |p| p.alive);
        if end_value > 0 {
            for slot in timeline.iter_mut().skip(start + m.timeline.len()) {
                *slot += end_value;
            }
        }
    }
    out.timeline = timeline
        .iter()
        .enumerate()
        .map(|(i, alive)| TimelinePoint {
            t_ms: i as u64 * BUCKET.as_millis() as u64,
            alive: *alive,
        })
        .collect();
    let shard_peak = modes.iter().map(|(_, m)| m.peak_concurrency).max().unwrap_or(0);
    out.peak_concurrency = timeline.iter().copied().max().unwrap_or(0).max(shard_peak);
    let span_ms = (timeline.len().saturating_sub(1)) as f64 * bucket_ms;
    out.mean_concurrency = if span_ms > 0.0 {
        (weighted_mean / span_ms * 1000.0).round() / 1000.0
    } else {
        modes.iter().map(|(_, m)| m.mean_concurrency).sum()
    };
    let round3 = |v: f64| (v * 1000.0).round() / 1000.0;
    out.time_to_first_ready_ms = first_ready.map(round3);
    out.wall_clock_ms = last_ready.map_or(0.0, round3);
    out.started_at = Some(base.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    out
}

pub fn storage(parts: &[Part], hist: &MergedHistograms) -> Option<StorageReport> {
    if parts.iter().all(|p| p.result.storage.is_none()) {
        return None;
    }
    let mut sizes: Vec<StorageSizeReport> = Vec::new();
    for part in parts {
        for s in part.result.storage.iter().flat_map(|st| &st.sizes) {
            let merged = match sizes.iter_mut().find(|m| m.size_mb == s.size_mb) {
                Some(m) => m,
                None => {
                    sizes.push(StorageSizeReport {
                        size_mb: s.size_mb,
                        ..Default::default()
                    });
                    sizes.last_mut().expect("just pushed")
                }
            };
            merged.iterations += s.iterations;
            merged.verified += s.verified;
            merged.corrupted += s.corrupted;
            merged.infra += s.infra;
            merged.delete_failures += s.delete_failures;
        }
    }
    for s in &mut sizes {
        s.upload_ms = hist.summary(&storage::key(s.size_mb, "upload_ms"));
        s.download_ms = hist.summary(&storage::key(s.size_mb, "download_ms"));
        s.upload_mb_s = storage::throughput(s.size_mb, s.upload_ms.mean);
        s.download_mb_s = storage::throughput(s.size_mb, s.download_ms.mean);
    }
    Some(StorageReport { sizes })
}
