//! Which workloads a run drives, and the parameters of the lifecycle and storage workloads.
//!
//! Kept apart from the checkpoint settings in `config/mod.rs` so each workload's knobs live in one
//! place; every value comes from the profile unless a flag says otherwise, and every error names the
//! flag.

use std::time::Duration;

use super::pace::Pace;
use super::{int_in, Profile, RunArgs};
use crate::error::ConfigError;

/// A workload the run can drive, in the order runs execute them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    Checkpoint,
    Lifecycle,
    Storage,
    /// Transfers against an S3-compatible object store, not a sandbox (see [`super::object_store`]).
    ObjectStorage,
    Contention,
    Chaos,
}

impl WorkloadKind {
    pub const NAMES: &'static [&'static str] = &[
        "checkpoint",
        "lifecycle",
        "storage",
        "object-storage",
        "contention",
        "chaos",
    ];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "checkpoint" => Some(WorkloadKind::Checkpoint),
            "lifecycle" => Some(WorkloadKind::Lifecycle),
            "storage" => Some(WorkloadKind::Storage),
            "object-storage" => Some(WorkloadKind::ObjectStorage),
            "contention" => Some(WorkloadKind::Contention),
            "chaos" => Some(WorkloadKind::Chaos),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Checkpoint => "checkpoint",
            WorkloadKind::Lifecycle => "lifecycle",
            WorkloadKind::Storage => "storage",
            WorkloadKind::ObjectStorage => "object-storage",
            WorkloadKind::Contention => "contention",
            WorkloadKind::Chaos => "chaos",
        }
    }
}

/// How sandboxes of a lifecycle mode are launched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleMode {
    /// One after another: the next create is issued once the previous sandbox settled.
    Sequential,
    /// One launch every `--stagger-ms`, whatever earlier launches are doing (open model).
    Staggered,
    /// All prepared, then released together.
    Burst,
}

impl LifecycleMode {
    pub const NAMES: &'static [&'static str] = &["sequential", "staggered", "burst"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sequential" => Some(LifecycleMode::Sequential),
            "staggered" => Some(LifecycleMode::Staggered),
            "burst" => Some(LifecycleMode::Burst),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LifecycleMode::Sequential => "sequential",
            LifecycleMode::Staggered => "staggered",
            LifecycleMode::Burst => "burst",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleConfig {
    pub modes: Vec<LifecycleMode>,
    /// Sandboxes per sequential and staggered mode.
    pub count: u64,
    /// Sandboxes of the burst mode.
    pub burst_size: u64,
    pub stagger: Duration,
    /// The first command (time to interactive) and the liveness probe, as an argv.
    pub ready_cmd: Vec<String>,
    pub create_timeout: Duration,
    pub ready_timeout: Duration,
    /// `--start-at`: the burst is released at this wall-clock instant (shards of a matrix agree on it).
    pub start_at: Option<std::time::SystemTime>,
    /// Lifecycle requests in flight at once (`--max-in-flight`). Requests past it wait their turn
    /// in order; the wait counts in every latency (measured from the scheduled start) but not
    /// against a step's timeout, which is the platform's.
    pub max_in_flight: u64,
    /// Whether `max_in_flight` was derived from the open-file limit rather than given.
    pub max_in_flight_auto: bool,
    /// `--duration`, `--rate`, `--ramp`: when set, modes run until time is up instead of a count.
    pub pace: Pace,
}

impl LifecycleConfig {
    pub fn count_for(&self, mode: LifecycleMode) -> u64 {
        if self.pace.is_timed() {
            // Until time is up: the deadline ends the launches, never the count.
            return u64::MAX;
        }
        match mode {
            LifecycleMode::Burst => self.burst_size,
            _ => self.count,
        }
    }

    /// Sandboxes planned over all selected modes; 0 when timed (unknown until time is up).
    pub fn planned(&self) -> u64 {
        if self.pace.is_timed() {
            return 0;
        }
        self.modes.iter().map(|m| self.count_for(*m)).sum()
    }

    /// The open model's rate in a timed run: `--rate`, else one per `--stagger-ms`.
    pub fn rate(&self) -> Option<f64> {
        self.pace
            .rate
            .or_else(|| (!self.stagger.is_zero()).then(|| 1.0 / self.stagger.as_secs_f64()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StorageConfig {
    pub sizes_mb: Vec<f64>,
    pub iterations: u32,
    /// `--duration`: each size transfers for its share of this time instead of `iterations` times.
    pub until: Option<Duration>,
}

impl StorageConfig {
    pub fn planned(&self) -> u64 {
        self.sizes_mb.len() as u64 * u64::from(self.iterations)
    }
}

/// The selected workloads (in run order) and their parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadsConfig {
    pub selected: Vec<WorkloadKind>,
    pub lifecycle: LifecycleConfig,
    pub storage: StorageConfig,
}

impl WorkloadsConfig {
    pub fn runs(&self, kind: WorkloadKind) -> bool {
        self.selected.contains(&kind)
    }
}

const MAX_SANDBOXES: i64 = 10_000_000;
const MAX_STORAGE_MB: f64 = 1024.0;
pub const CREATE_TIMEOUT: Duration = Duration::from_secs(120);
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Ceiling of the automatic `--max-in-flight`: past about a thousand concurrent connections one
/// runner mostly measures itself (a 100k burst against serve: 4096 in flight took 253 s and 328 MB,
/// 128 took 105 s and 133 MB), not the platform; shard instead.
pub const AUTO_MAX_IN_FLIGHT: u64 = 1024;

/// Profile defaults: (workloads, modes, count per mode, burst size, storage sizes, iterations).
fn profile_defaults(profile: Profile) -> (Vec<WorkloadKind>, Vec<LifecycleMode>, u64, u64, Vec<f64>, u32) {
    use LifecycleMode::*;
    use WorkloadKind::*;
    let all_modes = vec![Sequential, Staggered, Burst];
    let default_sizes = vec![1.0, 4.0, 10.0, 16.0];
    match profile {
        Profile::Smoke => (vec![Checkpoint, Lifecycle, Storage], all_modes, 10, 10, vec![1.0], 3),
        Profile::Full => (
            vec![Checkpoint, Lifecycle, Storage],
            all_modes,
            100,
            100,
            default_sizes,
            10,
        ),
        Profile::Burst => (vec![Lifecycle], vec![Burst], 1000, 1000, default_sizes, 10),
        Profile::Chaos => (vec![WorkloadKind::Chaos], all_modes, 10, 10, vec![1.0], 3),
        Profile::Storm => (vec![Checkpoint], all_modes, 10, 10, vec![1.0], 3),
        Profile::Soak => (
            vec![Checkpoint, Lifecycle, Storage],
            vec![Staggered],
            10,
            10,
            vec![1.0],
            3,
        ),
    }
}

pub fn build(args: &RunArgs, profile: Profile) -> Result<WorkloadsConfig, ConfigError> {
    let (workloads, modes, count, burst, sizes, iterations) = profile_defaults(profile);
    let selected = match &args.workload {
        None => workloads,
        Some(text) => parse_list("--workload", text, WorkloadKind::parse, WorkloadKind::NAMES)?,
    };
    let pace = super::pace::build(args, profile)?;
    let modes = match &args.modes {
        // A timed run is an open model by default: the staggered mode at --rate.
        None if pace.is_timed() => vec![LifecycleMode::Staggered],
        None => modes,
        Some(text) => parse_list("--modes", text, LifecycleMode::parse, LifecycleMode::NAMES)?,
    };
    check_timed(&pace, &modes, &selected, args)?;
    let count = int_in(
        "--lifecycle-count",
        args.lifecycle_count,
        count as i64,
        1,
        MAX_SANDBOXES,
    )? as u64;
    // An explicit --lifecycle-count sizes the burst too, unless --burst-size says otherwise.
    let burst_default = if args.lifecycle_count.is_some() { count } else { burst };
    let burst_size = int_in("--burst-size", args.burst_size, burst_default as i64, 1, MAX_SANDBOXES)? as u64;
    let stagger_ms = int_in("--stagger-ms", args.stagger_ms, 200, 0, 3_600_000)? as u64;
    let ready_cmd = match &args.ready_cmd {
        None => vec!["true".to_string()],
        Some(text) => {
            let argv: Vec<String> = text.split_whitespace().map(str::to_string).collect();
            if argv.is_empty() {
                return Err(ConfigError::new(
                    "--ready-cmd",
                    "must name a command (got an empty string)",
                ));
            }
            argv
        }
    };
    let (max_in_flight, max_in_flight_auto) = match args.max_in_flight {
        Some(_) => (
            int_in("--max-in-flight", args.max_in_flight, 1, 1, MAX_SANDBOXES)? as u64,
            false,
        ),
        None => (auto_max_in_flight(), true),
    };
    let sizes_mb = match &args.storage_sizes {
        None => sizes,
        Some(text) => parse_sizes(text)?,
    };
    let iterations = int_in(
        "--storage-iterations",
        args.storage_iterations,
        i64::from(iterations),
        1,
        1_000_000,
    )? as u32;
    Ok(WorkloadsConfig {
        selected,
        lifecycle: LifecycleConfig {
            modes,
            count,
            burst_size,
            stagger: Duration::from_millis(stagger_ms),
            ready_cmd,
            create_timeout: CREATE_TIMEOUT,
            ready_timeout: READY_TIMEOUT,
            start_at: None,
            max_in_flight,
            max_in_flight_auto,
            pace,
        },
        storage: StorageConfig {
            sizes_mb,
            iterations,
            until: None,
        },
    })
}

/// A timed run needs the lifecycle workload and modes that have a meaning without a count.
fn check_timed(
    pace: &Pace,
    modes: &[LifecycleMode],
    selected: &[WorkloadKind],
    args: &RunArgs,
) -> Result<(), ConfigError> {
    if !pace.is_timed() {
        if args.rate.is_some() || args.arrivals.is_some() {
            let flag = if args.rate.is_some() { "--rate" } else { "--arrivals" };
            return Err(ConfigError::new(flag, "only means something with --duration or --ramp"));
        }
        return Ok(());
    }
    let flag = if pace.ramp.is_some() { "--ramp" } else { "--duration" };
    if pace.ramp.is_some() && !selected.contains(&WorkloadKind::Lifecycle) {
        return Err(ConfigError::new(
            flag,
            "searches the lifecycle's creation rate: select it with --workload lifecycle",
        ));
    }
    if let Some(kind) = selected
        .iter()
        .find(|k| pace.ramp.is_none() && matches!(k, WorkloadKind::Contention | WorkloadKind::Chaos))
    {
        return Err(ConfigError::new(
            flag,
            format!(
                "runs checkpoint, lifecycle and storage together until time is up; {} is count-based: run it without --duration",
                kind.name()
            ),
        ));
    }
    if modes.contains(&LifecycleMode::Burst) {
        return Err(ConfigError::new(
            "--modes",
            format!("burst is a count (--burst-size) and cannot run for {flag}: use staggered or sequential"),
        ));
    }
    if pace.ramp.is_some() && modes != [LifecycleMode::Staggered] {
        return Err(ConfigError::new(
            "--modes",
            "--ramp offers rates: it runs the staggered mode only",
        ));
    }
    if pace.rate.is_none()
        && pace.ramp.is_none()
        && args.stagger_ms == Some(0)
        && modes.contains(&LifecycleMode::Staggered)
    {
        return Err(ConfigError::new(
            "--rate",
            "a timed staggered run needs --rate R/s (or --stagger-ms above 0)",
        ));
    }
    Ok(())
}

/// What the open-file limit allows (see [`crate::fdlimit`]), at most [`AUTO_MAX_IN_FLIGHT`].
pub fn auto_max_in_flight() -> u64 {
    crate::fdlimit::in_flight_budget()
        .unwrap_or(AUTO_MAX_IN_FLIGHT)
        .min(AUTO_MAX_IN_FLIGHT)
}

/// A comma-separated list of names, deduplicated and put in canonical (run) order.
fn parse_list<T: Ord + Copy>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<Vec<T>, ConfigError> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let item = parse(name).ok_or_else(|| {
            ConfigError::new(
                field,
                format!("unknown name {name:?} (expected one of: {})", names.join(", ")),
            )
        })?;
        out.push(item);
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(ConfigError::new(
            field,
            format!("must name at least one of: {}", names.join(", ")),
        ));
    }
    Ok(out)
}

pub(super) fn parse_sizes(text: &str) -> Result<Vec<f64>, ConfigError> {
    let mut sizes = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let size: f64 = part
            .parse()
            .map_err(|_| ConfigError::new("--storage-sizes", format!("{part:?} is not a size in MB")))?;
        if !(size > 0.0 && size <= MAX_STORAGE_MB) {
            return Err(ConfigError::new(
                "--storage-sizes",
                format!("each size must be more than 0 and at most {MAX_STORAGE_MB} MB (got {part})"),
            ));
        }
        if !sizes.contains(&size) {
            sizes.push(size);
        }
    }
    if sizes.is_empty() {
        return Err(ConfigError::new("--storage-sizes", "must list at least one size in MB"));
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_with(profile: Profile, f: impl FnOnce(&mut RunArgs)) -> Result<WorkloadsConfig, ConfigError> {
        let mut args = RunArgs::default();
        f(&mut args);
        build(&args, profile)
    }

    #[test]
    fn profiles_and_overrides() {
        let smoke = build_with(Profile::Smoke, |_| {}).unwrap();
        assert_eq!(smoke.selected.len(), 3);
        assert_eq!((smoke.lifecycle.count, smoke.lifecycle.burst_size), (10, 10));
        assert_eq!(
            (smoke.storage.sizes_mb.clone(), smoke.storage.iterations),
            (vec![1.0], 3)
        );
        let burst = build_with(Profile::Burst, |a| a.burst_size = Some(2000)).unwrap();
        assert_eq!(burst.selected, vec![WorkloadKind::Lifecycle]);
        assert_eq!(burst.lifecycle.modes, vec![LifecycleMode::Burst]);
        assert_eq!(burst.lifecycle.planned(), 2000);
        let full = build_with(Profile::Full, |a| {
            a.workload = Some("storage,lifecycle".into());
            a.modes = Some("burst,sequential".into());
            a.lifecycle_count = Some(7);
        })
        .unwrap();
        assert_eq!(full.selected, vec![WorkloadKind::Lifecycle, WorkloadKind::Storage]);
        assert_eq!(
            full.lifecycle.modes,
            vec![LifecycleMode::Sequential, LifecycleMode::Burst]
        );
        assert_eq!(full.lifecycle.planned(), 14);
        assert_eq!(full.storage.sizes_mb, vec![1.0, 4.0, 10.0, 16.0]);
    }

    #[test]
    fn errors_name_the_flag() {
        type Edit = Box<dyn FnOnce(&mut RunArgs)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("--workload", Box::new(|a| a.workload = Some("lifecycle,nap".into()))),
            ("--workload", Box::new(|a| a.workload = Some(",".into()))),
            ("--modes", Box::new(|a| a.modes = Some("sideways".into()))),
            ("--lifecycle-count", Box::new(|a| a.lifecycle_count = Some(0))),
            ("--burst-size", Box::new(|a| a.burst_size = Some(-5))),
            ("--stagger-ms", Box::new(|a| a.stagger_ms = Some(-1))),
            ("--ready-cmd", Box::new(|a| a.ready_cmd = Some("  ".into()))),
            ("--storage-sizes", Box::new(|a| a.storage_sizes = Some("1,x".into()))),
            ("--storage-sizes", Box::new(|a| a.storage_sizes = Some("0".into()))),
            ("--storage-iterations", Box::new(|a| a.storage_iterations = Some(0))),
        ];
        for (field, f) in cases {
            let err = build_with(Profile::Smoke, f).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }
}
