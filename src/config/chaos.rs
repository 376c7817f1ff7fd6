//! Settings of the fault schedule (`--nemesis`, `--repeat`).
//!
//! Kept apart from the other workloads' knobs so the chaos feature owns its validation: which fault
//! applies to which workload is decided here, once, and every error names the flag.

use super::{int_in, ProviderConfig, RunArgs, WorkloadKind};
use crate::error::ConfigError;

/// One fault of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nemesis {
    /// SIGKILL the contention workload's writer processes at random moments.
    Kill9,
    /// Kill the child `serve` and start it again on the same root, mid-run.
    RestartServer,
    /// A window of added latency on the child `serve`.
    Latency,
    /// A window of dropped connections on the child `serve`.
    Reset,
    /// A window of HTTP 503 answers on the child `serve`.
    Http5xx,
    /// The local provider's checkpoints taken while a writer rewrites the marker (unsafe on purpose).
    UnquiescedCheckpoint,
}

impl Nemesis {
    pub const NAMES: &'static [&'static str] = &[
        "kill9",
        "restart-server",
        "latency",
        "reset",
        "5xx",
        "unquiesced-checkpoint",
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "kill9" => Nemesis::Kill9,
            "restart-server" => Nemesis::RestartServer,
            "latency" => Nemesis::Latency,
            "reset" => Nemesis::Reset,
            "5xx" => Nemesis::Http5xx,
            "unquiesced-checkpoint" => Nemesis::UnquiescedCheckpoint,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Nemesis::Kill9 => "kill9",
            Nemesis::RestartServer => "restart-server",
            Nemesis::Latency => "latency",
            Nemesis::Reset => "reset",
            Nemesis::Http5xx => "5xx",
            Nemesis::UnquiescedCheckpoint => "unquiesced-checkpoint",
        }
    }

    /// Faults realised on a child `serve` the chaos workload starts and controls.
    pub fn needs_server(self) -> bool {
        matches!(
            self,
            Nemesis::RestartServer | Nemesis::Latency | Nemesis::Reset | Nemesis::Http5xx
        )
    }
}

/// `[chaos]` in stress.toml: `nemesis = ["kill9", "restart-server"]` (or one comma-separated
/// string) and `repeat = 3`, for files that read better with the schedule in its own table.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChaosTable {
    pub nemesis: Option<NemesisList>,
    pub repeat: Option<i64>,
}

/// A list of faults, as a TOML array or a comma-separated string.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum NemesisList {
    List(Vec<String>),
    Text(String),
}

/// The fault schedule and how often the chaos scenarios are repeated.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosConfig {
    pub nemesis: Vec<Nemesis>,
    /// Each chaos scenario runs this many times; the report gives the pass rate per scenario.
    pub repeat: u32,
}

impl ChaosConfig {
    pub fn has(&self, nemesis: Nemesis) -> bool {
        self.nemesis.contains(&nemesis)
    }
}

/// The scenarios `--profile chaos` runs: all must pass on a correct platform. The scenarios built to
/// show corruption (`unquiesced-checkpoint`, the naive store) are left out.
pub const CHAOS_PROFILE_NEMESES: &[Nemesis] = &[
    Nemesis::Kill9,
    Nemesis::RestartServer,
    Nemesis::Latency,
    Nemesis::Reset,
    Nemesis::Http5xx,
];

pub fn build_chaos(
    args: &RunArgs,
    selected: &[WorkloadKind],
    provider: &ProviderConfig,
    chaos_profile: bool,
) -> Result<ChaosConfig, ConfigError> {
    let table = args.chaos.clone().unwrap_or_default();
    let text = args.nemesis.clone().or(match table.nemesis {
        Some(NemesisList::List(names)) => Some(names.join(",")),
        Some(NemesisList::Text(text)) => Some(text),
        None => None,
    });
    let nemesis = match text.as_deref() {
        None if chaos_profile => CHAOS_PROFILE_NEMESES.to_vec(),
        None => Vec::new(),
        Some(text) => {
            let mut out = Vec::new();
            for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                out.push(Nemesis::parse(name).ok_or_else(|| {
                    ConfigError::new(
                        "--nemesis",
                        format!(
                            "unknown fault {name:?} (expected one of: {})",
                            Nemesis::NAMES.join(", ")
                        ),
                    )
                })?);
            }
            out.sort();
            out.dedup();
            out
        }
    };
    let repeat = int_in("--repeat", args.repeat.or(table.repeat), 1, 1, 1000)? as u32;
    let chaos = selected.contains(&WorkloadKind::Chaos);
    let local = matches!(provider, ProviderConfig::Local { .. });
    for n in &nemesis {
        let applies = match n {
            Nemesis::Kill9 => chaos || selected.contains(&WorkloadKind::Contention),
            Nemesis::UnquiescedCheckpoint => chaos || selected.contains(&WorkloadKind::Checkpoint),
            _ => chaos,
        };
        if !applies {
            let needs = match n {
                Nemesis::Kill9 => "the contention or chaos workload",
                Nemesis::UnquiescedCheckpoint => "the checkpoint or chaos workload",
                _ => "the chaos workload (--workload chaos or --profile chaos), which starts its own `serve`",
            };
            return Err(ConfigError::new("--nemesis", format!("{} needs {needs}", n.name())));
        }
        if matches!(n, Nemesis::Kill9 | Nemesis::UnquiescedCheckpoint) && !local {
            return Err(ConfigError::new(
                "--nemesis",
                format!("{} works on the local provider only (--provider local)", n.name()),
            ));
        }
        if *n == Nemesis::Kill9 && args.write_cmd.is_some() && !chaos {
            return Err(ConfigError::new(
                "--nemesis",
                "kill9 needs a built-in --contention-target (it must know which processes are writers)",
            ));
        }
    }
    if chaos && nemesis.is_empty() {
        return Err(ConfigError::new(
            "--nemesis",
            format!(
                "the chaos workload needs at least one fault: {}",
                Nemesis::NAMES.join(", ")
            ),
        ));
    }
    if repeat > 1 && !chaos {
        return Err(ConfigError::new(
            "--repeat",
            "repeats the chaos scenarios: use it with --profile chaos or --workload chaos",
        ));
    }
    Ok(ChaosConfig { nemesis, repeat })
}
