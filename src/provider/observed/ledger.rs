//! The sandboxes one workload created and has not destroyed yet, the ones it leaked, and when it
//! last called the provider.
//!
//! A sandbox whose destroy failed is leaked: the platform left it alive when asked to remove it
//! (a 404 means it is already gone, which is not a leak). Leaks are counted once per sandbox,
//! whatever sweep later removes it. Sandboxes the workload never tried to destroy (abandoned after
//! Ctrl-C, or after the provider died) are swept too but are not the platform's leak. The map holds
//! only live sandboxes, so it stays as small as the workload's concurrency.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::provider::{ProviderError, SandboxId};

#[derive(Default)]
pub struct Ledger {
    /// Live sandboxes; `true` once a destroy of it failed (it is then counted in `leaked`).
    alive: Mutex<HashMap<SandboxId, bool>>,
    leaked: AtomicU64,
    /// Nanoseconds after the run's epoch at which the last call ended, plus one (0: no call yet).
    last_end: AtomicU64,
}

impl Ledger {
    pub fn created(&self, sandbox: &SandboxId) {
        self.lock().insert(sandbox.clone(), false);
    }

    pub fn destroyed(&self, sandbox: &SandboxId) {
        self.lock().remove(sandbox);
    }

    pub fn destroy_failed(&self, sandbox: &SandboxId, err: &ProviderError) {
        let mut alive = self.lock();
        if err.status == Some(404) {
            alive.remove(sandbox);
            return;
        }
        if let Some(failed) = alive.get_mut(sandbox) {
            if !*failed {
                *failed = true;
                self.leaked.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sandboxes still alive, and whether each one's destroy already failed.
    pub fn leftovers(&self) -> Vec<(SandboxId, bool)> {
        self.lock().iter().map(|(id, failed)| (id.clone(), *failed)).collect()
    }

    pub fn leaked(&self) -> u64 {
        self.leaked.load(Ordering::Relaxed)
    }

    /// Notes that a call ended now.
    pub fn touch(&self, epoch: Instant) {
        let at = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        self.last_end.fetch_max(at, Ordering::Relaxed);
    }

    /// Whether a call ended at or after `since`.
    pub fn active_since(&self, epoch: Instant, since: Instant) -> bool {
        let last = self.last_end.load(Ordering::Relaxed);
        let since = u64::try_from(since.saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX);
        last > since
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SandboxId, bool>> {
        self.alive.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_destroy_leaks_once_and_404_is_gone() {
        let ledger = Ledger::default();
        let (a, b) = (SandboxId("a".into()), SandboxId("b".into()));
        ledger.created(&a);
        ledger.created(&b);
        let err = ProviderError::http(500, "no");
        ledger.destroy_failed(&a, &err);
        ledger.destroy_failed(&a, &err);
        ledger.destroy_failed(&b, &ProviderError::http(404, "gone"));
        assert_eq!(ledger.leaked(), 1);
        assert_eq!(ledger.leftovers(), vec![(a.clone(), true)]);
        ledger.destroyed(&a);
        assert!(ledger.leftovers().is_empty());
        assert_eq!(ledger.leaked(), 1, "a leak stays counted once swept");
    }

    #[test]
    fn activity_is_compared_with_an_instant() {
        let ledger = Ledger::default();
        let epoch = Instant::now();
        assert!(!ledger.active_since(epoch, epoch), "no call yet");
        ledger.touch(epoch);
        assert!(ledger.active_since(epoch, epoch));
        assert!(!ledger.active_since(epoch, Instant::now() + std::time::Duration::from_secs(1)));
    }
}
