//! Timed shards merged by `stress-action aggregate`, through the real binary against one real
//! `serve` over 127.0.0.1: two shards of a `--duration --rate` run, started together, aggregate into
//! one time series whose windows are the shards' windows added on the wall clock (counts summed,
//! histograms merged exactly into the totals); two shards of a `--ramp` against a server with a
//! ceiling aggregate into steps whose rates are the shards' summed, judged again on the merged
//! numbers, with the knee on the merged steps and a step past the ceiling caught.

mod serve_support;
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use chrono::{DateTime, Utc};
use serde_json::Value;
use serve_support::ServeChild;
use stress_action::report::{decode_histogram, new_histogram, LatencySummary};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// Shards 1/2 and 2/2 of one group run at the same time against `url`; their directories.
fn two_shards(url: &str, dir: &Path, args: &[&str]) -> Vec<PathBuf> {
    let outs: Vec<PathBuf> = (1..=2).map(|i| dir.join(format!("shard{i}"))).collect();
    std::thread::scope(|s| {
        let runs: Vec<_> = outs
            .iter()
            .enumerate()
            .map(|(i, out)| {
                s.spawn(move || {
                    stress()
                        .args(["run", "-q", "--seed", "7", "--provider", "http", "--endpoint", url])
                        .args(["--workload", "lifecycle", "--group", "soak"])
                        .args(["--shard", &format!("{}/2", i + 1)])
                        .args(args)
                        .arg("--out")
                        .arg(out)
                        .timeout(Duration::from_secs(120))
                        .output()
                        .unwrap()
                })
            })
            .collect();
        for run in runs {
            let output = run.join().unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    });
    outs
}

fn aggregate(out: &Path, shards: &[PathBuf]) -> Value {
    let output = stress()
        .arg("aggregate")
        .arg("--out")
        .arg(out)
        .args(shards)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    read_report(out)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A shard's window `w` of its series `ts`: the aggregate window its wall-clock start is nearest.
fn aggregate_index(ts: &Value, w: &Value, agg: &Value) -> usize {
    let width = agg["window_s"].as_f64().unwrap();
    let offset = (time(&ts["started_at"]) - time(&agg["started_at"]))
        .num_microseconds()
        .unwrap() as f64
        / 1e6;
    ((offset + w["t_s"].as_f64().unwrap()) / width).round() as usize
}

#[test]
fn timed_shards_aggregate_into_one_time_series_window_by_window() {
    let server = ServeChild::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let shards = two_shards(
        &server.url,
        dir.path(),
        &["--duration", "3s", "--rate", "20/s", "--window", "1s"],
    );
    let agg = aggregate(&dir.path().join("agg"), &shards);
    assert_accounting(&agg);
    assert_eq!(agg["verdict"], "pass");
    assert_eq!(agg["config"]["rate_per_s"], 20.0, "the shards' 10/s each add up");
    let series = &agg["timeseries"];
    let windows = series["windows"].as_array().unwrap();
    assert!(windows.len() >= 3, "{}", windows.len());

    // Every aggregate window is the sum of the shard windows laid on it by wall clock.
    let mut expected = vec![(0u64, 0u64, 0u64); windows.len()];
    let mut rss = vec![0f64; windows.len()];
    for shard in &shards {
        let ts = &read_report(shard)["timeseries"];
        for w in ts["windows"].as_array().unwrap() {
            let i = aggregate_index(ts, w, series);
            expected[i].0 += n(&w["launched"]);
            expected[i].1 += n(&w["ended"]);
            expected[i].2 += n(&w["alive"]);
            rss[i] = rss[i].max(w["rss_mb"].as_f64().unwrap_or(0.0));
        }
    }
    let got: Vec<(u64, u64, u64)> = windows
        .iter()
        .map(|w| (n(&w["launched"]), n(&w["ended"]), n(&w["alive"])))
        .collect();
    assert_eq!(got, expected, "(launched, ended, alive) per window");
    for (w, max) in windows.iter().zip(&rss) {
        assert_eq!(w["rss_mb"].as_f64().unwrap_or(0.0), *max, "RSS is the highest shard's");
    }
    let launched: u64 = got.iter().map(|g| g.0).sum();
    assert_eq!(launched, n(&agg["lifecycle"]["staggered"]["count"]));
    assert!((54..=66).contains(&launched), "3 s at 2 x 10/s: {launched}");

    // The merged windows' histograms add up exactly to the aggregate's total.
    let key = "lifecycle.staggered.tti_ms";
    let mut merged = new_histogram();
    for w in windows {
        if let Some(text) = w["latency"][key]["histogram"].as_str() {
            merged.add(decode_histogram(text).unwrap()).unwrap();
        }
    }
    let total = decode_histogram(agg["histograms"][key].as_str().unwrap()).unwrap();
    assert_eq!(
        LatencySummary::from_histogram(&merged),
        LatencySummary::from_histogram(&total)
    );
    assert_eq!(total.len(), launched);
}

/// The rule of the live search, applied by the test to a merged step's own numbers.
fn holds(step: &Value, slo: &Value, baseline_p95: f64, shards: f64, step_s: f64) -> (bool, bool) {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    let keeps_up =
        f(&step["achieved_per_s"]) + shards / (step_s / 2.0) >= f(&slo["keep_up"]) * f(&step["offered_per_s"]);
    let limit = f(&slo["tti_p95_factor"]) * baseline_p95;
    let slo_holds = step["tti_p95_ms"].as_f64().is_some_and(|p| p <= limit)
        && step["success_rate"]
            .as_f64()
            .is_some_and(|s| s >= f(&slo["min_success"]));
    (keeps_up, slo_holds)
}

#[test]
fn ramped_shards_aggregate_into_steps_judged_on_the_whole_rate() {
    // 4 creates at once x 250 ms: the server takes 16 a second from both shards together.
    let server = ServeChild::start(&[
        "--fault-capacity",
        "4",
        "--fault-latency-ms",
        "250",
        "--fault-ops",
        "create",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let shards = two_shards(
        &server.url,
        dir.path(),
        &["--ramp", "8/s..40/s", "--over", "5s", "--ramp-steps", "5"],
    );
    let agg = aggregate(&dir.path().join("agg"), &shards);
    assert_accounting(&agg);
    let capacity = &agg["lifecycle"]["capacity"];
    let steps = capacity["steps"].as_array().unwrap();
    let parts: Vec<Value> = shards
        .iter()
        .map(|s| read_report(s)["lifecycle"]["capacity"].clone())
        .collect();
    let ran = parts
        .iter()
        .map(|p| p["steps"].as_array().unwrap().len())
        .min()
        .unwrap();
    assert_eq!(steps.len(), ran, "the steps every shard ran");
    assert!(ran >= 2, "{capacity}");
    assert_eq!(
        (capacity["from_per_s"].as_f64(), capacity["to_per_s"].as_f64()),
        (Some(8.0), Some(40.0))
    );

    let baseline = {
        let mut h = new_histogram();
        for p in &parts {
            h.add(decode_histogram(p["steps"][0]["tti_histogram"].as_str().unwrap()).unwrap())
                .unwrap();
        }
        h.value_at_quantile(0.95) as f64 / 1000.0
    };
    for (i, step) in steps.iter().enumerate() {
        let sum = |field: &str| {
            parts
                .iter()
                .map(|p| p["steps"][i][field].as_f64().unwrap())
                .sum::<f64>()
        };
        assert!(
            (step["offered_per_s"].as_f64().unwrap() - sum("offered_per_s")).abs() < 0.011,
            "{step}"
        );
        assert!(
            (step["achieved_per_s"].as_f64().unwrap() - sum("achieved_per_s")).abs() < 0.011,
            "{step}"
        );
        assert_eq!(n(&step["launched"]) as f64, sum("launched"));
        let (keeps_up, slo_holds) = holds(step, &capacity["slo"], baseline, 2.0, 1.0);
        assert_eq!(
            (step["keeps_up"].as_bool(), step["slo_holds"].as_bool()),
            (Some(keeps_up), Some(slo_holds)),
            "step {i}: {step}"
        );
    }
    let offered: Vec<f64> = steps.iter().map(|s| s["offered_per_s"].as_f64().unwrap()).collect();
    assert_eq!(
        offered,
        [8.0, 16.0, 24.0, 32.0, 40.0][..ran],
        "the whole ramp's rates, not a shard's"
    );

    // report.html and summary.md show the merged steps.
    let html = std::fs::read_to_string(dir.path().join("agg/report.html")).unwrap();
    let start = html.find("<section id=\"soak\">").expect("a soak section");
    let soak = &html[start..start + html[start..].find("</section>").unwrap()];
    let windows = agg["timeseries"]["windows"].as_array().unwrap().len();
    assert_eq!(soak.matches("<tr>").count(), 2 + steps.len() + windows, "{soak}");
    assert!(
        soak.contains("<th>offered &#x2f;s</th>") && soak.contains("id=\"capacity.svg\""),
        "{soak}"
    );
    assert!(
        agg["config"]["ramp"]
            .as_str()
            .unwrap()
            .starts_with("8/s..40/s over 5 s"),
        "{}",
        agg["config"]["ramp"]
    );

    // The knee: the highest merged step that passed before two failed in a row.
    let passed: Vec<bool> = steps
        .iter()
        .map(|s| s["keeps_up"] == true && s["slo_holds"] == true)
        .collect();
    assert!(
        passed.iter().any(|p| !p),
        "a 16/s ceiling fails a step of a ramp to 40/s: {capacity}"
    );
    let mut knee = None;
    let mut failed = 0;
    for (i, p) in passed.iter().enumerate() {
        if *p {
            (knee, failed) = (Some(i), 0);
        } else {
            failed += 1;
        }
        if failed == 2 {
            break;
        }
    }
    // (On an idle machine the 8/s step holds; a loaded one may hold none, and then there is no knee.)
    let Some(knee) = knee else {
        assert!(capacity["knee"].is_null(), "{capacity}");
        return;
    };
    assert_eq!(capacity["knee"], steps[knee], "{capacity}");
    assert!(offered[knee] <= 24.0, "a 16/s ceiling: knee at {}/s", offered[knee]);
    let summary = std::fs::read_to_string(dir.path().join("agg/summary.md")).unwrap();
    let headline = format!("**sustainable: {} sandboxes/s", offered[knee]);
    assert!(summary.contains(&headline), "{headline}: {summary}");
}
