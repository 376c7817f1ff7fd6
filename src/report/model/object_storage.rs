//! Report section of the object-storage workload: where the objects went, how they were sent, and
//! one entry per object size with the same shape as the storage workload's, so every output and
//! `leaderboard` reads both alike.

use serde::{Deserialize, Serialize};

use super::StorageSizeReport;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ObjectStorageReport {
    /// The S3-compatible endpoint; absent for AWS S3 itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub bucket: String,
    /// The run's own prefix (the configured one plus a unique segment): every object of the run is
    /// under it, and the final sweep deletes only under it.
    pub prefix: String,
    /// Objects of this size or more were uploaded in parts of `part_size_mb`.
    pub multipart_threshold_mb: f64,
    pub part_size_mb: f64,
    /// Objects the final sweep found and deleted under the run's prefix (deletes that failed
    /// during the run, or transfers cut short by an interrupt).
    #[serde(default)]
    pub swept: u64,
    /// Objects still listed under the prefix after the sweep: left in the bucket.
    #[serde(default)]
    pub left_behind: u64,
    pub sizes: Vec<StorageSizeReport>,
}
