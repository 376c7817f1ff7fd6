//! `publish DIR` end to end: compare with the baseline, read the base branch's trend, work out the
//! links readers will use, render the comment (kept as `DIR/comment.md`), upload the directory,
//! post the comment, store the new baseline and add the run to the history. Each step reads only
//! the run directory.
//!
//! Every step is attempted even when an earlier one failed: an unreachable S3 must not also hide
//! the verdict from the PR. A comment posted after a failed upload says so and links nothing that
//! was not uploaded (charts fall back to inline Mermaid). The failures are returned together in
//! [`PublishReport::failures`]; only bad input stops publishing before the first step.

use std::collections::BTreeMap;
use std::path::Path;

use super::comment::{self, CommentInput};
use super::error::PublishError;
use super::github::{CommentOutcome, GitHubClient, RetryPolicy};
use super::history;
use super::sticky::StickyComment;
use super::upload::{list_files, object_key, upload_dir, Manifest};
use crate::compare::{compare, Comparison};
use crate::config::publish::{BaselineSource, Env, GitHubTarget, LinkMode, PublishConfig, S3Target};
use crate::report::view::RunView;
use crate::report::{RunResult, Verdict};
use crate::s3;

/// Files linked from the comment besides the charts.
const LINKED_FILES: [&str; 3] = ["report.html", "report.json", "summary.md"];

/// Shown at the top of a comment posted after the upload failed.
const UPLOAD_FAILED: &str = "⚠️ **The upload to S3 failed**, so this comment links no uploaded files \
    (charts are drawn inline). The results are in the run directory of the workflow run; \
    `stress-action publish` can retry.";

/// Shown when there is no baseline yet: not an error, the next passing run of the branch saves one.
const FIRST_RUN: &str = "ℹ️ First run on this branch: nothing to compare (no baseline saved yet).";

/// Shown when the baseline could not be read from S3.
const BASELINE_FAILED: &str = "⚠️ **The baseline could not be read**, so there is no comparison \
    with it (see the workflow log).";

#[derive(Debug, Default)]
pub struct PublishReport {
    pub manifest: Option<Manifest>,
    pub comment: Option<CommentOutcome>,
    pub comparison_md: Option<String>,
    /// Reasons for failing `--fail-on-regression`: significant regressions and metrics with no
    /// data; empty when none (or the gate is off).
    pub regressions: Vec<String>,
    /// True when a baseline was asked for and none exists yet (the first run of a branch).
    pub first_run: bool,
    /// Where this run's history entry was written.
    pub history: Vec<String>,
    pub warnings: Vec<String>,
    /// Where readers find report.html once uploaded: the public or presigned link, else `s3://`.
    pub report_url: Option<String>,
    /// Steps that failed; every other step was still attempted.
    pub failures: Vec<PublishError>,
}

/// Retry timing of GitHub calls; tests shorten it.
#[derive(Default)]
pub struct PublishOptions {
    pub github_retry: RetryPolicy,
}

pub async fn publish(
    dir: &Path,
    cfg: &PublishConfig,
    env: &Env,
    opts: &PublishOptions,
) -> Result<PublishReport, PublishError> {
    if !dir.is_dir() {
        return Err(PublishError::Input(format!(
            "{} is not a run directory (no report.json)",
            dir.display()
        )));
    }
    let result = RunResult::read_dir(dir).map_err(|e| PublishError::Input(e.to_string()))?;
    let needs_s3 =
        cfg.s3.is_some() || cfg.save_baseline.is_some() || matches!(cfg.baseline, Some(BaselineSource::S3 { .. }));
    let client = match needs_s3 {
        true => Some(s3::client(cfg.s3_endpoint.as_deref()).await),
        false => None,
    };
    let mut report = PublishReport::default();
    let mut notices = Vec::new();
    let comparison = baseline_step(dir, cfg, &result, client.as_ref(), &mut report, &mut notices).await?;
    let trend_md = history::trend_line(cfg, env, &result, client.as_ref())
        .await
        .unwrap_or_else(|e| {
            report.failures.push(e);
            None
        });

    let file_urls = links(dir, cfg, client.as_ref()).await.unwrap_or_else(|e| {
        report.failures.push(e);
        BTreeMap::new()
    });
    let comparison_md = report.comparison_md.clone();
    let view = RunView::build(&result, dir).with_comparison(comparison.as_ref());
    let render = |urls: &BTreeMap<String, String>, notices: &[String]| {
        let body = Body {
            comparison_md: comparison_md.clone(),
            trend_md: trend_md.clone(),
        };
        render_body(dir, cfg, &view, body, urls, notices)
    };
    let mut body = render(&file_urls, &notices);
    write_step(dir, "comment.md", &body, &mut report);

    if let (Some(target), Some(client)) = (&cfg.s3, &client) {
        if !upload_step(dir, target, client, &file_urls, &mut report).await {
            notices.push(UPLOAD_FAILED.to_string());
            body = render(&BTreeMap::new(), &notices);
            write_step(dir, "comment.md", &body, &mut report);
        }
    }
    if let Some(gh) = &cfg.github {
        comment_step(gh, env, opts, &body, &mut report).await;
    }
    if let (Some((bucket, key)), Some(client)) = (&cfg.save_baseline, &client) {
        save_baseline_step(dir, &result, (bucket, key), client, &mut report).await;
    }
    match history::record(cfg, &result, client.as_ref()).await {
        Ok(written) => report.history = written,
        Err(e) => report.failures.push(e),
    }
    Ok(report)
}

/// Compares with the baseline when one is configured: `None` when there is none, or none yet (the
/// first run of a branch: a notice, not an error), or it could not be read from S3 (a failure
/// that lets the other steps go on). A local baseline that is not a report is bad input.
async fn baseline_step(
    dir: &Path,
    cfg: &PublishConfig,
    result: &RunResult,
    client: Option<&aws_sdk_s3::Client>,
    report: &mut PublishReport,
    notices: &mut Vec<String>,
) -> Result<Option<Comparison>, PublishError> {
    let Some(source) = &cfg.baseline else {
        return Ok(None);
    };
    match load_baseline(source, client).await {
        Ok(Some(base)) => {
            for w in &cfg.compare.warnings {
                report.warnings.push(w.clone());
            }
            let cmp = compare(&base, result, cfg.compare.settings);
            let md = cmp.to_markdown();
            write_step(dir, "comparison.md", &md, report);
            if cfg.compare.fail_on_regression {
                report.regressions = cmp.gate_failures();
            }
            report
                .warnings
                .extend(cmp.not_judged().into_iter().map(|n| format!("not judged: {n}")));
            report.comparison_md = Some(md);
            Ok(Some(cmp))
        }
        Ok(None) => {
            report.first_run = true;
            report.warnings.push(format!(
                "no baseline at {}: first run, nothing to compare",
                describe(source)
            ));
            notices.push(FIRST_RUN.to_string());
            Ok(None)
        }
        Err(e) if matches!(source, BaselineSource::Path(_)) => Err(e),
        Err(e) => {
            report.failures.push(e);
            notices.push(BASELINE_FAILED.to_string());
            Ok(None)
        }
    }
}

fn describe(source: &BaselineSource) -> String {
    match source {
        BaselineSource::Path(p) => p.display().to_string(),
        BaselineSource::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
    }
}

/// What the comment shows besides the run's own view.
struct Body {
    comparison_md: Option<String>,
    trend_md: Option<String>,
}

fn render_body(
    dir: &Path,
    cfg: &PublishConfig,
    view: &RunView<'_>,
    body: Body,
    file_urls: &BTreeMap<String, String>,
    notices: &[String],
) -> String {
    comment::render(&CommentInput {
        key: cfg.github.as_ref().map(|g| g.key.as_str()).unwrap_or("default"),
        view,
        comparison_md: body.comparison_md,
        trend_md: body.trend_md,
        file_urls,
        chart_files: chart_files(dir).unwrap_or_default(),
        run_url: cfg.run_url.as_deref(),
        notices,
    })
}

/// Uploads the directory; true when every file and the manifest are in the bucket.
async fn upload_step(
    dir: &Path,
    target: &S3Target,
    client: &aws_sdk_s3::Client,
    file_urls: &BTreeMap<String, String>,
    report: &mut PublishReport,
) -> bool {
    let manifest = match upload_dir(client, dir, &target.bucket, &target.prefix).await {
        Ok(manifest) => manifest,
        Err(e) => {
            report.failures.push(e);
            return false;
        }
    };
    println!(
        "uploaded {} files and s3-manifest.json to s3://{}/{}",
        manifest.objects.len(),
        target.bucket,
        target.prefix
    );
    report.manifest = Some(manifest);
    if dir.join("report.html").is_file() {
        report.report_url = Some(
            file_urls
                .get("report.html")
                .cloned()
                .unwrap_or_else(|| format!("s3://{}/{}", target.bucket, object_key(&target.prefix, "report.html"))),
        );
    }
    true
}

async fn comment_step(gh: &GitHubTarget, env: &Env, opts: &PublishOptions, body: &str, report: &mut PublishReport) {
    let token = env.get(&gh.token_env).filter(|t| !t.is_empty()).cloned();
    if token.is_none() {
        report
            .warnings
            .push(format!("{} is not set: calling GitHub without a token", gh.token_env));
    }
    let sticky = StickyComment::new(&gh.key, gh.author.as_deref());
    let outcome = match GitHubClient::new(&gh.api_url, token, opts.github_retry) {
        Ok(client) => client.upsert_comment(&gh.repo, gh.pr, &sticky, body).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) => {
            match &outcome {
                CommentOutcome::Created(id) => println!("created PR comment {id} on {}#{}", gh.repo, gh.pr),
                CommentOutcome::Updated(id) => println!("updated PR comment {id} on {}#{}", gh.repo, gh.pr),
                CommentOutcome::Skipped(why) => report.warnings.push(format!("PR comment not posted: {why}")),
            }
            report.comment = Some(outcome);
        }
        Err(e) => report.failures.push(e),
    }
}

/// Stores report.json as the next baseline, but only for a passing, complete run that did not
/// regress: anything else would make a broken run the standard the next runs are held to.
async fn save_baseline_step(
    dir: &Path,
    result: &RunResult,
    (bucket, key): (&str, &str),
    client: &aws_sdk_s3::Client,
    report: &mut PublishReport,
) {
    let skip = if result.interrupted {
        Some("the run was interrupted".to_string())
    } else if result.verdict != Verdict::Pass {
        Some(format!("the verdict is {}", result.verdict.as_str()))
    } else if !report.regressions.is_empty() {
        Some("the run regressed against the baseline (--fail-on-regression)".to_string())
    } else {
        None
    };
    if let Some(why) = skip {
        report.warnings.push(format!(
            "not saving the baseline to s3://{bucket}/{key}: {why}; only a passing run becomes the baseline"
        ));
        return;
    }
    let saved = match std::fs::read(dir.join("report.json")) {
        Ok(data) => s3::put_bytes(client, bucket, key, data, "application/json")
            .await
            .map_err(PublishError::from),
        Err(e) => Err(PublishError::io("cannot read report.json", e)),
    };
    match saved {
        Ok(()) => println!("saved the baseline to s3://{bucket}/{key}"),
        Err(e) => report.failures.push(e),
    }
}

/// The baseline report; `None` when it does not exist (yet).
async fn load_baseline(
    source: &BaselineSource,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<Option<RunResult>, PublishError> {
    match (source, client) {
        (BaselineSource::Path(p), _) => match RunResult::read_dir(p) {
            Ok(base) => Ok(Some(base)),
            Err(crate::report::ReadError::Missing { .. }) => Ok(None),
            Err(e) => Err(PublishError::Input(format!("invalid --baseline: {e}"))),
        },
        (BaselineSource::S3 { bucket, key }, Some(client)) => {
            let Some(data) = s3::get_bytes_if_exists(client, bucket, key).await? else {
                return Ok(None);
            };
            RunResult::from_json(&data, &format!("baseline s3://{bucket}/{key}"))
                .map(Some)
                .map_err(|e| PublishError::Input(e.to_string()))
        }
        (BaselineSource::S3 { .. }, None) => Err(PublishError::S3("no S3 client for the baseline".into())),
    }
}

/// URLs by file name for what the comment links: charts and the full report.
async fn links(
    dir: &Path,
    cfg: &PublishConfig,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<BTreeMap<String, String>, PublishError> {
    let mut urls = BTreeMap::new();
    let (Some(target), Some(client)) = (&cfg.s3, client) else {
        return Ok(urls);
    };
    let files = list_files(dir)?;
    let charts = chart_files(dir)?;
    let wanted = files
        .iter()
        .filter(|f| charts.contains(f) || LINKED_FILES.contains(&f.as_str()));
    for name in wanted {
        let key = object_key(&target.prefix, name);
        let url = match &cfg.links {
            LinkMode::None => continue,
            LinkMode::Public(base) => format!("{base}/{key}"),
            LinkMode::PresignDays(days) => s3::presign_get(client, &target.bucket, &key, *days).await?,
        };
        urls.insert(name.clone(), url);
    }
    Ok(urls)
}

fn chart_files(dir: &Path) -> Result<Vec<String>, PublishError> {
    Ok(list_files(dir)?
        .into_iter()
        .filter(|f| f.ends_with(".svg") && !f.contains('/'))
        .collect())
}

/// Writes a file of the run directory; a failure is recorded and publishing goes on.
fn write_step(dir: &Path, name: &str, text: &str, report: &mut PublishReport) {
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        report
            .failures
            .push(PublishError::io(format!("cannot write {}", path.display()), e));
    }
}
