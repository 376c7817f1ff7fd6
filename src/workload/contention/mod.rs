//! The contention workload: N writers × M writes to one store through configured commands, released
//! together by a barrier, then a listing of the store checked write by write.
//!
//! Every write is a direct exec through the provider (no shell loop around it), so each spawn
//! failure, exit status and timeout is seen; output is drained by the provider while the command
//! runs. A lost acknowledged write or a duplicate is corruption; a write with no answer within its
//! timeout is infra (`timeout`, reported as a possible deadlock) and may go either way.

mod check;
mod nemesis;
mod targets;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Barrier;

pub use check::{check_store, parse_listing, write_id, WriteState, WriteVerdict};
pub use nemesis::Kill9;
pub use targets::DemoTarget;

use crate::provider::{ExecRequest, SandboxId};
use crate::record::Event;
use crate::report::model_contention::ContentionReport;
use crate::verify::restore::{excerpt, exec_with_retries};
use crate::verify::{InfraClass, Outcome};
use crate::workload::WorkloadContext;

pub const WORKLOAD: &str = "contention";

/// At most this many failure details are kept in memory for error-details.log.
const KEPT_FAILURES: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub struct ContentionConfig {
    pub writers: u32,
    pub writes: u32,
    /// Command template; `{writer}`, `{seq}` and `{id}` are replaced in every argument.
    pub write_cmd: Vec<String>,
    /// Prints what the store holds: JSON lines with an `id`, or one id per line.
    pub list_cmd: Vec<String>,
    pub target: Option<DemoTarget>,
    pub write_timeout: Duration,
    /// SIGKILL writer processes at random moments while the writers run.
    pub kill9: Option<Kill9>,
}

impl ContentionConfig {
    /// The built-in demo store's commands.
    pub fn for_target(target: DemoTarget, writers: u32, writes: u32, write_timeout: Duration) -> Self {
        Self {
            writers,
            writes,
            write_cmd: target.write_cmd(),
            list_cmd: target.list_cmd(),
            target: Some(target),
            write_timeout,
            kill9: None,
        }
    }
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

/// One writer's record of what happened to its writes.
struct WriterLog {
    states: Vec<WriteState>,
    failures: Vec<(u32, Outcome)>,
}

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &ContentionConfig) -> ContentionReport {
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
                    ctx.recorder.plan(WORKLOAD);
                    ctx.recorder.finish(WORKLOAD, write_event(w, s, "check"), &outcome);
                }
            }
            return report;
        }
    };

    let barrier = Arc::new(Barrier::new(cfg.writers as usize));
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..cfg.writers {
        let (ctx, cfg, barrier, sb) = (ctx.clone(), cfg.clone(), barrier.clone(), sandbox.clone());
        tasks.spawn(async move { (writer, run_writer(&ctx, &cfg, &sb, writer, &barrier).await) });
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
        report.kills = nemesis.await.unwrap_or(0);
    }
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
            let evidence = store_evidence(&ctx, &check, &verdicts, &text);
            record_outcomes(&ctx, &logs, &verdicts, evidence.as_deref());
            record_unknown(&ctx, &check.unknown_examples, check.unknown);
            report.acknowledged = check.acknowledged;
            report.present = check.present;
            report.lost = check.lost;
            report.duplicates = check.duplicates;
            report.unknown = check.unknown;
            report.incomplete_writers = check.incomplete_writers;
        }
        Err(outcome) => {
            // Without a listing nothing can be verified; the writes' own failures still count.
            for (w, log) in logs.iter().enumerate() {
                let Some(log) = log else { continue };
                for (s, state) in log.states.iter().enumerate() {
                    if *state == WriteState::NotRun {
                        continue;
                    }
                    let own = log
                        .failures
                        .iter()
                        .find(|(seq, _)| *seq as usize == s)
                        .map(|(_, o)| o.clone());
                    ctx.recorder.finish(
                        WORKLOAD,
                        write_event(w as u32, s as u32, "check"),
                        &own.unwrap_or_else(|| outcome.clone()),
                    );
                }
            }
            report.acknowledged = states
                .iter()
                .flatten()
                .filter(|s| **s == WriteState::Acknowledged)
                .count() as u64;
        }
    }
    report.failed = states.iter().flatten().filter(|s| **s == WriteState::Failed).count() as u64;
    report.indeterminate = states
        .iter()
        .flatten()
        .filter(|s| **s == WriteState::Indeterminate)
        .count() as u64;
    report.write_ms = ctx.recorder.histograms.summary("contention.all.write_ms");
    report
}

async fn prepare(ctx: &WorkloadContext, cfg: &ContentionConfig) -> Result<SandboxId, Outcome> {
    let infra = |e: crate::provider::ProviderError| Outcome::Infra {
        class: e.class,
        status: e.status,
        detail: format!("contention setup: {}", e.message),
    };
    let sb = ctx.provider.create().await.map_err(infra)?;
    if let Some(target) = cfg.target {
        let (name, script) = target.script();
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

async fn run_writer(
    ctx: &WorkloadContext,
    cfg: &ContentionConfig,
    sb: &SandboxId,
    writer: u32,
    barrier: &Barrier,
) -> WriterLog {
    let mut log = WriterLog {
        states: vec![WriteState::NotRun; cfg.writes as usize],
        failures: Vec::new(),
    };
    barrier.wait().await;
    for seq in 0..cfg.writes {
        if ctx.cancel.is_cancelled() {
            break;
        }
        ctx.recorder.plan(WORKLOAD);
        let request = ExecRequest {
            argv: render(&cfg.write_cmd, writer, seq),
            timeout: cfg.write_timeout,
        };
        // invoke / ok / fail / indeterminate per write, so a history checker can replay the run.
        let mut invoke = write_event(writer, seq, "write");
        invoke.outcome = "invoke";
        ctx.recorder.events.write(&invoke);
        let started = Instant::now();
        let result = ctx.provider.exec(sb, &request).await;
        let took = started.elapsed();
        ctx.recorder.histograms.record("contention.all.write_ms", took);
        let mut event = write_event(writer, seq, "write");
        event.duration_ms = crate::record::ms(took);
        let (state, failure) = match result {
            Ok(out) if out.success() => (WriteState::Acknowledged, None),
            Ok(out) if cfg.kill9.is_some() && out.signal == Some(libc::SIGKILL) => (
                WriteState::Indeterminate,
                Some(Outcome::Infra {
                    class: InfraClass::ProviderError,
                    status: None,
                    detail: "indeterminate: the write was killed by the kill9 fault schedule".into(),
                }),
            ),
            Ok(out) => {
                let actual = format!("{}: {}", out.status_text(), excerpt(&out.stderr_text()));
                (
                    WriteState::Failed,
                    Some(Outcome::corrupted("write command", "exit 0", actual)),
                )
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
                (
                    WriteState::Indeterminate,
                    Some(Outcome::Infra {
                        class: e.class,
                        status: e.status,
                        detail,
                    }),
                )
            }
        };
        event.outcome = match state {
            WriteState::Acknowledged => "ok",
            WriteState::Failed => "fail",
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

fn trim_detail(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Corrupted { check, expected, .. } => Outcome::Corrupted {
            check,
            expected,
            actual: "non-zero exit".into(),
        },
        Outcome::Infra { class, status, .. } => Outcome::Infra {
            class,
            status,
            detail: "no answer".into(),
        },
        other => other,
    }
}

async fn list_store(ctx: &WorkloadContext, cfg: &ContentionConfig, sb: &SandboxId) -> Result<String, Outcome> {
    let request = ExecRequest {
        argv: cfg.list_cmd.clone(),
        timeout: ctx.exec_timeout,
    };
    match exec_with_retries(ctx.provider.as_ref(), sb, &request).await? {
        out if out.success() => Ok(out.stdout_text()),
        out => Err(Outcome::corrupted(
            "list store",
            "exit 0",
            format!("{}: {}", out.status_text(), excerpt(&out.stderr_text())),
        )),
    }
}

fn write_event(writer: u32, seq: u32, phase: &'static str) -> Event {
    let mut event = Event::new(WORKLOAD, phase, Duration::ZERO);
    event.op = Some(write_id(writer, seq));
    event
}

/// One final outcome per issued write: the write's own failure, or what the listing showed.
fn record_outcomes(
    ctx: &WorkloadContext,
    logs: &[Option<WriterLog>],
    verdicts: &[Vec<WriteVerdict>],
    evidence: Option<&str>,
) {
    for (w, (log, row)) in logs.iter().zip(verdicts).enumerate() {
        let Some(log) = log else { continue };
        for (s, (state, verdict)) in log.states.iter().zip(row).enumerate() {
            let id = write_id(w as u32, s as u32);
            let outcome = match (state, verdict) {
                (WriteState::NotRun, _) => continue,
                (_, WriteVerdict::Duplicated(n)) => {
                    Outcome::corrupted("duplicate", format!("{id} stored once"), format!("stored {n} times"))
                }
                (WriteState::Acknowledged, WriteVerdict::Lost) => Outcome::corrupted(
                    "lost update",
                    format!("{id} present (acknowledged)"),
                    "absent from the store",
                ),
                (WriteState::Acknowledged, _) => Outcome::Verified,
                _ => log
                    .failures
                    .iter()
                    .find(|(seq, _)| *seq as usize == s)
                    .map(|(_, o)| o.clone())
                    .unwrap_or_else(|| Outcome::Infra {
                        class: InfraClass::ProviderError,
                        status: None,
                        detail: "no answer".into(),
                    }),
            };
            let mut event = write_event(w as u32, s as u32, "check");
            if outcome.is_corrupted() {
                event.evidence = evidence.map(String::from);
            }
            ctx.recorder.finish(WORKLOAD, event, &outcome);
        }
    }
}

/// One evidence directory for the whole store when anything is wrong: the listing as found and
/// which writes are missing or duplicated, writer by writer.
fn store_evidence(
    ctx: &WorkloadContext,
    check: &check::StoreCheck,
    verdicts: &[Vec<WriteVerdict>],
    listing: &str,
) -> Option<String> {
    if check.lost + check.duplicates + check.unknown == 0 {
        return None;
    }
    let mut problems = String::new();
    for (w, row) in verdicts.iter().enumerate() {
        for (s, verdict) in row.iter().enumerate() {
            let id = write_id(w as u32, s as u32);
            match verdict {
                WriteVerdict::Lost => problems.push_str(&format!("lost {id}\n")),
                WriteVerdict::Duplicated(n) => problems.push_str(&format!("duplicated x{n} {id}\n")),
                _ => {}
            }
        }
    }
    let summary = format!(
        "acknowledged: {}\npresent: {}\nlost: {}\nduplicates: {}\nunknown: {} (e.g. {})\nincomplete writers [writer, lost]: {:?}\n",
        check.acknowledged,
        check.present,
        check.lost,
        check.duplicates,
        check.unknown,
        check.unknown_examples.join(", "),
        check.incomplete_writers
    );
    let files = vec![
        ("summary.txt", summary.into_bytes()),
        ("problems.txt", problems.into_bytes()),
        ("listing.txt", listing.as_bytes().to_vec()),
    ];
    ctx.recorder.evidence.write("contention-store", &files)
}

/// Records nobody wrote are one extra corrupted operation: the store holds data it should not.
fn record_unknown(ctx: &WorkloadContext, examples: &[String], unknown: u64) {
    if unknown == 0 {
        return;
    }
    ctx.recorder.plan(WORKLOAD);
    let outcome = Outcome::corrupted(
        "unknown records",
        "only ids the writers wrote",
        format!("{unknown} others, e.g. {}", examples.join(", ")),
    );
    ctx.recorder
        .finish(WORKLOAD, Event::new(WORKLOAD, "check", Duration::ZERO), &outcome);
}
