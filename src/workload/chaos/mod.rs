//! The chaos workload: one scenario per fault of `--nemesis`, each run `--repeat` times.
//!
//! A scenario drives a real workload while its fault fires and judges the operations it produced:
//! a run fails when anything was corrupted or lost, and is inconclusive when the fault never hit a
//! request, nothing was verified, its setup failed, or (restart-server) the probe checkpoint was
//! never acknowledged. A scenario's verdict is the worst of its runs; the chaos workload's is the
//! worst scenario's (see `report::verdict`). Every operation a scenario issues is counted under
//! `chaos`, so the checkpoint and contention workloads' own counts hold only their own.
//!
//! Faults on the server side need a server the tool can kill, so those scenarios start their own
//! `stress-action serve` child on a private root and talk to it through the HTTP provider
//! ([`server::run`]).

mod serve_child;
mod server;

use std::sync::Arc;

pub use serve_child::{ServeChild, ServeChildError};
pub use server::FAULT_OPS_ENV;

use crate::config::contention::{ContentionConfig, DemoTarget};
use crate::config::{Nemesis, RunConfig};
use crate::provider::local::LocalOptions;
use crate::provider::{LocalProvider, Provider};
use crate::record::Counts;
use crate::report::Verdict;
use crate::report::{ChaosReport, FaultWindow, ScenarioReport};
use crate::workload::contention;
use crate::workload::{checkpoint, WorkloadContext};

pub const WORKLOAD: &str = "chaos";

/// What one run of a scenario reports besides the operations' outcomes.
#[derive(Default)]
struct ScenarioRun {
    workload: &'static str,
    /// Faults that hit: requests the server faulted, writers killed, a restart that failed requests.
    faults_injected: u64,
    indeterminate: u64,
    /// Why the run could not test what it promised (setup failed, probe never acknowledged): the
    /// outcomes do not show it, and the run is inconclusive at best.
    untested: Option<String>,
}

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &RunConfig) -> ChaosReport {
    let ctx = ctx.accounted_to(WORKLOAD);
    let mut report = ChaosReport {
        repeat: cfg.chaos.repeat,
        ..Default::default()
    };
    for nemesis in &cfg.chaos.nemesis {
        let scenario = run_scenario(&ctx, cfg, *nemesis, &mut report.fault_windows).await;
        report.scenarios.push(scenario);
    }
    report
}

/// Runs one scenario `--repeat` times; its verdict is the worst run's, its reasons every run's
/// that did not pass. Each run's span goes to `windows`.
async fn run_scenario(
    ctx: &Arc<WorkloadContext>,
    cfg: &RunConfig,
    nemesis: Nemesis,
    windows: &mut Vec<FaultWindow>,
) -> ScenarioReport {
    let mut scenario = ScenarioReport {
        name: nemesis.name().to_string(),
        ..Default::default()
    };
    let mut verdict = Verdict::Pass;
    for attempt in 0..cfg.chaos.repeat {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let run = attempt + 1;
        ctx.console.say(&format!(
            "chaos: {} (run {run} of {})",
            nemesis.name(),
            cfg.chaos.repeat
        ));
        let before = ctx.recorder.accounting.workload(WORKLOAD);
        let run_ctx = ctx.derive(ctx.provider.clone(), ctx.seed.wrapping_add(u64::from(attempt)));
        let (began, clock) = (std::time::SystemTime::now(), std::time::Instant::now());
        let outcome = run_once(run_ctx, cfg, nemesis).await;
        windows.push(FaultWindow {
            scenario: nemesis.name().to_string(),
            run,
            started_at: crate::workload::schedule::rfc3339(began),
            duration_s: (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            faults_injected: outcome.faults_injected,
        });
        let delta = since(&before, &ctx.recorder.accounting.workload(WORKLOAD));
        let (run_verdict, why) = judge_run(&delta, &outcome);
        scenario.workload = outcome.workload.to_string();
        scenario.runs += 1;
        scenario.faults_injected += outcome.faults_injected;
        scenario.indeterminate += outcome.indeterminate;
        scenario.verified += delta.verified;
        scenario.corrupted += delta.corrupted;
        scenario.infra += delta.infra;
        scenario.lost += delta.lost();
        verdict = verdict.worst(run_verdict);
        match why {
            None => scenario.passed += 1,
            Some(why) => {
                ctx.console.warn(&format!(
                    "chaos: {} run {run} {}: {why}",
                    nemesis.name(),
                    run_verdict.as_str()
                ));
                scenario.failures.push(format!("run {run}: {why}"));
            }
        }
    }
    if scenario.runs == 0 {
        verdict = Verdict::Inconclusive;
        scenario
            .failures
            .push("never ran: the run was interrupted first".into());
    }
    scenario.pass_rate = if scenario.runs == 0 {
        0.0
    } else {
        f64::from(scenario.passed) / f64::from(scenario.runs)
    };
    scenario.verdict = Some(verdict);
    scenario.reasons = if verdict == Verdict::Pass {
        vec![format!(
            "{0} of {0} runs passed: {1} faults hit, {2} operations verified, none corrupted or lost",
            scenario.runs, scenario.faults_injected, scenario.verified
        )]
    } else {
        scenario.failures.clone()
    };
    scenario
}

/// What one run added to the chaos workload's counts.
fn since(before: &Counts, after: &Counts) -> Counts {
    Counts {
        planned: after.planned - before.planned,
        verified: after.verified - before.verified,
        corrupted: after.corrupted - before.corrupted,
        infra: after.infra - before.infra,
    }
}

/// One run's verdict and, unless it passed, why: damage fails; a run that could not show anything
/// (setup failed, the fault never hit, nothing verified) is inconclusive, never a pass.
fn judge_run(delta: &Counts, run: &ScenarioRun) -> (Verdict, Option<String>) {
    if delta.corrupted > 0 {
        return (Verdict::Fail, Some(format!("{} operations corrupted", delta.corrupted)));
    }
    if delta.lost() > 0 {
        return (Verdict::Fail, Some(format!("{} operations lost", delta.lost())));
    }
    let why = if let Some(why) = &run.untested {
        why.clone()
    } else if delta.verified == 0 {
        "nothing was verified".to_string()
    } else if run.faults_injected == 0 {
        "the fault never hit a request: nothing was tested under it".to_string()
    } else {
        return (Verdict::Pass, None);
    };
    (Verdict::Inconclusive, Some(why))
}

async fn run_once(ctx: Arc<WorkloadContext>, cfg: &RunConfig, nemesis: Nemesis) -> ScenarioRun {
    match nemesis {
        Nemesis::Kill9 => kill9(ctx, &cfg.contention).await,
        Nemesis::UnquiescedCheckpoint => unquiesced(ctx, cfg).await,
        _ => server::run(ctx, cfg, nemesis).await,
    }
}

/// A demo store under SIGKILLs (the configured built-in store, else the correct one): every
/// acknowledged write must be in the store. A kill counts when a write really died by it.
async fn kill9(ctx: Arc<WorkloadContext>, base: &ContentionConfig) -> ScenarioRun {
    let target = base.target.unwrap_or(DemoTarget::Flock);
    let mut cfg = ContentionConfig::for_target(target, base.writers, base.writes, base.write_timeout);
    crate::config::contention::arm_kill9(&mut cfg);
    let report = contention::run(ctx, &cfg).await;
    ScenarioRun {
        workload: contention::WORKLOAD,
        faults_injected: report.kills,
        indeterminate: report.indeterminate,
        untested: report.setup_error.map(|e| format!("setup failed: {e}")),
    }
}

/// The checkpoint workload on the unsafe local provider with a writer racing each checkpoint: the
/// restores of torn checkpoints must be caught as corrupted (this scenario is expected to fail).
/// The fault hit every round whose checkpoint was taken while the writer ran.
async fn unquiesced(ctx: Arc<WorkloadContext>, cfg: &RunConfig) -> ScenarioRun {
    let provider = match LocalProvider::new(LocalOptions::default()) {
        Ok(p) => Arc::new(p.unquiesced()) as Arc<dyn Provider>,
        Err(e) => {
            return ScenarioRun {
                workload: checkpoint::WORKLOAD,
                untested: Some(format!("setup failed: cannot create the local provider: {e}")),
                ..Default::default()
            }
        }
    };
    let ctx = ctx.derive(provider.clone(), ctx.seed);
    let mut cp = cfg.checkpoint.clone();
    cp.write_during_checkpoint = true;
    cp.inject_corruption = 0.0;
    let report = checkpoint::run(ctx, &cp).await;
    let _ = provider.shutdown().await;
    ScenarioRun {
        workload: checkpoint::WORKLOAD,
        faults_injected: report.rounds.iter().filter(|r| r.checkpoint_id.is_some()).count() as u64,
        ..Default::default()
    }
}

/// The unsafe local provider when `--nemesis unquiesced-checkpoint` applies to the checkpoint
/// workload of this run; `None` otherwise (the configured provider is used).
pub fn unquiesced_provider(cfg: &RunConfig) -> Result<Option<Arc<dyn Provider>>, crate::error::RunError> {
    use crate::config::{ProviderConfig, WorkloadKind};
    if !(cfg.chaos.has(Nemesis::UnquiescedCheckpoint) && cfg.workloads.runs(WorkloadKind::Checkpoint)) {
        return Ok(None);
    }
    let ProviderConfig::Local { work_dir } = &cfg.provider else {
        return Ok(None);
    };
    let provider = LocalProvider::new(LocalOptions { root: work_dir.clone() })
        .map_err(|e| crate::error::RunError::ProviderSetup(format!("local work directory: {e}")))?;
    Ok(Some(Arc::new(provider.unquiesced())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(planned: u64, verified: u64, corrupted: u64, infra: u64) -> Counts {
        Counts {
            planned,
            verified,
            corrupted,
            infra,
        }
    }

    fn hit(faults: u64) -> ScenarioRun {
        ScenarioRun {
            faults_injected: faults,
            ..Default::default()
        }
    }

    #[test]
    fn a_run_passes_only_when_the_fault_hit_and_something_verified() {
        assert_eq!(judge_run(&counts(10, 8, 0, 2), &hit(3)), (Verdict::Pass, None));
        let (v, why) = judge_run(&counts(10, 8, 0, 2), &hit(0));
        assert_eq!(v, Verdict::Inconclusive);
        assert!(why.unwrap().contains("never hit"));
        let (v, why) = judge_run(&counts(10, 0, 0, 10), &hit(3));
        assert_eq!(
            (v, why.as_deref()),
            (Verdict::Inconclusive, Some("nothing was verified"))
        );
        let untested = ScenarioRun {
            faults_injected: 1,
            untested: Some("the probe checkpoint was never acknowledged".into()),
            ..Default::default()
        };
        assert_eq!(judge_run(&counts(10, 9, 0, 1), &untested).0, Verdict::Inconclusive);
    }

    #[test]
    fn damage_fails_whatever_else_happened() {
        let (v, why) = judge_run(&counts(10, 0, 1, 0), &hit(0));
        assert_eq!((v, why.as_deref()), (Verdict::Fail, Some("1 operations corrupted")));
        let (v, why) = judge_run(&counts(10, 8, 0, 0), &hit(2));
        assert_eq!((v, why.as_deref()), (Verdict::Fail, Some("2 operations lost")));
    }
}
