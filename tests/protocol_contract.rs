//! The client and the reference server do what docs/provider-protocol.md says: the client names
//! itself in `User-Agent`, sends `{}` as the body of a POST with nothing to send, accepts an
//! endpoint with or without `/v1` (and says which URL it used), deletes a checkpoint that failed;
//! a command plugin's idempotent calls are retried and its others are not, nor a call it never
//! answered; `serve` remembers the answer of an operation that ran under an Idempotency-Key,
//! errors included, and not one given before the operation started.

mod proxy_support;
mod serve_support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use proxy_support::{Answer, Behind, Exchange, Hook, HookProxy};
use serve_support::Server;
use stress_action::provider::command::CommandProvider;
use stress_action::provider::http::HttpProvider;
use stress_action::provider::retry::{observe, Op, RetryLog};
use stress_action::provider::{ExecRequest, Provider, SandboxId};

/// Drives a client on a runtime of its own: the proxies start their own runtimes, which a
/// `#[tokio::test]` could not.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

fn leftover_checkpoints(server: &Server) -> usize {
    std::fs::read_dir(server.root().join("serve-checkpoints"))
        .unwrap()
        .count()
}

#[test]
fn serve_names_the_client_by_its_user_agent() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root"])
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    let n = child.stdout.as_mut().unwrap().read(&mut first).unwrap();
    let url = String::from_utf8_lossy(&first[..n])
        .trim()
        .trim_start_matches("listening on ")
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(async { HttpProvider::new(&url, None).unwrap().preflight().await });
    let _ = child.kill();
    let _ = child.wait();
    assert!(health.is_ok(), "{health:?}");
    let said = std::fs::read_to_string(&log).unwrap();
    let agent = format!("client stress-action/{}", env!("CARGO_PKG_VERSION"));
    assert!(said.lines().any(|l| l == agent), "{said}");
}

/// Remembers the Content-Type and body of every POST.
#[derive(Default, Clone)]
struct PostBodies(Arc<Mutex<Vec<(String, String, Bytes)>>>);

#[async_trait]
impl Hook for PostBodies {
    async fn request(&self, req: &mut Exchange) -> Option<Answer> {
        if req.method == "POST" {
            let ct = req
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            self.0.lock().unwrap().push((req.path.clone(), ct, req.body.clone()));
        }
        None
    }
}

#[test]
fn posts_with_nothing_to_send_carry_an_empty_json_object_and_v1_in_the_endpoint_is_accepted() {
    let server = Server::clean();
    let seen = PostBodies::default();
    let proxy = HookProxy::start(&server.url, seen.clone());
    block_on(async {
        let provider = HttpProvider::new(&format!("{}/v1/", proxy.url), None).unwrap();
        let note = provider.endpoint_note().expect("the suffix is named").to_string();
        assert!(note.contains(&format!("uses {}", proxy.url)), "{note}");
        provider.preflight().await.unwrap();
        let sandbox = provider.create().await.unwrap();
        let checkpoint = provider.checkpoint(&sandbox).await.unwrap();
        let restored = provider.restore(&checkpoint).await.unwrap();
        for sb in [&sandbox, &restored] {
            provider.destroy(sb).await.unwrap();
        }
        provider.delete_checkpoint(&checkpoint).await.unwrap();
    });
    let posts = seen.0.lock().unwrap().clone();
    assert_eq!(posts.len(), 3, "{posts:?}");
    for (path, content_type, body) in posts {
        assert!(path.starts_with("/v1/") && !path.starts_with("/v1/v1"), "{path}");
        assert_eq!(
            (content_type.as_str(), body.as_ref()),
            ("application/json", b"{}".as_slice()),
            "{path}"
        );
    }
}

#[test]
fn run_accepts_an_endpoint_with_v1_and_says_which_url_it_used() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stress-action"))
        .args([
            "run",
            "--profile",
            "smoke",
            "-q",
            "--workload",
            "storage",
            "--storage-sizes",
            "0.01",
        ])
        .args([
            "--provider",
            "http",
            "--endpoint",
            &format!("{}/v1", server.url),
            "--out",
        ])
        .arg(dir.path().join("run"))
        .env_remove("STRESS_ACTION_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "ends with /v1; the client adds /v1 to every path itself, so it uses {}",
            server.url
        )),
        "{stderr}"
    );
}

/// Reports a checkpoint `failed` once the server has it ready, and notes every DELETE of one.
#[derive(Default, Clone)]
struct FailsCheckpoints(Arc<Mutex<Vec<String>>>);

#[async_trait]
impl Hook for FailsCheckpoints {
    async fn answer(&self, req: &Exchange, mut answer: Answer, _: &Behind) -> Answer {
        let is_status = req.method == "GET" && req.path.starts_with("/v1/checkpoints/");
        if is_status && answer.body.windows(7).any(|w| w == b"\"ready\"") {
            let id = req.path.trim_start_matches("/v1/checkpoints/");
            answer.body =
                Bytes::from(serde_json::json!({"id": id, "status": "failed", "error": "disk full"}).to_string());
        }
        if req.method == "DELETE" && req.path.starts_with("/v1/checkpoints/") {
            self.0.lock().unwrap().push(format!("{} {}", req.path, answer.status));
        }
        answer
    }
}

#[test]
fn a_failed_checkpoint_is_deleted_over_http() {
    let server = Server::clean();
    let deletes = FailsCheckpoints::default();
    let proxy = HookProxy::start(&server.url, deletes.clone());
    let provider = HttpProvider::new(&proxy.url, None).unwrap();
    let err = block_on(async {
        let sandbox = provider.create().await.unwrap();
        let err = provider.checkpoint(&sandbox).await.unwrap_err();
        provider.destroy(&sandbox).await.unwrap();
        err
    });
    assert!(err.message.contains("failed: disk full (deleted)"), "{err}");
    let seen = deletes.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].ends_with(" 204"), "{seen:?}");
    assert_eq!(leftover_checkpoints(&server), 0);
}

/// The flaky test plugin in front of `server`, its behaviour chosen by `settings` (`NAME=VALUE`).
fn flaky_plugin(server: &Server, settings: &[&str]) -> CommandProvider {
    let script = format!("{}/tests/plugins/flaky_plugin.py", env!("CARGO_MANIFEST_DIR"));
    let mut cmd: Vec<String> = vec!["env".into()];
    cmd.extend(settings.iter().map(|s| s.to_string()));
    cmd.extend(["python3".into(), script, server.url.clone()]);
    CommandProvider::start(&cmd).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_s_idempotent_calls_are_retried_and_create_and_exec_are_not() {
    let server = Server::clean();
    let plugin = flaky_plugin(&server, &["FAIL_ONCE=create,exec,read_file,destroy"]);
    let log = Arc::new(RetryLog::default());
    let first = observe(&log, Op::Create, plugin.create()).await;
    assert!(first.is_err(), "a create is never repeated: {first:?}");
    let sandbox: SandboxId = observe(&log, Op::Create, plugin.create()).await.unwrap();
    let echo = ExecRequest::new(["sh", "-c", "echo x >> once.txt"], Duration::from_secs(10));
    assert!(
        observe(&log, Op::Exec, plugin.exec(&sandbox, &echo)).await.is_err(),
        "an exec is never repeated"
    );
    plugin
        .write_file(&sandbox, "f.bin", Bytes::from_static(b"\x00\xff"))
        .await
        .unwrap();
    let read = observe(&log, Op::ReadFile, plugin.read_file(&sandbox, "f.bin"))
        .await
        .unwrap();
    assert_eq!(read.as_ref(), b"\x00\xff");
    observe(&log, Op::Destroy, plugin.destroy(&sandbox)).await.unwrap();
    let stats = log.stats();
    assert_eq!(
        (stats["create"].calls, stats["create"].attempts, stats["create"].gave_up),
        (2, 2, 1)
    );
    assert_eq!((stats["exec"].attempts, stats["exec"].gave_up), (1, 1));
    assert_eq!((stats["read_file"].attempts, stats["read_file"].retried), (2, 1));
    assert_eq!(
        (stats["destroy"].attempts, stats["destroy"].gave_up),
        (2, 0),
        "a destroy whose answer was lost finds the sandbox gone on the retry: done"
    );
    assert_eq!(std::fs::read_dir(server.root().join("sandboxes")).unwrap().count(), 0);
    plugin.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_checkpoint_is_deleted_through_a_plugin() {
    let server = Server::clean();
    let plugin = flaky_plugin(&server, &["CHECKPOINT_FAILS=1"]);
    let sandbox = plugin.create().await.unwrap();
    let err = plugin.checkpoint(&sandbox).await.unwrap_err();
    assert!(err.message.contains("disk full (injected) (deleted)"), "{err}");
    assert_eq!(leftover_checkpoints(&server), 0);
    plugin.destroy(&sandbox).await.unwrap();
    plugin.shutdown().await.unwrap();
}

/// `serve` keeps the answer of an operation that ran (a timed-out exec's 504 included) under its
/// key, and not an answer given before anything ran (404 for an unknown sandbox).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_replays_answers_of_operations_that_ran_and_only_those() {
    let server = Server::clean();
    let client = reqwest::Client::new();
    let post = |path: String, key: &'static str, body: serde_json::Value| {
        client
            .post(format!("{}{path}", server.url))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let created: serde_json::Value = post("/v1/sandboxes".into(), "k-create", serde_json::json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sb = created["id"].as_str().unwrap().to_string();
    let slow = serde_json::json!({"argv": ["sh", "-c", "echo x >> ran.txt; sleep 5"], "timeout_ms": 300});
    let first = post(format!("/v1/sandboxes/{sb}/exec"), "k-slow", slow.clone())
        .await
        .unwrap();
    assert_eq!(first.status(), 504);
    let started = Instant::now();
    let again = post(format!("/v1/sandboxes/{sb}/exec"), "k-slow", slow).await.unwrap();
    assert_eq!(again.status(), 504, "the repeat gets the first answer");
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "replayed, not run again"
    );
    let ran = client
        .get(format!("{}/v1/sandboxes/{sb}/files?path=ran.txt", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ran.bytes().await.unwrap().as_ref(), b"x\n", "the command ran once");

    let quick = serde_json::json!({"argv": ["true"], "timeout_ms": 5000});
    let unknown = post("/v1/sandboxes/sb-no-such/exec".into(), "k-early", quick.clone())
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let real = post(format!("/v1/sandboxes/{sb}/exec"), "k-early", quick)
        .await
        .unwrap();
    assert_eq!(real.status(), 200, "a 404 given before anything ran is not remembered");
    client
        .delete(format!("{}/v1/sandboxes/{sb}", server.url))
        .send()
        .await
        .unwrap();
}

/// A plugin that reads every request and answers none: a call it never answered is not repeated,
/// so the health check before a run gives up after one deadline, not five.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_plugin_never_answers_is_not_repeated() {
    let cmd: Vec<String> = ["sh", "-c", "cat > /dev/null"].map(String::from).to_vec();
    let plugin = CommandProvider::start(&cmd)
        .unwrap()
        .with_call_timeout(Duration::from_millis(400));
    let started = Instant::now();
    let err = plugin.preflight().await.unwrap_err();
    let took = started.elapsed();
    assert!(err.message.contains("no answer from the plugin within 400 ms"), "{err}");
    assert!(took < Duration::from_millis(1500), "one deadline, not five: {took:?}");
    let log = Arc::new(RetryLog::default());
    let sandbox = SandboxId("sb-1".into());
    assert!(observe(&log, Op::ReadFile, plugin.read_file(&sandbox, "f"))
        .await
        .is_err());
    assert_eq!(log.stats()["read_file"].attempts, 1);
    plugin.shutdown().await.unwrap();
}
