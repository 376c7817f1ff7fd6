//! One planned lifecycle operation: create → first command (time to interactive) → held alive until
//! the whole mode settled → liveness probe → destroy, ending in exactly one outcome.
//!
//! Outcome mapping: `success` is `Verified`; `failed` (create failed), `readiness_failed` (first
//! command failed) and `partial` (ready, then the liveness probe failed) are `Infra` with the class
//! of the failing step (a command that ran but exited non-zero is `provider_error`). A failed destroy
//! does not change the outcome; it is counted apart and the sandbox is left to the final sweep.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::gate::Gate;
use super::WORKLOAD;
use crate::cancel::CancelToken;
use crate::config::{LifecycleConfig, LifecycleMode};
use crate::provider::{ExecRequest, ProviderError, SandboxId};
use crate::record::{ms, Event, WindowSet};
use crate::verify::{InfraClass, Outcome};
use crate::workload::schedule::Slot;
use crate::workload::timeline::InFlightClock;
use crate::workload::WorkloadContext;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Partial,
    ReadinessFailed,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Partial => "partial",
            Status::ReadinessFailed => "readiness_failed",
            Status::Failed => "failed",
        }
    }
}

/// Everything the sandboxes of one mode share.
pub struct ModeShared {
    pub mode: LifecycleMode,
    pub cfg: LifecycleConfig,
    pub clock: InFlightClock,
    /// Opened once every sandbox of the mode has settled: the held sandboxes then probe and go.
    pub hold: CancelToken,
    /// Sandboxes created and not yet destroyed: what the final sweep must clean up. Bounded by the
    /// number in flight.
    pub alive: Mutex<HashSet<SandboxId>>,
    /// Every provider call of a sandbox passes it: at most `--max-in-flight` at once.
    gate: Gate,
    /// The run's time-series windows (sandboxes alive, launches).
    windows: Arc<WindowSet>,
    /// A ramp's half-step windows, judged by the capacity search.
    steps: Option<Arc<WindowSet>>,
    /// `lifecycle.<mode>.<metric>` of each [`Step`].
    step_keys: [String; 4],
    /// Count-based modes hold every sandbox until the mode settled, so concurrency is real; a
    /// timed run cannot (it would hold every sandbox of the hour), so its sandboxes are probed
    /// and destroyed as soon as they are interactive.
    hold_until_settled: bool,
}

impl ModeShared {
    pub fn new(
        mode: LifecycleMode,
        cfg: LifecycleConfig,
        windows: Arc<WindowSet>,
        steps: Option<Arc<WindowSet>>,
    ) -> Self {
        let gate = Gate::new(cfg.max_in_flight);
        let hold_until_settled = !cfg.pace.is_timed();
        let step_keys = Step::METRICS.map(|m| format!("{WORKLOAD}.{}.{m}", mode.name()));
        Self {
            mode,
            cfg,
            clock: InFlightClock::new(),
            hold: CancelToken::new(),
            alive: Mutex::default(),
            gate,
            windows,
            steps,
            step_keys,
            hold_until_settled,
        }
    }

    pub fn key(&self, metric: &str) -> String {
        format!("{WORKLOAD}.{}.{metric}", self.mode.name())
    }

    /// The histogram keys of a sandbox's steps, formatted once per mode rather than per record.
    fn step_key(&self, step: Step) -> &str {
        &self.step_keys[step as usize]
    }

    fn register(&self, sb: &SandboxId) {
        self.alive.lock().unwrap_or_else(|p| p.into_inner()).insert(sb.clone());
        self.clock.alive_changed(true);
        self.windows.alive_changed(1);
    }

    pub fn unregister(&self, sb: &SandboxId) {
        if self.alive.lock().unwrap_or_else(|p| p.into_inner()).remove(sb) {
            self.clock.alive_changed(false);
            self.windows.alive_changed(-1);
        }
    }
}

/// The timed steps of a sandbox, each with its histogram.
#[derive(Clone, Copy)]
enum Step {
    Create,
    FirstCommand,
    Tti,
    Destroy,
}

impl Step {
    const METRICS: [&'static str; 4] = ["create_ms", "first_command_ms", "tti_ms", "destroy_ms"];
}

/// What the mode's tally needs from a finished sandbox.
pub struct SandboxResult {
    pub status: Status,
    pub failure_class: Option<String>,
    pub destroy_failure_class: Option<String>,
}

/// Step latencies of one sandbox in milliseconds; a plain struct (no heap) because every sandbox of
/// a burst carries one through the hold.
#[derive(Default)]
struct Timings {
    queue: f64,
    create: Option<f64>,
    first_command: Option<f64>,
    tti: Option<f64>,
    destroy: Option<f64>,
}

impl Timings {
    fn into_map(self) -> BTreeMap<&'static str, f64> {
        let mut map = BTreeMap::from([("queue_ms", self.queue)]);
        for (name, value) in [
            ("create_ms", self.create),
            ("first_command_ms", self.first_command),
            ("tti_ms", self.tti),
            ("destroy_ms", self.destroy),
        ] {
            if let Some(v) = value {
                map.insert(name, v);
            }
        }
        map
    }
}

/// A failed step: its class, HTTP status, and what happened.
struct StepFailure {
    class: InfraClass,
    status: Option<u16>,
    detail: String,
}

impl StepFailure {
    fn from_error(step: &str, e: ProviderError) -> Self {
        Self {
            class: e.class,
            status: e.status,
            detail: format!("{step}: {}", e.message),
        }
    }

    fn into_outcome(self) -> Outcome {
        Outcome::Infra {
            class: self.class,
            status: self.status,
            detail: self.detail,
        }
    }
}

/// `timeout`, or `http_error_503` when there was a status, as in `infra_classes`.
pub fn class_key(class: InfraClass, status: Option<u16>) -> String {
    match status {
        Some(s) => format!("{class}_{s}"),
        None => class.to_string(),
    }
}

/// One sandbox's life: create (timed from the scheduled start), first command, held alive until
/// the whole mode settled, liveness probe, destroy.
pub async fn run_sandbox(ctx: Arc<WorkloadContext>, shared: Arc<ModeShared>, mut slot: Slot) -> SandboxResult {
    let scheduled = slot.start().await;
    shared.clock.started(scheduled);
    shared.windows.launched(scheduled);
    if let Some(steps) = &shared.steps {
        steps.launched(scheduled);
    }
    let queue = scheduled.elapsed();
    let mut timings = Timings {
        queue: ms(queue),
        ..Default::default()
    };
    let sandbox = match create(&ctx, &shared).await {
        Ok(sb) => sb,
        Err(e) => {
            slot.settle();
            let failure = StepFailure::from_error("create", e);
            return finish(&ctx, &shared, &slot, None, Status::Failed, Some(failure), None, timings);
        }
    };
    // Measured from the scheduled start: time spent queued behind earlier launches counts.
    let create_time = scheduled.elapsed();
    shared.register(&sandbox);
    ctx.recorder
        .histograms
        .record(shared.step_key(Step::Create), create_time);
    timings.create = Some(ms(create_time));

    let command_started = Instant::now();
    let ready = probe(&ctx, &shared, &sandbox, "first command").await;
    let first_command = command_started.elapsed();
    timings.first_command = Some(ms(first_command));
    if ready.is_ok() {
        let tti = scheduled.elapsed();
        shared.clock.ready(Instant::now());
        ctx.recorder
            .histograms
            .record(shared.step_key(Step::FirstCommand), first_command);
        ctx.recorder.histograms.record(shared.step_key(Step::Tti), tti);
        if let Some(steps) = &shared.steps {
            steps.latency(super::TTI_KEY, tti);
        }
        timings.tti = Some(ms(tti));
    }
    slot.settle();

    // Held alive until every sandbox of the mode has settled, so concurrency is real.
    if shared.hold_until_settled {
        shared.hold.cancelled().await;
    }

    let (status, failure) = match ready {
        Err(f) => (Status::ReadinessFailed, Some(f)),
        Ok(()) => match probe(&ctx, &shared, &sandbox, "liveness probe").await {
            Ok(()) => (Status::Success, None),
            Err(f) => (Status::Partial, Some(f)),
        },
    };

    let destroy_failure = destroy(&ctx, &shared, &sandbox, &mut timings).await;
    finish(
        &ctx,
        &shared,
        &slot,
        Some(&sandbox),
        status,
        failure,
        destroy_failure,
        timings,
    )
}

/// Creates the sandbox through the mode's gate; no answer within the create timeout is a timeout.
async fn create(ctx: &WorkloadContext, shared: &ModeShared) -> Result<SandboxId, ProviderError> {
    let provider = ctx.provider.as_ref();
    match shared
        .gate
        .run(|| tokio::time::timeout(shared.cfg.create_timeout, provider.create()))
        .await
    {
        Ok(r) => r,
        Err(_) => Err(ProviderError::timeout(format!(
            "create did not answer within {} s",
            shared.cfg.create_timeout.as_secs()
        ))),
    }
}

/// Destroys the sandbox; a failure is logged and returned as its class (the final sweep retries).
async fn destroy(
    ctx: &WorkloadContext,
    shared: &ModeShared,
    sandbox: &SandboxId,
    timings: &mut Timings,
) -> Option<String> {
    let destroy_started = Instant::now();
    match shared.gate.run(|| ctx.provider.destroy(sandbox)).await {
        Ok(()) => {
            let t = destroy_started.elapsed();
            ctx.recorder.histograms.record(shared.step_key(Step::Destroy), t);
            timings.destroy = Some(ms(t));
            shared.unregister(sandbox);
            None
        }
        Err(e) => {
            ctx.recorder
                .errors
                .write_text(&format!("=== DESTROY FAILED lifecycle sandbox {sandbox}: {e}\n\n"));
            Some(class_key(e.class, e.status))
        }
    }
}

/// Runs the ready command; a command that ran but did not exit 0 is a provider error.
async fn probe(ctx: &WorkloadContext, shared: &ModeShared, sb: &SandboxId, step: &str) -> Result<(), StepFailure> {
    let request = ExecRequest {
        argv: shared.cfg.ready_cmd.clone(),
        timeout: shared.cfg.ready_timeout,
    };
    // The provider's own timeout plus a margin: a platform that never answers is a timeout too.
    let limit = shared.cfg.ready_timeout + Duration::from_secs(5);
    let answer = shared
        .gate
        .run(|| tokio::time::timeout(limit, ctx.provider.exec(sb, &request)))
        .await;
    match answer {
        Err(_) => Err(StepFailure {
            class: InfraClass::Timeout,
            status: None,
            detail: format!("{step}: no answer within {} s", limit.as_secs()),
        }),
        Ok(Err(e)) => Err(StepFailure::from_error(step, e)),
        Ok(Ok(out)) if out.success() => Ok(()),
        Ok(Ok(out)) => Err(StepFailure {
            class: InfraClass::ProviderError,
            status: None,
            detail: format!(
                "{step}: `{}` ended with {}: {}",
                request.display(),
                out.status_text(),
                out.stderr_text().trim()
            ),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    ctx: &WorkloadContext,
    shared: &ModeShared,
    slot: &Slot,
    sandbox: Option<&SandboxId>,
    status: Status,
    failure: Option<StepFailure>,
    destroy_failure: Option<String>,
    timings: Timings,
) -> SandboxResult {
    let failure_class = failure.as_ref().map(|f| class_key(f.class, f.status));
    let outcome = failure.map_or(Outcome::Verified, StepFailure::into_outcome);
    let mut event = Event::new(WORKLOAD, shared.mode.name(), Duration::ZERO);
    event.duration_ms = timings.tti.unwrap_or_default();
    event.index = Some(slot.index + 1);
    event.sandbox = sandbox.map(|s| s.0.clone());
    event.result = Some(status.name());
    event.timings = Some(timings.into_map());
    if let Some(class) = &destroy_failure {
        event.detail = Some(format!("destroy failed: {class}"));
    }
    if let Some(steps) = &shared.steps {
        steps.outcome(&outcome);
    }
    ctx.recorder.finish(WORKLOAD, event, &outcome);
    SandboxResult {
        status,
        failure_class,
        destroy_failure_class: destroy_failure,
    }
}
