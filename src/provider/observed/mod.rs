//! The provider as one workload sees it: a decorator that counts every call in the run's
//! [`RetryLog`], tracks the sandboxes the workload creates until they are destroyed, and notes when
//! the workload last called the platform.
//!
//! The run wraps its provider once per workload ([`Observer::for_workload`]), so each sandbox is
//! attributed to the workload that created it without any workload doing bookkeeping: a failed
//! destroy is a leak of that workload, and what it left alive is swept when it ends
//! ([`ObservedProvider::finish`]). Once the provider is known dead, every later failure carries the
//! one line that explains it, and the run is told once (to stop repeating it on the console).

mod ledger;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;

use super::retry::{observe, Op, RetryLog};
use super::{
    CheckpointId, Digest, ExecOutput, ExecRequest, Payload, Provider, ProviderDeath, ProviderError, ProviderResult,
    SandboxId,
};
use crate::provider::InfraClass;
use crate::report::RetryStats;
use ledger::Ledger;

/// Called once, the first time a call fails after the provider died.
pub type DeathHook = Box<dyn Fn(&ProviderDeath) + Send + Sync>;

/// What the run's observers share.
struct Shared {
    inner: Arc<dyn Provider>,
    log: Arc<RetryLog>,
    epoch: Instant,
    ledgers: Mutex<Vec<(&'static str, Arc<Ledger>)>>,
    on_death: DeathHook,
    death_told: AtomicBool,
}

/// One per run: hands out a decorated provider per workload and answers for all of them.
pub struct Observer {
    shared: Arc<Shared>,
}

impl Observer {
    pub fn new(inner: Arc<dyn Provider>, on_death: DeathHook) -> Self {
        Self {
            shared: Arc::new(Shared {
                inner,
                log: Arc::default(),
                epoch: Instant::now(),
                ledgers: Mutex::default(),
                on_death,
                death_told: AtomicBool::new(false),
            }),
        }
    }

    /// The provider for `workload`'s calls.
    pub fn for_workload(&self, workload: &'static str) -> Arc<ObservedProvider> {
        let ledger = Arc::new(Ledger::default());
        self.ledgers().push((workload, ledger.clone()));
        Arc::new(ObservedProvider {
            shared: self.shared.clone(),
            ledger,
        })
    }

    /// Calls by kind over the whole run (report.json `retries`).
    pub fn retry_stats(&self) -> BTreeMap<String, RetryStats> {
        self.shared.log.stats()
    }

    /// Workloads with a provider call that ended at or after `since`, in the order they ran.
    pub fn touched_since(&self, since: Instant) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (name, ledger) in self.ledgers().iter() {
            if ledger.active_since(self.shared.epoch, since) && !names.iter().any(|n| n == name) {
                names.push((*name).to_string());
            }
        }
        names
    }

    fn ledgers(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, Arc<Ledger>)>> {
        self.shared.ledgers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the end of a workload found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Sandboxes whose destroy failed during the workload (the platform's leak).
    pub leaked: u64,
    /// Sandboxes still alive at the end that the sweep destroyed.
    pub swept: u64,
    /// Sandboxes still alive at the end that could not be destroyed (left on the platform).
    pub unswept: u64,
}

pub struct ObservedProvider {
    shared: Arc<Shared>,
    ledger: Arc<Ledger>,
}

impl ObservedProvider {
    async fn call<T>(&self, op: Op, call: impl Future<Output = ProviderResult<T>>) -> ProviderResult<T> {
        let result = observe(&self.shared.log, op, call).await;
        self.ledger.touch(self.shared.epoch);
        result.map_err(|e| self.explain(op, e))
    }

    /// After the provider died, a failure that did not come from an answer is that death.
    fn explain(&self, op: Op, err: ProviderError) -> ProviderError {
        if err.class == InfraClass::HttpError {
            return err;
        }
        let Some(death) = self.shared.inner.death() else {
            return err;
        };
        if !self.shared.death_told.swap(true, Ordering::Relaxed) {
            (self.shared.on_death)(&death);
        }
        ProviderError {
            message: format!("{}: {}", op.name(), death.message),
            ..err
        }
    }

    /// Ends the workload: destroys what it left alive and says what it found; once a destroy fails
    /// with the provider dead, the rest is not tried. Sweep calls are counted as destroys but are
    /// not the workload's activity.
    pub async fn finish(&self) -> Sweep {
        let mut sweep = Sweep::default();
        let mut dead = false;
        for (sandbox, _) in self.ledger.leftovers() {
            if dead {
                sweep.unswept += 1;
                continue;
            }
            match observe(&self.shared.log, Op::Destroy, self.shared.inner.destroy(&sandbox)).await {
                Ok(()) => sweep.swept += 1,
                Err(e) if e.status == Some(404) => sweep.swept += 1,
                Err(_) => {
                    sweep.unswept += 1;
                    dead = self.shared.inner.death().is_some();
                }
            }
            self.ledger.destroyed(&sandbox);
        }
        sweep.leaked = self.ledger.leaked();
        sweep
    }
}

#[async_trait]
impl Provider for ObservedProvider {
    fn name(&self) -> &'static str {
        self.shared.inner.name()
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.shared.inner.environment()
    }

    async fn create(&self) -> ProviderResult<SandboxId> {
        let created = self.call(Op::Create, self.shared.inner.create()).await;
        if let Ok(sandbox) = &created {
            self.ledger.created(sandbox);
        }
        created
    }

    async fn exec(&self, sandbox: &SandboxId, request: &ExecRequest) -> ProviderResult<ExecOutput> {
        self.call(Op::Exec, self.shared.inner.exec(sandbox, request)).await
    }

    async fn write_file(&self, sandbox: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        self.call(Op::WriteFile, self.shared.inner.write_file(sandbox, path, data))
            .await
    }

    async fn read_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        self.call(Op::ReadFile, self.shared.inner.read_file(sandbox, path))
            .await
    }

    async fn write_payload(&self, sandbox: &SandboxId, path: &str, payload: &Payload) -> ProviderResult<Digest> {
        self.call(Op::WriteFile, self.shared.inner.write_payload(sandbox, path, payload))
            .await
    }

    async fn read_digest(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Digest> {
        self.call(Op::ReadFile, self.shared.inner.read_digest(sandbox, path))
            .await
    }

    async fn checkpoint(&self, sandbox: &SandboxId) -> ProviderResult<CheckpointId> {
        self.call(Op::Checkpoint, self.shared.inner.checkpoint(sandbox)).await
    }

    async fn restore(&self, checkpoint: &CheckpointId) -> ProviderResult<SandboxId> {
        let restored = self.call(Op::Restore, self.shared.inner.restore(checkpoint)).await;
        if let Ok(sandbox) = &restored {
            self.ledger.created(sandbox);
        }
        restored
    }

    async fn destroy(&self, sandbox: &SandboxId) -> ProviderResult<()> {
        let result = self.call(Op::Destroy, self.shared.inner.destroy(sandbox)).await;
        match &result {
            Ok(()) => self.ledger.destroyed(sandbox),
            // A dead provider cannot destroy anything: that is its death, not the platform's leak.
            Err(_) if self.shared.inner.death().is_some() => {}
            Err(e) => self.ledger.destroy_failed(sandbox, e),
        }
        result
    }

    async fn delete_checkpoint(&self, checkpoint: &CheckpointId) -> ProviderResult<()> {
        self.call(Op::DeleteCheckpoint, self.shared.inner.delete_checkpoint(checkpoint))
            .await
    }

    /// Nothing: the provider is shared by every workload, and the run shuts it down once.
    async fn shutdown(&self) -> ProviderResult<()> {
        Ok(())
    }

    fn death(&self) -> Option<ProviderDeath> {
        self.shared.inner.death()
    }

    async fn confirm_death(&self) -> Option<ProviderDeath> {
        self.shared.inner.confirm_death().await
    }
}

#[cfg(test)]
mod tests;
