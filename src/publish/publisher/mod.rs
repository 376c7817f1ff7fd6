//! `publish DIR` end to end: check report.json against the schema, check the PR's head commit
//! (`--expect-head-sha`), gather what may be published into `DIR/published/` (data files only,
//! capped and scanned for credentials), render summary.md, report.html, the charts and the comment
//! from report.json there, compare with the baseline, read the base branch's trend, upload that
//! directory, post the comment, store the new baseline and add the run to the history.
//!
//! Until the gathering is done nothing leaves the machine, and a bad report.json or a PR whose
//! head is not the expected commit stops publishing there (exit 2). From then on every step is
//! attempted even when an earlier one failed: an unreachable S3 must not also hide the verdict
//! from the PR. A comment posted after a failed upload says so and links nothing that was not
//! uploaded (charts fall back to inline Mermaid). The failures are returned together in
//! [`PublishReport::failures`].

mod baseline;
mod github;
mod links;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::comment::{self, CommentInput};
use super::error::PublishError;
use super::github::{CommentOutcome, RetryPolicy};
use super::history;
use super::redact::{Counts, Redactor};
use super::stage::{self, files, StageNotes, Staged};
use super::upload::{object_key, upload_dir, Manifest, MANIFEST_NAME};
use crate::compare::Comparison;
use crate::config::publish::{BaselineSource, Env, PublishConfig, S3Target};
use crate::report::export::actions::{self, ActionsEnv};
use crate::report::export::ExportManager;
use crate::report::view::RunView;
use crate::s3;

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
    /// Set when `--fail-on-regression` could judge nothing against an existing baseline (the
    /// runs are incomparable, or every latency metric was): the run is then at best inconclusive.
    pub gate_untested: Option<String>,
    /// True when a baseline was asked for and none exists yet (the first run of a branch).
    pub first_run: bool,
    /// Where this run's history entry was written.
    pub history: Vec<String>,
    pub warnings: Vec<String>,
    /// Where readers find report.html once uploaded: the public or presigned link, else `s3://`.
    pub report_url: Option<String>,
    /// Steps that failed; every other step was still attempted.
    pub failures: Vec<PublishError>,
    /// The step outputs (`verdict`, ...) of the run as judged again, when report.json claimed
    /// another verdict: `publish` sets them over the ones it read from report.json.
    pub rejudged_outputs: Vec<(&'static str, String)>,
}

/// How publishing runs beyond the configuration; tests shorten the retries.
#[derive(Default)]
pub struct PublishOptions {
    pub github_retry: RetryPolicy,
    /// Append the re-rendered summary to this GitHub job summary (`publish DIR` in Actions; `run`
    /// has written its own when it finished the directory).
    pub job_summary: Option<PathBuf>,
}

pub async fn publish(
    dir: &Path,
    cfg: &PublishConfig,
    env: &Env,
    opts: &PublishOptions,
) -> Result<PublishReport, PublishError> {
    let redactor = redactor(cfg, env);
    let mut staged = gather(dir, cfg, env, opts, &redactor).await?;
    let needs_s3 = cfg.s3.is_some()
        || cfg.save_baseline.is_some()
        || cfg.history.s3.is_some()
        || matches!(cfg.baseline, Some(BaselineSource::S3 { .. }));
    let client = match needs_s3 {
        true => Some(s3::client(cfg.s3_endpoint.as_deref()).await),
        false => None,
    };
    let mut report = PublishReport::default();
    let mut notices: Vec<String> = staged.notes.rejudged.iter().map(rejudged_notice).collect();
    if staged.notes.rejudged.is_some() {
        report.rejudged_outputs = actions::result_outputs(&staged.result);
    }
    let comparison = baseline_step(dir, &staged, cfg, client.as_ref(), &mut report, &mut notices).await?;
    let trend_md = history::trend_line(cfg, env, &staged.result, client.as_ref())
        .await
        .unwrap_or_else(|e| {
            report.failures.push(e);
            None
        });
    let view = RunView::build(&staged.result, &staged.dir).with_comparison(comparison.as_ref());
    let rendered = render_step(dir, (&staged.dir, &mut staged.notes), &view, &redactor, &mut report);
    if let Some(target) = &opts.job_summary {
        job_summary_step(target, &staged, &mut report);
    }
    let file_urls = links::urls(&staged.dir, cfg, client.as_ref())
        .await
        .unwrap_or_else(|e| {
            report.failures.push(e);
            BTreeMap::new()
        });
    let body_of = Body {
        cfg,
        view: &view,
        comparison_md: report.comparison_md.clone(),
        trend_md,
        chart_files: links::chart_files(&rendered),
        redactor: &redactor,
    };
    let mut counts = Counts::new();
    let mut body = body_of.render(&file_urls, &notices, &mut counts);
    staged.notes.count("comment.md", counts);
    keep_step(dir, &staged.dir, "comment.md", &body, &mut report);
    report.warnings.extend(staged.notes.warnings());

    if let (Some(target), Some(client)) = (&cfg.s3, &client) {
        if !upload_step(dir, &staged, target, client, &file_urls, &mut report).await {
            notices.push(UPLOAD_FAILED.to_string());
            body = body_of.render(&BTreeMap::new(), &notices, &mut Counts::new());
            keep_step(dir, &staged.dir, "comment.md", &body, &mut report);
        }
    }
    if let Some(gh) = &cfg.github {
        github::comment_step(gh, env, opts, &body, &mut report).await;
    }
    if let (Some((bucket, key)), Some(client)) = (&cfg.save_baseline, &client) {
        baseline::save_step(&staged, (bucket, key), client, &mut report).await;
    }
    match history::record(cfg, &staged.result, client.as_ref()).await {
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
    staged: &Staged,
    cfg: &PublishConfig,
    client: Option<&aws_sdk_s3::Client>,
    report: &mut PublishReport,
    notices: &mut Vec<String>,
) -> Result<Option<Comparison>, PublishError> {
    let Some(source) = &cfg.baseline else {
        return Ok(None);
    };
    match baseline::load(source, client).await {
        Ok(Some(base)) => Ok(Some(baseline::compare_step(dir, staged, cfg, &base, report))),
        Ok(None) => {
            report.first_run = true;
            report.warnings.push(format!(
                "no baseline at {}: first run, nothing to compare",
                baseline::describe(source)
            ));
            notices.push(FIRST_RUN.to_string());
            Ok(None)
        }
        // A baseline file that is not a report is the user's flag to fix.
        Err(e) if matches!(source, BaselineSource::Path(_)) => Err(e),
        Err(e) => {
            report.failures.push(e);
            notices.push(BASELINE_FAILED.to_string());
            Ok(None)
        }
    }
}

/// Everything before the first byte leaves the machine: report.json read and checked against
/// the schema, the PR's head commit checked, and `DIR/published/` gathered. Any failure here stops
/// publishing with nothing sent.
async fn gather(
    dir: &Path,
    cfg: &PublishConfig,
    env: &Env,
    opts: &PublishOptions,
    redactor: &Redactor,
) -> Result<Staged, PublishError> {
    if !dir.is_dir() {
        return Err(PublishError::Input(format!(
            "{} is not a run directory (no report.json)",
            dir.display()
        )));
    }
    let report_json = stage::read_report(dir, redactor)?;
    if let Some(sha) = &cfg.expect_head_sha {
        github::verify_head(cfg, env, opts, sha).await?;
    }
    stage::stage(dir, &report_json, redactor)
}

/// Shown at the top of the comment when report.json's verdict is not what its numbers give.
fn rejudged_notice(r: &stage::Rejudged) -> String {
    format!(
        "⚠️ **report.json says the verdict is {}, but its own numbers give {}**: this comment shows {}, \
         judged again from those numbers.",
        r.claimed, r.judged, r.judged
    )
}

/// What the comment is made of, but the links and notices, which change when the upload fails.
struct Body<'a> {
    cfg: &'a PublishConfig,
    view: &'a RunView<'a>,
    comparison_md: Option<String>,
    trend_md: Option<String>,
    chart_files: Vec<String>,
    redactor: &'a Redactor,
}

impl Body<'_> {
    /// The comment, scanned for credentials like every published file.
    fn render(&self, urls: &BTreeMap<String, String>, notices: &[String], counts: &mut Counts) -> String {
        let body = comment::render(&CommentInput {
            key: self.cfg.github.as_ref().map(|g| g.key.as_str()).unwrap_or("default"),
            view: self.view,
            comparison_md: self.comparison_md.clone(),
            trend_md: self.trend_md.clone(),
            file_urls: urls,
            chart_files: self.chart_files.clone(),
            run_url: self.cfg.run_url.as_deref(),
            notices,
        });
        self.redactor.text(&body, counts)
    }
}

/// The values of the token variables in use, to be redacted with the credential shapes.
fn redactor(cfg: &PublishConfig, env: &Env) -> Redactor {
    Redactor::new(
        cfg.secret_variables
            .iter()
            .filter_map(|name| env.get(name).map(|value| (name.clone(), value.clone()))),
    )
}

/// Renders summary.md, report.html and the charts into the published directory and scans them;
/// returns the names written. A failure is recorded: the comment then uses the compact summary.
fn render_step(
    dir: &Path,
    (published, notes): (&Path, &mut StageNotes),
    view: &RunView<'_>,
    redactor: &Redactor,
    report: &mut PublishReport,
) -> Vec<String> {
    let rendered = ExportManager::default()
        .export_view(view, published)
        .unwrap_or_else(|e| {
            report.failures.push(PublishError::Render(e.to_string()));
            Vec::new()
        });
    if let Err(e) = stage::redact_rendered(published, &rendered, redactor, notes) {
        report.failures.push(e);
    }
    if let Err(e) = stage::note_left_out(dir, &rendered, notes) {
        report.failures.push(e);
    }
    rendered
}

/// The job summary of `publish DIR`: the summary just rendered, never the run directory's own.
fn job_summary_step(target: &Path, staged: &Staged, report: &mut PublishReport) {
    let env = ActionsEnv {
        step_summary: Some(target.to_path_buf()),
        output: None,
        annotations: false,
    };
    let warnings = std::cell::RefCell::new(Vec::new());
    actions::write(&env, &staged.result, &staged.dir, &mut std::io::sink(), &|m| {
        warnings.borrow_mut().push(m.to_string())
    });
    report.warnings.extend(warnings.into_inner());
}

/// Uploads the published directory; true when every file and the manifest are in the bucket.
async fn upload_step(
    dir: &Path,
    staged: &Staged,
    target: &S3Target,
    client: &aws_sdk_s3::Client,
    file_urls: &BTreeMap<String, String>,
    report: &mut PublishReport,
) -> bool {
    let manifest = match upload_dir(client, &staged.dir, (&target.bucket, &target.prefix), &staged.notes).await {
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
    if let Ok(text) = std::fs::read(staged.dir.join(MANIFEST_NAME)) {
        if let Err(e) = files::write_replacing(&dir.join(MANIFEST_NAME), &text) {
            report.failures.push(e);
        }
    }
    report.manifest = Some(manifest);
    if staged.dir.join("report.html").is_file() {
        report.report_url = Some(
            file_urls
                .get("report.html")
                .cloned()
                .unwrap_or_else(|| format!("s3://{}/{}", target.bucket, object_key(&target.prefix, "report.html"))),
        );
    }
    true
}

/// Writes a file publishing produced (comment.md, comparison.md) into the published directory and
/// the run directory; a failure is recorded and publishing goes on.
fn keep_step(dir: &Path, published: &Path, name: &str, text: &str, report: &mut PublishReport) {
    for target in [published.join(name), dir.join(name)] {
        if let Err(e) = files::write_replacing(&target, text.as_bytes()) {
            report.failures.push(e);
        }
    }
}
