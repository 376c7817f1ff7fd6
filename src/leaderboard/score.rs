//! The composite score a lifecycle mode is ranked by: computesdk's, so a stress-action leaderboard
//! reads like theirs, computed from the run's time-to-interactive HdrHistogram.
//!
//! 1. Trim the fastest and the slowest 5 % of samples: the trimmed distribution's quantile `q` is
//!    the histogram's quantile `0.05 + 0.90 × q`.
//! 2. Score each trimmed percentile `100 × (1 − value / 10 s)`, clamped to 0..100: 0 s scores 100,
//!    10 s or slower scores 0.
//! 3. Weigh them 60 % p50, 25 % p95, 15 % p99 (the typical case matters most, the tail still counts).
//! 4. Multiply by the success rate (sandboxes that reached `success` over all launched), so a fast
//!    platform that drops a third of its sandboxes does not win.

use hdrhistogram::Histogram;

/// A percentile at or above this scores 0.
pub const CEILING_MS: f64 = 10_000.0;
/// Fraction cut from each end before the percentiles are read.
pub const TRIM: f64 = 0.05;
/// (quantile, weight) of the trimmed percentiles.
pub const WEIGHTS: [(f64, f64); 3] = [(0.50, 0.60), (0.95, 0.25), (0.99, 0.15)];

/// The formula in words, written into leaderboard.json and under every table.
pub const FORMULA: &str = "score = (60 % × s(p50) + 25 % × s(p95) + 15 % × s(p99)) × success rate, \
     where s(v) = 100 × (1 − v / 10 s) clamped to 0..100 and p50/p95/p99 are time-to-interactive \
     percentiles after trimming the fastest and slowest 5 % of samples";

/// Quantile `q` of the histogram with `TRIM` cut from each end, in milliseconds.
pub fn trimmed_quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(TRIM + (1.0 - 2.0 * TRIM) * q) as f64 / 1000.0
}

/// One percentile's score: 100 at 0 ms, 0 at [`CEILING_MS`] or more.
pub fn percentile_score(ms: f64) -> f64 {
    100.0 * (1.0 - ms / CEILING_MS).clamp(0.0, 1.0)
}

/// The composite score of a TTI histogram and a success rate; 0 when nothing succeeded.
pub fn composite(h: &Histogram<u64>, success_rate: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    let weighted: f64 = WEIGHTS
        .iter()
        .map(|(q, w)| w * percentile_score(trimmed_quantile_ms(h, *q)))
        .sum();
    weighted * success_rate.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::new_histogram;

    #[test]
    fn faster_scores_higher_and_failures_scale_it_down() {
        let mut fast = new_histogram();
        let mut slow = new_histogram();
        for i in 0..100u64 {
            fast.record(100_000 + i * 1000).unwrap();
            slow.record(2_000_000 + i * 10_000).unwrap();
        }
        let (f, s) = (composite(&fast, 1.0), composite(&slow, 1.0));
        assert!(f > s && f < 100.0 && s > 0.0, "{f} {s}");
        assert!((composite(&fast, 0.5) - f / 2.0).abs() < 1e-9);
        assert_eq!(composite(&new_histogram(), 1.0), 0.0);
        assert_eq!(percentile_score(20_000.0), 0.0);
        assert_eq!(percentile_score(0.0), 100.0);
    }

    #[test]
    fn the_slowest_five_percent_do_not_reach_the_trimmed_p99() {
        let mut h = new_histogram();
        for _ in 0..95 {
            h.record(1_000_000).unwrap();
        }
        for _ in 0..5 {
            h.record(60_000_000).unwrap();
        }
        assert!(trimmed_quantile_ms(&h, 0.99) < 1_001.0);
    }
}
