//! Drives the selected workloads in order, each with its own progress line, so `run.rs` only opens
//! the run and writes the report. A workload is skipped once the run is cancelled; what it never
//! issued is reported as `cancelled`, not lost. Each workload calls the provider through its own
//! [`ObservedProvider`], so its calls are counted and the sandboxes it leaked are attributed to it.

use std::sync::Arc;

use crate::config::{CheckpointConfig, RunConfig, WorkloadKind};
use crate::console::progress::Progress;
use crate::provider::observed::{ObservedProvider, Observer};
use crate::report::{CheckpointReport, ConfigSnapshot, LifecycleReport, StorageReport};
use crate::workload::{checkpoint, lifecycle, object_storage, storage, WorkloadContext};

/// The report sections of the workloads that ran.
#[derive(Default)]
pub struct WorkloadReports {
    pub checkpoint: Option<CheckpointReport>,
    pub lifecycle: Option<LifecycleReport>,
    pub storage: Option<StorageReport>,
    pub object_storage: Option<crate::report::ObjectStorageReport>,
    pub contention: Option<crate::report::ContentionReport>,
    pub chaos: Option<crate::report::ChaosReport>,
}

pub async fn run_selected(run_ctx: Arc<WorkloadContext>, cfg: &RunConfig, observer: &Observer) -> WorkloadReports {
    let pace = &cfg.workloads.lifecycle.pace;
    if pace.duration.is_some() && pace.ramp.is_none() {
        // The workloads overlap in time: one phase for all of them (their own parts still show).
        let started = std::time::Instant::now();
        let reports = run_together(&run_ctx, cfg, observer).await;
        run_ctx.recorder.phases.lap("workloads", started);
        return reports;
    }
    let mut reports = WorkloadReports::default();
    for kind in &cfg.workloads.selected {
        if run_ctx.cancel.is_cancelled() {
            break;
        }
        let started = std::time::Instant::now();
        reports.absorb(run_one(*kind, &run_ctx, cfg, observer).await);
        run_ctx.recorder.phases.lap(kind.name(), started);
    }
    reports
}

/// A `--duration` run: checkpoint rounds, lifecycle arrivals and storage transfers at the same
/// time until time is up (a soak is the platform under all of them at once, not one after
/// another for three times the duration). Contention and chaos are refused with a duration.
async fn run_together(run_ctx: &Arc<WorkloadContext>, cfg: &RunConfig, observer: &Observer) -> WorkloadReports {
    let part = |kind: WorkloadKind| async move {
        if cfg.workloads.runs(kind) {
            run_one(kind, run_ctx, cfg, observer).await
        } else {
            WorkloadReports::default()
        }
    };
    let (checkpoint, lifecycle, storage) = tokio::join!(
        part(WorkloadKind::Checkpoint),
        part(WorkloadKind::Lifecycle),
        part(WorkloadKind::Storage)
    );
    let mut reports = checkpoint;
    reports.absorb(lifecycle);
    reports.absorb(storage);
    reports
}

/// One workload through its own observed provider, ended by its sweep.
async fn run_one(
    kind: WorkloadKind,
    run_ctx: &Arc<WorkloadContext>,
    cfg: &RunConfig,
    observer: &Observer,
) -> WorkloadReports {
    let provider = observer.for_workload(kind.name());
    let ctx = run_ctx.derive(provider.clone(), run_ctx.seed);
    let mut reports = WorkloadReports::default();
    match kind {
        WorkloadKind::Checkpoint => {
            reports.checkpoint = Some(run_checkpoint(ctx.clone(), &cfg.checkpoint).await);
        }
        WorkloadKind::Lifecycle => {
            reports.lifecycle = Some(lifecycle::run_with_progress(ctx.clone(), &cfg.workloads.lifecycle).await);
        }
        WorkloadKind::Storage => {
            reports.storage = Some(storage::run_with_progress(ctx.clone(), &cfg.workloads.storage).await);
        }
        WorkloadKind::ObjectStorage => {
            if let Some(os) = &cfg.object_store {
                reports.object_storage = Some(object_storage::run_with_progress(ctx.clone(), os).await);
            }
        }
        WorkloadKind::Contention => reports.contention = Some(run_contention(ctx.clone(), cfg).await),
        WorkloadKind::Chaos => reports.chaos = Some(crate::workload::chaos::run(ctx.clone(), cfg).await),
    }
    let started = std::time::Instant::now();
    sweep(&ctx, kind.name(), &provider).await;
    ctx.recorder.phases.lap(&format!("{}.sweep", kind.name()), started);
    reports
}

impl WorkloadReports {
    /// Takes the sections `other` has and this one does not.
    fn absorb(&mut self, other: WorkloadReports) {
        self.checkpoint = self.checkpoint.take().or(other.checkpoint);
        self.lifecycle = self.lifecycle.take().or(other.lifecycle);
        self.storage = self.storage.take().or(other.storage);
        self.object_storage = self.object_storage.take().or(other.object_storage);
        self.contention = self.contention.take().or(other.contention);
        self.chaos = self.chaos.take().or(other.chaos);
    }
}

/// Ends a workload: counts the sandboxes it leaked and destroys what it left alive.
async fn sweep(ctx: &WorkloadContext, workload: &'static str, provider: &ObservedProvider) {
    let sweep = provider.finish().await;
    ctx.recorder.accounting.leak(workload, sweep.leaked);
    if sweep.swept > 0 {
        ctx.console.log_only(&format!(
            "{workload}: swept {} sandbox(es) left alive at its end",
            sweep.swept
        ));
    }
    if sweep.unswept > 0 {
        let why = if ctx.provider.death().is_some() {
            "the provider is gone"
        } else {
            "their destroy failed again"
        };
        ctx.console.warn(&format!(
            "{workload}: {} sandbox(es) may be left on the platform: {why}",
            sweep.unswept
        ));
    }
}

/// Operations the configuration asks for, over every selected workload: the base of `cancelled`.
pub fn expected_operations(cfg: &RunConfig) -> u64 {
    cfg.workloads
        .selected
        .iter()
        .map(|kind| match kind {
            // A timed run's operations are "until time is up": nothing is known to be missing.
            WorkloadKind::Checkpoint | WorkloadKind::Storage if cfg.checkpoint.until.is_some() => 0,
            WorkloadKind::Checkpoint => u64::from(cfg.checkpoint.restores),
            WorkloadKind::Lifecycle => cfg.workloads.lifecycle.planned(),
            WorkloadKind::Storage => cfg.workloads.storage.planned(),
            WorkloadKind::ObjectStorage => cfg.object_store.as_ref().map_or(0, |o| o.planned()),
            WorkloadKind::Contention => u64::from(cfg.contention.writers) * u64::from(cfg.contention.writes),
            // Scenarios plan their own operations; what a cancelled one never issued is unknown.
            WorkloadKind::Chaos => 0,
        })
        .sum()
}

/// Records the lifecycle and storage settings in report.json's `config`.
pub fn snapshot_workloads(cfg: &RunConfig, snapshot: &mut ConfigSnapshot) {
    let w = &cfg.workloads;
    snapshot.workloads = w.selected.iter().map(|k| k.name().to_string()).collect();
    snapshot.lifecycle_modes = w.lifecycle.modes.iter().map(|m| m.name().to_string()).collect();
    snapshot.lifecycle_count = w.lifecycle.count;
    snapshot.burst_size = w.lifecycle.burst_size;
    snapshot.stagger_ms = w.lifecycle.stagger.as_millis() as u64;
    snapshot.ready_cmd = w.lifecycle.ready_cmd.join(" ");
    snapshot.storage_sizes_mb = w.storage.sizes_mb.clone();
    snapshot.storage_iterations = w.storage.iterations;
    if let Some(os) = &cfg.object_store {
        snapshot.object_storage_sizes_mb = os.sizes_mb.clone();
        snapshot.object_storage_iterations = Some(os.iterations);
    }
    snapshot.max_in_flight = Some(w.lifecycle.max_in_flight);
    snapshot.max_in_flight_auto = Some(w.lifecycle.max_in_flight_auto);
    let pace = &w.lifecycle.pace;
    if pace.is_timed() {
        snapshot.duration_s = pace.horizon().map(|d| d.as_secs_f64());
        snapshot.rate_per_s = pace.ramp.is_none().then(|| w.lifecycle.rate()).flatten();
        snapshot.arrivals = Some(pace.arrivals.name().to_string());
        snapshot.ramp = pace.ramp.as_ref().map(|r| {
            format!(
                "{}/s..{}/s over {} s in {} steps, {}",
                r.from,
                r.to,
                r.over.as_secs_f64(),
                r.steps,
                r.shape.name()
            )
        });
    }
}

async fn run_checkpoint(ctx: Arc<WorkloadContext>, cp: &CheckpointConfig) -> CheckpointReport {
    ctx.console.say(&format!(
        "checkpoint: {} restores in {}{}, concurrency {}, marker {} MB{}",
        cp.restores,
        match cp.until {
            Some(d) => format!(
                "rounds of {} until {} s are up",
                cp.restores_in_round(0),
                d.as_secs_f64()
            ),
            None => format!("{} round(s)", cp.rounds),
        },
        if cp.round_concurrency > 1 {
            format!(" ({} at once)", cp.round_concurrency.min(cp.rounds))
        } else {
            String::new()
        },
        cp.concurrency,
        cp.marker_size_mb,
        if cp.inject_corruption > 0.0 {
            format!(", self-test damaging {:.0}% of restores", cp.inject_corruption * 100.0)
        } else {
            String::new()
        }
    ));
    let counts = {
        let recorder = ctx.recorder.clone();
        Arc::new(move || recorder.accounting.workload(checkpoint::WORKLOAD))
    };
    let progress = Progress::start(ctx.console.clone(), "restores", u64::from(cp.restores), counts);
    let report = checkpoint::run(ctx, cp).await;
    progress.finish().await;
    report
}

async fn run_contention(ctx: Arc<WorkloadContext>, cfg: &RunConfig) -> crate::report::ContentionReport {
    let c = &cfg.contention;
    ctx.console.say(&format!(
        "contention: {} writers x {} writes, store {}{}",
        c.writers,
        c.writes,
        c.target.map_or("--write-cmd", |t| t.name()),
        if c.kill9.is_some() {
            ", kill9 fault schedule"
        } else {
            ""
        }
    ));
    crate::workload::contention::run(ctx, c).await
}
