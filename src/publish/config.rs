//! Clap-free publishing options. Defaults come from the GitHub Actions environment
//! (`GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_EVENT_PATH`) so the action needs no flags at all,
//! and every error names the flag the user would fix.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::ConfigError;

/// Presigned S3 URLs are valid for at most 7 days (a limit of SigV4, not of this tool).
pub const MAX_PRESIGN_DAYS: u32 = 7;

/// What the user said, every field optional.
#[derive(Clone, Debug, Default)]
pub struct PublishArgs {
    pub s3_bucket: Option<String>,
    pub s3_prefix: Option<String>,
    pub s3_endpoint: Option<String>,
    pub public_base_url: Option<String>,
    pub presign_days: Option<i64>,
    pub github_token_env: Option<String>,
    pub repo: Option<String>,
    pub pr: Option<i64>,
    pub github_api_url: Option<String>,
    pub comment_key: Option<String>,
    pub comment_author: Option<String>,
    pub baseline: Option<String>,
    pub fail_on_regression: Option<f64>,
    pub save_baseline: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct S3Target {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<String>,
}

/// How readers of the comment reach uploaded files.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkMode {
    /// No public links: charts are drawn inline with Mermaid.
    None,
    Public(String),
    PresignDays(u32),
}

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

/// A baseline report: a local run directory / report.json, or an object in S3.
#[derive(Clone, Debug, PartialEq)]
pub enum BaselineSource {
    Path(PathBuf),
    S3 { bucket: String, key: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublishConfig {
    pub s3: Option<S3Target>,
    pub s3_endpoint: Option<String>,
    pub links: LinkMode,
    pub github: Option<GitHubTarget>,
    pub baseline: Option<BaselineSource>,
    pub fail_on_regression: Option<f64>,
    pub save_baseline: Option<(String, String)>,
    /// Link to the workflow run, when running inside GitHub Actions.
    pub run_url: Option<String>,
}

/// The environment variables publishing reads, passed in so tests need not mutate the process env.
pub type Env = BTreeMap<String, String>;

pub fn process_env() -> Env {
    std::env::vars().collect()
}

impl PublishConfig {
    pub fn build(args: PublishArgs, env: &Env) -> Result<Self, ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let repo_env = get("GITHUB_REPOSITORY");
        let s3_endpoint = args
            .s3_endpoint
            .clone()
            .map(|e| validate_url("--s3-endpoint", e))
            .transpose()?;
        let github = github_target(&args, env, repo_env.as_deref())?;
        let s3 = match args.s3_bucket {
            Some(bucket) if bucket.trim().is_empty() => {
                return Err(ConfigError::new("--s3-bucket", "must not be empty"));
            }
            Some(bucket) => {
                let prefix = match args.s3_prefix {
                    Some(p) => p.trim_matches('/').to_string(),
                    None => default_prefix(repo_env.as_deref(), get("GITHUB_RUN_ID").as_deref()),
                };
                Some(S3Target {
                    bucket,
                    prefix,
                    endpoint: s3_endpoint.clone(),
                })
            }
            None => {
                if args.s3_prefix.is_some() {
                    return Err(ConfigError::new("--s3-prefix", "needs --s3-bucket"));
                }
                None
            }
        };
        let links = match (args.public_base_url.clone(), args.presign_days) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "--presign-days",
                    "choose either --public-base-url or --presign-days",
                ))
            }
            (Some(url), None) => LinkMode::Public(validate_url("--public-base-url", url)?.trim_end_matches('/').into()),
            (None, Some(days)) => {
                if !(1..=MAX_PRESIGN_DAYS as i64).contains(&days) {
                    return Err(ConfigError::new(
                        "--presign-days",
                        format!("must be 1..={MAX_PRESIGN_DAYS} (presigned S3 URLs expire after at most 7 days), got {days}"),
                    ));
                }
                if s3.is_none() {
                    return Err(ConfigError::new("--presign-days", "needs --s3-bucket"));
                }
                LinkMode::PresignDays(days as u32)
            }
            (None, None) => LinkMode::None,
        };
        let baseline = args.baseline.map(|b| parse_baseline("--baseline", &b)).transpose()?;
        if let Some(pct) = args.fail_on_regression {
            if !pct.is_finite() || pct < 0.0 {
                return Err(ConfigError::new(
                    "--fail-on-regression",
                    format!("must be a percentage >= 0, got {pct}"),
                ));
            }
            if baseline.is_none() {
                return Err(ConfigError::new("--fail-on-regression", "needs --baseline"));
            }
        }
        let save_baseline = match args.save_baseline {
            Some(s) => match parse_s3_url(&s) {
                Some(pair) => Some(pair),
                None => {
                    return Err(ConfigError::new(
                        "--save-baseline",
                        format!("must be s3://bucket/key, got {s:?}"),
                    ))
                }
            },
            None => None,
        };
        let run_url = match (get("GITHUB_SERVER_URL"), &repo_env, get("GITHUB_RUN_ID")) {
            (Some(server), Some(repo), Some(id)) => {
                Some(format!("{}/{repo}/actions/runs/{id}", server.trim_end_matches('/')))
            }
            _ => None,
        };
        Ok(PublishConfig {
            s3,
            s3_endpoint,
            links,
            github,
            baseline,
            fail_on_regression: args.fail_on_regression,
            save_baseline,
            run_url,
        })
    }
}

fn github_target(args: &PublishArgs, env: &Env, repo_env: Option<&str>) -> Result<Option<GitHubTarget>, ConfigError> {
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

fn default_prefix(repo: Option<&str>, run_id: Option<&str>) -> String {
    let repo = repo.unwrap_or("local");
    let run = match run_id {
        Some(id) => id.to_string(),
        None => chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
    };
    format!("stress-action/{repo}/{run}")
}

fn validate_url(field: &str, url: String) -> Result<String, ConfigError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(ConfigError::new(
            field,
            format!("must start with http:// or https://, got {url:?}"),
        ))
    }
}

/// `s3://bucket/key` -> (bucket, key); `None` when it is not such a URL.
pub fn parse_s3_url(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

pub fn parse_baseline(field: &str, s: &str) -> Result<BaselineSource, ConfigError> {
    if s.starts_with("s3://") {
        return parse_s3_url(s)
            .map(|(bucket, key)| BaselineSource::S3 { bucket, key })
            .ok_or_else(|| ConfigError::new(field, format!("must be a path or s3://bucket/key, got {s:?}")));
    }
    if s.is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    Ok(BaselineSource::Path(PathBuf::from(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn presign_days_over_seven_names_the_flag() {
        let args = PublishArgs {
            s3_bucket: Some("b".into()),
            presign_days: Some(8),
            ..Default::default()
        };
        let err = PublishConfig::build(args, &env(&[])).unwrap_err();
        assert_eq!(err.field, "--presign-days");
    }

    #[test]
    fn defaults_come_from_the_actions_environment() {
        let args = PublishArgs {
            s3_bucket: Some("b".into()),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(&event, r#"{"pull_request":{"number":42}}"#).unwrap();
        let e = env(&[
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "99"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ]);
        let cfg = PublishConfig::build(args, &e).unwrap();
        assert_eq!(cfg.s3.unwrap().prefix, "stress-action/o/r/99");
        let gh = cfg.github.unwrap();
        assert_eq!((gh.repo.as_str(), gh.pr, gh.key.as_str()), ("o/r", 42, "default"));
        assert_eq!(cfg.run_url.as_deref(), Some("https://github.com/o/r/actions/runs/99"));
    }

    #[test]
    fn bad_repo_and_baseline_are_usage_errors() {
        let args = PublishArgs {
            repo: Some("noslash".into()),
            pr: Some(1),
            ..Default::default()
        };
        assert_eq!(PublishConfig::build(args, &env(&[])).unwrap_err().field, "--repo");
        let args = PublishArgs {
            save_baseline: Some("/tmp/x".into()),
            ..Default::default()
        };
        assert_eq!(
            PublishConfig::build(args, &env(&[])).unwrap_err().field,
            "--save-baseline"
        );
    }

    #[test]
    fn comment_author_is_a_login() {
        let with = |author: &str| PublishArgs {
            repo: Some("o/r".into()),
            pr: Some(1),
            comment_author: Some(author.into()),
            ..Default::default()
        };
        for bad in ["", "a b", "x\"; rm", "[bot]"] {
            let err = PublishConfig::build(with(bad), &env(&[])).unwrap_err();
            assert_eq!(err.field, "--comment-author", "{bad:?}");
        }
        for good in ["octocat", "ci-runner-2", "my-app[bot]"] {
            let cfg = PublishConfig::build(with(good), &env(&[])).unwrap();
            assert_eq!(cfg.github.unwrap().author.as_deref(), Some(good));
        }
    }
}
