//! action.yml executed the way a runner would: outputs and step status for a passing run and for a
//! run with injected corruption, publishing a finished run, and inputs that try to inject shell
//! commands. The install step has its own file, tests/action_install.rs.

mod fake_github;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::action_runner::Runner;

const BIN: &str = env!("CARGO_BIN_EXE_stress-action");

#[test]
fn passing_run_sets_outputs_and_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "4")
        .input("args", "--marker-size 1 --seed 3")
        .run();
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["verdict"], "pass", "{}", run.log);
    assert_eq!(run.outputs["corrupted"], "0");
    let dir = Path::new(&run.outputs["report-dir"]);
    assert!(dir.join("report.json").is_file(), "report-dir {dir:?} holds the report");
    assert!(run.summary.contains("pass"), "job summary written: {}", run.summary);
}

#[test]
fn corruption_fails_the_step_with_verdict_output() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "8")
        .input("args", "--marker-size 1 --inject-corruption 0.5")
        .run();
    assert_eq!(run.status, 1, "{}", run.log);
    assert_eq!(run.outputs["verdict"], "fail");
    assert_eq!(run.outputs["corrupted"], "4");
    assert!(run.log.contains("::error::"), "{}", run.log);
}

#[test]
fn inputs_are_passed_literally_never_executed() {
    let tmp = tempfile::tempdir().unwrap();
    let pwned = tmp.path().join("pwned");
    let out = tmp
        .path()
        .join(format!("run$(touch {p})`touch {p}`'\"x", p = pwned.display()));
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("out", out.to_str().unwrap())
        .input("comment-key", &format!("k\"; touch {} #", pwned.display()))
        .input("args", "--marker-size 1")
        .run();
    assert_eq!(run.status, 0, "{}", run.log);
    assert!(out.join("report.json").is_file(), "the literal directory name was used");

    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("args", &format!("$(touch {p}) ;touch {p}", p = pwned.display()))
        .run();
    assert_eq!(run.status, 2, "unknown extra arguments are a usage error: {}", run.log);
    assert!(!pwned.exists(), "an input was executed as a command");
}

/// The fork-PR recipe's second workflow: the action publishes a run directory made elsewhere,
/// commenting on the PR named by the `pr` input, and never runs anything.
#[test]
fn publish_dir_posts_the_comment_for_a_finished_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("stress-run");
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("comment", "false")
        .input("out", out.to_str().unwrap())
        .input("args", "--marker-size 1 --workload checkpoint")
        .run();
    assert_eq!(run.status, 0, "{}", run.log);

    let gh = fake_github::FakeGitHub::start(100);
    let mut runner = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("publish-dir", out.to_str().unwrap())
        .input("pr", "7");
    runner.extra_env.push(("GITHUB_API_URL".into(), gh.url.clone()));
    runner.extra_env.push(("GITHUB_REPOSITORY".into(), "owner/repo".into()));
    let publish = runner.run();
    assert_eq!(publish.status, 0, "{}", publish.log);
    let ours = gh.with_marker("default");
    assert_eq!(ours.len(), 1, "one sticky comment: {:?}", gh.comments());
    assert!(ours[0].body.contains("pass"), "{}", ours[0].body);
    assert!(
        gh.requests()
            .iter()
            .all(|(_, path, _)| path.contains("/repos/owner/repo/issues/7/")),
        "{:?}",
        gh.requests()
    );
    assert!(
        !publish.log.contains("ghs_faketoken_for_tests"),
        "the token leaked into the log"
    );
    assert_eq!(publish.outputs["report-dir"], out.to_str().unwrap());
}

/// report.json's verdict in the run directory the action reported.
fn report_verdict(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    report["verdict"].as_str().unwrap().to_string()
}

#[test]
fn inconclusive_fails_the_step_by_default_and_only_warns_when_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    // A 1 ms command timeout: nothing can be verified, so the run is inconclusive (exit 3).
    let inconclusive = |out: &str| {
        Runner::new(tmp.path())
            .input("binary", BIN)
            .input("restores", "2")
            .input("out", tmp.path().join(out).to_str().unwrap())
            .input("args", "--marker-size 1 --workload checkpoint --exec-timeout-ms 1")
    };
    let run = inconclusive("default").run();
    assert_eq!(run.status, 3, "{}", run.log);
    assert!(
        run.log.contains("::error::stress-action: verdict inconclusive"),
        "{}",
        run.log
    );
    assert_eq!(run.outputs["verdict"], "inconclusive", "{}", run.log);
    assert_eq!(
        run.outputs["verdict"],
        report_verdict(Path::new(&run.outputs["report-dir"]))
    );

    let run = inconclusive("allowed").input("fail-on-inconclusive", "false").run();
    assert_eq!(run.status, 0, "{}", run.log);
    assert!(
        run.log.contains("::warning::stress-action: verdict inconclusive"),
        "{}",
        run.log
    );
    assert!(!run.log.contains("::error::"), "{}", run.log);
    assert_eq!(run.outputs["verdict"], "inconclusive");
    assert_eq!(
        run.outputs["verdict"],
        report_verdict(Path::new(&run.outputs["report-dir"]))
    );

    let run = inconclusive("typo").input("fail-on-inconclusive", "ture").run();
    assert_eq!(run.status, 2, "{}", run.log);
    assert!(
        run.log.contains("fail-on-inconclusive must be true or false"),
        "{}",
        run.log
    );
    assert!(!tmp.path().join("typo").exists(), "nothing ran");
}

/// publish-dir with S3 down: the comment is still posted (by the `comment-author` login's comment
/// being updated, a human's quote left alone), the step fails with 4, and `verdict` is report.json's.
#[test]
fn publish_dir_with_s3_down_comments_fails_with_4_and_keeps_the_verdict_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("stress-run");
    let run = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("restores", "2")
        .input("comment", "false")
        .input("out", out.to_str().unwrap())
        .input("args", "--marker-size 1 --workload checkpoint --inject-corruption 0.5")
        .run();
    assert_eq!(run.status, 1, "{}", run.log);

    let gh = fake_github::FakeGitHub::start(100);
    gh.set_identity("ci-runner", "User");
    let quote = "> <!-- stress-action:default -->\n> quoted by a human";
    gh.add_comment_by("alice", "User", quote);
    let ours = gh.add_comment("<!-- stress-action:default -->\nold");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut runner = Runner::new(tmp.path())
        .input("binary", BIN)
        .input("publish-dir", out.to_str().unwrap())
        .input("pr", "7")
        .input("comment-author", "ci-runner")
        .input("s3-bucket", "stress-bucket")
        .input("s3-endpoint", &format!("http://127.0.0.1:{closed}"));
    for (k, v) in [
        ("GITHUB_API_URL", gh.url.as_str()),
        ("GITHUB_REPOSITORY", "owner/repo"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        runner.extra_env.push((k.into(), v.into()));
    }
    let publish = runner.run();
    assert_eq!(publish.status, 4, "{}", publish.log);
    assert!(
        publish.log.contains("::error::stress-action: publishing failed"),
        "{}",
        publish.log
    );
    assert_eq!(publish.outputs["verdict"], "fail", "{}", publish.log);
    assert_eq!(publish.outputs["verdict"], report_verdict(&out));
    let comments = gh.comments();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0].body, quote, "the human's comment is untouched");
    assert_eq!(comments[1].id, ours);
    assert!(
        comments[1].body.contains("The upload to S3 failed"),
        "{}",
        comments[1].body
    );
}

/// Ctrl-C (SIGINT to the step's process group, as a cancelled job sends): the tool writes partial
/// results and its outputs, exits 130, and the step fails with 130 and report.json's verdict.
#[test]
fn an_interrupted_run_fails_the_step_with_130_and_keeps_the_verdict_output() {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let outputs = tmp.path().join("outputs");
    std::fs::write(&outputs, "").unwrap();
    let mut child = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-run.sh"))
        .env("STRESS_ACTION_BIN", BIN)
        .env("GITHUB_OUTPUT", &outputs)
        .env("INPUT_OUT", &out)
        .env("INPUT_PROFILE", "full")
        .env("INPUT_ARGS", "--workload checkpoint --marker-size 1 -q")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(out.join("events.jsonl"))
        .map(|t| t.matches("\"phase\":\"restore\"").count() < 5)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "no restores recorded within 60 s");
        assert!(child.try_wait().unwrap().is_none(), "ended before the interrupt");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: signalling the process group of our own child.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the step did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut log).unwrap();
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(log.contains("::error::stress-action exited with 130"), "{log}");
    let outputs = support::action_runner::parse_output_file(&std::fs::read_to_string(&outputs).unwrap());
    assert_eq!(outputs["verdict"], report_verdict(&out), "{outputs:?}");
    assert_eq!(outputs["report-dir"], out.to_str().unwrap());
}
