//! The PR the sticky comment goes to: repository, PR number (from the flags or the Actions event),
//! API URL, token variable, comment key and the login that owns the comment.

use std::path::PathBuf;

use super::{validate_url, Env, PublishArgs};
use crate::error::ConfigError;

#[derive(Clone, Debug, PartialEq)]
pub struct GitHubTarget {
    pub api_url: String,
    pub repo: String,
    pub pr: u64,
    pub token_env: String,
    pub key: String,
    /// The login that owns the sticky comment besides any Bot (a personal token's user).
    pub author: Option<String>,
}

pub(super) fn github_target(
    args: &PublishArgs,
    env: &Env,
    repo_env: Option<&str>,
) -> Result<Option<GitHubTarget>, ConfigError> {
    let repo = args.repo.clone().or_else(|| repo_env.map(str::to_string));
    let pr = match args.pr {
        Some(n) if n <= 0 => return Err(ConfigError::new("--pr", format!("must be a positive number, got {n}"))),
        Some(n) => Some(n as u64),
        None => env
            .get("GITHUB_EVENT_PATH")
            .and_then(|p| pr_from_event(&PathBuf::from(p))),
    };
    let key = args.comment_key.clone().unwrap_or_else(|| "default".into());
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(ConfigError::new(
            "--comment-key",
            format!("use letters, digits, '-', '_' or '.', got {key:?}"),
        ));
    }
    let author = args.comment_author.as_deref().map(validate_login).transpose()?;
    let (Some(repo), Some(pr)) = (repo, pr) else {
        if args.pr.is_some() {
            return Err(ConfigError::new(
                "--repo",
                "needed with --pr (or set GITHUB_REPOSITORY)",
            ));
        }
        return Ok(None);
    };
    let parts: Vec<&str> = repo.split('/').collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(ConfigError::new("--repo", format!("must be owner/name, got {repo:?}")));
    }
    let api_url = match &args.github_api_url {
        Some(u) => validate_url("--github-api-url", u.clone())?,
        None => env
            .get("GITHUB_API_URL")
            .cloned()
            .unwrap_or_else(|| "https://api.github.com".into()),
    };
    Ok(Some(GitHubTarget {
        api_url: api_url.trim_end_matches('/').into(),
        repo,
        pr,
        token_env: args.github_token_env.clone().unwrap_or_else(|| "GITHUB_TOKEN".into()),
        key,
        author,
    }))
}

/// A GitHub login (`octocat`, `my-app[bot]`): letters, digits and '-', with an optional `[bot]`.
fn validate_login(login: &str) -> Result<String, ConfigError> {
    let name = login.strip_suffix("[bot]").unwrap_or(login);
    if name.is_empty() || name.len() > 39 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ConfigError::new(
            "--comment-author",
            format!("must be a GitHub login (letters, digits, '-', optionally ending in [bot]), got {login:?}"),
        ));
    }
    Ok(login.to_string())
}

/// The PR number of a `pull_request` event, or of the PR that triggered a `workflow_run`
/// (the fork-safe two-workflow recipe).
fn pr_from_event(path: &PathBuf) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["pull_request"]["number"]
        .as_u64()
        .or_else(|| v["workflow_run"]["pull_requests"][0]["number"].as_u64())
}
