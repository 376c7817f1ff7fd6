//! `stress-action doctor` against platforms that accept what the protocol says to refuse (a wrong
//! token, a path out of the sandbox), one whose timeout kills the command but not its process
//! group, one that answers a signal in a way stress-action copes with,
//! and one that refuses what the protocol lets it refuse (a repeat during the first attempt, 425):
//! a real `serve` behind a proxy whose hook does exactly that. A refusal the platform does not make
//! fails its check by name and exits 1; a tolerated deviation is a warning and still exits 0; an
//! allowed refusal passes.

mod doctor_support;
mod proxy_support;
mod serve_support;

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use doctor_support::{assert_fails_only, doctor, doctor_http, CORE};
use proxy_support::{json_answer, Answer, Behind, Exchange, Hook, HookProxy};
use serve_support::{ServeArgs, Server};

const TOKEN: &str = "refusals-s3cret";

/// Checks that a token is there, not that it is right: any bearer token becomes the right one.
struct AnyToken;

#[async_trait]
impl Hook for AnyToken {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        if req.headers.contains_key("authorization") {
            let right = format!("Bearer {TOKEN}").parse().expect("a header value");
            req.headers.insert("authorization", right);
        }
        None
    }
}

#[test]
fn a_server_that_takes_any_token_fails_auth_wrong_token() {
    let server = Server::start(ServeArgs {
        token: Some(TOKEN.into()),
        ..ServeArgs::default()
    });
    let proxy = HookProxy::start(&server.url, AnyToken);
    let d = doctor(
        &["--provider", "http", "--endpoint", &proxy.url],
        &[("STRESS_ACTION_TOKEN", TOKEN)],
    );
    assert_fails_only(&d, &["auth.wrong_token"]);
    assert_eq!(d.check("auth.no_token")["status"], "pass", "{}", d.shown());
    let why = d.check("auth.wrong_token")["received"].to_string();
    assert!(
        why.contains("checks that a token is there, not that it is right"),
        "{why}"
    );
    assert!(!d.report.to_string().contains(TOKEN), "the token is never shown");
}

/// Writes a file whose path leaves the sandbox as if it were fine (answers 204, writes nothing).
struct WritesAnywhere;

#[async_trait]
impl Hook for WritesAnywhere {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        let query = req.query.as_deref().unwrap_or_default();
        let escapes = query.contains("..") || query.contains("path=%2F") || query.contains("path=/");
        (req.method == "PUT" && req.path.ends_with("/files") && escapes).then(|| Answer {
            method: req.method.clone(),
            path: req.path.clone(),
            status: 204,
            content_type: String::new(),
            body: Default::default(),
        })
    }
}

#[test]
fn a_server_that_writes_outside_the_sandbox_fails_paths_escape() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, WritesAnywhere);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["paths.escape"]);
    let why = d.check("paths.escape")["received"].to_string();
    assert!(why.contains("write ../doctor-escape.txt: written"), "{why}");
    assert!(why.contains("write /tmp/doctor-escape.txt: written"), "{why}");
    assert!(!why.contains("read "), "the reads were still refused: {why}");
}

/// Reports death by SIGSEGV as a shell's `exit_code` 139 instead of `signal` 11.
struct SignalAsExitCode;

#[async_trait]
impl Hook for SignalAsExitCode {
    async fn answer(&self, req: &Exchange, mut answer: Answer, _: &Behind) -> Answer {
        let Ok(mut out) = serde_json::from_slice::<serde_json::Value>(&answer.body) else {
            return answer;
        };
        if req.path.ends_with("/exec") && out["signal"] == 11 {
            out["signal"] = serde_json::Value::Null;
            out["exit_code"] = 139.into();
            answer = json_answer(&req.method, &req.path, answer.status, out);
        }
        answer
    }
}

#[test]
fn a_signal_answered_as_exit_139_is_a_warning_and_the_doctor_still_passes() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, SignalAsExitCode);
    let d = doctor_http(&proxy.url);
    assert_eq!(d.code, Some(0), "{}", d.shown());
    assert!(d.failed().is_empty(), "{}", d.shown());
    let signal = d.check("exec.signal");
    assert_eq!(signal["status"], "warn", "{}", d.shown());
    assert!(signal["received"].to_string().contains("exit_code 139"), "{signal}");
    for name in CORE {
        assert!(d.passed().contains(name), "{name}: {}", d.shown());
    }
}

/// Cannot wait for a running attempt: a repeat of an idempotency key whose first attempt is still
/// running is answered `425 in_progress`, as the protocol allows.
#[derive(Default)]
struct TooEarly {
    running: Mutex<HashSet<String>>,
}

fn key_of(req: &Exchange) -> Option<String> {
    let key = req.headers.get("idempotency-key")?.to_str().ok()?;
    Some(format!("{}:{key}", req.path))
}

#[async_trait]
impl Hook for TooEarly {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        let key = key_of(req)?;
        if self.running.lock().unwrap().insert(key) {
            return None;
        }
        let error = serde_json::json!({"error": {"code": "in_progress", "message": "first attempt still runs"}});
        Some(json_answer(&req.method, &req.path, 425, error))
    }

    async fn answer(&self, req: &Exchange, answer: Answer, _: &Behind) -> Answer {
        if let Some(key) = key_of(req) {
            self.running.lock().unwrap().remove(&key);
        }
        answer
    }
}

#[test]
fn a_server_that_answers_a_running_repeat_425_passes_idempotency_concurrent() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, TooEarly::default());
    let d = doctor_http(&proxy.url);
    assert_eq!(d.code, Some(0), "{}", d.shown());
    let concurrent = d.check("idempotency.concurrent");
    assert_eq!(concurrent["status"], "pass", "{}", d.shown());
    assert!(
        concurrent["received"]
            .to_string()
            .contains("answered 425, then the first answer"),
        "{concurrent}"
    );
}

/// Kills only the command at its timeout, not its process group: the doctor's background sleeper
/// is moved into a session of its own (as a daemonizing child would be), where the group kill
/// cannot reach it. It sleeps 8 s, not 60, so the test leaves nothing behind for long.
struct KillsOnlyTheCommand;

#[async_trait]
impl Hook for KillsOnlyTheCommand {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        let mut body: serde_json::Value = serde_json::from_slice(&req.body).ok()?;
        let script = body["argv"][2].as_str()?.to_string();
        if req.path.ends_with("/exec") && script.starts_with("sleep 60 &") {
            let detached = script.replacen("sleep 60 &", "setsid sleep 8 >/dev/null 2>&1 &", 1);
            body["argv"][2] = detached.into();
            req.body = body.to_string().into();
        }
        None
    }
}

#[test]
fn a_server_whose_timeout_leaves_a_background_process_fails_exec_timeout() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, KillsOnlyTheCommand);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["exec.timeout"]);
    let why = d.check("exec.timeout")["received"].to_string();
    assert!(why.contains("still running after the timeout"), "{why}");
    assert!(why.contains("kill the whole process group"), "{why}");
}
