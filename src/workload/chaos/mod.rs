//! The chaos workload: one scenario per fault of `--nemesis`, each run `--repeat` times.
//!
//! A scenario drives a real workload while its fault fires and then judges the operations it
//! produced: it passes when nothing was corrupted or lost, something was verified, and the fault
//! really hit (a schedule that never fired tested nothing). Faults on the server side need a server
//! the tool can kill, so those scenarios start their own `stress-action serve` child on a private
//! root and talk to it through the HTTP provider ([`server::run`]).

mod serve_child;
mod server;

use std::sync::Arc;

pub use serve_child::{ServeChild, ServeChildError};

use crate::config::{Nemesis, RunConfig};
use crate::provider::local::LocalOptions;
use crate::provider::{LocalProvider, Provider};
use crate::record::Counts;
use crate::report::model_chaos::{ChaosReport, ScenarioReport};
use crate::workload::contention::{self, ContentionConfig, DemoTarget};
use crate::workload::{checkpoint, WorkloadContext};

pub const WORKLOAD: &str = "chaos";

/// What one run of a scenario reports besides the operations' outcomes.
#[derive(Default)]
struct ScenarioRun {
    workload: &'static str,
    faults_injected: u64,
    indeterminate: u64,
    /// A reason the run failed that the outcomes do not show (setup of the scenario failed).
    failure: Option<String>,
}

pub async fn run(ctx: Arc<WorkloadContext>, cfg: &RunConfig) -> ChaosReport {
    let mut report = ChaosReport {
        repeat: cfg.chaos.repeat,
        scenarios: Vec::new(),
    };
    for nemesis in &cfg.chaos.nemesis {
        let mut scenario = ScenarioReport {
            name: nemesis.name().to_string(),
            ..Default::default()
        };
        for attempt in 0..cfg.chaos.repeat {
            if ctx.cancel.is_cancelled() {
                break;
            }
            ctx.console.say(&format!(
                "chaos: {} (run {} of {})",
                nemesis.name(),
                attempt + 1,
                cfg.chaos.repeat
            ));
            let before = ctx.recorder.accounting.total();
            let scenario_ctx = ctx.derive(ctx.provider.clone(), ctx.seed.wrapping_add(u64::from(attempt)));
            let outcome = run_once(scenario_ctx, cfg, *nemesis).await;
            let after = ctx.recorder.accounting.total();
            let delta = Counts {
                planned: after.planned - before.planned,
                verified: after.verified - before.verified,
                corrupted: after.corrupted - before.corrupted,
                infra: after.infra - before.infra,
            };
            let lost = delta
                .planned
                .saturating_sub(delta.verified + delta.corrupted + delta.infra);
            let failure = if delta.corrupted > 0 {
                Some(format!("{} operations corrupted", delta.corrupted))
            } else if lost > 0 {
                Some(format!("{lost} operations lost"))
            } else if let Some(why) = outcome.failure.clone() {
                Some(why)
            } else if delta.verified == 0 {
                Some("nothing was verified".to_string())
            } else if outcome.faults_injected == 0 {
                Some("the fault never hit: nothing was tested under it".to_string())
            } else {
                None
            };
            scenario.workload = outcome.workload.to_string();
            scenario.runs += 1;
            scenario.faults_injected += outcome.faults_injected;
            scenario.indeterminate += outcome.indeterminate;
            scenario.verified += delta.verified;
            scenario.corrupted += delta.corrupted;
            scenario.infra += delta.infra;
            scenario.lost += lost;
            match failure {
                None => scenario.passed += 1,
                Some(why) => {
                    ctx.console
                        .warn(&format!("chaos: {} run {} failed: {why}", nemesis.name(), attempt + 1));
                    scenario.failures.push(format!("run {}: {why}", attempt + 1));
                }
            }
        }
        scenario.pass_rate = if scenario.runs == 0 {
            0.0
        } else {
            f64::from(scenario.passed) / f64::from(scenario.runs)
        };
        report.scenarios.push(scenario);
    }
    report
}

async fn run_once(ctx: Arc<WorkloadContext>, cfg: &RunConfig, nemesis: Nemesis) -> ScenarioRun {
    match nemesis {
        Nemesis::Kill9 => kill9(ctx, &cfg.contention).await,
        Nemesis::UnquiescedCheckpoint => unquiesced(ctx, cfg).await,
        _ => server::run(ctx, cfg, nemesis).await,
    }
}

/// The correct demo store under SIGKILLs: every acknowledged write must be in the store.
async fn kill9(ctx: Arc<WorkloadContext>, base: &ContentionConfig) -> ScenarioRun {
    let mut cfg = ContentionConfig::for_target(DemoTarget::Flock, base.writers, base.writes, base.write_timeout);
    crate::config::chaos::arm_kill9(&mut cfg);
    let report = contention::run(ctx, &cfg).await;
    ScenarioRun {
        workload: contention::WORKLOAD,
        faults_injected: report.kills,
        indeterminate: report.indeterminate,
        failure: report.setup_error.map(|e| format!("setup failed: {e}")),
    }
}

/// The checkpoint workload on the unsafe local provider with a writer racing each checkpoint: the
/// restores of torn checkpoints must be caught as corrupted (this scenario is expected to fail).
async fn unquiesced(ctx: Arc<WorkloadContext>, cfg: &RunConfig) -> ScenarioRun {
    let provider = match LocalProvider::new(LocalOptions::default()) {
        Ok(p) => Arc::new(p.unquiesced()) as Arc<dyn Provider>,
        Err(e) => {
            return ScenarioRun {
                workload: checkpoint::WORKLOAD,
                failure: Some(format!("cannot create the local provider: {e}")),
                ..Default::default()
            }
        }
    };
    let ctx = ctx.derive(provider.clone(), ctx.seed);
    let mut cp = cfg.checkpoint.clone();
    cp.write_during_checkpoint = true;
    let report = checkpoint::run(ctx, &cp).await;
    let _ = provider.shutdown().await;
    ScenarioRun {
        workload: checkpoint::WORKLOAD,
        faults_injected: report.rounds.len() as u64,
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
