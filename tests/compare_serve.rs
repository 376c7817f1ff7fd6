//! `compare` on real runs against the reference server over 127.0.0.1: two runs of the same
//! settings pass `--fail-on-regression`; a server that adds 30 ms to every create fails it, naming
//! the create and TTI metrics with their effect and interval; a mode missing from the current run
//! is "no data", never "improved".
//!
//! The server answers every request after 25 ms, as a real platform would after some tens of ms.
//! Without that floor each operation takes well under a millisecond and the test would measure the
//! load of the machine it runs on: on a shared 2-core runner two runs of a no-latency server differ
//! by 20 % to 300 % between runs (scripts/bench ONLY=compare measures how often, and
//! docs/statistics.md says what to do about it). For the same reason the two runs of each pair go at
//! the same time, against one server whose sandboxes live in memory (/dev/shm when there is one): a
//! change of load on the machine (a build next door, a disk busy deleting files) then hits both
//! sides of a pair alike, as interleaving does in the bench.
//!
//! Every run talks to that server through a proxy of its own; the slower run's proxy holds every
//! create 30 ms before passing it on. The server's own `--fault-latency-ms` takes one value
//! for its chosen operations, so a second server with 55 ms on creates would lose the 25 ms floor
//! on every other call, and its faster first command would hide the slower create inside TTI.

mod publish_support;
mod serve_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use predicates::prelude::*;
use publish_support::{cli, edit_report};
use serve_support::{ServeArgs, Server};

/// An HTTP proxy on 127.0.0.1 in front of `serve` that holds every create for `create_delay`.
struct DelayProxy {
    url: String,
    _rt: tokio::runtime::Runtime,
}

struct Upstream {
    base: String,
    client: reqwest::Client,
    create_delay: Duration,
}

impl DelayProxy {
    fn start(upstream: &str, create_delay: Duration) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Upstream {
            base: upstream.to_string(),
            client: reqwest::Client::new(),
            create_delay,
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        rt.spawn(async move { axum::serve(listener, app).await });
        DelayProxy { url, _rt: rt }
    }
}

async fn forward(
    State(up): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::POST && uri.path() == "/v1/sandboxes" {
        tokio::time::sleep(up.create_delay).await;
    }
    let target = format!("{}{}", up.base, uri.path_and_query().map_or("/", |p| p.as_str()));
    let mut req = up.client.request(method, target).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let resp = match req.send().await {
        Ok(resp) => resp,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = resp.headers().get("content-type").cloned();
    let body = resp.bytes().await.unwrap_or_default();
    match content_type {
        Some(ct) => (status, [("content-type", ct)], body).into_response(),
        None => (status, body).into_response(),
    }
}

/// A server of its own (25 ms on every call, sandboxes in memory) behind a proxy that holds creates
/// `create_delay_ms` more.
struct Lane {
    proxy: DelayProxy,
    _server: Server,
    _root: tempfile::TempDir,
}

impl Lane {
    fn start(create_delay_ms: u64) -> Self {
        let shm = Path::new("/dev/shm");
        let root = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .unwrap();
        let server = Server::start(ServeArgs {
            fault_latency_ms: Some("25".into()),
            root: Some(root.path().to_path_buf()),
            ..ServeArgs::default()
        });
        Lane {
            proxy: DelayProxy::start(&server.url, Duration::from_millis(create_delay_ms)),
            _server: server,
            _root: root,
        }
    }
}

/// 40 sandboxes sequentially, and a burst of 8 (fewer than the 10 a metric needs to be tested:
/// reported as incomparable, there to go missing) against the server behind `proxy`. A burst big
/// enough to judge would measure the scheduler: two bursts sharing a loaded 2-core machine differ
/// by 50 % between runs of one build, whichever gets the cores first. For the same reason one
/// request is in flight at a time: a mode destroys its sandboxes once all have settled, and 40
/// destroys at once would measure the scheduler too.
fn run(proxy: &DelayProxy, parent: &Path, name: &str) -> PathBuf {
    let out = parent.join(name);
    cli()
        .args([
            "run",
            "-q",
            "--provider",
            "http",
            "--endpoint",
            &proxy.url,
            "--seed",
            "5",
        ])
        .args(["--workload", "lifecycle", "--modes", "sequential,burst"])
        .args(["--lifecycle-count", "40", "--burst-size", "8", "--max-in-flight", "1"])
        .args(["--out", out.to_str().unwrap()])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
    out
}

fn compare(base: &Path, current: &Path) -> assert_cmd::assert::Assert {
    cli()
        .args([
            "compare",
            base.to_str().unwrap(),
            current.to_str().unwrap(),
            "--fail-on-regression",
        ])
        .assert()
}

#[test]
fn the_same_settings_pass_and_slower_creates_fail_naming_the_metric_effect_and_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let lanes: Vec<Lane> = [0, 0, 0, 30].into_iter().map(Lane::start).collect();
    let pair = |base: (&str, &Lane), current: (&str, &Lane)| {
        std::thread::scope(|s| {
            let b = s.spawn(|| run(&base.1.proxy, tmp.path(), base.0));
            let c = s.spawn(|| run(&current.1.proxy, tmp.path(), current.0));
            (b.join().expect("a run panicked"), c.join().expect("a run panicked"))
        })
    };
    let (a1, a2) = pair(("a1", &lanes[0]), ("a2", &lanes[1]));
    compare(&a1, &a2)
        .success()
        .stderr(predicate::str::contains("regression").not())
        .stderr(predicate::str::contains("Burst TTI: incomparable: too few samples"));
    let (a3, b) = pair(("a3", &lanes[2]), ("b", &lanes[3]));
    let failed = compare(&a3, &b).code(1);
    let err = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    for metric in ["Sequential create regressed: p", "Sequential TTI regressed: p"] {
        let line = err
            .lines()
            .find(|l| l.contains(metric))
            .unwrap_or_else(|| panic!("{metric} not named in\n{err}"));
        assert!(line.contains("(95 % CI +") && line.contains(", p = "), "{line}");
    }
    // A mode this run selected but never reported (a crash before it ended) is no data.
    edit_report(&b, |v| {
        v["lifecycle"].as_object_mut().unwrap().remove("burst");
        v["histograms"]
            .as_object_mut()
            .unwrap()
            .retain(|k, _| !k.starts_with("lifecycle.burst."));
    });
    let out = compare(&a3, &b)
        .code(1)
        .stderr(predicate::str::contains("Burst TTI: no data in this run"))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let burst: Vec<&str> = out.lines().filter(|l| l.starts_with("| Burst |")).collect();
    assert_eq!(burst.len(), 5, "{out}");
    assert!(
        burst
            .iter()
            .all(|l| l.ends_with("| ⚠️ no data in this run |") && !l.contains("improved")),
        "{out}"
    );
}
