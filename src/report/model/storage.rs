//! Report section of the storage workload: one entry per file size, SHA-256 verified both ways.

use serde::{Deserialize, Serialize};

use super::LatencySummary;

/// Upload/download benchmarks with SHA-256 verification, one entry per file size.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StorageReport {
    pub sizes: Vec<StorageSizeReport>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StorageSizeReport {
    pub size_mb: f64,
    pub iterations: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
    pub upload_ms: LatencySummary,
    pub download_ms: LatencySummary,
    pub upload_mb_s: f64,
    pub download_mb_s: f64,
    /// Files the workload could not delete afterwards (a leak, not corruption).
    #[serde(default)]
    pub delete_failures: u64,
}
