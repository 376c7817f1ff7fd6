//! One round: set up its origin (marker, commit, then the checkpoint together with the rest of its
//! wave), restore from the checkpoint as many times as planned within the run's shared restore
//! budget, and tally every restore's outcome.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::restore::{restore_once, RestoreResult, RoundShared};
use super::wave::WaveTicket;
use super::{marker_payload, setup, CheckpointRun, RoundDone, WORKLOAD};
use crate::record::{ms, Event};
use crate::report::model::InjectionCount;
use crate::report::RoundReport;
use crate::verify::Outcome;
use crate::workload::{WorkloadContext, CANCEL_GRACE};

pub async fn run_round(
    run: &Arc<CheckpointRun>,
    round: u32,
    planned: u32,
    first_index: u64,
    ticket: WaveTicket,
) -> RoundDone {
    let ctx = &run.ctx;
    let marker = marker_payload(ctx.seed, round, run.cfg.marker_bytes());
    let setup_started = std::time::Instant::now();
    let origin = setup::prepare_round(run, round, &marker, ticket).await;
    let mut report = RoundReport {
        round,
        setup_ms: ms(setup_started.elapsed()),
        ..Default::default()
    };
    let mut injection = BTreeMap::new();

    let origin = match origin {
        Ok(origin) => origin,
        Err(failure) => {
            report.setup_error = Some(format!("{}: {}", failure.step, describe(&failure.outcome)));
            ctx.console.warn(&format!(
                "round {round}: setup failed at {}: {}",
                failure.step,
                describe(&failure.outcome)
            ));
            record_inherited_failures(ctx, &mut report, planned, first_index, &failure.outcome);
            if let Some(sb) = failure.sandbox {
                let _ = ctx.provider.destroy(&sb).await;
            }
            return (report, injection);
        }
    };
    report.checkpoint_id = Some(origin.checkpoint.0.clone());
    report.checkpoint_ms = Some(ms(origin.checkpoint_time));
    report.marker_sha256 = origin.fingerprint.marker_sha256.clone();
    report.commit = Some(origin.fingerprint.commit.clone());

    let shared = Arc::new(RoundShared {
        round,
        checkpoint: origin.checkpoint.clone(),
        fingerprint: origin.fingerprint.clone(),
        marker,
        inject_rate: run.cfg.inject_corruption,
    });
    let mut tasks = JoinSet::new();
    for offset in 0..u64::from(planned) {
        let permit = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => break,
            permit = run.restore_slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        while let Some(done) = tasks.try_join_next() {
            tally(&mut report, &mut injection, done.ok());
        }
        ctx.recorder.plan(ctx.account(WORKLOAD));
        report.restores += 1;
        let (run, shared) = (run.clone(), shared.clone());
        tasks.spawn(async move {
            let result = restore_once(&run, shared, first_index + offset).await;
            drop(permit);
            result
        });
    }
    drain(ctx, &mut tasks, &mut report, &mut injection).await;

    let _ = ctx.provider.destroy(&origin.sandbox).await;
    let _ = ctx.provider.delete_checkpoint(&origin.checkpoint).await;
    let hist = &ctx.recorder.histograms;
    report.restore_ms = hist.summary(&run.key(&format!("round{round}"), "restore_ms"));
    report.verify_ms = hist.summary(&run.key(&format!("round{round}"), "verify_ms"));
    (report, injection)
}

/// Waits for in-flight restores; once cancelled, gives them [`CANCEL_GRACE`] and abandons the rest.
async fn drain(
    ctx: &WorkloadContext,
    tasks: &mut JoinSet<RestoreResult>,
    report: &mut RoundReport,
    injection: &mut BTreeMap<String, InjectionCount>,
) {
    let deadline = async {
        ctx.cancel.cancelled().await;
        tokio::time::sleep(CANCEL_GRACE).await;
    };
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(done) => tally(report, injection, done.ok()),
                None => return,
            },
            _ = &mut deadline => {
                let abandoned = tasks.len();
                tasks.abort_all();
                while let Some(done) = tasks.join_next().await {
                    tally(report, injection, done.ok());
                }
                ctx.console.warn(&format!("abandoned {abandoned} in-flight restores after the grace period"));
                return;
            }
        }
    }
}

fn tally(report: &mut RoundReport, injection: &mut BTreeMap<String, InjectionCount>, done: Option<RestoreResult>) {
    // A panicked or aborted task has no result: accounting reports it as lost.
    let Some(done) = done else { return };
    match done.outcome_kind {
        "verified" => report.verified += 1,
        "corrupted" => report.corrupted += 1,
        _ => report.infra += 1,
    }
    report.wrong_checkpoint += u64::from(done.wrong_checkpoint);
    report.destroy_failures += u64::from(done.destroy_failed);
    if let Some((damage, confirmed)) = done.injection {
        let count = injection.entry(damage.name().to_string()).or_default();
        // A confirmed damage is judged by what the checks said; one they could not look at (infra)
        // tested nothing, like one that could not be applied.
        match (confirmed, done.outcome_kind) {
            (true, "corrupted") => {
                count.injected += 1;
                count.detected += 1;
            }
            (true, "verified") => {
                count.injected += 1;
                count.missed += 1;
            }
            _ => count.unapplied += 1,
        }
    }
}

/// A round without a checkpoint cannot restore: each of its planned restores inherits the setup's
/// outcome (infra, or corrupted when the marker was wrong before the checkpoint was even taken).
fn record_inherited_failures(
    ctx: &WorkloadContext,
    report: &mut RoundReport,
    planned: u32,
    first_index: u64,
    outcome: &Outcome,
) {
    let workload = ctx.account(WORKLOAD);
    for offset in 0..u64::from(planned) {
        ctx.recorder.plan(workload);
        let mut event = Event::new(workload, "restore", std::time::Duration::ZERO);
        event.round = Some(report.round);
        event.restore = Some((first_index + offset) as u32 + 1);
        event.detail = Some(format!("round setup failed: {}", describe(outcome)));
        ctx.recorder.finish(workload, event, outcome);
        report.restores += 1;
        match outcome {
            Outcome::Corrupted { .. } => report.corrupted += 1,
            _ => report.infra += 1,
        }
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Verified => "verified".to_string(),
        Outcome::Corrupted {
            check,
            expected,
            actual,
        } => format!("{check}: expected {expected}, found {actual}"),
        Outcome::Infra { class, status, detail } => match status {
            Some(s) => format!("{class} {s}: {detail}"),
            None => format!("{class}: {detail}"),
        },
    }
}
