//! The S3 client: region and credentials from the standard AWS chain (environment, profile,
//! web identity, IMDS), path-style addressing for S3-compatible endpoints, bounded retries with
//! backoff from the SDK, and the few calls its users need: single objects (baselines, links) and
//! listings (shards uploaded by `publish`).
//!
//! A neutral module: publishing uploads through it and `aggregate` reads shards through it, and
//! neither has to import the other. It knows nothing about run directories.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

/// An S3 call that failed, with the bucket, key and the SDK's whole error chain in the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct S3Error(pub String);

/// Region used when the AWS chain names none: S3-compatible servers (MinIO, moto) accept any.
const FALLBACK_REGION: &str = "us-east-1";

pub async fn client(endpoint: Option<&str>) -> Client {
    build(endpoint, RetryConfig::standard().with_max_attempts(4), false).await
}

/// A client for measuring a store rather than using it: no retries (a 5xx or a timeout is the
/// store's answer, counted as infra, not hidden in a slower success), and no response checksum
/// validation by the SDK, so a damaged body reaches the caller's SHA-256 check and is reported as
/// corruption instead of failing inside the SDK as an I/O error.
pub async fn benchmark_client(endpoint: Option<&str>) -> Client {
    build(endpoint, RetryConfig::disabled(), true).await
}

async fn build(endpoint: Option<&str>, retry: RetryConfig, raw_bodies: bool) -> Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(300))
                .build(),
        )
        .load()
        .await;
    let mut conf = aws_sdk_s3::config::Builder::from(&sdk)
        // Checksums only where S3 requires them: S3-compatible servers differ in the rest.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    if raw_bodies {
        conf = conf.response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    }
    if sdk.region().is_none() {
        conf = conf.region(Region::new(FALLBACK_REGION));
    }
    if let Some(url) = endpoint {
        conf = conf.endpoint_url(url).force_path_style(true);
    }
    Client::from_conf(conf.build())
}

/// The Content-Type a browser needs to show the file (SVG charts in `<img>` need `image/svg+xml`).
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "jsonl" => "application/x-ndjson",
        "md" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "log" | "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

pub fn describe(err: &impl std::error::Error) -> String {
    DisplayErrorContext(err).to_string()
}

pub async fn get_bytes(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, S3Error> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| S3Error(format!("cannot get s3://{bucket}/{key}: {}", describe(&e))))?;
    let data = out
        .body
        .collect()
        .await
        .map_err(|e| S3Error(format!("cannot read s3://{bucket}/{key}: {e}")))?;
    Ok(data.into_bytes().to_vec())
}

/// Copies the object into `path` chunk by chunk as it arrives, so memory stays flat however large
/// it is (a shard's events.jsonl is 30 MB per 100,000 sandboxes). `Ok(false)` when there is no
/// such key; a failure after the file was created leaves it partial, for the caller to discard.
pub async fn download_if_exists(client: &Client, bucket: &str, key: &str, path: &Path) -> Result<bool, S3Error> {
    let mut out = match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => return Ok(false),
        Err(e) => return Err(S3Error(format!("cannot get s3://{bucket}/{key}: {}", describe(&e)))),
    };
    let write_error = |e: std::io::Error| S3Error(format!("cannot write {}: {e}", path.display()));
    let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(path).await.map_err(write_error)?);
    while let Some(chunk) = out.body.next().await {
        let chunk = chunk.map_err(|e| S3Error(format!("cannot read s3://{bucket}/{key}: {e}")))?;
        file.write_all(&chunk).await.map_err(write_error)?;
    }
    file.flush().await.map_err(write_error)?;
    Ok(true)
}

/// The object, or `None` when there is no such key (a baseline not saved yet is no error).
pub async fn get_bytes_if_exists(client: &Client, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, S3Error> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let data = out
                .body
                .collect()
                .await
                .map_err(|e| S3Error(format!("cannot read s3://{bucket}/{key}: {e}")))?;
            Ok(Some(data.into_bytes().to_vec()))
        }
        Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => Ok(None),
        Err(e) => Err(S3Error(format!("cannot get s3://{bucket}/{key}: {}", describe(&e)))),
    }
}

pub async fn put_bytes(
    client: &Client,
    bucket: &str,
    key: &str,
    data: Vec<u8>,
    content_type: &str,
) -> Result<(), S3Error> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(data))
        .send()
        .await
        .map_err(|e| S3Error(format!("cannot put s3://{bucket}/{key}: {}", describe(&e))))?;
    Ok(())
}

/// A GET URL valid for `days` (at most 7: SigV4's limit).
pub async fn presign_get(client: &Client, bucket: &str, key: &str, days: u32) -> Result<String, S3Error> {
    let cfg = PresigningConfig::expires_in(Duration::from_secs(u64::from(days) * 86_400))
        .map_err(|e| S3Error(format!("cannot presign for {days} days: {e}")))?;
    let req = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(cfg)
        .await
        .map_err(|e| S3Error(format!("cannot presign s3://{bucket}/{key}: {}", describe(&e))))?;
    Ok(req.uri().to_string())
}

/// Every key under `prefix` (all pages), sorted.
pub async fn list_keys(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<String>, S3Error> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| S3Error(format!("cannot list s3://{bucket}/{prefix}: {}", describe(&e))))?;
        keys.extend(page.contents().iter().filter_map(|o| o.key()).map(str::to_string));
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn content_types_match_what_browsers_need() {
        assert_eq!(content_type("tti-burst.svg"), "image/svg+xml");
        assert_eq!(content_type("report.json"), "application/json");
        assert_eq!(content_type("events.jsonl"), "application/x-ndjson");
        assert_eq!(content_type("summary.md"), "text/markdown; charset=utf-8");
        assert_eq!(content_type("report.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("run.log"), "text/plain; charset=utf-8");
    }
}
