//! Where a run's wall time went, so a run that took twice as long as its workloads says why:
//! start-up, preparation, each workload (and each lifecycle mode's phases), building the report,
//! rendering and writing files. `record::phases` measures it.
//!
//! Top-level phases (names without a dot) follow one another and never overlap, so they and
//! `unaccounted_s` add up to `total_s`; a phase named `<parent>.<part>` is a part of its parent
//! (`lifecycle.burst.ready` is inside `lifecycle`).

use serde::{Deserialize, Serialize};

/// The phases a run directory's renderings may show: what was known when report.json was first
/// written. Rendering and writing files come after and are shown on the console only, so
/// `report DIR` renders the same files as the run did.
pub const RENDERED_AFTER_REPORT: &[&str] = &["rendering", "writing"];

/// The run's wall time, phase by phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Seconds from the process start to the end of the last phase recorded.
    pub total_s: f64,
    /// Phases in the order they started.
    pub phases: Vec<Phase>,
}

/// One phase of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// `startup`, `preparation`, a workload (`lifecycle`), a part of one
    /// (`lifecycle.burst.probe_destroy`), `report`, `rendering`, `writing`.
    pub name: String,
    pub seconds: f64,
}

impl Phase {
    pub fn is_top_level(&self) -> bool {
        !self.name.contains('.')
    }
}

impl Timing {
    /// The total minus the top-level phases: time no phase claims (the gaps between them).
    pub fn unaccounted_s(&self) -> f64 {
        let claimed: f64 = self.phases.iter().filter(|p| p.is_top_level()).map(|p| p.seconds).sum();
        (self.total_s - claimed).max(0.0)
    }

    /// The seconds of the phase named `name`, if it was recorded.
    pub fn seconds(&self, name: &str) -> Option<f64> {
        self.phases.iter().find(|p| p.name == name).map(|p| p.seconds)
    }

    /// The parts of `parent` (`lifecycle` → `lifecycle.burst.ready`, ...), in order.
    pub fn parts_of<'a>(&'a self, parent: &'a str) -> impl Iterator<Item = &'a Phase> + 'a {
        self.phases.iter().filter(move |p| {
            p.name
                .strip_prefix(parent)
                .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
        })
    }

    /// The timing without the phases after report.json's first write (see
    /// [`RENDERED_AFTER_REPORT`]), its total ending where the last remaining phase did.
    pub fn until_report(&self) -> Timing {
        let after: f64 = self
            .phases
            .iter()
            .filter(|p| RENDERED_AFTER_REPORT.contains(&p.name.as_str()))
            .map(|p| p.seconds)
            .sum();
        Timing {
            total_s: (self.total_s - after).max(0.0),
            phases: self
                .phases
                .iter()
                .filter(|p| !RENDERED_AFTER_REPORT.contains(&p.name.as_str()))
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        let phase = |name: &str, seconds| Phase {
            name: name.into(),
            seconds,
        };
        Timing {
            total_s: 10.0,
            phases: vec![
                phase("startup", 0.5),
                phase("lifecycle.burst.ready", 4.0),
                phase("lifecycle.burst.probe_destroy", 3.0),
                phase("lifecycle", 7.5),
                phase("report", 0.5),
                phase("rendering", 0.75),
                phase("writing", 0.25),
            ],
        }
    }

    #[test]
    fn top_level_phases_and_the_rest_add_up_to_the_total() {
        let t = timing();
        assert!((t.unaccounted_s() - 0.5).abs() < 1e-9, "{}", t.unaccounted_s());
        let parts: Vec<&str> = t.parts_of("lifecycle").map(|p| p.name.as_str()).collect();
        assert_eq!(parts, ["lifecycle.burst.ready", "lifecycle.burst.probe_destroy"]);
        assert_eq!(t.parts_of("lifecycle.burst.ready").count(), 0);
    }

    #[test]
    fn until_report_drops_what_came_after_the_first_write() {
        let t = timing().until_report();
        assert_eq!(t.total_s, 9.0);
        assert_eq!(t.seconds("rendering"), None);
        assert_eq!(t.seconds("report"), Some(0.5));
    }
}
