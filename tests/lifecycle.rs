//! The lifecycle workload in-process on the real local provider, with a decorator that makes creates
//! slow or queued and makes chosen steps fail: every mode runs, burst concurrency is real, latency is
//! measured from the scheduled start (queueing counts), and each failure lands in its status.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{LocalProvider, Provider};
use stress_action::report::{ModeReport, Verdict};
use stress_action::run::{run_with_provider, RunSummary};
use support::tweaked::{Fate, TweakedProvider, Tweaks};
use support::{assert_accounting, read_report};

fn local() -> Arc<dyn Provider> {
    Arc::new(LocalProvider::new(LocalOptions::default()).unwrap())
}

async fn run(out: &std::path::Path, provider: Arc<dyn Provider>, edit: impl FnOnce(&mut RunArgs)) -> RunSummary {
    let mut args = RunArgs {
        workload: Some("lifecycle".into()),
        out: Some(out.to_path_buf()),
        seed: Some(3),
        quiet: true,
        max_infra_rate: Some(1.0),
        stagger_ms: Some(20),
        ..Default::default()
    };
    edit(&mut args);
    run_with_provider(RunConfig::build(args).unwrap(), provider, CancelToken::new())
        .await
        .unwrap()
}

fn mode<'a>(summary: &'a RunSummary, name: &str) -> &'a ModeReport {
    let l = summary.result.lifecycle.as_ref().expect("lifecycle section");
    match name {
        "sequential" => l.sequential.as_ref(),
        "staggered" => l.staggered.as_ref(),
        _ => l.burst.as_ref(),
    }
    .unwrap_or_else(|| panic!("mode {name} missing"))
}

#[tokio::test]
async fn every_mode_creates_readies_and_destroys_on_local() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), local(), |a| a.lifecycle_count = Some(5)).await;
    assert_eq!(summary.result.verdict, Verdict::Pass);
    for name in ["sequential", "staggered", "burst"] {
        let m = mode(&summary, name);
        assert_eq!((m.count, m.status.success), (5, 5), "{name}");
        assert_eq!(m.tti_ms.count, 5, "{name}");
        assert_eq!(m.destroy_ms.count, 5, "{name}");
        assert_eq!((m.destroy_failures, m.swept), (0, 0), "{name}");
        assert!(m.tti_ms.min >= m.create_ms.min, "{name}: TTI includes create");
        assert!(m.time_to_first_ready_ms.is_some() && m.wall_clock_ms > 0.0, "{name}");
        assert_eq!(m.timeline.last().map(|p| p.alive), Some(0), "{name}: all destroyed");
        for metric in ["create_ms", "first_command_ms", "tti_ms", "destroy_ms"] {
            assert!(
                summary
                    .result
                    .histograms
                    .contains_key(&format!("lifecycle.{name}.{metric}")),
                "{name}.{metric}"
            );
        }
    }
    // Sandboxes are held until the mode settled, so all of a mode are alive at once.
    assert_eq!(mode(&summary, "sequential").peak_concurrency, 5);
    let report = read_report(dir.path());
    assert_accounting(&report);
    assert_eq!(report["totals"]["verified"], 15);
    assert_eq!(report["lifecycle"]["burst"]["status"]["success"], 5);
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &serde_json::Value| e["workload"] == "lifecycle")
        .collect();
    assert_eq!(lines.len(), 15, "one event per sandbox");
    assert!(lines
        .iter()
        .all(|e| e["result"] == "success" && e["timings"]["tti_ms"].is_number()));
}

#[tokio::test]
async fn a_burst_of_200_is_really_concurrent() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), local(), |a| {
        a.modes = Some("burst".into());
        a.burst_size = Some(200);
    })
    .await;
    let m = mode(&summary, "burst");
    assert_eq!(m.status.success, 200, "{:?}", m.failure_class);
    assert_eq!(m.peak_concurrency, 200);
    assert!(m.mean_concurrency > 0.0);
    assert_eq!(summary.result.totals.verified, 200);
    // Released together, they were measured together: compare counts them as far fewer than 200
    // independent samples.
    let overlap = &summary.result.histogram_overlap;
    assert!(overlap["lifecycle.burst.tti_ms"] > 5.0, "{overlap:?}");
}

#[tokio::test]
async fn tti_counts_a_slow_create_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let slow = Arc::new(TweakedProvider::new(
        local(),
        Tweaks {
            create_delay: Duration::from_millis(50),
            ..Default::default()
        },
    ));
    let summary = run(dir.path(), slow, |a| a.lifecycle_count = Some(4)).await;
    for name in ["sequential", "staggered", "burst"] {
        let m = mode(&summary, name);
        assert_eq!(m.status.success, 4, "{name}");
        assert!(m.tti_ms.p50 >= 50.0, "{name}: {:?}", m.tti_ms);
        assert!(m.create_ms.p50 >= 50.0, "{name}: {:?}", m.create_ms);
    }
}

#[tokio::test]
async fn staggered_latency_is_measured_from_the_scheduled_start_so_queueing_counts() {
    // A server that handles one create at a time, 500 ms each, asked for one every 100 ms: sandbox i
    // is scheduled at 100·i ms but only ready near 500·(i+1) ms, so its TTI grows by ~400 ms per launch.
    let dir = tempfile::tempdir().unwrap();
    let queued = Arc::new(TweakedProvider::new(
        local(),
        Tweaks {
            create_delay: Duration::from_millis(500),
            serialize_creates: true,
            ..Default::default()
        },
    ));
    let summary = run(dir.path(), queued, |a| {
        a.modes = Some("staggered".into());
        a.lifecycle_count = Some(5);
        a.stagger_ms = Some(100);
    })
    .await;
    let m = mode(&summary, "staggered");
    assert_eq!(m.status.success, 5);
    // The last one waited for four creates ahead of it: at least 2500 - 400 ms from its schedule.
    assert!(m.tti_ms.max >= 2000.0, "{:?}", m.tti_ms);
    assert!(m.tti_ms.max - m.tti_ms.min >= 1000.0, "{:?}", m.tti_ms);
    assert!(
        m.create_ms.max >= 2000.0,
        "create is measured from the schedule too: {:?}",
        m.create_ms
    );

    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let mut tti: Vec<(u64, f64)> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["workload"] == "lifecycle")
        .map(|e| (e["index"].as_u64().unwrap(), e["timings"]["tti_ms"].as_f64().unwrap()))
        .collect();
    tti.sort_by_key(|(i, _)| *i);
    assert!(
        tti.windows(2).all(|w| w[1].1 > w[0].1 + 200.0),
        "each launch waits longer than the one before: {tti:?}"
    );
}

#[tokio::test]
async fn each_failure_lands_in_its_status_with_its_class_and_nothing_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let tweaked = Arc::new(TweakedProvider::new(
        local(),
        Tweaks {
            fate: |n| match n % 5 {
                1 => Fate::CreateFails,
                2 => Fate::ReadyFails,
                3 => Fate::LivenessFails,
                4 => Fate::DestroyFailsOnce,
                _ => Fate::Fine,
            },
            ..Default::default()
        },
    ));
    let summary = run(dir.path(), tweaked.clone(), |a| {
        a.modes = Some("sequential".into());
        a.lifecycle_count = Some(10);
    })
    .await;
    let m = mode(&summary, "sequential");
    let s = m.status;
    assert_eq!(
        (s.success, s.partial, s.readiness_failed, s.failed),
        (4, 2, 2, 2),
        "{m:?}"
    );
    assert_eq!(m.failure_class.get("http_error_503"), Some(&2), "create");
    assert_eq!(m.failure_class.get("timeout"), Some(&2), "first command");
    assert_eq!(m.failure_class.get("http_error_502"), Some(&2), "liveness");
    assert_eq!(m.destroy_failures, 2);
    assert_eq!(m.destroy_failure_class.get("http_error_500"), Some(&2));
    assert_eq!(m.swept, 2, "the sweep destroys what failed to be destroyed");
    let w = &summary.result.workloads["lifecycle"];
    assert_eq!(w.leaked, 2, "a failed destroy is a leak, swept or not");
    assert!(w.warnings[0].starts_with("2 sandboxes leaked"), "{:?}", w.warnings);
    assert_eq!(
        tweaked.destroyed.load(Ordering::SeqCst),
        tweaked.created.load(Ordering::SeqCst),
        "nothing leaked"
    );
    let t = &summary.result.totals;
    assert_eq!((t.planned, t.verified, t.infra, t.corrupted, t.lost), (10, 4, 6, 0, 0));
    assert_eq!(summary.result.verdict, Verdict::Pass, "infra is not corruption");
    assert_accounting(&read_report(dir.path()));

    // The same failures over the default infra budget (0.5) leave the verdict inconclusive.
    let dir = tempfile::tempdir().unwrap();
    let all_fail = Arc::new(TweakedProvider::new(
        local(),
        Tweaks {
            fate: |_| Fate::CreateFails,
            ..Default::default()
        },
    ));
    let summary = run(dir.path(), all_fail, |a| {
        a.modes = Some("burst".into());
        a.burst_size = Some(5);
        a.max_infra_rate = None;
    })
    .await;
    assert_eq!(mode(&summary, "burst").status.failed, 5);
    assert_eq!(summary.result.verdict, Verdict::Inconclusive);
}
