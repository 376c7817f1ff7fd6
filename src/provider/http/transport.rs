//! One pooled client and the retry loop every call goes through.
//!
//! Every attempt has its own deadline; failures worth another attempt (see
//! [`classify::is_retryable`]) are retried a bounded number of times with full-jitter exponential
//! backoff. POSTs carry an idempotency key that stays the same across attempts, so a retried
//! `exec` or `restore` whose first answer was lost is not run twice by a server that honours keys.

use std::future::Future;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use reqwest::{Method, StatusCode};

use super::classify::{self, class_of_status};
use super::liveness::Liveness;
use super::wire::{ErrorBody, IDEMPOTENCY_KEY};
use crate::config::Secret;
use crate::provider::payload::{ChunkBody, Hasher};
use crate::provider::retry::note_retry;
use crate::provider::{Digest, Payload, ProviderError, ProviderResult};

/// Attempts after the first for a call that failed in a retryable way.
pub const MAX_RETRIES: u32 = 4;
const BACKOFF_BASE: Duration = Duration::from_millis(25);
const BACKOFF_CAP: Duration = Duration::from_millis(1000);

/// Largest JSON response accepted: exec output is capped at 1 MiB per stream, base64 grows it by 4/3.
pub const MAX_JSON_BODY: usize = 8 << 20;
/// Largest file read into memory ([`Transport::send`]); large files are read as digests
/// ([`Transport::send_digest`]), which have no limit.
pub const MAX_FILE_BODY: usize = 256 << 20;
/// How the client introduces itself, so a platform can find stress-action's traffic in its logs.
pub const USER_AGENT: &str = concat!("stress-action/", env!("CARGO_PKG_VERSION"));
/// The only media type of file contents in protocol v1, both ways.
pub const FILE_CONTENT_TYPE: &str = "application/octet-stream";

pub struct Transport {
    client: reqwest::Client,
    base: String,
    /// `base` parsed once: every call's URL is this with its path set, not a string parsed again
    /// (host parsing and IDNA were ~7 % of the client's CPU in a burst). `None` when `base` has a
    /// query, a fragment or a trailing slash, or does not parse: each call then parses (and
    /// reports) as before.
    base_url: Option<reqwest::Url>,
    token: Option<Secret>,
    /// Which calls got no answer at all: the evidence that the server is gone.
    pub liveness: Liveness,
}

/// What one call sends; cloned per attempt so the body is never consumed by a failed try.
pub struct Call<'a> {
    pub op: &'static str,
    pub method: Method,
    pub path: String,
    pub query: Option<(&'a str, &'a str)>,
    pub body: Option<Body>,
    pub timeout: Duration,
    pub max_body: usize,
    /// Set for POSTs: one key for all attempts of this call.
    pub idempotency_key: Option<String>,
    /// DELETE: a 404 after an earlier attempt may have succeeded counts as done.
    pub not_found_ok_on_retry: bool,
    /// Retry budget of this call (at most [`MAX_RETRIES`]).
    pub retries: u32,
    /// The answer is a file's raw bytes: `200` with `Content-Type: application/octet-stream`, and
    /// anything else is a protocol mistake (`provider_error`), never bytes to compare.
    pub file_answer: bool,
}

#[derive(Clone)]
pub enum Body {
    Json(Vec<u8>),
    Raw(Bytes),
}

impl Transport {
    pub fn new(base: &str, token: Option<Secret>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            // No cap below the callers' own concurrency (workload concurrency, --max-in-flight):
            // a cap of idle connections under it made every wave of a burst reconnect, churning
            // ports into TIME_WAIT. Idle connections still close after the idle timeout.
            .pool_max_idle_per_host(usize::MAX)
            .pool_idle_timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // A trailing slash would give `//v1/...` when parsed with the path appended: left to parsing.
        let base_url = reqwest::Url::parse(base)
            .ok()
            .filter(|u| u.query().is_none() && u.fragment().is_none() && !u.cannot_be_a_base())
            .filter(|_| !base.ends_with('/'));
        Ok(Self {
            client,
            base: base.to_string(),
            base_url,
            token,
            liveness: Liveness::default(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Runs `call` with retries; returns the status and the (size-limited) body of a 2xx answer.
    /// Every retry is counted as an attempt of the call in progress (see [`note_retry`]).
    pub async fn send(&self, call: Call<'_>) -> ProviderResult<(StatusCode, Bytes)> {
        let call = &call;
        self.retrying(call, |tries| async move {
            match self.attempt(call).await {
                Err(e) if e.status == Some(404) && call.not_found_ok_on_retry && tries > 0 => {
                    Ok((StatusCode::NO_CONTENT, Bytes::new()))
                }
                answer => answer,
            }
        })
        .await
    }

    /// Sends `payload` as the body of `call`, generated chunk by chunk, and answers what was sent.
    /// Each attempt generates it again from the first byte: a streamed body cannot be replayed.
    /// `call.timeout` bounds each whole attempt, so the caller sizes it for the payload.
    pub async fn send_payload(&self, call: Call<'_>, payload: &Payload) -> ProviderResult<Digest> {
        self.retrying(&call, |_| self.attempt_payload(&call, payload)).await
    }

    /// Runs `call`, whose answer is a file, and answers the file's length and SHA-256, hashed as
    /// it arrives (no size limit: nothing is kept). `call.timeout` bounds the wait for the answer
    /// and then each wait for more of the body, so a large file is not cut off by a deadline meant
    /// for small ones, and a stalled one still is.
    pub async fn send_digest(&self, call: Call<'_>) -> ProviderResult<Digest> {
        self.retrying(&call, |_| self.attempt_digest(&call)).await
    }

    /// The retry loop of every call: `attempt` is given how many attempts came before it.
    async fn retrying<T, F, Fut>(&self, call: &Call<'_>, mut attempt: F) -> ProviderResult<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = ProviderResult<T>>,
    {
        let request = self.liveness.begin();
        let mut tries = 0u32;
        let result = loop {
            match attempt(tries).await {
                Ok(answer) => break Ok(answer),
                Err(e) if tries < call.retries.min(MAX_RETRIES) && classify::is_retryable(&e) => {
                    tries += 1;
                    note_retry();
                    tokio::time::sleep(backoff(tries)).await;
                }
                Err(mut e) => {
                    if tries > 0 {
                        e.message = format!("{} (after {} attempts)", e.message, tries + 1);
                    }
                    break Err(e);
                }
            }
        };
        self.liveness.ended(request, result.as_ref().map(|_| ()));
        result
    }

    /// The request of one attempt, without a deadline or a body of a payload (the callers add
    /// theirs).
    fn request(&self, call: &Call<'_>) -> ProviderResult<reqwest::RequestBuilder> {
        let mut url = self.url_of(call)?;
        if let Some((k, v)) = call.query {
            url.query_pairs_mut().append_pair(k, v);
        }
        let mut req = self.client.request(call.method.clone(), url);
        if let Some(token) = &self.token {
            req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {}", token.expose()));
        }
        if let Some(key) = &call.idempotency_key {
            req = req.header(IDEMPOTENCY_KEY, key.as_str());
        }
        Ok(match &call.body {
            Some(Body::Json(bytes)) => req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Some(Body::Raw(bytes)) => req
                .header(reqwest::header::CONTENT_TYPE, FILE_CONTENT_TYPE)
                .body(bytes.clone()),
            None => req,
        })
    }

    async fn attempt(&self, call: &Call<'_>) -> ProviderResult<(StatusCode, Bytes)> {
        let mut resp = self
            .request(call)?
            .timeout(call.timeout)
            .send()
            .await
            .map_err(|e| classify::classify_send_error(call.op, &e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(error_answer(call.op, resp).await);
        }
        if call.file_answer {
            file_answer_shape(call.op, status, &resp)?;
        }
        Ok((status, read_limited(&mut resp, call.max_body, call.op).await?))
    }

    async fn attempt_payload(&self, call: &Call<'_>, payload: &Payload) -> ProviderResult<Digest> {
        let (body, producer) = ChunkBody::generate(*payload);
        let mut resp = self
            .request(call)?
            .timeout(call.timeout)
            .header(reqwest::header::CONTENT_TYPE, FILE_CONTENT_TYPE)
            .header(reqwest::header::CONTENT_LENGTH, payload.len())
            .body(reqwest::Body::wrap(body))
            .send()
            .await
            .map_err(|e| classify::classify_send_error(call.op, &e))?;
        if !resp.status().is_success() {
            return Err(error_answer(call.op, resp).await);
        }
        read_limited(&mut resp, call.max_body, call.op).await?;
        drop(resp);
        match producer.await {
            Ok(Some(sent)) => Ok(sent),
            _ => Err(ProviderError::provider(format!(
                "{}: the server answered success before taking the whole body of {} bytes",
                call.op,
                payload.len()
            ))),
        }
    }

    async fn attempt_digest(&self, call: &Call<'_>) -> ProviderResult<Digest> {
        let op = call.op;
        let wait = call.timeout;
        let stalled = || ProviderError::timeout(format!("{op}: no data for {} s", wait.as_secs_f64()));
        let mut resp = tokio::time::timeout(wait, self.request(call)?.send())
            .await
            .map_err(|_| ProviderError::timeout(format!("{op}: no response in {} s", wait.as_secs_f64())))?
            .map_err(|e| classify::classify_send_error(op, &e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(error_answer(op, resp).await);
        }
        file_answer_shape(op, status, &resp)?;
        let mut hasher = Hasher::default();
        loop {
            match tokio::time::timeout(wait, resp.chunk()).await.map_err(|_| stalled())? {
                Ok(Some(chunk)) => hasher.update(&chunk),
                Ok(None) => return Ok(hasher.finish()),
                Err(e) => return Err(classify::classify_body_error(op, &e)),
            }
        }
    }
}

/// An error answer: its body is only a description, so a broken one still leaves the status.
async fn error_answer(op: &str, mut resp: reqwest::Response) -> ProviderError {
    let status = resp.status();
    let detail = read_limited(&mut resp, 64 << 10, op)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<ErrorBody>(&b).ok())
        .map(|b| b.error);
    let code = detail.as_ref().map(|d| d.code.as_str());
    let message = match &detail {
        Some(d) => format!("{op}: {} ({})", d.message, d.code),
        None => format!("{op}: HTTP {}", status.as_u16()),
    };
    ProviderError {
        class: class_of_status(status.as_u16(), code),
        status: Some(status.as_u16()),
        message,
    }
}

impl Transport {
    /// The base URL with `call.path` appended to its path: what parsing `base + path` gives.
    fn url_of(&self, call: &Call<'_>) -> ProviderResult<reqwest::Url> {
        match &self.base_url {
            Some(base) if !call.path.contains(['?', '#']) => {
                let mut url = base.clone();
                let path = format!("{}{}", base.path().trim_end_matches('/'), call.path);
                url.set_path(&path);
                Ok(url)
            }
            _ => reqwest::Url::parse(&format!("{}{}", self.base, call.path))
                .map_err(|e| ProviderError::provider(format!("{}: bad request URL: {e}", call.op))),
        }
    }
}

/// A file read must answer the raw bytes the protocol defines; a JSON envelope or a text answer
/// would otherwise be hashed as the file and look like corrupted data.
fn file_answer_shape(op: &str, status: StatusCode, resp: &reqwest::Response) -> ProviderResult<()> {
    if status != StatusCode::OK {
        return Err(ProviderError::provider(format!(
            "{op} answered {}, the protocol says 200 with the file's bytes",
            status.as_u16()
        )));
    }
    let given = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media_type = given
        .as_deref()
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match (media_type.as_deref(), given) {
        (Some(FILE_CONTENT_TYPE), _) => Ok(()),
        (_, Some(given)) => Err(ProviderError::provider(format!(
            "{op} answered Content-Type {}, the protocol says {FILE_CONTENT_TYPE}",
            given.chars().take(80).collect::<String>()
        ))),
        (_, None) => Err(ProviderError::provider(format!(
            "{op} answered without a Content-Type, the protocol says {FILE_CONTENT_TYPE}"
        ))),
    }
}

/// Reads a body chunk by chunk, refusing it as soon as it passes `limit`.
pub async fn read_limited(resp: &mut reqwest::Response, limit: usize, op: &str) -> ProviderResult<Bytes> {
    if let Some(len) = resp.content_length() {
        if len > limit as u64 {
            return Err(ProviderError::provider(format!(
                "{op}: response of {len} bytes exceeds the limit of {limit}"
            )));
        }
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify::classify_body_error(op, &e))? {
        if buf.len() + chunk.len() > limit {
            return Err(ProviderError::provider(format!(
                "{op}: response body exceeds the limit of {limit} bytes"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Full jitter: a random wait up to an exponentially growing cap, so retries of many workers spread.
pub fn backoff(attempt: u32) -> Duration {
    let cap = BACKOFF_BASE.saturating_mul(1u32 << attempt.min(10)).min(BACKOFF_CAP);
    Duration::from_micros(rand::thread_rng().gen_range(0..=cap.as_micros() as u64))
}

/// A fresh key per logical call: 128 random bits, hex.
pub fn new_idempotency_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: Option<&str>) -> reqwest::Response {
        let mut builder = axum::http::Response::builder().status(status);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        reqwest::Response::from(builder.body("bytes").expect("a response"))
    }

    fn shape(status: u16, content_type: Option<&str>) -> Result<(), String> {
        let resp = answer(status, content_type);
        file_answer_shape("read_file", resp.status(), &resp).map_err(|e| e.message)
    }

    #[test]
    fn a_call_url_is_what_parsing_base_and_path_gives() {
        let bases = [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "https://sandboxes.example.com/api/prefix",
            "http://[::1]:9000/x/",
            "http://bücher.example/",
        ];
        let paths = [
            "/v1/sandboxes",
            "/v1/sandboxes/sb%2F1%20x/exec",
            "/v1/checkpoints/ü é/restore",
        ];
        for base in bases {
            let transport = Transport::new(base, None).unwrap();
            for path in paths {
                let mut c = super::super::call("t", Method::POST, path.to_string(), Duration::from_secs(1));
                c.body = None;
                let fast = transport.url_of(&c).unwrap();
                let parsed = reqwest::Url::parse(&format!("{base}{path}")).unwrap();
                assert_eq!(fast, parsed, "{base} + {path}");
            }
        }
    }

    #[test]
    fn a_file_read_must_be_200_raw_bytes() {
        assert_eq!(shape(200, Some("application/octet-stream")), Ok(()));
        assert_eq!(shape(200, Some("Application/Octet-Stream; foo=bar")), Ok(()));
        assert_eq!(
            shape(200, Some("application/json")),
            Err("read_file answered Content-Type application/json, the protocol says application/octet-stream".into())
        );
        assert_eq!(
            shape(200, None),
            Err("read_file answered without a Content-Type, the protocol says application/octet-stream".into())
        );
        assert_eq!(
            shape(204, Some("application/octet-stream")),
            Err("read_file answered 204, the protocol says 200 with the file's bytes".into())
        );
    }
}
