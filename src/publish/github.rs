//! The sticky PR comment over GitHub's REST API: find our comment carrying this key's hidden
//! marker across every page of the PR's comments (which comment is ours is [`super::sticky`]'s
//! rule), then update it in place or create it.
//!
//! A thin reqwest client rather than octocrab: the four calls needed do not justify octocrab's
//! extra compile time, and reqwest shares hyper/rustls with the AWS SDK already in the build.
//! The token is only ever put in the `Authorization` header; no error message carries it.

use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK, USER_AGENT};
use reqwest::Method;

use super::comment::MAX_COMMENT_CHARS;
use super::error::PublishError;
use super::github_retry::{retry_delay, RateHeaders, RetryPolicy};
use super::sticky::{Found, IssueComment, StickyComment};

/// Pages of 100 comments followed at most; a PR with more than 10,000 comments is not expected.
const MAX_PAGES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentOutcome {
    Created(u64),
    Updated(u64),
    /// GitHub refused (403 read-only token on a fork PR, 404): a warning, not a failure.
    Skipped(String),
}

pub struct GitHubClient {
    http: reqwest::Client,
    api: String,
    token: Option<String>,
    policy: RetryPolicy,
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl GitHubClient {
    pub fn new(api: &str, token: Option<String>, policy: RetryPolicy) -> Result<Self, PublishError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| PublishError::GitHub(format!("cannot build the HTTP client: {e}")))?;
        Ok(GitHubClient {
            http,
            api: api.trim_end_matches('/').to_string(),
            token,
            policy,
        })
    }

    /// Creates or updates our one `sticky` comment on PR `pr` of `repo` (`owner/name`).
    pub async fn upsert_comment(
        &self,
        repo: &str,
        pr: u64,
        sticky: &StickyComment,
        body: &str,
    ) -> Result<CommentOutcome, PublishError> {
        let chars = body.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(PublishError::GitHub(format!(
                "comment body has {chars} characters, over GitHub's limit of {MAX_COMMENT_CHARS}; not sent"
            )));
        }
        let payload = serde_json::json!({ "body": body }).to_string();
        // A 5xx answer to a POST may still have created the comment: look again before re-posting,
        // so a flaky GitHub never leaves two comments with the same marker.
        let mut attempt = 0;
        let (reply, existing) = loop {
            let existing = match self.find_comment(repo, pr, sticky).await? {
                Ok(found) => found,
                Err(skip) => return Ok(skip),
            };
            let (method, url) = match existing {
                Some(id) => (Method::PATCH, format!("{}/repos/{repo}/issues/comments/{id}", self.api)),
                None => (Method::POST, format!("{}/repos/{repo}/issues/{pr}/comments", self.api)),
            };
            let is_post = method == Method::POST;
            let reply = self.send(method.clone(), &url, Some(&payload), !is_post).await?;
            if let Some(skip) = skipped(&reply, &url) {
                return Ok(skip);
            }
            if is_post && reply.status >= 500 && attempt + 1 < self.policy.max_attempts {
                let wait = self
                    .policy
                    .base_delay
                    .saturating_mul(1 << attempt.min(10))
                    .min(self.policy.max_wait);
                eprintln!(
                    "warning: GitHub POST {url} answered {}; checking before retrying in {wait:?}",
                    reply.status
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            if !(200..300).contains(&reply.status) {
                return Err(PublishError::GitHub(format!(
                    "{method} {url} answered {}: {}",
                    reply.status,
                    first_line(&reply.body)
                )));
            }
            break (reply, existing);
        };
        let id = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v["id"].as_u64())
            .or(existing)
            .unwrap_or(0);
        Ok(if existing.is_some() {
            CommentOutcome::Updated(id)
        } else {
            CommentOutcome::Created(id)
        })
    }

    /// `Ok(Ok(id))` when ours is found on any page; `Ok(Err(skip))` when GitHub refused to list.
    async fn find_comment(
        &self,
        repo: &str,
        pr: u64,
        sticky: &StickyComment,
    ) -> Result<Result<Option<u64>, CommentOutcome>, PublishError> {
        let mut url = format!("{}/repos/{repo}/issues/{pr}/comments?per_page=100", self.api);
        let mut found = Found::default();
        for _ in 0..MAX_PAGES {
            let reply = self.send(Method::GET, &url, None, true).await?;
            if let Some(skip) = skipped(&reply, &url) {
                return Ok(Err(skip));
            }
            if reply.status != 200 {
                return Err(PublishError::GitHub(format!(
                    "GET {url} answered {}: {}",
                    reply.status,
                    first_line(&reply.body)
                )));
            }
            let page: Vec<IssueComment> = serde_json::from_str(&reply.body)
                .map_err(|e| PublishError::GitHub(format!("GET {url}: not a list of comments: {e}")))?;
            if sticky.search_page(&page, &mut found) {
                break;
            }
            match next_link(&reply.headers) {
                Some(next) => url = next,
                None => break,
            }
        }
        for (id, login) in &found.foreign {
            eprintln!(
                "warning: comment {id} by {login:?} quotes the marker but was not written by a bot or \
                 --comment-author: left untouched"
            );
        }
        Ok(Ok(found.id))
    }

    /// Sends with retries; `retry_5xx` is false for calls that are not idempotent (POST).
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        retry_5xx: bool,
    ) -> Result<Reply, PublishError> {
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header(USER_AGENT, concat!("stress-action/", env!("CARGO_PKG_VERSION")));
            if let Some(token) = &self.token {
                req = req.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            if let Some(b) = body {
                req = req.header(CONTENT_TYPE, "application/json").body(b.to_string());
            }
            let wait = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let body = resp.text().await.unwrap_or_default();
                    let delay = match status {
                        500..=599 if !retry_5xx => None,
                        _ => retry_delay(status, &rate_headers(&headers), attempt, &self.policy),
                    };
                    match delay {
                        Some(wait) => {
                            eprintln!("warning: GitHub {method} {url} answered {status}; retrying in {wait:?}");
                            wait
                        }
                        None => return Ok(Reply { status, headers, body }),
                    }
                }
                Err(e)
                    if attempt + 1 < self.policy.max_attempts && (e.is_connect() || (retry_5xx && e.is_timeout())) =>
                {
                    let wait = self
                        .policy
                        .base_delay
                        .saturating_mul(1 << attempt.min(10))
                        .min(self.policy.max_wait);
                    eprintln!(
                        "warning: GitHub {method} {url}: {}; retrying in {wait:?}",
                        e.without_url()
                    );
                    wait
                }
                Err(e) => {
                    return Err(PublishError::GitHub(format!("{method} {url}: {}", error_chain(&e))));
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

fn skipped(reply: &Reply, url: &str) -> Option<CommentOutcome> {
    matches!(reply.status, 403 | 404).then(|| {
        CommentOutcome::Skipped(format!(
            "GitHub answered {} for {url} ({}); a read-only token on a fork PR cannot comment: see docs/fork-prs.md",
            reply.status,
            first_line(&reply.body)
        ))
    })
}

fn rate_headers(h: &HeaderMap) -> RateHeaders {
    let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(String::from);
    RateHeaders {
        retry_after: get("retry-after"),
        ratelimit_remaining: get("x-ratelimit-remaining"),
        ratelimit_reset: get("x-ratelimit-reset"),
    }
}

/// The `rel="next"` URL of a `Link` header, if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    line.chars().take(200).collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_only_the_next_link() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            "<http://x/c?page=3>; rel=\"last\", <http://x/c?page=2>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("http://x/c?page=2"));
        h.insert(LINK, "<http://x/c?page=1>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
    }
}
