//! report.json from what a run recorded: the counters, histograms and workload sections of the
//! recorder, the provider's retry counts and death, and the run's own facts (seed, timing, host).
//! The verdict is left for `report::verdict::judge`, which decides from the report alone.

use chrono::{DateTime, Utc};

use crate::config::RunConfig;
use crate::provider::observed::Observer;
use crate::provider::Provider;
use crate::record::Recorder;
use crate::report::{self, ConfigSnapshot, HostStats, ProviderFailure, RunResult, Totals};
use crate::workload::runner::{self, WorkloadReports};

/// Everything of a finished run that report.json is made from.
pub(super) struct Records<'a> {
    pub cfg: &'a RunConfig,
    pub provider: &'a dyn Provider,
    pub recorder: &'a Recorder,
    pub observer: &'a Observer,
    pub started_at: DateTime<Utc>,
    pub interrupted: bool,
}

impl Records<'_> {
    pub fn into_result(
        self,
        reports: WorkloadReports,
        provider_failure: Option<ProviderFailure>,
        host: HostStats,
    ) -> RunResult {
        let (cfg, recorder) = (self.cfg, self.recorder);
        let finished_at = Utc::now();
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let workloads = cfg
            .workloads
            .selected
            .iter()
            .map(|kind| {
                (
                    kind.name().to_string(),
                    recorder.accounting.workload_result(kind.name()),
                )
            })
            .collect();
        // A timed run is read over time; so is a chaos run, whose faults the series shows. A chaos
        // run's thirds run different scenarios by design: comparing them is no trend.
        let timed = cfg.workloads.lifecycle.pace.is_timed();
        let with_series = timed || reports.chaos.is_some();
        RunResult {
            schema_version: report::SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            // Decided by `report::verdict::judge`, from the report's own contents.
            verdict: report::Verdict::Inconclusive,
            verdict_reasons: Vec::new(),
            interrupted: self.interrupted,
            seed: cfg.seed,
            profile: cfg.profile.name().to_string(),
            provider: self.provider.name().to_string(),
            label: cfg.label.clone(),
            started_at: stamp(self.started_at),
            finished_at: stamp(finished_at),
            duration_s: (finished_at - self.started_at).num_milliseconds() as f64 / 1000.0,
            source: crate::source::detect(&crate::source::process_env, std::path::Path::new(".")),
            config: config_snapshot(cfg),
            totals: self.totals(&reports),
            workloads,
            retries: self.observer.retry_stats(),
            thresholds: Vec::new(),
            provider_failure,
            infra_classes: recorder.accounting.infra_classes(),
            checkpoint: reports.checkpoint,
            lifecycle: reports.lifecycle,
            storage: reports.storage,
            object_storage: reports.object_storage,
            contention: reports.contention,
            chaos: reports.chaos,
            histograms: recorder.histograms.encode_all(),
            histogram_overlap: recorder.histograms.overlap_all(),
            environment: self.environment(),
            shard: crate::shard::shard_info(cfg),
            aggregate: None,
            timeseries: with_series.then(|| {
                let mut series = crate::record::trend::time_series(&recorder.windows);
                if !timed {
                    series.trends.clear();
                }
                series
            }),
            host: Some(host),
            // Set by `run` once the report is built (its own phase is part of it).
            timing: None,
        }
    }

    /// The counters over every workload; what was never issued because of an interrupt is
    /// `cancelled`, not lost.
    fn totals(&self, reports: &WorkloadReports) -> Totals {
        let counts = self.recorder.accounting.total();
        let mut totals = Totals {
            planned: counts.planned,
            verified: counts.verified,
            corrupted: counts.corrupted,
            infra: counts.infra,
            lost: counts.lost(),
            cancelled: runner::expected_operations(self.cfg).saturating_sub(counts.planned),
            ..Default::default()
        };
        for count in reports.checkpoint.iter().flat_map(|c| c.injection.values()) {
            totals.injected += count.injected;
            totals.injected_detected += count.detected;
        }
        totals
    }

    /// Facts about the platform worth knowing when reading the numbers.
    fn environment(&self) -> std::collections::BTreeMap<String, String> {
        self.provider
            .environment()
            .into_iter()
            .chain(crate::fdlimit::current().map(|l| ("open_files_limit".to_string(), l.to_string())))
            .collect()
    }
}

/// The settings the run used, kept so `aggregate` and readers know what was asked for.
fn config_snapshot(cfg: &RunConfig) -> ConfigSnapshot {
    let cp = &cfg.checkpoint;
    let mut config = ConfigSnapshot {
        restores: cp.restores,
        rounds: cp.rounds,
        concurrency: cp.concurrency,
        round_concurrency: Some(cp.round_concurrency),
        marker_size_mb: cp.marker_size_mb,
        inject_corruption: cp.inject_corruption,
        max_infra_rate: cfg.max_infra_rate,
        exec_timeout_ms: cfg.exec_timeout.as_millis() as u64,
        ..Default::default()
    };
    runner::snapshot_workloads(cfg, &mut config);
    config.thresholds = cfg.thresholds.iter().map(|t| t.expr.clone()).collect();
    config
}
