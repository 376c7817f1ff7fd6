//! The view's contention section and the lines about where a run ran: its shard, what an aggregate
//! merged, and the tool's own footprint (so a reader sees when the runner, not the platform, was the
//! bottleneck).

use crate::report::{ContentionReport, HostStats, RunResult};

/// The contention table's report, with what is worth a note under it.
#[derive(Clone, Debug)]
pub struct ContentionView<'a> {
    pub report: &'a ContentionReport,
    /// Writes the store refused (`failed` in reports of older versions).
    pub refused: u64,
    pub notes: Vec<ContentionNote<'a>>,
}

/// One note under the contention table, in the order they are shown.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentionNote<'a> {
    /// The built-in demo store that was used.
    Target(&'a str),
    /// Writes `kill9` killed mid-flight.
    Kills(u64),
    /// Writes refused by the store (non-zero exit): infra, nothing was promised.
    Refused(u64),
    /// Writers missing acknowledged writes: how many, and the first ten as (writer, lost).
    IncompleteWriters(usize, &'a [(u32, u64)]),
    SetupFailed(&'a str),
}

impl<'a> ContentionView<'a> {
    pub fn of(c: &'a ContentionReport) -> Self {
        let refused = c.refused.max(c.failed);
        let mut notes = Vec::new();
        if let Some(t) = &c.target {
            notes.push(ContentionNote::Target(t));
        }
        if c.kills > 0 {
            notes.push(ContentionNote::Kills(c.kills));
        }
        if refused > 0 {
            notes.push(ContentionNote::Refused(refused));
        }
        if !c.incomplete_writers.is_empty() {
            let shown = &c.incomplete_writers[..c.incomplete_writers.len().min(10)];
            notes.push(ContentionNote::IncompleteWriters(c.incomplete_writers.len(), shown));
        }
        if let Some(e) = &c.setup_error {
            notes.push(ContentionNote::SetupFailed(e));
        }
        ContentionView {
            report: c,
            refused,
            notes,
        }
    }
}

/// Where a run sits in a sharded run.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement<'a> {
    /// `run --shard I/N`.
    Shard { index: u32, count: u32, group: &'a str },
    /// `aggregate`: `merged` of `count` shards.
    Aggregate { merged: usize, count: u32, group: &'a str },
}

impl<'a> Placement<'a> {
    pub fn of(result: &'a RunResult) -> Option<Self> {
        if let Some(s) = &result.shard {
            return Some(Placement::Shard {
                index: s.index,
                count: s.count,
                group: &s.group,
            });
        }
        result.aggregate.as_ref().map(|a| Placement::Aggregate {
            merged: a.shards.len(),
            count: a.count,
            group: &a.group,
        })
    }
}

/// `peak RSS 45.6 MB · CPU 1.5 s on 4 CPU(s) · max open fds 830 of 20000`.
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
