//! Which runs may stand in one table: the same settings (profile, workloads, modes, counts, sizes),
//! and labels that tell them apart. Runs that differ are refused (exit 2, naming the setting and
//! the two runs) rather than flagged: a leaderboard of 10 sandboxes against 1000 ranks the settings,
//! not the platforms, and a footnote is easily missed.

use super::{LeaderboardError, Run};
use crate::report::RunResult;

/// The settings that must match, as (name, value as text).
fn settings(r: &RunResult) -> Vec<(&'static str, String)> {
    let c = &r.config;
    vec![
        ("profile", r.profile.clone()),
        ("workloads", c.workloads.join(",")),
        ("lifecycle_modes", c.lifecycle_modes.join(",")),
        ("lifecycle_count", c.lifecycle_count.to_string()),
        ("burst_size", c.burst_size.to_string()),
        ("stagger_ms", c.stagger_ms.to_string()),
        ("ready_cmd", c.ready_cmd.clone()),
        ("storage_sizes_mb", format!("{:?}", c.storage_sizes_mb)),
        ("storage_iterations", c.storage_iterations.to_string()),
        ("object_storage_sizes_mb", format!("{:?}", c.object_storage_sizes_mb)),
        (
            "object_storage_iterations",
            format!("{:?}", c.object_storage_iterations),
        ),
    ]
}

/// Refuses runs that are not comparable, or that share a label.
pub fn check(runs: &[Run]) -> Result<(), LeaderboardError> {
    let Some(first) = runs.first() else {
        return Err(LeaderboardError::Input("no runs given".into()));
    };
    let base = settings(&first.result);
    for run in &runs[1..] {
        for ((name, want), (_, got)) in base.iter().zip(settings(&run.result)) {
            if *want != got {
                return Err(LeaderboardError::NotComparable(format!(
                    "config.{name} is {want} in {} ({}) but {got} in {} ({}): run every provider with the same settings",
                    first.source,
                    first.result.display_label(),
                    run.source,
                    run.result.display_label()
                )));
            }
        }
    }
    for (i, run) in runs.iter().enumerate() {
        let label = run.result.display_label();
        if let Some(other) = runs[..i].iter().find(|o| o.result.display_label() == label) {
            return Err(LeaderboardError::NotComparable(format!(
                "{} and {} are both labelled {label:?}: give each run its own --label",
                other.source, run.source
            )));
        }
    }
    Ok(())
}
