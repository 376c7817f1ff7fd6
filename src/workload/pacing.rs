//! When the operations of a timed run arrive: at a fixed rate or as a Poisson process, at one
//! rate (`--rate`) or a rising one cut into steps (`--ramp`), until a horizon or an early stop.
//!
//! Arrivals are offsets from the launch's origin, computed ahead of time from the rate alone, never
//! from what earlier operations are doing: that is what makes it an open model, and why latencies
//! measured from these instants include any queueing (the schedule's contract). The first arrival
//! of every stepped ramp step is at the step's start, so each step offers exactly its rate.
//!
//! A linear ramp's rate rises continuously, `r(t) = from + (to - from) t / over`. Its arrivals come
//! from the cumulative rate `Λ(t) = from t + (to - from) t² / (2 over)` (the expected arrivals by
//! `t`): the n-th fixed arrival is at `Λ(t) = n`, and Poisson arrivals add exponential gaps of mean
//! 1 on the `Λ` scale (time rescaling of a non-homogeneous Poisson process), each turned back into a
//! time by solving the quadratic. Either way the count in any window is the integral of the rate.

use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cancel::CancelToken;
use crate::config::pace::{Arrivals, Pace, RampShape};

/// A timed open model: the rate of each step, each step's length, and how arrivals are spaced.
pub struct Pacing {
    /// Operations per second of each step; a constant `--rate` is one step.
    pub rates: Vec<f64>,
    pub step: Duration,
    pub arrivals: Arrivals,
    pub seed: u64,
    /// A linear ramp's rate at its start and its end (per second); `None` for steps of one rate.
    pub linear: Option<(f64, f64)>,
    /// Cancelled by a capacity search once the knee is behind it: no more launches.
    pub stop: CancelToken,
}

impl Pacing {
    /// The pacing of a timed lifecycle mode, or `None` for a count-based run or no rate at all.
    pub fn from_pace(pace: &Pace, rate: Option<f64>, seed: u64) -> Option<Arc<Self>> {
        let linear = pace
            .ramp
            .as_ref()
            .filter(|r| r.shape == RampShape::Linear)
            .map(|r| (r.from, r.to));
        let (rates, step) = match (&pace.ramp, pace.duration, rate) {
            (Some(ramp), _, _) => ((0..ramp.steps).map(|i| ramp.rate_of(i)).collect(), ramp.step_length()),
            (None, Some(d), Some(r)) => (vec![r], d),
            _ => return None,
        };
        Some(Arc::new(Self {
            rates,
            step,
            arrivals: pace.arrivals,
            seed,
            linear,
            stop: CancelToken::new(),
        }))
    }

    pub fn horizon(&self) -> Duration {
        self.step
            .saturating_mul(u32::try_from(self.rates.len()).unwrap_or(u32::MAX))
    }

    /// The rate in force at `t` and when its step ends.
    fn rate_at(&self, t: Duration) -> (f64, Duration) {
        // Integer nanoseconds: a step's start must land in that step, never in the one before.
        let index = (t.as_nanos() / self.step.as_nanos().max(1)) as usize;
        let index = index.min(self.rates.len().saturating_sub(1));
        let end = self.step.saturating_mul(index as u32 + 1);
        (self.rates[index], end)
    }

    /// The arrival offsets, in order.
    pub fn arrivals(self: &Arc<Self>) -> ArrivalClock {
        ArrivalClock {
            pacing: self.clone(),
            next: Some(Duration::ZERO),
            in_step: 0,
            expected: 0.0,
            rng: ChaCha8Rng::seed_from_u64(self.seed),
        }
    }

    /// The instant `Λ(t) = expected` of a linear ramp from `from` to `to` per second.
    fn linear_time(&self, (from, to): (f64, f64), expected: f64) -> Duration {
        let horizon = self.horizon().as_secs_f64();
        let slope = (to - from) / horizon.max(f64::MIN_POSITIVE);
        let t = if slope.abs() < 1e-12 {
            expected / from
        } else {
            (-from + (from * from + 2.0 * slope * expected).max(0.0).sqrt()) / slope
        };
        Duration::try_from_secs_f64(t).unwrap_or(Duration::MAX)
    }
}

/// Iterates the arrival offsets of a [`Pacing`] up to its horizon.
pub struct ArrivalClock {
    pacing: Arc<Pacing>,
    next: Option<Duration>,
    /// Arrivals so far in the current step: fixed arrivals are `start + n / rate`, computed from
    /// the count rather than summed, so no rounding drifts a step's last arrival over its end.
    in_step: u32,
    /// A linear ramp's next arrival on the cumulative-rate scale `Λ`.
    expected: f64,
    rng: ChaCha8Rng,
}

impl ArrivalClock {
    fn next_linear(&mut self, ends: (f64, f64)) -> Option<Duration> {
        let now = self.pacing.linear_time(ends, self.expected);
        if self.next.is_none() || now >= self.pacing.horizon() {
            self.next = None;
            return None;
        }
        self.expected += match self.pacing.arrivals {
            Arrivals::Fixed => 1.0,
            Arrivals::Poisson => -(1.0 - self.rng.gen::<f64>()).ln(),
        };
        Some(now)
    }
}

impl Iterator for ArrivalClock {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if let Some(ends) = self.pacing.linear {
            return self.next_linear(ends);
        }
        let now = self.next?;
        let horizon = self.pacing.horizon();
        if now >= horizon {
            self.next = None;
            return None;
        }
        let (rate, step_end) = self.pacing.rate_at(now);
        self.in_step += 1;
        let after = match self.pacing.arrivals {
            Arrivals::Fixed => {
                let start = step_end.saturating_sub(self.pacing.step);
                start + Duration::from_secs_f64(f64::from(self.in_step) / rate)
            }
            // Exponential gaps: -ln(U)/rate with U in (0, 1].
            Arrivals::Poisson => now + Duration::from_secs_f64(-(1.0 - self.rng.gen::<f64>()).ln() / rate),
        };
        // A gap that crosses into the next step restarts at that step's start, at its own rate.
        self.next = Some(if after >= step_end && step_end < horizon {
            self.in_step = 0;
            step_end
        } else {
            after
        });
        Some(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::pace::Ramp;

    fn pacing(pace: &Pace, rate: Option<f64>) -> Arc<Pacing> {
        Pacing::from_pace(pace, rate, 7).unwrap()
    }

    #[test]
    fn a_fixed_rate_for_a_duration_offers_rate_times_duration() {
        let pace = Pace {
            duration: Some(Duration::from_secs(20)),
            ..Default::default()
        };
        let all: Vec<Duration> = pacing(&pace, Some(20.0)).arrivals().collect();
        assert_eq!(all.len(), 400);
        assert_eq!(all[1], Duration::from_millis(50));
        assert!(all.last().unwrap() < &Duration::from_secs(20));
    }

    #[test]
    fn poisson_arrivals_average_the_rate_and_are_seeded() {
        let pace = Pace {
            duration: Some(Duration::from_secs(100)),
            arrivals: Arrivals::Poisson,
            ..Default::default()
        };
        let p = pacing(&pace, Some(50.0));
        let n = p.arrivals().count();
        assert!((4700..5300).contains(&n), "{n}");
        assert_eq!(p.arrivals().nth(10), pacing(&pace, Some(50.0)).arrivals().nth(10));
        let gaps: Vec<f64> = p
            .arrivals()
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let short = gaps.iter().filter(|g| **g < 0.02 * 0.5).count() as f64 / gaps.len() as f64;
        // P(gap < mean/2) = 1 - e^-0.5 = 0.39 for exponential gaps, 0 for fixed ones.
        assert!((0.33..0.45).contains(&short), "{short}");
    }

    #[test]
    fn a_linear_ramp_rises_within_every_step_and_offers_each_steps_mean() {
        let ramp = Ramp {
            from: 10.0,
            to: 50.0,
            over: Duration::from_secs(4),
            steps: 4,
            shape: RampShape::Linear,
        };
        assert_eq!(
            (0..4).map(|i| ramp.rate_of(i)).collect::<Vec<_>>(),
            [15.0, 25.0, 35.0, 45.0]
        );
        let pace = Pace {
            ramp: Some(ramp),
            ..Default::default()
        };
        let mut halves = [0u32; 8];
        for at in pacing(&pace, None).arrivals() {
            halves[(at.as_secs_f64() * 2.0) as usize] += 1;
        }
        // Λ(t) = 10 t + 5 t²: 120 arrivals in all, each half second 2.5 more than the one before.
        assert_eq!(halves.iter().sum::<u32>(), 120);
        assert!(halves.windows(2).all(|w| w[1] > w[0]), "{halves:?}");
        let steps: Vec<u32> = halves.chunks(2).map(|c| c[0] + c[1]).collect();
        assert_eq!(steps, [15, 25, 35, 45]);
        let poisson = Pace {
            arrivals: Arrivals::Poisson,
            ..pace
        };
        let n = pacing(&poisson, None).arrivals().count();
        assert!((80..160).contains(&n), "Poisson with mean 120: {n}");
    }

    #[test]
    fn a_ramp_offers_each_steps_rate_from_its_start() {
        let pace = Pace {
            ramp: Some(Ramp {
                from: 10.0,
                to: 40.0,
                over: Duration::from_secs(4),
                steps: 4,
                shape: Default::default(),
            }),
            ..Default::default()
        };
        let p = pacing(&pace, None);
        let mut per_step = [0u32; 4];
        for at in p.arrivals() {
            per_step[(at.as_secs_f64()) as usize] += 1;
        }
        assert_eq!(per_step, [10, 20, 30, 40]);
        assert!(
            p.arrivals().any(|a| a == Duration::from_secs(2)),
            "step 3 starts on time"
        );
    }
}
