//! `stress-action run`: its flags, turned into the library's `RunArgs` (merged over stress.toml) and
//! validated there, so errors name flags the same way whatever the source; then the run, and the
//! publishing step after it. Exit code: the verdict's (0, 1, 3), 2 for a usage error, 130 when
//! interrupted (partial results are written first).

use std::path::PathBuf;

use clap::Args;
use stress_action::cancel::CancelToken;
use stress_action::config::publish::PublishArgs;
use stress_action::config::{self, RunArgs, RunConfig};
use stress_action::error::ConfigError;
use stress_action::ExitStatus;

use super::fail;

#[derive(Args, Debug)]
pub struct RunCmd {
    /// A stress.toml whose keys are these flags' names; flags given here override it.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// smoke (10 restores, 1 round), full (1000 restores, 5 rounds), burst (lifecycle burst only),
    /// chaos (fault schedules a correct platform must survive) or storm (20 checkpoints, 10 at once,
    /// each restored 5 times).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Where sandboxes live: local (default).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Which platform, region or instance type this run measures, shown in every output and ranked
    /// by `leaderboard` (default: the provider kind plus the endpoint's host, e.g. `http api.example.com`).
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Work directory of the local provider (default: a private directory in the system temp dir).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Total restores across all rounds.
    #[arg(short = 'n', long, value_name = "N", allow_negative_numbers = true)]
    pub restores: Option<i64>,
    /// Checkpoint rounds; each writes a fresh marker and checkpoint.
    #[arg(short = 'r', long, value_name = "N", allow_negative_numbers = true)]
    pub rounds: Option<i64>,
    /// Restores in flight at once, shared by every round in flight.
    #[arg(short = 'c', long, value_name = "N", allow_negative_numbers = true)]
    pub concurrency: Option<i64>,
    /// Checkpoint rounds in flight at once, each with its own sandbox, marker and checkpoint, so
    /// this many checkpoints are taken together (default 1; storm 10).
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub round_concurrency: Option<i64>,
    /// Size of the random marker file in MB (default 5).
    #[arg(long = "marker-size", value_name = "MB", allow_negative_numbers = true)]
    pub marker_size: Option<f64>,
    /// Run directory (default results/<UTC timestamp>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for markers and the self-test (default random, printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print only errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
    /// Self-test: damage this fraction of restores before verification (0..1).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub inject_corruption: Option<f64>,
    /// Above this fraction of infra errors a workload is inconclusive; judged per workload, the
    /// chaos workload excepted (default 0.1).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub max_infra_rate: Option<f64>,
    /// Timeout of each command run in a sandbox, in milliseconds (default 60000).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub exec_timeout_ms: Option<i64>,
    /// Workloads to run, comma-separated: checkpoint, lifecycle, storage, object-storage, contention, chaos (default:
    /// the profile's).
    #[arg(long, value_name = "LIST")]
    pub workload: Option<String>,
    /// Lifecycle modes, comma-separated: sequential, staggered, burst (default: the profile's).
    #[arg(long, value_name = "LIST")]
    pub modes: Option<String>,
    /// Sandboxes per lifecycle mode (smoke 10, full 100).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub lifecycle_count: Option<i64>,
    /// Sandboxes released together in the burst mode (burst profile: 1000).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub burst_size: Option<i64>,
    /// Interval between launches in the staggered mode, in milliseconds (default 200).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub stagger_ms: Option<i64>,
    /// First command in each sandbox (time to interactive) and liveness probe (default `true`).
    #[arg(long, value_name = "CMD")]
    pub ready_cmd: Option<String>,
    /// Lifecycle requests in flight at once, each holding one connection (default: what the
    /// open-file limit allows); all sandboxes of a burst are still released together.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub max_in_flight: Option<i64>,
    /// Storage and object-storage file sizes in MB, comma-separated (default 1,4,10,16; smoke's
    /// storage 1).
    #[arg(long, value_name = "LIST")]
    pub storage_sizes: Option<String>,
    /// Upload/download iterations per storage size (default 10).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub storage_iterations: Option<i64>,
    /// S3-compatible endpoint of the object-storage workload (default: AWS S3); credentials come
    /// from the standard AWS environment (keys, profile, OIDC web identity).
    #[arg(long, value_name = "URL")]
    pub object_store_endpoint: Option<String>,
    /// Bucket of the object-storage workload (required with it).
    #[arg(long, value_name = "NAME")]
    pub object_store_bucket: Option<String>,
    /// Key prefix of the object-storage workload (default stress-action); each run writes under a
    /// unique segment below it and sweeps only that.
    #[arg(long, value_name = "PREFIX")]
    pub object_store_prefix: Option<String>,
    /// Base URL of an HTTP provider (--provider http).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Environment variable holding the HTTP provider's bearer token (default STRESS_ACTION_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Plugin program and its arguments, split like a shell would (--provider command).
    #[arg(long, value_name = "COMMAND")]
    pub provider_cmd: Option<String>,
    /// After the run, publish the run directory (S3, PR comment); a failure only warns.
    #[arg(long)]
    pub publish: bool,
    #[command(flatten)]
    pub publishing: PublishArgs,
    /// Do shard I of N (1-based) of every workload; `stress-action aggregate` merges the shards.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Id shared by the shards of one run (default gh-<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>, else `local`).
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,
    /// Release the burst at this RFC 3339 instant (the same for every shard); late shards start at once.
    #[arg(long, value_name = "RFC3339")]
    pub start_at: Option<String>,
    /// An objective the run must meet, METRIC OP VALUE[UNIT] (repeatable), e.g.
    /// 'lifecycle.burst.tti.p95 < 2s'. Crossed fails the run, no data is inconclusive.
    ///
    /// OP is one of < <= > >=. Metrics and their units:
    /// lifecycle.<sequential|staggered|burst>.<create|first_command|tti|destroy>.<STAT>,
    /// checkpoint.<checkpoint|restore|verify>.<STAT> (checkpoint: request to ready), <storage|object-storage>.<upload|download>.<STAT> (all sizes merged)
    /// and contention.write.<STAT> are latencies and need ms or s (STAT: p50 p90 p95 p99 p999 max
    /// mean); lifecycle.<mode>.success_rate, retries.<create|exec|write_file|read_file|checkpoint|restore|destroy>.rate
    /// and <workload>.infra_rate are rates, a percent (5%) or without a unit a fraction (0.05);
    /// <storage|object-storage>.<upload|download>.mbps is MB/s with or without the unit; <workload>.leaked is a count
    /// without a unit; lifecycle.<mode>.<tti|create>.drift and checkpoint.<checkpoint|restore>.drift
    /// (a timed run's last-third p95 over its first-third p95) and lifecycle.sustainable_rate (the
    /// knee of --ramp, per second) are plain numbers. Flags replace the list of the config file.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    #[command(flatten)]
    pub chaos: ChaosFlags,
    #[command(flatten)]
    pub pace: PaceFlags,
}

/// Duration-bounded runs and the capacity search.
#[derive(Args, Debug)]
pub struct PaceFlags {
    /// Run the lifecycle until this much time is up instead of a count (30s, 10m, 1h); sandboxes
    /// in flight at the deadline finish and count. Selects the staggered mode unless --modes says.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Arrival rate of a timed staggered run, R/s or R/m (default: one per --stagger-ms).
    #[arg(long, value_name = "R/s")]
    pub rate: Option<String>,
    /// How arrivals are spaced: fixed (one every 1/R s) or poisson (exponential gaps, seeded).
    #[arg(long, value_name = "KIND")]
    pub arrivals: Option<String>,
    /// Capacity search: offer a rate rising from FROM to TO per second in equal steps over --over,
    /// judge each step, report the sustainable rate (the knee), stop two failed steps past it.
    #[arg(long, value_name = "FROM/s..TO/s")]
    pub ramp: Option<String>,
    /// How long the ramp takes, e.g. 5m.
    #[arg(long, value_name = "DURATION")]
    pub over: Option<String>,
    /// Steps of the ramp (default 15): the windows it is judged in.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub ramp_steps: Option<i64>,
    /// How the ramp's rate rises: stepped (one rate per step, the default) or linear (continuously
    /// from FROM to TO; each step offers the mean rate over it).
    #[arg(long, value_name = "SHAPE")]
    pub ramp_shape: Option<String>,
    /// What a ramp step must hold, e.g. 'p95_tti<=2x,success>=99%' (the default: p95 time to
    /// interactive at most twice the lowest step's, 99 % verified) or 'p95_tti<=800ms'.
    #[arg(long, value_name = "SLO")]
    pub slo: Option<String>,
    /// Width of the time-series windows of a timed run (default 10s).
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
}

/// Contention workload and fault schedule flags.
#[derive(Args, Debug)]
pub struct ChaosFlags {
    /// Concurrent writers of the contention workload (default 10).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub writers: Option<i64>,
    /// Writes per writer (default 100).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub writes: Option<i64>,
    /// Write command, split like a shell would; {writer}, {seq} and {id} are replaced per write.
    #[arg(long, value_name = "CMD")]
    pub write_cmd: Option<String>,
    /// Prints what the store holds: JSON lines with an "id", or one id per line.
    #[arg(long, value_name = "CMD")]
    pub list_cmd: Option<String>,
    /// Built-in demo store instead of --write-cmd and --list-cmd: flock (correct) or naive (loses
    /// updates).
    #[arg(long, value_name = "NAME")]
    pub contention_target: Option<String>,
    /// Timeout of each write; a write over it is a `timeout` (possible deadlock) (default 30000).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub write_timeout_ms: Option<i64>,
    /// Fault schedule, comma-separated: kill9, restart-server, latency, reset, 5xx, unquiesced-checkpoint.
    #[arg(long, value_name = "LIST")]
    pub nemesis: Option<String>,
    /// Run the chaos scenarios K times and report the pass rate per scenario (default 1).
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub repeat: Option<i64>,
}

impl RunCmd {
    /// The flags merged over the config file, if one was named.
    pub fn into_run_args(self) -> Result<RunArgs, ConfigError> {
        let file = self.config.as_deref().map(config::file::load).transpose()?;
        let flags = self.flag_args();
        Ok(match file {
            Some(file) => config::file::merge(flags, file),
            None => flags,
        })
    }

    fn flag_args(self) -> RunArgs {
        RunArgs {
            profile: self.profile,
            provider: self.provider,
            label: self.label,
            work_dir: self.work_dir,
            restores: self.restores,
            rounds: self.rounds,
            concurrency: self.concurrency,
            round_concurrency: self.round_concurrency,
            marker_size_mb: self.marker_size,
            out: self.out,
            seed: self.seed,
            quiet: self.quiet,
            inject_corruption: self.inject_corruption,
            max_infra_rate: self.max_infra_rate,
            exec_timeout_ms: self.exec_timeout_ms,
            workload: self.workload,
            modes: self.modes,
            lifecycle_count: self.lifecycle_count,
            burst_size: self.burst_size,
            stagger_ms: self.stagger_ms,
            ready_cmd: self.ready_cmd,
            max_in_flight: self.max_in_flight,
            storage_sizes: self.storage_sizes,
            storage_iterations: self.storage_iterations,
            object_store_endpoint: self.object_store_endpoint,
            object_store_bucket: self.object_store_bucket,
            object_store_prefix: self.object_store_prefix,
            endpoint: self.endpoint,
            token_env: self.token_env,
            provider_cmd: self.provider_cmd,
            publish: self.publish,
            publishing: self.publishing,
            writers: self.chaos.writers,
            writes: self.chaos.writes,
            write_cmd: self.chaos.write_cmd,
            list_cmd: self.chaos.list_cmd,
            contention_target: self.chaos.contention_target,
            write_timeout_ms: self.chaos.write_timeout_ms,
            nemesis: self.chaos.nemesis,
            repeat: self.chaos.repeat,
            chaos: None,
            shard: self.shard,
            group: self.group,
            start_at: self.start_at,
            thresholds: (!self.threshold.is_empty()).then_some(self.threshold),
            duration: self.pace.duration,
            rate: self.pace.rate,
            arrivals: self.pace.arrivals,
            ramp: self.pace.ramp,
            over: self.pace.over,
            ramp_steps: self.pace.ramp_steps,
            ramp_shape: self.pace.ramp_shape,
            slo: self.pace.slo,
            window: self.pace.window,
        }
    }
}

/// `run`: the run, then (with `--publish` or a baseline) the publishing step.
pub async fn run_cmd(cmd: RunCmd) -> i32 {
    let args = match cmd.into_run_args() {
        Ok(args) => args,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let (publish, publishing, token_env) = (args.publish, args.publishing.clone(), args.token_env.clone());
    if let Some(code) = super::publish::check_flags(&publishing) {
        return code;
    }
    let cfg = match RunConfig::build(args) {
        Ok(cfg) => cfg,
        Err(e) => return fail(&e, ExitStatus::Usage),
    };
    let cancel = CancelToken::new();
    watch_signals(cancel.clone());
    match stress_action::run::run(cfg, cancel).await {
        Ok(summary) => {
            let publishing = (publish, publishing);
            super::publish::after_run(
                &summary.out_dir,
                publishing,
                token_env.as_deref(),
                summary.exit_status(),
            )
            .await
        }
        Err(e) => fail(&e, e.exit_status()),
    }
}

/// First SIGINT/SIGTERM: stop issuing work and write partial results. Second: leave at once.
fn watch_signals(cancel: CancelToken) {
    use tokio::signal::unix::{signal, SignalKind};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return;
        };
        for attempt in 0..2 {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if attempt == 0 {
                eprintln!("interrupted: finishing in-flight operations and writing partial results (again to abort)");
                cancel.cancel();
            } else {
                eprintln!("interrupted twice: exiting without waiting");
                std::process::exit(ExitStatus::Interrupted.code());
            }
        }
    });
}
