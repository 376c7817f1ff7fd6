//! The S3 calls of the object-storage workload, each failure already classified the way every
//! provider classifies its own: a timeout, an HTTP status, a connection that failed. Whether a
//! failure is corruption (an acknowledged object that is gone) is decided here too, because only
//! here is the difference between "the store said 404" and "the store did not answer" visible.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use bytes::Bytes;

use crate::config::object_store::{MULTIPART_THRESHOLD_BYTES, PART_SIZE_BYTES};
use crate::provider::InfraClass;
use crate::s3::describe;

/// Why a call did not succeed.
#[derive(Debug)]
pub enum StoreError {
    /// The store answered that the object does not exist.
    Missing(String),
    Infra {
        class: InfraClass,
        status: Option<u16>,
        detail: String,
    },
}

fn classify<E>(what: &str, e: &SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = format!("{what}: {}", describe(e));
    let status = match e {
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => e.raw_response().map(|r| r.status().as_u16()),
        _ => None,
    };
    let missing = matches!(e.code(), Some("NoSuchKey" | "NotFound")) || status == Some(404);
    if missing {
        return StoreError::Missing(detail);
    }
    let class = match e {
        SdkError::TimeoutError(_) => InfraClass::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => InfraClass::Timeout,
        SdkError::DispatchFailure(_) => InfraClass::NetworkError,
        _ if status.is_some() => InfraClass::HttpError,
        _ => InfraClass::ProviderError,
    };
    StoreError::Infra { class, status, detail }
}

/// Uploads `data`: one PUT below [`MULTIPART_THRESHOLD_BYTES`], parts of [`PART_SIZE_BYTES`] at or
/// above it (aborted when a part fails, so no incomplete upload is left to pay for).
pub async fn put(client: &Client, bucket: &str, key: &str, data: Bytes) -> Result<(), StoreError> {
    if data.len() < MULTIPART_THRESHOLD_BYTES {
        return client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(data))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| infra_only(classify("put", &e)));
    }
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| infra_only(classify("create multipart upload", &e)))?;
    let upload_id = created.upload_id().unwrap_or_default().to_string();
    match put_parts(client, bucket, key, &upload_id, data).await {
        Ok(parts) => client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| infra_only(classify("complete multipart upload", &e))),
        Err(e) => {
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

async fn put_parts(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    data: Bytes,
) -> Result<Vec<CompletedPart>, StoreError> {
    let mut parts = Vec::new();
    for (index, start) in (0..data.len()).step_by(PART_SIZE_BYTES).enumerate() {
        let number = index as i32 + 1;
        let chunk = data.slice(start..(start + PART_SIZE_BYTES).min(data.len()));
        let out = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk))
            .send()
            .await
            .map_err(|e| infra_only(classify(&format!("upload part {number}"), &e)))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(String::from))
                .build(),
        );
    }
    Ok(parts)
}

/// A write the store refused is infra (`refused`), never a missing object.
fn infra_only(e: StoreError) -> StoreError {
    match e {
        StoreError::Missing(detail) => StoreError::Infra {
            class: InfraClass::HttpError,
            status: Some(404),
            detail,
        },
        infra => infra,
    }
}

/// The whole object; a body cut off on the way is the network's failure.
pub async fn get(client: &Client, bucket: &str, key: &str) -> Result<Bytes, StoreError> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify("get", &e))?;
    let body = out.body.collect().await.map_err(|e| StoreError::Infra {
        class: InfraClass::NetworkError,
        status: None,
        detail: format!("get: reading the body: {e}"),
    })?;
    Ok(body.into_bytes())
}

pub async fn delete(client: &Client, bucket: &str, key: &str) -> Result<(), String> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot delete s3://{bucket}/{key}: {}", describe(&e)))
}

/// What the final sweep did under the run's prefix.
#[derive(Debug, Default)]
pub struct Sweep {
    pub deleted: u64,
    pub left_behind: u64,
    pub errors: Vec<String>,
}

/// Deletes every object and aborts every incomplete multipart upload under `prefix` (which ends
/// in `/` and is the run's own), then lists again to count what is still there.
pub async fn sweep(client: &Client, bucket: &str, prefix: &str) -> Sweep {
    let mut sweep = Sweep::default();
    match crate::s3::list_keys(client, bucket, prefix).await {
        Ok(keys) => {
            for key in keys {
                match delete(client, bucket, &key).await {
                    Ok(()) => sweep.deleted += 1,
                    Err(e) => sweep.errors.push(e),
                }
            }
        }
        Err(e) => sweep.errors.push(e.to_string()),
    }
    if let Ok(uploads) = client
        .list_multipart_uploads()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
    {
        for upload in uploads.uploads() {
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                continue;
            };
            let _ = client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(id)
                .send()
                .await;
        }
    }
    match crate::s3::list_keys(client, bucket, prefix).await {
        Ok(keys) => sweep.left_behind = keys.len() as u64,
        Err(e) => sweep.errors.push(e.to_string()),
    }
    sweep
}
