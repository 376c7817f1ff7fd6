use super::*;
use crate::report::{
    ChaosReport, CheckpointReport, InjectionCount, ProviderFailure, ScenarioReport, ThresholdResult, WorkloadResult,
};

fn run(workloads: &[(&str, [u64; 5])]) -> RunResult {
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
    for (name, [p, v, c, i, l]) in workloads {
        r.workloads
            .insert(name.to_string(), WorkloadResult::counted(*p, *v, *c, *i, *l));
        r.totals.planned += p;
        r.totals.verified += v;
    }
    r
}

fn judged(mut r: RunResult) -> RunResult {
    judge(&mut r);
    r
}

#[test]
fn every_workload_verified_passes() {
    let r = judged(run(&[
        ("checkpoint", [10, 10, 0, 0, 0]),
        ("lifecycle", [30, 30, 0, 0, 0]),
    ]));
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(r.workloads["checkpoint"].reasons, vec!["10 of 10 restores verified"]);
    assert_eq!(r.verdict_reasons, vec!["40 of 40 operations verified in 2 workloads"]);
}

#[test]
fn successes_of_one_workload_never_hide_another_that_tested_nothing() {
    let mut r = run(&[("checkpoint", [10, 0, 0, 10, 0]), ("lifecycle", [30, 30, 0, 0, 0])]);
    let cp = r.workloads.get_mut("checkpoint").unwrap();
    cp.infra_classes.insert("http_error_503".into(), 10);
    cp.first_infra = Some("checkpoint: http_error 503: injected fault".into());
    let r = judged(r);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.workloads["lifecycle"].verdict, Verdict::Pass);
    let reason = &r.verdict_reasons[0];
    assert!(reason.starts_with("checkpoint: 0 of 10 restores verified"), "{reason}");
    assert!(reason.contains("http_error_503 10"), "{reason}");
    assert!(reason.contains("injected fault"), "{reason}");
}

#[test]
fn corruption_fails_only_its_workload_and_the_run() {
    let r = judged(run(&[("storage", [3, 2, 1, 0, 0]), ("lifecycle", [30, 30, 0, 0, 0])]));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.workloads["storage"].verdict, Verdict::Fail);
    assert_eq!(r.workloads["lifecycle"].verdict, Verdict::Pass);
    assert_eq!(r.verdict_reasons, vec!["storage: 1 of 3 transfers corrupted"]);
    let lost = judged(run(&[("contention", [10, 9, 0, 0, 1])]));
    assert_eq!(lost.verdict, Verdict::Fail);
    assert!(lost.verdict_reasons[0].contains("1 writes lost"));
}

#[test]
fn a_restore_of_another_rounds_checkpoint_is_named_in_the_reason() {
    let mut r = run(&[("checkpoint", [10, 7, 3, 0, 0])]);
    let round = |wrong| crate::report::RoundReport {
        wrong_checkpoint: wrong,
        ..Default::default()
    };
    r.checkpoint = Some(CheckpointReport {
        rounds: vec![round(1), round(1), round(0)],
        ..Default::default()
    });
    let r = judged(r);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.verdict_reasons,
        vec![
            "checkpoint: 3 of 10 restores corrupted (2 restored the wrong checkpoint: another round's marker or commit)"
        ]
    );
}

#[test]
fn infra_budget_is_per_workload() {
    // 2 of 10 restores infra (20 %) is over the default 10 %, although the run-wide rate is 5 %.
    let r = judged(run(&[
        ("checkpoint", [10, 8, 0, 2, 0]),
        ("lifecycle", [30, 30, 0, 0, 0]),
    ]));
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(r.verdict_reasons[0].contains("exceed --max-infra-rate 10.0%"));
    let ok = judged(run(&[("checkpoint", [20, 19, 0, 1, 0])]));
    assert_eq!(ok.verdict, Verdict::Pass);
    assert_eq!(
        ok.workloads["checkpoint"].reasons,
        vec!["19 of 20 restores verified, 1 infra (5.0%)"]
    );
}

#[test]
fn corruption_wins_over_infra_and_an_interrupted_run_never_passes() {
    let r = judged(run(&[("checkpoint", [10, 0, 1, 9, 0])]));
    assert_eq!(r.verdict, Verdict::Fail);
    let mut r = run(&[("checkpoint", [192, 192, 0, 0, 0])]);
    r.interrupted = true;
    r.totals.cancelled = 1148;
    let r = judged(r);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(r
        .verdict_reasons
        .contains(&"interrupted after 192 of 1340 operations".to_string()));
}

#[test]
fn the_self_test_fails_on_a_miss_and_cannot_pass_on_damage_never_applied() {
    let mut r = run(&[("checkpoint", [8, 4, 4, 0, 0])]);
    let mut injection = std::collections::BTreeMap::new();
    injection.insert(
        "bitflip".to_string(),
        InjectionCount {
            injected: 2,
            detected: 2,
            ..Default::default()
        },
    );
    injection.insert(
        "delete_git_object".to_string(),
        InjectionCount {
            injected: 2,
            detected: 1,
            missed: 1,
            ..Default::default()
        },
    );
    r.checkpoint = Some(CheckpointReport {
        injection: injection.clone(),
        ..Default::default()
    });
    let missed = judged(r.clone());
    assert_eq!(missed.verdict, Verdict::Fail);
    assert!(missed
        .verdict_reasons
        .iter()
        .any(|l| l == "checkpoint: detector missed 1 of 4 injected damages (delete_git_object 1)"));

    injection.get_mut("delete_git_object").unwrap().missed = 0;
    injection.get_mut("delete_git_object").unwrap().detected = 2;
    injection.get_mut("bitflip").unwrap().unapplied = 1;
    let mut clean = run(&[("checkpoint", [8, 8, 0, 0, 0])]);
    clean.checkpoint = Some(CheckpointReport {
        injection,
        ..Default::default()
    });
    let unapplied = judged(clean);
    assert_eq!(unapplied.verdict, Verdict::Inconclusive);
    assert!(unapplied.verdict_reasons[0].contains("could not apply 1 damages (bitflip 1)"));
}

fn scenario(name: &str, verdict: Verdict, why: &str) -> ScenarioReport {
    ScenarioReport {
        name: name.into(),
        runs: 1,
        passed: u32::from(verdict == Verdict::Pass),
        verdict: Some(verdict),
        reasons: vec![why.into()],
        ..Default::default()
    }
}

#[test]
fn chaos_is_the_worst_scenario_and_ignores_the_infra_budget() {
    let mut r = run(&[("chaos", [40, 10, 0, 30, 0])]);
    r.chaos = Some(ChaosReport {
        repeat: 1,
        scenarios: vec![scenario("kill9", Verdict::Pass, "ok")],
        ..Default::default()
    });
    assert_eq!(judged(r.clone()).verdict, Verdict::Pass);
    r.chaos
        .as_mut()
        .unwrap()
        .scenarios
        .push(scenario("latency", Verdict::Inconclusive, "the fault never hit"));
    let never_hit = judged(r.clone());
    assert_eq!(never_hit.verdict, Verdict::Inconclusive);
    assert_eq!(
        never_hit.verdict_reasons,
        vec!["chaos: scenario latency inconclusive: the fault never hit"]
    );
    r.chaos
        .as_mut()
        .unwrap()
        .scenarios
        .push(scenario("5xx", Verdict::Fail, "2 operations lost"));
    assert_eq!(judged(r).verdict, Verdict::Fail);
    let none = judged(run(&[("chaos", [0, 0, 0, 0, 0])]));
    assert_eq!(none.verdict, Verdict::Inconclusive);
}

fn threshold(expr: &str, value: Option<f64>, ok: bool) -> ThresholdResult {
    ThresholdResult {
        expr: expr.into(),
        value,
        ok,
        measured: value.map(|v| format!("{v} ms")),
    }
}

#[test]
fn thresholds_fail_when_crossed_and_are_inconclusive_without_data() {
    let mut r = run(&[("lifecycle", [30, 30, 0, 0, 0]), ("checkpoint", [10, 10, 0, 0, 0])]);
    r.thresholds = vec![threshold("lifecycle.burst.tti.p95 < 5ms", Some(812.0), false)];
    let crossed = judged(r.clone());
    assert_eq!(crossed.verdict, Verdict::Fail);
    assert_eq!(crossed.workloads["checkpoint"].verdict, Verdict::Pass);
    assert_eq!(
        crossed.verdict_reasons,
        vec!["lifecycle: threshold `lifecycle.burst.tti.p95 < 5ms` crossed: measured 812 ms"]
    );
    r.thresholds = vec![threshold("storage.upload.p95 < 1s", None, false)];
    let no_data = judged(r.clone());
    assert_eq!(no_data.verdict, Verdict::Inconclusive);
    assert!(no_data.verdict_reasons[0].contains("has no data"));
    r.thresholds = vec![threshold("retries.create.rate < 5%", Some(40.0), false)];
    let run_wide = judged(r.clone());
    assert_eq!(run_wide.verdict, Verdict::Fail);
    assert!(run_wide.verdict_reasons[0].starts_with("threshold `retries.create.rate < 5%` crossed"));
    r.thresholds = vec![threshold("lifecycle.burst.tti.p95 < 5s", Some(812.0), true)];
    assert_eq!(judged(r).verdict, Verdict::Pass);
}

#[test]
fn a_dead_provider_makes_the_workloads_it_touched_inconclusive_with_one_line() {
    let mut r = run(&[("checkpoint", [10, 10, 0, 0, 0]), ("storage", [3, 1, 0, 2, 0])]);
    r.config.max_infra_rate = 1.0;
    r.provider_failure = Some(ProviderFailure {
        message: "the plugin exited (status 1) at request 180".into(),
        workloads: vec!["storage".into()],
    });
    let r = judged(r);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.workloads["checkpoint"].verdict, Verdict::Pass);
    assert_eq!(
        r.verdict_reasons,
        vec!["storage: the plugin exited (status 1) at request 180"]
    );
}

#[test]
fn the_death_is_the_only_line_about_the_failures_it_caused() {
    let mut r = run(&[("lifecycle", [30, 0, 0, 30, 0]), ("storage", [3, 0, 0, 3, 0])]);
    for w in r.workloads.values_mut() {
        w.first_infra = Some("create: the plugin python3 exited (exit status: 3) at request 61".into());
    }
    r.provider_failure = Some(ProviderFailure {
        message: "the plugin python3 exited (exit status: 3) at request 61".into(),
        workloads: vec!["lifecycle".into()],
    });
    let r = judged(r);
    assert_eq!(
        r.workloads["lifecycle"].reasons,
        vec!["the plugin python3 exited (exit status: 3) at request 61"]
    );
    // A workload the death did not reach keeps its own lines.
    assert!(r.workloads["storage"].reasons[0].starts_with("0 of 3 transfers verified"));
}

#[test]
fn leaks_warn_without_changing_the_verdict() {
    let mut r = run(&[("lifecycle", [30, 30, 0, 0, 0])]);
    r.workloads.get_mut("lifecycle").unwrap().leaked = 9;
    let r = judged(r);
    assert_eq!(r.verdict, Verdict::Pass);
    assert!(r.workloads["lifecycle"].warnings[0].starts_with("9 sandboxes leaked"));
}

#[test]
fn writes_the_fault_schedule_killed_do_not_count_against_the_infra_budget() {
    let mut r = run(&[("contention", [100, 50, 0, 50, 0])]);
    r.contention = Some(crate::report::ContentionReport {
        kills: 45,
        ..Default::default()
    });
    // 5 of 100 writes failed on the platform's account: within 10 %.
    assert_eq!(judged(r.clone()).verdict, Verdict::Pass);
    r.contention.as_mut().unwrap().kills = 20;
    let over = judged(r);
    assert_eq!(over.verdict, Verdict::Inconclusive);
    assert!(
        over.verdict_reasons[0].contains("30 of 100: class unknown, not counting 20 the fault schedule caused"),
        "{:?}",
        over.verdict_reasons
    );
}
