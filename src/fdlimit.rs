//! The process's open-file limit, which bounds how many sandboxes a run can talk to at once.
//!
//! Every request in flight holds a descriptor (an HTTP connection, or the pipes of a spawned
//! process), so a burst of thousands of sandboxes needs thousands of descriptors. The soft limit is
//! often 1024 while the hard limit is far higher; like every load generator, `run` and `serve` raise
//! soft to hard at startup, and the lifecycle workload derives its default in-flight cap from what
//! results (see [`in_flight_budget`]) instead of failing half a burst with EMFILE.

/// Descriptors kept back for everything that is not a request in flight: the run's own files,
/// stdio, the runtime's epoll and timer descriptors, a spawned plugin.
const RESERVE: u64 = 256;

/// The soft and hard `RLIMIT_NOFILE` (`u64::MAX` stands for unlimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdLimit {
    pub soft: u64,
    pub hard: u64,
}

impl std::fmt::Display for FdLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: u64| {
            if v == libc::RLIM_INFINITY {
                "unlimited".to_string()
            } else {
                v.to_string()
            }
        };
        write!(f, "soft {}, hard {}", show(self.soft), show(self.hard))
    }
}

/// The current limit, or `None` where it cannot be read.
pub fn current() -> Option<FdLimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes into the struct we own and reads nothing else.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0).then_some(FdLimit {
        soft: lim.rlim_cur,
        hard: lim.rlim_max,
    })
}

/// Raises the soft limit to the hard limit and returns the limit in force afterwards. Failing to
/// raise it is not an error: the run then works within the old limit.
pub fn raise_soft_to_hard() -> Option<FdLimit> {
    let before = current()?;
    if before.soft < before.hard {
        let lim = libc::rlimit {
            rlim_cur: before.hard,
            rlim_max: before.hard,
        };
        // SAFETY: setrlimit(2) only reads the struct we pass; raising soft up to hard needs no
        // privilege and cannot invalidate descriptors already open.
        let _ = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    current()
}

/// How many requests this process can keep in flight at once, leaving [`RESERVE`] descriptors for
/// everything else; `None` when the limit cannot be read or is unlimited.
pub fn in_flight_budget() -> Option<u64> {
    let lim = current()?;
    if lim.soft == libc::RLIM_INFINITY {
        return None;
    }
    Some(lim.soft.saturating_sub(RESERVE).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers_and_the_budget_fits_the_limit() {
        let before = current().expect("getrlimit works on Linux");
        let after = raise_soft_to_hard().expect("still readable");
        assert!(after.soft >= before.soft);
        assert!(after.soft <= after.hard);
        if let Some(budget) = in_flight_budget() {
            assert!(budget >= 1 && budget < after.soft.max(2));
        }
        assert!(after.to_string().starts_with("soft "));
    }
}
