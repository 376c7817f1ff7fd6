//! One planned operation: restore a sandbox from the round's checkpoint, optionally damage it (the
//! self-test), verify it, destroy it, and record exactly one outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::WORKLOAD;
use crate::provider::CheckpointId;
use crate::record::{ms, Event};
use crate::verify::restore::{verify_restore, Fingerprint};
use crate::verify::Outcome;
use crate::workload::inject::{self, Damage};
use crate::workload::WorkloadContext;

/// What the round needs to know about a finished restore.
pub struct RestoreResult {
    pub outcome_kind: &'static str,
    pub injected: Option<Damage>,
    pub destroy_failed: bool,
}

pub struct RoundShared {
    pub round: u32,
    pub checkpoint: CheckpointId,
    pub fingerprint: Fingerprint,
    pub marker: Bytes,
    pub inject_rate: f64,
}

pub async fn restore_once(ctx: Arc<WorkloadContext>, shared: Arc<RoundShared>, index: u64) -> RestoreResult {
    let provider = ctx.provider.as_ref();
    let mut event = Event::new(WORKLOAD, "restore", Duration::ZERO);
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
            ctx.recorder.finish(WORKLOAD, event, &outcome);
            return RestoreResult {
                outcome_kind: outcome.kind(),
                injected: None,
                destroy_failed: false,
            };
        }
    };
    event.sandbox = Some(sandbox.0.clone());
    ctx.recorder
        .histograms
        .record("checkpoint.all.restore_ms", restore_time);
    ctx.recorder
        .histograms
        .record(&format!("checkpoint.round{}.restore_ms", shared.round), restore_time);

    let mut injected = None;
    let mut injection_failure = None;
    if let Some(damage) = inject::damage_for(index, shared.inject_rate) {
        let seed = ctx.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        match inject::apply(
            provider,
            &sandbox,
            damage,
            &shared.fingerprint.marker_path,
            &shared.marker,
            seed,
            ctx.exec_timeout,
        )
        .await
        {
            Ok(detail) => {
                injected = Some(damage);
                event.injected = Some(damage.name());
                event.detail = Some(format!("self-test: {detail}"));
            }
            Err(e) => {
                injection_failure = Some(Outcome::Infra {
                    class: e.class,
                    status: e.status,
                    detail: format!("self-test damage {} could not be applied: {}", damage.name(), e.message),
                })
            }
        }
    }

    let verify_started = Instant::now();
    let outcome = match injection_failure {
        Some(outcome) => outcome,
        None => verify_restore(provider, &sandbox, &shared.fingerprint, ctx.exec_timeout).await,
    };
    let verify_time = verify_started.elapsed();
    event.verify_ms = Some(ms(verify_time));
    if !matches!(outcome, Outcome::Infra { .. }) {
        ctx.recorder.histograms.record("checkpoint.all.verify_ms", verify_time);
        ctx.recorder
            .histograms
            .record(&format!("checkpoint.round{}.verify_ms", shared.round), verify_time);
    }

    if outcome.is_corrupted() {
        let op_id = format!("round{}-restore{}", shared.round, index + 1);
        event.evidence = super::evidence::collect(&ctx, &sandbox, &op_id, &shared, &outcome).await;
    }
    let destroy_failed = match provider.destroy(&sandbox).await {
        Ok(()) => false,
        Err(e) => {
            ctx.recorder
                .errors
                .write_text(&format!("=== DESTROY FAILED sandbox {sandbox}: {e}\n\n"));
            true
        }
    };
    event.duration_ms = ms(started.elapsed());
    let kind = outcome.kind();
    ctx.recorder.finish(WORKLOAD, event, &outcome);
    RestoreResult {
        outcome_kind: kind,
        injected,
        destroy_failed,
    }
}
