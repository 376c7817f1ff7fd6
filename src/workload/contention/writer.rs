//! One writer: issues its writes one after another once the barrier releases all writers, and
//! keeps what each write's answer promised.
//!
//! Only an exit 0 acknowledges a write. A non-zero exit is the store refusing it (`refused`: infra,
//! nothing was promised, so it can never be lost); a write with no answer, or killed by the `kill9`
//! schedule, is indeterminate: it may or may not be in the store.

use std::time::Instant;

use tokio::sync::Barrier;

use super::{write_event, write_id, ContentionConfig, WriteState, WORKLOAD};
use crate::provider::{ExecOutput, ExecRequest, ProviderError, SandboxId};
use crate::verify::exit_status::killed_by_sigkill;
use crate::verify::restore::excerpt;
use crate::verify::{InfraClass, Outcome};
use crate::workload::WorkloadContext;

/// At most this many failure details are kept in memory for error-details.log.
const KEPT_FAILURES: usize = 50;
/// Beyond those, each failure keeps this much of its detail (`refused: exit 1`, the class of answer).
const KEPT_DETAIL_CHARS: usize = 60;

/// One writer's record of what happened to its writes.
pub struct WriterLog {
    pub states: Vec<WriteState>,
    pub failures: Vec<(u32, Outcome)>,
    /// Writes killed by the `kill9` schedule: each a fault that really hit a writer.
    pub killed: u64,
}

fn render(template: &[String], writer: u32, seq: u32) -> Vec<String> {
    let id = write_id(writer, seq);
    template
        .iter()
        .map(|a| {
            a.replace("{writer}", &writer.to_string())
                .replace("{seq}", &seq.to_string())
                .replace("{id}", &id)
        })
        .collect()
}

pub async fn run_writer(
    ctx: &WorkloadContext,
    cfg: &ContentionConfig,
    sb: &SandboxId,
    writer: u32,
    barrier: &Barrier,
) -> WriterLog {
    let workload = ctx.account(WORKLOAD);
    let mut log = WriterLog {
        states: vec![WriteState::NotRun; cfg.writes as usize],
        failures: Vec::new(),
        killed: 0,
    };
    barrier.wait().await;
    for seq in 0..cfg.writes {
        if ctx.cancel.is_cancelled() {
            break;
        }
        ctx.recorder.plan(workload);
        let request = ExecRequest {
            argv: render(&cfg.write_cmd, writer, seq),
            timeout: cfg.write_timeout,
        };
        // invoke / ok / fail / indeterminate per write, so a history checker can replay the run.
        let mut invoke = write_event(workload, writer, seq, "write");
        invoke.outcome = "invoke";
        ctx.recorder.events.write(&invoke);
        let started = Instant::now();
        let result = ctx.provider.exec(sb, &request).await;
        let took = started.elapsed();
        ctx.recorder
            .histograms
            .record(&format!("{workload}.all.write_ms"), took);
        let (state, failure) = classify(cfg, &request, result);
        log.killed += u64::from(state == WriteState::Killed);
        let mut event = write_event(workload, writer, seq, "write");
        event.duration_ms = crate::record::ms(took);
        event.outcome = match state {
            WriteState::Acknowledged => "ok",
            WriteState::Refused => "fail",
            _ => "indeterminate",
        };
        ctx.recorder.events.write(&event);
        log.states[seq as usize] = state;
        if let Some(outcome) = failure {
            // Keep every failure's outcome (one per failed write) but only a bounded amount of text.
            let outcome = if log.failures.len() < KEPT_FAILURES {
                outcome
            } else {
                trim_detail(outcome)
            };
            log.failures.push((seq, outcome));
        }
    }
    log
}

/// What one write's answer means for the store, and the outcome of a write that was not acknowledged.
fn classify(
    cfg: &ContentionConfig,
    request: &ExecRequest,
    result: Result<ExecOutput, ProviderError>,
) -> (WriteState, Option<Outcome>) {
    let infra = |class, status, detail: String| Some(Outcome::Infra { class, status, detail });
    match result {
        Ok(out) if out.success() => (WriteState::Acknowledged, None),
        Ok(out) if cfg.kill9.is_some() && killed_by_sigkill(&out) => (
            WriteState::Killed,
            infra(
                InfraClass::ProviderError,
                None,
                "indeterminate: the write was killed by the kill9 fault schedule".into(),
            ),
        ),
        Ok(out) => {
            let stderr = out.stderr_text();
            let said = if stderr.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", excerpt(stderr.trim()))
            };
            let detail = format!("refused: {}{said}", out.status_text());
            (WriteState::Refused, infra(InfraClass::ProviderError, None, detail))
        }
        Err(e) => {
            let detail = if e.class == InfraClass::Timeout {
                format!(
                    "possible deadlock: `{}` did not finish within {} ms",
                    request.display(),
                    cfg.write_timeout.as_millis()
                )
            } else {
                e.message.clone()
            };
            (WriteState::Indeterminate, infra(e.class, e.status, detail))
        }
    }
}

fn trim_detail(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Infra { class, status, detail } => {
            let detail = detail.chars().take(KEPT_DETAIL_CHARS).collect();
            Outcome::Infra { class, status, detail }
        }
        other => other,
    }
}
