//! Settings of the contention workload and of the fault schedule (`--nemesis`, `--repeat`).
//!
//! Kept apart from the other workloads' knobs so the chaos feature owns its validation: which fault
//! applies to which workload is decided here, once, and every error names the flag.

use std::time::Duration;

use super::{int_in, ProviderConfig, RunArgs, WorkloadKind};
use crate::error::ConfigError;
use crate::workload::contention::{ContentionConfig, DemoTarget, Kill9};

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

/// Mean time between two SIGKILLs of the `kill9` schedule.
const KILL9_MEAN_INTERVAL: Duration = Duration::from_millis(100);

pub fn build_contention(args: &RunArgs, chaos_profile: bool) -> Result<ContentionConfig, ConfigError> {
    let (default_writers, default_writes) = if chaos_profile { (8, 40) } else { (10, 100) };
    let writers = int_in("--writers", args.writers, default_writers, 1, 10_000)? as u32;
    let writes = int_in("--writes", args.writes, default_writes, 1, 1_000_000)? as u32;
    let timeout_ms = int_in("--write-timeout-ms", args.write_timeout_ms, 30_000, 1, 3_600_000)?;
    let write_timeout = Duration::from_millis(timeout_ms as u64);
    let target = match args.contention_target.as_deref() {
        None => None,
        Some(name) => Some(DemoTarget::parse(name).ok_or_else(|| {
            ConfigError::new(
                "--contention-target",
                format!("unknown target {name:?} (expected flock or naive)"),
            )
        })?),
    };
    let argv = |field: &str, text: &str| -> Result<Vec<String>, ConfigError> {
        let argv =
            shell_words::split(text).map_err(|e| ConfigError::new(field, format!("cannot split {text:?}: {e}")))?;
        if argv.is_empty() {
            return Err(ConfigError::new(field, "must name a command (got an empty string)"));
        }
        Ok(argv)
    };
    let cfg = match (target, &args.write_cmd, &args.list_cmd) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(ConfigError::new(
                "--contention-target",
                "a built-in target brings its own commands: drop --write-cmd and --list-cmd",
            ))
        }
        (Some(t), None, None) => ContentionConfig::for_target(t, writers, writes, write_timeout),
        (None, None, None) => ContentionConfig::for_target(DemoTarget::Flock, writers, writes, write_timeout),
        (None, Some(w), Some(l)) => ContentionConfig {
            writers,
            writes,
            write_cmd: argv("--write-cmd", w)?,
            list_cmd: argv("--list-cmd", l)?,
            target: None,
            write_timeout,
            kill9: None,
        },
        (None, Some(_), None) => return Err(ConfigError::new("--list-cmd", "is needed with --write-cmd")),
        (None, None, Some(_)) => return Err(ConfigError::new("--write-cmd", "is needed with --list-cmd")),
    };
    if cfg.target.is_none() && !cfg.write_cmd.iter().any(|a| a.contains("{id}")) {
        return Err(ConfigError::new(
            "--write-cmd",
            "must contain {id} (the record each write stores); {writer} and {seq} are optional",
        ));
    }
    Ok(cfg)
}

/// Arms the `kill9` schedule on a demo store. A tag unique to this run in every writer's command
/// line keeps `pkill -f` away from anybody else's processes, and the correct store holds its lock
/// for 10 ms per write so kills land mid-write (not only between writes) whatever the machine speed.
pub fn arm_kill9(cfg: &mut ContentionConfig) {
    let tag = format!("stress-action-{}-{:08x}", std::process::id(), rand::random::<u32>());
    match cfg.target {
        Some(DemoTarget::Flock) => {
            cfg.write_cmd = vec![
                "sh".into(),
                "-c".into(),
                "exec 9>>store.lock; flock 9; sleep 0.01; printf '%s\\n' \"$1\" >> store.txt".into(),
                tag.clone(),
                "{id}".into(),
            ];
        }
        // The naive store loses updates on its own; the tag only marks its writers.
        _ => cfg.write_cmd.push(tag.clone()),
    }
    cfg.kill9 = Some(Kill9 {
        pattern: tag,
        mean_interval: KILL9_MEAN_INTERVAL,
    });
}

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
