//! Run-wide counters of provider calls by kind: how many calls, how many needed more than one
//! attempt, how many attempts in all, how many gave up.
//!
//! A platform that needs a retry on 40 % of creates is not healthy even when every sandbox came up,
//! and bounded retries hide exactly that; these counters make it visible (report.json `retries`).
//! Every provider call of a run passes here, so recording is a few relaxed atomic additions on one
//! cache line per kind: no lock, no map, no allocation.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::report::RetryStats;

/// The kinds of provider call, as report.json names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Exec,
    WriteFile,
    ReadFile,
    Checkpoint,
    Restore,
    Destroy,
    DeleteCheckpoint,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Create,
        Op::Exec,
        Op::WriteFile,
        Op::ReadFile,
        Op::Checkpoint,
        Op::Restore,
        Op::Destroy,
        Op::DeleteCheckpoint,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Exec => "exec",
            Op::WriteFile => "write_file",
            Op::ReadFile => "read_file",
            Op::Checkpoint => "checkpoint",
            Op::Restore => "restore",
            Op::Destroy => "destroy",
            Op::DeleteCheckpoint => "delete_checkpoint",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One kind's counters on a cache line of their own, so creates and execs recorded by different
/// cores do not contend.
#[derive(Default)]
#[repr(align(64))]
struct Counters {
    calls: AtomicU64,
    retried: AtomicU64,
    attempts: AtomicU64,
    gave_up: AtomicU64,
}

#[derive(Default)]
pub struct RetryLog {
    ops: [Counters; Op::ALL.len()],
}

impl RetryLog {
    /// Records one logical call that took `attempts` attempts and ended in success (`ok`) or not.
    pub fn record(&self, op: Op, attempts: u32, ok: bool) {
        let c = &self.ops[op.index()];
        c.calls.fetch_add(1, Ordering::Relaxed);
        c.attempts.fetch_add(u64::from(attempts.max(1)), Ordering::Relaxed);
        if attempts > 1 {
            c.retried.fetch_add(1, Ordering::Relaxed);
        }
        if !ok {
            c.gave_up.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters of every kind that was called at least once, keyed by [`Op::name`].
    pub fn stats(&self) -> BTreeMap<String, RetryStats> {
        Op::ALL
            .iter()
            .filter_map(|op| {
                let c = &self.ops[op.index()];
                let stats = RetryStats {
                    calls: c.calls.load(Ordering::Relaxed),
                    retried: c.retried.load(Ordering::Relaxed),
                    attempts: c.attempts.load(Ordering::Relaxed),
                    gave_up: c.gave_up.load(Ordering::Relaxed),
                };
                (stats.calls > 0).then(|| (op.name().to_string(), stats))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_once_and_attempts_all() {
        let log = RetryLog::default();
        log.record(Op::Create, 1, true);
        log.record(Op::Create, 3, true);
        log.record(Op::Create, 5, false);
        log.record(Op::Destroy, 1, false);
        let stats = log.stats();
        assert_eq!(
            stats["create"],
            RetryStats {
                calls: 3,
                retried: 2,
                attempts: 9,
                gave_up: 1
            }
        );
        assert_eq!(stats["destroy"].gave_up, 1);
        assert!(!stats.contains_key("exec"), "kinds never called are left out");
    }
}
