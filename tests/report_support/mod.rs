//! Synthetic run directories with every report section filled, for the exporters' tests. Values are
//! fixed (no clock, no randomness) so snapshots are stable; histograms are real HdrHistogram V2.
#![allow(dead_code)]

pub mod svg;

use std::collections::BTreeMap;
use std::path::Path;

use stress_action::report::model::InjectionCount;
use stress_action::report::verdict::judge;
use stress_action::report::{encode_histogram, new_histogram, LatencySummary};
use stress_action::report::{
    CheckpointReport, ConfigSnapshot, InFlight, LifecycleReport, ModeReport, RoundReport, RunResult, StatusCounts,
    StorageReport, StorageSizeReport, TimelinePoint, Totals, WorkloadResult, SCHEMA_VERSION,
};

/// Which story the fixture tells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scenario {
    Pass,
    Corruption,
    Infra,
}

/// A deterministic spread of `n` latencies around `base_ms`, with a tail.
fn latencies(n: u64, base_ms: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) / n as f64;
            base_ms * (1.0 + 0.4 * u + 3.0 * u.powi(12))
        })
        .collect()
}

fn histogram(values: &[f64]) -> (LatencySummary, String) {
    let mut h = new_histogram();
    for v in values {
        h.saturating_record(((v * 1000.0) as u64).max(1));
    }
    (LatencySummary::from_histogram(&h), encode_histogram(&h))
}

fn mode(name: &str, count: u64, base_ms: f64, histograms: &mut BTreeMap<String, String>, failed: u64) -> ModeReport {
    let ok = count - failed;
    let (create_ms, h_create) = histogram(&latencies(count, base_ms));
    let (first_ms, h_first) = histogram(&latencies(ok, base_ms / 5.0));
    let (tti_ms, h_tti) = histogram(&latencies(ok, base_ms * 1.2));
    let (destroy_ms, h_destroy) = histogram(&latencies(ok, base_ms / 3.0));
    histograms.insert(format!("lifecycle.{name}.create_ms"), h_create);
    histograms.insert(format!("lifecycle.{name}.first_command_ms"), h_first);
    histograms.insert(format!("lifecycle.{name}.tti_ms"), h_tti);
    histograms.insert(format!("lifecycle.{name}.destroy_ms"), h_destroy);
    let peak = if name == "burst" {
        ok
    } else if name == "staggered" {
        4
    } else {
        1
    };
    let timeline: Vec<TimelinePoint> = (0..30u64)
        .map(|i| {
            let alive = if i < 3 {
                peak * i / 3
            } else if i < 25 {
                peak
            } else {
                peak * (30 - i) / 5
            };
            TimelinePoint::at(i as f64 * 100.0, alive)
        })
        .collect();
    let mut failure_class = BTreeMap::new();
    if failed > 0 {
        failure_class.insert("http_error_503".to_string(), failed);
    }
    ModeReport {
        count,
        status: StatusCounts {
            success: ok,
            partial: 0,
            readiness_failed: 0,
            failed,
        },
        failure_class,
        create_ms,
        first_command_ms: first_ms,
        tti_ms,
        destroy_ms,
        destroy_failures: 0,
        destroy_failure_class: BTreeMap::new(),
        swept: 0,
        wall_clock_ms: 2900.0,
        time_to_first_ready_ms: Some(base_ms),
        peak_concurrency: peak,
        mean_concurrency: peak as f64 * 0.8,
        timeline,
        started_at: None,
    }
}

fn round(n: u32, restores: u64, corrupted: u64, infra: u64, histograms: &mut BTreeMap<String, String>) -> RoundReport {
    let (restore_ms, h_restore) = histogram(&latencies(restores, 20.0 + f64::from(n) * 5.0));
    let (verify_ms, h_verify) = histogram(&latencies(restores, 140.0));
    histograms.insert(format!("checkpoint.round{n}.restore_ms"), h_restore);
    histograms.insert(format!("checkpoint.round{n}.verify_ms"), h_verify);
    RoundReport {
        round: n,
        checkpoint_id: Some(format!("cp-{n}")),
        marker_sha256: format!("{:064x}", n),
        commit: Some(format!("{:040x}", n)),
        setup_ms: 350.0,
        checkpoint_ms: Some(110.0 + f64::from(n) * 10.0),
        setup_error: None,
        restores,
        verified: restores - corrupted - infra,
        corrupted,
        infra,
        wrong_checkpoint: 0,
        destroy_failures: 0,
        restore_ms,
        verify_ms,
    }
}

/// A run with checkpoint, all three lifecycle modes and storage, telling `scenario`'s story.
pub fn full_result(scenario: Scenario) -> RunResult {
    let mut histograms = BTreeMap::new();
    let (corrupted_per_round, infra_per_round) = match scenario {
        Scenario::Pass => (0, 0),
        Scenario::Corruption => (9, 0),
        Scenario::Infra => (0, 30),
    };
    let rounds: Vec<RoundReport> = (1..=3)
        .map(|n| round(n, 50, corrupted_per_round, infra_per_round, &mut histograms))
        .collect();
    let (restore_ms, h_restore) = histogram(&latencies(150, 25.0));
    let (verify_ms, h_verify) = histogram(&latencies(150, 140.0));
    histograms.insert("checkpoint.all.restore_ms".to_string(), h_restore);
    histograms.insert("checkpoint.all.verify_ms".to_string(), h_verify);
    let (checkpoint_ms, h_checkpoint) = histogram(&[120.0, 130.0, 140.0]);
    histograms.insert("checkpoint.all.checkpoint_ms".to_string(), h_checkpoint);
    let mut injection = BTreeMap::new();
    if scenario == Scenario::Corruption {
        injection.insert(
            "flip_byte".to_string(),
            InjectionCount {
                injected: 3,
                detected: 3,
                ..Default::default()
            },
        );
    }
    let failed = if scenario == Scenario::Infra { 2 } else { 0 };
    let lifecycle = LifecycleReport {
        sequential: Some(mode("sequential", 10, 40.0, &mut histograms, 0)),
        staggered: Some(mode("staggered", 10, 55.0, &mut histograms, failed)),
        burst: Some(mode("burst", 10, 90.0, &mut histograms, failed)),
        capacity: None,
    };
    let storage = StorageReport {
        sizes: [1.0, 4.0, 10.0, 16.0]
            .into_iter()
            .map(|size_mb| {
                let (upload_ms, h_up) = histogram(&latencies(3, 5.0 * size_mb));
                let (download_ms, h_down) = histogram(&latencies(3, 3.0 * size_mb));
                histograms.insert(format!("storage.{size_mb}mb.upload_ms"), h_up);
                histograms.insert(format!("storage.{size_mb}mb.download_ms"), h_down);
                StorageSizeReport {
                    size_mb,
                    iterations: 3,
                    verified: 3,
                    corrupted: 0,
                    infra: 0,
                    delete_failures: 0,
                    upload_mb_s: 1000.0 / 5.0 / 1.2,
                    download_mb_s: 1000.0 / 3.0 / 1.2,
                    upload_ms,
                    download_ms,
                }
            })
            .collect(),
    };
    let corrupted = 3 * corrupted_per_round;
    let infra = 3 * infra_per_round + 2 * failed;
    let planned = 150 + 30 + 12;
    let totals = Totals {
        planned,
        verified: planned - corrupted - infra,
        corrupted,
        infra,
        lost: 0,
        cancelled: 0,
        injected: if scenario == Scenario::Corruption { 3 } else { 0 },
        injected_detected: if scenario == Scenario::Corruption { 3 } else { 0 },
    };
    let mut infra_classes = BTreeMap::new();
    if infra > 0 {
        infra_classes.insert("timeout".to_string(), 3 * infra_per_round);
        infra_classes.insert("http_error_503".to_string(), 2 * failed);
    }
    let max_infra_rate = 0.3;
    let mut workloads = BTreeMap::new();
    let checkpoint_infra = 3 * infra_per_round;
    let mut cp = WorkloadResult::counted(150, 150 - corrupted - checkpoint_infra, corrupted, checkpoint_infra, 0);
    if checkpoint_infra > 0 {
        cp.infra_classes.insert("timeout".to_string(), checkpoint_infra);
    }
    workloads.insert("checkpoint".to_string(), cp);
    let mut lc = WorkloadResult::counted(30, 30 - 2 * failed, 0, 2 * failed, 0);
    if failed > 0 {
        lc.infra_classes.insert("http_error_503".to_string(), 2 * failed);
    }
    workloads.insert("lifecycle".to_string(), lc);
    workloads.insert("storage".to_string(), WorkloadResult::counted(12, 12, 0, 0, 0));
    let mut result = RunResult {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".to_string(),
        verdict: stress_action::report::Verdict::Inconclusive,
        verdict_reasons: Vec::new(),
        interrupted: false,
        seed: 42,
        profile: "smoke".to_string(),
        provider: "local".to_string(),
        label: "local".to_string(),
        started_at: "2026-01-02T03:04:05.000Z".to_string(),
        finished_at: "2026-01-02T03:04:35.000Z".to_string(),
        duration_s: 30.0,
        source: Default::default(),
        config: ConfigSnapshot {
            restores: 150,
            rounds: 3,
            concurrency: 4,
            round_concurrency: Some(1),
            marker_size_mb: 5.0,
            inject_corruption: 0.0,
            max_infra_rate,
            exec_timeout_ms: 60_000,
            workloads: vec!["checkpoint".into(), "lifecycle".into(), "storage".into()],
            lifecycle_modes: vec!["sequential".into(), "staggered".into(), "burst".into()],
            lifecycle_count: 10,
            burst_size: 10,
            stagger_ms: 200,
            ready_cmd: "true".into(),
            storage_sizes_mb: vec![1.0, 4.0, 10.0, 16.0],
            storage_iterations: 3,
            ..Default::default()
        },
        totals,
        workloads,
        retries: BTreeMap::new(),
        thresholds: Vec::new(),
        provider_failure: None,
        timeseries: None,
        infra_classes,
        checkpoint: Some(CheckpointReport {
            rounds,
            checkpoint_ms,
            in_flight: InFlight {
                peak: 1,
                mean: 0.1,
                timeline: vec![TimelinePoint::at(0.0, 1), TimelinePoint::at(100.0, 0)],
                started_at: Some("2026-01-02T03:04:05.000Z".to_string()),
            },
            restore_ms,
            verify_ms,
            injection,
        }),
        lifecycle: Some(lifecycle),
        storage: Some(storage),
        object_storage: None,
        contention: None,
        chaos: None,
        histograms,
        histogram_overlap: BTreeMap::new(),
        environment: BTreeMap::from([("clone_mode".to_string(), "copy".to_string())]),
        shard: None,
        aggregate: None,
        host: None,
        timing: None,
    };
    judge(&mut result);
    result
}

/// Writes `report.json` and an `events.jsonl` whose corrupted lines match the totals.
pub fn write_run_dir(dir: &Path, result: &RunResult) {
    std::fs::create_dir_all(dir).unwrap();
    result.write_atomic(&dir.join("report.json")).unwrap();
    let mut events = String::new();
    let mut corrupted = 0;
    for round in result.checkpoint.iter().flat_map(|c| c.rounds.iter()) {
        for restore in 0..round.restores {
            let (outcome, extra) = if restore < round.corrupted {
                corrupted += 1;
                (
                    "corrupted",
                    format!(
                        r#","check":"marker_sha256","detail":"expected {:064x}, found <truncated | 3 bytes>","evidence":"evidence/round{}-restore{restore}/""#,
                        round.round, round.round
                    ),
                )
            } else if restore < round.corrupted + round.infra {
                (
                    "infra",
                    r#","class":"timeout","detail":"exec timed out after 60000 ms""#.to_string(),
                )
            } else {
                ("verified", String::new())
            };
            events.push_str(&format!(
                r#"{{"ts":"2026-01-02T03:04:06.000Z","workload":"checkpoint","phase":"restore","round":{},"restore":{restore},"sandbox":"sb-{}-{restore}","duration_ms":30.0,"outcome":"{outcome}"{extra}}}"#,
                round.round, round.round
            ));
            events.push('\n');
        }
    }
    assert_eq!(corrupted, result.totals.corrupted, "fixture events match the totals");
    std::fs::write(dir.join("events.jsonl"), events).unwrap();
}

/// Every chart a run with all workloads must have.
pub const ALL_CHARTS: [&str; 9] = [
    "tti-sequential.svg",
    "tti-staggered.svg",
    "tti-burst.svg",
    "concurrency-sequential.svg",
    "concurrency-staggered.svg",
    "concurrency-burst.svg",
    "checkpoint-latency.svg",
    "restores.svg",
    "storage.svg",
];

/// Parses as XML, has no inline style, uses a generic font no smaller than 12 px, and renders to a
/// PNG that is not a single colour.
pub fn assert_chart_is_readable(name: &str, svg: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{name} is not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{name}");
    assert_eq!(root.attribute("width"), Some("800"), "{name}");
    let height = root.attribute("height");
    assert!(
        height == Some("450") || height == Some("600"),
        "{name}: height {height:?} (450, or 600 for two stacked panels)"
    );
    for size in doc.descendants().filter_map(|n| n.attribute("font-size")) {
        let px: f64 = size.parse().unwrap_or_else(|_| panic!("{name}: font-size {size}"));
        assert!(px >= 12.0, "{name}: text of {px} px is too small to read");
    }
    for node in doc.descendants().filter(|n| n.is_element()) {
        assert!(
            node.attribute("style").is_none(),
            "{name}: inline style on <{}>",
            node.tag_name().name()
        );
        assert_ne!(node.tag_name().name(), "style", "{name}: <style> element");
        if let Some(family) = node.attribute("font-family") {
            assert_eq!(family, "sans-serif", "{name}");
        }
    }
    assert!(
        !svg.contains("@import") && !svg.contains("url(http"),
        "{name}: external resource"
    );
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .unwrap_or_else(|e| panic!("{name} does not render: {e}"));
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let pixels = pixmap.pixels();
    let first = pixels[0];
    let differing = pixels.iter().filter(|p| **p != first).count();
    assert!(
        differing > 2000,
        "{name} renders (almost) blank: {differing} pixels differ"
    );
    if let Some(out) = std::env::var_os("STRESS_ACTION_PNG_DIR") {
        pixmap
            .save_png(Path::new(&out).join(name.replace(".svg", ".png")))
            .unwrap();
    }
}
