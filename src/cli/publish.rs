//! `stress-action publish DIR`, and the step that `run --publish` / `run --baseline` take after the
//! run. Publishing never changes the verdict of a run unless `--fail-on-regression` says so.
//! `publish` exits 1 on a significant regression (or a metric with no data), else 4 when any step
//! failed (after attempting them all), else 0. A baseline that does not exist yet is no failure:
//! the comment says it is the branch's first run.

use std::path::{Path, PathBuf};

use clap::Args;
use stress_action::config::publish::{process_env, PublishArgs, PublishConfig};
use stress_action::publish::publisher::{publish, PublishOptions, PublishReport};
use stress_action::report::export::actions::{result_outputs, set_outputs_from_env, ActionsEnv};
use stress_action::report::RunResult;
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct PublishCmd {
    /// The run directory (holds report.json), or a leaderboard directory (holds leaderboard.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub flags: PublishArgs,
}

pub async fn publish_cmd(cmd: PublishCmd) -> i32 {
    if stress_action::leaderboard::render::is_leaderboard_dir(&cmd.dir) {
        return super::leaderboard::publish_leaderboard(&cmd.dir, cmd.flags).await;
    }
    // First of all, so the action's `verdict` output is report.json's whatever fails below
    // (a bad flag, an unreachable S3); a missing or invalid report.json is reported by `publish`.
    if let Ok(result) = RunResult::read_dir(&cmd.dir) {
        set_outputs_from_env(&result_outputs(&result), &|m| eprintln!("warning: {m}"));
    }
    let env = process_env();
    let cfg = match PublishConfig::build(cmd.flags, &env) {
        Ok(cfg) => cfg,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    if cfg.s3.is_none()
        && cfg.github.is_none()
        && cfg.baseline.is_none()
        && cfg.save_baseline.is_none()
        && cfg.history.dir.is_none()
    {
        eprintln!(
            "warning: nothing to publish to (no --s3-bucket, no --repo/--pr); wrote comment.md and published/ only"
        );
    }
    // `run` wrote its job summary when it finished the directory; `publish DIR` writes the one it
    // renders itself (the fork-PR recipe's only summary).
    let opts = PublishOptions {
        job_summary: ActionsEnv::from_env().step_summary,
        ..Default::default()
    };
    let report = match publish(&cmd.dir, &cfg, &env, &opts).await {
        Ok(report) => report,
        Err(e) => return fail(&e, e.exit_status()),
    };
    // A forged verdict field must not become the step's `verdict` output either.
    if !report.rejudged_outputs.is_empty() {
        set_outputs_from_env(&report.rejudged_outputs, &|m| eprintln!("warning: {m}"));
    }
    let code = regression_exit(&report, ExitStatus::Pass);
    for e in &report.failures {
        fail(e, ExitStatus::PublishFailed);
    }
    match (code, report.failures.is_empty()) {
        (0, false) => ExitStatus::PublishFailed.code(),
        (code, _) => code,
    }
}

/// Publishing flags of `run` are checked before the run, so a typo costs seconds, not a whole run.
pub fn check_flags(args: &PublishArgs) -> Option<i32> {
    PublishConfig::build(args.clone(), &process_env())
        .err()
        .map(|e| fail(&e, ExitStatus::Usage))
}

/// After `run`: with `--publish`, publish; with only `--baseline`, just compare. Every publishing
/// step is attempted; a failed one is a warning: the run keeps its verdict's exit code (or 1 for a
/// regression of a passing run) and its local results. `token_env` is the provider's token
/// variable (`--token-env`), whose value is redacted from what is published.
pub async fn after_run(
    dir: &Path,
    (publish_enabled, args): (bool, PublishArgs),
    token_env: Option<&str>,
    verdict: ExitStatus,
) -> i32 {
    if verdict == ExitStatus::Interrupted {
        // The user asked to stop: leave quickly; `publish DIR` can send the partial results later.
        return verdict.code();
    }
    let env = process_env();
    let mut cfg = match PublishConfig::build(args, &env) {
        Ok(cfg) => cfg.with_secret_variable(token_env),
        Err(e) => {
            eprintln!("warning: not publishing: {e}");
            return verdict.code();
        }
    };
    if !publish_enabled {
        if cfg.baseline.is_none() {
            return verdict.code();
        }
        cfg.s3 = None;
        cfg.github = None;
        cfg.save_baseline = None;
        cfg.history = Default::default();
    }
    let failed = |e: &dyn std::fmt::Display| {
        eprintln!(
            "warning: publishing failed ({e}); the results are in {} and `stress-action publish` can retry",
            dir.display()
        );
    };
    match publish(dir, &cfg, &env, &PublishOptions::default()).await {
        Ok(report) => {
            report.failures.iter().for_each(|e| failed(e));
            regression_exit(&report, verdict)
        }
        Err(e) => {
            failed(&e);
            verdict.code()
        }
    }
}

fn regression_exit(report: &PublishReport, verdict: ExitStatus) -> i32 {
    if let Some(url) = &report.report_url {
        println!("report: {url}");
        set_outputs_from_env(&[("report-url", url.clone())], &|m| eprintln!("warning: {m}"));
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for at in &report.history {
        println!("history: wrote this run's entry to {at}");
    }
    if report.regressions.is_empty() {
        return match (&report.gate_untested, verdict) {
            (Some(why), ExitStatus::Pass) => {
                eprintln!("inconclusive: --fail-on-regression tested nothing: {why}");
                ExitStatus::Inconclusive.code()
            }
            _ => verdict.code(),
        };
    }
    for r in &report.regressions {
        eprintln!("regression: {r}");
    }
    match verdict {
        ExitStatus::Pass => ExitStatus::Fail.code(),
        other => other.code(),
    }
}
