//! Everything a run remembers: events streamed to `events.jsonl` as they happen, HdrHistograms,
//! outcome counters, and `error-details.log`.
//!
//! Memory does not grow with the number of operations: each operation becomes one line on disk and
//! one count in a histogram. Percentiles anywhere in the tool come from these histograms.

mod accounting;
mod error_log;
mod events;
pub mod evidence;
mod histograms;
pub mod host;
pub mod phases;
pub mod trend;
pub mod windows;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use accounting::{Accounting, Counts};
pub use error_log::ErrorLog;
pub use events::{ms, Event, EventLog};
pub use evidence::EvidenceStore;
pub use histograms::HistogramSet;
pub use phases::Phases;
pub use windows::WindowSet;

use crate::verify::Outcome;

pub struct Recorder {
    pub events: EventLog,
    pub histograms: HistogramSet,
    pub accounting: Accounting,
    pub errors: ErrorLog,
    pub evidence: EvidenceStore,
    /// The run cut into `--window`s: outcomes and headline latencies as they happen.
    pub windows: Arc<WindowSet>,
    /// Where the run's wall time goes (report.json `timing`).
    pub phases: Phases,
    started: Instant,
}

impl Recorder {
    /// Opens the run directory's `events.jsonl` and `error-details.log` for streaming.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        Self::create_windowed(dir, crate::config::pace::DEFAULT_WINDOW)
    }

    /// As [`Recorder::create`], with time-series windows of `window`.
    pub fn create_windowed(dir: &Path, window: Duration) -> std::io::Result<Self> {
        let windows = Arc::new(WindowSet::new(window));
        Ok(Self {
            events: EventLog::create(&dir.join("events.jsonl"))?,
            histograms: HistogramSet::windowed(windows.clone()),
            windows,
            accounting: Accounting::default(),
            errors: ErrorLog::create(&dir.join("error-details.log"))?,
            evidence: EvidenceStore::new(dir),
            phases: Phases::default(),
            started: Instant::now(),
        })
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Counts a planned operation as issued; every call must be matched by one [`Recorder::finish`]
    /// or the operation shows up as lost.
    pub fn plan(&self, workload: &'static str) {
        self.accounting.plan(workload);
    }

    /// Records the one outcome of an operation: its counter, its event line, and for anything but
    /// `verified`, the full details in `error-details.log`.
    pub fn finish(&self, workload: &'static str, event: Event, outcome: &Outcome) {
        self.accounting.record(workload, outcome);
        self.windows.outcome(outcome);
        if !matches!(outcome, Outcome::Verified) {
            self.errors.write_outcome(&event, outcome);
        }
        self.events.write(&event.with_outcome(outcome));
    }

    pub fn flush(&self) {
        self.events.flush();
        self.errors.flush();
    }
}
