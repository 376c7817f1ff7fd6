//! Publishing settings: where a finished run goes (S3, the sticky PR comment, a baseline).
//!
//! [`PublishArgs`] is what the user said; [`PublishConfig::build`] validates it. Defaults come from
//! the GitHub Actions environment (`GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`,
//! `GITHUB_EVENT_PATH`) so the
//! action needs no flags at all, and every error names the flag the user would fix. Validation lives
//! here, with the rest of the configuration, so `run` checks its publishing flags before a long run
//! and the publishers receive settings that are already sound.

mod github;

use std::collections::BTreeMap;
use std::path::PathBuf;

use github::github_target;
pub use github::GitHubTarget;

use super::compare::{CompareConfig, RegressionGate};
use crate::error::ConfigError;

/// Presigned S3 URLs are valid for at most 7 days (a limit of SigV4, not of this tool).
pub const MAX_PRESIGN_DAYS: u32 = 7;

/// What the user said about publishing, every field optional: the flags of `publish DIR` and of
/// `run` (clap reads this struct directly) and the `[publish]` table of stress.toml (serde reads it),
/// so the list of settings, their help and their keys are written once.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PublishArgs {
    /// Upload the run directory to this S3 bucket.
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Key prefix (default stress-action/<GITHUB_REPOSITORY>/<GITHUB_RUN_ID>/<GITHUB_RUN_ATTEMPT>/<comment key>).
    #[arg(long, value_name = "PREFIX")]
    pub s3_prefix: Option<String>,
    /// S3-compatible endpoint URL (MinIO, R2, ...); enables path-style addressing.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Public base URL of the bucket (CDN or public bucket) used for links and images in the comment.
    #[arg(long, value_name = "URL")]
    pub public_base_url: Option<String>,
    /// Link to presigned URLs valid this many days (at most 7, the S3 limit).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub presign_days: Option<i64>,
    /// Environment variable holding the GitHub token (default GITHUB_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub github_token_env: Option<String>,
    /// owner/name of the repository (default GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Pull request number (default: from GITHUB_EVENT_PATH).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pr: Option<i64>,
    /// GitHub API URL (GitHub Enterprise; default GITHUB_API_URL or https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub github_api_url: Option<String>,
    /// One sticky comment per key (default "default").
    #[arg(long, value_name = "KEY")]
    pub comment_key: Option<String>,
    /// Login that owns the sticky comment besides bots: the user of a personal token (a marker
    /// quoted by anyone else is never edited).
    #[arg(long, value_name = "LOGIN")]
    pub comment_author: Option<String>,
    /// Baseline run: a run directory, a report.json, or s3://bucket/key.
    #[arg(long, value_name = "PATH|S3_URL")]
    pub baseline: Option<String>,
    /// Fail (exit 1) on a significant regression against the baseline, or a metric with no data
    /// (a number here is deprecated: it is taken as --min-effect).
    #[arg(
        long,
        value_name = "true|false",
        num_args = 0..=1,
        default_missing_value = "true",
        allow_negative_numbers = true
    )]
    pub fail_on_regression: Option<RegressionGate>,
    /// Significance level of the comparison's two-sample test (default 0.01).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Smallest change that counts as a regression or improvement, in percent (default 10).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub min_effect: Option<f64>,
    /// Smallest change of a latency that counts, in milliseconds (default 1): both this and
    /// --min-effect must be exceeded.
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub min_effect_ms: Option<f64>,
    /// Store this run's report.json as the new baseline at s3://bucket/key.
    #[arg(long, value_name = "S3_URL")]
    pub save_baseline: Option<String>,
    /// Publish only if the head commit of the PR given by --pr is SHA (the fork-PR recipe passes
    /// the triggering run's head SHA): a PR number read from a fork's artifact is trusted only then.
    #[arg(long, value_name = "SHA")]
    pub expect_head_sha: Option<String>,
    /// Where the history index lives in S3: a key prefix in --s3-bucket, or s3://bucket/prefix
    /// (default with --s3-bucket: stress-action/<repo>/history). Entries go under <prefix>/<branch>/.
    #[arg(long, value_name = "PREFIX|S3_URL")]
    pub history_prefix: Option<String>,
    /// Also (or only) keep the history index in this local directory, under DIR/<branch>/.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
}

impl PublishArgs {
    /// The stress.toml keys of these settings (`s3-bucket`, ...), taken from serde itself so a
    /// setting added above is a key without being listed again.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(PublishArgs::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
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

/// Where runs are indexed for `history`: S3 (bucket and prefix, without the branch) and/or a
/// local directory; entries go under `<prefix>/<branch>/`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryTarget {
    pub s3: Option<(String, String)>,
    pub dir: Option<PathBuf>,
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
    /// `--alpha`, `--min-effect` and whether a regression fails the run.
    pub compare: CompareConfig,
    pub save_baseline: Option<(String, String)>,
    /// Where the history index is written and read.
    pub history: HistoryTarget,
    /// Link to the workflow run, when running inside GitHub Actions.
    pub run_url: Option<String>,
    /// The PR's head commit must be this (lower-case hex) before anything is published.
    pub expect_head_sha: Option<String>,
    /// Environment variables holding tokens this process uses: their values are redacted from
    /// everything published.
    pub secret_variables: Vec<String>,
}

/// Token variables whose values never leave the machine, besides the GitHub token's variable and
/// the provider's (`--token-env`, default `STRESS_ACTION_TOKEN`).
pub const SECRET_VARIABLES: [&str; 4] = [
    "GITHUB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    crate::config::DEFAULT_TOKEN_ENV,
];

/// The environment variables publishing reads, passed in so tests need not mutate the process env.
pub type Env = BTreeMap<String, String>;

pub fn process_env() -> Env {
    std::env::vars().collect()
}

impl PublishConfig {
    /// Validates in the order the flags are listed, so the first mistake named is the first a
    /// reader of `--help` would look at.
    pub fn build(args: PublishArgs, env: &Env) -> Result<Self, ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let repo_env = get("GITHUB_REPOSITORY");
        let s3_endpoint = args
            .s3_endpoint
            .clone()
            .map(|e| validate_url("--s3-endpoint", e))
            .transpose()?;
        let github = github_target(&args, env, repo_env.as_deref())?;
        let run_id = get("GITHUB_RUN_ID");
        let run = RunId {
            repo: repo_env.as_deref(),
            id: run_id.as_deref(),
            attempt: get("GITHUB_RUN_ATTEMPT"),
        };
        let s3 = s3_target(&args, &run, &s3_endpoint)?;
        let links = link_mode(&args, s3.is_some())?;
        let (baseline, compare) = baseline(&args)?;
        let save_baseline = save_baseline(&args)?;
        let expect_head_sha = expect_head_sha(&args, github.is_some())?;
        let history = history_target(&args, s3.as_ref(), repo_env.as_deref())?;
        let run_url = match (get("GITHUB_SERVER_URL"), &repo_env, run_id) {
            (Some(server), Some(repo), Some(id)) => {
                Some(format!("{}/{repo}/actions/runs/{id}", server.trim_end_matches('/')))
            }
            _ => None,
        };
        let secret_variables = secret_variables(&github);
        Ok(PublishConfig {
            s3,
            s3_endpoint,
            links,
            github,
            baseline,
            compare,
            save_baseline,
            history,
            run_url,
            expect_head_sha,
            secret_variables,
        })
    }

    /// Adds the provider's token variable (`run --token-env`) to those redacted.
    pub fn with_secret_variable(mut self, name: Option<&str>) -> Self {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            if !self.secret_variables.iter().any(|v| v == name) {
                self.secret_variables.push(name.to_string());
            }
        }
        self
    }
}

fn secret_variables(github: &Option<GitHubTarget>) -> Vec<String> {
    let mut names: Vec<String> = SECRET_VARIABLES.iter().map(|s| s.to_string()).collect();
    if let Some(gh) = github {
        if !names.contains(&gh.token_env) {
            names.push(gh.token_env.clone());
        }
    }
    names
}

/// A commit SHA (40 hex digits, or 64 in a SHA-256 repository), and a PR to check it against.
fn expect_head_sha(args: &PublishArgs, has_pr: bool) -> Result<Option<String>, ConfigError> {
    let Some(sha) = args.expect_head_sha.as_deref() else {
        return Ok(None);
    };
    let sha = sha.trim();
    if !matches!(sha.len(), 40 | 64) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ConfigError::new(
            "--expect-head-sha",
            format!("must be a full commit SHA (40 hex digits), got {sha:?}"),
        ));
    }
    if !has_pr {
        return Err(ConfigError::new(
            "--expect-head-sha",
            "needs --pr and --repo (or GITHUB_REPOSITORY): the PR whose head is checked",
        ));
    }
    Ok(Some(sha.to_ascii_lowercase()))
}

/// The workflow run a default S3 prefix belongs to, from the GitHub Actions environment.
struct RunId<'a> {
    repo: Option<&'a str>,
    id: Option<&'a str>,
    attempt: Option<String>,
}

/// Where the run directory is uploaded: the bucket, and the prefix (by default one per repository,
/// workflow run, attempt and comment key, so neither two jobs of one run nor a re-run overwrite
/// each other's files).
fn s3_target(args: &PublishArgs, run: &RunId, endpoint: &Option<String>) -> Result<Option<S3Target>, ConfigError> {
    match &args.s3_bucket {
        Some(bucket) if bucket.trim().is_empty() => Err(ConfigError::new("--s3-bucket", "must not be empty")),
        Some(bucket) => {
            let prefix = match &args.s3_prefix {
                Some(p) => p.trim_matches('/').to_string(),
                None => default_prefix(run, args.comment_key.as_deref().unwrap_or("default")),
            };
            Ok(Some(S3Target {
                bucket: bucket.clone(),
                prefix,
                endpoint: endpoint.clone(),
            }))
        }
        None if args.s3_prefix.is_some() => Err(ConfigError::new("--s3-prefix", "needs --s3-bucket")),
        None => Ok(None),
    }
}

/// How the comment links uploaded files: a public base URL, presigned URLs, or not at all.
fn link_mode(args: &PublishArgs, has_s3: bool) -> Result<LinkMode, ConfigError> {
    match (args.public_base_url.clone(), args.presign_days) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            "--presign-days",
            "choose either --public-base-url or --presign-days",
        )),
        (Some(url), None) => Ok(LinkMode::Public(
            validate_url("--public-base-url", url)?.trim_end_matches('/').into(),
        )),
        (None, Some(days)) => {
            if !(1..=MAX_PRESIGN_DAYS as i64).contains(&days) {
                return Err(ConfigError::new(
                    "--presign-days",
                    format!(
                        "must be 1..={MAX_PRESIGN_DAYS} (presigned S3 URLs expire after at most 7 days), got {days}"
                    ),
                ));
            }
            if !has_s3 {
                return Err(ConfigError::new("--presign-days", "needs --s3-bucket"));
            }
            Ok(LinkMode::PresignDays(days as u32))
        }
        (None, None) => Ok(LinkMode::None),
    }
}

/// The baseline to compare with, how to compare, and whether a regression fails the run.
fn baseline(args: &PublishArgs) -> Result<(Option<BaselineSource>, CompareConfig), ConfigError> {
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| parse_baseline("--baseline", b))
        .transpose()?;
    let compare = CompareConfig::build(args.alpha, args.min_effect, args.min_effect_ms, args.fail_on_regression)?;
    if compare.fail_on_regression && baseline.is_none() {
        return Err(ConfigError::new("--fail-on-regression", "needs --baseline"));
    }
    Ok((baseline, compare))
}

/// Where the history index goes: `--history-prefix` (in --s3-bucket, or its own s3:// URL), by
/// default `stress-action/<repo>/history` in --s3-bucket; and `--history-dir`.
fn history_target(args: &PublishArgs, s3: Option<&S3Target>, repo: Option<&str>) -> Result<HistoryTarget, ConfigError> {
    let field = "--history-prefix";
    let s3 = match (&args.history_prefix, s3) {
        (Some(p), _) if p.starts_with("s3://") => {
            let rest = &p["s3://".len()..];
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ConfigError::new(
                    field,
                    format!("must be s3://bucket/prefix or a key prefix, got {p:?}"),
                ));
            }
            Some((bucket.to_string(), prefix.trim_matches('/').to_string()))
        }
        (Some(p), Some(target)) => Some((target.bucket.clone(), p.trim_matches('/').to_string())),
        (Some(_), None) => {
            return Err(ConfigError::new(
                field,
                "a key prefix needs --s3-bucket (or give s3://bucket/prefix)",
            ))
        }
        (None, Some(target)) => Some((
            target.bucket.clone(),
            format!("stress-action/{}/history", repo.unwrap_or("local")),
        )),
        (None, None) => None,
    };
    if let Some(dir) = &args.history_dir {
        if dir.as_os_str().is_empty() {
            return Err(ConfigError::new("--history-dir", "must not be empty"));
        }
    }
    Ok(HistoryTarget {
        s3,
        dir: args.history_dir.clone(),
    })
}

/// Where to save this run as the next baseline: `(bucket, key)`.
fn save_baseline(args: &PublishArgs) -> Result<Option<(String, String)>, ConfigError> {
    let Some(s) = &args.save_baseline else {
        return Ok(None);
    };
    match parse_s3_url(s) {
        Some(pair) => Ok(Some(pair)),
        None => Err(ConfigError::new(
            "--save-baseline",
            format!("must be s3://bucket/key, got {s:?}"),
        )),
    }
}

/// `stress-action/<repo>/<run id>/<attempt>/<key>`; outside Actions `stress-action/local/<UTC time>/<key>`.
/// The key was validated with the comment settings (letters, digits, `-_.`), so it is a safe path part.
fn default_prefix(run: &RunId, key: &str) -> String {
    let repo = run.repo.unwrap_or("local");
    let run = match run.id {
        Some(id) => format!("{id}/{}", run.attempt.as_deref().unwrap_or("1")),
        None => chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
    };
    format!("stress-action/{repo}/{run}/{key}")
}

/// A URL flag (`--s3-endpoint`, `--github-api-url`, ...) must be http(s); the error names the flag.
pub fn validate_url(field: &str, url: String) -> Result<String, ConfigError> {
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
mod tests;
