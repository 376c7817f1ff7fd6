//! Fault injection: which request gets added latency, an error status, a dropped connection, no
//! answer at all, a corrupted read, or a restore from the wrong checkpoint. Decisions come from one seeded RNG, so a `--fault-seed`
//! reproduces the schedule for the same sequence of requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::ConfigError;

/// Every operation of the protocol that faults can target (`--fault-ops`). Health is never faulted.
pub const OPS: [&str; 9] = [
    "create",
    "exec",
    "write_file",
    "read_file",
    "checkpoint",
    "checkpoint_status",
    "restore",
    "destroy",
    "delete_checkpoint",
];

/// Added latency: fixed, or uniform over an inclusive range of milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Fixed(u64),
    Uniform(u64, u64),
}

impl Latency {
    /// Parses "50" or "20..200".
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let err = |m: &str| {
            ConfigError::new(
                "--fault-latency-ms",
                format!("{m} (got {text:?}; expected N or MIN..MAX)"),
            )
        };
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| err("not a whole number of ms"));
        let latency = match text.split_once("..") {
            None => Latency::Fixed(num(text)?),
            Some((lo, hi)) => {
                let (lo, hi) = (num(lo)?, num(hi)?);
                if lo > hi {
                    return Err(err("MIN is above MAX"));
                }
                Latency::Uniform(lo, hi)
            }
        };
        let max = match latency {
            Latency::Fixed(n) | Latency::Uniform(_, n) => n,
        };
        if max > 600_000 {
            return Err(err("at most 600000 ms"));
        }
        Ok(latency)
    }

    fn sample(self, rng: &mut ChaCha8Rng) -> Duration {
        Duration::from_millis(match self {
            Latency::Fixed(n) => n,
            Latency::Uniform(lo, hi) => rng.gen_range(lo..=hi),
        })
    }
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultConfig {
    pub latency: Option<Latency>,
    pub error_rate: f64,
    pub status: u16,
    pub reset_rate: f64,
    pub timeout_rate: f64,
    pub corrupt_read_rate: f64,
    /// Fraction of restores answered from a different ready checkpoint than the one asked for: a
    /// platform that mixes snapshots up under concurrency.
    pub checkpoint_mixup_rate: f64,
    /// `None`: every operation.
    pub ops: Option<Vec<String>>,
    pub seed: u64,
    /// `--fault-capacity`: at most this many requests of the faulted operations are processed at
    /// once (their injected latency included); the rest queue in arrival order. A server with a
    /// known ceiling (capacity / latency requests per second) is how tests know where the knee of
    /// a capacity search must land.
    pub capacity: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency: None,
            error_rate: 0.0,
            status: 503,
            reset_rate: 0.0,
            timeout_rate: 0.0,
            corrupt_read_rate: 0.0,
            checkpoint_mixup_rate: 0.0,
            ops: None,
            seed: 0,
            capacity: None,
        }
    }
}

/// Parses `--fault-ops`: a comma-separated subset of [`OPS`].
pub fn parse_ops(list: &str) -> Result<Vec<String>, ConfigError> {
    let ops: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if ops.is_empty() {
        return Err(ConfigError::new("--fault-ops", "names no operation"));
    }
    for op in &ops {
        if !OPS.contains(&op.as_str()) {
            return Err(ConfigError::new(
                "--fault-ops",
                format!("unknown operation {op:?} (expected some of: {})", OPS.join(", ")),
            ));
        }
    }
    Ok(ops)
}

/// The fault chosen for one request, applied before the request is handled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    None,
    Error(u16),
    Reset,
    Hang,
}

pub struct FaultInjector {
    cfg: FaultConfig,
    rng: Mutex<ChaCha8Rng>,
    /// The `--fault-capacity` slots; `None` when unlimited.
    slots: Option<Arc<Semaphore>>,
    pub injected: FaultCounts,
}

/// A request's place in the `--fault-capacity` slots, held until its answer is built.
pub type CapacitySlot = Option<OwnedSemaphorePermit>;

#[derive(Default)]
pub struct FaultCounts {
    pub latency: AtomicU64,
    pub error: AtomicU64,
    pub reset: AtomicU64,
    pub timeout: AtomicU64,
    pub corrupt_read: AtomicU64,
    pub checkpoint_mixup: AtomicU64,
}

impl FaultInjector {
    pub fn new(cfg: FaultConfig) -> Self {
        let rng = Mutex::new(ChaCha8Rng::seed_from_u64(cfg.seed));
        let slots = cfg.capacity.map(|n| {
            let n = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .clamp(1, Semaphore::MAX_PERMITS);
            Arc::new(Semaphore::new(n))
        });
        Self {
            cfg,
            rng,
            slots,
            injected: FaultCounts::default(),
        }
    }

    pub fn active(&self) -> bool {
        let c = &self.cfg;
        c.latency.is_some()
            || c.error_rate > 0.0
            || c.reset_rate > 0.0
            || c.timeout_rate > 0.0
            || c.corrupt_read_rate > 0.0
            || c.checkpoint_mixup_rate > 0.0
            || c.capacity.is_some()
    }

    /// Waits for one of the `--fault-capacity` slots when `op` is faulted and capacity is limited;
    /// the request is processed while the returned slot is held (fair: first come, first served).
    pub async fn occupy(&self, op: &str) -> CapacitySlot {
        let slots = self.slots.as_ref().filter(|_| self.applies_to(op))?;
        slots.clone().acquire_owned().await.ok()
    }

    fn applies_to(&self, op: &str) -> bool {
        self.cfg.ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == op))
    }

    /// Draws the latency and the fault of one request of `op`.
    pub fn decide(&self, op: &str) -> (Option<Duration>, Fault) {
        if !self.applies_to(op) {
            return (None, Fault::None);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let latency = self.cfg.latency.map(|l| l.sample(&mut rng));
        // One draw split into bands keeps the rates exact and independent of each other's order.
        let x: f64 = rng.gen();
        let c = &self.cfg;
        let fault = if x < c.error_rate {
            Fault::Error(c.status)
        } else if x < c.error_rate + c.reset_rate {
            Fault::Reset
        } else if x < c.error_rate + c.reset_rate + c.timeout_rate {
            Fault::Hang
        } else {
            Fault::None
        };
        drop(rng);
        if latency.is_some_and(|l| !l.is_zero()) {
            self.injected.latency.fetch_add(1, Ordering::Relaxed);
        }
        let counter = match fault {
            Fault::Error(_) => Some(&self.injected.error),
            Fault::Reset => Some(&self.injected.reset),
            Fault::Hang => Some(&self.injected.timeout),
            Fault::None => None,
        };
        if let Some(counter) = counter {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!("fault: {fault:?} on {op} (#{n} of its kind)");
        }
        (latency, fault)
    }

    /// Which byte of a read of `len` bytes to flip, if this read is to be corrupted.
    pub fn corrupt_read(&self, len: usize) -> Option<usize> {
        if len == 0 || self.cfg.corrupt_read_rate <= 0.0 || !self.applies_to("read_file") {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.gen::<f64>() >= self.cfg.corrupt_read_rate {
            return None;
        }
        let at = rng.gen_range(0..len);
        drop(rng);
        let n = self.injected.corrupt_read.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!("fault: corrupt read, byte {at} of {len} flipped (#{n} of its kind)");
        Some(at)
    }

    /// Which of `others` (other ready checkpoints) to restore instead, if this restore is to be
    /// mixed up. With no other checkpoint there is nothing to mix up, and nothing is drawn.
    pub fn checkpoint_mixup(&self, others: usize) -> Option<usize> {
        if others == 0 || self.cfg.checkpoint_mixup_rate <= 0.0 || !self.applies_to("restore") {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.gen::<f64>() >= self.cfg.checkpoint_mixup_rate {
            return None;
        }
        let pick = rng.gen_range(0..others);
        drop(rng);
        let n = self.injected.checkpoint_mixup.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!("fault: checkpoint mix-up, restoring another checkpoint (#{n} of its kind)");
        Some(pick)
    }

    pub fn summary(&self) -> String {
        let i = &self.injected;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "faults injected: latency {}, error {}, reset {}, timeout {}, corrupt_read {}, checkpoint_mixup {}",
            n(&i.latency),
            n(&i.error),
            n(&i.reset),
            n(&i.timeout),
            n(&i.corrupt_read),
            n(&i.checkpoint_mixup)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_parses_fixed_and_ranges() {
        assert_eq!(Latency::parse("50").unwrap(), Latency::Fixed(50));
        assert_eq!(Latency::parse("20..200").unwrap(), Latency::Uniform(20, 200));
        assert_eq!(Latency::parse(" 5 .. 5 ").unwrap(), Latency::Uniform(5, 5));
        for bad in ["", "x", "-1", "200..20", "1..", "..3", "1.5", "999999999"] {
            let err = Latency::parse(bad).unwrap_err();
            assert_eq!(err.field, "--fault-latency-ms", "{bad}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let d = Latency::Uniform(20, 200).sample(&mut rng).as_millis();
            assert!((20..=200).contains(&d));
        }
    }

    #[tokio::test]
    async fn capacity_holds_at_most_n_requests_of_the_faulted_ops() {
        let f = FaultInjector::new(FaultConfig {
            capacity: Some(2),
            ops: Some(vec!["create".into()]),
            ..Default::default()
        });
        assert!(f.active());
        let (a, b) = (f.occupy("create").await, f.occupy("create").await);
        assert!(a.is_some() && b.is_some());
        let third = tokio::time::timeout(Duration::from_millis(50), f.occupy("create")).await;
        assert!(third.is_err(), "a third create waits for a slot");
        assert!(f.occupy("exec").await.is_none(), "other operations never queue");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(50), f.occupy("create")).await;
        assert!(matches!(third, Ok(Some(_))), "a freed slot admits the next");
        assert!(FaultInjector::new(FaultConfig::default())
            .occupy("create")
            .await
            .is_none());
    }

    #[test]
    fn ops_are_checked() {
        assert_eq!(parse_ops("exec, read_file").unwrap(), vec!["exec", "read_file"]);
        assert_eq!(parse_ops("health").unwrap_err().field, "--fault-ops");
        assert!(parse_ops(",").is_err());
    }

    #[test]
    fn mixups_need_another_checkpoint_and_follow_the_rate() {
        let cfg = FaultConfig {
            checkpoint_mixup_rate: 0.5,
            seed: 3,
            ..Default::default()
        };
        let f = FaultInjector::new(cfg.clone());
        assert!(f.active());
        assert!(
            (0..100).all(|_| f.checkpoint_mixup(0).is_none()),
            "nothing to mix up with"
        );
        let picks: Vec<Option<usize>> = (0..1000).map(|_| f.checkpoint_mixup(3)).collect();
        let mixed = picks.iter().flatten().count();
        assert!((400..600).contains(&mixed), "{mixed}");
        assert!(picks.iter().flatten().all(|i| *i < 3));
        assert_eq!(f.injected.checkpoint_mixup.load(Ordering::Relaxed), mixed as u64);
        let only_exec = FaultInjector::new(FaultConfig {
            ops: Some(vec!["exec".into()]),
            ..cfg
        });
        assert!((0..100).all(|_| only_exec.checkpoint_mixup(3).is_none()), "ops filter");
    }

    #[test]
    fn rates_are_respected_and_seeded() {
        let cfg = FaultConfig {
            error_rate: 0.2,
            reset_rate: 0.05,
            ops: Some(vec!["exec".into()]),
            seed: 9,
            ..Default::default()
        };
        let draw = || {
            let f = FaultInjector::new(cfg.clone());
            (0..2000).map(|_| f.decide("exec").1).collect::<Vec<_>>()
        };
        let a = draw();
        assert_eq!(a, draw(), "same seed, same schedule");
        let errors = a.iter().filter(|f| matches!(f, Fault::Error(503))).count();
        let resets = a.iter().filter(|f| **f == Fault::Reset).count();
        assert!((300..500).contains(&errors), "{errors}");
        assert!((50..150).contains(&resets), "{resets}");
        let f = FaultInjector::new(cfg);
        assert!((0..100).all(|_| f.decide("create").1 == Fault::None), "ops filter");
    }
}
