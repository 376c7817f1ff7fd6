//! Command-line surface of publishing and comparison: clap derive structs only, turned into the
//! library's clap-free `PublishArgs`.

use std::path::PathBuf;

use clap::Args;
use stress_action::publish::config::PublishArgs;

/// Flags shared by `publish DIR` and `run --publish`.
#[derive(Args, Debug, Default)]
pub struct PublishFlags {
    /// Upload the run directory to this S3 bucket.
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Key prefix (default stress-action/<GITHUB_REPOSITORY>/<GITHUB_RUN_ID>, or local/<timestamp>).
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
    /// Fail (exit 1) when a p95 got worse than the baseline by more than PCT percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_on_regression: Option<f64>,
    /// Store this run's report.json as the new baseline at s3://bucket/key.
    #[arg(long, value_name = "S3_URL")]
    pub save_baseline: Option<String>,
}

impl PublishFlags {
    pub fn into_args(self) -> PublishArgs {
        PublishArgs {
            s3_bucket: self.s3_bucket,
            s3_prefix: self.s3_prefix,
            s3_endpoint: self.s3_endpoint,
            public_base_url: self.public_base_url,
            presign_days: self.presign_days,
            github_token_env: self.github_token_env,
            repo: self.repo,
            pr: self.pr,
            github_api_url: self.github_api_url,
            comment_key: self.comment_key,
            comment_author: self.comment_author,
            baseline: self.baseline,
            fail_on_regression: self.fail_on_regression,
            save_baseline: self.save_baseline,
        }
    }
}

#[derive(Args, Debug)]
pub struct PublishCmd {
    /// The run directory (holds report.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub flags: PublishFlags,
}

#[derive(Args, Debug)]
pub struct CompareCmd {
    /// Baseline: a run directory or a report.json.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// This run: a run directory or a report.json.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,
    /// Fail (exit 1) when a p95 got worse by more than PCT percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_on_regression: Option<f64>,
}
