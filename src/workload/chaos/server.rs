//! Server-side faults: the checkpoint workload runs through the HTTP provider against a `serve`
//! child that is killed and restarted (`restart-server`) or reopened with fault flags for a window
//! (`latency`, `reset`, `5xx`) while restores are in flight.
//!
//! Before the restart a probe checkpoint is taken and acknowledged; after the run, with the server
//! healthy again, every probe is restored and its content compared byte for byte: acknowledged
//! checkpoints must survive a server restart. A probe that was never acknowledged leaves that
//! promise untested, so the run is inconclusive rather than silently skipped.
//!
//! A fault counts only when it hit a request: a window counts the requests the child faulted (its
//! own report, see [`super::serve_child`]); a restart counts when operations failed during the
//! outage. `STRESS_ACTION_CHAOS_FAULT_OPS` (test-only, e.g. `read_file`) confines a window's faults
//! to operations the workload does not issue, which is how the tests make a fault that never fires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::serve_child::ServeChild;
use super::{ScenarioRun, WORKLOAD};
use crate::cancel::CancelToken;
use crate::config::{Nemesis, RunConfig};
use crate::provider::http::HttpProvider;
use crate::provider::{CheckpointId, Provider};
use crate::record::evidence::first_difference;
use crate::record::Event;
use crate::verify::sha256::hex_digest;
use crate::verify::{InfraClass, Outcome};
use crate::workload::{checkpoint, WorkloadContext};

/// How long the server stays down on a restart: longer than the HTTP provider's retry budget
/// (about 0.75 s per call, a few calls per check), so operations in flight really fail.
const OUTAGE: Duration = Duration::from_secs(3);
/// The longest a fault window stays open.
const WINDOW: Duration = Duration::from_secs(3);
/// Operations finished inside a window before it is closed.
const WINDOW_OPS: u64 = 6;
const PROBE_PATH: &str = "probe.bin";
const PROBE_BYTES: usize = 64 * 1024;

/// Test-only: confines a fault window to these operations (`serve --fault-ops`), so a test can
/// open a window on operations the workload never issues and prove such a scenario is not a pass.
pub const FAULT_OPS_ENV: &str = "STRESS_ACTION_CHAOS_FAULT_OPS";
/// After the server is back, operations that failed during the outage may still be reporting.
const OUTAGE_SETTLE: Duration = Duration::from_secs(1);

fn fault_flags(nemesis: Nemesis, seed: u64) -> Vec<String> {
    let mut flags: Vec<String> = match nemesis {
        Nemesis::Latency => vec!["--fault-latency-ms".into(), "20..80".into()],
        Nemesis::Reset => vec!["--fault-reset-rate".into(), "0.2".into()],
        Nemesis::Http5xx => vec![
            "--fault-error-rate".into(),
            "0.2".into(),
            "--fault-status".into(),
            "503".into(),
        ],
        _ => Vec::new(),
    };
    flags.extend(["--fault-seed".into(), seed.to_string()]);
    if let Some(ops) = std::env::var(FAULT_OPS_ENV).ok().filter(|o| !o.trim().is_empty()) {
        flags.extend(["--fault-ops".into(), ops]);
    }
    flags
}

fn infra(detail: impl Into<String>) -> Outcome {
    Outcome::Infra {
        class: InfraClass::ProviderError,
        status: None,
        detail: detail.into(),
    }
}

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &RunConfig, nemesis: Nemesis) -> ScenarioRun {
    let mut result = ScenarioRun {
        workload: checkpoint::WORKLOAD,
        ..Default::default()
    };
    let root = std::env::temp_dir().join(format!(
        "stress-action-chaos-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    if let Err(e) = std::fs::create_dir_all(&root) {
        result.untested = Some(format!(
            "setup failed: cannot create the server root {}: {e}",
            root.display()
        ));
        return result;
    }
    match ServeChild::start(&root).await {
        Err(e) => result.untested = Some(format!("setup failed: {e}")),
        Ok(serve) => drive(ctx, cfg, nemesis, serve, &mut result).await,
    }
    let _ = std::fs::remove_dir_all(&root);
    result
}

/// The checkpoint workload as the scenario runs it: the platform under the fault, nothing else. The
/// self-test and the torn writer belong to the checkpoint workload's own run (their damage here
/// would read as the fault's).
fn scenario_checkpoint(cfg: &RunConfig) -> crate::config::CheckpointConfig {
    let mut cp = cfg.checkpoint.clone();
    cp.inject_corruption = 0.0;
    cp.write_during_checkpoint = false;
    cp
}

async fn drive(
    ctx: Arc<WorkloadContext>,
    cfg: &RunConfig,
    nemesis: Nemesis,
    serve: ServeChild,
    result: &mut ScenarioRun,
) {
    let provider: Arc<dyn Provider> = match HttpProvider::new(&serve.url(), None) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            result.untested = Some(format!("setup failed: cannot build the HTTP provider: {e}"));
            return;
        }
    };
    let ctx = ctx.derive(provider.clone(), ctx.seed);
    let before = ctx.recorder.accounting.workload(WORKLOAD);
    // The acknowledged checkpoint the restart must not lose, taken before the load starts.
    let probe = match nemesis {
        Nemesis::RestartServer => take_probe(&ctx).await,
        _ => None,
    };
    if nemesis == Nemesis::RestartServer && probe.is_none() {
        result.untested = Some(
            "the probe checkpoint was never acknowledged: whether an acknowledged checkpoint survives \
             the restart was not tested"
                .into(),
        );
    }
    let stop = CancelToken::new();
    let fault = {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        tokio::spawn(async move { inject(&ctx, nemesis, serve, stop).await })
    };
    checkpoint::run(ctx.clone(), &scenario_checkpoint(cfg)).await;
    stop.cancel();
    let (mut serve, hits) = match fault.await {
        Ok(done) => done,
        Err(e) => {
            result.untested = Some(format!("the fault schedule crashed: {e}"));
            let _ = provider.shutdown().await;
            return;
        }
    };
    // Whatever the schedule left behind, the checks below run against a healthy server.
    if let Err(e) = serve.restart(&[]).await {
        result.untested = Some(format!("the server did not come back: {e}"));
    }
    if let Some((id, data)) = &probe {
        verify_probe(&ctx, &serve, id, data).await;
    }
    let after = ctx.recorder.accounting.workload(WORKLOAD);
    if after.corrupted > before.corrupted || result.untested.is_some() {
        // The server's side of the story, next to the restores' own evidence.
        let files = vec![
            (
                "scenario.txt",
                format!("{}: {:?}\n", nemesis.name(), result.untested).into_bytes(),
            ),
            ("server-log.txt", serve.log_tail().into_bytes()),
        ];
        ctx.recorder.evidence.write(
            &format!("chaos-{}-server-{:08x}", nemesis.name(), ctx.seed as u32),
            &files,
        );
    }
    result.faults_injected = hits;
    result.indeterminate = after.infra - before.infra;
    let _ = provider.shutdown().await;
    serve.kill().await;
}

/// Finished operations of the scenario so far.
fn finished(ctx: &WorkloadContext) -> u64 {
    let c = ctx.recorder.accounting.workload(WORKLOAD);
    c.verified + c.corrupted + c.infra
}

/// Waits until `n` more operations finished (restores are in flight), or `stop`.
async fn wait_for_progress(ctx: &WorkloadContext, n: u64, stop: &CancelToken, limit: Option<Duration>) -> bool {
    let start = finished(ctx);
    let began = Instant::now();
    loop {
        if finished(ctx) >= start + n {
            return true;
        }
        if stop.is_cancelled() || limit.is_some_and(|l| began.elapsed() >= l) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Fires the fault once restores are under way. Returns the server and how many faults hit.
async fn inject(ctx: &WorkloadContext, nemesis: Nemesis, serve: ServeChild, stop: CancelToken) -> (ServeChild, u64) {
    if !wait_for_progress(ctx, 2, &stop, None).await {
        return (serve, 0);
    }
    if nemesis == Nemesis::RestartServer {
        restart_mid_run(ctx, serve, &stop).await
    } else {
        fault_window(ctx, nemesis, serve, &stop).await
    }
}

/// SIGKILLs the server, keeps it down for [`OUTAGE`], restarts it on the same root. It hit when
/// operations failed because of it (infra outcomes recorded from the kill until shortly after).
async fn restart_mid_run(ctx: &WorkloadContext, mut serve: ServeChild, stop: &CancelToken) -> (ServeChild, u64) {
    let infra_before = ctx.recorder.accounting.workload(WORKLOAD).infra;
    serve.kill().await;
    tokio::time::sleep(OUTAGE).await;
    let restarted = serve.restart(&[]).await;
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = tokio::time::sleep(OUTAGE_SETTLE) => {}
    }
    let failed = ctx.recorder.accounting.workload(WORKLOAD).infra - infra_before;
    let mut event = Event::new(WORKLOAD, Nemesis::RestartServer.name(), Duration::ZERO);
    event.detail = Some(format!(
        "server killed (SIGKILL), down {} ms, restarted on the same root: {}; {failed} operations failed during the outage",
        OUTAGE.as_millis(),
        restarted.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into())
    ));
    ctx.recorder.events.write(&event);
    (serve, u64::from(failed > 0))
}

/// Reopens the server with the fault's flags until [`WINDOW_OPS`] operations finished (or
/// [`WINDOW`]), then stops it gracefully so it reports how many requests it faulted.
async fn fault_window(
    ctx: &WorkloadContext,
    nemesis: Nemesis,
    mut serve: ServeChild,
    stop: &CancelToken,
) -> (ServeChild, u64) {
    let flags = fault_flags(nemesis, ctx.seed);
    // Stopped gracefully, so requests in flight finish instead of failing for a reason not the fault's.
    serve.stop().await;
    let opened = serve.restart(&flags).await;
    let mut event = Event::new(WORKLOAD, nemesis.name(), Duration::ZERO);
    event.detail = Some(format!(
        "fault window opened with {}: {}",
        flags.join(" "),
        opened.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into())
    ));
    ctx.recorder.events.write(&event);
    wait_for_progress(ctx, WINDOW_OPS, stop, Some(WINDOW)).await;
    let hits = if opened.is_ok() { serve.stop().await } else { 0 };
    let closed = serve.restart(&[]).await;
    let mut event = Event::new(WORKLOAD, nemesis.name(), Duration::ZERO);
    event.detail = Some(format!(
        "fault window closed: {} requests faulted; server reopened without faults: {}",
        hits,
        closed.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into())
    ));
    ctx.recorder.events.write(&event);
    (serve, hits)
}

/// Creates a sandbox with random content and checkpoints it; `None` when the server did not
/// acknowledge (then nothing was promised).
async fn take_probe(ctx: &WorkloadContext) -> Option<(CheckpointId, Bytes)> {
    let mut data = vec![0u8; PROBE_BYTES];
    ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x0070_726f_6265).fill_bytes(&mut data);
    let data = Bytes::from(data);
    let sandbox = ctx.provider.create().await.ok()?;
    let written = ctx.provider.write_file(&sandbox, PROBE_PATH, data.clone()).await;
    let checkpoint = match written {
        Ok(()) => ctx.provider.checkpoint(&sandbox).await.ok(),
        Err(_) => None,
    };
    let _ = ctx.provider.destroy(&sandbox).await;
    checkpoint.map(|id| (id, data))
}

/// Restores an acknowledged probe checkpoint after the restart and compares its content.
async fn verify_probe(ctx: &WorkloadContext, serve: &ServeChild, id: &CheckpointId, expected: &Bytes) {
    ctx.recorder.plan(WORKLOAD);
    let started = Instant::now();
    let mut event = Event::new(WORKLOAD, "verify_probe", Duration::ZERO);
    event.op = Some(format!("probe-{}", id.0));
    let outcome = match ctx.provider.restore(id).await {
        Err(e) if e.status == Some(404) => Outcome::corrupted(
            "acknowledged checkpoint",
            format!("{} restorable after the server restart", id.0),
            format!("gone: {}", e.message),
        ),
        Err(e) => infra(format!("restore of probe {}: {}", id.0, e.message)),
        Ok(sandbox) => {
            let read = ctx.provider.read_file(&sandbox, PROBE_PATH).await;
            let _ = ctx.provider.destroy(&sandbox).await;
            match read {
                Err(e) => infra(format!("read of probe {}: {}", id.0, e.message)),
                Ok(found) if found == *expected => Outcome::Verified,
                Ok(found) => {
                    let files = vec![
                        (
                            "expected.txt",
                            format!("sha256 {}\nsize {}\n", hex_digest(expected), expected.len()).into_bytes(),
                        ),
                        (
                            "found.txt",
                            format!(
                                "sha256 {}\nsize {}\nfirst differing byte {:?}\n",
                                hex_digest(&found),
                                found.len(),
                                first_difference(expected, &found)
                            )
                            .into_bytes(),
                        ),
                        ("server-log.txt", serve.log_tail().into_bytes()),
                    ];
                    event.evidence = ctx.recorder.evidence.write(&format!("probe-{}", id.0), &files);
                    Outcome::corrupted(
                        "acknowledged checkpoint",
                        format!("{PROBE_PATH} sha256 {}", hex_digest(expected)),
                        format!("sha256 {}", hex_digest(&found)),
                    )
                }
            }
        }
    };
    event.duration_ms = crate::record::ms(started.elapsed());
    ctx.recorder.finish(WORKLOAD, event, &outcome);
}
