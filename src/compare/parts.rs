//! Which rows a comparison has: every part of the report both runs ran (a lifecycle mode, the
//! checkpoint workload, a storage size), each with its metrics judged, and a note for every part
//! one side did not run or ran with other sizes.

use crate::report::{
    decode_histogram, CheckpointReport, LatencySummary, LifecycleReport, ModeReport, RunResult, StorageSizeReport,
};
use crate::stats::Distribution;

use super::decide::{self, Side};
use super::{CompareSettings, Comparison, MetricRow, Values};

/// What one run says about a part of the report.
enum Part<'a, T> {
    Measured(&'a T),
    /// Not selected in that run, or an older report that does not say what it selected.
    NotRun,
    /// Selected, yet report.json has nothing for it: every metric is "no data".
    Missing,
}

impl<'a, T> Part<'a, T> {
    fn of(value: Option<&'a T>, selected: Option<bool>) -> Self {
        match (value, selected) {
            (Some(v), _) => Part::Measured(v),
            (None, Some(true)) => Part::Missing,
            _ => Part::NotRun,
        }
    }

    fn value(&self) -> Option<&'a T> {
        match self {
            Part::Measured(v) => Some(v),
            _ => None,
        }
    }
}

/// A latency metric: its label, the histogram's last key segment, and the report's summary of it
/// (`None` for a metric older reports never had, compared only when both runs have it).
type Latency<T> = (&'static str, &'static str, fn(&T) -> Option<&LatencySummary>);

const MODE_METRICS: [Latency<ModeReport>; 4] = [
    ("create", "create_ms", |m| Some(&m.create_ms)),
    ("first command", "first_command_ms", |m| Some(&m.first_command_ms)),
    ("TTI", "tti_ms", |m| Some(&m.tti_ms)),
    ("destroy", "destroy_ms", |m| Some(&m.destroy_ms)),
];

const CHECKPOINT_METRICS: [Latency<CheckpointReport>; 3] = [
    ("restore", "restore_ms", |c| Some(&c.restore_ms)),
    ("verify", "verify_ms", |c| Some(&c.verify_ms)),
    ("checkpoint", "checkpoint_ms", |_| None),
];

const STORAGE_METRICS: [Latency<StorageSizeReport>; 2] = [
    ("upload", "upload_ms", |s| Some(&s.upload_ms)),
    ("download", "download_ms", |s| Some(&s.download_ms)),
];

const LIFECYCLE_MODES: [(&str, &str); 3] = [
    ("sequential", "Sequential"),
    ("staggered", "Staggered"),
    ("burst", "Burst"),
];

/// Both runs, metric by metric.
pub fn compare(base: &RunResult, current: &RunResult, settings: CompareSettings) -> Comparison {
    let mut cmp = Comparison {
        settings,
        ..Default::default()
    };
    cmp.incomparable = if base.provider != current.provider {
        Some(format!(
            "different providers ({} and {})",
            base.provider, current.provider
        ))
    } else if base.profile != current.profile {
        Some(format!("different profiles ({} and {})", base.profile, current.profile))
    } else {
        None
    };
    if cmp.incomparable.is_some() {
        return cmp;
    }
    let runs = Runs { base, current };
    runs.lifecycle(&mut cmp);
    runs.checkpoint(&mut cmp);
    runs.storage(&mut cmp);
    cmp
}

struct Runs<'a> {
    base: &'a RunResult,
    current: &'a RunResult,
}

impl Runs<'_> {
    fn lifecycle(&self, cmp: &mut Comparison) {
        let (b, c) = (lifecycle_part(self.base), lifecycle_part(self.current));
        if !both_ran("Lifecycle", &b, &c, cmp) {
            return;
        }
        for (name, label) in LIFECYCLE_MODES {
            let (bm, cm) = (mode_part(self.base, &b, name), mode_part(self.current, &c, name));
            if !both_ran(label, &bm, &cm, cmp)
                || !same_size(label, mode_size(self.base, name), mode_size(self.current, name), cmp)
            {
                continue;
            }
            let prefix = format!("lifecycle.{name}");
            self.latencies(cmp, label, &prefix, &MODE_METRICS, (bm.value(), cm.value()));
            let rate = |m: Option<&ModeReport>| m.map(|m| (m.status.success, m.count));
            let (bv, cv, evidence, decision) = decide::rate(rate(bm.value()), rate(cm.value()), &cmp.settings);
            cmp.rows.push(MetricRow {
                section: label.to_string(),
                metric: "success rate",
                key: format!("{prefix}.success_rate"),
                base: bv,
                current: cv,
                evidence,
                decision,
            });
        }
    }

    fn checkpoint(&self, cmp: &mut Comparison) {
        let (b, c) = (checkpoint_part(self.base), checkpoint_part(self.current));
        let size = |r: &RunResult| {
            let c = &r.config;
            Some(format!(
                "{} restores in {} rounds at concurrency {}, {} MB marker",
                c.restores, c.rounds, c.concurrency, c.marker_size_mb
            ))
        };
        if both_ran("Checkpoint", &b, &c, cmp) && same_size("Checkpoint", size(self.base), size(self.current), cmp) {
            self.latencies(
                cmp,
                "Checkpoint",
                "checkpoint.all",
                &CHECKPOINT_METRICS,
                (b.value(), c.value()),
            );
        }
    }

    fn storage(&self, cmp: &mut Comparison) {
        self.per_size(&STORAGE, cmp);
        self.per_size(&OBJECT_STORAGE, cmp);
    }

    /// A workload measured per size (storage, object-storage): one part per size.
    fn per_size(&self, w: &PerSize, cmp: &mut Comparison) {
        let (b, c) = (w.part(self.base), w.part(self.current));
        if !both_ran(w.title, &b, &c, cmp) {
            return;
        }
        // This run's sizes first, then any only the baseline has, then any configured but not reported.
        let mut sizes: Vec<f64> = Vec::new();
        let reported =
            |p: &Part<Vec<StorageSizeReport>>| p.value().map(|s| s.iter().map(|z| z.size_mb).collect::<Vec<_>>());
        for size in [reported(&c), reported(&b)]
            .into_iter()
            .flatten()
            .flatten()
            .chain((w.configured)(self.current).iter().copied())
            .chain((w.configured)(self.base).iter().copied())
        {
            if !sizes.iter().any(|s| same_mb(*s, size)) {
                sizes.push(size);
            }
        }
        for size in sizes {
            let (bs, cs) = (size_part(w, self.base, &b, size), size_part(w, self.current, &c, size));
            let label = format!("{} {size} MB", w.title);
            if both_ran(&label, &bs, &cs, cmp) {
                let prefix = format!("{}.{size}mb", w.workload);
                self.latencies(cmp, &label, &prefix, &STORAGE_METRICS, (bs.value(), cs.value()));
            }
        }
    }

    /// One row per latency metric of a part both runs ran (`None` = selected but missing).
    fn latencies<T>(
        &self,
        cmp: &mut Comparison,
        section: &str,
        prefix: &str,
        metrics: &[Latency<T>],
        parts: (Option<&T>, Option<&T>),
    ) {
        for (metric, name, summary) in metrics {
            let key = format!("{prefix}.{name}");
            let (b, c) = (
                side(self.base, &key, parts.0.map(summary)),
                side(self.current, &key, parts.1.map(summary)),
            );
            // A metric older reports never had is compared only when both runs have it.
            let (Some(b), Some(c)) = (b, c) else {
                continue;
            };
            let (bv, cv, evidence, decision) = decide::latency(&b, &c, &cmp.settings, seed_of(&key));
            cmp.rows.push(MetricRow {
                section: section.to_string(),
                metric,
                key,
                base: bv,
                current: cv,
                evidence,
                decision,
            });
        }
    }
}

fn lifecycle_part(r: &RunResult) -> Part<'_, LifecycleReport> {
    Part::of(r.lifecycle.as_ref(), selected(r, "lifecycle"))
}

fn checkpoint_part(r: &RunResult) -> Part<'_, CheckpointReport> {
    Part::of(r.checkpoint.as_ref(), selected(r, "checkpoint"))
}

/// A workload measured per size (storage, object-storage): where its sizes are in report.json,
/// and the prefix of its histograms (`<workload>.<size>mb.<metric>`).
struct PerSize {
    workload: &'static str,
    title: &'static str,
    reported: fn(&RunResult) -> Option<&Vec<StorageSizeReport>>,
    configured: fn(&RunResult) -> &[f64],
}

impl PerSize {
    fn part<'a>(&self, r: &'a RunResult) -> Part<'a, Vec<StorageSizeReport>> {
        Part::of((self.reported)(r), selected(r, self.workload))
    }
}

const STORAGE: PerSize = PerSize {
    workload: "storage",
    title: "Storage",
    reported: |r| r.storage.as_ref().map(|s| &s.sizes),
    configured: |r| &r.config.storage_sizes_mb,
};

const OBJECT_STORAGE: PerSize = PerSize {
    workload: "object-storage",
    title: "Object storage",
    reported: |r| r.object_storage.as_ref().map(|s| &s.sizes),
    configured: |r| &r.config.object_storage_sizes_mb,
};

fn mode_part<'a>(r: &RunResult, lifecycle: &Part<'a, LifecycleReport>, name: &str) -> Part<'a, ModeReport> {
    let report = lifecycle.value().and_then(|l| match name {
        "sequential" => l.sequential.as_ref(),
        "staggered" => l.staggered.as_ref(),
        _ => l.burst.as_ref(),
    });
    let chosen = listed(&r.config.lifecycle_modes, |m| m == name);
    Part::of(report, and(selected(r, "lifecycle"), chosen))
}

fn size_part<'a>(
    w: &PerSize,
    r: &RunResult,
    sizes: &Part<'a, Vec<StorageSizeReport>>,
    size: f64,
) -> Part<'a, StorageSizeReport> {
    let report = sizes.value().and_then(|s| s.iter().find(|z| same_mb(z.size_mb, size)));
    let chosen = listed((w.configured)(r), |s| same_mb(*s, size));
    Part::of(report, and(selected(r, w.workload), chosen))
}

/// One run's side of a latency metric: its histogram, or why there is none. `summary` is `None`
/// when the part is missing (`Some(None)`: the part ran, and its report has no summary of this
/// metric). Returns `None` for an optional metric this run's version never measured.
fn side(r: &RunResult, key: &str, summary: Option<Option<&LatencySummary>>) -> Option<Side> {
    let Some(summary) = summary else {
        return Some(Side::Empty);
    };
    match (r.histograms.get(key), summary) {
        (Some(text), _) => Some(match decode_histogram(text) {
            Ok(h) if h.is_empty() => Side::Empty,
            Ok(h) => {
                let overlap = r.histogram_overlap.get(key).copied().unwrap_or(1.0);
                Side::Measured(Distribution::from_histogram(&h).with_overlap(overlap))
            }
            Err(e) => Side::Unreadable(e),
        }),
        (None, Some(s)) if s.count > 0 => Some(Side::NoHistogram(Values::Latency {
            count: s.count,
            p50: s.p50,
            p95: s.p95,
            overlap: 1.0,
        })),
        (None, Some(_)) => Some(Side::Empty),
        (None, None) => None,
    }
}

/// True when both sides ran the part; otherwise notes which side did not.
fn both_ran<T>(label: &str, base: &Part<T>, current: &Part<T>, cmp: &mut Comparison) -> bool {
    let why = match (base, current) {
        (Part::NotRun, Part::NotRun) => return false,
        (Part::NotRun, _) => "not run in the baseline",
        (_, Part::NotRun) => "not run in this run",
        _ => return true,
    };
    cmp.not_compared.push(format!("{label} ({why})"));
    false
}

/// True when both runs gave the part the same size (or a report too old to say); otherwise notes
/// the two.
fn same_size(label: &str, base: Option<String>, current: Option<String>, cmp: &mut Comparison) -> bool {
    let (Some(base), Some(current)) = (base, current) else {
        return true;
    };
    if base == current {
        return true;
    }
    cmp.not_compared.push(format!(
        "{label} (incomparable: {base} in the baseline, {current} in this run)"
    ));
    false
}

/// What decides a lifecycle mode's distribution besides the platform: how many sandboxes, and for
/// staggered the interval; `None` for reports older than these settings.
fn mode_size(r: &RunResult, mode: &str) -> Option<String> {
    let c = &r.config;
    match mode {
        "burst" => (c.burst_size > 0).then(|| format!("burst of {}", c.burst_size)),
        "staggered" => {
            (c.lifecycle_count > 0).then(|| format!("{} sandboxes every {} ms", c.lifecycle_count, c.stagger_ms))
        }
        _ => (c.lifecycle_count > 0).then(|| format!("{} sandboxes", c.lifecycle_count)),
    }
}

/// Whether the run selected a workload; `None` for reports older than `config.workloads`.
fn selected(r: &RunResult, workload: &str) -> Option<bool> {
    listed(&r.config.workloads, |w| w == workload)
}

/// Whether a configured list holds an item; `None` when the list is empty (not recorded).
fn listed<T>(list: &[T], wanted: impl Fn(&T) -> bool) -> Option<bool> {
    (!list.is_empty()).then(|| list.iter().any(wanted))
}

/// Selected only when the workload and the item in it were; unknown when either is unknown.
fn and(workload: Option<bool>, item: Option<bool>) -> Option<bool> {
    match (workload, item) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn same_mb(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A seed per metric (FNV-1a of its key), so the bootstrap of a metric is the same in every
/// comparison of the same two reports.
fn seed_of(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
