//! The lifecycle workload: how fast sandboxes become usable, one after another (`sequential`), one
//! every interval (`staggered`, an open model) and all at once (`burst`).
//!
//! Each mode launches its sandboxes through [`crate::workload::schedule`], so the three modes share
//! one code path and differ only in their [`Schedule`]. Sandboxes are held alive until the whole mode
//! has settled, then probed, then destroyed; a final sweep destroys whatever this run created and is
//! still alive. Per-sandbox results go to `events.jsonl` as they happen and into HdrHistograms
//! (`lifecycle.<mode>.<metric>`); nothing is kept per sandbox beyond the ones in flight.

mod gate;
mod sandbox;

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::config::{LifecycleConfig, LifecycleMode};
use crate::console::progress::Progress;
use crate::provider::SandboxId;
use crate::report::{LifecycleReport, ModeReport};
use crate::workload::schedule::{self, Schedule};
use crate::workload::{WorkloadContext, CANCEL_GRACE};
pub use sandbox::{class_key, SandboxResult, Status};
use sandbox::{run_sandbox, ModeShared};

pub const WORKLOAD: &str = "lifecycle";

/// Runs every selected mode with a progress line, and says what it is about to do.
pub async fn run_with_progress(ctx: Arc<WorkloadContext>, cfg: &LifecycleConfig) -> LifecycleReport {
    let modes: Vec<String> = cfg
        .modes
        .iter()
        .map(|m| format!("{} x{}", m.name(), cfg.count_for(*m)))
        .collect();
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
    let progress = Progress::start(ctx.console.clone(), "sandboxes", cfg.planned(), counts);
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
        let mode_report = run_mode(&ctx, cfg, *mode).await;
        match mode {
            LifecycleMode::Sequential => report.sequential = Some(mode_report),
            LifecycleMode::Staggered => report.staggered = Some(mode_report),
            LifecycleMode::Burst => report.burst = Some(mode_report),
        }
    }
    report
}

fn schedule_for(mode: LifecycleMode, cfg: &LifecycleConfig) -> Schedule {
    match mode {
        LifecycleMode::Sequential => Schedule::Closed,
        LifecycleMode::Staggered => Schedule::Rate(cfg.stagger),
        LifecycleMode::Burst => Schedule::Burst,
    }
}

async fn run_mode(ctx: &Arc<WorkloadContext>, cfg: &LifecycleConfig, mode: LifecycleMode) -> ModeReport {
    if let (LifecycleMode::Burst, Some(at)) = (mode, cfg.start_at) {
        crate::workload::schedule::wait_until(at, &ctx.console, &ctx.cancel).await;
    }
    let started_at = crate::workload::schedule::rfc3339(std::time::SystemTime::now());
    let shared = Arc::new(ModeShared::new(mode, cfg.clone()));
    let mut launched = schedule::launch(schedule_for(mode, cfg), cfg.count_for(mode), &ctx.cancel, |slot| {
        ctx.recorder.plan(WORKLOAD);
        run_sandbox(ctx.clone(), shared.clone(), slot)
    })
    .await;

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
    shared.hold.cancel();
    drain(ctx, &mut launched.tasks, &mut report).await;
    report.swept = sweep(ctx, &shared).await;

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
    report
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
