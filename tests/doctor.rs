//! `stress-action doctor` against the reference server: every check passes and it exits 0, with
//! and without a token, with the endpoint given with or without its `/v1` suffix; the lines for
//! people name each check; bad flags exit 2 naming the flag; nothing it created is left behind.

mod doctor_support;
mod serve_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use doctor_support::{doctor, doctor_http, CORE};
use serve_support::{ServeArgs, Server};

#[test]
fn serve_passes_every_check_and_nothing_is_left_behind() {
    let server = Server::start(ServeArgs {
        token: Some("doctor-s3cret".into()),
        ..ServeArgs::default()
    });
    let d = doctor(
        &["--provider", "http", "--endpoint", &server.url],
        &[("STRESS_ACTION_TOKEN", "doctor-s3cret")],
    );
    assert_eq!(d.code, Some(0), "{}", d.shown());
    assert!(d.failed().is_empty(), "{}", d.shown());
    assert_eq!(d.report["passed"], true);
    for name in CORE.iter().chain(&[
        "endpoint",
        "auth.no_token",
        "auth.wrong_token",
        "image.git",
        "image.sha256sum",
        "image.rm",
        "image.sh",
        "exec.timeout",
        "exec.signal",
        "exec.output_cap",
        "exec.missing_program",
        "exec.stdin",
        "files.non_utf8",
        "files.16mib",
        "paths.escape",
        "idempotency.create",
        "idempotency.exec",
        "idempotency.concurrent",
        "checkpoint.pending",
        "restore.new_sandbox",
        "restore.independent",
        "checkpoint.unknown",
        "delete_checkpoint",
        "destroy",
        "latency",
    ]) {
        assert!(d.passed().contains(*name), "{name}: {}", d.shown());
    }
    assert!(
        !d.report.to_string().contains("doctor-s3cret"),
        "the token is never shown"
    );
    assert!(!d.stderr.contains("doctor-s3cret"));
    for dir in ["sandboxes", "checkpoints", "serve-checkpoints"] {
        let left: Vec<_> = std::fs::read_dir(server.root().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "doctor removed everything it made in {dir}: {left:?}");
    }
}

#[test]
fn an_endpoint_with_v1_works_and_is_named_and_a_wrong_token_stops_at_health() {
    let server = Server::start(ServeArgs {
        token: Some("right".into()),
        ..ServeArgs::default()
    });
    let with_v1 = format!("{}/v1/", server.url);
    let d = doctor(
        &["--provider", "http", "--endpoint", &with_v1],
        &[("STRESS_ACTION_TOKEN", "wrong")],
    );
    assert_eq!(d.code, Some(1), "{}", d.shown());
    let endpoint = d.check("endpoint");
    assert_eq!(endpoint["status"], "pass", "{}", d.shown());
    assert!(
        endpoint["received"]
            .as_str()
            .unwrap()
            .contains("ends with /v1; the client adds /v1"),
        "{endpoint}"
    );
    let health = d.check("health");
    assert_eq!(health["status"], "fail");
    assert!(
        health["received"]
            .as_str()
            .unwrap()
            .contains("rejected the token in $STRESS_ACTION_TOKEN"),
        "{health}"
    );
    assert!(
        d.checks().iter().all(|c| c["name"] != "create"),
        "nothing runs past a rejected token"
    );
    assert!(!d.report.to_string().contains("\"wrong\""));
}

#[test]
fn the_lines_for_people_show_each_check_and_a_summary() {
    let server = Server::clean();
    let out = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args(["doctor", "--provider", "http", "--endpoint", &server.url])
        .env_remove("STRESS_ACTION_TOKEN")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.lines().any(|l| l.starts_with("✓ idempotency.exec ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("- auth ")), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("doctor: ") && last.contains(" 0 failed"), "{last}");
}

#[test]
fn bad_flags_exit_2_naming_the_flag_and_an_unreachable_endpoint_fails() {
    let usage = |args: &[&str], flag: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_stress-action"))
            .arg("doctor")
            .args(args)
            .env_remove("STRESS_ACTION_TOKEN")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} names {flag}: {stderr}");
    };
    usage(&[], "--provider");
    usage(&["--provider", "local"], "--provider");
    usage(&["--provider", "http"], "--endpoint");
    usage(&["--provider", "http", "--endpoint", "not a url"], "--endpoint");
    usage(&["--provider", "command"], "--provider-cmd");
    usage(
        &[
            "--provider",
            "http",
            "--endpoint",
            "http://127.0.0.1:1",
            "--timeout",
            "0",
        ],
        "--timeout",
    );
    usage(
        &[
            "--provider",
            "http",
            "--endpoint",
            "http://127.0.0.1:1",
            "--token-env",
            "DOCTOR_UNSET_VARIABLE",
        ],
        "--token-env",
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = doctor_http(&format!("http://127.0.0.1:{port}"));
    assert_eq!(d.code, Some(1), "{}", d.shown());
    let endpoint = d.check("endpoint");
    assert_eq!(endpoint["status"], "fail");
    assert!(
        endpoint["received"].as_str().unwrap().contains("no answer"),
        "{endpoint}"
    );
    assert_eq!(d.check("cleanup")["status"], "pass");
}

/// A server whose commands never answer: the run stops at its ceiling, says so, and still destroys
/// the sandbox it made.
#[test]
fn the_ceiling_stops_a_hanging_platform_and_cleanup_still_runs() {
    let server = Server::start(ServeArgs {
        fault_timeout_rate: Some(1.0),
        fault_ops: Some("exec".into()),
        ..ServeArgs::default()
    });
    let started = Instant::now();
    let d = doctor(
        &["--provider", "http", "--endpoint", &server.url, "--timeout", "3"],
        &[],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(d.code, Some(1), "{}", d.shown());
    let deadline = d.check("deadline");
    assert_eq!(deadline["status"], "fail");
    assert!(
        deadline["expected"].as_str().unwrap().contains("--timeout 3 s"),
        "{deadline}"
    );
    assert_eq!(d.check("create")["status"], "pass");
    assert_eq!(d.check("cleanup")["status"], "pass", "{}", d.shown());
    assert_eq!(std::fs::read_dir(server.root().join("sandboxes")).unwrap().count(), 0);
}

#[test]
fn ctrl_c_cleans_up_and_exits_130() {
    let server = Server::start(ServeArgs {
        fault_timeout_rate: Some(1.0),
        fault_ops: Some("exec".into()),
        ..ServeArgs::default()
    });
    let child = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args(["doctor", "--provider", "http", "--endpoint", &server.url])
        .env_remove("STRESS_ACTION_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the sandbox exists, then interrupt while its first command hangs.
    let sandboxes = server.root().join("sandboxes");
    let started = Instant::now();
    while std::fs::read_dir(&sandboxes).unwrap().count() == 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.lines().any(|l| l.starts_with("✓ cleanup ")), "{text}");
    assert_eq!(std::fs::read_dir(&sandboxes).unwrap().count(), 0, "{text}");
}
