//! Sharded runs merged by `stress-action aggregate`, through the real binary: shards of a burst
//! against `serve` add up to one unsharded run and their histograms merge exactly; a corrupted shard
//! fails the aggregate; a missing shard fails it by name; shards of two groups are refused.

mod serve_support;
mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use hdrhistogram::Histogram;
use predicates::str::contains;
use serve_support::Server;
use stress_action::report::{decode_histogram, new_histogram, LatencySummary};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("GITHUB_RUN_ATTEMPT");
    cmd
}

fn burst(url: &str, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    stress()
        .args([
            "run",
            "--profile",
            "burst",
            "--burst-size",
            "400",
            "--provider",
            "http",
            "--endpoint",
            url,
        ])
        .args(["--seed", "11", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
}

fn aggregate(out: &Path, inputs: &[PathBuf]) -> assert_cmd::assert::Assert {
    stress().arg("aggregate").arg("--out").arg(out).args(inputs).assert()
}

/// Every `tti_ms` sample of a run's events, recorded the way the tool records them (microseconds).
fn tti_samples(events: &Path, into: &mut Histogram<u64>) -> u64 {
    let text = std::fs::read_to_string(events).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(ms) = v["timings"]["tti_ms"].as_f64() {
            into.record(((ms * 1000.0).round() as u64).max(1)).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn four_shards_of_a_burst_add_up_to_one_run_and_merge_exactly() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    burst(&server.url, &single, &[]).code(0);

    let shards: Vec<PathBuf> = (1..=4).map(|i| dir.path().join(format!("shard-{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        burst(
            &server.url,
            shard,
            &["--shard", &format!("{}/4", i + 1), "--group", "g400"],
        )
        .code(0);
        let r = read_report(shard);
        assert_eq!(r["shard"]["index"], i + 1);
        assert_eq!(r["shard"]["group"], "g400");
        assert_eq!(r["lifecycle"]["burst"]["count"], 100, "an even slice");
        assert!(r["host"]["peak_rss_mb"].as_f64().unwrap() > 0.0);
    }
    let seeds: std::collections::BTreeSet<u64> = shards
        .iter()
        .map(|s| read_report(s)["shard"]["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds.len(), 4, "each shard draws from its own seed");

    let agg = dir.path().join("agg");
    aggregate(&agg, &shards).code(0).stdout(contains("verdict pass"));
    let (one, all) = (read_report(&single), read_report(&agg));
    assert_eq!(all["verdict"], "pass");
    for key in ["planned", "verified", "corrupted", "infra", "lost"] {
        assert_eq!(all["totals"][key], one["totals"][key], "totals.{key}");
    }
    let (b1, ba) = (&one["lifecycle"]["burst"], &all["lifecycle"]["burst"]);
    assert_eq!(ba["count"], 400);
    assert_eq!(ba["count"], b1["count"]);
    assert_eq!(ba["status"], b1["status"]);
    assert_eq!(ba["status"]["success"], 400);
    assert_eq!(all["aggregate"]["count"], 4);
    assert_eq!(all["aggregate"]["shards"].as_array().unwrap().len(), 4);
    assert_eq!(all["config"]["burst_size"], 400);
    assert_accounting(&all);

    // The merged histogram is the histogram of every sample of every shard.
    let mut samples = new_histogram();
    let n: u64 = shards
        .iter()
        .map(|s| tti_samples(&s.join("events.jsonl"), &mut samples))
        .sum();
    assert_eq!(n, 400);
    let merged = decode_histogram(all["histograms"]["lifecycle.burst.tti_ms"].as_str().unwrap()).unwrap();
    assert_eq!(merged.len(), samples.len());
    for q in [0.5, 0.99] {
        let (m, s) = (merged.value_at_quantile(q), samples.value_at_quantile(q));
        // Equal up to the histogram's precision (3 significant digits) and the events' rounding.
        assert!(m.abs_diff(s) <= s / 500 + 2, "q{q}: merged {m} vs samples {s}");
    }
    // Four shards run apart are worth the sum of their independent samples: 400 over the merged
    // overlap equals the sum of 100 over each shard's.
    let key = "lifecycle.burst.tti_ms";
    let worth: f64 = shards
        .iter()
        .map(|s| 100.0 / read_report(s)["histogram_overlap"][key].as_f64().unwrap())
        .sum();
    let merged_overlap = all["histogram_overlap"][key].as_f64().unwrap();
    assert!(
        (400.0 / merged_overlap - worth).abs() <= worth * 0.02,
        "{merged_overlap} vs {worth}"
    );
    let summary: LatencySummary = serde_json::from_value(ba["tti_ms"].clone()).unwrap();
    assert_eq!(
        summary,
        LatencySummary::from_histogram(&merged),
        "summaries come from the merged histogram"
    );

    // The timeline spans the shards on the wall clock, and the events carry their shard.
    let peak = ba["peak_concurrency"].as_u64().unwrap();
    assert!((100..=400).contains(&peak), "peak {peak}");
    let events = std::fs::read_to_string(agg.join("events.jsonl")).unwrap();
    assert_eq!(events.lines().count(), 400);
    assert!(events.lines().all(|l| l.contains("\"shard\":")));
    let summary_md = std::fs::read_to_string(agg.join("summary.md")).unwrap();
    assert!(
        summary_md.contains("aggregate of 4 of 4 shards of group `g400`"),
        "{summary_md}"
    );
    assert!(summary_md.contains("### Shards"), "{summary_md}");
    assert!(agg.join("report.html").is_file() && agg.join("tti-burst.svg").is_file());

    // Everything after the load reads the aggregate like a run: re-render and publish (locally).
    stress().arg("report").arg(&agg).assert().code(0);
    stress()
        .arg("publish")
        .arg(&agg)
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_EVENT_PATH")
        .assert()
        .code(0);
    assert!(agg.join("comment.md").is_file());
}

/// A cheap shard: the checkpoint workload on the local provider.
fn checkpoint_shard(dir: &Path, name: &str, shard: &str, group: &str, extra: &[&str]) -> (PathBuf, i32) {
    let out = dir.join(name);
    let code = stress()
        .args([
            "run",
            "--workload",
            "checkpoint",
            "-n",
            "6",
            "--marker-size",
            "0.1",
            "--quiet",
        ])
        .args(["--shard", shard])
        .args(if group.is_empty() {
            vec![]
        } else {
            vec!["--group", group]
        })
        .arg("--work-dir")
        .arg(dir.join(format!("{name}-work")))
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap();
    (out, code)
}

#[test]
fn a_corrupted_shard_fails_the_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let (s1, c1) = checkpoint_shard(dir.path(), "s1", "1/2", "gc", &[]);
    let (s2, c2) = checkpoint_shard(dir.path(), "s2", "2/2", "gc", &["--inject-corruption", "1"]);
    assert_eq!((c1, c2), (0, 1), "the clean shard passes, the damaged one fails");
    let agg = dir.path().join("agg");
    aggregate(&agg, &[s1, s2]).code(1).stdout(contains("verdict fail"));
    let r = read_report(&agg);
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["totals"]["planned"], 6);
    assert_eq!(r["totals"]["corrupted"], 3);
    assert_eq!(r["totals"]["injected_detected"], 3);
    let reasons = r["verdict_reasons"].to_string();
    assert!(reasons.contains("shard 2/2 failed"), "{reasons}");
    // Rounds are numbered across shards, and their histograms follow.
    let rounds: Vec<u64> = r["checkpoint"]["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["round"].as_u64().unwrap())
        .collect();
    assert_eq!(rounds, vec![1, 2]);
    assert!(r["histograms"]["checkpoint.round2.restore_ms"].is_string());
    let summary = std::fs::read_to_string(agg.join("summary.md")).unwrap();
    assert!(summary.contains("Corruption details"), "{summary}");
}

#[test]
fn a_missing_shard_fails_the_aggregate_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (s1, _) = checkpoint_shard(dir.path(), "s1", "1/3", "gm", &[]);
    let (s3, _) = checkpoint_shard(dir.path(), "s3", "3/3", "gm", &[]);
    let agg = dir.path().join("agg");
    aggregate(&agg, &[s1, s3])
        .code(1)
        .stderr(contains("missing shard(s) 2"));
    let r = read_report(&agg);
    assert_eq!(r["verdict"], "fail", "a smaller total never passes for the whole");
    let reasons = r["verdict_reasons"][0].as_str().unwrap();
    assert!(reasons.contains("shard 2/3 of group gm missing"), "{reasons}");
    assert_eq!(r["totals"]["planned"], 4, "the shards that exist are still merged");
}

#[test]
fn inputs_that_are_not_the_shards_of_one_run_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = checkpoint_shard(dir.path(), "a", "1/2", "group-a", &[]);
    let (b, _) = checkpoint_shard(dir.path(), "b", "2/2", "group-b", &[]);
    let agg = dir.path().join("agg");
    aggregate(&agg, &[a.clone(), b])
        .code(2)
        .stderr(contains("2 different groups"))
        .stderr(contains("group-a"))
        .stderr(contains("group-b"));
    assert!(
        !agg.join("report.json").exists(),
        "nothing is written for refused inputs"
    );

    // The same shard twice.
    aggregate(&agg, &[a.clone(), a.clone()])
        .code(2)
        .stderr(contains("given twice"));
    // A directory holding shard directories is read like the shards themselves (download-artifact).
    let (a2, _) = checkpoint_shard(dir.path(), "a2", "2/2", "group-a", &[]);
    let holder = dir.path().join("artifacts");
    std::fs::create_dir_all(&holder).unwrap();
    std::fs::rename(&a, holder.join("shard-1")).unwrap();
    std::fs::rename(&a2, holder.join("shard-2")).unwrap();
    aggregate(&agg, std::slice::from_ref(&holder)).code(0);
    assert_eq!(read_report(&agg)["aggregate"]["count"], 2);

    // A run that is no shard, and a path that is no run.
    let plain = dir.path().join("plain");
    stress()
        .args([
            "run",
            "--workload",
            "checkpoint",
            "-n",
            "2",
            "--marker-size",
            "0.1",
            "--quiet",
            "--out",
        ])
        .arg(&plain)
        .arg("--work-dir")
        .arg(dir.path().join("plain-work"))
        .assert()
        .code(0);
    aggregate(&dir.path().join("agg2"), &[plain])
        .code(2)
        .stderr(contains("not a shard"));
    aggregate(&dir.path().join("agg3"), &[dir.path().join("nothing-here")])
        .code(2)
        .stderr(contains("nothing-here"));
}

#[test]
fn bad_shard_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (vec!["--shard", "3/2"], "--shard"),
        (vec!["--shard", "1/20", "-n", "10"], "--shard"),
        (vec!["--shard", "1/2", "--group", "has space"], "--group"),
        (vec!["--group", "g"], "--group"),
        (vec!["--start-at", "yesterday"], "--start-at"),
        (vec!["--start-at", "2001-01-01T00:00:00Z"], "--start-at"),
    ] {
        stress()
            .args(["run", "--workload", "checkpoint", "--quiet", "--out"])
            .arg(dir.path().join("never"))
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(flag));
    }
    assert!(!dir.path().join("never").exists());
}

#[test]
fn the_burst_waits_for_start_at_and_a_late_start_only_warns() {
    let dir = tempfile::tempdir().unwrap();
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let out = dir.path().join("timed");
    stress()
        .args([
            "run",
            "--workload",
            "lifecycle",
            "--modes",
            "burst",
            "--burst-size",
            "4",
            "--quiet",
        ])
        .args(["--shard", "1/2", "--start-at", &at_text, "--work-dir"])
        .arg(dir.path().join("work"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let r = read_report(&out);
    assert_eq!(r["lifecycle"]["burst"]["count"], 2);
    let started = r["lifecycle"]["burst"]["started_at"].as_str().unwrap();
    let started = chrono::DateTime::parse_from_rfc3339(started).unwrap();
    // Both instants are printed to the millisecond; without the wait the burst would go ~2.5 s early.
    let at = chrono::DateTime::parse_from_rfc3339(&at_text).unwrap();
    assert!(
        started >= at - chrono::Duration::milliseconds(10),
        "burst released at {started}, before --start-at {at_text}"
    );

    let late = (chrono::Utc::now() - chrono::Duration::seconds(30)).to_rfc3339();
    stress()
        .args([
            "run",
            "--workload",
            "lifecycle",
            "--modes",
            "burst",
            "--burst-size",
            "2",
            "--quiet",
        ])
        .args(["--start-at", &late, "--work-dir"])
        .arg(dir.path().join("work2"))
        .arg("--out")
        .arg(dir.path().join("late"))
        .assert()
        .code(0)
        .stderr(contains("releasing the burst now"));
}

#[test]
fn shards_started_by_hand_without_a_group_still_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let (s1, _) = checkpoint_shard(dir.path(), "s1", "1/2", "", &[]);
    let (s2, _) = checkpoint_shard(dir.path(), "s2", "2/2", "", &[]);
    assert_eq!(read_report(&s1)["shard"]["group"], "local");
    assert_eq!(
        read_report(&s1)["seed"],
        read_report(&s2)["seed"],
        "one base seed, from the group"
    );
    assert_ne!(read_report(&s1)["shard"]["seed"], read_report(&s2)["shard"]["seed"]);
    let agg = dir.path().join("agg");
    aggregate(&agg, &[s1, s2]).code(0);
    assert_eq!(read_report(&agg)["totals"]["verified"], 6);
}
