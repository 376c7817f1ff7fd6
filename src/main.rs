//! The binary: parse flags, run the command, and exit with the code the README promises (0 pass,
//! 1 fail, 2 usage, 3 inconclusive, 4 publishing failed, 130 interrupted).

mod cli;

use clap::Parser;
use stress_action::ExitStatus;

fn main() {
    // The clock of report.json's `timing`: start-up is a phase like the others.
    stress_action::record::phases::mark_process_start();
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
    let code = runtime.block_on(cli::dispatch(cli));
    // Abandoned tasks (e.g. after an interrupt) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
