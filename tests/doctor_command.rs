//! `stress-action doctor --provider command`: the example plugin, which forwards every request to a
//! real `serve`, passes every check that applies to plugins; plugins that each get one thing wrong
//! fail the check that covers it by name, and exit 1.

mod doctor_support;
mod serve_support;

use std::time::{Duration, Instant};

use doctor_support::{assert_fails_only, doctor};
use serve_support::Server;

fn repo(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_example_plugin_passes_and_idempotency_is_named_as_not_applicable() {
    let server = Server::clean();
    let cmd = format!(
        "python3 {} --endpoint {}",
        repo("examples/providers/http_plugin.py"),
        server.url
    );
    let d = doctor(&["--provider", "command", "--provider-cmd", &cmd], &[]);
    assert_eq!(d.code, Some(0), "{}", d.shown());
    assert!(d.failed().is_empty(), "{}", d.shown());
    for name in [
        "health",
        "image.git",
        "exec.timeout",
        "exec.signal",
        "files.16mib",
        "files.non_utf8",
        "paths.escape",
        "checkpoint.pending",
        "checkpoint.unknown",
        "restore.independent",
        "destroy",
        "cleanup",
    ] {
        assert!(d.passed().contains(name), "{name}: {}", d.shown());
    }
    assert_eq!(d.check("idempotency")["status"], "skip");
    assert_eq!(d.report["provider"], "command");
    let left = std::fs::read_dir(server.root().join("sandboxes")).unwrap().count();
    assert_eq!(left, 0, "every sandbox destroyed");
}

fn mistaken(mistake: &str, server: &Server) -> doctor_support::Doctor {
    let cmd = format!(
        "python3 {} {}",
        repo("tests/plugins/doctor_mistake_plugin.py"),
        server.url
    );
    doctor(
        &["--provider", "command", "--provider-cmd", &cmd],
        &[("MISTAKE", mistake)],
    )
}

#[test]
fn a_plugin_that_reports_a_timeout_as_an_http_error_fails_exec_timeout() {
    let server = Server::clean();
    let d = mistaken("timeout_as_http_error", &server);
    assert_fails_only(&d, &["exec.timeout"]);
    let why = d.check("exec.timeout")["received"].as_str().unwrap().to_string();
    assert!(why.contains("504 http_error"), "{why}");
}

#[test]
fn a_plugin_answering_ids_as_strings_fails_health_at_once_naming_the_id() {
    let server = Server::clean();
    let started = Instant::now();
    let d = mistaken("string_id", &server);
    assert_eq!(d.code, Some(1), "{}", d.shown());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no call waits for its timeout"
    );
    let health = d.check("health");
    assert_eq!(health["status"], "fail");
    let why = health["received"].as_str().unwrap();
    assert!(
        why.contains("`id` \"1\", a string; the protocol says the request's integer id"),
        "{why}"
    );
    assert_eq!(d.check("cleanup")["status"], "pass");
}
