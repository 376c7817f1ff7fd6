//! Ctrl-C in the middle of a full run: exit 130, and what was recorded is written and adds up.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{assert_accounting, read_report};

#[test]
fn sigint_mid_run_writes_partial_results_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args([
            "run",
            "--profile",
            "full",
            "--workload",
            "checkpoint",
            "--marker-size",
            "1",
            "-q",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until some restores have been recorded, so the interrupt lands mid-run.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let restores = std::fs::read_to_string(out.join("events.jsonl"))
            .map(|t| t.matches("\"phase\":\"restore\"").count())
            .unwrap_or(0);
        if restores >= 5 {
            break;
        }
        assert!(Instant::now() < deadline, "no restores recorded within 60 s");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));

    let report = read_report(&out);
    assert_eq!(report["interrupted"], true);
    assert_accounting(&report);
    let t = &report["totals"];
    assert!(t["planned"].as_u64().unwrap() >= 5);
    assert!(
        t["cancelled"].as_u64().unwrap() > 0,
        "a full run cannot have finished: {t}"
    );
    assert_eq!(t["planned"].as_u64().unwrap() + t["cancelled"].as_u64().unwrap(), 1000);
    // Published later, an interrupted run must never read as green.
    assert_eq!(report["verdict"], "inconclusive", "{}", report["verdict_reasons"]);
    let reasons = report["verdict_reasons"].to_string();
    let expected = format!("interrupted after {} of 1000 operations", t["planned"]);
    assert!(reasons.contains(&expected), "{reasons}");
}
