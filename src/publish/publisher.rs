//! `publish DIR` end to end: compare with the baseline, work out the links readers will use,
//! render the comment (kept as `DIR/comment.md`), upload the directory, post the comment, and store
//! the new baseline. Each step reads only the run directory.
//!
//! Every step is attempted even when an earlier one failed: an unreachable S3 must not also hide
//! the verdict from the PR. A comment posted after a failed upload says so and links nothing that
//! was not uploaded (charts fall back to inline Mermaid). The failures are returned together in
//! [`PublishReport::failures`]; only bad input stops publishing before the first step.

use std::collections::BTreeMap;
use std::path::Path;

use super::comment::{self, CommentInput};
use super::compare::compare;
use super::error::PublishError;
use super::github::{CommentOutcome, GitHubClient, RetryPolicy};
use super::sticky::StickyComment;
use super::upload::{list_files, object_key, upload_dir, Manifest};
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

/// Shown when the baseline could not be read from S3.
const BASELINE_FAILED: &str = "⚠️ **The baseline could not be read**, so there is no comparison \
    with it (see the workflow log).";

#[derive(Debug, Default)]
pub struct PublishReport {
    pub manifest: Option<Manifest>,
    pub comment: Option<CommentOutcome>,
    pub comparison_md: Option<String>,
    /// Reasons for failing `--fail-on-regression`; empty when within the threshold.
    pub regressions: Vec<String>,
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
    if let Some(source) = &cfg.baseline {
        match load_baseline(source, client.as_ref()).await {
            Ok(base) => compare_step(dir, cfg, &base, &result, &mut report),
            // A baseline file that is not there or not a report is the user's flag to fix.
            Err(e) if matches!(source, BaselineSource::Path(_)) => return Err(e),
            Err(e) => {
                report.failures.push(e);
                notices.push(BASELINE_FAILED.to_string());
            }
        }
    }

    let file_urls = links(dir, cfg, client.as_ref()).await.unwrap_or_else(|e| {
        report.failures.push(e);
        BTreeMap::new()
    });
    let comparison_md = report.comparison_md.clone();
    let view = RunView::build(&result, dir);
    let render = |urls: &BTreeMap<String, String>, notices: &[String]| {
        render_body(dir, cfg, &view, comparison_md.clone(), urls, notices)
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
    Ok(report)
}

fn compare_step(dir: &Path, cfg: &PublishConfig, base: &RunResult, result: &RunResult, report: &mut PublishReport) {
    let cmp = compare(base, result);
    let md = cmp.to_markdown();
    write_step(dir, "comparison.md", &md, report);
    if let Some(pct) = cfg.fail_on_regression {
        report.regressions = cmp.regressions(pct);
    }
    report.comparison_md = Some(md);
}

fn render_body(
    dir: &Path,
    cfg: &PublishConfig,
    view: &RunView<'_>,
    comparison_md: Option<String>,
    file_urls: &BTreeMap<String, String>,
    notices: &[String],
) -> String {
    comment::render(&CommentInput {
        key: cfg.github.as_ref().map(|g| g.key.as_str()).unwrap_or("default"),
        view,
        summary_md: comment::read_summary(dir),
        comparison_md,
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

async fn load_baseline(
    source: &BaselineSource,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<RunResult, PublishError> {
    match (source, client) {
        (BaselineSource::Path(p), _) => {
            RunResult::read_dir(p).map_err(|e| PublishError::Input(format!("invalid --baseline: {e}")))
        }
        (BaselineSource::S3 { bucket, key }, Some(client)) => {
            let data = s3::get_bytes(client, bucket, key).await?;
            RunResult::from_json(&data, &format!("baseline s3://{bucket}/{key}"))
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
