//! `publish DIR` end to end: compare with the baseline, work out the links readers will use,
//! render the comment (kept as `DIR/comment.md`), upload the directory, post the comment, and store
//! the new baseline. Each step reads only the run directory.

use std::collections::BTreeMap;
use std::path::Path;

use super::comment::{self, CommentInput};
use super::compare::{compare, load_report};
use super::config::{BaselineSource, Env, LinkMode, PublishConfig};
use super::error::PublishError;
use super::github::{CommentOutcome, GitHubClient};
use super::github_retry::RetryPolicy;
use super::s3;
use super::s3_upload::{list_files, object_key, upload_dir, Manifest};
use super::sticky::StickyComment;
use crate::report::RunResult;

/// Files linked from the comment besides the charts.
const LINKED_FILES: [&str; 3] = ["report.html", "report.json", "summary.md"];

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
    if !dir.join("report.json").is_file() {
        return Err(PublishError::Input(format!(
            "{} is not a run directory (no report.json)",
            dir.display()
        )));
    }
    let result = load_report(dir)?;
    let needs_s3 =
        cfg.s3.is_some() || cfg.save_baseline.is_some() || matches!(cfg.baseline, Some(BaselineSource::S3 { .. }));
    let client = match needs_s3 {
        true => Some(s3::client(cfg.s3_endpoint.as_deref()).await),
        false => None,
    };
    let mut report = PublishReport::default();

    if let Some(source) = &cfg.baseline {
        let base = load_baseline(source, client.as_ref()).await?;
        let cmp = compare(&base, &result);
        let md = cmp.to_markdown();
        write(dir, "comparison.md", &md)?;
        if let Some(pct) = cfg.fail_on_regression {
            report.regressions = cmp.regressions(pct);
        }
        report.comparison_md = Some(md);
    }

    let file_urls = links(dir, cfg, client.as_ref()).await?;
    let body = comment::render(&CommentInput {
        key: cfg.github.as_ref().map(|g| g.key.as_str()).unwrap_or("default"),
        result: &result,
        summary_md: comment::read_summary(dir),
        comparison_md: report.comparison_md.clone(),
        file_urls: &file_urls,
        chart_files: chart_files(dir)?,
        run_url: cfg.run_url.as_deref(),
    });
    write(dir, "comment.md", &body)?;

    if let (Some(target), Some(client)) = (&cfg.s3, &client) {
        let manifest = upload_dir(client, dir, &target.bucket, &target.prefix).await?;
        println!(
            "uploaded {} files and s3-manifest.json to s3://{}/{}",
            manifest.objects.len(),
            target.bucket,
            target.prefix
        );
        report.manifest = Some(manifest);
        if dir.join("report.html").is_file() {
            report.report_url =
                Some(file_urls.get("report.html").cloned().unwrap_or_else(|| {
                    format!("s3://{}/{}", target.bucket, object_key(&target.prefix, "report.html"))
                }));
        }
    }

    if let Some(gh) = &cfg.github {
        let token = env.get(&gh.token_env).filter(|t| !t.is_empty()).cloned();
        if token.is_none() {
            report
                .warnings
                .push(format!("{} is not set: calling GitHub without a token", gh.token_env));
        }
        let client = GitHubClient::new(&gh.api_url, token, opts.github_retry)?;
        let sticky = StickyComment::new(&gh.key, gh.author.as_deref());
        let outcome = client.upsert_comment(&gh.repo, gh.pr, &sticky, &body).await?;
        match &outcome {
            CommentOutcome::Created(id) => println!("created PR comment {id} on {}#{}", gh.repo, gh.pr),
            CommentOutcome::Updated(id) => println!("updated PR comment {id} on {}#{}", gh.repo, gh.pr),
            CommentOutcome::Skipped(why) => report.warnings.push(format!("PR comment not posted: {why}")),
        }
        report.comment = Some(outcome);
    }

    if let (Some((bucket, key)), Some(client)) = (&cfg.save_baseline, &client) {
        let data =
            std::fs::read(dir.join("report.json")).map_err(|e| PublishError::io("cannot read report.json", e))?;
        s3::put_bytes(client, bucket, key, data, "application/json").await?;
        println!("saved the baseline to s3://{bucket}/{key}");
    }
    Ok(report)
}

async fn load_baseline(
    source: &BaselineSource,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<RunResult, PublishError> {
    match (source, client) {
        (BaselineSource::Path(p), _) => load_report(p),
        (BaselineSource::S3 { bucket, key }, Some(client)) => {
            let data = s3::get_bytes(client, bucket, key).await?;
            serde_json::from_slice(&data).map_err(|e| {
                PublishError::Input(format!("baseline s3://{bucket}/{key} is not a valid report.json: {e}"))
            })
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

fn write(dir: &Path, name: &str, text: &str) -> Result<(), PublishError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| PublishError::io(format!("cannot write {}", path.display()), e))
}
