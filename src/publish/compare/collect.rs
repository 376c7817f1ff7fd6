//! Which rows a comparison has: every part of the report both runs ran, with each metric's value or
//! "no data", and a note for every part one side did not run.

use crate::report::LatencySummary;
use crate::report::{CheckpointReport, LifecycleReport, ModeReport, RunResult, StorageSizeReport};

use super::Direction::{HigherIsBetter, LowerIsBetter};
use super::{Comparison, DeltaRow, Direction};

/// What one run says about a part of the report (a workload, a lifecycle mode, a storage size).
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

/// A metric of a part: its name, unit, direction, whether the regression gate judges it, and how
/// to read it (`None` when that side measured nothing).
type Metric<T> = (&'static str, &'static str, Direction, bool, fn(&T) -> Option<f64>);

const MODE_METRICS: [Metric<ModeReport>; 4] = [
    ("TTI p50", "ms", LowerIsBetter, false, |m| p(&m.tti_ms, |l| l.p50)),
    ("TTI p95", "ms", LowerIsBetter, true, |m| p(&m.tti_ms, |l| l.p95)),
    ("TTI p99", "ms", LowerIsBetter, false, |m| p(&m.tti_ms, |l| l.p99)),
    ("success rate", "%", HigherIsBetter, false, |m| {
        (m.count > 0).then(|| m.success_rate() * 100.0)
    }),
];

const CHECKPOINT_METRICS: [Metric<CheckpointReport>; 4] = [
    ("restore p50", "ms", LowerIsBetter, false, |c| {
        p(&c.restore_ms, |l| l.p50)
    }),
    ("restore p95", "ms", LowerIsBetter, true, |c| {
        p(&c.restore_ms, |l| l.p95)
    }),
    ("verify p50", "ms", LowerIsBetter, false, |c| p(&c.verify_ms, |l| l.p50)),
    ("verify p95", "ms", LowerIsBetter, true, |c| p(&c.verify_ms, |l| l.p95)),
];

const STORAGE_METRICS: [Metric<StorageSizeReport>; 4] = [
    ("upload", "MB/s", HigherIsBetter, false, |s| {
        (s.upload_ms.count > 0).then_some(s.upload_mb_s)
    }),
    ("download", "MB/s", HigherIsBetter, false, |s| {
        (s.download_ms.count > 0).then_some(s.download_mb_s)
    }),
    ("upload p95", "ms", LowerIsBetter, true, |s| p(&s.upload_ms, |l| l.p95)),
    ("download p95", "ms", LowerIsBetter, true, |s| {
        p(&s.download_ms, |l| l.p95)
    }),
];

/// A percentile of a histogram summary, or no data when the histogram is empty.
fn p(summary: &LatencySummary, pick: fn(&LatencySummary) -> f64) -> Option<f64> {
    (summary.count > 0).then(|| pick(summary))
}

const LIFECYCLE_MODES: [(&str, &str); 3] = [
    ("sequential", "Sequential"),
    ("staggered", "Staggered"),
    ("burst", "Burst"),
];

pub fn compare(base: &RunResult, current: &RunResult) -> Comparison {
    let mut cmp = Comparison::default();
    lifecycle(base, current, &mut cmp);
    let (b, c) = (
        Part::of(base.checkpoint.as_ref(), selected(base, "checkpoint")),
        Part::of(current.checkpoint.as_ref(), selected(current, "checkpoint")),
    );
    if both_ran("Checkpoint", &b, &c, &mut cmp) {
        push_rows(&mut cmp, "Checkpoint", &CHECKPOINT_METRICS, b.value(), c.value());
    }
    storage(base, current, &mut cmp);
    cmp
}

fn lifecycle(base: &RunResult, current: &RunResult, cmp: &mut Comparison) {
    let (b, c) = (
        Part::of(base.lifecycle.as_ref(), selected(base, "lifecycle")),
        Part::of(current.lifecycle.as_ref(), selected(current, "lifecycle")),
    );
    if !both_ran("Lifecycle", &b, &c, cmp) {
        return;
    }
    for (name, label) in LIFECYCLE_MODES {
        let (bm, cm) = (mode_part(base, &b, name), mode_part(current, &c, name));
        if both_ran(label, &bm, &cm, cmp) {
            push_rows(cmp, label, &MODE_METRICS, bm.value(), cm.value());
        }
    }
}

fn mode_part<'a>(r: &RunResult, lifecycle: &Part<'a, LifecycleReport>, name: &str) -> Part<'a, ModeReport> {
    let report = lifecycle.value().and_then(|l| match name {
        "sequential" => l.sequential.as_ref(),
        "staggered" => l.staggered.as_ref(),
        _ => l.burst.as_ref(),
    });
    let chosen = listed(&r.config.lifecycle_modes, |m| m == name);
    Part::of(report, and(selected(r, "lifecycle"), chosen))
}

/// A workload measured per size (storage, object-storage): where its sizes are in report.json.
struct PerSize {
    workload: &'static str,
    title: &'static str,
    reported: fn(&RunResult) -> Option<&Vec<StorageSizeReport>>,
    configured: fn(&RunResult) -> &[f64],
}

const STORAGE: PerSize = PerSize {
    workload: "storage",
    title: "Storage",
    reported: storage_sizes,
    configured: storage_configured,
};

const OBJECT_STORAGE: PerSize = PerSize {
    workload: "object-storage",
    title: "Object storage",
    reported: object_storage_sizes,
    configured: object_storage_configured,
};

fn storage_sizes(r: &RunResult) -> Option<&Vec<StorageSizeReport>> {
    r.storage.as_ref().map(|s| &s.sizes)
}

fn storage_configured(r: &RunResult) -> &[f64] {
    &r.config.storage_sizes_mb
}

fn object_storage_sizes(r: &RunResult) -> Option<&Vec<StorageSizeReport>> {
    r.object_storage.as_ref().map(|s| &s.sizes)
}

fn object_storage_configured(r: &RunResult) -> &[f64] {
    &r.config.object_storage_sizes_mb
}

fn storage(base: &RunResult, current: &RunResult, cmp: &mut Comparison) {
    per_size(&STORAGE, base, current, cmp);
    per_size(&OBJECT_STORAGE, base, current, cmp);
}

fn per_size(w: &PerSize, base: &RunResult, current: &RunResult, cmp: &mut Comparison) {
    let (b, c) = (
        Part::of((w.reported)(base), selected(base, w.workload)),
        Part::of((w.reported)(current), selected(current, w.workload)),
    );
    if !both_ran(w.title, &b, &c, cmp) {
        return;
    }
    // This run's sizes first, then any only the baseline has, then any configured but not reported.
    let mut sizes: Vec<f64> = Vec::new();
    let reported =
        |part: &Part<Vec<StorageSizeReport>>| part.value().map(|s| s.iter().map(|z| z.size_mb).collect::<Vec<_>>());
    for size in [reported(&c), reported(&b)]
        .into_iter()
        .flatten()
        .flatten()
        .chain((w.configured)(current).iter().copied())
        .chain((w.configured)(base).iter().copied())
    {
        if !sizes.iter().any(|s| same_size(*s, size)) {
            sizes.push(size);
        }
    }
    for size in sizes {
        let (bs, cs) = (size_part(w, base, &b, size), size_part(w, current, &c, size));
        let label = format!("{} {size} MB", w.title);
        if both_ran(&label, &bs, &cs, cmp) {
            push_rows(cmp, &label, &STORAGE_METRICS, bs.value(), cs.value());
        }
    }
}

fn size_part<'a>(
    w: &PerSize,
    r: &RunResult,
    sizes: &Part<'a, Vec<StorageSizeReport>>,
    size: f64,
) -> Part<'a, StorageSizeReport> {
    let report = sizes
        .value()
        .and_then(|s| s.iter().find(|z| same_size(z.size_mb, size)));
    let chosen = listed((w.configured)(r), |s| same_size(*s, size));
    Part::of(report, and(selected(r, w.workload), chosen))
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

fn push_rows<T>(cmp: &mut Comparison, section: &str, metrics: &[Metric<T>], base: Option<&T>, current: Option<&T>) {
    for (metric, unit, direction, is_p95, read) in metrics {
        cmp.rows.push(DeltaRow {
            section: section.to_string(),
            metric: metric.to_string(),
            unit,
            base: base.and_then(read),
            current: current.and_then(read),
            direction: *direction,
            is_p95: *is_p95,
        });
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

fn same_size(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
