//! The Mann–Whitney U test (Wilcoxon rank-sum) from bucket counts.
//!
//! Every bucket is a group of ties: its samples share the average of the ranks they span, and the
//! variance of U carries the tie correction Σ(t³ − t) / (N(N − 1)). The p-value comes from the
//! normal approximation with a continuity correction, which is accurate for the sample sizes the
//! comparison allows (at least [`crate::compare`]'s minimum per side). The test assumes independent
//! samples within and between the runs; it asks whether one run's latencies tend to be larger than
//! the other's, not by how much (that is the quantile shift's job).
//!
//! Samples measured at once are not independent (see [`Distribution::effective_len`]): each side's
//! share of U's variance, n₁n₂²/12 from the base and n₁²n₂/12 from the current, grows by that side's
//! overlap, the design effect of a cluster sample (Kish 1965). With one sample at a time this is the
//! textbook test.

use super::special::normal_two_sided;
use super::Distribution;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the second sample (`current`): how many (base, current) pairs have current larger,
    /// ties counting one half.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// U / (n₁·n₂): the probability that a random current sample exceeds a random base sample
    /// (ties half). 0.5 is no difference; above 0.5 the current run tends to be slower.
    pub superiority: f64,
}

/// Compares `base` with `current`; `None` when either is empty.
pub fn mann_whitney(base: &Distribution, current: &Distribution) -> Option<MannWhitney> {
    let (n1, n2) = (base.len() as f64, current.len() as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return None;
    }
    let n = n1 + n2;
    let (mut rank_sum, mut ties, mut below) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (b, c) in merged(base.buckets(), current.buckets()) {
        let t = (b + c) as f64;
        // Samples of this value hold ranks below+1 ..= below+t; each gets their average.
        let average_rank = below + (t + 1.0) / 2.0;
        rank_sum += c as f64 * average_rank;
        ties += t * t * t - t;
        below += t;
    }
    let u = rank_sum - n2 * (n2 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let design_effect = (n2 * base.overlap() + n1 * current.overlap()) / n;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)).max(1.0)) * design_effect;
    let p_value = if variance <= 0.0 {
        1.0
    } else {
        let corrected = ((u - mean).abs() - 0.5).max(0.0);
        normal_two_sided(corrected / variance.sqrt())
    };
    Some(MannWhitney {
        u,
        p_value,
        superiority: u / (n1 * n2),
    })
}

/// `(base count, current count)` per distinct value, in ascending order of value.
fn merged<'a>(a: &'a [(u64, u64)], b: &'a [(u64, u64)]) -> impl Iterator<Item = (u64, u64)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || match (a.get(i), b.get(j)) {
        (Some(&(va, ca)), Some(&(vb, cb))) if va == vb => {
            (i, j) = (i + 1, j + 1);
            Some((ca, cb))
        }
        (Some(&(va, ca)), Some(&(vb, _))) if va < vb => {
            i += 1;
            Some((ca, 0))
        }
        (_, Some(&(_, cb))) => {
            j += 1;
            Some((0, cb))
        }
        (Some(&(_, ca)), None) => {
            i += 1;
            Some((ca, 0))
        }
        (None, None) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(values: &[u64]) -> Distribution {
        Distribution::from_buckets(values.iter().map(|v| (*v, 1)))
    }

    #[test]
    fn matches_a_textbook_example() {
        // No ties: the second sample is larger in 1 of 16 pairs (18 > 16), so U = 1; with the
        // continuity correction z = (|1 − 8| − 0.5) / √12 and p = erfc(z / √2) ≈ 0.0606.
        let a = dist(&[19, 22, 16, 29]);
        let b = dist(&[12, 15, 18, 14]);
        let r = mann_whitney(&a, &b).unwrap();
        assert_eq!(r.u, 1.0);
        assert!((r.p_value - 0.0606).abs() < 0.0005, "{r:?}");
    }

    #[test]
    fn ties_are_corrected() {
        // [1,2,2,3,3,3] vs [2,3,3,4,4,5]: the second's rank sum is 3 + 2·7 + 2·10.5 + 12 = 50, so
        // U = 50 − 21 = 29; ties Σ(t³ − t) = 150 give Var U = 3·(13 − 150/132) and p ≈ 0.0784.
        let a = Distribution::from_buckets([(1, 1), (2, 2), (3, 3)]);
        let b = Distribution::from_buckets([(2, 1), (3, 2), (4, 2), (5, 1)]);
        let r = mann_whitney(&a, &b).unwrap();
        assert_eq!(r.u, 29.0);
        assert!((r.p_value - 0.0784).abs() < 0.0005, "{r:?}");
    }

    #[test]
    fn samples_measured_together_count_as_fewer() {
        // 100 a side, every current sample above every base one: overwhelming when independent;
        // measured 50 at a time each side holds 2 independent samples, and U's variance grows
        // 50-fold (z shrinks by √50).
        let a = Distribution::from_buckets((0..100).map(|v| (1000 + v, 1)));
        let b = Distribution::from_buckets((0..100).map(|v| (1200 + v, 1)));
        let alone = mann_whitney(&a, &b).unwrap();
        let together = mann_whitney(&a.clone().with_overlap(50.0), &b.clone().with_overlap(50.0)).unwrap();
        assert_eq!(alone.u, together.u);
        assert!(alone.p_value < 1e-20, "{alone:?}");
        assert!(together.p_value > 0.05, "{together:?}");
        // Only one side overlapping: its share of the variance grows, the other's does not.
        let one_side = mann_whitney(&a, &b.clone().with_overlap(50.0)).unwrap();
        assert!(
            one_side.p_value > alone.p_value && one_side.p_value < together.p_value,
            "{one_side:?}"
        );
    }

    #[test]
    fn identical_samples_are_not_significant() {
        let a = Distribution::from_buckets([(1000, 50), (2000, 50)]);
        let r = mann_whitney(&a, &a).unwrap();
        assert!((r.superiority - 0.5).abs() < 1e-12);
        assert!(r.p_value > 0.99);
        let one = Distribution::from_buckets([(7, 30)]);
        assert_eq!(mann_whitney(&one, &one).unwrap().p_value, 1.0);
        assert!(mann_whitney(&one, &Distribution::default()).is_none());
    }
}
