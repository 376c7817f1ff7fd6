//! Workloads: each drives a Provider and ends every planned operation in one Outcome through the
//! Recorder. They share one context so cancellation, timeouts and the seed mean the same everywhere.

pub mod chaos;
pub mod checkpoint;
pub mod contention;
pub mod inject;
pub mod lifecycle;
pub mod object_storage;
pub mod pacing;
pub mod runner;
pub mod schedule;
pub mod storage;
pub mod timeline;

use std::sync::Arc;
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::console::Console;
use crate::provider::Provider;
use crate::record::Recorder;

/// How long in-flight operations may finish after Ctrl-C before they are abandoned (and count as lost).
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

pub struct WorkloadContext {
    pub provider: Arc<dyn Provider>,
    pub recorder: Arc<Recorder>,
    pub console: Arc<Console>,
    pub cancel: CancelToken,
    pub exec_timeout: Duration,
    pub seed: u64,
    /// The workload this context's operations are counted under when it is not the one running
    /// them: a chaos scenario drives the checkpoint or contention workload, but its outcomes belong
    /// to `chaos`, so `workloads.checkpoint` and `workloads.contention` hold only their own.
    pub accounted_as: Option<&'static str>,
}

impl WorkloadContext {
    /// The same run (recorder, console, cancellation) against another provider or seed: chaos
    /// scenarios swap in the unsafe local provider or a child `serve`, and vary the seed per repeat.
    pub fn derive(&self, provider: Arc<dyn Provider>, seed: u64) -> Arc<Self> {
        self.with(provider, seed, self.accounted_as)
    }

    /// This context with its operations counted under `workload` (a chaos scenario's).
    pub fn accounted_to(&self, workload: &'static str) -> Arc<Self> {
        self.with(self.provider.clone(), self.seed, Some(workload))
    }

    fn with(&self, provider: Arc<dyn Provider>, seed: u64, accounted_as: Option<&'static str>) -> Arc<Self> {
        Arc::new(WorkloadContext {
            provider,
            recorder: self.recorder.clone(),
            console: self.console.clone(),
            cancel: self.cancel.clone(),
            exec_timeout: self.exec_timeout,
            seed,
            accounted_as,
        })
    }

    /// The name a workload records its operations, events and histograms under: its own (`own`),
    /// or the chaos workload's when a scenario runs it.
    pub fn account(&self, own: &'static str) -> &'static str {
        self.accounted_as.unwrap_or(own)
    }
}
