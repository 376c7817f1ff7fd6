//! The storage workload: upload random bytes into a sandbox, download them, compare SHA-256, delete.
//!
//! One planned operation per size × iteration, each ending in one outcome: `Verified` when the bytes
//! came back identical, `Corrupted` (check `sha256`) when they did not, `Infra` when an upload or
//! download failed. A failed delete is counted apart (`delete_failures`) and does not change the
//! outcome. Files stream both ways (generated and hashed a chunk at a time, see
//! [`crate::provider::payload`]), so memory stays flat however large they are; latencies go to HdrHistograms
//! (`storage.<size>mb.upload_ms`, `storage.<size>mb.download_ms`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::StorageConfig;
use crate::console::progress::Progress;
use crate::provider::{ExecRequest, Payload, ProviderError, SandboxId};
use crate::record::{ms, Event};
use crate::report::{StorageReport, StorageSizeReport};
use crate::verify::Outcome;
use crate::workload::WorkloadContext;

pub const WORKLOAD: &str = "storage";

/// Runs the workload with a progress line, and says what it is about to do.
pub async fn run_with_progress(ctx: Arc<WorkloadContext>, cfg: &StorageConfig) -> StorageReport {
    let sizes: Vec<String> = cfg.sizes_mb.iter().map(|s| format!("{s} MB")).collect();
    let how_many = match cfg.until {
        Some(d) => format!("for {} s", d.as_secs_f64()),
        None => format!("x {} iteration(s)", cfg.iterations),
    };
    ctx.console
        .say(&format!("storage: {} {how_many}, SHA-256 verified", sizes.join(", ")));
    let counts = {
        let recorder = ctx.recorder.clone();
        Arc::new(move || recorder.accounting.workload(WORKLOAD))
    };
    let progress = Progress::start(ctx.console.clone(), "transfers", cfg.planned(), counts);
    let report = run(&ctx, cfg).await;
    progress.finish().await;
    report
}

pub async fn run(ctx: &WorkloadContext, cfg: &StorageConfig) -> StorageReport {
    let mut report = StorageReport::default();
    let sandbox = match ctx.provider.create().await {
        Ok(sb) => sb,
        Err(e) => {
            ctx.console.warn(&format!("storage: cannot create a sandbox: {e}"));
            for size_mb in &cfg.sizes_mb {
                let mut size = StorageSizeReport {
                    size_mb: *size_mb,
                    ..Default::default()
                };
                for i in 0..cfg.iterations {
                    if ctx.cancel.is_cancelled() {
                        break;
                    }
                    ctx.recorder.plan(WORKLOAD);
                    let outcome = infra("create sandbox", e.clone());
                    record(ctx, *size_mb, i, None, BTreeMap::new(), &outcome);
                    size.iterations += 1;
                    size.infra += 1;
                }
                report.sizes.push(size);
            }
            return report;
        }
    };
    let started = Instant::now();
    for (size_index, size_mb) in cfg.sizes_mb.iter().enumerate() {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let mut size = StorageSizeReport {
            size_mb: *size_mb,
            ..Default::default()
        };
        // A timed run gives each size an equal share of the duration instead of a count.
        let share_ends = cfg
            .until
            .map(|d| started + d.mul_f64((size_index + 1) as f64 / cfg.sizes_mb.len() as f64));
        for i in 0..u32::MAX {
            let done = match share_ends {
                Some(at) => Instant::now() >= at,
                None => i >= cfg.iterations,
            };
            if done || ctx.cancel.is_cancelled() {
                break;
            }
            ctx.recorder.plan(WORKLOAD);
            size.iterations += 1;
            let (outcome, delete_failed) = transfer(ctx, &sandbox, *size_mb, size_index, i).await;
            tally(&mut size, &outcome, delete_failed);
        }
        summarize(ctx, &mut size, key);
        report.sizes.push(size);
    }
    if let Err(e) = ctx.provider.destroy(&sandbox).await {
        ctx.console
            .warn(&format!("storage: sandbox {sandbox} could not be destroyed: {e}"));
    }
    // A file whose delete failed stays in the sandbox until the sandbox goes: a leak of this workload.
    let undeleted: u64 = report.sizes.iter().map(|s| s.delete_failures).sum();
    ctx.recorder.accounting.leak(WORKLOAD, undeleted);
    report
}

pub fn key(size_mb: f64, metric: &str) -> String {
    format!("{WORKLOAD}.{size_mb}mb.{metric}")
}

/// Counts one transfer's outcome in its size's row (storage and object-storage alike).
pub fn tally(size: &mut StorageSizeReport, outcome: &Outcome, delete_failed: bool) {
    size.delete_failures += u64::from(delete_failed);
    match outcome {
        Outcome::Verified => size.verified += 1,
        Outcome::Corrupted { .. } => size.corrupted += 1,
        Outcome::Infra { .. } => size.infra += 1,
    }
}

/// A size's latency summaries and throughput, from the histograms `key` names
/// (`<workload>.<size>mb.<metric>`).
pub fn summarize(ctx: &WorkloadContext, size: &mut StorageSizeReport, key: fn(f64, &str) -> String) {
    let hist = &ctx.recorder.histograms;
    size.upload_ms = hist.summary(&key(size.size_mb, "upload_ms"));
    size.download_ms = hist.summary(&key(size.size_mb, "download_ms"));
    size.upload_mb_s = throughput(size.size_mb, size.upload_ms.mean);
    size.download_mb_s = throughput(size.size_mb, size.download_ms.mean);
}

pub fn throughput(size_mb: f64, mean_ms: f64) -> f64 {
    if mean_ms <= 0.0 {
        return 0.0;
    }
    (size_mb / (mean_ms / 1000.0) * 100.0).round() / 100.0
}

/// The bytes of one iteration: reproducible from the run's seed, different per size and iteration;
/// generated as they are sent, never held whole.
pub fn payload_of(seed: u64, size_mb: f64, size_index: usize, iteration: u32) -> Payload {
    let len = (size_mb * 1024.0 * 1024.0).round() as u64;
    let stream = (size_index as u64) << 32 | u64::from(iteration);
    Payload::new(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5354_4f52, len)
}

/// The same bytes whole, for a store that takes a file in one piece (object-storage).
pub fn payload(seed: u64, size_mb: f64, size_index: usize, iteration: u32) -> Bytes {
    payload_of(seed, size_mb, size_index, iteration).to_bytes().0
}

/// One iteration: upload, download, compare, delete. Returns the outcome and whether delete failed.
async fn transfer(
    ctx: &WorkloadContext,
    sb: &SandboxId,
    size_mb: f64,
    size_index: usize,
    iteration: u32,
) -> (Outcome, bool) {
    let provider = ctx.provider.as_ref();
    let data = payload_of(ctx.seed, size_mb, size_index, iteration);
    let path = format!("stress-storage/blob-{size_index}-{iteration}.bin");
    let mut timings = BTreeMap::new();

    let started = Instant::now();
    let sent = match provider.write_payload(sb, &path, &data).await {
        Ok(sent) => sent,
        Err(e) => {
            let outcome = infra("upload", e);
            record(ctx, size_mb, iteration, Some(sb), timings, &outcome);
            return (outcome, false);
        }
    };
    let upload = started.elapsed();
    ctx.recorder.histograms.record(&key(size_mb, "upload_ms"), upload);
    timings.insert("upload_ms", ms(upload));

    let started = Instant::now();
    let outcome = match provider.read_digest(sb, &path).await {
        Err(e) => infra("download", e),
        Ok(back) => {
            let download = started.elapsed();
            ctx.recorder.histograms.record(&key(size_mb, "download_ms"), download);
            timings.insert("download_ms", ms(download));
            if back == sent {
                Outcome::Verified
            } else {
                Outcome::corrupted(
                    "sha256",
                    sent.sha256,
                    format!("{} ({} of {} bytes came back)", back.sha256, back.len, sent.len),
                )
            }
        }
    };

    let remove = ExecRequest::new(
        ["rm", "-f", path.as_str()],
        ctx.exec_timeout.min(Duration::from_secs(60)),
    );
    let delete_failed = match provider.exec(sb, &remove).await {
        Ok(out) if out.success() => false,
        Ok(out) => {
            ctx.console.warn(&format!(
                "storage: `{}` ended with {}",
                remove.display(),
                out.status_text()
            ));
            true
        }
        Err(e) => {
            ctx.console.warn(&format!("storage: cannot delete {path}: {e}"));
            true
        }
    };
    record(ctx, size_mb, iteration, Some(sb), timings, &outcome);
    (outcome, delete_failed)
}

fn infra(step: &str, e: ProviderError) -> Outcome {
    Outcome::Infra {
        class: e.class,
        status: e.status,
        detail: format!("{step}: {}", e.message),
    }
}

fn record(
    ctx: &WorkloadContext,
    size_mb: f64,
    iteration: u32,
    sb: Option<&SandboxId>,
    timings: BTreeMap<&'static str, f64>,
    outcome: &Outcome,
) {
    let mut event = Event::new(WORKLOAD, "transfer", Duration::ZERO);
    event.duration_ms = ms(Duration::from_secs_f64(timings.values().sum::<f64>() / 1000.0));
    event.index = Some(u64::from(iteration) + 1);
    event.sandbox = sb.map(|s| s.0.clone());
    event.detail = Some(match outcome {
        Outcome::Verified => format!("{size_mb} MB"),
        Outcome::Corrupted { expected, actual, .. } => format!("{size_mb} MB: expected {expected}, found {actual}"),
        Outcome::Infra { detail, .. } => format!("{size_mb} MB: {detail}"),
    });
    event.timings = Some(timings);
    ctx.recorder.finish(WORKLOAD, event, outcome);
}
