//! The lifecycle workload: how fast sandboxes become usable, one after another (`sequential`), one
//! every interval (`staggered`, an open model) and all at once (`burst`).
//!
//! Each mode launches its sandboxes through [`crate::workload::schedule`], so the three modes share
//! one code path and differ only in their [`Schedule`]. Sandboxes are held alive until the whole mode
//! has settled, then probed, then destroyed; a final sweep destroys whatever this run created and is
//! still alive. Per-sandbox results go to `events.jsonl` as they happen and into HdrHistograms
//! (`lifecycle.<mode>.<metric>`); nothing is kept per sandbox beyond the ones in flight.

mod capacity;
mod gate;
mod sandbox;

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::config::{LifecycleConfig, LifecycleMode};
use crate::console::progress::Progress;
use crate::provider::SandboxId;
use crate::report::{CapacityReport, LifecycleReport, ModeReport};
use crate::workload::pacing::Pacing;
use crate::workload::schedule::{self, Schedule};
use crate::workload::{WorkloadContext, CANCEL_GRACE};
use capacity::CapacitySearch;
pub use capacity::FAILED_STEPS_TO_STOP;
pub use sandbox::{class_key, SandboxResult, Status};
use sandbox::{run_sandbox, ModeShared};

pub const WORKLOAD: &str = "lifecycle";
/// The key a ramp's steps keep time to interactive under.
pub const TTI_KEY: &str = "tti_ms";

/// Runs every selected mode with a progress line, and says what it is about to do.
pub async fn run_with_progress(ctx: Arc<WorkloadContext>, cfg: &LifecycleConfig) -> LifecycleReport {
    let modes: Vec<String> = cfg.modes.iter().map(|m| describe(*m, cfg)).collect();
    ctx.console.say(&format!(
        "lifecycle: {} (stagger {} ms, ready command `{}`, at most {} requests in flight{})",
        modes.join(", "),
        cfg.stagger.as_millis(),
        cfg.ready_cmd.join(" "),
        cfg.max_in_flight,
        if cfg.max_in_flight_auto {
            " (auto, from the open-file limit)"
        } else {
            ""
        }
    ));
    let counts = {
        let recorder = ctx.recorder.clone();
        Arc::new(move || recorder.accounting.workload(WORKLOAD))
    };
    let progress = Progress::start(ctx.console.clone(), "sandboxes", expected(cfg), counts);
    let report = run(ctx, cfg).await;
    progress.finish().await;
    report
}

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &LifecycleConfig) -> LifecycleReport {
    let mut report = LifecycleReport::default();
    for mode in &cfg.modes {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let (mode_report, capacity) = run_mode(&ctx, cfg, *mode).await;
        if capacity.is_some() {
            report.capacity = capacity;
        }
        match mode {
            LifecycleMode::Sequential => report.sequential = Some(mode_report),
            LifecycleMode::Staggered => report.staggered = Some(mode_report),
            LifecycleMode::Burst => report.burst = Some(mode_report),
        }
    }
    report
}

/// Sandboxes the run expects to launch, for the progress line: the count, or for a timed open
/// model its rate times its duration (each ramp step's rate times the step's length).
fn expected(cfg: &LifecycleConfig) -> u64 {
    let pace = &cfg.pace;
    match (&pace.ramp, pace.duration, cfg.rate()) {
        (Some(r), _, _) => (0..r.steps)
            .map(|i| (r.rate_of(i) * r.step_length().as_secs_f64()).ceil() as u64)
            .sum(),
        (None, Some(d), Some(rate)) => (rate * d.as_secs_f64()).round() as u64,
        _ => cfg.planned(),
    }
}

/// `staggered x100`, `staggered for 20 s at 20/s (fixed arrivals)`, `staggered stepped ramp
/// 100/s..800/s over 40 s in 15 steps`.
fn describe(mode: LifecycleMode, cfg: &LifecycleConfig) -> String {
    let pace = &cfg.pace;
    match (mode, &pace.ramp, pace.duration) {
        (LifecycleMode::Staggered, Some(r), _) => format!(
            "{} {} ramp {}/s..{}/s over {} s in {} steps ({} arrivals)",
            mode.name(),
            r.shape.name(),
            r.from,
            r.to,
            r.over.as_secs_f64(),
            r.steps,
            pace.arrivals.name()
        ),
        (LifecycleMode::Staggered, None, Some(d)) => format!(
            "{} for {} s at {}/s ({} arrivals)",
            mode.name(),
            d.as_secs_f64(),
            cfg.rate().unwrap_or_default(),
            pace.arrivals.name()
        ),
        (_, _, Some(d)) => format!("{} for {} s", mode.name(), d.as_secs_f64()),
        _ => format!("{} x{}", mode.name(), cfg.count_for(mode)),
    }
}

fn schedule_for(mode: LifecycleMode, cfg: &LifecycleConfig, seed: u64) -> Schedule {
    let timed = cfg.pace.horizon();
    match (mode, timed) {
        (LifecycleMode::Sequential, Some(limit)) => Schedule::ClosedFor(limit),
        (LifecycleMode::Sequential, None) => Schedule::Closed,
        (LifecycleMode::Staggered, Some(_)) => match Pacing::from_pace(&cfg.pace, cfg.rate(), seed) {
            Some(pacing) => Schedule::Paced(pacing),
            None => Schedule::Rate(cfg.stagger),
        },
        (LifecycleMode::Staggered, None) => Schedule::Rate(cfg.stagger),
        (LifecycleMode::Burst, _) => Schedule::Burst,
    }
}

/// The capacity search watching a ramp's steps, when this mode runs one.
fn capacity_search(schedule: &Schedule, cfg: &LifecycleConfig) -> Option<Arc<CapacitySearch>> {
    match (schedule, &cfg.pace.ramp) {
        (Schedule::Paced(pacing), Some(ramp)) => Some(Arc::new(CapacitySearch::new(
            ramp.clone(),
            cfg.pace.slo.clone(),
            pacing.clone(),
        ))),
        _ => None,
    }
}

/// Runs one mode; a ramp's capacity search comes back beside the mode's report.
async fn run_mode(
    ctx: &Arc<WorkloadContext>,
    cfg: &LifecycleConfig,
    mode: LifecycleMode,
) -> (ModeReport, Option<CapacityReport>) {
    if let (LifecycleMode::Burst, Some(at)) = (mode, cfg.start_at) {
        crate::workload::schedule::wait_until(at, &ctx.console, &ctx.cancel).await;
    }
    let started_at = crate::workload::schedule::rfc3339(std::time::SystemTime::now());
    let schedule = schedule_for(mode, cfg, ctx.seed);
    let search = capacity_search(&schedule, cfg);
    let shared = Arc::new(ModeShared::new(
        mode,
        cfg.clone(),
        ctx.recorder.windows.clone(),
        search.as_ref().map(|s| s.halves.clone()),
    ));
    let watcher = search.map(|s| tokio::spawn(s.watch(ctx.cancel.clone())));
    let phases = &ctx.recorder.phases;
    let phase = |part: &str| format!("{WORKLOAD}.{}.{part}", mode.name());
    let mut since = std::time::Instant::now();
    let mut launched = schedule::launch(schedule, cfg.count_for(mode), &ctx.cancel, |slot| {
        ctx.recorder.plan(WORKLOAD);
        run_sandbox(ctx.clone(), shared.clone(), slot)
    })
    .await;
    // A burst's launch prepares its tasks and releases them; other modes launch over their schedule.
    since = phases.lap(&phase("launch"), since);

    let mut report = ModeReport {
        count: launched.count,
        started_at: Some(started_at),
        ..Default::default()
    };
    // Hold everyone until the mode settled (or the grace period after Ctrl-C ran out).
    tokio::select! {
        _ = launched.all_settled() => {}
        _ = grace_after_cancel(ctx) => {}
    }
    since = phases.lap(&phase("ready"), since);
    shared.hold.cancel();
    drain(ctx, &mut launched.tasks, &mut report).await;
    since = phases.lap(&phase("probe_destroy"), since);
    report.swept = sweep(ctx, &shared).await;
    phases.lap(&phase("sweep"), since);

    let clock = shared.clock.summary();
    let hist = &ctx.recorder.histograms;
    report.create_ms = hist.summary(&shared.key("create_ms"));
    report.first_command_ms = hist.summary(&shared.key("first_command_ms"));
    report.tti_ms = hist.summary(&shared.key("tti_ms"));
    report.destroy_ms = hist.summary(&shared.key("destroy_ms"));
    report.wall_clock_ms = clock.wall_clock_ms;
    report.time_to_first_ready_ms = clock.time_to_first_ready_ms;
    report.peak_concurrency = clock.peak;
    report.mean_concurrency = clock.mean;
    report.timeline = clock.timeline;
    let mut capacity = None;
    if let Some(watcher) = watcher {
        capacity = watcher.await.ok();
        if let Some(c) = &capacity {
            ctx.console.say(&format!("lifecycle {}: {}", mode.name(), c.headline()));
        }
    }
    (report, capacity)
}

async fn grace_after_cancel(ctx: &WorkloadContext) {
    ctx.cancel.cancelled().await;
    tokio::time::sleep(CANCEL_GRACE).await;
}

/// Collects every sandbox's result; after Ctrl-C and the grace period the rest are abandoned (their
/// operations then show up as lost, and their sandboxes are swept).
async fn drain(ctx: &WorkloadContext, tasks: &mut JoinSet<SandboxResult>, report: &mut ModeReport) {
    let deadline = grace_after_cancel(ctx);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(done) => tally(report, done.ok()),
                None => return,
            },
            _ = &mut deadline => {
                let abandoned = tasks.len();
                tasks.abort_all();
                while let Some(done) = tasks.join_next().await {
                    tally(report, done.ok());
                }
                ctx.console.warn(&format!("abandoned {abandoned} in-flight sandboxes after the grace period"));
                return;
            }
        }
    }
}

fn tally(report: &mut ModeReport, done: Option<SandboxResult>) {
    let Some(done) = done else { return };
    let status = &mut report.status;
    match done.status {
        Status::Success => status.success += 1,
        Status::Partial => status.partial += 1,
        Status::ReadinessFailed => status.readiness_failed += 1,
        Status::Failed => status.failed += 1,
    }
    if let Some(class) = done.failure_class {
        *report.failure_class.entry(class).or_default() += 1;
    }
    if let Some(class) = done.destroy_failure_class {
        report.destroy_failures += 1;
        *report.destroy_failure_class.entry(class).or_default() += 1;
    }
}

/// Destroys whatever this mode created and is still alive (failed destroys, abandoned tasks) and
/// returns how many it found. One line says what it did, however many sandboxes there were; once a
/// destroy fails with the provider dead the rest is not tried (the workload's end says so once).
async fn sweep(ctx: &WorkloadContext, shared: &ModeShared) -> u64 {
    let leftovers: Vec<SandboxId> = shared
        .alive
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect();
    if leftovers.is_empty() {
        return 0;
    }
    let (mut destroyed, mut first_error) = (0u64, None);
    for sb in &leftovers {
        match ctx.provider.destroy(sb).await {
            Ok(()) => {
                shared.unregister(sb);
                destroyed += 1;
            }
            Err(_) if ctx.provider.death().is_some() => return leftovers.len() as u64,
            Err(e) => {
                first_error.get_or_insert_with(|| format!("sandbox {sb}: {e}"));
            }
        }
    }
    let mut line = format!(
        "lifecycle {}: {} sandbox(es) left alive at the end, {destroyed} destroyed by the sweep",
        shared.mode.name(),
        leftovers.len()
    );
    if let Some(first) = first_error {
        line.push_str(&format!("; the others could not be (first: {first})"));
    }
    ctx.console.warn(&line);
    leftovers.len() as u64
}
