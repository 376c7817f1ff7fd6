//! The one way workloads launch timed operations: a closed loop, a fixed rate, or a burst.
//!
//! Every launched operation gets a [`Slot`] carrying its *scheduled* start; latencies are measured
//! from there, so when a platform (or this tool) falls behind, the queueing shows in the numbers
//! instead of silently stretching the gaps between launches (coordinated omission). The modes differ
//! only in when the next launch may happen, never in how an operation runs, so there is one launch
//! loop, not one copy per mode:
//!
//! - `Closed`: the next launch waits until the previous operation *settled* ([`Slot::settle`]);
//! - `Rate`: launch `i` is scheduled at `origin + i * interval`, whatever earlier ones are doing;
//! - `Paced`: a timed open model (see [`crate::workload::pacing`]): launches at the pacing's
//!   arrival instants until its horizon or its early stop, however many that makes;
//! - `ClosedFor`: the closed loop, until a duration is up rather than a count;
//! - `Burst`: all operations are spawned first and wait at a barrier; releasing it stamps one
//!   scheduled start on all of them.
//!
//! Memory per launched operation is its task and its slot; nothing is kept per sample.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::cancel::CancelToken;
use crate::console::Console;
use crate::workload::pacing::{ArrivalClock, Pacing};

#[derive(Clone)]
pub enum Schedule {
    /// Concurrency 1: the next operation starts once the previous one settled.
    Closed,
    /// The closed loop until this much time has passed (operations in flight then still finish).
    ClosedFor(Duration),
    /// Open model at the pacing's arrivals, until its horizon.
    Paced(Arc<Pacing>),
    /// Open model: one launch per interval.
    Rate(Duration),
    /// All at once, released by a barrier.
    Burst,
}

/// Counts settled operations; the closed loop and callers waiting for "everyone settled" watch it.
struct Tracker {
    settled: watch::Sender<u64>,
}

/// One launched operation's ticket: its index, its scheduled start, and the settle signal.
pub struct Slot {
    pub index: u64,
    scheduled: Option<Instant>,
    barrier: Option<watch::Receiver<Option<Instant>>>,
    tracker: Arc<Tracker>,
    settled: bool,
}

impl Slot {
    /// Waits for this slot's start (the barrier of a burst) and returns the scheduled instant that
    /// every latency of the operation is measured from.
    pub async fn start(&mut self) -> Instant {
        if let Some(at) = self.scheduled {
            return at;
        }
        let at = match self.barrier.as_mut() {
            Some(rx) => match rx.wait_for(Option::is_some).await {
                Ok(v) => v.unwrap_or_else(Instant::now),
                Err(_) => Instant::now(),
            },
            None => Instant::now(),
        };
        self.scheduled = Some(at);
        at
    }

    /// Marks the part of the operation the schedule cares about as done: in a closed loop the next
    /// launch may go. Dropping a slot settles it too, so a failing operation never stalls a run.
    pub fn settle(&mut self) {
        if !self.settled {
            self.settled = true;
            self.tracker.settled.send_modify(|n| *n += 1);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.settle();
    }
}

/// What a launch left running.
pub struct Launched<T> {
    pub tasks: JoinSet<T>,
    /// Operations actually launched (fewer than asked when cancelled).
    pub count: u64,
    settled: watch::Receiver<u64>,
}

impl<T> Launched<T> {
    /// Resolves once every launched operation has settled.
    pub async fn all_settled(&mut self) {
        let count = self.count;
        let _ = self.settled.wait_for(|n| *n >= count).await;
    }

    pub fn settled(&self) -> u64 {
        *self.settled.borrow()
    }
}

/// Launches `count` operations on `schedule`. `op` is called in the launch loop (so the caller can
/// count the operation as planned at the moment it is issued) and returns the operation's future,
/// which starts with [`Slot::start`]. Stops launching once `cancel` fires; a burst prepared so far
/// is still released so every planned operation gets to report.
pub async fn launch<T, F, Fut>(schedule: Schedule, count: u64, cancel: &CancelToken, mut op: F) -> Launched<T>
where
    F: FnMut(Slot) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (settled_tx, settled_rx) = watch::channel(0u64);
    let tracker = Arc::new(Tracker { settled: settled_tx });
    let (barrier_tx, barrier_rx) = watch::channel(None::<Instant>);
    let mut tasks = JoinSet::new();
    let mut closed_rx = settled_rx.clone();
    let origin = Instant::now();
    let mut launched = 0u64;
    let mut clock = Clock {
        origin,
        arrivals: match &schedule {
            Schedule::Paced(p) => Some(p.arrivals()),
            _ => None,
        },
        stop: match &schedule {
            Schedule::Paced(p) => p.stop.clone(),
            _ => CancelToken::new(),
        },
    };
    let closed = matches!(schedule, Schedule::Closed | Schedule::ClosedFor(_));
    for index in 0..count {
        let scheduled = match &schedule {
            Schedule::Burst if !cancel.is_cancelled() => None,
            _ => match clock.next_start(&schedule, index, cancel).await {
                Some(at) => Some(at),
                None => break,
            },
        };
        let barrier = scheduled.is_none().then(|| barrier_rx.clone());
        let slot = Slot {
            index,
            scheduled,
            barrier,
            tracker: tracker.clone(),
            settled: false,
        };
        tasks.spawn(op(slot));
        launched += 1;
        if closed {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                _ = closed_rx.wait_for(|n| *n > index) => {}
            }
        }
    }
    if matches!(schedule, Schedule::Burst) {
        // Let the prepared tasks reach the barrier, so the release measures the platform, not the
        // spawning of tasks.
        tokio::task::yield_now().await;
        barrier_tx.send_replace(Some(Instant::now()));
    }
    Launched {
        tasks,
        count: launched,
        settled: settled_rx,
    }
}

/// Where the launch loop is in time: its origin, a paced schedule's arrivals and early stop.
struct Clock {
    origin: Instant,
    arrivals: Option<ArrivalClock>,
    stop: CancelToken,
}

impl Clock {
    /// Waits for launch `index`'s scheduled start and returns it; `None` ends the launches
    /// (cancelled, stopped early, or past a timed schedule's end). Not for bursts.
    async fn next_start(&mut self, schedule: &Schedule, index: u64, cancel: &CancelToken) -> Option<Instant> {
        if cancel.is_cancelled() || self.stop.is_cancelled() {
            return None;
        }
        let at = match schedule {
            Schedule::Closed | Schedule::Burst => return Some(Instant::now()),
            Schedule::ClosedFor(limit) => {
                return (self.origin.elapsed() < *limit).then(Instant::now);
            }
            Schedule::Paced(_) => self.origin + self.arrivals.as_mut().and_then(Iterator::next)?,
            Schedule::Rate(interval) => self.origin + interval.saturating_mul(u32::try_from(index).unwrap_or(u32::MAX)),
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            _ = self.stop.cancelled() => None,
            _ = tokio::time::sleep_until(at.into()) => Some(at),
        }
    }
}

pub fn rfc3339(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Waits until `at` (wall clock) unless cancelled: the burst of every shard of a run is released at
/// the same `--start-at` instant. An instant already past starts at once with a
/// warning: a shard whose runner was queued still contributes its slice, only not simultaneously.
pub async fn wait_until(at: SystemTime, console: &Console, cancel: &CancelToken) {
    match at.duration_since(SystemTime::now()) {
        Ok(wait) => {
            console.say(&format!(
                "waiting {:.1} s for --start-at {} before the burst",
                wait.as_secs_f64(),
                rfc3339(at)
            ));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => {}
            }
        }
        Err(late) => console.warn(&format!(
            "--start-at {} passed {:.1} s ago: releasing the burst now, not together with the other shards",
            rfc3339(at),
            late.duration().as_secs_f64()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    async fn run(schedule: Schedule, n: u64, work: Duration) -> (Vec<(u64, Duration)>, u64) {
        let origin = Instant::now();
        let in_flight = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(AtomicU64::new(0));
        let mut launched = launch(schedule, n, &CancelToken::new(), |mut slot| {
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            async move {
                let at = slot.start().await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(work).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                slot.settle();
                (slot.index, at - origin)
            }
        })
        .await;
        launched.all_settled().await;
        let mut out = Vec::new();
        while let Some(r) = launched.tasks.join_next().await {
            out.push(r.unwrap());
        }
        out.sort();
        (out, peak.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn closed_runs_one_at_a_time() {
        let (out, peak) = run(Schedule::Closed, 4, Duration::from_millis(5)).await;
        assert_eq!(out.len(), 4);
        assert_eq!(peak, 1);
    }

    #[tokio::test]
    async fn rate_schedules_on_the_grid_regardless_of_earlier_work() {
        let (out, peak) = run(Schedule::Rate(Duration::from_millis(20)), 5, Duration::from_millis(200)).await;
        for (i, at) in &out {
            let ideal = Duration::from_millis(20 * i);
            // Scheduled starts are the grid itself, not when the launch happened to run.
            assert!(at.abs_diff(ideal) < Duration::from_millis(5), "{i}: {at:?}");
        }
        assert!(peak > 1, "work of 200 ms per 20 ms launch overlaps");
    }

    #[tokio::test]
    async fn burst_releases_all_together() {
        let (out, peak) = run(Schedule::Burst, 50, Duration::from_millis(50)).await;
        assert_eq!(out.len(), 50);
        assert!(out.iter().all(|(_, at)| *at == out[0].1), "one scheduled start for all");
        assert_eq!(peak, 50);
    }

    #[tokio::test]
    async fn cancel_stops_launching() {
        let cancel = CancelToken::new();
        cancel.cancel();
        let launched = launch(Schedule::Rate(Duration::from_millis(1)), 10, &cancel, |_slot| async {}).await;
        assert_eq!(launched.count, 0);
    }
}
