//! Where history entries live: a local directory or an S3 prefix, each holding one folder per
//! branch (`<root>/<branch>/<entry>.json`). Entry names sort by start time, so the last N are the
//! last N names.

use std::path::PathBuf;

use super::entry::{branch_dir, HistoryEntry};
use crate::s3;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}")]
    S3(#[from] s3::S3Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is not a history entry: {1}")]
    Invalid(String, String),
}

pub enum HistoryStore {
    Dir(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

impl HistoryStore {
    /// `DIR`, or `s3://bucket/prefix` read through `client`.
    pub fn describe(&self) -> String {
        match self {
            HistoryStore::Dir(d) => d.display().to_string(),
            HistoryStore::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Writes `entry` under its branch; returns where it went.
    pub async fn write(&self, entry: &HistoryEntry) -> Result<String, HistoryError> {
        let text =
            serde_json::to_vec_pretty(entry).map_err(|e| HistoryError::Invalid("entry".into(), e.to_string()))?;
        let (branch, name) = (entry.branch(), entry.file_name());
        match self {
            HistoryStore::Dir(root) => {
                let dir = root.join(&branch);
                let io = |source| HistoryError::Io {
                    context: format!("cannot write the history entry in {}", dir.display()),
                    source,
                };
                std::fs::create_dir_all(&dir).map_err(io)?;
                let path = dir.join(&name);
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, text).map_err(io)?;
                std::fs::rename(&tmp, &path).map_err(io)?;
                Ok(path.display().to_string())
            }
            HistoryStore::S3 { client, bucket, prefix } => {
                let key = key_of(prefix, &branch, Some(&name));
                s3::put_bytes(client, bucket, &key, text, "application/json").await?;
                Ok(format!("s3://{bucket}/{key}"))
            }
        }
    }

    /// The last `n` entries of `branch`, oldest first. Files that are not entries are errors: a
    /// history that silently skips runs would draw a wrong trend.
    pub async fn last(&self, branch: &str, n: usize) -> Result<Vec<HistoryEntry>, HistoryError> {
        let branch = branch_dir(branch);
        let mut out = Vec::new();
        match self {
            HistoryStore::Dir(root) => {
                let dir = root.join(&branch);
                let mut names: Vec<String> = match std::fs::read_dir(&dir) {
                    Ok(rd) => rd
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
                        .collect(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(source) => {
                        return Err(HistoryError::Io {
                            context: format!("cannot list {}", dir.display()),
                            source,
                        })
                    }
                };
                names.sort();
                for name in tail(&names, n) {
                    let path = dir.join(name);
                    let data = std::fs::read(&path).map_err(|source| HistoryError::Io {
                        context: format!("cannot read {}", path.display()),
                        source,
                    })?;
                    out.push(parse(&data, &path.display().to_string())?);
                }
            }
            HistoryStore::S3 { client, bucket, prefix } => {
                let keys: Vec<String> = s3::list_keys(client, bucket, &key_of(prefix, &branch, None))
                    .await?
                    .into_iter()
                    .filter(|k| k.ends_with(".json"))
                    .collect();
                for key in tail(&keys, n) {
                    let data = s3::get_bytes(client, bucket, key).await?;
                    out.push(parse(&data, &format!("s3://{bucket}/{key}"))?);
                }
            }
        }
        Ok(out)
    }
}

fn tail<T>(items: &[T], n: usize) -> &[T] {
    &items[items.len().saturating_sub(n)..]
}

fn parse(data: &[u8], name: &str) -> Result<HistoryEntry, HistoryError> {
    serde_json::from_slice(data).map_err(|e| HistoryError::Invalid(name.to_string(), e.to_string()))
}

/// `prefix/branch/` or `prefix/branch/name`, with no empty segment.
fn key_of(prefix: &str, branch: &str, name: Option<&str>) -> String {
    let mut key = String::new();
    let prefix = prefix.trim_matches('/');
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push('/');
    }
    key.push_str(branch);
    key.push('/');
    if let Some(name) = name {
        key.push_str(name);
    }
    key
}
