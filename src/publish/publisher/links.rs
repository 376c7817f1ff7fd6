//! The URLs the comment links: the charts publishing rendered and the full report, as they will be
//! once uploaded (public base URL or presigned).

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::publish::{LinkMode, PublishConfig};
use crate::publish::error::PublishError;
use crate::publish::upload::{list_files, object_key};
use crate::s3;

/// Files linked from the comment besides the charts.
const LINKED_FILES: [&str; 3] = ["report.html", "report.json", "summary.md"];

/// URLs by file name for what the comment links, among the files of the published directory.
pub(super) async fn urls(
    published: &Path,
    cfg: &PublishConfig,
    client: Option<&aws_sdk_s3::Client>,
) -> Result<BTreeMap<String, String>, PublishError> {
    let mut urls = BTreeMap::new();
    let (Some(target), Some(client)) = (&cfg.s3, client) else {
        return Ok(urls);
    };
    let files = list_files(published)?;
    let wanted = files
        .iter()
        .filter(|f| (f.ends_with(".svg") && !f.contains('/')) || LINKED_FILES.contains(&f.as_str()));
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

/// The charts among the files publishing rendered.
pub(super) fn chart_files(rendered: &[String]) -> Vec<String> {
    rendered
        .iter()
        .filter(|f| f.ends_with(".svg") && !f.contains('/'))
        .cloned()
        .collect()
}
