//! Protocol v1 over HTTP, one attempt per call, every answer kept as it came.
//!
//! Unlike the run's client this wire never retries and can send what a correct client never
//! would: no token, a wrong token, a chosen idempotency key, a path under another prefix. That is
//! what the endpoint, auth and idempotency checks need.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{shape, Exec, Failure, Kind, Reply, Wire};
use crate::config::Secret;
use crate::provider::http::classify::classify_send_error;
use crate::provider::http::seg;
use crate::provider::http::transport::{new_idempotency_key, read_limited, FILE_CONTENT_TYPE, USER_AGENT};
use crate::provider::http::wire::{CheckpointStatus, ErrorBody, ExecBody, IDEMPOTENCY_KEY};
use crate::provider::{ExecOutput, InfraClass, ProviderError};

/// Largest successful answer read: a 16 MiB file and then some.
const MAX_ANSWER: usize = 64 << 20;
/// Largest error answer read; it is only a description.
const MAX_ERROR_ANSWER: usize = 64 << 10;
/// Added to an exec's own timeout: the server needs time to notice, kill and answer.
const EXEC_MARGIN: Duration = Duration::from_secs(15);

/// Which credentials a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The token from `--token-env`, when there is one.
    Configured,
    Without,
    /// A token that cannot be right.
    Wrong,
}

/// One request as the checks describe it.
pub struct Request<'a> {
    pub op: &'static str,
    pub method: Method,
    /// After the protocol prefix: `/health`, `/sandboxes`.
    pub path: String,
    pub query: Option<(&'a str, &'a str)>,
    pub body: Option<(&'static str, Bytes)>,
    pub key: Option<String>,
    pub auth: Auth,
    pub timeout: Duration,
}

/// An answer as it came: status, media type, body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
    pub elapsed: Duration,
}

pub struct HttpWire {
    client: reqwest::Client,
    base: String,
    /// `/v1`, unless the endpoint check found the protocol elsewhere.
    prefix: Mutex<String>,
    token: Option<Secret>,
    call_timeout: Duration,
}

impl HttpWire {
    pub fn new(base: &str, token: Option<Secret>, call_timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: base.to_string(),
            prefix: Mutex::new("/v1".into()),
            token,
            call_timeout,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn prefix(&self) -> String {
        self.prefix.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Where the protocol's paths start, when the server serves them somewhere else than `/v1`:
    /// the other checks can still run while the endpoint check reports the mistake.
    pub fn set_prefix(&self, prefix: &str) {
        *self.prefix.lock().unwrap_or_else(|p| p.into_inner()) = prefix.to_string();
    }

    /// A request of `op` with the configured token, a fresh idempotency key on POSTs and `{}` as
    /// the body of a POST with nothing to send, as the run's client does.
    pub fn request(&self, op: &'static str, method: Method, path: String) -> Request<'static> {
        let post = method == Method::POST;
        Request {
            op,
            key: post.then(new_idempotency_key),
            body: post.then(|| ("application/json", Bytes::from_static(b"{}"))),
            method,
            path,
            query: None,
            auth: Auth::Configured,
            timeout: self.call_timeout,
        }
    }

    /// Sends one request under `prefix`; any HTTP answer is `Ok`, whatever its status.
    pub async fn send_under(&self, prefix: &str, req: Request<'_>) -> Result<Answer, Failure> {
        let mut url = reqwest::Url::parse(&format!("{}{prefix}{}", self.base, req.path))
            .map_err(|e| Failure::Malformed(format!("{}: bad request URL: {e}", req.op)))?;
        if let Some((k, v)) = req.query {
            url.query_pairs_mut().append_pair(k, v);
        }
        let mut builder = self.client.request(req.method.clone(), url).timeout(req.timeout);
        let token = match (req.auth, &self.token) {
            (Auth::Configured, Some(token)) => Some(token.expose()),
            (Auth::Wrong, _) => Some("stress-action-doctor-wrong-token"),
            _ => None,
        };
        if let Some(token) = token {
            builder = builder.header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(key) = &req.key {
            builder = builder.header(IDEMPOTENCY_KEY, key.as_str());
        }
        if let Some((content_type, body)) = req.body {
            builder = builder.header(reqwest::header::CONTENT_TYPE, content_type).body(body);
        }
        let started = Instant::now();
        let mut resp = builder
            .send()
            .await
            .map_err(|e| lost(classify_send_error(req.op, &e)))?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let limit = if status.is_success() {
            MAX_ANSWER
        } else {
            MAX_ERROR_ANSWER
        };
        let body = read_limited(&mut resp, limit, req.op).await.map_err(lost)?;
        Ok(Answer {
            status: status.as_u16(),
            content_type,
            body,
            elapsed: started.elapsed(),
        })
    }

    pub async fn send(&self, req: Request<'_>) -> Result<Answer, Failure> {
        let prefix = self.prefix();
        self.send_under(&prefix, req).await
    }

    /// A call whose success is JSON: an error status becomes [`Failure::Answer`] with its code.
    async fn json(&self, req: Request<'_>) -> Reply<Value> {
        let op = req.op;
        let answer = self.send(req).await?;
        success(op, &answer)?;
        serde_json::from_slice(&answer.body).map_err(|e| {
            Failure::Malformed(format!(
                "{op} answered {} with a body that is not JSON ({e}): {:?}",
                answer.status,
                super::short(&String::from_utf8_lossy(&answer.body), 80)
            ))
        })
    }

    /// A call whose success carries nothing to read (write_file, destroy, delete_checkpoint).
    async fn empty(&self, req: Request<'_>) -> Reply<()> {
        let op = req.op;
        success(op, &self.send(req).await?)
    }
}

/// A transport failure: no answer at all, or something that was not HTTP.
fn lost(e: ProviderError) -> Failure {
    match e.class {
        InfraClass::ProviderError => Failure::Malformed(e.message),
        _ => Failure::NoAnswer(e.message),
    }
}

/// `Ok` for a 2xx answer; an error answer as its status, code and message.
pub fn success(op: &str, answer: &Answer) -> Reply<()> {
    if (200..300).contains(&answer.status) {
        return Ok(());
    }
    let detail = serde_json::from_slice::<ErrorBody>(&answer.body).ok().map(|b| b.error);
    Err(Failure::Answer {
        status: Some(answer.status),
        code: detail.as_ref().map(|d| d.code.clone()),
        message: match detail {
            Some(d) => format!("{op}: {}", d.message),
            None => format!("{op}: HTTP {} without the protocol's error body", answer.status),
        },
    })
}

fn malformed<T>(result: Result<T, String>) -> Reply<T> {
    result.map_err(Failure::Malformed)
}

#[async_trait]
impl Wire for HttpWire {
    fn kind(&self) -> Kind {
        Kind::Http
    }

    async fn health(&self) -> Reply<Value> {
        self.json(self.request("health", Method::GET, "/health".into())).await
    }

    async fn create(&self, key: Option<&str>) -> Reply<String> {
        let mut req = self.request("create", Method::POST, "/sandboxes".into());
        if let Some(key) = key {
            req.key = Some(key.to_string());
        }
        malformed(shape::created("create", &self.json(req).await?))
    }

    async fn exec(&self, sandbox: &str, exec: Exec<'_>) -> Reply<ExecOutput> {
        let mut req = self.request("exec", Method::POST, format!("/sandboxes/{}/exec", seg(sandbox)));
        let body = ExecBody {
            argv: exec.argv.iter().map(|a| a.to_string()).collect(),
            timeout_ms: exec.timeout.as_millis() as u64,
        };
        let body = serde_json::to_vec(&body).map_err(|e| Failure::Malformed(e.to_string()))?;
        req.body = Some(("application/json", Bytes::from(body)));
        req.timeout = exec.timeout + EXEC_MARGIN;
        if let Some(key) = exec.key {
            req.key = Some(key.to_string());
        }
        malformed(shape::exec(&self.json(req).await?))
    }

    async fn write_file(&self, sandbox: &str, path: &str, data: Bytes) -> Reply<()> {
        let mut req = self.request("write_file", Method::PUT, format!("/sandboxes/{}/files", seg(sandbox)));
        req.query = Some(("path", path));
        req.body = Some((FILE_CONTENT_TYPE, data));
        self.empty(req).await
    }

    async fn read_file(&self, sandbox: &str, path: &str) -> Reply<Bytes> {
        let mut req = self.request("read_file", Method::GET, format!("/sandboxes/{}/files", seg(sandbox)));
        req.query = Some(("path", path));
        let answer = self.send(req).await?;
        success("read_file", &answer)?;
        file_answer(&answer)?;
        Ok(answer.body)
    }

    async fn checkpoint(&self, sandbox: &str) -> Reply<CheckpointStatus> {
        let req = self.request(
            "checkpoint",
            Method::POST,
            format!("/sandboxes/{}/checkpoints", seg(sandbox)),
        );
        malformed(shape::checkpoint("checkpoint", &self.json(req).await?))
    }

    async fn checkpoint_status(&self, checkpoint: &str) -> Reply<CheckpointStatus> {
        let req = self.request(
            "checkpoint_status",
            Method::GET,
            format!("/checkpoints/{}", seg(checkpoint)),
        );
        malformed(shape::checkpoint("checkpoint_status", &self.json(req).await?))
    }

    async fn restore(&self, checkpoint: &str) -> Reply<String> {
        let req = self.request(
            "restore",
            Method::POST,
            format!("/checkpoints/{}/restore", seg(checkpoint)),
        );
        malformed(shape::created("restore", &self.json(req).await?))
    }

    async fn destroy(&self, sandbox: &str) -> Reply<()> {
        self.empty(self.request("destroy", Method::DELETE, format!("/sandboxes/{}", seg(sandbox))))
            .await
    }

    async fn delete_checkpoint(&self, checkpoint: &str) -> Reply<()> {
        let path = format!("/checkpoints/{}", seg(checkpoint));
        self.empty(self.request("delete_checkpoint", Method::DELETE, path))
            .await
    }
}

/// A file read is `200` with `Content-Type: application/octet-stream` and the raw bytes.
fn file_answer(answer: &Answer) -> Reply<()> {
    if answer.status != StatusCode::OK.as_u16() {
        return Err(Failure::Malformed(format!(
            "read_file answered {}, the protocol says 200 with the file's bytes",
            answer.status
        )));
    }
    let media = answer
        .content_type
        .as_deref()
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match (media.as_deref(), &answer.content_type) {
        (Some(FILE_CONTENT_TYPE), _) => Ok(()),
        (_, Some(given)) => Err(Failure::Malformed(format!(
            "read_file answered Content-Type {given}, the protocol says {FILE_CONTENT_TYPE}"
        ))),
        (_, None) => Err(Failure::Malformed(format!(
            "read_file answered without a Content-Type, the protocol says {FILE_CONTENT_TYPE}"
        ))),
    }
}
