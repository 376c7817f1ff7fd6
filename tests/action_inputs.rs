//! The action's inputs as a runner passes them: `args` split like a shell splits a command line
//! (the same words as the `shell-words` crate the tool uses, never evaluated), the inputs for
//! workload, modes, seed, ready-cmd, max-infra-rate, duration, rate and ramp reaching report.json, and save-baseline with
//! the default S3 prefix (run attempt and comment key) against the moto S3 server.

mod moto;
mod support;

use std::path::Path;
use std::process::Command;

use support::action_runner::Runner;
use support::read_report;

const BIN: &str = env!("CARGO_BIN_EXE_stress-action");

/// scripts/action-words.sh's split of `text`, or None when it refuses it.
fn bash_split(text: &str) -> Option<Vec<String>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-words.sh");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -u; . "$1"; split_words "$2" || exit 9; for w in ${words[@]+"${words[@]}"}; do printf '%s\0' "$w"; done"#)
        .arg("bash")
        .arg(&script)
        .arg(text)
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => {}
        Some(9) => return None,
        other => panic!("bash failed ({other:?}): {}", String::from_utf8_lossy(&out.stderr)),
    }
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_terminator('\0').map(str::to_string).collect::<Vec<_>>())
}

#[test]
fn args_split_exactly_like_shell_words() {
    let cases = [
        "",
        "   ",
        "--marker-size 1 --seed 3",
        "--write-cmd \"mystore put {id}\" --list-cmd 'mystore list'",
        "--write-cmd \"sh -c 'echo {id} >> store.txt'\"",
        "a\tb\nc",
        "''",
        "\"\"",
        "x''y \"a\"'b'c",
        "\"a \\\" b\" \"\\$HOME\" \"\\`x\\`\" \"\\\\\" \"\\n\"",
        "a\\ b c\\\\d \\'e",
        "trailing\\",
        "\\",
        "a \\\nb",
        "\"line\\\ncont\"",
        "unquoted\\\ncont",
        "$(touch /tmp/x) `id` $HOME ~ *.rs ; && | > <",
        "--threshold \"lifecycle.burst.tti.p95 < 2s\" # a comment\n--seed 1",
        "a#b #c d",
        "ünïcödé 'ß ✓'",
        "'unterminated",
        "\"unterminated",
        "\"ends in a backslash\\",
    ];
    for case in cases {
        let expected = shell_words::split(case).ok();
        assert_eq!(bash_split(case), expected, "split of {case:?}");
    }
}

/// `--write-cmd "..."` reaches the tool as one argument (with a quoted argument inside it): the
/// contention store writes and lists through `sh -c`, every acknowledged write present.
#[test]
fn a_quoted_command_in_args_is_one_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input(
            "args",
            r#"--workload contention --writers 2 --writes 3 --write-cmd "sh -c 'echo {id} >> store.txt'" --list-cmd 'cat store.txt'"#,
        )
        .run();
    assert_eq!(run.status, 0, "{}", run.log);
    let report = read_report(Path::new(&run.outputs["report-dir"]));
    assert_eq!(report["contention"]["acknowledged"], 6, "{report:#}");
    assert_eq!(report["contention"]["present"], 6);

    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("out", tmp.path().join("never").to_str().unwrap())
        .input("args", "--write-cmd \"mystore put {id}")
        .run();
    assert_eq!(run.status, 2, "{}", run.log);
    assert!(
        run.log.contains("::error::input args: unterminated quote"),
        "{}",
        run.log
    );
    assert!(!tmp.path().join("never").exists(), "nothing ran");
}

#[test]
fn workload_modes_seed_ready_cmd_and_max_infra_rate_reach_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("workload", "lifecycle")
        .input("modes", "sequential,burst")
        .input("seed", "4242")
        .input("ready-cmd", "echo ready")
        .input("max-infra-rate", "0.5")
        .input("args", "--lifecycle-count 2")
        .run();
    assert_eq!(run.status, 0, "{}", run.log);
    let report = read_report(Path::new(&run.outputs["report-dir"]));
    let config = &report["config"];
    assert_eq!(config["workloads"], serde_json::json!(["lifecycle"]), "{config:#}");
    assert_eq!(config["lifecycle_modes"], serde_json::json!(["sequential", "burst"]));
    assert_eq!(config["ready_cmd"], "echo ready");
    assert_eq!(config["max_infra_rate"], 0.5);
    assert_eq!(report["seed"], 4242);

    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("max-infra-rate", "2")
        .run();
    assert_eq!(run.status, 2, "{}", run.log);
    assert!(run.log.contains("--max-infra-rate"), "{}", run.log);
}

/// save-baseline stores report.json where it says, and the run's files go under the default prefix
/// `stress-action/<repo>/<run id>/<attempt>/<comment key>`, so a re-run or another job's key never
/// overwrites them.
#[test]
fn duration_rate_and_ramp_reach_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let timed = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("workload", "lifecycle")
        .input("duration", "1s")
        .input("rate", "10/s")
        .run();
    assert_eq!(timed.status, 0, "{}", timed.log);
    let report = read_report(Path::new(&timed.outputs["report-dir"]));
    assert_eq!(report["config"]["duration_s"], 1.0);
    assert_eq!(report["config"]["rate_per_s"], 10.0);
    assert!(report["timeseries"]["windows"].is_array());

    let tmp = tempfile::tempdir().unwrap();
    let ramp = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("workload", "lifecycle")
        .input("ramp", "5/s..10/s over 2s linear")
        .input("args", "--ramp-steps 2")
        .run();
    assert_eq!(ramp.status, 0, "{}", ramp.log);
    let report = read_report(Path::new(&ramp.outputs["report-dir"]));
    assert_eq!(report["lifecycle"]["capacity"]["steps_planned"], 2);
    assert_eq!(report["config"]["ramp"], "5/s..10/s over 2 s in 2 steps, linear");

    let tmp = tempfile::tempdir().unwrap();
    let bad = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("workload", "lifecycle")
        .input("ramp", "10/s..5/s over 2s")
        .run();
    assert_eq!(bad.status, 2, "{}", bad.log);
    assert!(bad.log.contains("--ramp"), "{}", bad.log);
}

#[test]
fn save_baseline_and_the_default_prefix_through_the_action() {
    let moto = moto::Moto::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { moto.client().create_bucket().bucket("results").send().await.unwrap() });
    let tmp = tempfile::tempdir().unwrap();
    let mut runner = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("args", "--workload checkpoint --marker-size 1")
        .input("s3-bucket", "results")
        .input("s3-endpoint", &moto.url)
        .input("comment-key", "nightly")
        .input("save-baseline", "s3://results/baselines/main/report.json");
    for (k, v) in [
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_RUN_ID", "99"),
        ("GITHUB_RUN_ATTEMPT", "2"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials"),
    ] {
        runner.extra_env.push((k.into(), v.into()));
    }
    let run = runner.run();
    assert_eq!(run.status, 0, "{}", run.log);
    let keys = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let list = moto.client().list_objects_v2().bucket("results").send().await.unwrap();
            list.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                .collect::<Vec<_>>()
        });
    assert!(
        keys.contains(&"stress-action/o/r/99/2/nightly/report.json".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"baselines/main/report.json".to_string()), "{keys:?}");
}
