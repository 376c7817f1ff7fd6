//! The metrics a threshold can name, what each one is measured from, and the help a typo gets.
//!
//! Every metric has a kind that fixes which units make sense: a latency without a unit would be
//! ambiguous (2 what?), a rate is a fraction or a percent, a throughput is MB/s, a count has no unit.

use super::super::{LifecycleMode, WorkloadKind};

/// Lifecycle steps with a latency histogram each (`lifecycle.<mode>.<step>_ms`).
const LIFECYCLE_STEPS: &[&str] = &["create", "first_command", "tti", "destroy"];
/// Checkpoint steps with a latency histogram over all rounds (`checkpoint.all.<step>_ms`); the
/// `checkpoint` step is a checkpoint's request to ready, polling included.
const CHECKPOINT_STEPS: &[&str] = &["checkpoint", "restore", "verify"];
/// Storage directions; their histograms are per file size (`storage.<size>mb.<dir>_ms`).
const DIRECTIONS: &[&str] = &["upload", "download"];
/// Provider call kinds retries are counted by (`result.retries[op]`).
pub const RETRY_OPS: &[&str] = &[
    "create",
    "exec",
    "write_file",
    "read_file",
    "checkpoint",
    "restore",
    "destroy",
    "delete_checkpoint",
];

/// A statistic of a latency histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    /// A percentile, as a quantile in 0..1 (`p95` → 0.95).
    Quantile(f64),
    Max,
    Mean,
}

impl Stat {
    pub const NAMES: &'static [&'static str] = &["p50", "p90", "p95", "p99", "p999", "max", "mean"];

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "p50" => Stat::Quantile(0.50),
            "p90" => Stat::Quantile(0.90),
            "p95" => Stat::Quantile(0.95),
            "p99" => Stat::Quantile(0.99),
            "p999" => Stat::Quantile(0.999),
            "max" => Stat::Max,
            "mean" => Stat::Mean,
            _ => return None,
        })
    }
}

/// Which latency histograms a metric reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Histograms {
    /// One histogram of report.json, by key (`lifecycle.burst.tti_ms`).
    Key(String),
    /// Every size's histogram of one direction of a per-size workload (storage, object-storage),
    /// merged: `<workload>.<size>mb.<metric>`.
    AllSizes {
        workload: &'static str,
        metric: &'static str,
    },
}

/// What a threshold measures, and from which part of report.json.
#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    Latency {
        histograms: Histograms,
        stat: Stat,
    },
    /// Sandboxes of a lifecycle mode that ended in `success`, over all it launched.
    SuccessRate {
        mode: &'static str,
    },
    /// All bytes of one storage direction over the time they took, every file size together (MB/s).
    Throughput {
        workload: &'static str,
        metric: &'static str,
    },
    /// Calls of one kind that needed more than one attempt, over all calls of that kind.
    RetryRate {
        op: &'static str,
    },
    InfraRate {
        workload: &'static str,
    },
    Leaked {
        workload: &'static str,
    },
    /// A timed run's p95 of the last third of its windows over the first third's
    /// (`timeseries.trends[key].drift`): 1 is flat, 1.5 half as slow again.
    Drift {
        key: String,
    },
    /// The knee of a `--ramp`: the highest offered rate that kept up and held the SLO, per second.
    SustainableRate,
}

/// The units a metric's kind accepts; decides how a bare number is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Latency,
    Rate,
    Throughput,
    Count,
}

impl Metric {
    pub fn kind(&self) -> Kind {
        match self {
            Metric::Latency { .. } => Kind::Latency,
            Metric::SuccessRate { .. } | Metric::RetryRate { .. } | Metric::InfraRate { .. } => Kind::Rate,
            Metric::Throughput { .. } => Kind::Throughput,
            Metric::Leaked { .. } | Metric::Drift { .. } | Metric::SustainableRate => Kind::Count,
        }
    }
}

fn find(names: &'static [&'static str], name: &str) -> Option<&'static str> {
    names.iter().copied().find(|n| *n == name)
}

/// The metric a name denotes, or `None` when no such metric exists.
pub fn parse(name: &str) -> Option<Metric> {
    let segments: Vec<&str> = name.split('.').collect();
    let metric = match segments.as_slice() {
        ["lifecycle", mode, "success_rate"] => Metric::SuccessRate {
            mode: find(LifecycleMode::NAMES, mode)?,
        },
        ["lifecycle", "sustainable_rate"] => Metric::SustainableRate,
        ["lifecycle", mode, step, "drift"] => Metric::Drift {
            key: format!(
                "lifecycle.{}.{}_ms",
                find(LifecycleMode::NAMES, mode)?,
                find(LIFECYCLE_STEPS, step)?
            ),
        },
        ["checkpoint", step, "drift"] if CHECKPOINT_STEPS.contains(step) => Metric::Drift {
            key: format!("checkpoint.all.{step}_ms"),
        },
        ["lifecycle", mode, step, stat] => {
            let (mode, step) = (find(LifecycleMode::NAMES, mode)?, find(LIFECYCLE_STEPS, step)?);
            Metric::Latency {
                histograms: Histograms::Key(format!("lifecycle.{mode}.{step}_ms")),
                stat: Stat::parse(stat)?,
            }
        }
        ["checkpoint", step, stat] if CHECKPOINT_STEPS.contains(step) => Metric::Latency {
            histograms: Histograms::Key(format!("checkpoint.all.{step}_ms")),
            stat: Stat::parse(stat)?,
        },
        [workload @ ("storage" | "object-storage"), dir, "mbps"] => Metric::Throughput {
            workload: find(WorkloadKind::NAMES, workload)?,
            metric: storage_metric(dir)?,
        },
        [workload @ ("storage" | "object-storage"), dir, stat] => Metric::Latency {
            histograms: Histograms::AllSizes {
                workload: find(WorkloadKind::NAMES, workload)?,
                metric: storage_metric(dir)?,
            },
            stat: Stat::parse(stat)?,
        },
        ["contention", "write", stat] => Metric::Latency {
            histograms: Histograms::Key("contention.all.write_ms".into()),
            stat: Stat::parse(stat)?,
        },
        ["retries", op, "rate"] => Metric::RetryRate {
            op: find(RETRY_OPS, op)?,
        },
        [workload, "infra_rate"] => Metric::InfraRate {
            workload: find(WorkloadKind::NAMES, workload)?,
        },
        [workload, "leaked"] => Metric::Leaked {
            workload: find(WorkloadKind::NAMES, workload)?,
        },
        _ => return None,
    };
    Some(metric)
}

fn storage_metric(dir: &str) -> Option<&'static str> {
    match dir {
        "upload" => Some("upload_ms"),
        "download" => Some("download_ms"),
        _ => None,
    }
}

/// The forms of every metric, for the error an unknown one gets.
pub fn valid_forms() -> String {
    let modes = LifecycleMode::NAMES.join("|");
    let workloads = WorkloadKind::NAMES.join("|");
    format!(
        "lifecycle.<{modes}>.<{steps}>.<STAT>, lifecycle.<mode>.success_rate, \
         checkpoint.<{checkpoint_steps}>.<STAT>, <storage|object-storage>.<upload|download>.<STAT>, \
         <storage|object-storage>.<upload|download>.mbps, \
         contention.write.<STAT>, retries.<{ops}>.rate, <{workloads}>.infra_rate, <workload>.leaked, \
         lifecycle.<mode>.<tti|create>.drift, checkpoint.<checkpoint|restore>.drift, lifecycle.sustainable_rate; \
         STAT is one of {stats}",
        steps = LIFECYCLE_STEPS.join("|"),
        checkpoint_steps = CHECKPOINT_STEPS.join("|"),
        ops = RETRY_OPS.join("|"),
        stats = Stat::NAMES.join(", "),
    )
}

/// Every metric name there is (a few hundred), so a typo can be matched to the closest.
fn all_names() -> Vec<String> {
    let mut names = Vec::new();
    for mode in LifecycleMode::NAMES {
        names.push(format!("lifecycle.{mode}.success_rate"));
        for step in LIFECYCLE_STEPS {
            names.extend(Stat::NAMES.iter().map(|s| format!("lifecycle.{mode}.{step}.{s}")));
        }
    }
    for step in CHECKPOINT_STEPS {
        names.extend(Stat::NAMES.iter().map(|s| format!("checkpoint.{step}.{s}")));
    }
    for workload in ["storage", "object-storage"] {
        for dir in DIRECTIONS {
            names.push(format!("{workload}.{dir}.mbps"));
            names.extend(Stat::NAMES.iter().map(|s| format!("{workload}.{dir}.{s}")));
        }
    }
    names.extend(Stat::NAMES.iter().map(|s| format!("contention.write.{s}")));
    names.extend(RETRY_OPS.iter().map(|op| format!("retries.{op}.rate")));
    names.push("lifecycle.sustainable_rate".into());
    for mode in LifecycleMode::NAMES {
        names.extend(["tti", "create"].map(|step| format!("lifecycle.{mode}.{step}.drift")));
    }
    names.extend(["checkpoint", "restore"].map(|step| format!("checkpoint.{step}.drift")));
    for w in WorkloadKind::NAMES {
        names.push(format!("{w}.infra_rate"));
        names.push(format!("{w}.leaked"));
    }
    names
}

/// The metric closest to a mistyped name, when one is close enough to be what was meant.
pub fn suggest(name: &str) -> Option<String> {
    let best = all_names()
        .into_iter()
        .map(|candidate| (edit_distance(name, &candidate), candidate))
        .min_by_key(|(d, _)| *d)?;
    let limit = (name.chars().count() / 4).clamp(2, 4);
    (best.0 <= limit).then_some(best.1)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_parses() {
        let names = all_names();
        assert!(names.len() > 100, "{}", names.len());
        for name in names {
            assert!(parse(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn metrics_read_the_histograms_the_workloads_record() {
        assert_eq!(
            parse("lifecycle.burst.tti.p95"),
            Some(Metric::Latency {
                histograms: Histograms::Key("lifecycle.burst.tti_ms".into()),
                stat: Stat::Quantile(0.95)
            })
        );
        assert_eq!(
            parse("checkpoint.restore.max"),
            Some(Metric::Latency {
                histograms: Histograms::Key("checkpoint.all.restore_ms".into()),
                stat: Stat::Max
            })
        );
        assert_eq!(
            parse("checkpoint.checkpoint.p95"),
            Some(Metric::Latency {
                histograms: Histograms::Key("checkpoint.all.checkpoint_ms".into()),
                stat: Stat::Quantile(0.95)
            })
        );
        assert_eq!(parse("checkpoint.snapshot.p95"), None);
        assert_eq!(
            parse("storage.download.p99"),
            Some(Metric::Latency {
                histograms: Histograms::AllSizes {
                    workload: "storage",
                    metric: "download_ms"
                },
                stat: Stat::Quantile(0.99)
            })
        );
        assert_eq!(parse("retries.create.rate"), Some(Metric::RetryRate { op: "create" }));
        assert_eq!(
            parse("lifecycle.staggered.tti.drift"),
            Some(Metric::Drift {
                key: "lifecycle.staggered.tti_ms".into()
            })
        );
        assert_eq!(parse("lifecycle.sustainable_rate"), Some(Metric::SustainableRate));
        assert_eq!(parse("lifecycle.burst.tti"), None);
        assert_eq!(parse("lifecycle.burst.tti.p96"), None);
        assert_eq!(parse("retries.create"), None);
        assert_eq!(parse("nothing.leaked"), None);
    }

    #[test]
    fn typos_get_the_closest_metric_and_nonsense_gets_none() {
        assert_eq!(
            suggest("lifecycle.bust.tti.p95").as_deref(),
            Some("lifecycle.burst.tti.p95")
        );
        assert_eq!(suggest("storage.upload.mbs").as_deref(), Some("storage.upload.mbps"));
        assert_eq!(
            suggest("checkpont.infra_rate").as_deref(),
            Some("checkpoint.infra_rate")
        );
        assert_eq!(suggest("banana"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
