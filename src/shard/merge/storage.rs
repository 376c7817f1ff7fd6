//! The storage section of an aggregate: counts summed per file size, latency and throughput from
//! the merged histograms.

use super::{MergedHistograms, Part};
use crate::report::{StorageReport, StorageSizeReport};
use crate::workload::storage;

pub fn merge(parts: &[Part], hist: &MergedHistograms) -> Option<StorageReport> {
    if parts.iter().all(|p| p.result.storage.is_none()) {
        return None;
    }
    let mut sizes: Vec<StorageSizeReport> = Vec::new();
    for part in parts {
        for s in part.result.storage.iter().flat_map(|st| &st.sizes) {
            let merged = match sizes.iter_mut().find(|m| m.size_mb == s.size_mb) {
                Some(m) => m,
                None => {
                    sizes.push(StorageSizeReport {
                        size_mb: s.size_mb,
                        ..Default::default()
                    });
                    sizes.last_mut().expect("just pushed")
                }
            };
            merged.iterations += s.iterations;
            merged.verified += s.verified;
            merged.corrupted += s.corrupted;
            merged.infra += s.infra;
            merged.delete_failures += s.delete_failures;
        }
    }
    for s in &mut sizes {
        s.upload_ms = hist.summary(&storage::key(s.size_mb, "upload_ms"));
        s.download_ms = hist.summary(&storage::key(s.size_mb, "download_ms"));
        s.upload_mb_s = storage::throughput(s.size_mb, s.upload_ms.mean);
        s.download_mb_s = storage::throughput(s.size_mb, s.download_ms.mean);
    }
    Some(StorageReport { sizes })
}
