//! `stress-action aggregate`: its flags (clap only) and the step that maps the result to an exit
//! code: 0 when the merged verdict passes, 1 when it fails (a failed shard, or a missing one), 2 for
//! inputs that are not the shards of one run, 3 inconclusive.

use std::path::PathBuf;

use clap::Args;
use stress_action::shard::{aggregate, AggregateOptions};
use stress_action::ExitStatus;

use super::fail;
use stress_action::config::publish::validate_url;

#[derive(Args, Debug)]
pub struct AggregateCmd {
    /// Directory to write the merged run to (report.json, events.jsonl, summary.md, charts).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// S3-compatible endpoint URL for s3:// inputs (MinIO, moto, ...); enables path-style addressing.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Shard run directories, directories holding them, or s3://bucket/prefix holding them.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
}

pub async fn aggregate_cmd(cmd: AggregateCmd) -> i32 {
    if let Some(Err(e)) = cmd.s3_endpoint.clone().map(|url| validate_url("--s3-endpoint", url)) {
        return fail(&e, ExitStatus::Usage);
    }
    let opts = AggregateOptions {
        out: cmd.out,
        inputs: cmd.inputs,
        s3_endpoint: cmd.s3_endpoint,
    };
    match aggregate(&opts, &|m| eprintln!("warning: {m}")).await {
        Ok(done) => {
            let r = &done.result;
            let shards = r.aggregate.as_ref().map_or(0, |a| a.shards.len());
            println!(
                "aggregated {shards} shard(s) into {}: verdict {} ({})",
                opts.out.display(),
                r.verdict.as_str(),
                r.verdict_reasons.join("; ")
            );
            if !done.missing.is_empty() {
                let list: Vec<String> = done.missing.iter().map(u32::to_string).collect();
                eprintln!(
                    "error: missing shard(s) {}: the aggregate is incomplete",
                    list.join(", ")
                );
            }
            ExitStatus::from_verdict(r.verdict, false).code()
        }
        Err(e) => fail(&e, e.exit_status()),
    }
}
