//! `stress-action report DIR`: finish a run directory again from its report.json alone (every
//! format, and GitHub Actions when inside it). Bad input is a usage error (2), a rendering failure 1.

use std::path::PathBuf;

use clap::Args;
use stress_action::report::export::{render_run_dir, RenderDirError};
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct ReportCmd {
    /// Run directory holding report.json (and events.jsonl for corruption details).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `report DIR`: bad input is a usage error (2), a rendering failure is 1, success is 0.
pub fn report_cmd(cmd: ReportCmd) -> i32 {
    let dir = cmd.dir.as_path();
    match render_run_dir(dir, &|m| eprintln!("warning: {m}")) {
        Ok((_, files)) => {
            println!(
                "rendered {} files in {}: {}",
                files.len(),
                dir.display(),
                files.join(", ")
            );
            ExitStatus::Pass.code()
        }
        Err(RenderDirError::Input(e)) => fail(&e, ExitStatus::Usage),
        Err(e) => fail(&e, ExitStatus::Fail),
    }
}
