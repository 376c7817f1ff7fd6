//! One final outcome per issued write, from the write's own answer and what the listing showed,
//! plus the store's evidence when anything is wrong.

use std::time::Duration;

use super::check::StoreCheck;
use super::writer::WriterLog;
use super::{write_event, write_id, WriteState, WriteVerdict, WORKLOAD};
use crate::record::Event;
use crate::verify::{InfraClass, Outcome};
use crate::workload::WorkloadContext;

/// Only an acknowledged write that is missing, or any write stored twice, is corruption; a write
/// that was not acknowledged keeps its own (infra) outcome whatever the listing shows.
pub fn record_outcomes(
    ctx: &WorkloadContext,
    logs: &[Option<WriterLog>],
    verdicts: &[Vec<WriteVerdict>],
    evidence: Option<&str>,
) {
    let workload = ctx.account(WORKLOAD);
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
                _ => own_failure(log, s),
            };
            let mut event = write_event(workload, w as u32, s as u32, "check");
            if outcome.is_corrupted() {
                event.evidence = evidence.map(String::from);
            }
            ctx.recorder.finish(workload, event, &outcome);
        }
    }
}

/// Without a listing nothing can be verified: every issued write ends in its own failure, or in
/// the listing's (infra or corrupted) outcome.
pub fn record_unlisted(ctx: &WorkloadContext, logs: &[Option<WriterLog>], listing_failure: &Outcome) {
    let workload = ctx.account(WORKLOAD);
    for (w, log) in logs.iter().enumerate() {
        let Some(log) = log else { continue };
        for (s, state) in log.states.iter().enumerate() {
            let outcome = match state {
                WriteState::NotRun => continue,
                WriteState::Acknowledged => listing_failure.clone(),
                _ => own_failure(log, s),
            };
            ctx.recorder
                .finish(workload, write_event(workload, w as u32, s as u32, "check"), &outcome);
        }
    }
}

fn own_failure(log: &WriterLog, seq: usize) -> Outcome {
    log.failures
        .iter()
        .find(|(s, _)| *s as usize == seq)
        .map(|(_, o)| o.clone())
        .unwrap_or_else(|| Outcome::Infra {
            class: InfraClass::ProviderError,
            status: None,
            detail: "no answer".into(),
        })
}

/// One evidence directory for the whole store when anything is wrong: the listing as found and
/// which writes are missing or duplicated, writer by writer.
pub fn store_evidence(
    ctx: &WorkloadContext,
    check: &StoreCheck,
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
    let name = format!("{}-store", ctx.account(WORKLOAD));
    ctx.recorder.evidence.write(&name, &files)
}

/// Records nobody wrote are one extra corrupted operation: the store holds data it should not.
pub fn record_unknown(ctx: &WorkloadContext, examples: &[String], unknown: u64) {
    if unknown == 0 {
        return;
    }
    let workload = ctx.account(WORKLOAD);
    ctx.recorder.plan(workload);
    let outcome = Outcome::corrupted(
        "unknown records",
        "only ids the writers wrote",
        format!("{unknown} others, e.g. {}", examples.join(", ")),
    );
    ctx.recorder
        .finish(workload, Event::new(workload, "check", Duration::ZERO), &outcome);
}
