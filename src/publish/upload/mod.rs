//! Uploading the published directory (`DIR/published/`, see [`crate::publish::stage`]): every
//! file under `prefix/`, multipart above a size limit, skipping objects already there with the same
//! SHA-256 (so publishing a run twice is idempotent and cheap), then `s3-manifest.json` last so its
//! presence means the upload is complete. The manifest also says what was left out or redacted.
//!
//! Evidence files are served as `text/plain` whatever their names: they hold what a platform
//! returned, and an `evidence/x.html` must not become a page on the bucket's origin.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::publish::error::PublishError;
use crate::publish::stage::{StageNotes, EVIDENCE_DIR};
use crate::s3::{content_type, describe, put_bytes};

pub const MANIFEST_NAME: &str = "s3-manifest.json";
/// Files above this size go up in parts (S3's minimum part size is 5 MiB).
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
pub const PART_SIZE: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
}

/// Deterministic (no timestamps), so a second publish of the same run writes the same manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub bucket: String,
    pub prefix: String,
    pub objects: Vec<ManifestEntry>,
    /// Files left out (over a cap, not regular, not data) and credentials redacted, per file.
    #[serde(flatten)]
    pub notes: StageNotes,
}

/// The Content-Type an object is served with: by extension, except evidence (always plain text).
pub fn served_as(rel: &str) -> &'static str {
    if rel.starts_with(&format!("{EVIDENCE_DIR}/")) {
        "text/plain; charset=utf-8"
    } else {
        content_type(rel)
    }
}

/// Files of the run directory to upload, relative paths with `/`, sorted.
pub fn list_files(dir: &Path) -> Result<Vec<String>, PublishError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), PublishError> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| PublishError::io(format!("cannot list {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| PublishError::io(format!("cannot list {}", dir.display()), e))?;
            let path = entry.path();
            let ft = entry
                .file_type()
                .map_err(|e| PublishError::io(format!("cannot stat {}", path.display()), e))?;
            if ft.is_dir() {
                walk(root, &path, out)?;
            } else if ft.is_file() {
                let rel: PathBuf = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                let rel = rel.to_string_lossy().replace('\\', "/");
                if rel != MANIFEST_NAME && !rel.ends_with(".tmp") {
                    out.push(rel);
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

pub fn object_key(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

async fn sha256_file(path: &Path) -> Result<(String, u64), PublishError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| PublishError::io(format!("cannot open {}", path.display()), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| PublishError::io(format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Uploads every file of `dir`, writes `dir/s3-manifest.json` (with `notes`) and uploads it last.
pub async fn upload_dir(
    client: &Client,
    dir: &Path,
    (bucket, prefix): (&str, &str),
    notes: &StageNotes,
) -> Result<Manifest, PublishError> {
    let mut objects = Vec::new();
    for rel in list_files(dir)? {
        let path = dir.join(&rel);
        let (sha, size) = sha256_file(&path).await?;
        let key = object_key(prefix, &rel);
        let ct = served_as(&rel);
        if !already_there(client, bucket, &key, &sha).await {
            if size > MULTIPART_THRESHOLD {
                upload_multipart(client, &path, bucket, &key, ct, &sha).await?;
            } else {
                let data = tokio::fs::read(&path)
                    .await
                    .map_err(|e| PublishError::io(format!("cannot read {}", path.display()), e))?;
                put_with_sha(client, bucket, &key, ct, &sha, ByteStream::from(data)).await?;
            }
        }
        objects.push(ManifestEntry {
            key,
            size,
            sha256: sha,
            content_type: ct.to_string(),
        });
    }
    let manifest = Manifest {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        objects,
        notes: notes.clone(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| PublishError::S3(e.to_string()))?;
    text.push('\n');
    let path = dir.join(MANIFEST_NAME);
    std::fs::write(&path, &text).map_err(|e| PublishError::io(format!("cannot write {}", path.display()), e))?;
    put_bytes(
        client,
        bucket,
        &object_key(prefix, MANIFEST_NAME),
        text.into_bytes(),
        content_type(MANIFEST_NAME),
    )
    .await?;
    Ok(manifest)
}

/// True when the object exists with our SHA-256 in its metadata: nothing to upload.
async fn already_there(client: &Client, bucket: &str, key: &str, sha: &str) -> bool {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(head) => head.metadata().and_then(|m| m.get("sha256")).map(String::as_str) == Some(sha),
        Err(_) => false,
    }
}

async fn put_with_sha(
    client: &Client,
    bucket: &str,
    key: &str,
    ct: &str,
    sha: &str,
    body: ByteStream,
) -> Result<(), PublishError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(ct)
        .metadata("sha256", sha)
        .body(body)
        .send()
        .await
        .map_err(|e| PublishError::S3(format!("cannot upload s3://{bucket}/{key}: {}", describe(&e))))?;
    Ok(())
}

async fn upload_multipart(
    client: &Client,
    path: &Path,
    bucket: &str,
    key: &str,
    ct: &str,
    sha: &str,
) -> Result<(), PublishError> {
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .content_type(ct)
        .metadata("sha256", sha)
        .send()
        .await
        .map_err(|e| {
            PublishError::S3(format!(
                "cannot start multipart upload of s3://{bucket}/{key}: {}",
                describe(&e)
            ))
        })?;
    let upload_id = created.upload_id().unwrap_or_default().to_string();
    let result = upload_parts(client, path, bucket, key, &upload_id).await;
    match result {
        Ok(parts) => {
            client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map_err(|e| {
                    PublishError::S3(format!(
                        "cannot complete upload of s3://{bucket}/{key}: {}",
                        describe(&e)
                    ))
                })?;
            Ok(())
        }
        Err(e) => {
            // Best effort: an abandoned multipart upload costs storage until a lifecycle rule removes it.
            let _ = client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
            Err(e)
        }
    }
}

async fn upload_parts(
    client: &Client,
    path: &Path,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Vec<CompletedPart>, PublishError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| PublishError::io(format!("cannot open {}", path.display()), e))?;
    let mut parts = Vec::new();
    for number in 1.. {
        let mut chunk = Vec::with_capacity(PART_SIZE);
        let n = (&mut file)
            .take(PART_SIZE as u64)
            .read_to_end(&mut chunk)
            .await
            .map_err(|e| PublishError::io(format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        let out = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk))
            .send()
            .await
            .map_err(|e| {
                PublishError::S3(format!(
                    "cannot upload part {number} of s3://{bucket}/{key}: {}",
                    describe(&e)
                ))
            })?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(String::from))
                .build(),
        );
    }
    Ok(parts)
}
