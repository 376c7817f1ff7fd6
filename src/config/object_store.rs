//! The object-storage workload's settings: which S3-compatible store (S3, R2, Tigris, MinIO), which
//! bucket, under which prefix, and how many transfers of which sizes.
//!
//! Credentials are not settings: the AWS SDK's default chain finds them (environment, profile, web
//! identity for GitHub's OIDC, instance metadata), so no secret ever passes through a flag or
//! stress.toml.

use super::{int_in, workloads::parse_sizes, RunArgs};
use crate::error::ConfigError;

/// computesdk's storage benchmark sizes, so numbers compare with theirs.
pub const DEFAULT_SIZES_MB: [f64; 4] = [1.0, 4.0, 10.0, 16.0];
pub const DEFAULT_ITERATIONS: u32 = 10;
/// Objects of this size or more go up in parts: the AWS CLI's default threshold and part size
/// (8 MiB), above S3's 5 MiB minimum part, so 10 and 16 MB exercise multipart and 1 and 4 MB do not.
pub const MULTIPART_THRESHOLD_BYTES: usize = 8 * 1024 * 1024;
pub const PART_SIZE_BYTES: usize = 8 * 1024 * 1024;
/// Prefix of the run's objects when `--object-store-prefix` is not given.
pub const DEFAULT_PREFIX: &str = "stress-action";

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectStoreConfig {
    /// `--object-store-endpoint`: an S3-compatible URL (path-style addressing); `None` is AWS S3.
    pub endpoint: Option<String>,
    pub bucket: String,
    /// `--object-store-prefix`, without slashes at either end. The run adds a unique segment under
    /// it, so the final sweep never touches another run's objects.
    pub prefix: String,
    pub sizes_mb: Vec<f64>,
    pub iterations: u32,
}

impl ObjectStoreConfig {
    pub fn planned(&self) -> u64 {
        self.sizes_mb.len() as u64 * u64::from(self.iterations)
    }
}

/// The settings when the workload is selected; flags of a workload that is not selected are
/// refused, so a typo in `--workload` is not a silently skipped benchmark.
pub fn build(args: &RunArgs, selected: bool) -> Result<Option<ObjectStoreConfig>, ConfigError> {
    if !selected {
        let given = [
            ("--object-store-endpoint", args.object_store_endpoint.is_some()),
            ("--object-store-bucket", args.object_store_bucket.is_some()),
            ("--object-store-prefix", args.object_store_prefix.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, set)| *set) {
            return Err(ConfigError::new(
                *flag,
                "only applies to the object-storage workload (add it to --workload)",
            ));
        }
        return Ok(None);
    }
    let bucket = args
        .object_store_bucket
        .clone()
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| ConfigError::new("--object-store-bucket", "the object-storage workload needs a bucket"))?;
    let endpoint = args.object_store_endpoint.as_deref().map(parse_endpoint).transpose()?;
    let prefix = args
        .object_store_prefix
        .as_deref()
        .unwrap_or(DEFAULT_PREFIX)
        .trim_matches('/')
        .to_string();
    if prefix.chars().any(char::is_control) {
        return Err(ConfigError::new(
            "--object-store-prefix",
            "must not contain control characters",
        ));
    }
    let sizes_mb = match &args.storage_sizes {
        Some(text) => parse_sizes(text)?,
        None => DEFAULT_SIZES_MB.to_vec(),
    };
    let iterations = int_in(
        "--storage-iterations",
        args.storage_iterations,
        i64::from(DEFAULT_ITERATIONS),
        1,
        1_000_000,
    )? as u32;
    Ok(Some(ObjectStoreConfig {
        endpoint,
        bucket: bucket.trim().to_string(),
        prefix,
        sizes_mb,
        iterations,
    }))
}

/// An `http(s)://` URL without credentials in it (keys come from the AWS chain, never a URL).
fn parse_endpoint(raw: &str) -> Result<String, ConfigError> {
    let field = "--object-store-endpoint";
    let url = reqwest::Url::parse(raw).map_err(|e| ConfigError::new(field, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            field,
            "must be an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            field,
            "must not contain credentials; the AWS environment (AWS_ACCESS_KEY_ID, OIDC) provides them",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_with(selected: bool, f: impl FnOnce(&mut RunArgs)) -> Result<Option<ObjectStoreConfig>, ConfigError> {
        let mut args = RunArgs::default();
        f(&mut args);
        build(&args, selected)
    }

    #[test]
    fn defaults_are_computesdks_sizes_and_iterations() {
        let cfg = build_with(true, |a| a.object_store_bucket = Some("b".into()))
            .unwrap()
            .unwrap();
        assert_eq!(cfg.sizes_mb, DEFAULT_SIZES_MB.to_vec());
        assert_eq!((cfg.iterations, cfg.planned()), (10, 40));
        assert_eq!((cfg.prefix.as_str(), cfg.endpoint), (DEFAULT_PREFIX, None));
        assert_eq!(build_with(false, |_| {}).unwrap(), None);
    }

    #[test]
    fn mistakes_name_the_flag() {
        type Edit = Box<dyn FnOnce(&mut RunArgs)>;
        let cases: Vec<(bool, &str, Edit)> = vec![
            (true, "--object-store-bucket", Box::new(|_| {})),
            (
                true,
                "--object-store-endpoint",
                Box::new(|a| {
                    a.object_store_bucket = Some("b".into());
                    a.object_store_endpoint = Some("http://key:secret@host".into());
                }),
            ),
            (
                false,
                "--object-store-bucket",
                Box::new(|a| a.object_store_bucket = Some("b".into())),
            ),
            (
                true,
                "--storage-sizes",
                Box::new(|a| {
                    a.object_store_bucket = Some("b".into());
                    a.storage_sizes = Some("0".into());
                }),
            ),
        ];
        for (selected, field, f) in cases {
            assert_eq!(build_with(selected, f).unwrap_err().field, field);
        }
    }
}
