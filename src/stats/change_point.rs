//! Change points of a series (one value per commit), found the way Hunter finds them (Fleming et
//! al., "Hunter: Using Change Point Detection to Hunt for Performance Regressions", ICPE 2023):
//! E-divisive means (Matteson & James 2014, energy distance with α = 1) proposes the split that
//! best separates a segment into two, and Welch's t-test between the two sides confirms it, in
//! place of E-divisive's permutation test. Confirmed splits are searched again on both sides
//! (binary segmentation); at the end every change point is tested again against its neighbours'
//! segments and the weakest failing one is dropped until all pass, so two nearby splits that
//! share one real step do not both survive.
//!
//! Latencies vary by multiples, not by fixed amounts (a slow run is slower by a factor), so their
//! series are searched on a log scale ([`Scale::Log`]): a level is then a geometric mean, the test
//! is on log values, and one outlier run weighs less than on the raw values.

use super::welch_t_test;

/// Whether a series is searched on its own values or on their logarithms (positive values only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// What counts as a change point; see docs/statistics.md for how to choose them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangePointSettings {
    /// A split is kept only when Welch's test between its two sides gives a p-value below this.
    pub max_p_value: f64,
    /// ... and the level moved by at least this fraction of the level before (0.1 = 10 %).
    pub min_magnitude: f64,
    /// Fewest points on each side of a split.
    pub min_segment: usize,
}

impl Default for ChangePointSettings {
    fn default() -> Self {
        ChangePointSettings {
            max_p_value: 0.01,
            min_magnitude: 0.1,
            min_segment: 3,
        }
    }
}

/// A level shift: the series' mean from `index` on differs from the mean before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangePoint {
    /// The first point of the new level.
    pub index: usize,
    /// The level before and after: the mean (the geometric mean on [`Scale::Log`]).
    pub mean_before: f64,
    pub mean_after: f64,
    /// (after − before) / |before|; infinite when the level before was 0.
    pub change: f64,
    pub p_value: f64,
}

pub fn change_points(series: &[f64], scale: Scale, settings: &ChangePointSettings) -> Vec<ChangePoint> {
    let values: Vec<f64> = match scale {
        Scale::Linear => series.to_vec(),
        // A latency of 0 (below the histogram's resolution) is taken as 1 µs.
        Scale::Log => series.iter().map(|v| v.max(1e-3).ln()).collect(),
    };
    let series = &values[..];
    let s = Settings {
        scale,
        inner: *settings,
    };
    let settings = &s;
    let min = settings.inner.min_segment.max(2);
    let mut splits = Vec::new();
    let mut segments = vec![(0, series.len())];
    while let Some((lo, hi)) = segments.pop() {
        if hi - lo < 2 * min {
            continue;
        }
        let Some(at) = best_split(&series[lo..hi], min).map(|t| lo + t) else {
            continue;
        };
        if confirm(series, lo, at, hi, settings).is_some() {
            splits.push(at);
            segments.push((lo, at));
            segments.push((at, hi));
        }
    }
    splits.sort_unstable();
    prune(series, splits, settings)
}

/// The settings with the scale the series was transformed to.
struct Settings {
    scale: Scale,
    inner: ChangePointSettings,
}

/// Drops the weakest split that no longer passes against its neighbours, until all pass.
fn prune(series: &[f64], mut splits: Vec<usize>, settings: &Settings) -> Vec<ChangePoint> {
    loop {
        let mut kept = Vec::new();
        let mut weakest: Option<(usize, f64)> = None;
        for (i, &at) in splits.iter().enumerate() {
            let lo = if i == 0 { 0 } else { splits[i - 1] };
            let hi = splits.get(i + 1).copied().unwrap_or(series.len());
            match confirm(series, lo, at, hi, settings) {
                Some(cp) => kept.push(cp),
                None => {
                    let p = welch_t_test(&series[lo..at], &series[at..hi]).map_or(1.0, |t| t.p_value);
                    if weakest.is_none_or(|(_, wp)| p >= wp) {
                        weakest = Some((i, p));
                    }
                }
            }
        }
        match weakest {
            None => return kept,
            Some((i, _)) => {
                splits.remove(i);
            }
        }
    }
}

/// The change point at `at` between `[lo, at)` and `[at, hi)`, when it passes both thresholds.
fn confirm(series: &[f64], lo: usize, at: usize, hi: usize, s: &Settings) -> Option<ChangePoint> {
    let t = welch_t_test(&series[lo..at], &series[at..hi])?;
    let (before, after) = match s.scale {
        Scale::Linear => (t.mean_before, t.mean_after),
        Scale::Log => (t.mean_before.exp(), t.mean_after.exp()),
    };
    let change = if before == 0.0 {
        if after == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (after - before) / before.abs()
    };
    (t.p_value < s.inner.max_p_value && change.abs() >= s.inner.min_magnitude).then_some(ChangePoint {
        index: at,
        mean_before: before,
        mean_after: after,
        change,
        p_value: t.p_value,
    })
}

/// The split of `x` with the largest energy statistic, leaving at least `min` points each side.
fn best_split(x: &[f64], min: usize) -> Option<usize> {
    (min..=x.len().saturating_sub(min))
        .map(|t| (t, energy(&x[..t], &x[t..])))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| t)
}

/// Matteson & James' Q̂: (mn/(m+n))·(2·E|X−Y| − E|X−X'| − E|Y−Y'|), with α = 1.
fn energy(left: &[f64], right: &[f64]) -> f64 {
    let (m, n) = (left.len() as f64, right.len() as f64);
    let between: f64 = left
        .iter()
        .map(|a| right.iter().map(|b| (a - b).abs()).sum::<f64>())
        .sum();
    (m * n / (m + n)) * (2.0 * between / (m * n) - within(left) - within(right))
}

/// Mean absolute difference over the pairs of a sample (0 for fewer than two points).
fn within(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return 0.0;
    }
    let sum: f64 = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| (x[i] - x[j]).abs())
        .sum();
    sum / (n * (n - 1) / 2) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(level: f64, n: usize, seed: u64) -> Vec<f64> {
        // Deterministic ±3 % wiggle.
        (0..n)
            .map(|i| level * (1.0 + 0.03 * (((i as u64 * 7919 + seed * 104_729) % 13) as f64 / 6.0 - 1.0)))
            .collect()
    }

    #[test]
    fn one_step_is_found_where_it_happened() {
        let mut x = noisy(10.0, 4, 1);
        x.extend(noisy(40.0, 4, 2));
        let cps = change_points(&x, Scale::Linear, &ChangePointSettings::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 4);
        assert!((cps[0].change - 3.0).abs() < 0.2, "{cps:?}");
    }

    #[test]
    fn two_steps_and_no_step() {
        let mut x = noisy(10.0, 6, 1);
        x.extend(noisy(20.0, 6, 2));
        x.extend(noisy(12.0, 6, 3));
        let idx: Vec<usize> = change_points(&x, Scale::Linear, &ChangePointSettings::default())
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(idx, vec![6, 12]);
        assert!(change_points(&noisy(10.0, 30, 4), Scale::Linear, &ChangePointSettings::default()).is_empty());
        assert!(change_points(&[1.0, 2.0], Scale::Linear, &ChangePointSettings::default()).is_empty());
    }

    #[test]
    fn on_a_log_scale_one_outlier_run_does_not_hide_a_step() {
        // Four fast runs, then four slow ones, one of them a 3x outlier (a loaded machine).
        let x = [2.7, 2.8, 3.0, 3.2, 37.0, 120.0, 40.0, 39.0];
        let log = change_points(&x, Scale::Log, &ChangePointSettings::default());
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].index, 4);
        assert!(
            log[0].mean_after > 40.0 && log[0].mean_after < 55.0,
            "geometric mean: {log:?}"
        );
        assert!(
            change_points(&x, Scale::Linear, &ChangePointSettings::default()).is_empty(),
            "on raw values the outlier's variance hides the step"
        );
    }

    #[test]
    fn a_step_below_the_magnitude_is_not_a_change_point() {
        let mut x = vec![10.0; 5];
        x.extend(vec![10.5; 5]);
        assert!(change_points(&x, Scale::Linear, &ChangePointSettings::default()).is_empty());
        let loose = ChangePointSettings {
            min_magnitude: 0.01,
            ..Default::default()
        };
        assert_eq!(change_points(&x, Scale::Linear, &loose).len(), 1);
    }
}
