//! Checkpoint storms through the real binary: many sandboxes checkpointing at once, the checkpoint
//! latency measured from request to ready, and every snapshot restored and proven to be its own
//! round's. Each rule both ways: a clean storm passes with ten checkpoints in flight (one at a time
//! without `--round-concurrency`); a server that restores the wrong checkpoint fails with that name,
//! while damage that is no round's state stays a plain corruption; a checkpoint that never becomes
//! ready is infra; a threshold on checkpoint latency holds and crosses; shards split the rounds and
//! the aggregate merges the checkpoint histogram exactly.

mod serve_support;
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use async_trait::async_trait;
use bytes::Bytes;
use predicates::str::contains;
use serde_json::Value;
use serve_support::{ServeArgs, Server};
use stress_action::cancel::CancelToken;
use stress_action::config::{RunArgs, RunConfig};
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{
    CheckpointId, ExecOutput, ExecRequest, LocalProvider, Provider, ProviderResult, SandboxId,
};
use stress_action::report::{decode_histogram, new_histogram, LatencySummary, Verdict};
use support::cli::{n, run_cli};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    for var in [
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_ATTEMPT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `--profile storm` (20 rounds x 5 restores, 10 rounds at once) with a small marker, plus `extra`;
/// on the local provider (unless `extra` names another) in a work directory of its own.
fn storm(dir: &Path, name: &str, extra: &[&str]) -> (Option<i32>, Value, PathBuf) {
    let work = dir.join(format!("{name}-work"));
    let mut args = vec!["--profile", "storm", "--marker-size", "0.05"];
    if !extra.contains(&"--provider") {
        args.extend(["--work-dir", work.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    run_cli(dir, name, &args, &[])
}

fn rounds(report: &Value) -> &Vec<Value> {
    report["checkpoint"]["rounds"].as_array().expect("checkpoint.rounds")
}

/// The checkpoint section of a storm that took all its checkpoints and verified every restore.
fn assert_clean_storm(report: &Value) {
    assert_eq!(report["verdict"], "pass", "{}", report["verdict_reasons"]);
    assert_eq!(n(&report["totals"]["verified"]), 100);
    assert_eq!(n(&report["config"]["round_concurrency"]), 10);
    let cp = &report["checkpoint"];
    assert_eq!(rounds(report).len(), 20);
    for r in rounds(report) {
        assert!(r["checkpoint_id"].is_string(), "{r}");
        assert!(r["checkpoint_ms"].as_f64().unwrap() > 0.0, "{r}");
        assert_eq!(n(&r["verified"]), 5);
        assert_eq!(n(&r["wrong_checkpoint"]), 0);
    }
    assert_eq!(n(&cp["checkpoint_ms"]["count"]), 20, "one sample per checkpoint");
    let (p50, p95, p99) = (
        cp["checkpoint_ms"]["p50"].as_f64().unwrap(),
        cp["checkpoint_ms"]["p95"].as_f64().unwrap(),
        cp["checkpoint_ms"]["p99"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{p50} {p95} {p99}");
    assert_eq!(n(&cp["in_flight"]["peak"]), 10, "ten checkpoints at once");
    let timeline = cp["in_flight"]["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|p| p["alive"] == 10),
        "the timeline shows the storm"
    );
    assert_eq!(timeline.last().unwrap()["alive"], 0, "and its end");
    let hist = decode_histogram(report["histograms"]["checkpoint.all.checkpoint_ms"].as_str().unwrap()).unwrap();
    assert_eq!(hist.len(), 20);
    assert!(report["histograms"]["checkpoint.round20.checkpoint_ms"].is_string());
}

#[test]
fn a_storm_on_the_local_provider_takes_ten_checkpoints_at_once_and_verifies_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, out) = storm(dir.path(), "storm", &[]);
    assert_eq!(code, Some(0));
    assert_clean_storm(&report);

    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let checkpoints = events
        .lines()
        .filter(|l| l.contains("\"phase\":\"checkpoint\""))
        .count();
    assert_eq!(checkpoints, 20, "one event per checkpoint, with its duration");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("| checkpoint | 20 |"), "{summary}");
    assert!(
        summary.contains("20 of 20 checkpoints ready · peak 10 in flight"),
        "{summary}"
    );
    assert!(summary.contains("| checkpoint ms |"), "{summary}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("checkpoint-latency.svg") && out.join("checkpoint-latency.svg").is_file());

    // Without --round-concurrency the rounds go one at a time: never two checkpoints in flight.
    let (code, one, _) = storm(
        dir.path(),
        "one-at-a-time",
        &["--round-concurrency", "1", "--rounds", "4", "-n", "8"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(n(&one["checkpoint"]["in_flight"]["peak"]), 1);
    assert_eq!(n(&one["checkpoint"]["checkpoint_ms"]["count"]), 4);
}

#[test]
fn a_storm_against_serve_passes_and_a_server_that_mixes_checkpoints_up_fails_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let clean = Server::clean();
    let (code, report, _) = storm(dir.path(), "http", &["--provider", "http", "--endpoint", &clean.url]);
    assert_eq!(code, Some(0));
    assert_clean_storm(&report);
    assert_eq!(report["provider"], "http");

    let mixing = Server::start(ServeArgs {
        fault_checkpoint_mixup_rate: Some(0.2),
        fault_seed: Some(5),
        ..Default::default()
    });
    let (code, report, out) = storm(dir.path(), "mixup", &["--provider", "http", "--endpoint", &mixing.url]);
    assert_eq!(code, Some(1), "{}", report["verdict_reasons"]);
    assert_eq!(report["verdict"], "fail");
    let reasons = report["verdict_reasons"].to_string();
    assert!(reasons.contains("restored the wrong checkpoint"), "{reasons}");
    let wrong: u64 = rounds(&report).iter().map(|r| n(&r["wrong_checkpoint"])).sum();
    assert!(wrong > 0);
    assert_eq!(
        wrong,
        n(&report["totals"]["corrupted"]),
        "every mixed-up restore is named as one, no other corruption"
    );
    // The details name both rounds, and the evidence was kept.
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let mixed: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["check"] == "restored the wrong checkpoint")
        .collect();
    assert_eq!(mixed.len() as u64, wrong);
    let detail = mixed[0]["detail"].as_str().unwrap();
    let own = mixed[0]["round"].as_u64().unwrap();
    assert!(
        detail.starts_with(&format!("expected round {own}'s checkpoint")),
        "{detail}"
    );
    // Another round's marker, and usually its commit too; the commit may be unreadable when the
    // checkpoint serve mixed in was being deleted by its own round at that moment (seen once under
    // load: "found no readable commit and round 6's marker").
    assert!(detail.contains("'s marker"), "{detail}");
    assert!(mixed[0]["evidence"].is_string());
}

#[test]
fn damage_that_is_no_rounds_state_stays_a_plain_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) = storm(dir.path(), "damaged", &["--inject-corruption", "0.2"]);
    assert_eq!(code, Some(1));
    let t = &report["totals"];
    assert!(n(&t["injected_detected"]) > 0);
    assert_eq!(n(&t["injected_detected"]), n(&t["corrupted"]));
    let wrong: u64 = rounds(&report).iter().map(|r| n(&r["wrong_checkpoint"])).sum();
    assert_eq!(wrong, 0, "the self-test's damage is not another round's checkpoint");
    assert!(!report["verdict_reasons"].to_string().contains("wrong checkpoint"));
}

#[test]
fn round_concurrency_below_one_is_a_usage_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "-2"] {
        stress()
            .args(["run", "--profile", "storm", "--round-concurrency", bad, "--out"])
            .arg(dir.path().join("never"))
            .assert()
            .code(2)
            .stderr(contains("--round-concurrency"));
    }
    let toml = dir.path().join("stress.toml");
    std::fs::write(&toml, "profile = \"storm\"\nround-concurrency = 0\n").unwrap();
    stress()
        .arg("run")
        .arg("--config")
        .arg(&toml)
        .arg("--out")
        .arg(dir.path().join("never"))
        .assert()
        .code(2)
        .stderr(contains("--round-concurrency"));
    assert!(!dir.path().join("never").exists(), "nothing ran");
}

#[test]
fn a_threshold_on_checkpoint_latency_holds_or_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let small = ["--rounds", "4", "-n", "8", "--round-concurrency", "4"];
    let mut held = small.to_vec();
    held.extend(["--threshold", "checkpoint.checkpoint.p95 < 60s"]);
    let (code, report, _) = storm(dir.path(), "held", &held);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert_eq!(report["thresholds"][0]["ok"], true);
    assert!(report["thresholds"][0]["measured"]
        .as_str()
        .unwrap()
        .contains("of 4 samples"));

    let mut crossed = small.to_vec();
    crossed.extend(["--threshold", "checkpoint.checkpoint.p50 > 60s"]);
    let (code, report, _) = storm(dir.path(), "crossed", &crossed);
    assert_eq!(code, Some(1));
    let reasons = report["verdict_reasons"].to_string();
    assert!(
        reasons.contains("checkpoint: threshold `checkpoint.checkpoint.p50 > 60s` crossed"),
        "{reasons}"
    );
}

#[test]
fn shards_split_the_rounds_and_the_aggregate_merges_checkpoint_latency_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (1..=2)
        .map(|i| {
            let shard = format!("{i}/2");
            let (code, report, out) = storm(
                dir.path(),
                &format!("shard-{i}"),
                &["--shard", &shard, "--group", "storm"],
            );
            assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
            assert_eq!(rounds(&report).len(), 10, "half the rounds");
            assert_eq!(n(&report["config"]["restores"]), 50);
            assert_eq!(n(&report["checkpoint"]["in_flight"]["peak"]), 10);
            out
        })
        .collect();
    let agg = dir.path().join("agg");
    stress()
        .arg("aggregate")
        .arg("--out")
        .arg(&agg)
        .args(&shards)
        .assert()
        .code(0);
    let all = read_report(&agg);
    assert_accounting(&all);
    assert_eq!(all["verdict"], "pass");
    assert_eq!(rounds(&all).len(), 20, "20 checkpoints in all");
    assert_eq!(n(&all["config"]["rounds"]), 20);

    let mut sum = new_histogram();
    for shard in &shards {
        let r = read_report(shard);
        sum.add(decode_histogram(r["histograms"]["checkpoint.all.checkpoint_ms"].as_str().unwrap()).unwrap())
            .unwrap();
    }
    let merged: LatencySummary = serde_json::from_value(all["checkpoint"]["checkpoint_ms"].clone()).unwrap();
    assert_eq!(
        merged,
        LatencySummary::from_histogram(&sum),
        "the histogram of every shard's samples"
    );
    assert_eq!(merged.count, 20);
    assert!(
        all["histograms"]["checkpoint.round20.checkpoint_ms"].is_string(),
        "round keys renumbered"
    );

    // The shards ran one after the other: on the wall clock their storms do not overlap.
    let in_flight = &all["checkpoint"]["in_flight"];
    assert_eq!(n(&in_flight["peak"]), 10);
    let first = read_report(&shards[0]);
    assert_eq!(in_flight["started_at"], first["checkpoint"]["in_flight"]["started_at"]);
    let (merged_len, first_len) = (
        in_flight["timeline"].as_array().unwrap().len(),
        first["checkpoint"]["in_flight"]["timeline"].as_array().unwrap().len(),
    );
    assert!(
        merged_len > first_len,
        "the second shard's storm comes after the first's"
    );
}

/// The local provider, except that no checkpoint ever becomes ready.
struct NeverReady(LocalProvider);

#[async_trait]
impl Provider for NeverReady {
    fn name(&self) -> &'static str {
        "never-ready"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        self.0.create().await
    }
    async fn exec(&self, sb: &SandboxId, req: &ExecRequest) -> ProviderResult<ExecOutput> {
        self.0.exec(sb, req).await
    }
    async fn write_file(&self, sb: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()> {
        self.0.write_file(sb, path, data).await
    }
    async fn read_file(&self, sb: &SandboxId, path: &str) -> ProviderResult<Bytes> {
        self.0.read_file(sb, path).await
    }
    async fn checkpoint(&self, _sb: &SandboxId) -> ProviderResult<CheckpointId> {
        std::future::pending().await
    }
    async fn restore(&self, cp: &CheckpointId) -> ProviderResult<SandboxId> {
        self.0.restore(cp).await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        self.0.destroy(sb).await
    }
    async fn shutdown(&self) -> ProviderResult<()> {
        self.0.shutdown().await
    }
}

#[tokio::test]
async fn a_checkpoint_that_never_becomes_ready_is_infra_timeout_not_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = RunConfig::build(RunArgs {
        profile: Some("storm".into()),
        rounds: Some(3),
        restores: Some(6),
        marker_size_mb: Some(0.05),
        out: Some(dir.path().join("run")),
        seed: Some(1),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    cfg.checkpoint.ready_timeout = Duration::from_millis(300);
    let provider = Arc::new(NeverReady(LocalProvider::new(LocalOptions::default()).unwrap()));
    let summary = stress_action::run::run_with_provider(cfg, provider, CancelToken::new())
        .await
        .unwrap();
    let r = &summary.result;
    assert_eq!((r.totals.verified, r.totals.corrupted, r.totals.infra), (0, 0, 6));
    assert_eq!(
        r.verdict,
        Verdict::Inconclusive,
        "the platform was not tested, not corrupt"
    );
    assert_eq!(r.infra_classes.get("timeout"), Some(&6));
    let cp = r.checkpoint.as_ref().unwrap();
    assert_eq!(cp.in_flight.peak, 3, "all three were requested together");
    assert_eq!(cp.checkpoint_ms.count, 0, "a checkpoint never ready has no latency");
    for round in &cp.rounds {
        let why = round.setup_error.as_deref().unwrap_or_default();
        assert!(
            why.starts_with("checkpoint: timeout") && why.contains("not ready"),
            "{why}"
        );
        assert_eq!(round.checkpoint_ms, None);
    }
    assert_accounting(&read_report(&dir.path().join("run")));
}
