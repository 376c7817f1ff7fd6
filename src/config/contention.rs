//! Settings of the contention workload (`--writers`, `--writes`, `--write-cmd`, `--list-cmd`,
//! `--contention-target`, `--write-timeout-ms`) and the `kill9` fault that targets its writers.
//!
//! Settings only: the workload (`workload::contention`) runs them and owns the demo stores' scripts.

use std::time::Duration;

use super::{int_in, RunArgs};
use crate::error::ConfigError;

#[derive(Clone, Debug, PartialEq)]
pub struct ContentionConfig {
    pub writers: u32,
    pub writes: u32,
    /// Command template; `{writer}`, `{seq}` and `{id}` are replaced in every argument.
    pub write_cmd: Vec<String>,
    /// Prints what the store holds: JSON lines with an `id`, or one id per line.
    pub list_cmd: Vec<String>,
    pub target: Option<DemoTarget>,
    pub write_timeout: Duration,
    /// SIGKILL writer processes at random moments while the writers run.
    pub kill9: Option<Kill9>,
}

impl ContentionConfig {
    /// The built-in demo store's commands.
    pub fn for_target(target: DemoTarget, writers: u32, writes: u32, write_timeout: Duration) -> Self {
        Self {
            writers,
            writes,
            write_cmd: target.write_cmd(),
            list_cmd: target.list_cmd(),
            target: Some(target),
            write_timeout,
            kill9: None,
        }
    }
}

/// A built-in demo store: `flock` (correct) or `naive` (loses updates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoTarget {
    Flock,
    Naive,
}

impl DemoTarget {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "flock" => Some(DemoTarget::Flock),
            "naive" => Some(DemoTarget::Naive),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DemoTarget::Flock => "flock",
            DemoTarget::Naive => "naive",
        }
    }

    /// The file the workload installs the store's script under (the script is the workload's).
    pub fn script_name(self) -> &'static str {
        match self {
            DemoTarget::Flock => "store-flock.sh",
            DemoTarget::Naive => "store-naive.sh",
        }
    }

    pub fn write_cmd(self) -> Vec<String> {
        vec!["sh".into(), self.script_name().into(), "{id}".into()]
    }

    pub fn list_cmd(self) -> Vec<String> {
        vec!["cat".into(), "store.txt".into()]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Kill9 {
    /// Matched against full command lines (`pkill -f`): the store's writer processes.
    pub pattern: String,
    /// Mean time between kills; each wait is drawn uniformly from half to one and a half times it.
    pub mean_interval: Duration,
}

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
