//! The run's wall time as it goes, phase by phase (report.json `timing`): a run whose process ran
//! 20 s for a 9 s burst must say where the other 11 s went.
//!
//! The clock starts at the process's start ([`mark_process_start`], the first thing `main` does),
//! so start-up (flags, configuration, the runtime) is a phase like the others.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::report::{Phase, Timing};

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Marks now as the process's start; later calls keep the first mark.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// The process's start as marked by `main`, or the first time anyone asked (a library caller that
/// never marked it, such as a test driving `run` in-process).
pub fn process_start() -> Instant {
    *PROCESS_START.get_or_init(Instant::now)
}

/// The phases recorded so far, in the order they were recorded.
#[derive(Default)]
pub struct Phases {
    list: Mutex<Vec<(String, Duration)>>,
}

impl Phases {
    /// Adds `took` to the phase `name` (created at the end of the list the first time).
    pub fn add(&self, name: &str, took: Duration) {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        match list.iter_mut().find(|(n, _)| n == name) {
            Some((_, d)) => *d += took,
            None => list.push((name.to_string(), took)),
        }
    }

    /// Adds the time since `since` to `name` and returns now, the start of the next phase.
    pub fn lap(&self, name: &str, since: Instant) -> Instant {
        let now = Instant::now();
        self.add(name, now.saturating_duration_since(since));
        now
    }

    /// Every phase so far, with the total from the process's start to now.
    pub fn timing(&self) -> Timing {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        Timing {
            total_s: seconds(process_start().elapsed()),
            phases: list
                .iter()
                .map(|(name, d)| Phase {
                    name: name.clone(),
                    seconds: seconds(*d),
                })
                .collect(),
        }
    }
}

/// Milliseconds precision: phases are read by people, and report.json stays short.
fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e3).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_keep_their_order_and_add_up_repeats() {
        let phases = Phases::default();
        phases.add("writing", Duration::from_millis(20));
        phases.add("rendering", Duration::from_millis(100));
        phases.add("writing", Duration::from_millis(5));
        let t = phases.timing();
        let names: Vec<&str> = t.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["writing", "rendering"]);
        assert_eq!(t.seconds("writing"), Some(0.025));
        assert!(t.total_s >= 0.0);
    }
}
