//! The action's `thresholds` input, run the way a runner runs action.yml: one line is one
//! `--threshold` (spaces inside it kept, blank lines skipped), a crossed one fails the step, and a
//! line that tries to run a command is a literal (and invalid) expression, never executed.

mod support;

use std::path::Path;

use support::action_runner::Runner;
use support::read_report;

const BIN: &str = env!("CARGO_BIN_EXE_stress-action");

#[test]
fn each_line_is_one_threshold_and_a_crossed_one_fails_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = "checkpoint.restore.p95 < 60s\n\n   \n  checkpoint.verify.p50 <   0.001ms  \n";
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("args", "--workload checkpoint --marker-size 1")
        .input("thresholds", lines)
        .run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert_eq!(run.outputs["verdict"], "fail");
    let report = read_report(Path::new(&run.outputs["report-dir"]));
    assert_eq!(
        report["config"]["thresholds"],
        serde_json::json!(["checkpoint.restore.p95 < 60s", "checkpoint.verify.p50 <   0.001ms"])
    );
    assert_eq!(report["thresholds"][0]["ok"], true);
    assert_eq!(report["thresholds"][1]["ok"], false);
    assert!(run.summary.contains("❌ crossed"), "{}", run.summary);

    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("args", "--workload checkpoint --marker-size 1")
        .input("thresholds", "checkpoint.restore.p95 < 60s")
        .run();
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["verdict"], "pass");
}

#[test]
fn a_threshold_line_is_never_executed() {
    let tmp = tempfile::tempdir().unwrap();
    let pwned = tmp.path().join("pwned");
    let line = format!(
        "checkpoint.restore.p95 < 1s $(touch {p}) `touch {p}`; touch {p}",
        p = pwned.display()
    );
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("thresholds", &line)
        .run();
    assert_eq!(run.status, 2, "an invalid threshold is a usage error: {}", run.log);
    assert!(run.log.contains("invalid --threshold"), "{}", run.log);
    assert!(!pwned.exists(), "a threshold line was executed as a command");
}
