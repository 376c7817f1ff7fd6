//! The binary: parse flags, run, and map the outcome to the exit codes promised in DESIGN.md.

mod cli;
mod cli_aggregate;
mod cli_publish;
mod cmd_publish;

use std::error::Error;

use clap::Parser;
use stress_action::cancel::CancelToken;
use stress_action::config::RunConfig;
use stress_action::ExitStatus;

fn main() {
    let cli = cli::Cli::parse();
    // Bursts hold one descriptor per request in flight (run) or per connection (serve).
    stress_action::fdlimit::raise_soft_to_hard();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(ExitStatus::Fail.code());
        }
    };
    let code = runtime.block_on(dispatch(cli));
    // Abandoned tasks (e.g. after an interrupt) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}

async fn dispatch(cli: cli::Cli) -> i32 {
    match cli.command {
        cli::Command::Run(cmd) => {
            let args = match cmd.into_run_args() {
                Ok(args) => args,
                Err(e) => return fail(&e, ExitStatus::Usage),
            };
            let (publish, publishing) = (args.publish, args.publishing.clone());
            if let Some(code) = cmd_publish::check_flags(&publishing) {
                return code;
            }
            let cfg = match RunConfig::build(args) {
                Ok(cfg) => cfg,
                Err(e) => return fail(&e, ExitStatus::Usage),
            };
            let cancel = CancelToken::new();
            watch_signals(cancel.clone());
            match stress_action::run::run(cfg, cancel).await {
                Ok(summary) => {
                    cmd_publish::after_run(&summary.out_dir, publish, publishing, summary.exit_status()).await
                }
                Err(e) => fail(&e, e.exit_status()),
            }
        }
        cli::Command::Report(cmd) => report_dir(&cmd.dir),
        cli::Command::Serve(cmd) => match stress_action::server::ServeOptions::build(cmd.into_serve_args()) {
            Err(e) => fail(&e, ExitStatus::Usage),
            Ok(opts) => match stress_action::server::serve(opts).await {
                Ok(()) => ExitStatus::Pass.code(),
                Err(e) => fail(&e, e.exit_status()),
            },
        },
        cli::Command::Publish(cmd) => cmd_publish::publish_cmd(cmd).await,
        cli::Command::Compare(cmd) => cmd_publish::compare_cmd(cmd),
        cli::Command::Aggregate(cmd) => cli_aggregate::aggregate_cmd(cmd).await,
    }
}

/// `report DIR`: bad input is a usage error (2), a rendering failure is 1, success is 0.
fn report_dir(dir: &std::path::Path) -> i32 {
    use stress_action::report::export::{render_run_dir, RenderDirError};
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

/// Prints the error with its whole chain of causes and returns the exit code.
pub(crate) fn fail(err: &dyn Error, status: ExitStatus) -> i32 {
    let mut text = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
    status.code()
}

/// First SIGINT/SIGTERM: stop issuing work and write partial results. Second: leave at once.
fn watch_signals(cancel: CancelToken) {
    use tokio::signal::unix::{signal, SignalKind};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return;
        };
        for attempt in 0..2 {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if attempt == 0 {
                eprintln!("interrupted: finishing in-flight operations and writing partial results (again to abort)");
                cancel.cancel();
            } else {
                eprintln!("interrupted twice: exiting without waiting");
                std::process::exit(ExitStatus::Interrupted.code());
            }
        }
    });
}
