//! `stress-action doctor` against platforms that each get one thing wrong: a real `serve` behind a
//! proxy whose hook makes exactly that mistake. Each time the check that covers the mistake fails
//! by name, the doctor exits 1, and the checks the mistake does not touch still run and pass.

mod doctor_support;
mod proxy_support;
mod serve_support;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use base64::Engine;
use doctor_support::{assert_fails_only, doctor_http};
use proxy_support::{json_answer, Answer, Behind, Exchange, Hook, HookProxy};
use serve_support::Server;

fn received(d: &doctor_support::Doctor, name: &str) -> String {
    d.check(name)["received"].as_str().unwrap_or_default().to_string()
}

/// Mounted under `/v1` twice: `/v1/v1/health` answers, `/v1/health` is 404.
struct DoublePrefix;

#[async_trait]
impl Hook for DoublePrefix {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        match req.path.strip_prefix("/v1/v1/") {
            Some(rest) => {
                req.path = format!("/v1/{rest}");
                None
            }
            None => Some(json_answer(
                &req.method,
                &req.path,
                404,
                serde_json::json!({"error": {"code": "not_found", "message": "no route"}}),
            )),
        }
    }
}

#[test]
fn a_server_mounted_under_v1_twice_fails_the_endpoint_check_and_the_rest_runs_under_it() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, DoublePrefix);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["endpoint"]);
    let why = received(&d, "endpoint");
    assert!(
        why.contains("/v1/v1/health answered 200") && why.contains("adds /v1 twice"),
        "{why}"
    );
}

/// Drops the Idempotency-Key header: every POST runs, repeats included.
struct IgnoresKeys;

#[async_trait]
impl Hook for IgnoresKeys {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        req.headers.remove("idempotency-key");
        None
    }
}

#[test]
fn a_server_that_ignores_idempotency_keys_fails_the_idempotency_checks() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, IgnoresKeys);
    let d = doctor_http(&proxy.url);
    assert_fails_only(
        &d,
        &["idempotency.create", "idempotency.exec", "idempotency.concurrent"],
    );
    assert!(
        received(&d, "idempotency.exec").contains("2 lines: the command ran 2 times"),
        "{}",
        d.shown()
    );
}

/// Answers a restore with the id of the sandbox the checkpoint was taken from.
#[derive(Default)]
struct RestoresTheSource {
    source_of: Mutex<HashMap<String, String>>,
}

fn id_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?["id"]
        .as_str()
        .map(str::to_string)
}

#[async_trait]
impl Hook for RestoresTheSource {
    async fn answer(&self, req: &Exchange, mut answer: Answer, _: &Behind) -> Answer {
        let parts: Vec<&str> = req.path.split('/').collect();
        match parts.as_slice() {
            ["", "v1", "sandboxes", sandbox, "checkpoints"] => {
                if let Some(cp) = id_of(&answer.body) {
                    self.source_of.lock().unwrap().insert(cp, sandbox.to_string());
                }
            }
            ["", "v1", "checkpoints", cp, "restore"] if answer.status == 201 => {
                if let Some(source) = self.source_of.lock().unwrap().get(*cp) {
                    answer.body = Bytes::from(serde_json::json!({ "id": source }).to_string());
                }
            }
            _ => {}
        }
        answer
    }
}

#[test]
fn a_server_whose_restore_answers_the_source_sandbox_fails_restore_new_sandbox() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, RestoresTheSource::default());
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["restore.new_sandbox", "restore.content", "restore.independent"]);
    assert!(
        received(&d, "restore.new_sandbox").contains("the source sandbox"),
        "{}",
        d.shown()
    );
}

/// Sends file contents through a UTF-8 text conversion.
struct TextFiles;

#[async_trait]
impl Hook for TextFiles {
    async fn answer(&self, req: &Exchange, mut answer: Answer, _: &Behind) -> Answer {
        if req.method == "GET" && req.path.ends_with("/files") && answer.status == 200 {
            answer.body = Bytes::from(String::from_utf8_lossy(&answer.body).into_owned());
        }
        answer
    }
}

#[test]
fn a_server_that_mangles_non_utf8_files_fails_the_byte_checks() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, TextFiles);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["files.non_utf8", "files.16mib"]);
    assert!(
        received(&d, "files.non_utf8").contains("went through a text conversion"),
        "{}",
        d.shown()
    );
}

/// Refuses request bodies over 1 MiB, as a default proxy or framework limit does.
struct OneMibBodies;

#[async_trait]
impl Hook for OneMibBodies {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        (req.body.len() > 1 << 20).then(|| {
            let error = serde_json::json!({"error": {"code": "too_large", "message": "body over 1 MiB"}});
            json_answer(&req.method, &req.path, 413, error)
        })
    }
}

#[test]
fn a_server_that_caps_bodies_at_1_mib_fails_the_16_mib_file() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, OneMibBodies);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["files.16mib"]);
    assert!(
        received(&d, "files.16mib").contains("body limit must allow at least 16 MiB"),
        "{}",
        d.shown()
    );
}

/// Reports every checkpoint pending for its first second, yet restores it: a restore of a
/// pending checkpoint answered with a sandbox instead of 409.
#[derive(Default)]
struct RestoresPending {
    taken: Mutex<HashMap<String, Instant>>,
}

const HELD_PENDING: Duration = Duration::from_secs(1);

impl RestoresPending {
    fn held(&self, id: &str) -> bool {
        self.taken
            .lock()
            .unwrap()
            .get(id)
            .is_some_and(|t| t.elapsed() < HELD_PENDING)
    }
}

#[async_trait]
impl Hook for RestoresPending {
    async fn answer(&self, req: &Exchange, mut answer: Answer, behind: &Behind) -> Answer {
        let parts: Vec<&str> = req.path.split('/').collect();
        match parts.as_slice() {
            ["", "v1", "sandboxes", _, "checkpoints"] if answer.status == 202 => {
                let Some(id) = id_of(&answer.body) else { return answer };
                // Ready behind the proxy before the client hears of it, so a restore succeeds.
                for _ in 0..600 {
                    let (_, body) = behind.get(&format!("/v1/checkpoints/{id}")).await;
                    if body.windows(7).any(|w| w == b"\"ready\"") {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                self.taken.lock().unwrap().insert(id, Instant::now());
            }
            ["", "v1", "checkpoints", id] if req.method == "GET" && self.held(id) => {
                answer.body = Bytes::from(serde_json::json!({"id": id, "status": "pending"}).to_string());
            }
            ["", "v1", "checkpoints", id, "restore"] if self.held(id) => answer.status = 200,
            _ => {}
        }
        answer
    }
}

#[test]
fn a_server_that_restores_a_pending_checkpoint_fails_checkpoint_pending() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, RestoresPending::default());
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["checkpoint.pending"]);
    assert!(
        received(&d, "checkpoint.pending").contains("while the checkpoint is still pending"),
        "{}",
        d.shown()
    );
}

/// An image without git: `git` answers exit 127 as a shell would.
struct NoGit;

#[async_trait]
impl Hook for NoGit {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        let body: serde_json::Value = serde_json::from_slice(&req.body).ok()?;
        let runs_git = req.path.ends_with("/exec") && body["argv"][0] == "git";
        runs_git.then(|| {
            let stderr = base64::engine::general_purpose::STANDARD.encode("sh: 1: git: not found\n");
            let out = serde_json::json!({"exit_code": 127, "signal": null, "stdout_b64": "", "stderr_b64": stderr});
            json_answer(&req.method, &req.path, 200, out)
        })
    }
}

#[test]
fn an_image_without_git_fails_image_git_naming_exit_127() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, NoGit);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["image.git"]);
    let why = received(&d, "image.git");
    assert!(why.contains("exit 127: `git` is not in the sandbox image"), "{why}");
}

/// 40 ms added to every answer: what the Nagle/delayed-ACK stall looks like from outside.
struct Slow40;

#[async_trait]
impl Hook for Slow40 {
    async fn request(&self, _: &mut Exchange) -> Option<Answer> {
        tokio::time::sleep(Duration::from_millis(40)).await;
        None
    }
}

#[test]
fn a_server_slow_by_40_ms_fails_the_latency_check_naming_nagle() {
    let server = Server::clean();
    let proxy = HookProxy::start(&server.url, Slow40);
    let d = doctor_http(&proxy.url);
    assert_fails_only(&d, &["latency"]);
    assert!(received(&d, "latency").contains("Nagle/delayed-ACK"), "{}", d.shown());
}
