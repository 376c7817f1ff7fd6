//! Several labelled runs side by side: three real `stress-action serve` processes, slowed by
//! different `--fault-latency-ms`, each measured by `run --label`; `leaderboard` must rank the
//! fastest first in every mode, with scores that follow the documented formula computed here from
//! report.json's histograms, draw one chart per mode, and refuse runs that do not compare.

mod fake_github;
mod moto;
mod serve_support;
mod support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use fake_github::FakeGitHub;
use moto::{aws_env, Moto};
use serve_support::ServeChild;
use stress_action::report::decode_histogram;
use support::cli::run_cli;

/// The lifecycle settings every compared run shares.
const LIFECYCLE: [&str; 6] = [
    "--workload",
    "lifecycle",
    "--modes",
    "sequential,burst",
    "--lifecycle-count",
    "6",
];

fn measure(dir: &Path, server: &ServeChild, label: Option<&str>, extra: &[&str]) -> serde_json::Value {
    let name = label.unwrap_or("unlabelled");
    let mut args = vec!["--provider", "http", "--endpoint", &server.url];
    if let Some(label) = label {
        args.extend(["--label", label]);
    }
    args.extend(extra);
    let (code, report, _) = run_cli(dir, name, &args, &[]);
    assert_eq!(code, Some(0), "{name}: {}", report["verdict_reasons"]);
    report
}

fn leaderboard(out: &Path, inputs: &[&Path]) -> (Option<i32>, String) {
    leaderboard_with(out, inputs, &[])
}

fn leaderboard_with(out: &Path, inputs: &[&Path], extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    let output = aws_env(&mut cmd)
        .arg("leaderboard")
        .args(extra)
        .arg("--out")
        .arg(out)
        .args(inputs)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// The formula of `leaderboard::score`, written out again from its documentation.
fn expected_score(report: &serde_json::Value, mode: &str) -> f64 {
    let text = report["histograms"][format!("lifecycle.{mode}.tti_ms")]
        .as_str()
        .unwrap();
    let h = decode_histogram(text).unwrap();
    let trimmed = |q: f64| h.value_at_quantile(0.05 + 0.90 * q) as f64 / 1000.0;
    let s = |ms: f64| 100.0 * (1.0 - ms / 10_000.0).clamp(0.0, 1.0);
    let m = &report["lifecycle"][mode];
    let success_rate = m["status"]["success"].as_f64().unwrap() / m["count"].as_f64().unwrap();
    (0.60 * s(trimmed(0.50)) + 0.25 * s(trimmed(0.95)) + 0.15 * s(trimmed(0.99))) * success_rate
}

#[test]
fn three_labelled_servers_are_ranked_fastest_first_by_the_formula() {
    let runs = tempfile::tempdir().unwrap();
    // Labels not in speed order, so alphabetical or input order cannot pass for a ranking.
    let servers = [("a", "150"), ("b", "0"), ("c", "50")];
    let mut reports = Vec::new();
    for (label, latency) in servers {
        let server = ServeChild::start(&["--fault-latency-ms", latency]);
        let report = measure(runs.path(), &server, Some(label), &LIFECYCLE);
        assert_eq!(report["label"], label);
        let out = runs.path().join(label);
        let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
        assert!(
            summary.starts_with(&format!("## stress-action report: {label}\n")),
            "{summary}"
        );
        assert!(summary.contains(&format!("label `{label}`")), "{summary}");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains(&format!("<title>stress-action report {label}:")),
            "{html}"
        );
        let log = std::fs::read_to_string(out.join("run.log")).unwrap();
        assert!(log.contains(&format!("verdict: PASS for {label}")), "{log}");
        reports.push((label, report));
    }

    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = leaderboard(out.path(), &[runs.path()]);
    assert_eq!(code, Some(0), "{stderr}");
    let board: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("leaderboard.json")).unwrap()).unwrap();
    let modes = board["modes"].as_array().unwrap();
    assert_eq!(modes.len(), 2, "{board}");
    for mode in modes {
        let name = mode["mode"].as_str().unwrap();
        let rows = mode["rows"].as_array().unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
        assert_eq!(order, ["b", "c", "a"], "{name}: {mode}");
        for row in rows {
            let (_, report) = reports.iter().find(|(l, _)| row["label"] == *l).unwrap();
            let want = expected_score(report, name);
            let got = row["score"].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "{name} {}: score {got}, formula {want}",
                row["label"]
            );
            assert_eq!(row["n"], 6);
            assert_eq!(row["tti_p50_ms"], report["lifecycle"][name]["tti_ms"]["p50"]);
        }
        let scores: Vec<f64> = rows.iter().map(|r| r["score"].as_f64().unwrap()).collect();
        assert!(scores[0] > scores[1] && scores[1] > scores[2], "{name}: {scores:?}");
    }
    let svg = std::fs::read_to_string(out.path().join("leaderboard-burst.svg")).unwrap();
    assert!(svg.contains("<svg") && !svg.contains("style="), "{svg}");
    assert!(
        svg.contains("\nb\n") && svg.contains("\na\n"),
        "the chart names the runs: {svg}"
    );
    assert!(out.path().join("leaderboard-sequential.svg").is_file());
    let md = std::fs::read_to_string(out.path().join("leaderboard.md")).unwrap();
    let burst = &md[md.find("### Sandbox lifecycle: burst").unwrap()..];
    let (b, c, a) = (
        burst.find("**b**").unwrap(),
        burst.find("**c**").unwrap(),
        burst.find("**a**").unwrap(),
    );
    assert!(b < c && c < a, "{md}");
    assert!(md.contains("60 % × s(p50)"), "the formula is stated: {md}");
    let html = std::fs::read_to_string(out.path().join("leaderboard.html")).unwrap();
    assert!(
        html.contains("<table>") && html.contains("leaderboard-burst.svg"),
        "{html}"
    );

    publish_posts_the_leaderboard_rendered_from_json(out.path(), &md);
    s3_prefixes_rank_the_same(runs.path(), &board);
}

/// `publish DIR` on a leaderboard directory: one sticky comment, rendered from leaderboard.json
/// (a tampered leaderboard.md in the directory is never what is posted).
fn publish_posts_the_leaderboard_rendered_from_json(dir: &Path, md: &str) {
    std::fs::write(dir.join("leaderboard.md"), "EVIL markdown from a fork").unwrap();
    let gh = FakeGitHub::start(100);
    for _ in 0..2 {
        Command::cargo_bin("stress-action")
            .unwrap()
            .env("GITHUB_TOKEN", "test-token-not-secret")
            .args(["publish", dir.to_str().unwrap(), "--comment-key", "board"])
            .args(["--repo", "o/r", "--pr", "7", "--github-api-url", &gh.url])
            .assert()
            .success();
    }
    let ours = gh.with_marker("board");
    assert_eq!(ours.len(), 1, "one sticky comment: {ours:?}");
    let body = &ours[0].body;
    assert!(!body.contains("EVIL"), "{body}");
    let table = |text: &str| {
        let start = text.find("### Sandbox lifecycle: burst").unwrap();
        let end = text[start..].find("<sub>").unwrap();
        text[start..start + end].to_string()
    };
    assert_eq!(table(body), table(md), "the comment is the leaderboard");
}

/// The same runs read back from an s3:// prefix (as `publish` uploads run directories).
fn s3_prefixes_rank_the_same(runs: &Path, local: &serde_json::Value) {
    let moto = Moto::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let client = moto.client();
            client.create_bucket().bucket("runs").send().await.unwrap();
            for label in ["a", "b", "c"] {
                let body = std::fs::read(runs.join(label).join("report.json")).unwrap();
                client
                    .put_object()
                    .bucket("runs")
                    .key(format!("matrix/{label}/report.json"))
                    .body(body.into())
                    .send()
                    .await
                    .unwrap();
            }
        });
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = leaderboard_with(
        out.path(),
        &[Path::new("s3://runs/matrix")],
        &["--s3-endpoint", &moto.url],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let board: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("leaderboard.json")).unwrap()).unwrap();
    assert_eq!(board["modes"], local["modes"]);
}

#[test]
fn runs_with_other_settings_or_the_same_label_are_refused_with_exit_2() {
    let runs = tempfile::tempdir().unwrap();
    let server = ServeChild::start(&[]);
    let base = measure(runs.path(), &server, Some("x"), &LIFECYCLE);
    assert_eq!(base["label"], "x");
    // No --label: the kind and the endpoint's host and port.
    let mut other = LIFECYCLE.to_vec();
    other[5] = "3";
    let unlabelled = measure(runs.path(), &server, None, &other);
    let host = server.url.trim_start_matches("http://");
    assert_eq!(unlabelled["label"], format!("http {host}"));

    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = leaderboard(out.path(), &[&runs.path().join("x"), &runs.path().join("unlabelled")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("config.lifecycle_count is 6") && stderr.contains("but 3"),
        "{stderr}"
    );
    assert!(
        !out.path().join("leaderboard.json").exists(),
        "nothing written for refused runs"
    );

    let (code, stderr) = leaderboard(out.path(), &[&runs.path().join("x"), &runs.path().join("x")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("both labelled \"x\""), "{stderr}");

    let (code, stderr) = leaderboard(out.path(), &[runs.path().join("nowhere").as_path()]);
    assert_eq!(code, Some(2), "{stderr}");

    let output = Command::cargo_bin("stress-action")
        .unwrap()
        .args(["run", "-q", "--label", "  ", "--out"])
        .arg(runs.path().join("bad-label"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--label"));
}
