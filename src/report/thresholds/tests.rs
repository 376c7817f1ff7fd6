use super::*;
use crate::report::{
    encode_histogram, new_histogram, LifecycleReport, ModeReport, RetryStats, Verdict, WorkloadResult,
};

fn report(thresholds: &[&str]) -> RunResult {
    let mut r: RunResult = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "tool_version": "t", "verdict": "pass", "verdict_reasons": [],
        "interrupted": false, "seed": 1, "profile": "smoke", "provider": "local",
        "started_at": "", "finished_at": "", "duration_s": 1.0,
        "config": { "restores": 10, "rounds": 1, "concurrency": 1, "marker_size_mb": 1.0,
                    "inject_corruption": 0.0, "max_infra_rate": 0.1, "exec_timeout_ms": 1 },
        "totals": { "planned": 0, "verified": 0, "corrupted": 0, "infra": 0, "lost": 0 },
        "infra_classes": {}, "histograms": {}
    }))
    .expect("minimal report");
    r.config.thresholds = thresholds.iter().map(|t| t.to_string()).collect();
    r
}

/// `ms` recorded under each key in microseconds, as the workloads' histograms hold them.
fn with_histograms(r: &mut RunResult, samples: &[(&str, &[u64])]) {
    for (key, values) in samples {
        let mut h = new_histogram();
        for ms in *values {
            h.saturating_record(ms * 1000);
        }
        r.histograms.insert(key.to_string(), encode_histogram(&h));
    }
}

fn one(r: &RunResult) -> ThresholdResult {
    let mut all = evaluate(r);
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn latency_percentiles_come_from_the_histogram_in_the_unit_written() {
    let mut r = report(&["lifecycle.sequential.create.p50 < 25ms"]);
    r.workloads
        .insert("lifecycle".into(), WorkloadResult::counted(4, 4, 0, 0, 0));
    with_histograms(&mut r, &[("lifecycle.sequential.create_ms", &[30, 31, 32, 400])]);
    let t = one(&r);
    assert!(!t.ok);
    let v = t.value.unwrap();
    assert!((31.0..31.1).contains(&v), "{v}");
    assert_eq!(t.measured.as_deref(), Some("31.01 ms (p50 of 4 samples)"));

    r.config.thresholds = vec!["lifecycle.sequential.create.max <= 1s".into()];
    let t = one(&r);
    assert!(t.ok, "{t:?}");
    assert!((t.value.unwrap() - 0.4).abs() < 0.001, "in seconds: {t:?}");
    assert!(t.measured.unwrap().ends_with(" s (max of 4 samples)"));
}

#[test]
fn storage_latency_and_throughput_merge_every_file_size() {
    let mut r = report(&["storage.upload.p99 < 150ms", "storage.upload.mbps > 20"]);
    r.workloads
        .insert("storage".into(), WorkloadResult::counted(4, 4, 0, 0, 0));
    // 1 MB in 50 ms twice, 4 MB in 100 ms twice: 10 MB in 0.3 s.
    with_histograms(
        &mut r,
        &[
            ("storage.1mb.upload_ms", &[50, 50]),
            ("storage.4mb.upload_ms", &[100, 100]),
            ("storage.4mb.download_ms", &[900]),
        ],
    );
    let all = evaluate(&r);
    assert!(all[0].ok, "{:?}", all[0]);
    assert!(
        all[0].measured.as_deref().unwrap().contains("of 4 samples"),
        "{:?}",
        all[0]
    );
    let mbps = all[1].value.unwrap();
    assert!((mbps - 33.33).abs() < 0.1, "{mbps}");
    assert!(all[1].ok);
    assert!(all[1]
        .measured
        .as_deref()
        .unwrap()
        .ends_with(" MB/s (10 MB in 0.300 s over 4 transfers)"));
}

#[test]
fn rates_are_fractions_or_percents_as_written() {
    let mut r = report(&[
        "retries.create.rate < 5%",
        "retries.create.rate < 0.5",
        "lifecycle.burst.success_rate >= 99%",
        "lifecycle.infra_rate <= 0.1",
        "lifecycle.leaked <= 0",
    ]);
    r.retries.insert(
        "create".into(),
        RetryStats {
            calls: 10,
            retried: 4,
            attempts: 15,
            gave_up: 0,
        },
    );
    let mut w = WorkloadResult::counted(30, 27, 0, 3, 0);
    w.leaked = 2;
    r.workloads.insert("lifecycle".into(), w);
    r.lifecycle = Some(LifecycleReport {
        burst: Some(ModeReport {
            count: 30,
            status: crate::report::StatusCounts {
                success: 27,
                failed: 3,
                ..Default::default()
            },
            ..Default::default()
        }),
        ..Default::default()
    });
    let all = evaluate(&r);
    let got: Vec<(bool, Option<f64>)> = all.iter().map(|t| (t.ok, t.value)).collect();
    assert_eq!(got[0], (false, Some(40.0)), "in percent, as written");
    assert_eq!(got[1], (true, Some(0.4)), "a fraction, as written");
    assert!(!got[2].0);
    assert!((got[2].1.unwrap() - 90.0).abs() < 1e-9);
    assert_eq!(got[3], (true, Some(0.1)));
    assert_eq!(got[4], (false, Some(2.0)));
    assert_eq!(all[0].measured.as_deref(), Some("40% (4 of 10 create calls retried)"));
    assert_eq!(all[2].measured.as_deref(), Some("90% (27 of 30 sandboxes)"));
}

#[test]
fn no_data_is_never_a_pass_and_says_why() {
    let mut r = report(&[
        "lifecycle.burst.tti.p95 < 2s",
        "storage.download.p50 < 1s",
        "retries.create.rate < 5%",
        "checkpoint.restore.p95 < 1s",
        "contention.leaked <= 0",
    ]);
    r.workloads
        .insert("lifecycle".into(), WorkloadResult::counted(10, 10, 0, 0, 0));
    r.workloads
        .insert("checkpoint".into(), WorkloadResult::counted(10, 0, 0, 10, 0));
    r.lifecycle = Some(LifecycleReport {
        sequential: Some(ModeReport {
            count: 10,
            ..Default::default()
        }),
        ..Default::default()
    });
    with_histograms(&mut r, &[("lifecycle.sequential.tti_ms", &[5])]);
    r.histograms.insert(
        "checkpoint.all.restore_ms".into(),
        crate::report::encode_histogram(&crate::report::new_histogram()),
    );
    let all = evaluate(&r);
    let why: Vec<&str> = all.iter().map(|t| t.measured.as_deref().unwrap()).collect();
    assert_eq!(
        why,
        vec![
            "no data: lifecycle mode burst did not run",
            "no data: the storage workload did not run",
            "no data: the report counts no retries",
            "no data: no samples recorded",
            "no data: the contention workload did not run",
        ]
    );
    assert!(all.iter().all(|t| !t.ok && t.value.is_none()));
    r.thresholds = all;
    crate::report::verdict::judge(&mut r);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(
        r.verdict_reasons.contains(
            &"lifecycle: threshold `lifecycle.burst.tti.p95 < 2s` has no data: lifecycle mode burst did not run"
                .to_string()
        ),
        "{:?}",
        r.verdict_reasons
    );
}

#[test]
fn an_expression_this_version_cannot_read_is_no_data() {
    let t = one(&report(&["lifecycle.burst.tti.p95 < 2 parsecs"]));
    assert!(!t.ok && t.value.is_none());
    assert!(t.measured.unwrap().starts_with("no data: cannot evaluate:"));
}

#[test]
fn numbers_show_four_significant_digits_at_most() {
    let cases = [
        (812.34, "812.3"),
        (30.015, "30.02"),
        (2.0, "2"),
        (0.05, "0.05"),
        (0.0003, "0.0003"),
        (12345.6, "12346"),
        (0.0, "0"),
    ];
    for (v, text) in cases {
        assert_eq!(number(v), text, "{v}");
    }
}
