//! One planned operation: restore a sandbox from the round's checkpoint, optionally damage it (the
//! self-test), verify it (recognising another round's checkpoint), destroy it, and record exactly
//! one outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{identity, CheckpointRun, WORKLOAD};
use crate::provider::{CheckpointId, Payload, SandboxId};
use crate::record::{ms, Event};
use crate::verify::restore::{verify_restore, Fingerprint};
use crate::verify::Outcome;
use crate::workload::inject::{self, Damage};
use crate::workload::WorkloadContext;

/// What the round needs to know about a finished restore.
pub struct RestoreResult {
    pub outcome_kind: &'static str,
    /// The self-test damage this restore was chosen for, and whether it was applied and confirmed.
    pub injection: Option<(Damage, bool)>,
    /// The restore held another round's marker or commit.
    pub wrong_checkpoint: bool,
    pub destroy_failed: bool,
}

pub struct RoundShared {
    pub round: u32,
    pub checkpoint: CheckpointId,
    pub fingerprint: Fingerprint,
    pub marker: Payload,
    pub inject_rate: f64,
}

pub async fn restore_once(run: &CheckpointRun, shared: Arc<RoundShared>, index: u64) -> RestoreResult {
    let ctx = run.ctx.as_ref();
    let provider = ctx.provider.as_ref();
    let workload = ctx.account(WORKLOAD);
    let mut event = Event::new(workload, "restore", Duration::ZERO);
    event.round = Some(shared.round);
    event.restore = Some(index as u32 + 1);

    let started = Instant::now();
    let restored = provider.restore(&shared.checkpoint).await;
    let restore_time = started.elapsed();
    event.restore_ms = Some(ms(restore_time));

    let sandbox = match restored {
        Ok(sb) => sb,
        Err(e) => {
            let outcome = Outcome::Infra {
                class: e.class,
                status: e.status,
                detail: format!("restore: {}", e.message),
            };
            event.duration_ms = ms(started.elapsed());
            ctx.recorder.finish(workload, event, &outcome);
            return RestoreResult {
                outcome_kind: outcome.kind(),
                injection: None,
                wrong_checkpoint: false,
                destroy_failed: false,
            };
        }
    };
    event.sandbox = Some(sandbox.0.clone());
    let hist = &ctx.recorder.histograms;
    hist.record(&format!("{workload}.all.restore_ms"), restore_time);
    hist.record(&format!("{workload}.round{}.restore_ms", shared.round), restore_time);

    let (injection, unapplied) = self_test(ctx, &shared, &sandbox, index, &mut event).await;
    let verify_started = Instant::now();
    let mut outcome = match unapplied {
        Some(outcome) => outcome,
        None => verify_restore(provider, &sandbox, &shared.fingerprint, ctx.exec_timeout).await,
    };
    let verify_time = verify_started.elapsed();
    let wrong_checkpoint = injection.is_none() && name_wrong_checkpoint(run, &shared, &sandbox, &mut outcome).await;
    event.verify_ms = Some(ms(verify_time));
    if !matches!(outcome, Outcome::Infra { .. }) {
        hist.record(&format!("{workload}.all.verify_ms"), verify_time);
        hist.record(&format!("{workload}.round{}.verify_ms", shared.round), verify_time);
    }
    let op_id = format!("round{}-restore{}", shared.round, index + 1);
    if outcome.is_corrupted() {
        event.evidence = super::evidence::collect(ctx, &sandbox, &op_id, &shared, &outcome).await;
    }
    if let (Some((damage, true)), Outcome::Verified) = (injection, &outcome) {
        ctx.recorder.errors.write_text(&format!(
            "=== SELF-TEST MISSED {op_id}: {} was applied and confirmed, yet every check passed ({})\n\n",
            damage.name(),
            event.detail.as_deref().unwrap_or("")
        ));
    }
    let destroy_failed = !destroy(ctx, &sandbox).await;
    event.duration_ms = ms(started.elapsed());
    let kind = outcome.kind();
    ctx.recorder.finish(workload, event, &outcome);
    RestoreResult {
        outcome_kind: kind,
        injection,
        wrong_checkpoint,
        destroy_failed,
    }
}

/// Renames a corruption that shows another round's marker or commit "restored the wrong
/// checkpoint"; true when it did. Only called for restores the self-test left alone: its damage is
/// ours, never another round's state.
async fn name_wrong_checkpoint(
    run: &CheckpointRun,
    shared: &RoundShared,
    sandbox: &SandboxId,
    outcome: &mut Outcome,
) -> bool {
    if !outcome.is_corrupted() {
        return false;
    }
    let ctx = run.ctx.as_ref();
    match identity::wrong_checkpoint(ctx, sandbox, shared.round, &shared.fingerprint, &run.known).await {
        Some(found) => {
            *outcome = found;
            true
        }
        None => false,
    }
}

/// Destroys a restored sandbox; a failure is logged (a leak on the platform, not corruption).
async fn destroy(ctx: &WorkloadContext, sandbox: &SandboxId) -> bool {
    match ctx.provider.destroy(sandbox).await {
        Ok(()) => true,
        Err(e) => {
            ctx.recorder
                .errors
                .write_text(&format!("=== DESTROY FAILED sandbox {sandbox}: {e}\n\n"));
            false
        }
    }
}

/// Damages the restore when the self-test picked it. Returns the damage with whether it was
/// confirmed, and, when it was not, the restore's outcome: infra, because a sandbox in an unknown
/// state of damage must not be verified (our own half-applied damage would read as corruption).
async fn self_test(
    ctx: &WorkloadContext,
    shared: &RoundShared,
    sandbox: &SandboxId,
    index: u64,
    event: &mut Event,
) -> (Option<(Damage, bool)>, Option<Outcome>) {
    let Some(damage) = inject::damage_for(index, shared.inject_rate) else {
        return (None, None);
    };
    let seed = ctx.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let applied = inject::apply(
        ctx.provider.as_ref(),
        sandbox,
        damage,
        &shared.fingerprint,
        &shared.marker,
        seed,
        ctx.exec_timeout,
    )
    .await;
    match applied {
        Ok(detail) => {
            event.injected = Some(damage.name());
            event.detail = Some(format!("self-test: {detail}"));
            (Some((damage, true)), None)
        }
        Err(e) => {
            let outcome = Outcome::Infra {
                class: e.class,
                status: e.status,
                detail: format!(
                    "self-test damage {} unapplied (not applied or not confirmed): {}",
                    damage.name(),
                    e.message
                ),
            };
            (Some((damage, false)), Some(outcome))
        }
    }
}
