//! The capacity search of ramped shards (`run --shard --ramp`), merged step by step and judged again.
//!
//! Every shard ran the same ramp at its share of the rate, so step `i` of every shard is step `i`
//! of the whole: offered and achieved rates add, launched, ended and verified sandboxes add, and the
//! step's TTI HdrHistograms add exactly. A step some shard never ran (it stopped early) is left out:
//! its offered rate would be only a part of the ramp's. The merged steps are then judged with the
//! live search's rule ([`SloReport::judge`], the SLO the shards recorded, the lowest merged step as
//! the baseline of a factor SLO, one sandbox of slack per shard) and the knee found by the same walk
//! ([`walk_to_knee`]), so the aggregate's knee is a statement about the whole rate, never a copy of
//! one shard's.

use hdrhistogram::Histogram;

use super::Part;
use crate::report::{decode_histogram, encode_histogram, new_histogram, walk_to_knee, CapacityReport, StepReport};
use crate::workload::lifecycle::FAILED_STEPS_TO_STOP;

/// The merged search; `None` when no shard ran a ramp.
pub fn merge(parts: &[Part]) -> Result<Option<CapacityReport>, String> {
    let searches: Vec<(&str, &CapacityReport)> = parts
        .iter()
        .filter_map(|p| {
            let c = p.result.lifecycle.as_ref()?.capacity.as_ref()?;
            Some((p.source.as_str(), c))
        })
        .collect();
    let Some(&(_, first)) = searches.first() else {
        return Ok(None);
    };
    let ran = searches.iter().map(|(_, c)| c.steps.len()).min().unwrap_or(0);
    let mut steps = Vec::with_capacity(ran);
    for i in 0..ran {
        steps.push(merged_step(&searches, i)?);
    }
    let mut out = CapacityReport {
        from_per_s: round2(searches.iter().map(|(_, c)| c.from_per_s).sum()),
        to_per_s: round2(searches.iter().map(|(_, c)| c.to_per_s).sum()),
        steps: Vec::new(),
        knee: None,
        ..first.clone()
    };
    let baseline = steps.first().and_then(|s| s.tti_p95_ms);
    let half_step_s = (out.step_s / 2.0).max(f64::MIN_POSITIVE);
    let slack = searches.len() as f64 / half_step_s;
    for step in &mut steps {
        out.slo.judge(step, baseline, slack);
    }
    out.slo.tti_p95_max_ms = out.slo.limit(baseline);
    out.knee = walk_to_knee(&steps, FAILED_STEPS_TO_STOP).0;
    out.stopped_early = (steps.len() as u32) < out.steps_planned;
    out.steps = steps;
    Ok(Some(out))
}

/// Step `i` of every shard added up (not yet judged).
fn merged_step(searches: &[(&str, &CapacityReport)], i: usize) -> Result<StepReport, String> {
    let mut out = StepReport {
        index: i as u32,
        ..Default::default()
    };
    let mut tti: Option<Histogram<u64>> = Some(new_histogram());
    for (source, c) in searches {
        let s = &c.steps[i];
        out.offered_per_s += s.offered_per_s;
        out.achieved_per_s += s.achieved_per_s;
        out.launched += s.launched;
        out.ended += s.ended;
        out.verified += verified(s);
        // A shard without the step's histogram (an older report) leaves the merged p95 unknown.
        tti = match (tti, &s.tti_histogram) {
            (Some(mut merged), Some(text)) => {
                let h = decode_histogram(text).map_err(|e| format!("{source}: capacity step {i}: {e}"))?;
                merged
                    .add(&h)
                    .map_err(|e| format!("{source}: capacity step {i}: {e:?}"))?;
                Some(merged)
            }
            _ => None,
        };
    }
    out.offered_per_s = round2(out.offered_per_s);
    out.achieved_per_s = round2(out.achieved_per_s);
    out.success_rate = (out.ended > 0).then(|| out.verified as f64 / out.ended as f64);
    if let Some(h) = tti.filter(|h| !h.is_empty()) {
        out.tti_p50_ms = Some(h.value_at_quantile(0.5) as f64 / 1000.0);
        out.tti_p95_ms = Some(h.value_at_quantile(0.95) as f64 / 1000.0);
        out.tti_histogram = Some(encode_histogram(&h));
    }
    Ok(out)
}

/// The step's verified sandboxes; reports older than the field carry only the rate.
fn verified(s: &StepReport) -> u64 {
    if s.verified > 0 || s.ended == 0 {
        return s.verified;
    }
    s.success_rate.map_or(0, |r| (r * s.ended as f64).round() as u64)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LifecycleReport, RunResult, SloReport};

    fn step(index: u32, offered: f64, achieved: f64, verified: u64, ended: u64, tti_ms: u64) -> StepReport {
        let mut h = new_histogram();
        for _ in 0..verified {
            h.record(tti_ms * 1000).unwrap();
        }
        StepReport {
            index,
            offered_per_s: offered,
            achieved_per_s: achieved,
            launched: ended,
            ended,
            verified,
            success_rate: Some(verified as f64 / ended as f64),
            tti_p95_ms: Some(tti_ms as f64),
            keeps_up: true,
            slo_holds: true,
            tti_histogram: Some(encode_histogram(&h)),
            ..Default::default()
        }
    }

    fn part(source: &str, steps: Vec<StepReport>) -> Part {
        let mut result: RunResult = serde_json::from_value(serde_json::json!({
            "schema_version": 2, "tool_version": "t", "verdict": "pass", "verdict_reasons": [],
            "interrupted": false, "seed": 1, "profile": "smoke", "provider": "http",
            "started_at": "2026-01-01T00:00:00.000Z", "finished_at": "2026-01-01T00:00:08.000Z",
            "duration_s": 8.0,
            "config": { "restores": 0, "rounds": 0, "concurrency": 1, "marker_size_mb": 1.0,
                        "inject_corruption": 0.0, "max_infra_rate": 0.5, "exec_timeout_ms": 1 },
            "totals": { "planned": 0, "verified": 0, "corrupted": 0, "infra": 0, "lost": 0 },
            "infra_classes": {}, "histograms": {}
        }))
        .unwrap();
        result.lifecycle = Some(LifecycleReport {
            capacity: Some(CapacityReport {
                from_per_s: 5.0,
                to_per_s: 20.0,
                over_s: 8.0,
                step_s: 2.0,
                steps_planned: 4,
                slo: SloReport {
                    keep_up: 0.95,
                    tti_p95_factor: Some(2.0),
                    tti_p95_max_ms: None,
                    min_success: 0.99,
                },
                knee: steps.last().cloned(),
                steps,
                stopped_early: false,
            }),
            ..Default::default()
        });
        Part {
            source: source.into(),
            result,
        }
    }

    #[test]
    fn rates_add_and_the_knee_is_decided_on_the_merged_steps() {
        // Shard 1 holds every step on its own; shard 2 falls behind badly at steps 2 and 3 (its TTI
        // triples). Each shard alone would call its own last step the knee, but the whole rate's
        // p95 at steps 2 and 3 is shard 2's tripled TTI: the merged knee is step 1, at 20/s.
        let good = (0..4)
            .map(|i| {
                step(
                    i,
                    5.0 * (i + 1) as f64,
                    5.0 * (i + 1) as f64,
                    10 * (u64::from(i) + 1),
                    10 * (u64::from(i) + 1),
                    100,
                )
            })
            .collect();
        let bad = (0..4)
            .map(|i| {
                let tti = if i >= 2 { 300 } else { 100 };
                step(
                    i,
                    5.0 * (i + 1) as f64,
                    5.0 * (i + 1) as f64,
                    10 * (u64::from(i) + 1),
                    10 * (u64::from(i) + 1),
                    tti,
                )
            })
            .collect();
        let merged = merge(&[part("s1", good), part("s2", bad)]).unwrap().unwrap();
        let offered: Vec<f64> = merged.steps.iter().map(|s| s.offered_per_s).collect();
        assert_eq!(offered, [10.0, 20.0, 30.0, 40.0]);
        assert_eq!(merged.steps[3].verified, 80);
        assert_eq!((merged.from_per_s, merged.to_per_s), (10.0, 40.0));
        let knee = merged.knee.clone().unwrap();
        assert_eq!(knee.offered_per_s, 20.0, "{merged:?}");
        assert!(merged.steps[2].keeps_up && !merged.steps[2].slo_holds);
        let limit = merged.slo.tti_p95_max_ms.unwrap();
        assert!(
            (limit - 200.0).abs() < 1.0,
            "twice the lowest merged step's p95: {limit}"
        );
    }

    #[test]
    fn a_step_one_shard_never_ran_is_left_out() {
        let two: Vec<StepReport> = (0..2).map(|i| step(i, 5.0, 5.0, 10, 10, 100)).collect();
        let three: Vec<StepReport> = (0..3).map(|i| step(i, 5.0, 5.0, 10, 10, 100)).collect();
        let merged = merge(&[part("s1", two), part("s2", three)]).unwrap().unwrap();
        assert_eq!(merged.steps.len(), 2);
        assert!(merged.stopped_early);
    }
}
