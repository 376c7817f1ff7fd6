//! `stress-action serve`: the reference server of the HTTP sandbox protocol, with fault injection.

use std::path::PathBuf;

use clap::Args;
use stress_action::server::{ServeArgs, ServeOptions};
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct ServeCmd {
    /// Address to listen on; port 0 picks a free one (printed as the first line of stdout).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Where sandboxes and checkpoints live; a restarted server on the same root keeps serving them.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Bearer token clients must send (default: no auth).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Added latency per request: N ms, or a uniform range "MIN..MAX".
    #[arg(long, value_name = "MS")]
    pub fault_latency_ms: Option<String>,
    /// Fraction of requests answered with --fault-status.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fault_error_rate: Option<f64>,
    /// Status of injected errors (default 503).
    #[arg(long, value_name = "CODE")]
    pub fault_status: Option<u16>,
    /// Fraction of requests whose connection is dropped without a response.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fault_reset_rate: Option<f64>,
    /// Fraction of requests never answered (held until the client gives up, at most 120 s).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fault_timeout_rate: Option<f64>,
    /// Fraction of file reads answered with one byte flipped.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fault_corrupt_read_rate: Option<f64>,
    /// Fraction of restores answered from a different ready checkpoint than the one asked for (a
    /// platform that mixes snapshots up under concurrency).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fault_checkpoint_mixup_rate: Option<f64>,
    /// Comma-separated operations faults apply to (create, exec, write_file, read_file, checkpoint,
    /// checkpoint_status, restore, destroy, delete_checkpoint); default all.
    #[arg(long, value_name = "LIST")]
    pub fault_ops: Option<String>,
    /// At most N requests of the --fault-ops operations processed at once (latency included); the
    /// rest queue. With 20 and --fault-latency-ms 50 the server takes at most 400 of them a second.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub fault_capacity: Option<i64>,
    /// Seed of the fault schedule (default random, printed).
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,
}

impl ServeCmd {
    pub fn into_serve_args(self) -> ServeArgs {
        ServeArgs {
            addr: self.addr,
            root: self.root,
            token: self.token,
            fault_latency_ms: self.fault_latency_ms,
            fault_error_rate: self.fault_error_rate,
            fault_status: self.fault_status,
            fault_reset_rate: self.fault_reset_rate,
            fault_timeout_rate: self.fault_timeout_rate,
            fault_corrupt_read_rate: self.fault_corrupt_read_rate,
            fault_checkpoint_mixup_rate: self.fault_checkpoint_mixup_rate,
            fault_ops: self.fault_ops,
            fault_seed: self.fault_seed,
            fault_capacity: self.fault_capacity,
        }
    }
}

pub async fn serve_cmd(cmd: ServeCmd) -> i32 {
    match ServeOptions::build(cmd.into_serve_args()) {
        Err(e) => fail(&e, ExitStatus::Usage),
        Ok(opts) => match stress_action::server::serve(opts).await {
            Ok(()) => ExitStatus::Pass.code(),
            Err(e) => fail(&e, e.exit_status()),
        },
    }
}
