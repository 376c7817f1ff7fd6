//! The capacity search of a `--ramp` run: judge every step of the rising rate as it ends, report
//! the knee, and stop the ramp once it is clearly past it.
//!
//! A step *keeps up* when the sandboxes that ended verified in the second half of the step, per
//! second, are at least [`KEEP_UP`] of the offered rate (the second half, because the first still
//! carries the previous step's tail and the ramp-up of this one; with one sandbox of slack, since
//! which side of the window's edge a completion lands on is chance); it *holds the SLO* when its p95
//! time to interactive is at most the SLO's limit (by default twice the lowest step's) and at least
//! the SLO's share of the sandboxes that ended in the step were verified. The knee is the highest
//! step that did both. Two failed steps in a row after it stop the launches: a platform past its
//! knee only builds a queue, and the run stays bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::config::pace::{Ramp, Slo, KEEP_UP};
use crate::record::windows::{Window, WindowSet};
use crate::report::{encode_histogram, walk_to_knee, CapacityReport, SloReport, StepReport};
use crate::workload::pacing::Pacing;

/// Steps failed in a row, after the knee (or from the start), that end the ramp.
pub const FAILED_STEPS_TO_STOP: u32 = 2;
/// How long after a step's end it is judged, so its last completions are counted.
const SETTLE: Duration = Duration::from_millis(20);

/// One ramp's search: its steps, each recorded as two half-step windows.
pub struct CapacitySearch {
    pub ramp: Ramp,
    pub slo: Slo,
    pub halves: Arc<WindowSet>,
    pub pacing: Arc<Pacing>,
    pub origin: Instant,
}

impl CapacitySearch {
    pub fn new(ramp: Ramp, slo: Slo, pacing: Arc<Pacing>) -> Self {
        let origin = Instant::now();
        let halves = Arc::new(WindowSet::starting_at(origin, ramp.step_length() / 2));
        Self {
            ramp,
            slo,
            halves,
            pacing,
            origin,
        }
    }

    /// Judges each step when it ends until the ramp is over, stopped early, or cancelled.
    pub async fn watch(self: Arc<Self>, cancel: CancelToken) -> CapacityReport {
        let step = self.ramp.step_length();
        let mut report = self.empty_report();
        let mut baseline: Option<f64> = None;
        for k in 0..self.ramp.steps {
            let end = self.origin + step.saturating_mul(k + 1) + SETTLE;
            tokio::select! {
                _ = tokio::time::sleep_until(end.into()) => {}
                _ = cancel.cancelled() => break,
            }
            let (first, second) = (self.halves.get(2 * k as usize), self.halves.get(2 * k as usize + 1));
            let judged = self.judge(&report.slo, k, &first, &second, &mut baseline);
            report.slo.tti_p95_max_ms = report.slo.limit(baseline);
            report.steps.push(judged);
            report.knee = walk_to_knee(&report.steps, FAILED_STEPS_TO_STOP).0;
            if stops(&report.steps) {
                report.stopped_early = k + 1 < self.ramp.steps;
                self.pacing.stop.cancel();
                break;
            }
        }
        report
    }

    fn empty_report(&self) -> CapacityReport {
        CapacityReport {
            from_per_s: self.ramp.from,
            to_per_s: self.ramp.to,
            over_s: self.ramp.over.as_secs_f64(),
            step_s: self.ramp.step_length().as_secs_f64(),
            steps_planned: self.ramp.steps,
            slo: SloReport {
                keep_up: KEEP_UP,
                tti_p95_max_ms: self.slo.tti_p95_ms,
                tti_p95_factor: self.slo.tti_p95_factor,
                min_success: self.slo.min_success,
            },
            ..Default::default()
        }
    }

    fn judge(
        &self,
        slo: &SloReport,
        k: u32,
        first: &Window,
        second: &Window,
        baseline: &mut Option<f64>,
    ) -> StepReport {
        let step_s = self.ramp.step_length().as_secs_f64();
        let mut whole = first.clone();
        merge_into(&mut whole, second);
        let tti = whole.latencies.get(super::TTI_KEY).filter(|h| !h.is_empty());
        let p = |q: f64| tti.map(|h| h.value_at_quantile(q) as f64 / 1000.0);
        let (tti_p50_ms, tti_p95_ms) = (p(0.5), p(0.95));
        if k == 0 {
            *baseline = tti_p95_ms;
        }
        let mut step = StepReport {
            index: k,
            offered_per_s: round2(self.ramp.rate_of(k)),
            launched: whole.launched,
            achieved_per_s: round2(second.verified as f64 / (step_s / 2.0)),
            ended: whole.ended(),
            verified: whole.verified,
            success_rate: whole.success_rate(),
            tti_p50_ms,
            tti_p95_ms,
            keeps_up: false,
            slo_holds: false,
            tti_histogram: tti.map(encode_histogram),
        };
        // One sandbox of slack: which side of the window's edge a completion falls on is chance.
        slo.judge(&mut step, *baseline, 1.0 / (step_s / 2.0));
        step
    }
}

/// Whether the last steps judged are [`FAILED_STEPS_TO_STOP`] failures in a row.
fn stops(steps: &[StepReport]) -> bool {
    let n = FAILED_STEPS_TO_STOP as usize;
    steps.len() >= n && steps[steps.len() - n..].iter().all(|s| !s.passed())
}

fn merge_into(into: &mut Window, other: &Window) {
    into.launched += other.launched;
    into.verified += other.verified;
    into.corrupted += other.corrupted;
    into.infra += other.infra;
    for (key, h) in &other.latencies {
        match into.latencies.get_mut(key) {
            // Same bounds everywhere, so adding cannot fail.
            Some(mine) => {
                let _ = mine.add(h);
            }
            None => {
                into.latencies.insert(key.clone(), h.clone());
            }
        }
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::pace::Pace;

    fn search(slo: Slo) -> CapacitySearch {
        let ramp = Ramp {
            from: 10.0,
            to: 40.0,
            over: Duration::from_secs(8),
            steps: 4,
            shape: Default::default(),
        };
        let pace = Pace {
            ramp: Some(ramp.clone()),
            ..Default::default()
        };
        CapacitySearch::new(ramp, slo, Pacing::from_pace(&pace, None, 1).unwrap())
    }

    /// A step's two halves: `verified` in each, and every TTI in `tti_ms`.
    fn halves(verified: u64, infra: u64, tti_ms: u64) -> (Window, Window) {
        let mut w = Window {
            verified,
            infra,
            ..Default::default()
        };
        let mut h = crate::report::new_histogram();
        for _ in 0..verified {
            h.record(tti_ms * 1000).unwrap();
        }
        w.latencies.insert(super::super::TTI_KEY.into(), h);
        (w.clone(), w)
    }

    #[test]
    fn a_step_holds_when_it_keeps_up_within_the_slo_and_fails_otherwise() {
        let s = search(Slo::default());
        let mut baseline = None;
        // Step 0 (10/s, 2 s a step): 10 verified per 1 s half, TTI 100 ms.
        let (a, b) = halves(10, 0, 100);
        let first = s.judge(&s.empty_report().slo, 0, &a, &b, &mut baseline);
        assert!(first.passed(), "{first:?}");
        assert!(baseline.is_some_and(|b| (b - 100.0).abs() < 0.1), "{baseline:?}");
        // Step 1 (20/s): keeps up, but p95 250 ms is over 2 x 100 ms.
        let (a, b) = halves(20, 0, 250);
        let slow = s.judge(&s.empty_report().slo, 1, &a, &b, &mut baseline);
        assert!(slow.keeps_up && !slow.slo_holds, "{slow:?}");
        // Step 2 (30/s): achieves 25/s, under 95 % of 30.
        let (a, b) = halves(25, 0, 120);
        let behind = s.judge(&s.empty_report().slo, 2, &a, &b, &mut baseline);
        assert!(!behind.keeps_up && behind.slo_holds, "{behind:?}");
        // Step 3 (40/s): fast enough, 2 of 82 failed: success 97.6 % < 99 %.
        let (a, b) = halves(40, 1, 120);
        let failing = s.judge(&s.empty_report().slo, 3, &a, &b, &mut baseline);
        assert!(failing.keeps_up && !failing.slo_holds, "{failing:?}");
    }

    #[test]
    fn an_slo_in_milliseconds_needs_no_baseline() {
        let s = search(Slo {
            tti_p95_factor: None,
            tti_p95_ms: Some(50.0),
            min_success: 0.5,
        });
        let mut baseline = None;
        let (a, b) = halves(10, 0, 100);
        assert!(
            !s.judge(&s.empty_report().slo, 0, &a, &b, &mut baseline).slo_holds,
            "100 ms is over 50 ms"
        );
        let (a, b) = halves(10, 0, 40);
        assert!(s.judge(&s.empty_report().slo, 0, &a, &b, &mut baseline).passed());
    }
}
