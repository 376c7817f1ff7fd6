//! The contention workload: N writers × M writes to one store through configured commands, released
//! together by a barrier, then a listing of the store checked write by write.
//!
//! Every write is a direct exec through the provider (no shell loop around it), so each spawn
//! failure, exit status and timeout is seen; output is drained by the provider while the command
//! runs. A lost acknowledged write or a duplicate is corruption; a write the store refused (non-zero
//! exit) is infra (`refused`) and can never be lost; a write with no answer within its timeout is
//! infra (`timeout`, reported as a possible deadlock) and may go either way.
//!
//! A chaos scenario runs this workload with its context accounted to `chaos`
//! ([`WorkloadContext::account`]): outcomes, events and histograms then land under that name.

mod check;
mod nemesis;
mod record;
mod targets;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Barrier;

pub use check::{check_store, parse_listing, write_id, WriteState, WriteVerdict};
use writer::WriterLog;

use crate::config::contention::ContentionConfig;
use crate::provider::{ExecRequest, SandboxId};
use crate::record::Event;
use crate::report::ContentionReport;
use crate::verify::exit_status::check_exited_cleanly;
use crate::verify::restore::exec_with_retries;
use crate::verify::Outcome;
use crate::workload::WorkloadContext;

pub const WORKLOAD: &str = "contention";

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &ContentionConfig) -> ContentionReport {
    let workload = ctx.account(WORKLOAD);
    let mut report = ContentionReport {
        target: cfg.target.map(|t| t.name().to_string()),
        writers: cfg.writers,
        writes: cfg.writes,
        ..Default::default()
    };
    let sandbox = match prepare(&ctx, cfg).await {
        Ok(sb) => sb,
        Err(outcome) => {
            report.setup_error = Some(format!("{outcome:?}"));
            ctx.console.warn(&format!("contention: setup failed: {outcome:?}"));
            for w in 0..cfg.writers {
                for s in 0..cfg.writes {
                    ctx.recorder.plan(workload);
                    ctx.recorder
                        .finish(workload, write_event(workload, w, s, "check"), &outcome);
                }
            }
            return report;
        }
    };
    let logs = run_writers(&ctx, cfg, &sandbox).await;
    // A writer task that panicked reported nothing: its writes stay planned without outcome (lost).
    let states: Vec<Vec<WriteState>> = logs
        .iter()
        .map(|l| l.as_ref().map(|l| l.states.clone()).unwrap_or_default())
        .collect();
    let listing = list_store(&ctx, cfg, &sandbox).await;
    let _ = ctx.provider.destroy(&sandbox).await;
    match listing {
        Ok(text) => {
            let (check, verdicts) = check_store(&states, &parse_listing(&text));
            let evidence = record::store_evidence(&ctx, &check, &verdicts, &text);
            record::record_outcomes(&ctx, &logs, &verdicts, evidence.as_deref());
            record::record_unknown(&ctx, &check.unknown_examples, check.unknown);
            report.acknowledged = check.acknowledged;
            report.present = check.present;
            report.lost = check.lost;
            report.duplicates = check.duplicates;
            report.unknown = check.unknown;
            report.incomplete_writers = check.incomplete_writers;
        }
        Err(outcome) => {
            record::record_unlisted(&ctx, &logs, &outcome);
            report.acknowledged = count(&states, WriteState::Acknowledged);
        }
    }
    report.refused = count(&states, WriteState::Refused);
    report.failed = report.refused;
    report.kills = count(&states, WriteState::Killed);
    report.indeterminate = count(&states, WriteState::Indeterminate) + report.kills;
    report.write_ms = ctx.recorder.histograms.summary(&format!("{workload}.all.write_ms"));
    report
}

fn count(states: &[Vec<WriteState>], which: WriteState) -> u64 {
    states.iter().flatten().filter(|s| **s == which).count() as u64
}

/// Releases every writer at once (and the `kill9` schedule, when armed) and collects their logs.
async fn run_writers(
    ctx: &Arc<WorkloadContext>,
    cfg: &ContentionConfig,
    sandbox: &SandboxId,
) -> Vec<Option<WriterLog>> {
    let barrier = Arc::new(Barrier::new(cfg.writers as usize));
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..cfg.writers {
        let (ctx, cfg, barrier, sb) = (ctx.clone(), cfg.clone(), barrier.clone(), sandbox.clone());
        tasks.spawn(async move { (writer, writer::run_writer(&ctx, &cfg, &sb, writer, &barrier).await) });
    }
    let stop_nemesis = crate::cancel::CancelToken::new();
    let nemesis = cfg.kill9.clone().map(|kill9| {
        let (ctx, sb, stop) = (ctx.clone(), sandbox.clone(), stop_nemesis.clone());
        tokio::spawn(async move { nemesis::run_kill9(&ctx, &sb, &kill9, stop).await })
    });
    let mut logs: Vec<Option<WriterLog>> = (0..cfg.writers).map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        if let Ok((writer, log)) = done {
            logs[writer as usize] = Some(log);
        }
    }
    stop_nemesis.cancel();
    if let Some(nemesis) = nemesis {
        let _ = nemesis.await;
    }
    logs
}

async fn prepare(ctx: &WorkloadContext, cfg: &ContentionConfig) -> Result<SandboxId, Outcome> {
    let infra = |e: crate::provider::ProviderError| Outcome::Infra {
        class: e.class,
        status: e.status,
        detail: format!("contention setup: {}", e.message),
    };
    let sb = ctx.provider.create().await.map_err(infra)?;
    if let Some(target) = cfg.target {
        let (name, script) = (target.script_name(), targets::script(target));
        ctx.provider
            .write_file(&sb, name, Bytes::from_static(script.as_bytes()))
            .await
            .map_err(infra)?;
        ctx.provider
            .write_file(&sb, "store.txt", Bytes::new())
            .await
            .map_err(infra)?;
    }
    Ok(sb)
}

async fn list_store(ctx: &WorkloadContext, cfg: &ContentionConfig, sb: &SandboxId) -> Result<String, Outcome> {
    let request = ExecRequest {
        argv: cfg.list_cmd.clone(),
        timeout: ctx.exec_timeout,
    };
    let out = exec_with_retries(ctx.provider.as_ref(), sb, &request).await?;
    // A listing killed by SIGKILL (the OOM killer) is infra; any other failure to list is corruption.
    check_exited_cleanly("list store", &out)?;
    Ok(out.stdout_text())
}

fn write_event(workload: &'static str, writer: u32, seq: u32, phase: &'static str) -> Event {
    let mut event = Event::new(workload, phase, Duration::ZERO);
    event.op = Some(write_id(writer, seq));
    event
}
