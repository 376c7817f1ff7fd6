//! The lifecycle and storage workloads through the real binary: the smoke profile runs all three
//! workloads and passes, the burst profile runs only the burst, and bad flags exit 2 naming the flag.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use support::{assert_accounting, read_report};

fn stress() -> Command {
    Command::cargo_bin("stress-action").unwrap()
}

#[test]
fn smoke_profile_runs_every_workload_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args(["run", "--profile", "smoke", "--seed", "11", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(contains("Lifecycle").and(contains("Storage")));
    let report = read_report(&out);
    assert_eq!(report["verdict"], "pass");
    for mode in ["sequential", "staggered", "burst"] {
        assert_eq!(report["lifecycle"][mode]["status"]["success"], 10, "{mode}");
        assert_eq!(report["lifecycle"][mode]["peak_concurrency"], 10, "{mode}");
    }
    let size = &report["storage"]["sizes"][0];
    assert_eq!(
        (size["size_mb"].as_f64(), size["verified"].as_u64()),
        (Some(1.0), Some(3))
    );
    assert_eq!(report["checkpoint"]["rounds"][0]["verified"], 10);
    // Totals count every workload: 10 restores + 30 sandboxes + 3 transfers.
    assert_eq!(report["totals"]["verified"], 43);
    assert_accounting(&report);
}

#[test]
fn burst_profile_runs_only_the_burst() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args(["run", "--profile", "burst", "--burst-size", "50", "-q", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let report = read_report(&out);
    assert_eq!(report["lifecycle"]["burst"]["status"]["success"], 50);
    assert_eq!(report["lifecycle"]["burst"]["peak_concurrency"], 50);
    assert!(report["lifecycle"]["sequential"].is_null());
    assert!(report["checkpoint"].is_null() && report["storage"].is_null());
    assert_eq!(report["totals"]["planned"], 50);
}

#[test]
fn bad_workload_flags_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--workload", "lifecycle,nap"], "--workload"),
        (&["--modes", "sideways"], "--modes"),
        (&["--lifecycle-count", "0"], "--lifecycle-count"),
        (&["--burst-size", "-1"], "--burst-size"),
        (&["--stagger-ms", "-5"], "--stagger-ms"),
        (&["--storage-sizes", "1,big"], "--storage-sizes"),
        (&["--storage-iterations", "0"], "--storage-iterations"),
        (&["--ready-cmd", ""], "--ready-cmd"),
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
    }
}
