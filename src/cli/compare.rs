//! `stress-action compare BASE CURRENT`: two runs metric by metric; exit 1 on a regression past
//! `--fail-on-regression`, 2 for inputs that are not runs.

use std::path::PathBuf;

use clap::Args;
use stress_action::error::ConfigError;
use stress_action::publish::compare::compare;
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
    /// Fail (exit 1) when a p95 got worse by more than PCT percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_on_regression: Option<f64>,
}

pub fn compare_cmd(cmd: CompareCmd) -> i32 {
    if let Some(pct) = cmd.fail_on_regression {
        if !pct.is_finite() || pct < 0.0 {
            let e = ConfigError::new("--fail-on-regression", format!("must be a percentage >= 0, got {pct}"));
            return fail(&e, ExitStatus::Usage);
        }
    }
    let (base, current) = match (RunResult::read_dir(&cmd.base), RunResult::read_dir(&cmd.current)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => return fail(&e, ExitStatus::Usage),
    };
    let cmp = compare(&base, &current);
    print!("{}", cmp.to_markdown());
    let regressions = cmd.fail_on_regression.map(|p| cmp.regressions(p)).unwrap_or_default();
    if regressions.is_empty() {
        return ExitStatus::Pass.code();
    }
    for r in &regressions {
        eprintln!("regression: {r}");
    }
    ExitStatus::Fail.code()
}
