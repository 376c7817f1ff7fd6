//! One run end to end: open the run directory, build the provider, drive the workloads, and turn
//! the records into `report.json` and a verdict. Results are written before anything can fail late,
//! and the provider is shut down on every path, so a run never leaves sandboxes behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cancel::CancelToken;
use crate::config::{ProviderConfig, RunConfig};
use crate::console::Console;
use crate::error::{ExitStatus, RunError};
use crate::provider::command::CommandProvider;
use crate::provider::http::HttpProvider;
use crate::provider::local::LocalOptions;
use crate::provider::observed::Observer;
use crate::provider::{LocalProvider, Provider};
use crate::record::Recorder;
use crate::report::{self, ConfigSnapshot, ProviderFailure, RunResult, Totals};
use crate::workload::{runner, WorkloadContext};

/// What a finished (or interrupted) run leaves for the caller.
pub struct RunSummary {
    pub result: RunResult,
    pub out_dir: PathBuf,
}

impl RunSummary {
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::from_verdict(self.result.verdict, self.result.interrupted)
    }
}

/// Builds the provider and proves it usable (reachable, credentials accepted, plugin speaking the
/// protocol) before any work starts: a wrong token is a setup error (exit 2), not a run of failures.
pub async fn build_provider(cfg: &ProviderConfig) -> Result<Arc<dyn Provider>, RunError> {
    match cfg {
        ProviderConfig::Local { work_dir } => {
            let provider = LocalProvider::new(LocalOptions { root: work_dir.clone() })
                .map_err(|e| RunError::ProviderSetup(format!("local work directory: {e}")))?;
            Ok(Arc::new(provider))
        }
        ProviderConfig::Http {
            endpoint,
            token,
            token_env,
        } => {
            let provider =
                HttpProvider::new(endpoint, token.clone()).map_err(|e| RunError::ProviderSetup(e.message))?;
            match provider.preflight().await {
                Ok(_) => Ok(Arc::new(provider)),
                Err(e) if matches!(e.status, Some(401 | 403)) => {
                    Err(RunError::ProviderSetup(format!(
                    "{endpoint} rejected the credentials (HTTP {}): check the token in ${token_env} (--token-env){}",
                    e.status.unwrap_or_default(),
                    if token.is_none() { "; the variable is not set" } else { "" }
                )))
                }
                Err(e) => Err(RunError::ProviderSetup(format!(
                    "{endpoint} (--endpoint) is not usable: {e}"
                ))),
            }
        }
        ProviderConfig::Command { cmd } => {
            let provider =
                CommandProvider::start(cmd).map_err(|e| RunError::ProviderSetup(format!("--provider-cmd: {e}")))?;
            if let Err(e) = provider.preflight().await {
                let _ = provider.shutdown().await;
                return Err(RunError::ProviderSetup(format!(
                    "--provider-cmd: the plugin did not answer health: {e}"
                )));
            }
            Ok(Arc::new(provider))
        }
    }
}

pub async fn run(cfg: RunConfig, cancel: CancelToken) -> Result<RunSummary, RunError> {
    let provider = match crate::workload::chaos::unquiesced_provider(&cfg)? {
        Some(provider) => provider,
        None => build_provider(&cfg.provider).await?,
    };
    run_with_provider(cfg, provider, cancel).await
}

/// Runs with a provider built by the caller: tests wrap real providers with fault injection here.
pub async fn run_with_provider(
    cfg: RunConfig,
    provider: Arc<dyn Provider>,
    cancel: CancelToken,
) -> Result<RunSummary, RunError> {
    let out = cfg.out_dir.clone();
    std::fs::create_dir_all(&out).map_err(|e| RunError::io(format!("cannot create --out {}", out.display()), e))?;
    let console = Arc::new(Console::new(cfg.quiet));
    console
        .open_log(&out.join("run.log"))
        .map_err(|e| RunError::io("cannot write run.log", e))?;
    let recorder = Arc::new(Recorder::create(&out).map_err(|e| RunError::io("cannot open the run's event logs", e))?);

    let host = crate::record::host::HostSampler::start();
    let started_at = chrono::Utc::now();
    let cp = &cfg.checkpoint;
    console.say(&format!(
        "stress-action {}: profile {}, workloads {}, provider {}, seed {} (pass --seed {} to reproduce)",
        env!("CARGO_PKG_VERSION"),
        cfg.profile.name(),
        cfg.workloads
            .selected
            .iter()
            .map(|w| w.name())
            .collect::<Vec<_>>()
            .join(","),
        provider.name(),
        cfg.seed,
        cfg.seed
    ));
    console.say(&format!("results: {}", out.display()));
    crate::shard::announce(&cfg, &console);

    let ctx = Arc::new(WorkloadContext {
        provider: provider.clone(),
        recorder: recorder.clone(),
        console: console.clone(),
        cancel: cancel.clone(),
        exec_timeout: cfg.exec_timeout,
        seed: cfg.workload_seed(),
        accounted_as: None,
    });
    let observer = observer_of(provider.clone(), &console);
    let reports = runner::run_selected(ctx, &cfg, &observer).await;
    // Asked before shutdown: closing a plugin's stdin ends it, which is no death.
    let provider_failure = provider_failure(provider.as_ref(), &observer).await;
    let muted = console.muted_count();
    if muted > 0 {
        console.warn(&format!(
            "{muted} more warning{} repeating the provider's death not printed (all are in run.log)",
            if muted == 1 { "" } else { "s" }
        ));
    }

    if let Err(e) = provider.shutdown().await {
        console.warn(&format!("cleanup of the provider failed: {e}"));
    }
    recorder.flush();

    let interrupted = cancel.is_cancelled();
    let counts = recorder.accounting.total();
    let mut totals = Totals {
        planned: counts.planned,
        verified: counts.verified,
        corrupted: counts.corrupted,
        infra: counts.infra,
        lost: counts.lost(),
        cancelled: runner::expected_operations(&cfg).saturating_sub(counts.planned),
        ..Default::default()
    };
    for count in reports.checkpoint.iter().flat_map(|c| c.injection.values()) {
        totals.injected += count.injected;
        totals.injected_detected += count.detected;
    }
    let finished_at = chrono::Utc::now();
    let mut config = ConfigSnapshot {
        restores: cp.restores,
        rounds: cp.rounds,
        concurrency: cp.concurrency,
        marker_size_mb: cp.marker_size_mb,
        inject_corruption: cp.inject_corruption,
        max_infra_rate: cfg.max_infra_rate,
        exec_timeout_ms: cfg.exec_timeout.as_millis() as u64,
        ..Default::default()
    };
    runner::snapshot_workloads(&cfg, &mut config);
    config.thresholds = cfg.thresholds.iter().map(|t| t.expr.clone()).collect();
    let workloads = cfg
        .workloads
        .selected
        .iter()
        .map(|kind| {
            (
                kind.name().to_string(),
                recorder.accounting.workload_result(kind.name()),
            )
        })
        .collect();
    let mut result = RunResult {
        schema_version: report::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        // Decided below by `report::judge`, from the report's own contents.
        verdict: report::Verdict::Inconclusive,
        verdict_reasons: Vec::new(),
        interrupted,
        seed: cfg.seed,
        profile: cfg.profile.name().to_string(),
        provider: provider.name().to_string(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: finished_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_s: (finished_at - started_at).num_milliseconds() as f64 / 1000.0,
        config,
        totals,
        workloads,
        retries: observer.retry_stats(),
        thresholds: Vec::new(),
        provider_failure,
        infra_classes: recorder.accounting.infra_classes(),
        checkpoint: reports.checkpoint,
        lifecycle: reports.lifecycle,
        storage: reports.storage,
        contention: reports.contention,
        chaos: reports.chaos,
        histograms: recorder.histograms.encode_all(),
        environment: provider
            .environment()
            .into_iter()
            .chain(crate::fdlimit::current().map(|l| ("open_files_limit".to_string(), l.to_string())))
            .collect(),
        shard: crate::shard::shard_info(&cfg),
        aggregate: None,
        host: Some(host.finish()),
    };
    report::thresholds::apply(&mut result);
    report::verdict::judge(&mut result);
    write_report(&result, &out)?;
    if let Err(e) = report::export::finish(&result, &out, &|m| console.warn(m)) {
        console.warn(&report::export::rendering_failed(&out, &e));
    }
    let view = report::view::RunView::build(&result, &out);
    console.say(&format!("\n{}", report::export::console::render(&view)));
    console.say(&format!("report: {}", out.join("report.json").display()));
    console.flush();
    Ok(RunSummary { result, out_dir: out })
}

/// The run's view of its provider: calls counted per workload, and the first failure after the
/// provider died announced once on the console, whose later repeats are then only counted.
fn observer_of(provider: Arc<dyn Provider>, console: &Arc<Console>) -> Observer {
    let console = console.clone();
    Observer::new(
        provider,
        Box::new(move |death| {
            console.warn(&format!(
                "{}; later failures caused by it are counted, not repeated here",
                death.message
            ));
            console.mute_repeats_of(&death.message);
        }),
    )
}

/// Whether the provider died for good during the run, and which workloads it took down with it.
async fn provider_failure(provider: &dyn Provider, observer: &Observer) -> Option<ProviderFailure> {
    let death = provider.confirm_death().await?;
    let workloads = observer.touched_since(death.since);
    if workloads.is_empty() {
        return None;
    }
    Some(ProviderFailure {
        message: death.message,
        workloads,
    })
}

fn write_report(result: &RunResult, out: &Path) -> Result<(), RunError> {
    result
        .write_atomic(&out.join("report.json"))
        .map_err(|e| RunError::io("cannot write report.json", e))
}
