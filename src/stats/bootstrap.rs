//! How far a quantile moved between two runs, with a 95 % confidence interval from a seeded
//! percentile bootstrap that resamples each run from its own histogram.
//!
//! Resampling n values with replacement and taking the one at rank k is, in distribution, taking
//! the value at ⌈n·U⌉ where U is the k-th smallest of n uniforms, and U ~ Beta(k, n − k + 1). So a
//! replicate of a quantile costs one beta draw and one look-up in the histogram, however many
//! samples the run has: exactly the bootstrap of the quantile, without materializing the samples.
//! The two runs are resampled independently (they are independent runs), and the interval is the
//! 2.5th and 97.5th percentiles of the replicated relative shifts (Efron & Tibshirani 1993, ch. 13).
//! A run whose samples were measured many at a time is resampled at its effective size
//! ([`Distribution::effective_len`]): a quantile of m independent draws from the run's histogram,
//! so the interval is as wide as the run's real information allows.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::distribution::rank_of;
use super::special::beta;
use super::Distribution;

/// Replicates per interval: enough for stable 2.5 / 97.5 % percentiles (Efron & Tibshirani
/// recommend ≥ 1,000 for percentile intervals).
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, v: f64) -> bool {
        self.low <= v && v <= self.high
    }
}

/// A quantile of both runs and its relative shift (`0.25` = 25 % larger in the current run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantileShift {
    pub base: u64,
    pub current: u64,
    pub shift: f64,
    /// 95 % percentile-bootstrap interval of the shift.
    pub interval: Interval,
}

/// The shift of quantile `q` from `base` to `current`; `None` when either is empty or the base
/// quantile is 0 (no ratio). `seed` makes the interval reproducible.
pub fn quantile_shift(base: &Distribution, current: &Distribution, q: f64, seed: u64) -> Option<QuantileShift> {
    let (b, c) = (base.quantile(q), current.quantile(q));
    if base.is_empty() || current.is_empty() || b == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shifts: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let rb = resampled_quantile(base, q, &mut rng) as f64;
            let rc = resampled_quantile(current, q, &mut rng) as f64;
            rc / rb.max(1.0) - 1.0
        })
        .collect();
    shifts.sort_unstable_by(f64::total_cmp);
    let at = |p: f64| shifts[((p * (shifts.len() - 1) as f64).round() as usize).min(shifts.len() - 1)];
    Some(QuantileShift {
        base: b,
        current: c,
        shift: c as f64 / b as f64 - 1.0,
        interval: Interval {
            low: at(0.025),
            high: at(0.975),
        },
    })
}

/// The `q`-quantile of one resample of `d` (with replacement, of its effective size).
fn resampled_quantile(d: &Distribution, q: f64, rng: &mut ChaCha8Rng) -> u64 {
    let n = d.len();
    let m = (d.effective_len().round() as u64).clamp(1, n.max(1));
    let k = rank_of(q, m);
    let u = beta(rng, k as f64, (m - k + 1) as f64);
    d.at_rank(((u * n as f64).ceil() as u64).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(center: u64, n: u64) -> Distribution {
        // n samples evenly over center ± 20 %.
        Distribution::from_buckets((0..n).map(|i| (center * 8 / 10 + center * 4 / 10 * i / n.max(1), 1)))
    }

    #[test]
    fn a_known_shift_is_inside_its_interval_and_zero_is_not() {
        let base = spread(10_000, 300);
        let current = spread(13_000, 300);
        let s = quantile_shift(&base, &current, 0.5, 7).unwrap();
        assert!((s.shift - 0.3).abs() < 0.02, "{s:?}");
        assert!(s.interval.contains(0.3) && !s.interval.contains(0.0), "{s:?}");
        assert_eq!(quantile_shift(&base, &current, 0.5, 7), Some(s), "seeded: reproducible");
    }

    #[test]
    fn samples_measured_together_widen_the_interval() {
        let base = spread(10_000, 300);
        let current = spread(11_500, 300);
        let alone = quantile_shift(&base, &current, 0.5, 3).unwrap();
        let together = quantile_shift(
            &base.clone().with_overlap(60.0),
            &current.clone().with_overlap(60.0),
            0.5,
            3,
        )
        .unwrap();
        assert_eq!(alone.shift, together.shift, "the point estimate does not change");
        assert!(!alone.interval.contains(0.0), "{alone:?}");
        assert!(
            together.interval.contains(0.0),
            "5 effective samples a side cannot tell 15 %: {together:?}"
        );
    }

    #[test]
    fn no_shift_has_an_interval_around_zero() {
        let base = spread(10_000, 300);
        let s = quantile_shift(&base, &base, 0.95, 1).unwrap();
        assert_eq!(s.shift, 0.0);
        assert!(
            s.interval.contains(0.0) && s.interval.low > -0.1 && s.interval.high < 0.1,
            "{s:?}"
        );
        assert!(quantile_shift(&base, &Distribution::default(), 0.5, 1).is_none());
    }
}
