//! Named profiles: sensible defaults for a quick PR check (`smoke`), a thorough run (`full`), a
//! lifecycle burst (`burst`), fault schedules (`chaos`), many checkpoints at once (`storm`) and a
//! duration-bounded soak (`soak`).

/// A named set of defaults; flags override any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Smoke,
    Full,
    /// Lifecycle burst only, sized by `--burst-size`.
    Burst,
    /// The fault schedules a correct platform must survive (see `config/chaos.rs`).
    Chaos,
    /// Checkpoint storm: many sandboxes checkpointing at once (shared snapshot storage and queues
    /// break under this, not under one checkpoint at a time), every snapshot restored and verified.
    Storm,
    /// Soak: ten minutes of staggered lifecycle at a modest rate, plus checkpoint rounds and
    /// storage, every operation verified: leaks, slow queues and degradation only show over time.
    Soak,
}

/// The checkpoint workload's defaults for a profile.
pub struct CheckpointDefaults {
    pub restores: u32,
    pub rounds: u32,
    pub concurrency: u32,
    pub marker_size_mb: f64,
    /// Rounds in flight at once, so this many checkpoints are taken together.
    pub round_concurrency: u32,
}

impl Profile {
    pub const NAMES: &'static [&'static str] = &["smoke", "full", "burst", "chaos", "storm", "soak"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "smoke" => Some(Profile::Smoke),
            "full" => Some(Profile::Full),
            "burst" => Some(Profile::Burst),
            "chaos" => Some(Profile::Chaos),
            "storm" => Some(Profile::Storm),
            "soak" => Some(Profile::Soak),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Full => "full",
            Profile::Burst => "burst",
            Profile::Chaos => "chaos",
            Profile::Storm => "storm",
            Profile::Soak => "soak",
        }
    }

    pub fn checkpoint_defaults(self) -> CheckpointDefaults {
        match self {
            Profile::Smoke | Profile::Burst | Profile::Soak => CheckpointDefaults {
                restores: 10,
                rounds: 1,
                concurrency: 5,
                marker_size_mb: 5.0,
                round_concurrency: 1,
            },
            Profile::Chaos => CheckpointDefaults {
                restores: 24,
                rounds: 3,
                concurrency: 4,
                marker_size_mb: 0.25,
                round_concurrency: 1,
            },
            Profile::Full => CheckpointDefaults {
                restores: 1000,
                rounds: 5,
                concurrency: 5,
                marker_size_mb: 5.0,
                round_concurrency: 1,
            },
            // 20 checkpoints, 10 at a time, each restored 5 times. The marker is small so a storm
            // measures the platform's snapshot path, not 20 copies of a large file, and stays quick
            // enough for CI.
            Profile::Storm => CheckpointDefaults {
                restores: 100,
                rounds: 20,
                concurrency: 10,
                marker_size_mb: 0.25,
                round_concurrency: 10,
            },
        }
    }
}
