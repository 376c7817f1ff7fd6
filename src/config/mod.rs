//! The validated, clap-free description of a run.
//!
//! [`RunArgs`] holds what the user said (every field optional); [`RunConfig::build`] layers it over
//! the profile's defaults and validates the result, naming the offending flag in every error so a
//! typo in a workflow file is a one-line fix.

pub mod chaos;
pub mod compare;
pub mod contention;
pub mod file;
pub mod object_store;
pub mod pace;
mod profile;
mod provider;
pub mod publish;
pub mod shard;
pub mod threshold;
pub mod workloads;

use std::path::PathBuf;
use std::time::Duration;

// Re-exported for code that still imports it from here (the reference server); it lives with the
// other error types so that config, a leaf, imports nothing but `error`.
pub use crate::error::ConfigError;
pub use chaos::{ChaosConfig, Nemesis};
pub use profile::Profile;
pub use provider::{ProviderConfig, Secret, COMMAND_MAX_FILE_MB, DEFAULT_TOKEN_ENV};
pub use threshold::Threshold;
pub use workloads::{LifecycleConfig, LifecycleMode, StorageConfig, WorkloadKind, WorkloadsConfig};

/// Everything the user may say about a run; `None` means "take the profile's value".
///
/// The same struct is read from `stress.toml` (see [`file`]): keys are the flag names without the
/// dashes in front, so every flag of `run` can be set in the file, and unknown keys are refused.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunArgs {
    pub profile: Option<String>,
    pub provider: Option<String>,
    /// Which platform, region or instance type this run measured (`--label`), so runs of the same
    /// provider kind can be told apart and ranked side by side by `leaderboard`.
    pub label: Option<String>,
    pub work_dir: Option<PathBuf>,
    pub restores: Option<i64>,
    pub rounds: Option<i64>,
    pub concurrency: Option<i64>,
    /// Checkpoint rounds in flight at once (`--round-concurrency`).
    pub round_concurrency: Option<i64>,
    #[serde(rename = "marker-size")]
    pub marker_size_mb: Option<f64>,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    pub quiet: bool,
    pub inject_corruption: Option<f64>,
    pub max_infra_rate: Option<f64>,
    pub exec_timeout_ms: Option<i64>,
    pub workload: Option<String>,
    pub modes: Option<String>,
    pub lifecycle_count: Option<i64>,
    pub burst_size: Option<i64>,
    pub stagger_ms: Option<i64>,
    pub ready_cmd: Option<String>,
    pub max_in_flight: Option<i64>,
    pub storage_sizes: Option<String>,
    pub storage_iterations: Option<i64>,
    /// The object-storage workload's store (see [`object_store`]).
    pub object_store_endpoint: Option<String>,
    pub object_store_bucket: Option<String>,
    pub object_store_prefix: Option<String>,
    pub endpoint: Option<String>,
    pub token_env: Option<String>,
    pub provider_cmd: Option<String>,
    /// Publish after the run (S3, PR comment): `--publish`, or `publish = true` or a `[publish]`
    /// table in stress.toml.
    pub publish: bool,
    /// Where to publish. In stress.toml the `[publish]` table (or, as in older files, the same keys at
    /// the top level); `file` moves them here, so this field is not a key of its own.
    #[serde(skip)]
    pub publishing: publish::PublishArgs,
    /// Contention workload and fault schedule (see `config/chaos.rs`).
    pub writers: Option<i64>,
    pub writes: Option<i64>,
    pub write_cmd: Option<String>,
    pub list_cmd: Option<String>,
    pub contention_target: Option<String>,
    pub write_timeout_ms: Option<i64>,
    pub nemesis: Option<String>,
    pub repeat: Option<i64>,
    /// `[chaos]` in stress.toml: the fault schedule as a table; `nemesis`/`repeat` above win.
    pub chaos: Option<chaos::ChaosTable>,
    /// This run's slice of a matrix, `I/N` (see [`shard`]).
    pub shard: Option<String>,
    pub group: Option<String>,
    pub start_at: Option<String>,
    /// `--threshold` (repeatable); `thresholds = [...]` in stress.toml, where flags replace the list.
    #[serde(alias = "threshold")]
    pub thresholds: Option<Vec<String>>,
    /// Duration-bounded runs and the capacity ramp (see [`pace`]).
    pub duration: Option<String>,
    pub rate: Option<String>,
    pub arrivals: Option<String>,
    pub ramp: Option<String>,
    pub over: Option<String>,
    pub ramp_steps: Option<i64>,
    pub ramp_shape: Option<String>,
    pub slo: Option<String>,
    pub window: Option<String>,
}

/// The checkpoint workload's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointConfig {
    pub restores: u32,
    pub rounds: u32,
    /// Restores in flight at once, over all rounds in flight: the budget they share.
    pub concurrency: u32,
    /// Rounds in flight at once, each with its own sandbox, marker, commit and checkpoint, so this
    /// many checkpoints are taken together (a checkpoint storm).
    pub round_concurrency: u32,
    /// How long a checkpoint may take from request to ready (polling included) before the round
    /// gives up on it as infra (`timeout`): a checkpoint that never becomes ready is the platform's
    /// failure, and must not hold the run forever.
    pub ready_timeout: Duration,
    pub marker_size_mb: f64,
    /// Fraction of restores the self-test damages before verification (0 = off).
    pub inject_corruption: f64,
    /// Rewrite the marker in the sandbox while the checkpoint is taken: a platform that quiesces
    /// checkpoints captures the finished write; one that does not captures a torn file.
    pub write_during_checkpoint: bool,
    /// `--duration`: rounds go on (each with its share of the restores) until this much time has
    /// passed since the workload started, instead of stopping after `rounds`.
    pub until: Option<Duration>,
}

impl CheckpointConfig {
    pub fn marker_bytes(&self) -> usize {
        (self.marker_size_mb * 1024.0 * 1024.0).round() as usize
    }

    /// Restores of round `round` (0-based): spread as evenly as possible, earlier rounds take the rest.
    pub fn restores_in_round(&self, round: u32) -> u32 {
        let base = self.restores / self.rounds;
        base + u32::from(round < self.restores % self.rounds)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub profile: Profile,
    pub provider: ProviderConfig,
    /// `--label`, or the provider kind and the endpoint's host (see [`ProviderConfig::default_label`]).
    pub label: String,
    pub out_dir: PathBuf,
    pub seed: u64,
    pub quiet: bool,
    pub max_infra_rate: f64,
    pub exec_timeout: Duration,
    pub checkpoint: CheckpointConfig,
    pub workloads: WorkloadsConfig,
    pub contention: contention::ContentionConfig,
    /// Set when the object-storage workload is selected.
    pub object_store: Option<object_store::ObjectStoreConfig>,
    pub chaos: ChaosConfig,
    /// Set when this run is one shard of a matrix; the workloads are already cut to its slice.
    pub shard: Option<shard::ShardSpec>,
    /// Objectives judged on the finished report (`--threshold`).
    pub thresholds: Vec<Threshold>,
}

/// The file sizes of the selected workloads (the marker: checkpoint and chaos; storage's sizes)
/// checked against what the provider can carry.
fn check_file_sizes(
    provider: &ProviderConfig,
    workloads: &workloads::WorkloadsConfig,
    checkpoint: &CheckpointConfig,
) -> Result<(), ConfigError> {
    let runs_marker = workloads.runs(WorkloadKind::Checkpoint) || workloads.runs(WorkloadKind::Chaos);
    let storage_mb = if workloads.runs(WorkloadKind::Storage) {
        workloads.storage.sizes_mb.as_slice()
    } else {
        &[]
    };
    provider::check_file_sizes(provider, runs_marker.then_some(checkpoint.marker_size_mb), storage_mb)
}

const MAX_MARKER_MB: f64 = 1024.0;
/// A tenth of a workload's operations failing on the platform already means it was not really tested.
pub const DEFAULT_MAX_INFRA_RATE: f64 = 0.1;
const MAX_RESTORES: i64 = 10_000_000;
const MAX_CONCURRENCY: i64 = 100_000;
/// Default of [`CheckpointConfig::ready_timeout`]: as long as the HTTP provider polls a pending
/// checkpoint, so both give up together.
pub const CHECKPOINT_READY_TIMEOUT: Duration = Duration::from_secs(600);

impl RunConfig {
    pub fn build(args: RunArgs) -> Result<Self, ConfigError> {
        let profile = match args.profile.as_deref() {
            None => Profile::Smoke,
            Some(name) => Profile::parse(name).ok_or_else(|| {
                ConfigError::new(
                    "--profile",
                    format!(
                        "unknown profile {name:?} (expected one of: {})",
                        Profile::NAMES.join(", ")
                    ),
                )
            })?,
        };
        let provider = ProviderConfig::from_args(&args)?;
        let label = match args.label.as_deref() {
            Some(text) => provider::parse_label(text)?,
            None => provider.default_label(),
        };
        let checkpoint = checkpoint_config(&args, profile)?;
        let exec_timeout_ms = int_in("--exec-timeout-ms", args.exec_timeout_ms, 60_000, 1, 3_600_000)?;

        let workloads = workloads::build(&args, profile)?;
        check_file_sizes(&provider, &workloads, &checkpoint)?;
        let object_store = object_store::build(&args, workloads.runs(WorkloadKind::ObjectStorage))?;
        // Per workload. The chaos workload is exempt: its scenarios cause infra errors on purpose and
        // each scenario's own rule (the fault hit, something verified, nothing lost) decides.
        let max_infra_rate = fraction(
            "--max-infra-rate",
            args.max_infra_rate.unwrap_or(DEFAULT_MAX_INFRA_RATE),
        )?;
        let chaos_profile = profile == Profile::Chaos;
        let mut contention = contention::build_contention(&args, chaos_profile)?;
        let chaos = chaos::build_chaos(&args, &workloads.selected, &provider, chaos_profile)?;
        if chaos.has(Nemesis::Kill9) && contention.target.is_some() {
            contention::arm_kill9(&mut contention);
        }
        let thresholds = threshold::parse_all(args.thresholds.as_deref().unwrap_or_default())?;
        let seed = args.seed.unwrap_or_else(rand::random);
        let out_dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()));

        // A duration (not a ramp) runs checkpoint rounds and storage transfers until it is up, too.
        let until = workloads
            .lifecycle
            .pace
            .duration
            .filter(|_| workloads.lifecycle.pace.ramp.is_none());
        let mut workloads = workloads;
        workloads.storage.until = until;
        let mut cfg = RunConfig {
            profile,
            provider,
            label,
            out_dir,
            seed,
            quiet: args.quiet,
            max_infra_rate,
            exec_timeout: Duration::from_millis(exec_timeout_ms as u64),
            checkpoint: CheckpointConfig {
                // The unquiesced-checkpoint fault needs a writer racing the checkpoint to tear.
                write_during_checkpoint: chaos.has(Nemesis::UnquiescedCheckpoint),
                until,
                ..checkpoint
            },
            workloads,
            contention,
            object_store,
            chaos,
            shard: None,
            thresholds,
        };
        shard::configure(&args, &mut cfg)?;
        Ok(cfg)
    }
}

/// The checkpoint workload's settings over the profile's defaults (without the chaos schedule's
/// concurrent writer, which `RunConfig::build` decides).
fn checkpoint_config(args: &RunArgs, profile: Profile) -> Result<CheckpointConfig, ConfigError> {
    let defaults = profile.checkpoint_defaults();

    let restores = int_in("--restores", args.restores, defaults.restores.into(), 1, MAX_RESTORES)?;
    let rounds = int_in("--rounds", args.rounds, defaults.rounds.into(), 1, MAX_RESTORES)?;
    let concurrency = int_in(
        "--concurrency",
        args.concurrency,
        defaults.concurrency.into(),
        1,
        MAX_CONCURRENCY,
    )?;
    let round_concurrency = int_in(
        "--round-concurrency",
        args.round_concurrency,
        defaults.round_concurrency.into(),
        1,
        MAX_CONCURRENCY,
    )?;
    if rounds > restores {
        return Err(ConfigError::new(
            "--rounds",
            format!("{rounds} rounds cannot share {restores} restores (--rounds must not exceed --restores)"),
        ));
    }
    let marker_size_mb = args.marker_size_mb.unwrap_or(defaults.marker_size_mb);
    if !(marker_size_mb > 0.0 && marker_size_mb <= MAX_MARKER_MB) {
        return Err(ConfigError::new(
            "--marker-size",
            format!("must be more than 0 and at most {MAX_MARKER_MB} MB (got {marker_size_mb})"),
        ));
    }
    let inject_corruption = fraction("--inject-corruption", args.inject_corruption.unwrap_or(0.0))?;
    Ok(CheckpointConfig {
        restores: restores as u32,
        rounds: rounds as u32,
        concurrency: concurrency as u32,
        round_concurrency: round_concurrency as u32,
        ready_timeout: CHECKPOINT_READY_TIMEOUT,
        marker_size_mb,
        inject_corruption,
        write_during_checkpoint: false,
        until: None,
    })
}

pub(crate) fn int_in(field: &str, value: Option<i64>, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        return Err(ConfigError::new(
            field,
            format!("must be between {min} and {max} (got {v})"),
        ));
    }
    Ok(v)
}

fn fraction(field: &str, v: f64) -> Result<f64, ConfigError> {
    if !(0.0..=1.0).contains(&v) {
        return Err(ConfigError::new(
            field,
            format!("must be a fraction between 0 and 1 (got {v})"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(f: impl FnOnce(&mut RunArgs)) -> Result<RunConfig, ConfigError> {
        let mut args = RunArgs::default();
        f(&mut args);
        RunConfig::build(args)
    }

    #[test]
    fn profile_defaults_and_overrides() {
        let smoke = build(|_| {}).unwrap();
        assert_eq!(
            (
                smoke.checkpoint.restores,
                smoke.checkpoint.rounds,
                smoke.checkpoint.concurrency
            ),
            (10, 1, 5)
        );
        let full = build(|a| {
            a.profile = Some("full".into());
            a.concurrency = Some(8);
        })
        .unwrap();
        assert_eq!(
            (
                full.checkpoint.restores,
                full.checkpoint.rounds,
                full.checkpoint.concurrency
            ),
            (1000, 5, 8)
        );
    }

    #[test]
    fn errors_name_the_flag() {
        type Edit = Box<dyn FnOnce(&mut RunArgs)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("--concurrency", Box::new(|a| a.concurrency = Some(0))),
            ("--round-concurrency", Box::new(|a| a.round_concurrency = Some(0))),
            ("--round-concurrency", Box::new(|a| a.round_concurrency = Some(-3))),
            ("--marker-size", Box::new(|a| a.marker_size_mb = Some(-1.0))),
            ("--rounds", Box::new(|a| a.rounds = Some(0))),
            (
                "--rounds",
                Box::new(|a| {
                    a.restores = Some(3);
                    a.rounds = Some(4);
                }),
            ),
            ("--profile", Box::new(|a| a.profile = Some("huge".into()))),
            ("--inject-corruption", Box::new(|a| a.inject_corruption = Some(1.5))),
        ];
        for (field, f) in cases {
            let err = build(f).unwrap_err();
            assert_eq!(err.field, field);
            assert!(err.to_string().contains(field));
        }
    }

    #[test]
    fn the_storm_profile_takes_ten_checkpoints_at_once() {
        let storm = build(|a| a.profile = Some("storm".into())).unwrap();
        let cp = &storm.checkpoint;
        assert_eq!((cp.rounds, cp.restores, cp.round_concurrency), (20, 100, 10));
        assert_eq!(storm.workloads.selected, vec![WorkloadKind::Checkpoint]);
        assert_eq!(
            build(|_| {}).unwrap().checkpoint.round_concurrency,
            1,
            "one round at a time by default"
        );
        let flag = build(|a| {
            a.profile = Some("storm".into());
            a.round_concurrency = Some(3);
        })
        .unwrap();
        assert_eq!(flag.checkpoint.round_concurrency, 3, "the flag wins over the profile");
    }

    #[test]
    fn restores_spread_over_rounds() {
        let cfg = build(|a| {
            a.restores = Some(11);
            a.rounds = Some(3);
        })
        .unwrap();
        let per: Vec<u32> = (0..3).map(|r| cfg.checkpoint.restores_in_round(r)).collect();
        assert_eq!(per, vec![4, 4, 3]);
    }
}
