//! Contention through the binary: the correct store passes and the naive one is caught, a hang ends
//! as a timeout, a store that refuses writes is infra (never corruption), and SIGKILLs lose no
//! acknowledged write. Reports match the schema.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::cli::{evidence_dirs, n, run_cli};

fn run(dir: &Path, name: &str, args: &[&str]) -> (Option<i32>, serde_json::Value, std::path::PathBuf) {
    run_cli(dir, name, args, &[])
}

#[test]
fn flock_store_keeps_all_1000_writes() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "contention",
        "--contention-target",
        "flock",
        "--writers",
        "10",
        "--writes",
        "100",
    ];
    let (code, report, out) = run(dir.path(), "flock", &args);
    let c = &report["contention"];
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(
        (
            n(&c["acknowledged"]),
            n(&c["present"]),
            n(&c["lost"]),
            n(&c["duplicates"])
        ),
        (1000, 1000, 0, 0)
    );
    assert_eq!(
        n(&c["write_ms"]["count"]),
        1000,
        "every write is in the latency histogram"
    );
    assert!(report["histograms"]["contention.all.write_ms"].is_string());
    assert_eq!(evidence_dirs(&out), 0);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### Contention"), "{summary}");
}

#[test]
fn naive_store_loses_updates_and_fails_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "contention",
        "--contention-target",
        "naive",
        "--writers",
        "10",
        "--writes",
        "50",
    ];
    let (code, report, out) = run(dir.path(), "naive", &args);
    assert_eq!(code, Some(1));
    assert_eq!(report["verdict"], "fail");
    assert!(n(&report["contention"]["lost"]) > 0, "{}", report["contention"]);
    // Only acknowledged writes that went missing (or were stored twice, or nobody wrote) corrupt:
    // writes the store refused are infra.
    let c = &report["contention"];
    let expected = n(&c["lost"]) + n(&c["duplicates"]) + u64::from(n(&c["unknown"]) > 0);
    assert_eq!(n(&report["totals"]["corrupted"]), expected, "{c}");
    assert_eq!(n(&report["workloads"]["contention"]["infra"]), n(&c["refused"]), "{c}");
    let evidence = out.join("evidence/contention-store");
    let problems = std::fs::read_to_string(evidence.join("problems.txt")).unwrap();
    assert!(problems.contains("lost w"), "{problems}");
    assert!(evidence.join("listing.txt").is_file());
    let details = std::fs::read_to_string(out.join("error-details.log")).unwrap();
    assert!(
        details.contains("evidence: evidence/contention-store"),
        "linked from error-details.log"
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("lost update"), "summarized in summary.md");
}

#[test]
fn a_hanging_writer_is_a_timeout_and_the_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let args = [
        "--workload",
        "contention",
        "--writers",
        "2",
        "--writes",
        "2",
        "--write-cmd",
        "sh -c '[ {writer} = 1 ] && sleep 60; echo {id} >> store.txt'",
        "--list-cmd",
        "cat store.txt",
        "--write-timeout-ms",
        "300",
    ];
    let (code, report, out) = run(dir.path(), "hang", &args);
    assert!(started.elapsed() < Duration::from_secs(40), "the hang was cut off");
    let c = &report["contention"];
    assert_eq!(
        (n(&c["acknowledged"]), n(&c["indeterminate"]), n(&c["lost"])),
        (2, 2, 0)
    );
    assert_eq!(n(&report["infra_classes"]["timeout"]), 2);
    assert_eq!(n(&report["totals"]["corrupted"]), 0);
    // Half the writes hung: far above the default --max-infra-rate of 10 %, so the store was not
    // really tested; inconclusive, and the reason names the workload.
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    assert_eq!(report["workloads"]["contention"]["verdict"], "inconclusive");
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("contention: infra errors on 50.0% of writes"),
        "{reason}"
    );
    let details = std::fs::read_to_string(out.join("error-details.log")).unwrap();
    assert!(details.contains("possible deadlock"), "{details}");
}

#[test]
fn a_store_that_refuses_every_write_is_inconclusive_never_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "contention",
        "--writers",
        "3",
        "--writes",
        "4",
        "--write-cmd",
        "false {id}",
        "--list-cmd",
        "true",
    ];
    let (code, report, _) = run(dir.path(), "refused", &args);
    assert_eq!(code, Some(3), "{}", report["verdict_reasons"]);
    let c = &report["contention"];
    assert_eq!(
        (n(&c["refused"]), n(&c["acknowledged"]), n(&c["lost"])),
        (12, 0, 0),
        "{c}"
    );
    let w = &report["workloads"]["contention"];
    assert_eq!((n(&w["corrupted"]), n(&w["infra"])), (0, 12), "{w}");
    assert_eq!(n(&w["infra_classes"]["provider_error"]), 12, "{w}");
    let reason = report["verdict_reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("contention: 0 of 12 writes verified") && reason.contains("refused: exit 1"),
        "{reason}"
    );
}

#[test]
fn kill9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--workload",
        "contention",
        "--contention-target",
        "flock",
        "--nemesis",
        "kill9",
        "--writers",
        "6",
        "--writes",
        "40",
    ];
    // The kills are deliberate: their writes are indeterminate (infra) but do not count against
    // the default 10 % infra budget, however many land on a loaded machine.
    let (code, report, out) = run(dir.path(), "kill9", &args);
    let c = &report["contention"];
    assert!(n(&c["kills"]) > 0, "the schedule hit writers: {c}");
    assert!(n(&c["indeterminate"]) > 0, "killed writes are indeterminate: {c}");
    assert_eq!((n(&c["lost"]), n(&c["duplicates"]), n(&c["unknown"])), (0, 0, 0), "{c}");
    assert_eq!(n(&c["acknowledged"]) + n(&c["indeterminate"]) + n(&c["refused"]), 240);
    assert_eq!(n(&report["totals"]["corrupted"]), 0);
    assert_eq!(code, Some(0), "{}", report["verdict_reasons"]);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    for outcome in ["\"invoke\"", "\"ok\"", "\"indeterminate\""] {
        assert!(events.contains(outcome), "events.jsonl records {outcome}");
    }
    assert!(events.contains("\"phase\":\"kill9\""));
}
