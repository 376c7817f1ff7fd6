//! Proxies in front of a real `stress-action serve`, on 127.0.0.1, each on its own runtime so the
//! tests can drive the binary synchronously:
//! - [`SwitchProxy`] forwards TCP and can cut the server off (every connection closed, new ones
//!   dropped on accept) and bring it back: a server that dies, or one that recovers;
//! - [`RewriteProxy`] forwards HTTP and lets a test rewrite answers: a server that speaks the
//!   protocol wrongly;
//! - [`HookProxy`] forwards HTTP through a [`Hook`] that may change requests and answers, answer
//!   by itself, or wait: a server with one mistake of any kind.
#![allow(dead_code, unused_imports)]

mod hooked;

pub use hooked::{json_answer, Behind, Exchange, Hook, HookProxy};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::watch;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("proxy runtime")
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("upstream is http://IP:PORT")
}

pub struct SwitchProxy {
    pub url: String,
    down: watch::Sender<bool>,
    _rt: Runtime,
}

impl SwitchProxy {
    pub fn start(upstream: &str) -> Self {
        let rt = runtime();
        let upstream = addr_of(upstream);
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let (down, rx) = watch::channel(false);
        rt.spawn(accept_loop(listener, upstream, rx));
        Self { url, down, _rt: rt }
    }

    /// Cuts the server off (`true`) or brings it back (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, down: watch::Receiver<bool>) {
    while let Ok((client, _)) = listener.accept().await {
        if *down.borrow() {
            drop(client);
            continue;
        }
        let mut down = down.clone();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            let mut client = client;
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = down.wait_for(|d| *d) => {}
            }
        });
    }
}

/// One answer as the rewriting proxy sees it.
pub struct Answer {
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

pub type Rewrite = fn(Answer) -> Answer;

pub struct RewriteProxy {
    pub url: String,
    _rt: Runtime,
}

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
    rewrite: Rewrite,
}

impl RewriteProxy {
    pub fn start(upstream: &str, rewrite: Rewrite) -> Self {
        let rt = runtime();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let state = Arc::new(Upstream {
            base: upstream.to_string(),
            client: reqwest::Client::new(),
            rewrite,
        });
        let app = axum::Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(state);
        rt.spawn(async move { axum::serve(listener, app).await });
        Self { url, _rt: rt }
    }
}

async fn forward(
    State(up): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = format!("{}{}", up.base, uri.path_and_query().map_or("/", |p| p.as_str()));
    let mut req = up.client.request(method.clone(), target).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let resp = match req.send().await {
        Ok(resp) => resp,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.bytes().await.unwrap_or_default();
    let answer = (up.rewrite)(Answer {
        method,
        path: uri.path().to_string(),
        status,
        content_type,
        body,
    });
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if answer.content_type.is_empty() {
        (status, answer.body).into_response()
    } else {
        (status, [("content-type", answer.content_type)], answer.body).into_response()
    }
}
