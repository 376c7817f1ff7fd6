//! The checkpoint workload through the real binary on the local provider: a clean run passes, every
//! kind of injected damage is caught, and bad flags are refused with exit 2.

mod support;

use assert_cmd::Command;
use predicates::str::contains;
use support::{assert_accounting, read_report};

fn stress() -> Command {
    Command::cargo_bin("stress-action").unwrap()
}

#[test]
fn smoke_run_verifies_every_restore() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "--profile",
            "smoke",
            "--workload",
            "checkpoint",
            "--seed",
            "7",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);

    let report = read_report(&out);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["totals"]["verified"], 10);
    assert_eq!(report["totals"]["corrupted"], 0);
    assert_eq!(report["seed"], 7);
    assert_accounting(&report);
    let round = &report["checkpoint"]["rounds"][0];
    assert_eq!(round["restores"], 10);
    assert_eq!(round["restore_ms"]["count"], 10);
    assert_eq!(round["commit"].as_str().unwrap().len(), 40);

    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let restores: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).expect("every event line is JSON"))
        .filter(|e: &serde_json::Value| e["phase"] == "restore")
        .collect();
    assert_eq!(restores.len(), 10);
    assert!(restores
        .iter()
        .all(|e| e["outcome"] == "verified" && e["ts"].is_string()));

    let log = std::fs::read_to_string(out.join("run.log")).unwrap();
    assert!(log.contains("verdict: PASS"), "{log}");
    assert!(!log.contains('\u{1b}'), "run.log must be free of ANSI escapes");
    assert!(out.join("error-details.log").exists());
}

#[test]
fn every_kind_of_injected_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "--workload",
            "checkpoint",
            "-n",
            "40",
            "--inject-corruption",
            "0.5",
            "--marker-size",
            "1",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1);

    let report = read_report(&out);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["totals"]["injected"], 20);
    assert_eq!(report["totals"]["injected_detected"], 20);
    assert_eq!(report["totals"]["corrupted"], 20);
    assert_eq!(report["totals"]["verified"], 20);
    assert_accounting(&report);
    for kind in ["bitflip", "truncate", "delete_git_object", "delete_marker"] {
        let k = &report["checkpoint"]["injection"][kind];
        assert_eq!(
            (k["injected"].as_u64(), k["detected"].as_u64()),
            (Some(5), Some(5)),
            "{kind}"
        );
    }
    let details = std::fs::read_to_string(out.join("error-details.log")).unwrap();
    assert_eq!(details.matches("=== CORRUPTED").count(), 20);
    assert_eq!(
        details.matches("evidence: evidence/").count(),
        20,
        "every corruption links its evidence"
    );
    let evidence: Vec<_> = std::fs::read_dir(out.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(evidence.len(), 20);
    let bitflips = evidence
        .iter()
        .filter(|dir| {
            let marker = std::fs::read_to_string(dir.join("marker.txt")).unwrap();
            marker.contains("size: 1048576 bytes (expected 1048576)") && !marker.contains("none (identical)")
        })
        .count();
    assert_eq!(
        bitflips, 5,
        "a flipped bit shows as a same-size marker with a first differing byte"
    );
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--concurrency", "0"], "--concurrency"),
        (&["--marker-size", "-1"], "--marker-size"),
        (&["--rounds", "0"], "--rounds"),
        (&["-n", "3", "--rounds", "4"], "--rounds"),
        (&["--inject-corruption", "2"], "--inject-corruption"),
        (&["--profile", "enormous"], "--profile"),
        (&["--concurrency", "many"], "--concurrency"),
    ];
    for (args, flag) in cases {
        let dir = tempfile::tempdir().unwrap();
        stress()
            .arg("run")
            .args(*args)
            .arg("--out")
            .arg(dir.path().join("run"))
            .assert()
            .code(2)
            .stderr(contains(*flag));
        assert!(
            !dir.path().join("run").exists(),
            "no run directory for a refused config"
        );
    }
}

#[test]
fn checks_that_cannot_run_make_the_run_inconclusive() {
    // A 1 ms command timeout: nothing can run, so nothing is verified and nothing is corrupted.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "-q",
            "--workload",
            "checkpoint",
            "--exec-timeout-ms",
            "1",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(3);
    let report = read_report(&out);
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(report["totals"]["infra"], 10);
    assert_eq!(report["totals"]["corrupted"], 0);
    assert_eq!(report["infra_classes"]["timeout"], 10);
    assert_accounting(&report);
}
