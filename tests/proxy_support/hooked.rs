//! [`HookProxy`]: an HTTP proxy in front of a real `serve` whose [`Hook`] may change a request
//! before it is forwarded, answer it without forwarding, change the answer, or wait: each broken
//! platform of the doctor's tests is one small hook with one mistake, over a server that is
//! otherwise right.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use super::{runtime, Answer};

/// A request as the hook sees it; changes are forwarded.
pub struct Exchange {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The server behind the proxy, for hooks that ask it something of their own.
pub struct Behind {
    pub base: String,
    pub client: reqwest::Client,
}

impl Behind {
    /// `GET path` on the server; the status and body, or 502 when it did not answer.
    pub async fn get(&self, path: &str) -> (u16, Bytes) {
        match self.client.get(format!("{}{path}", self.base)).send().await {
            Ok(resp) => (resp.status().as_u16(), resp.bytes().await.unwrap_or_default()),
            Err(_) => (502, Bytes::new()),
        }
    }
}

#[async_trait]
pub trait Hook: Send + Sync + 'static {
    /// Changes the request, or answers it here (it is then not forwarded).
    async fn request(&self, _req: &mut Exchange) -> Option<Answer> {
        None
    }

    /// Changes the server's answer.
    async fn answer(&self, _req: &Exchange, answer: Answer, _upstream: &Behind) -> Answer {
        answer
    }
}

pub struct HookProxy {
    pub url: String,
    _rt: Runtime,
}

struct Shared {
    upstream: Behind,
    hook: Box<dyn Hook>,
}

impl HookProxy {
    pub fn start(upstream: &str, hook: impl Hook) -> Self {
        let rt = runtime();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let shared = Arc::new(Shared {
            upstream: Behind {
                base: upstream.to_string(),
                client: reqwest::Client::new(),
            },
            hook: Box::new(hook),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(shared);
        rt.spawn(async move { axum::serve(listener, app).await });
        Self { url, _rt: rt }
    }
}

/// An answer made by a hook: `status` with a JSON body.
pub fn json_answer(method: &Method, path: &str, status: u16, body: serde_json::Value) -> Answer {
    Answer {
        method: method.clone(),
        path: path.to_string(),
        status,
        content_type: "application/json".into(),
        body: Bytes::from(body.to_string()),
    }
}

async fn forward(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut exchange = Exchange {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body,
    };
    let answer = match shared.hook.request(&mut exchange).await {
        Some(answer) => answer,
        None => match send(&shared.upstream, &exchange).await {
            Ok(answer) => shared.hook.answer(&exchange, answer, &shared.upstream).await,
            Err(e) => return (StatusCode::BAD_GATEWAY, e).into_response(),
        },
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if answer.content_type.is_empty() {
        (status, answer.body).into_response()
    } else {
        (status, [("content-type", answer.content_type)], answer.body).into_response()
    }
}

async fn send(upstream: &Behind, req: &Exchange) -> Result<Answer, String> {
    let query = req.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
    let target = format!("{}{}{query}", upstream.base, req.path);
    let mut builder = upstream
        .client
        .request(req.method.clone(), target)
        .body(req.body.clone());
    for (name, value) in &req.headers {
        if name != "host" && name != "content-length" {
            builder = builder.header(name, value);
        }
    }
    let resp = builder.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    Ok(Answer {
        method: req.method.clone(),
        path: req.path.clone(),
        status,
        content_type,
        body,
    })
}
