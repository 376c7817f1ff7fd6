//! The checkpoint workload: per round, write a random marker, commit it, checkpoint, then restore
//! from that checkpoint many times and verify every restore.
//!
//! Rounds run in waves of `round_concurrency`, each round with its own sandbox, marker, commit and
//! checkpoint. The rounds of a wave set up side by side and request their checkpoints together
//! ([`wave`]), so that many checkpoints are in flight at once (a checkpoint storm: shared snapshot
//! storage, copy-on-write metadata and snapshot queues break under this, not under one checkpoint at
//! a time); the next wave starts once the wave is done. The restores of every round in flight share
//! one budget of `concurrency`. Each restore must show its own round's marker and commit: one that
//! shows another round's is a platform that handed back the wrong checkpoint ([`identity`]).
//!
//! A checkpoint is timed from request to ready (polling included) into `checkpoint.all.checkpoint_ms`
//! and `checkpoint.roundN.checkpoint_ms`, and the number in flight is tracked over time with the
//! lifecycle's [`InFlightClock`]. On cancellation no new round or restore is issued, in-flight
//! restores get [`crate::workload::CANCEL_GRACE`] to finish, and the rest are abandoned (they show
//! up as lost, never silently dropped).

mod evidence;
mod identity;
mod restore;
mod round;
mod setup;
mod wave;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::CheckpointConfig;
use crate::provider::Payload;
use crate::report::model::InjectionCount;
use crate::report::{CheckpointReport, InFlight, RoundReport};
use crate::workload::timeline::InFlightClock;
use crate::workload::WorkloadContext;
use identity::KnownRounds;

pub const WORKLOAD: &str = "checkpoint";
pub const MARKER_PATH: &str = "marker.bin";

/// The marker for a round: reproducible from the run's seed, different per round, and generated as
/// it is written (never held whole: a round in flight keeps only this description).
pub fn marker_payload(seed: u64, round: u32, len: usize) -> Payload {
    Payload::new(seed ^ u64::from(round).wrapping_mul(0xA24B_AED4_963E_E407), len as u64)
}

/// What every round of one run of the workload shares: the settings, the restore budget, the clock
/// of checkpoints in flight, and the rounds' fingerprints (so a restore holding another round's
/// state is recognised as such).
struct CheckpointRun {
    pub ctx: Arc<WorkloadContext>,
    pub cfg: CheckpointConfig,
    /// `concurrency` permits, shared by the restores of every round in flight.
    pub restore_slots: Arc<Semaphore>,
    pub in_flight: InFlightClock,
    pub known: KnownRounds,
}

impl CheckpointRun {
    /// `<workload>.<scope>.<metric>`: under `checkpoint`, or the chaos workload's name when a
    /// scenario runs this one.
    pub fn key(&self, scope: &str, metric: &str) -> String {
        format!("{}.{scope}.{metric}", self.ctx.account(WORKLOAD))
    }
}

/// A finished round: its report line and what its self-test injected.
type RoundDone = (RoundReport, BTreeMap<String, InjectionCount>);

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &CheckpointConfig) -> CheckpointReport {
    let started_at = crate::workload::schedule::rfc3339(std::time::SystemTime::now());
    let run = Arc::new(CheckpointRun {
        ctx: ctx.clone(),
        cfg: cfg.clone(),
        restore_slots: Arc::new(Semaphore::new(cfg.concurrency.max(1) as usize)),
        in_flight: InFlightClock::new(),
        known: KnownRounds::default(),
    });
    let mut report = CheckpointReport::default();
    let wave_size = cfg.round_concurrency.max(1);
    let mut next_index: u64 = 0;
    let mut first = 1;
    // A timed run (`--duration`) starts waves until time is up; each round keeps its share of the
    // restores, and the rounds in flight at the deadline finish and count.
    let deadline = cfg.until.map(|d| std::time::Instant::now() + d);
    let more = |first: u32| match deadline {
        Some(at) => std::time::Instant::now() < at,
        None => first <= cfg.rounds,
    };
    while more(first) && !ctx.cancel.is_cancelled() {
        let cap = if deadline.is_some() { u32::MAX } else { cfg.rounds };
        let last = first.saturating_add(wave_size - 1).min(cap);
        let mut rounds: JoinSet<RoundDone> = JoinSet::new();
        let tickets = wave::WaveGate::tickets((last - first + 1) as usize);
        for (round, ticket) in (first..=last).zip(tickets) {
            let planned = cfg.restores_in_round(round - 1);
            let (run, first_index) = (run.clone(), next_index);
            rounds.spawn(async move { round::run_round(&run, round, planned, first_index, ticket).await });
            next_index += u64::from(planned);
        }
        while let Some(done) = rounds.join_next().await {
            absorb(&mut report, done.ok());
        }
        first = last + 1;
    }
    report.rounds.sort_by_key(|r| r.round);
    let hist = &ctx.recorder.histograms;
    report.checkpoint_ms = hist.summary(&run.key("all", "checkpoint_ms"));
    report.restore_ms = hist.summary(&run.key("all", "restore_ms"));
    report.verify_ms = hist.summary(&run.key("all", "verify_ms"));
    let clock = run.in_flight.summary();
    report.in_flight = InFlight {
        peak: clock.peak,
        mean: clock.mean,
        timeline: clock.timeline,
        started_at: Some(started_at),
    };
    report
}

/// Adds a finished round to the report. A round whose task panicked has no report: its planned
/// restores show up as lost in the accounting.
fn absorb(report: &mut CheckpointReport, done: Option<RoundDone>) {
    let Some((round, injection)) = done else { return };
    report.rounds.push(round);
    for (kind, count) in injection {
        let total = report.injection.entry(kind).or_default();
        total.injected += count.injected;
        total.detected += count.detected;
        total.missed += count.missed;
        total.unapplied += count.unapplied;
    }
}
