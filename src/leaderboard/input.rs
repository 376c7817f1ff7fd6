//! Finding the runs: a run directory, a directory of run directories (one level, as
//! download-artifact leaves them), or `s3://bucket/prefix` with run directories under it, of which
//! only report.json is fetched.

use std::path::Path;

use super::{LeaderboardError, Run};
use crate::config::publish::parse_s3_url;
use crate::report::RunResult;
use crate::s3;

pub async fn read(input: &str, endpoint: Option<&str>) -> Result<Vec<Run>, LeaderboardError> {
    if input.starts_with("s3://") {
        from_s3(input, endpoint).await
    } else {
        local(Path::new(input))
    }
}

fn local(dir: &Path) -> Result<Vec<Run>, LeaderboardError> {
    crate::report::run_dirs(dir)
        .map_err(LeaderboardError::Input)?
        .into_iter()
        .map(|d| {
            let result =
                RunResult::read_dir(&d).map_err(|e| LeaderboardError::Input(format!("{}: {e}", d.display())))?;
            Ok(Run {
                source: d.display().to_string(),
                result,
            })
        })
        .collect()
}

async fn from_s3(url: &str, endpoint: Option<&str>) -> Result<Vec<Run>, LeaderboardError> {
    let (bucket, prefix) = parse_s3_url(url)
        .or_else(|| {
            let bucket = url.strip_prefix("s3://")?.trim_end_matches('/');
            (!bucket.is_empty() && !bucket.contains('/')).then(|| (bucket.to_string(), String::new()))
        })
        .ok_or_else(|| LeaderboardError::Input(format!("{url:?} is not an s3://bucket/prefix URL")))?;
    let prefix = prefix.trim_end_matches('/');
    let list_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let client = s3::client(endpoint).await;
    let keys: Vec<String> = s3::list_keys(&client, &bucket, &list_prefix)
        .await
        .map_err(|e| LeaderboardError::S3(e.to_string()))?
        .into_iter()
        .filter(|k| k == "report.json" || k.ends_with("/report.json"))
        .collect();
    if keys.is_empty() {
        return Err(LeaderboardError::Input(format!(
            "{url}: no run directory (no report.json) under this prefix"
        )));
    }
    let mut runs = Vec::new();
    for key in keys {
        let bytes = s3::get_bytes(&client, &bucket, &key)
            .await
            .map_err(|e| LeaderboardError::S3(e.to_string()))?;
        let source = format!("s3://{bucket}/{}", key.trim_end_matches("report.json"));
        let result: RunResult = serde_json::from_slice(&bytes)
            .map_err(|e| LeaderboardError::Input(format!("{source}: report.json does not parse: {e}")))?;
        runs.push(Run { source, result });
    }
    Ok(runs)
}
