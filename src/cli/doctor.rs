//! `stress-action doctor`: checks a platform against the protocol, one line per rule, and exits 0
//! only when every check passed (1 when any failed, 2 for bad flags, 130 when interrupted).

use std::io::Write;

use clap::Args;
use stress_action::cancel::CancelToken;
use stress_action::doctor::{self, Check, DoctorArgs, DoctorOptions};
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct DoctorCmd {
    /// The provider to check: http or command.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Base URL of the HTTP platform, with or without the /v1 suffix (--provider http).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Environment variable holding the bearer token (default STRESS_ACTION_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Plugin program and its arguments, split like a shell would (--provider command).
    #[arg(long, value_name = "CMD")]
    pub provider_cmd: Option<String>,
    /// Print one JSON document for machines instead of the lines for people.
    #[arg(long)]
    pub json: bool,
    /// Ceiling of the whole doctor run in seconds (default 300); cleanup runs after it.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

pub async fn doctor_cmd(cmd: DoctorCmd) -> i32 {
    let json = cmd.json;
    let args = DoctorArgs {
        provider: cmd.provider,
        endpoint: cmd.endpoint,
        token_env: cmd.token_env,
        provider_cmd: cmd.provider_cmd,
        timeout: cmd.timeout,
    };
    let opts = match DoctorOptions::build(args) {
        Ok(opts) => opts,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let cancel = CancelToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: cleaning up what doctor created");
            on_interrupt.cancel();
        }
    });
    let print_line: Box<dyn Fn(&Check) + Send + Sync> = if json {
        Box::new(|_| {})
    } else {
        Box::new(|check| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", check.line());
            let _ = out.flush();
        })
    };
    let outcome = doctor::run(opts, cancel, print_line).await;
    if json {
        println!("{:#}", outcome.report.to_json());
    } else {
        println!("{}", outcome.report.summary());
    }
    if outcome.interrupted {
        ExitStatus::Interrupted.code()
    } else if outcome.report.healthy() {
        ExitStatus::Pass.code()
    } else {
        ExitStatus::Fail.code()
    }
}
