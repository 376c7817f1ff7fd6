//! Named profiles: sensible defaults for a quick PR check (`smoke`) and a thorough run (`full`).

/// A named set of defaults; flags override any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Smoke,
    Full,
    /// Lifecycle burst only, sized by `--burst-size`.
    Burst,
    /// The fault schedules a correct platform must survive (see `config/chaos.rs`).
    Chaos,
}

/// The checkpoint workload's defaults for a profile.
pub struct CheckpointDefaults {
    pub restores: u32,
    pub rounds: u32,
    pub concurrency: u32,
    pub marker_size_mb: f64,
}

impl Profile {
    pub const NAMES: &'static [&'static str] = &["smoke", "full", "burst", "chaos"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "smoke" => Some(Profile::Smoke),
            "full" => Some(Profile::Full),
            "burst" => Some(Profile::Burst),
            "chaos" => Some(Profile::Chaos),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Full => "full",
            Profile::Burst => "burst",
            Profile::Chaos => "chaos",
        }
    }

    pub fn checkpoint_defaults(self) -> CheckpointDefaults {
        match self {
            Profile::Smoke | Profile::Burst => CheckpointDefaults {
                restores: 10,
                rounds: 1,
                concurrency: 5,
                marker_size_mb: 5.0,
            },
            Profile::Chaos => CheckpointDefaults {
                restores: 24,
                rounds: 3,
                concurrency: 4,
                marker_size_mb: 0.25,
            },
            Profile::Full => CheckpointDefaults {
                restores: 1000,
                rounds: 5,
                concurrency: 5,
                marker_size_mb: 5.0,
            },
        }
    }
}
