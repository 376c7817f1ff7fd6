//! The baseline: read it (a path or S3), compare the published run with it, and store the
//! published report.json as the next one when the run passed.

use std::path::Path;

use super::{keep_step, PublishReport};
use crate::compare::{compare, Comparison};
use crate::config::publish::{BaselineSource, PublishConfig};
use crate::publish::error::PublishError;
use crate::publish::stage::Staged;
use crate::report::{RunResult, Verdict, REPORT_FILE};
use crate::s3;

/// Compares the published run with the baseline, keeps comparison.md, and records what fails
/// `--fail-on-regression` and what could not be judged.
pub(super) fn compare_step(
    dir: &Path,
    staged: &Staged,
    cfg: &PublishConfig,
    base: &RunResult,
    report: &mut PublishReport,
) -> Comparison {
    report.warnings.extend(cfg.compare.warnings.iter().cloned());
    let cmp = compare(base, &staged.result, cfg.compare.settings);
    let md = cmp.to_markdown();
    keep_step(dir, &staged.dir, "comparison.md", &md, report);
    if cfg.compare.fail_on_regression {
        report.regressions = cmp.gate_failures();
        report.gate_untested = cmp.gate_untested();
    }
    report
        .warnings
        .extend(cmp.not_judged().into_iter().map(|n| format!("not judged: {n}")));
    report.comparison_md = Some(md);
    cmp
}

pub(super) fn describe(source: &BaselineSource) -> String {
    match source {
        BaselineSource::Path(p) => p.display().to_string(),
        BaselineSource::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
    }
}

/// Stores the published report.json (credentials redacted) as the next baseline, but only for a
/// passing, complete run that did not regress: anything else would make a broken run the standard
/// the next runs are held to.
pub(super) async fn save_step(
    staged: &Staged,
    (bucket, key): (&str, &str),
    client: &aws_sdk_s3::Client,
    report: &mut PublishReport,
) {
    let result = &staged.result;
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
    let saved = match std::fs::read(staged.dir.join(REPORT_FILE)) {
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
pub(super) async fn load(
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
