//! Running past one machine: the run-time side of `run --shard I/N` (announcing the shard,
//! describing it in report.json; the lifecycle workload waits for `--start-at` itself) and
//! `stress-action aggregate`, which merges the shards' run directories into one run directory
//! exactly: counts are summed, HdrHistograms are added (percentiles of a union are not averages of
//! percentiles), timelines are laid on wall-clock time. Everything after that (charts, summary, publishing) reads the aggregate like any run.

pub mod aggregate;
mod input;
mod merge;

use crate::config::RunConfig;
use crate::console::Console;
use crate::report::ShardInfo;

pub use aggregate::{aggregate, AggregateError, AggregateOptions};

/// Says which slice this run does, and the group id other shards must share.
pub fn announce(cfg: &RunConfig, console: &Console) {
    if let Some(s) = &cfg.shard {
        console.say(&format!(
            "shard {}/{} of group {} (shard seed {}; every shard of this run needs the same --group)",
            s.index, s.count, s.group, s.seed
        ));
        if s.group == crate::config::shard::LOCAL_GROUP {
            console.warn("no --group and no GITHUB_RUN_ID: using group `local`; pass --group ID to tell runs apart");
        }
    }
}

pub fn shard_info(cfg: &RunConfig) -> Option<ShardInfo> {
    cfg.shard.as_ref().map(|s| ShardInfo {
        index: s.index,
        count: s.count,
        group: s.group.clone(),
        seed: s.seed,
    })
}
