//! `stress-action report DIR` and the GitHub Actions integration, through the real binary.

mod report_support;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use report_support::{assert_chart_is_readable, full_result, write_run_dir, Scenario, ALL_CHARTS};

/// The binary with no GitHub variables inherited from whatever runs the tests.
fn bin() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    for var in ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"] {
        cmd.env_remove(var);
    }
    cmd
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rendered_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg") || n == "summary.md" || n == "report.html")
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn report_renders_every_section_of_a_full_report() {
    let dir = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), &full_result(Scenario::Pass));
    let before = std::fs::read(dir.path().join("report.json")).unwrap();
    bin()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("rendered 12 files"));
    for chart in ALL_CHARTS {
        assert_chart_is_readable(chart, &read(dir.path(), chart));
    }
    let md = read(dir.path(), "summary.md");
    let modes = &md[md.find("### Lifecycle\n").expect("one lifecycle table")..];
    for mode in ["sequential", "staggered", "burst"] {
        assert!(modes.contains(&format!("\n| {mode} | ")), "one row per mode: {md}");
    }
    assert_eq!(
        std::fs::read(dir.path().join("report.json")).unwrap(),
        before,
        "report.json untouched"
    );
}

#[test]
fn report_on_a_checkpoint_only_run_leaves_the_missing_sections_out() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["report.json", "events.jsonl"] {
        std::fs::copy(Path::new("tests/fixtures/checkpoint-only").join(f), dir.path().join(f)).unwrap();
    }
    bin().arg("report").arg(dir.path()).assert().code(0);
    let files: Vec<String> = rendered_files(dir.path()).into_iter().map(|(n, _)| n).collect();
    // Without checkpoint latency in this old report, the percentile chart shows restores alone.
    assert_eq!(
        files,
        ["checkpoint-latency.svg", "report.html", "restores.svg", "summary.md"]
    );
    let md = read(dir.path(), "summary.md");
    assert!(md.contains("✅ **pass**"), "{md}");
    assert!(!md.contains("Lifecycle") && !md.contains("Storage"), "{md}");
}

#[test]
fn report_on_a_missing_or_malformed_report_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("report.json").and(contains("no such file")));
    std::fs::write(dir.path().join("report.json"), "{\"schema_version\": 1, truncated").unwrap();
    bin()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("not a valid report.json"));
    assert!(
        !dir.path().join("summary.md").exists(),
        "nothing rendered from bad input"
    );
}

#[test]
fn github_outputs_summary_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let gh = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), &full_result(Scenario::Corruption));
    let output = gh.path().join("output");
    let summary = gh.path().join("summary");
    std::fs::write(&summary, "earlier step text\n").unwrap();
    let assert = bin()
        .arg("report")
        .arg(dir.path())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(0);
    let out = read(gh.path(), "output");
    let d = dir.path().display();
    let expected = format!(
        "verdict<<STRESS_ACTION_EOF\nfail\nSTRESS_ACTION_EOF\n\
         corrupted<<STRESS_ACTION_EOF\n27\nSTRESS_ACTION_EOF\n\
         infra<<STRESS_ACTION_EOF\n0\nSTRESS_ACTION_EOF\n\
         report-dir<<STRESS_ACTION_EOF\n{d}\nSTRESS_ACTION_EOF\n\
         summary-path<<STRESS_ACTION_EOF\n{d}/summary.md\nSTRESS_ACTION_EOF\n"
    );
    assert_eq!(out, expected);
    let step = read(gh.path(), "summary");
    assert_eq!(step, format!("earlier step text\n{}", read(dir.path(), "summary.md")));
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(errors.len(), 10, "{stdout}");
    assert!(
        errors[0].contains("round 1 restore 0") && errors[0].contains("marker_sha256"),
        "{}",
        errors[0]
    );
    assert!(
        errors[9].contains("18 more corrupted operations (27 in total)"),
        "{}",
        errors[9]
    );
    assert!(!stdout.contains("::warning"), "no infra errors, no warning: {stdout}");
}

#[test]
fn github_infra_warning_and_step_summary_limit() {
    let dir = tempfile::tempdir().unwrap();
    let gh = tempfile::tempdir().unwrap();
    write_run_dir(dir.path(), &full_result(Scenario::Infra));
    let summary = gh.path().join("summary");
    // An earlier step left the summary almost full: ours must shrink to fit, not fail.
    let earlier = "x".repeat(1024 * 1024 - 1500) + "\n";
    std::fs::write(&summary, &earlier).unwrap();
    let assert = bin()
        .arg("report")
        .arg(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(0);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let warnings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::warning")).collect();
    assert_eq!(warnings.len(), 1, "{stdout}");
    assert!(
        warnings[0].contains("94 of 192 operations failed on infrastructure"),
        "{}",
        warnings[0]
    );
    let step = std::fs::read_to_string(&summary).unwrap();
    assert!(step.len() <= 1024 * 1024, "{} bytes", step.len());
    let added = &step[earlier.len()..];
    assert!(added.starts_with("## stress-action report"), "{added}");
    assert!(added.contains("shortened to fit"), "{added}");
}

#[test]
fn run_then_report_regenerates_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let work = dir.path().join("work");
    bin()
        .args(["run", "--profile", "smoke", "--quiet", "--seed", "7", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(&work)
        .assert()
        .code(0);
    let first = rendered_files(&out);
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"summary.md") && names.contains(&"report.html"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with(".svg")), "{names:?}");
    for (name, bytes) in &first {
        if name.ends_with(".svg") {
            assert_chart_is_readable(name, std::str::from_utf8(bytes).unwrap());
        }
    }
    assert!(read(&out, "summary.md").contains("✅ **pass**"));
    let report = std::fs::read(out.join("report.json")).unwrap();
    bin().arg("report").arg(&out).assert().code(0);
    let second = rendered_files(&out);
    assert_eq!(first.len(), second.len());
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert!(a == b, "{name} changed when re-rendered");
    }
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), report);
}

/// `tests/fixtures/all-sections/` is the synthetic corruption run on disk, so anyone can try
/// `stress-action report` on every chart type (copy it first: `report` writes next to report.json).
/// `UPDATE_FIXTURES=1` rewrites it from the builder.
#[test]
fn all_sections_fixture_matches_the_builder() {
    let fixture = Path::new("tests/fixtures/all-sections");
    let fresh = tempfile::tempdir().unwrap();
    write_run_dir(fresh.path(), &full_result(Scenario::Corruption));
    for f in ["report.json", "events.jsonl"] {
        let want = std::fs::read(fresh.path().join(f)).unwrap();
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all(fixture).unwrap();
            std::fs::write(fixture.join(f), &want).unwrap();
        }
        let have = std::fs::read(fixture.join(f)).unwrap_or_default();
        assert!(have == want, "{f} is stale: run with UPDATE_FIXTURES=1");
    }
}

#[test]
fn a_rendering_failure_after_a_run_keeps_report_json_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // A non-empty directory where summary.md should go: the markdown exporter cannot write it.
    std::fs::create_dir_all(out.join("summary.md").join("blocker")).unwrap();
    bin()
        .args(["run", "--profile", "smoke", "--quiet", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .assert()
        .code(0)
        .stderr(contains("rendering the reports failed").and(contains("report.json is intact")));
    let report: serde_json::Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert!(
        out.join("restores.svg").is_file(),
        "charts rendered before the failure are kept"
    );
}

/// A failing self-test run through the binary: exit 1, a headline that says the corruptions were
/// injected and how many were caught (matching report.json), and report.html with the failures
/// open under a red banner, each evidence link pointing at a directory the run wrote.
#[test]
fn a_self_test_run_says_what_it_injected_and_opens_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    bin()
        .args([
            "run",
            "--profile",
            "smoke",
            "--seed",
            "2",
            "--inject-corruption",
            "0.3",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(240))
        .assert()
        .code(1);
    let report: serde_json::Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    let injected = report["totals"]["injected"].as_u64().unwrap();
    let detected = report["totals"]["injected_detected"].as_u64().unwrap();
    assert!(injected > 0 && detected == injected, "{}", report["totals"]);
    let headline = format!("{injected} corruptions injected by the self-test, {detected} detected");
    let md = read(&out, "summary.md");
    assert!(md.contains(&format!("❌ **fail** · {headline}")), "{md}");
    let html = read(&out, "report.html").replace("&#x2f;", "/");
    assert!(html.contains("<header class=\"banner fail\""));
    assert!(
        html.contains(&format!("<p class=\"selftest\">{headline}</p>")),
        "the banner says it too"
    );
    let open = html
        .find("<details class=\"corruptions\" id=\"corruptions\" open>")
        .expect("details open");
    assert!(open < html.find("<section").unwrap());
    let links: Vec<&str> = html
        .match_indices("<a href=\"evidence/")
        .map(|(i, _)| {
            let start = i + "<a href=\"".len();
            &html[start..start + html[start..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(links.len() as u64, injected, "one evidence link per corruption");
    for link in links {
        assert!(out.join(link).is_dir(), "{link} does not exist in the run directory");
    }
}
