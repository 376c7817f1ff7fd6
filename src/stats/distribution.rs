//! A latency distribution as an HdrHistogram holds it: distinct values (each bucket's highest
//! equivalent value, as HdrHistogram reports percentiles) with their counts, in ascending order.

use hdrhistogram::Histogram;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    /// `(value, count)` in ascending order of value; counts are never 0.
    buckets: Vec<(u64, u64)>,
    /// Running totals of the counts, for rank look-ups.
    cumulative: Vec<u64>,
    /// How many of the samples were measured at once, on average (1 when one at a time; 0 read as
    /// 1). Samples taken together share the machine and the server's queue, so they move together
    /// from one run to the next: the tests count them as `len / overlap` independent ones.
    overlap: f64,
}

impl Distribution {
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        Self::from_buckets(
            h.iter_recorded()
                .map(|v| (h.highest_equivalent(v.value_iterated_to()), v.count_at_value())),
        )
    }

    /// Buckets in any order; equal values are merged and empty buckets dropped.
    pub fn from_buckets(buckets: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let mut sorted: Vec<(u64, u64)> = buckets.into_iter().filter(|(_, c)| *c > 0).collect();
        sorted.sort_unstable_by_key(|(v, _)| *v);
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(sorted.len());
        for (v, c) in sorted {
            match merged.last_mut() {
                Some((last, n)) if *last == v => *n += c,
                _ => merged.push((v, c)),
            }
        }
        let mut total = 0;
        let cumulative = merged
            .iter()
            .map(|(_, c)| {
                total += c;
                total
            })
            .collect();
        Distribution {
            buckets: merged,
            cumulative,
            overlap: 1.0,
        }
    }

    /// The same samples, `overlap` of them measured at once on average (see [`Self::effective_len`]).
    pub fn with_overlap(mut self, overlap: f64) -> Self {
        self.overlap = if overlap.is_finite() { overlap.max(1.0) } else { 1.0 };
        self
    }

    /// The mean number of samples measured at once (at least 1).
    pub fn overlap(&self) -> f64 {
        self.overlap.max(1.0)
    }

    /// How many independent samples the distribution is worth: the count divided by the overlap
    /// (the design effect of cluster sampling with every cluster fully correlated; Kish 1965,
    /// §5.4). A burst of 200 creates released together, ~70 in flight at once, is worth ~3: two
    /// bursts differ by a whole queue, not by 200 independent draws.
    pub fn effective_len(&self) -> f64 {
        self.len() as f64 / self.overlap()
    }

    pub fn len(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn buckets(&self) -> &[(u64, u64)] {
        &self.buckets
    }

    /// The value of the `rank`-th smallest sample (1-based, clamped to the sample count).
    pub fn at_rank(&self, rank: u64) -> u64 {
        let rank = rank.clamp(1, self.len().max(1));
        let i = self.cumulative.partition_point(|&c| c < rank);
        self.buckets.get(i).map_or(0, |(v, _)| *v)
    }

    /// The `q`-quantile the way HdrHistogram reports it: the value at rank ⌈q·n⌉ (at least 1).
    pub fn quantile(&self, q: f64) -> u64 {
        self.at_rank(rank_of(q, self.len()))
    }
}

/// HdrHistogram's rank of a quantile: ⌈q·n⌉, at least 1.
pub(super) fn rank_of(q: f64, n: u64) -> u64 {
    ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_hdrhistogram() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for v in [1200u64, 1500, 1500, 2000, 2500, 9000, 15_000, 120_000, 1_000_000, 7] {
            h.record(v).unwrap();
        }
        let d = Distribution::from_histogram(&h);
        assert_eq!(d.len(), 10);
        for q in [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0] {
            assert_eq!(d.quantile(q), h.value_at_quantile(q), "q={q}");
        }
    }

    #[test]
    fn buckets_merge_and_ranks_clamp() {
        let d = Distribution::from_buckets([(5, 2), (3, 1), (5, 1), (9, 0)]);
        assert_eq!(d.buckets(), &[(3, 1), (5, 3)]);
        assert_eq!(d.at_rank(0), 3);
        assert_eq!(d.at_rank(2), 5);
        assert_eq!(d.at_rank(99), 5);
        assert!(Distribution::default().is_empty());
    }
}
