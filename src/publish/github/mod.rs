//! GitHub's REST API through octocrab: the sticky PR comment (`comments.rs`) and the PR lookup
//! (`pulls.rs`).
//!
//! octocrab brings the response models, Link-header pagination (`Page::next`), the base URI
//! (`--github-api-url`, GitHub Enterprise's `/api/v3` path included) and the token. It runs over
//! the reqwest client the build already has (octocrab's `reqwest` feature): one HTTP and TLS stack
//! (rustls with aws-lc-rs) and our timeouts. What octocrab lacks, or does in a way that would cost
//! a duplicate comment or an hour-long sleep, is in `retry.rs`; which comment is ours is
//! [`super::sticky`]'s rule, applied to octocrab's comment model.
//!
//! The token is handed to octocrab as a secret that goes only into the `Authorization` header of
//! requests to the API's host. Errors and warnings are built from GitHub's answer or the transport
//! error (`failure.rs`), never from a request, so they cannot carry it.

mod comments;
mod failure;
mod pulls;
mod retry;

use std::sync::Mutex;
use std::time::Duration;

use octocrab::Octocrab;

use super::error::PublishError;

pub use comments::CommentOutcome;
pub use pulls::{PullRequestHead, PullRequestState};
pub use retry::RetryPolicy;

pub struct GitHubClient {
    crab: Octocrab,
    /// The API's base URL as given, for messages.
    api: String,
    policy: RetryPolicy,
    /// Every warning said so far.
    notes: Mutex<Vec<String>>,
}

impl GitHubClient {
    /// A client for the API at `api` (`https://api.github.com`, `https://HOST/api/v3`); calls are
    /// anonymous without a token. Must be called inside a Tokio runtime (octocrab starts a task).
    pub fn new(api: &str, token: Option<String>, policy: RetryPolicy) -> Result<Self, PublishError> {
        let api = api.trim_end_matches('/');
        check_api_url(api)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| PublishError::GitHub(format!("cannot build the HTTP client: {e}")))?;
        let mut builder = octocrab::OctocrabBuilder::new()
            .base_uri(api)
            .map_err(|_| bad_api_url(api, "not a URI"))?;
        if let Some(token) = token {
            // octocrab would panic on a token no header can carry; say so without showing it.
            if reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
                return Err(PublishError::GitHub(
                    "the GitHub token holds characters an HTTP header cannot carry (a line break?)".into(),
                ));
            }
            builder = builder.personal_token(token);
        }
        let crab = builder
            .build_with_reqwest(http)
            .map_err(|e| PublishError::GitHub(format!("cannot build the GitHub client: {e}")))?;
        Ok(GitHubClient {
            crab,
            api: api.to_string(),
            policy,
            notes: Mutex::new(Vec::new()),
        })
    }

    /// The warnings said so far (retries, comments left alone), in order: they are printed as
    /// they happen, and kept for callers and tests that need them afterwards.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn warn(&self, message: String) {
        eprintln!("warning: {message}");
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(message);
        }
    }
}

/// `owner/name` split in two.
fn split_repo(repo: &str) -> Result<(&str, &str), PublishError> {
    match repo.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => Ok((owner, name)),
        _ => Err(PublishError::Input(format!("--repo must be owner/name, got {repo:?}"))),
    }
}

/// An http(s) URL with a host: octocrab joins every route onto it and would panic on less.
fn check_api_url(api: &str) -> Result<(), PublishError> {
    let url = reqwest::Url::parse(api).map_err(|e| bad_api_url(api, &e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad_api_url(api, "must be an http(s) URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad_api_url(api, "must not have a query or fragment"));
    }
    Ok(())
}

fn bad_api_url(api: &str, why: &str) -> PublishError {
    PublishError::Input(format!(
        "--github-api-url (or GITHUB_API_URL) {api:?} is not usable: {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Async: building an octocrab client starts its request buffer on the runtime.
    #[tokio::test]
    async fn bad_inputs_are_named_errors_not_panics() {
        let p = RetryPolicy::default();
        for api in ["api.github.com", "ftp://x", "http://", "http://h/api?x=1", "not a url"] {
            let err = GitHubClient::new(api, None, p).err().expect(api).to_string();
            assert!(err.contains("--github-api-url"), "{api}: {err}");
        }
        assert!(GitHubClient::new("https://ghe.example.com/api/v3/", None, p).is_ok());
        let token = "ghs_secret\nvalue";
        let err = GitHubClient::new("https://api.github.com", Some(token.into()), p)
            .err()
            .expect("a token with a line break is refused")
            .to_string();
        assert!(err.contains("token") && !err.contains("ghs_secret"), "{err}");
        assert_eq!(split_repo("o/r").unwrap(), ("o", "r"));
        for bad in ["o", "o/", "/r", "o/r/x"] {
            assert!(split_repo(bad).unwrap_err().to_string().contains("--repo"), "{bad}");
        }
    }
}
