//! `stress-action compare BASE CURRENT`: two runs decided metric by metric from their histograms;
//! with `--fail-on-regression`, exit 1 on a significant regression (or a metric with no data), 2 for
//! inputs that are not runs or settings out of range.

use std::path::PathBuf;

use clap::Args;
use stress_action::compare::compare;
use stress_action::config::compare::{CompareConfig, RegressionGate};
use stress_action::report::RunResult;
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct CompareCmd {
    /// Baseline: a run directory or a report.json.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// This run: a run directory or a report.json.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,
    /// Fail (exit 1) on a significant regression, or a metric with no data (a number here is
    /// deprecated: it is taken as --min-effect).
    #[arg(
        long,
        value_name = "true|false",
        num_args = 0..=1,
        default_missing_value = "true",
        allow_negative_numbers = true
    )]
    pub fail_on_regression: Option<RegressionGate>,
    /// Significance level of the two-sample test (default 0.01).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Smallest change that counts, in percent (default 10).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub min_effect: Option<f64>,
    /// Smallest change of a latency that counts, in milliseconds (default 1): both this and
    /// --min-effect must be exceeded.
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub min_effect_ms: Option<f64>,
}

pub fn compare_cmd(cmd: CompareCmd) -> i32 {
    let cfg = match CompareConfig::build(cmd.alpha, cmd.min_effect, cmd.min_effect_ms, cmd.fail_on_regression) {
        Ok(cfg) => cfg,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    let (base, current) = match (RunResult::read_dir(&cmd.base), RunResult::read_dir(&cmd.current)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => return fail(&e, ExitStatus::Usage),
    };
    let cmp = compare(&base, &current, cfg.settings);
    print!("{}", cmp.to_markdown());
    for note in cmp.not_judged() {
        eprintln!("note: not judged: {note}");
    }
    let failures = if cfg.fail_on_regression {
        cmp.gate_failures()
    } else {
        Vec::new()
    };
    if failures.is_empty() {
        if let Some(why) = cmp.gate_untested().filter(|_| cfg.fail_on_regression) {
            eprintln!("inconclusive: --fail-on-regression tested nothing: {why}");
            return ExitStatus::Inconclusive.code();
        }
        return ExitStatus::Pass.code();
    }
    for r in &failures {
        eprintln!("regression: {r}");
    }
    ExitStatus::Fail.code()
}
