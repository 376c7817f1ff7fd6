//! The decision of one metric from what both runs hold of it.

use crate::stats::{mann_whitney, quantile_shift, two_proportions, Distribution, Interval};

use super::{CompareSettings, Decision, Evidence, Shift, Values, MIN_SAMPLES};

/// One run's side of a latency metric.
pub(super) enum Side {
    Measured(Distribution),
    /// The part ran, and nothing of this metric was measured (an empty histogram, a missing mode).
    Empty,
    /// The report's summary has samples but no histogram (a report of an older version): shown,
    /// not testable.
    NoHistogram(Values),
    Unreadable(String),
}

/// Both sides' values, the test, and the decision.
pub(super) type Judged = (Option<Values>, Option<Values>, Option<Evidence>, Decision);

pub(super) fn latency(base: &Side, current: &Side, s: &CompareSettings, seed: u64) -> Judged {
    let (bv, cv) = (values_of(base), values_of(current));
    if let Some(which) = no_data(bv.is_none(), cv.is_none()) {
        return (bv, cv, None, Decision::NoData(which));
    }
    let (b, c) = match (base, current) {
        (Side::Measured(b), Side::Measured(c)) => (b, c),
        (Side::Unreadable(e), _) => return (bv, cv, None, incomparable(format!("the baseline's histogram: {e}"))),
        (_, Side::Unreadable(e)) => return (bv, cv, None, incomparable(format!("this run's histogram: {e}"))),
        (Side::NoHistogram(_), _) => return (bv, cv, None, incomparable("no histogram in the baseline".into())),
        _ => return (bv, cv, None, incomparable("no histogram in this run".into())),
    };
    if let Some(few) = too_few(b.len(), c.len()).or_else(|| too_few_independent(b, c)) {
        return (bv, cv, None, few);
    }
    let Some(mw) = mann_whitney(b, c) else {
        return (bv, cv, None, Decision::NoData("no data in either run"));
    };
    let shifts: Vec<Shift> = [("p50", 0.50), ("p95", 0.95)]
        .into_iter()
        .enumerate()
        .filter_map(|(i, (stat, q))| {
            quantile_shift(b, c, q, seed.wrapping_add(i as u64)).map(|qs| Shift {
                stat,
                change: qs.shift,
                interval: qs.interval,
                absolute_ms: Some((qs.current as f64 - qs.base as f64) / 1000.0),
            })
        })
        .collect();
    let decision = decide(mw.p_value, &shifts, s, true);
    let evidence = Evidence {
        p_value: mw.p_value,
        shifts,
    };
    (bv, cv, Some(evidence), decision)
}

/// A success rate: `(successes, count)` of each side, `None` when the part is missing.
pub(super) fn rate(base: Option<(u64, u64)>, current: Option<(u64, u64)>, s: &CompareSettings) -> Judged {
    let values = |v: Option<(u64, u64)>| {
        v.filter(|(_, n)| *n > 0)
            .map(|(successes, count)| Values::Rate { successes, count })
    };
    let (bv, cv) = (values(base), values(current));
    if let Some(which) = no_data(bv.is_none(), cv.is_none()) {
        return (bv, cv, None, Decision::NoData(which));
    }
    let (Some(b), Some(c)) = (base, current) else {
        return (bv, cv, None, Decision::NoData("no data in either run"));
    };
    if let Some(few) = too_few(b.1, c.1) {
        return (bv, cv, None, few);
    }
    let Some(t) = two_proportions(b, c) else {
        return (bv, cv, None, Decision::NoData("no data in either run"));
    };
    // Relative to the base rate, like the latencies; in rate points when the base rate is 0.
    let scale = if t.base_rate > 0.0 { t.base_rate } else { 1.0 };
    let shift = Shift {
        stat: "rate",
        change: t.difference / scale,
        interval: Interval {
            low: t.interval.low / scale,
            high: t.interval.high / scale,
        },
        absolute_ms: None,
    };
    let decision = decide(t.p_value, &[shift], s, false);
    let evidence = Evidence {
        p_value: t.p_value,
        shifts: vec![shift],
    };
    (bv, cv, Some(evidence), decision)
}

/// Regressed when significant and some statistic moved the worse way by more than the minimum
/// effect (and, for a latency, by more than the minimum in milliseconds) with its whole interval
/// on that side of 0; improved likewise the better way; a regression wins over an improvement (a
/// faster median does not excuse a slower tail).
fn decide(p_value: f64, shifts: &[Shift], s: &CompareSettings, higher_is_worse: bool) -> Decision {
    if p_value >= s.alpha {
        return Decision::Unchanged;
    }
    let sign = if higher_is_worse { 1.0 } else { -1.0 };
    let pick = |worse: bool| {
        let dir = if worse { sign } else { -sign };
        shifts
            .iter()
            .filter(|x| {
                let (near, change) = if dir > 0.0 {
                    (x.interval.low, x.change)
                } else {
                    (-x.interval.high, -x.change)
                };
                let far_enough = x.absolute_ms.is_none_or(|ms| ms * dir >= s.min_effect_ms);
                change > s.min_effect && near > 0.0 && far_enough
            })
            .max_by(|a, b| a.change.abs().total_cmp(&b.change.abs()))
            .copied()
    };
    if let Some(effect) = pick(true) {
        Decision::Regressed { effect }
    } else if let Some(effect) = pick(false) {
        Decision::Improved { effect }
    } else {
        Decision::Unchanged
    }
}

fn values_of(side: &Side) -> Option<Values> {
    match side {
        Side::Measured(d) if !d.is_empty() => Some(Values::Latency {
            count: d.len(),
            p50: d.quantile(0.5) as f64 / 1000.0,
            p95: d.quantile(0.95) as f64 / 1000.0,
            overlap: d.overlap(),
        }),
        Side::NoHistogram(v) => Some(*v),
        Side::Unreadable(_) => Some(Values::Latency {
            count: 0,
            p50: 0.0,
            p95: 0.0,
            overlap: 1.0,
        }),
        _ => None,
    }
}

fn no_data(base_missing: bool, current_missing: bool) -> Option<&'static str> {
    match (base_missing, current_missing) {
        (false, false) => None,
        (false, true) => Some("no data in this run"),
        (true, false) => Some("no data in the baseline"),
        (true, true) => Some("no data in either run"),
    }
}

fn too_few(base: u64, current: u64) -> Option<Decision> {
    (base < MIN_SAMPLES || current < MIN_SAMPLES).then(|| {
        incomparable(format!(
            "too few samples to test ({base} and {current}; at least {MIN_SAMPLES} per side)"
        ))
    })
}

/// Operations measured many at a time move together from run to run (one queue, one state of
/// the machine): a burst of 200 released at once is worth a handful of independent samples, and
/// two such runs differ by more than any test of 200 draws would allow. Said so, not tested.
fn too_few_independent(b: &Distribution, c: &Distribution) -> Option<Decision> {
    let worth = |d: &Distribution| d.effective_len().floor() as u64;
    let side = |d: &Distribution| {
        format!(
            "{} measured ≈{} at a time are worth ≈{}",
            d.len(),
            super::render::overlap_text(d.overlap()),
            worth(d).max(1)
        )
    };
    (worth(b) < MIN_SAMPLES || worth(c) < MIN_SAMPLES).then(|| {
        incomparable(format!(
            "too few independent samples to test (baseline: {}; this run: {}; at least {MIN_SAMPLES} per side): \
             operations in flight together move together from run to run",
            side(b),
            side(c)
        ))
    })
}

fn incomparable(why: String) -> Decision {
    Decision::Incomparable(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// n samples spread evenly over `center` ± 20 %, in microseconds.
    fn spread(center_ms: f64, n: u64) -> Side {
        let c = center_ms * 1000.0;
        Side::Measured(Distribution::from_buckets(
            (0..n).map(|i| ((c * 0.8 + c * 0.4 * i as f64 / n as f64) as u64, 1)),
        ))
    }

    fn decision(base: f64, current: f64, n: u64) -> Decision {
        latency(&spread(base, n), &spread(current, n), &CompareSettings::default(), 1).3
    }

    #[test]
    fn known_shifts_both_ways() {
        match decision(10.0, 13.0, 200) {
            Decision::Regressed { effect } => {
                assert!((effect.change - 0.3).abs() < 0.02, "{effect:?}");
                assert!(effect.interval.low > 0.1, "{effect:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(decision(13.0, 10.0, 200), Decision::Improved { .. }));
        assert_eq!(decision(10.0, 10.0, 200), Decision::Unchanged);
    }

    #[test]
    fn significant_but_small_is_unchanged() {
        // +4 % with 5,000 samples a side: Mann–Whitney is sure, the effect is below 10 %.
        let (_, _, evidence, d) = latency(&spread(10.0, 5000), &spread(10.4, 5000), &CompareSettings::default(), 1);
        assert!(evidence.unwrap().p_value < 0.01);
        assert_eq!(d, Decision::Unchanged);
        let loose = CompareSettings {
            min_effect: 0.02,
            min_effect_ms: 0.0,
            ..Default::default()
        };
        // +0.4 ms at the defaults but with 2 % allowed: below the millisecond that counts.
        let percent_only = CompareSettings {
            min_effect: 0.02,
            ..Default::default()
        };
        assert_eq!(
            latency(&spread(10.0, 5000), &spread(10.4, 5000), &percent_only, 1).3,
            Decision::Unchanged
        );
        assert!(matches!(
            latency(&spread(10.0, 5000), &spread(10.4, 5000), &loose, 1).3,
            Decision::Regressed { .. }
        ));
    }

    #[test]
    fn large_but_uncertain_is_unchanged() {
        // +30 % on 12 samples a side spread ±20 %: not significant at 0.01.
        let d = decision(10.0, 11.0, 12);
        assert_eq!(d, Decision::Unchanged, "{d:?}");
        assert!(matches!(decision(10.0, 30.0, 5), Decision::Incomparable(_)));
    }

    #[test]
    fn operations_measured_together_are_judged_by_what_they_are_worth() {
        let with = |side: Side, overlap: f64| match side {
            Side::Measured(d) => Side::Measured(d.with_overlap(overlap)),
            other => other,
        };
        let s = CompareSettings::default();
        // +15 % on 200 a side: a regression when measured one at a time ...
        assert!(matches!(
            latency(&spread(10.0, 200), &spread(11.5, 200), &s, 1).3,
            Decision::Regressed { .. }
        ));
        // ... not testable when they ran ~70 at a time (≈2 independent samples a side) ...
        let d = latency(&with(spread(10.0, 200), 70.0), &with(spread(13.0, 200), 70.0), &s, 1).3;
        assert!(
            matches!(&d, Decision::Incomparable(why) if why.contains("200 measured ≈70 at a time are worth ≈2")),
            "{d:?}"
        );
        // ... and with 20 at a time (10 a side), +15 % over ±20 % spreads is no longer sure.
        let d = latency(&with(spread(10.0, 200), 20.0), &with(spread(11.5, 200), 20.0), &s, 1).3;
        assert_eq!(d, Decision::Unchanged);
        // A shift no queue explains still shows with 20 at a time: +100 %.
        let d = latency(&with(spread(10.0, 200), 20.0), &with(spread(20.0, 200), 20.0), &s, 1).3;
        assert!(matches!(d, Decision::Regressed { .. }), "{d:?}");
    }

    #[test]
    fn no_data_is_never_improved() {
        let s = CompareSettings::default();
        assert_eq!(
            latency(&spread(10.0, 50), &Side::Empty, &s, 1).3,
            Decision::NoData("no data in this run")
        );
        assert_eq!(
            latency(&Side::Empty, &spread(10.0, 50), &s, 1).3,
            Decision::NoData("no data in the baseline")
        );
        assert_eq!(
            rate(Some((50, 50)), Some((0, 0)), &s).3,
            Decision::NoData("no data in this run")
        );
    }

    #[test]
    fn success_rates_as_proportions() {
        let s = CompareSettings::default();
        assert!(matches!(
            rate(Some((200, 200)), Some((150, 200)), &s).3,
            Decision::Regressed { .. }
        ));
        assert_eq!(rate(Some((200, 200)), Some((196, 200)), &s).3, Decision::Unchanged);
        assert!(matches!(
            rate(Some((150, 200)), Some((200, 200)), &s).3,
            Decision::Improved { .. }
        ));
    }
}
