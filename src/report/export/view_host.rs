//! The summary's lines about where a run ran: its shard, the shards of an aggregate, and the tool's
//! own footprint (so a reader sees when the runner, not the platform, was the bottleneck).

use super::view::cell;
use crate::report::{HostStats, RunResult};

/// `peak RSS 45.6 MB · CPU 1.5 s · open fds 830 of 20000`.
pub fn host_line(h: &HostStats) -> String {
    let fds = if h.fds_source == "sampled" {
        format!("max open fds {} of {}", h.max_open_fds, h.fd_limit)
    } else {
        format!("fd limit {} (open fds not observable)", h.fd_limit)
    };
    format!(
        "peak RSS {:.1} MB · CPU {:.1} s on {} CPU(s) · {fds}",
        h.peak_rss_mb, h.cpu_s, h.cpus
    )
}

/// Shown under the run line: which shard this was, or what the aggregate merged.
pub fn shard_line(result: &RunResult) -> Option<String> {
    if let Some(s) = &result.shard {
        return Some(format!("shard {}/{} of group `{}`", s.index, s.count, cell(&s.group)));
    }
    result.aggregate.as_ref().map(|a| {
        format!(
            "aggregate of {} of {} shards of group `{}`",
            a.shards.len(),
            a.count,
            cell(&a.group)
        )
    })
}

/// One row per merged shard: index, verdict, operations, corrupted, duration, host footprint.
pub fn shard_rows(result: &RunResult) -> Vec<Vec<String>> {
    let Some(a) = &result.aggregate else {
        return Vec::new();
    };
    a.shards
        .iter()
        .map(|s| {
            vec![
                format!("{}/{}", s.index, a.count),
                s.verdict.as_str().to_string(),
                s.planned.to_string(),
                s.corrupted.to_string(),
                format!("{:.1}", s.duration_s),
                s.host.as_ref().map_or("-".into(), |h| format!("{:.1}", h.peak_rss_mb)),
                s.host.as_ref().map_or("-".into(), |h| format!("{:.1}", h.cpu_s)),
                s.host.as_ref().map_or("-".into(), |h| h.max_open_fds.to_string()),
            ]
        })
        .collect()
}
