//! `schema/report.schema.json` describes what the tool really writes: checked against a real run, an
//! old checkpoint-only report, and synthetic reports with every section.

mod report_support;

use assert_cmd::Command;
use report_support::{full_result, Scenario};

fn validator() -> (boon::Schemas, boon::SchemaIndex) {
    let text = std::fs::read_to_string("schema/report.schema.json").expect("schema exists");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("file:///report.schema.json", schema).unwrap();
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile("file:///report.schema.json", &mut schemas)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"));
    (schemas, index)
}

fn assert_valid(what: &str, report: &serde_json::Value) {
    let (schemas, index) = validator();
    if let Err(e) = schemas.validate(report, index) {
        panic!("{what} does not match the schema: {e:#}");
    }
}

#[test]
fn a_real_run_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    Command::cargo_bin("stress-action")
        .unwrap()
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "--profile", "smoke", "--quiet", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .args(["--threshold", "checkpoint.restore.p95 < 60s"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        text.contains("\"thresholds\": ["),
        "thresholds and config.thresholds are checked too"
    );
    assert_valid("a smoke run", &serde_json::from_str(&text).unwrap());
}

#[test]
fn every_section_matches_the_schema() {
    let old = std::fs::read_to_string("tests/fixtures/checkpoint-only/report.json").unwrap();
    assert_valid("the checkpoint-only fixture", &serde_json::from_str(&old).unwrap());
    for scenario in [Scenario::Pass, Scenario::Corruption, Scenario::Infra] {
        let value = serde_json::to_value(full_result(scenario)).unwrap();
        assert_valid(&format!("{scenario:?}"), &value);
    }
}

#[test]
fn the_schema_rejects_what_the_tool_never_writes() {
    let (schemas, index) = validator();
    let good = serde_json::to_value(full_result(Scenario::Pass)).unwrap();
    let mut bad = good.clone();
    bad["verdict"] = "maybe".into();
    assert!(schemas.validate(&bad, index).is_err(), "unknown verdict accepted");
    let mut bad = good.clone();
    bad["lifecycle"]["burst"]["status"]
        .as_object_mut()
        .unwrap()
        .remove("success");
    assert!(
        schemas.validate(&bad, index).is_err(),
        "missing status.success accepted"
    );
    let mut bad = good;
    bad["histograms"]["lifecycle.burst.tti_ms"] = "not base64!".into();
    assert!(schemas.validate(&bad, index).is_err(), "broken histogram accepted");
}

#[test]
fn an_aggregate_of_every_section_matches_the_schema() {
    use stress_action::report::{HostStats, ShardInfo};
    use stress_action::shard::{aggregate, AggregateOptions};
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for index in 1..=2 {
        let mut r = full_result(Scenario::Pass);
        r.shard = Some(ShardInfo {
            index,
            count: 2,
            group: "g".into(),
            seed: u64::from(index),
        });
        r.host = Some(HostStats {
            peak_rss_mb: 40.0,
            cpu_s: 1.5,
            max_open_fds: 300,
            fds_source: "sampled".into(),
            fd_limit: 1024,
            cpus: 2,
        });
        let shard_dir = dir.path().join(format!("shard-{index}"));
        report_support::write_run_dir(&shard_dir, &r);
        inputs.push(shard_dir.to_string_lossy().to_string());
    }
    let out = dir.path().join("agg");
    let opts = AggregateOptions {
        out: out.clone(),
        inputs,
        s3_endpoint: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let done = rt.block_on(aggregate(&opts, &|_| {})).unwrap();
    let one = full_result(Scenario::Pass);
    assert_eq!(done.result.totals.planned, 2 * one.totals.planned);
    let (a, b) = (
        done.result.lifecycle.as_ref().unwrap().burst.as_ref().unwrap(),
        one.lifecycle.as_ref().unwrap().burst.as_ref().unwrap(),
    );
    assert_eq!(a.count, 2 * b.count);
    assert_eq!(a.tti_ms.count, 2 * b.tti_ms.count);
    // Same start, same timeline shape: the merged timeline is the sum of the two.
    assert_eq!(a.peak_concurrency, 2 * b.peak_concurrency);
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert_valid("an aggregate", &serde_json::from_str(&text).unwrap());
}
