//! Console tables of the lifecycle and storage workloads (part of the end-of-run summary).

use super::table::render_table;
use crate::report::{LatencySummary, ModeReport, StorageReport, StorageSizeReport};

fn lat(s: &LatencySummary) -> String {
    if s.count == 0 {
        "-".to_string()
    } else {
        format!("{:.1} / {:.1} / {:.1}", s.p50, s.p95, s.p99)
    }
}

pub fn render_lifecycle(modes: &[(&'static str, &ModeReport)]) -> String {
    let rows: Vec<Vec<String>> = modes
        .iter()
        .map(|(name, m)| {
            vec![
                name.to_string(),
                m.count.to_string(),
                format!(
                    "{}/{}/{}/{}",
                    m.status.success, m.status.partial, m.status.readiness_failed, m.status.failed
                ),
                format!("{:.1}%", m.success_rate() * 100.0),
                lat(&m.create_ms),
                lat(&m.tti_ms),
                lat(&m.destroy_ms),
                format!("{:.0}", m.wall_clock_ms),
                m.time_to_first_ready_ms.map_or("-".to_string(), |t| format!("{t:.1}")),
                format!("{} / {:.1}", m.peak_concurrency, m.mean_concurrency),
                format!("{} / {}", m.destroy_failures, m.swept),
            ]
        })
        .collect();
    let mut out = String::from("Lifecycle (latencies in ms, p50 / p95 / p99; TTI from the scheduled start)\n");
    out.push_str(&render_table(
        &[
            "mode",
            "n",
            "ok/partial/not-ready/failed",
            "success",
            "create",
            "TTI",
            "destroy",
            "wall ms",
            "first ready ms",
            "peak / mean alive",
            "destroy fail / swept",
        ],
        &rows,
    ));
    for (name, m) in modes {
        if !m.failure_class.is_empty() {
            let classes: Vec<String> = m.failure_class.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("  {name} failures by class: {}\n", classes.join(", ")));
        }
    }
    out
}

pub fn render_storage(report: &StorageReport) -> String {
    render_sizes("Storage", &report.sizes)
}

/// The storage table for any workload measured per size (storage, object-storage).
pub fn render_sizes(title: &str, sizes: &[StorageSizeReport]) -> String {
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            vec![
                format!("{}", s.size_mb),
                s.iterations.to_string(),
                s.verified.to_string(),
                s.corrupted.to_string(),
                s.infra.to_string(),
                lat(&s.upload_ms),
                lat(&s.download_ms),
                format!("{:.1}", s.upload_mb_s),
                format!("{:.1}", s.download_mb_s),
            ]
        })
        .collect();
    let mut out = format!("{title} (SHA-256 verified; latencies in ms, p50 / p95 / p99)\n");
    out.push_str(&render_table(
        &[
            "size MB",
            "n",
            "verified",
            "corrupted",
            "infra",
            "upload",
            "download",
            "up MB/s",
            "down MB/s",
        ],
        &rows,
    ));
    out
}
