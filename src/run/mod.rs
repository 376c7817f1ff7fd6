//! One run end to end: open the run directory, build the provider, drive the workloads, and turn
//! the records into `report.json` and a verdict. Results are written before anything can fail late,
//! and the provider is shut down on every path, so a run never leaves sandboxes behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

mod result;

use crate::cancel::CancelToken;
use crate::config::{ProviderConfig, RunConfig};
use crate::console::Console;
use crate::error::{ExitStatus, RunError};
use crate::provider::command::CommandProvider;
use crate::provider::http::HttpProvider;
use crate::provider::local::LocalOptions;
use crate::provider::observed::Observer;
use crate::provider::{LocalProvider, Provider};
use crate::record::{phases, Phases, Recorder};
use crate::report::{self, ProviderFailure, RunResult};
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
            if let Some(note) = provider.endpoint_note() {
                eprintln!("note: {note}");
            }
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
    let entered = Instant::now();
    let provider = match crate::workload::chaos::unquiesced_provider(&cfg)? {
        Some(provider) => provider,
        None => build_provider(&cfg.provider).await?,
    };
    // Boxed: one allocation per run keeps the callers' future types shallow (their layout is
    // computed through every nested state machine).
    Box::pin(run_prepared(cfg, provider, cancel, entered)).await
}

/// Runs with a provider built by the caller: tests wrap real providers with fault injection here.
pub async fn run_with_provider(
    cfg: RunConfig,
    provider: Arc<dyn Provider>,
    cancel: CancelToken,
) -> Result<RunSummary, RunError> {
    Box::pin(run_prepared(cfg, provider, cancel, Instant::now())).await
}

/// The run from the moment `run` was entered (`entered`: the end of start-up; what follows until
/// the first workload is preparation, building the provider included).
async fn run_prepared(
    cfg: RunConfig,
    provider: Arc<dyn Provider>,
    cancel: CancelToken,
    entered: Instant,
) -> Result<RunSummary, RunError> {
    let out = cfg.out_dir.clone();
    let (console, recorder) = open_run_dir(&cfg, &out)?;
    let phases = &recorder.phases;
    phases.add("startup", entered.saturating_duration_since(phases::process_start()));
    let host = crate::record::host::HostSampler::start_with(Some(recorder.windows.clone()));
    let started_at = chrono::Utc::now();
    announce(&cfg, provider.as_ref(), &console, &out);
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
    phases.lap("preparation", entered);
    let reports = runner::run_selected(ctx, &cfg, &observer).await;
    let since = Instant::now();
    // Asked before shutdown: closing a plugin's stdin ends it, which is no death.
    let provider_failure = provider_failure(provider.as_ref(), &observer).await;
    report_muted(&console);
    if let Err(e) = provider.shutdown().await {
        console.warn(&format!("cleanup of the provider failed: {e}"));
    }
    recorder.flush();
    let since = phases.lap("shutdown", since);
    let records = result::Records {
        cfg: &cfg,
        provider: provider.as_ref(),
        recorder: &recorder,
        observer: &observer,
        started_at,
        interrupted: cancel.is_cancelled(),
    };
    let mut result = records.into_result(reports, provider_failure, host.finish());
    report::thresholds::apply(&mut result);
    report::verdict::judge(&mut result);
    let since = phases.lap("report", since);
    result.timing = Some(phases.timing());
    write_report(&result, &out)?;
    phases.lap("writing", since);
    finish(&result, &out, &console, phases);
    // Once more with rendering and writing in: the files rendered above show the phases up to
    // the report (see `report::RENDERED_AFTER_REPORT`), so `report DIR` still renders them alike.
    let timing = phases.timing();
    console.say(&report::view::timing_line(&timing, true));
    result.timing = Some(timing);
    if let Err(e) = write_report(&result, &out) {
        console.warn(&format!("could not add the final timing to report.json: {e}"));
    }
    console.flush();
    Ok(RunSummary { result, out_dir: out })
}

/// Creates the run directory and opens what streams into it while the run goes: run.log, the
/// event and error logs.
fn open_run_dir(cfg: &RunConfig, out: &Path) -> Result<(Arc<Console>, Arc<Recorder>), RunError> {
    std::fs::create_dir_all(out).map_err(|e| RunError::io(format!("cannot create --out {}", out.display()), e))?;
    let console = Arc::new(Console::new(cfg.quiet));
    console
        .open_log(&out.join("run.log"))
        .map_err(|e| RunError::io("cannot write run.log", e))?;
    let window = cfg.workloads.lifecycle.pace.window;
    let recorder = Arc::new(
        Recorder::create_windowed(out, window).map_err(|e| RunError::io("cannot open the run's event logs", e))?,
    );
    Ok((console, recorder))
}

/// The first lines of a run: what runs where, and the seed that reproduces it.
fn announce(cfg: &RunConfig, provider: &dyn Provider, console: &Console, out: &Path) {
    let workloads: Vec<&str> = cfg.workloads.selected.iter().map(|w| w.name()).collect();
    console.say(&format!(
        "stress-action {}: {}: profile {}, workloads {}, provider {}, seed {} (pass --seed {} to reproduce)",
        env!("CARGO_PKG_VERSION"),
        cfg.label,
        cfg.profile.name(),
        workloads.join(","),
        provider.name(),
        cfg.seed,
        cfg.seed
    ));
    console.say(&format!("results: {}", out.display()));
    crate::shard::announce(cfg, console);
}

/// One line for the warnings kept off the terminal because they repeated the provider's death.
fn report_muted(console: &Console) {
    let muted = console.muted_count();
    if muted > 0 {
        console.warn(&format!(
            "{muted} more warning{} repeating the provider's death not printed (all are in run.log)",
            if muted == 1 { "" } else { "s" }
        ));
    }
}

/// The run directory finished like every other (every format, GitHub Actions), then the end-of-run
/// tables on the console. A rendering failure only warns: report.json is already written.
fn finish(result: &RunResult, out: &Path, console: &Console, phases: &Phases) {
    let started = Instant::now();
    let view = report::view::RunView::build(result, out);
    let (exported, took) = report::export::finish_timed(&view, out, &|m| console.warn(m));
    if let Err(e) = exported {
        console.warn(&report::export::rendering_failed(out, &e));
    }
    console.say(&format!("\n{}", report::export::console::render(&view)));
    console.say(&format!("report: {}", out.join("report.json").display()));
    phases.add("writing", took.writing);
    phases.add("rendering", started.elapsed().saturating_sub(took.writing));
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
