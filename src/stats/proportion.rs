//! Success rates compared as proportions: the two-proportion z-test (pooled standard error) for
//! significance, Wilson score intervals for each rate, and Newcombe's hybrid score interval
//! (method 10 of Newcombe 1998) for their difference. Wilson's interval stays inside [0, 1] and
//! behaves at rates of 100 %, where the plain Wald interval collapses to a point.

use super::special::normal_two_sided;
use super::Interval;

/// z of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProportionTest {
    pub base_rate: f64,
    pub current_rate: f64,
    /// current − base, in rate units (−0.05 = five points lower).
    pub difference: f64,
    /// 95 % interval of the difference.
    pub interval: Interval,
    pub p_value: f64,
}

/// The 95 % Wilson score interval of `successes` out of `n`.
pub fn wilson(successes: u64, n: u64) -> Interval {
    if n == 0 {
        return Interval { low: 0.0, high: 1.0 };
    }
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = Z95 * Z95;
    let center = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval {
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    }
}

/// Compares `(successes, n)` of the base with the current run; `None` when a side has no trials.
pub fn two_proportions(base: (u64, u64), current: (u64, u64)) -> Option<ProportionTest> {
    let ((x1, n1), (x2, n2)) = (base, current);
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let p_value = if se == 0.0 {
        1.0
    } else {
        normal_two_sided((p2 - p1) / se)
    };
    let (w1, w2) = (wilson(x1, n1), wilson(x2, n2));
    let d = p2 - p1;
    Some(ProportionTest {
        base_rate: p1,
        current_rate: p2,
        difference: d,
        interval: Interval {
            low: d - ((p2 - w2.low).powi(2) + (w1.high - p1).powi(2)).sqrt(),
            high: d + ((w2.high - p2).powi(2) + (p1 - w1.low).powi(2)).sqrt(),
        },
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662.
        let w = wilson(81, 263);
        assert!(
            (w.low - 0.2553).abs() < 0.0005 && (w.high - 0.3662).abs() < 0.0005,
            "{w:?}"
        );
        let all = wilson(200, 200);
        assert_eq!(all.high, 1.0);
        assert!(all.low > 0.98 && all.low < 0.99, "{all:?}");
    }

    #[test]
    fn newcombe_difference_matches_the_paper() {
        // Newcombe (1998), table II example (a): 56/70 vs 48/80 -> difference 0.2, 95 % CI
        // 0.0524 to 0.3339 (method 10), here as current − base with base = 48/80.
        let t = two_proportions((48, 80), (56, 70)).unwrap();
        assert!((t.difference - 0.2).abs() < 1e-12);
        assert!((t.interval.low - 0.0524).abs() < 0.0005, "{t:?}");
        assert!((t.interval.high - 0.3339).abs() < 0.0005, "{t:?}");
        assert!(t.p_value < 0.01);
    }

    #[test]
    fn equal_perfect_rates_are_not_different() {
        let t = two_proportions((200, 200), (200, 200)).unwrap();
        assert_eq!(t.p_value, 1.0);
        let drop = two_proportions((200, 200), (180, 200)).unwrap();
        assert!(drop.p_value < 0.001 && drop.interval.high < 0.0, "{drop:?}");
        assert!(two_proportions((0, 0), (1, 1)).is_none());
    }
}
