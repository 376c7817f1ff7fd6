//! One round's origin: create a sandbox, write the random marker, commit it in git, check the write,
//! and checkpoint. Every step is timed and leaves an event line; the checkpoint, from request to
//! ready, also goes into the checkpoint histograms and the clock of checkpoints in flight.

use std::future::Future;
use std::time::{Duration, Instant};

use super::wave::WaveTicket;
use super::{CheckpointRun, MARKER_PATH, WORKLOAD};
use crate::provider::{CheckpointId, ExecOutput, ExecRequest, Payload, ProviderError, SandboxId};
use crate::record::Event;
use crate::verify::restore::{excerpt, Fingerprint};
use crate::verify::sha256::parse_sha256sum;
use crate::verify::Outcome;
use crate::workload::WorkloadContext;

pub struct RoundOrigin {
    pub sandbox: SandboxId,
    pub checkpoint: CheckpointId,
    pub fingerprint: Fingerprint,
    /// Checkpoint request to ready, polling included.
    pub checkpoint_time: Duration,
}

/// Why a round has no checkpoint to restore: the outcome every restore of the round inherits.
pub struct SetupFailure {
    pub outcome: Outcome,
    pub step: &'static str,
    pub sandbox: Option<SandboxId>,
}

/// How long the concurrent writer runs before the checkpoint is requested.
const TORN_WRITER_HEAD_START: Duration = Duration::from_millis(100);
/// Empties the marker, holds it half-written, then restores the committed content; the copy is kept
/// inside .git so the finished state is exactly the committed one.
const TORN_WRITER_SCRIPT: &str =
    "cp marker.bin .git/marker.orig && : > marker.bin && sleep 0.4 && cat .git/marker.orig > marker.bin && rm .git/marker.orig";

/// Rewrites the marker in place while the checkpoint is taken. Only a snapshot taken mid-write
/// differs from the committed state, so a quiescing platform verifies and a tearing one corrupts.
fn start_torn_writer(
    ctx: &WorkloadContext,
    sb: &SandboxId,
) -> tokio::task::JoinHandle<Result<ExecOutput, ProviderError>> {
    let (provider, sb) = (ctx.provider.clone(), sb.clone());
    let request = ExecRequest::new(["sh", "-c", TORN_WRITER_SCRIPT], ctx.exec_timeout);
    tokio::spawn(async move { provider.exec(&sb, &request).await })
}

/// The round's origin; `ticket` is its place at the wave's gate, where it waits to checkpoint
/// together with the other rounds of its wave (a failed setup leaves the gate by dropping it).
pub async fn prepare_round(
    run: &CheckpointRun,
    round: u32,
    marker: &Payload,
    ticket: WaveTicket,
) -> Result<RoundOrigin, SetupFailure> {
    let ctx = run.ctx.as_ref();
    let sandbox = timed(ctx, round, "create", None, ctx.provider.create())
        .await
        .map_err(|outcome| SetupFailure {
            outcome,
            step: "create",
            sandbox: None,
        })?;
    match prepare_in(run, round, marker, &sandbox, ticket).await {
        Ok((checkpoint, fingerprint, checkpoint_time)) => Ok(RoundOrigin {
            sandbox,
            checkpoint,
            fingerprint,
            checkpoint_time,
        }),
        Err((step, outcome)) => Err(SetupFailure {
            outcome,
            step,
            sandbox: Some(sandbox),
        }),
    }
}

/// Writes the marker, commits it, checks the origin holds it, and checkpoints. The error names the
/// step that failed, for the round's `setup_error`. The round's fingerprint is known to the run
/// before its checkpoint is requested, so a restore anywhere that shows it is recognised.
async fn prepare_in(
    run: &CheckpointRun,
    round: u32,
    marker: &Payload,
    sb: &SandboxId,
    ticket: WaveTicket,
) -> Result<(CheckpointId, Fingerprint, Duration), (&'static str, Outcome)> {
    let ctx = run.ctx.as_ref();
    let write = ctx.provider.write_payload(sb, MARKER_PATH, marker);
    let expected_sha = timed(ctx, round, "write_marker", Some(sb), write)
        .await
        .map_err(|o| ("write_marker", o))?
        .sha256;
    let commit = commit_marker(ctx, round, sb).await.map_err(|o| ("commit", o))?;
    check_origin(ctx, round, sb, &expected_sha)
        .await
        .map_err(|o| ("check_marker", o))?;
    let fingerprint = Fingerprint {
        marker_path: MARKER_PATH.to_string(),
        marker_sha256: expected_sha,
        commit,
    };
    run.known.register(round, &fingerprint);
    ticket.arrive(&ctx.cancel).await;
    let (checkpoint, took) = checkpoint_origin(run, round, sb).await.map_err(|o| ("checkpoint", o))?;
    Ok((checkpoint, fingerprint, took))
}

/// Commits the marker in a fresh repository; returns the commit every restore must be at.
async fn commit_marker(ctx: &WorkloadContext, round: u32, sb: &SandboxId) -> Result<String, Outcome> {
    let message = format!("stress-action marker, round {round}");
    let commit_cmd: [&[&str]; 3] = [
        &["git", "init", "-q"],
        &["git", "add", MARKER_PATH],
        &[
            "git",
            "-c",
            "user.name=stress-action",
            "-c",
            "user.email=stress-action@localhost",
            "commit",
            "-q",
            "-m",
            &message,
        ],
    ];
    for argv in commit_cmd {
        exec_ok(ctx, round, "commit", sb, argv).await?;
    }
    let head = exec_ok(ctx, round, "commit", sb, &["git", "rev-parse", "HEAD"]).await?;
    Ok(head.stdout_text().trim().to_string())
}

/// The origin itself must hold what we wrote, or every restore would inherit a bad write.
async fn check_origin(ctx: &WorkloadContext, round: u32, sb: &SandboxId, expected_sha: &str) -> Result<(), Outcome> {
    let sum = exec_ok(ctx, round, "check_marker", sb, &["sha256sum", MARKER_PATH]).await?;
    let stdout = sum.stdout_text();
    if parse_sha256sum(&stdout) == Some(expected_sha) {
        return Ok(());
    }
    let outcome = Outcome::corrupted("marker write", expected_sha, excerpt(&stdout));
    ctx.recorder.events.write(
        &Event {
            round: Some(round),
            ..Event::new(ctx.account(WORKLOAD), "check_marker", Duration::ZERO)
        }
        .with_outcome(&outcome),
    );
    Err(outcome)
}

/// Checkpoints the origin; with `write_during_checkpoint`, while a writer rewrites the marker (the
/// unquiesced-checkpoint fault), whose own failure only warns.
async fn checkpoint_origin(
    run: &CheckpointRun,
    round: u32,
    sb: &SandboxId,
) -> Result<(CheckpointId, Duration), Outcome> {
    let ctx = run.ctx.as_ref();
    let torn_writer = run.cfg.write_during_checkpoint.then(|| start_torn_writer(ctx, sb));
    if torn_writer.is_some() {
        // Let the writer reach the middle of its rewrite before asking for the checkpoint.
        tokio::time::sleep(TORN_WRITER_HEAD_START).await;
    }
    let checkpoint = timed_checkpoint(run, round, sb).await;
    if let Some(writer) = torn_writer {
        match writer.await {
            Ok(Ok(out)) if out.success() => {}
            Ok(Ok(out)) => ctx.console.warn(&format!(
                "round {round}: the concurrent marker rewrite failed: {}",
                out.status_text()
            )),
            Ok(Err(e)) => ctx.console.warn(&format!(
                "round {round}: the concurrent marker rewrite could not run: {e}"
            )),
            Err(e) => ctx.console.warn(&format!(
                "round {round}: the concurrent marker rewrite task failed: {e}"
            )),
        }
    }
    checkpoint
}

/// The checkpoint call from request to ready, counted in flight meanwhile. One that is not ready
/// within `ready_timeout` is infra (`timeout`): the platform never delivered it. Only a ready
/// checkpoint's time goes into the histograms, like a restore's.
async fn timed_checkpoint(
    run: &CheckpointRun,
    round: u32,
    sb: &SandboxId,
) -> Result<(CheckpointId, Duration), Outcome> {
    let (ctx, limit) = (run.ctx.as_ref(), run.cfg.ready_timeout);
    let ready = async {
        match tokio::time::timeout(limit, ctx.provider.checkpoint(sb)).await {
            Ok(answer) => answer,
            Err(_) => Err(ProviderError::timeout(format!(
                "checkpoint not ready {} s after it was requested",
                limit.as_secs_f64()
            ))),
        }
    };
    let requested = Instant::now();
    run.in_flight.alive_changed(true);
    let result = timed(ctx, round, "checkpoint", Some(sb), ready).await;
    run.in_flight.alive_changed(false);
    let took = requested.elapsed();
    let checkpoint = result?;
    let hist = &ctx.recorder.histograms;
    hist.record(&run.key("all", "checkpoint_ms"), took);
    hist.record(&run.key(&format!("round{round}"), "checkpoint_ms"), took);
    Ok((checkpoint, took))
}

/// Runs a setup command; a non-zero exit here means the platform cannot do what a sandbox must
/// (run git), which is a provider error rather than corruption of data we wrote.
async fn exec_ok(
    ctx: &WorkloadContext,
    round: u32,
    phase: &'static str,
    sb: &SandboxId,
    argv: &[&str],
) -> Result<ExecOutput, Outcome> {
    let request = ExecRequest::new(argv.iter().copied(), ctx.exec_timeout);
    let out = timed(ctx, round, phase, Some(sb), ctx.provider.exec(sb, &request)).await?;
    if out.success() {
        return Ok(out);
    }
    Err(Outcome::Infra {
        class: crate::verify::InfraClass::ProviderError,
        status: None,
        detail: format!(
            "`{}` failed with {}: {}",
            request.display(),
            out.status_text(),
            excerpt(&out.stderr_text())
        ),
    })
}

/// Times a provider call and writes its event; a provider error becomes an infra outcome.
async fn timed<T>(
    ctx: &WorkloadContext,
    round: u32,
    phase: &'static str,
    sb: Option<&SandboxId>,
    call: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, Outcome> {
    let start = Instant::now();
    let result = call.await;
    let mut event = Event::new(ctx.account(WORKLOAD), phase, start.elapsed());
    event.round = Some(round);
    event.sandbox = sb.map(|s| s.0.clone());
    match result {
        Ok(value) => {
            ctx.recorder.events.write(&event);
            Ok(value)
        }
        Err(e) => {
            let outcome = Outcome::Infra {
                class: e.class,
                status: e.status,
                detail: format!("{phase}: {}", e.message),
            };
            ctx.recorder.events.write(&event.with_outcome(&outcome));
            Err(outcome)
        }
    }
}
