//! The object-storage workload: upload, download and delete objects of each size against any
//! S3-compatible store (S3, R2, Tigris, MinIO), every download SHA-256 verified.
//!
//! One planned operation per size × iteration, ending in one outcome: `Verified` when the bytes
//! came back identical; `Corrupted` when they did not (check `sha256`) or when an object the store
//! acknowledged is gone (check `object_present`); `Infra` when a call timed out, failed to connect
//! or got a 5xx (the client does not retry, so a flaky store shows as infra rather than as slower
//! successes). Every object lives under a prefix unique to the run, and a sweep of that prefix at
//! the end (also after Ctrl-C) deletes what a failed delete or an interrupted transfer left, so two
//! runs sharing a bucket never touch each other's objects. Latencies go to HdrHistograms
//! (`object-storage.<size>mb.upload_ms`, `..download_ms`).

mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;

use crate::config::object_store::{ObjectStoreConfig, MULTIPART_THRESHOLD_BYTES, PART_SIZE_BYTES};
use crate::console::progress::Progress;
use crate::record::{ms, Event};
use crate::report::{ObjectStorageReport, StorageSizeReport};
use crate::verify::sha256::hex_digest;
use crate::verify::Outcome;
use crate::workload::storage::{payload, summarize, tally};
use crate::workload::WorkloadContext;
use store::StoreError;

pub const WORKLOAD: &str = "object-storage";

/// Runs the workload with a progress line, and says what it is about to do.
pub async fn run_with_progress(ctx: Arc<WorkloadContext>, cfg: &ObjectStoreConfig) -> ObjectStorageReport {
    let sizes: Vec<String> = cfg.sizes_mb.iter().map(|s| format!("{s} MB")).collect();
    ctx.console.say(&format!(
        "object-storage: {} x {} iteration(s) against s3://{}/{} at {}, SHA-256 verified",
        sizes.join(", "),
        cfg.iterations,
        cfg.bucket,
        cfg.prefix,
        cfg.endpoint.as_deref().unwrap_or("AWS S3")
    ));
    let counts = {
        let recorder = ctx.recorder.clone();
        Arc::new(move || recorder.accounting.workload(WORKLOAD))
    };
    let progress = Progress::start(ctx.console.clone(), "transfers", cfg.planned(), counts);
    let report = run(&ctx, cfg).await;
    progress.finish().await;
    report
}

/// The run's own prefix: the configured one, then a segment no other run picks (UTC time and
/// random bits), ending in `/` so a listing never matches a sibling that merely starts alike.
pub fn run_prefix(prefix: &str) -> String {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let unique: u32 = rand::random();
    let head = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    format!("{head}{stamp}-{unique:08x}/")
}

pub async fn run(ctx: &WorkloadContext, cfg: &ObjectStoreConfig) -> ObjectStorageReport {
    let client = crate::s3::benchmark_client(cfg.endpoint.as_deref()).await;
    let prefix = run_prefix(&cfg.prefix);
    let mut report = ObjectStorageReport {
        endpoint: cfg.endpoint.clone(),
        bucket: cfg.bucket.clone(),
        prefix: prefix.clone(),
        multipart_threshold_mb: mb(MULTIPART_THRESHOLD_BYTES),
        part_size_mb: mb(PART_SIZE_BYTES),
        ..Default::default()
    };
    for (size_index, size_mb) in cfg.sizes_mb.iter().enumerate() {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let mut size = StorageSizeReport {
            size_mb: *size_mb,
            ..Default::default()
        };
        for iteration in 0..cfg.iterations {
            if ctx.cancel.is_cancelled() {
                break;
            }
            ctx.recorder.plan(WORKLOAD);
            size.iterations += 1;
            let key = format!("{prefix}{size_mb}mb-{iteration}.bin");
            let step = Transfer {
                client: &client,
                bucket: &cfg.bucket,
                key: &key,
                size_mb: *size_mb,
            };
            let (outcome, delete_failed) = step.run(ctx, size_index, iteration).await;
            tally(&mut size, &outcome, delete_failed);
        }
        summarize(ctx, &mut size, key);
        report.sizes.push(size);
    }
    finish_sweep(ctx, &client, &mut report).await;
    report
}

/// Deletes what the run left under its prefix; what it found counts as leaked (removed by the
/// sweep), what is still there afterwards is said loudly.
async fn finish_sweep(ctx: &WorkloadContext, client: &Client, report: &mut ObjectStorageReport) {
    let sweep = store::sweep(client, &report.bucket, &report.prefix).await;
    report.swept = sweep.deleted;
    report.left_behind = sweep.left_behind;
    ctx.recorder
        .accounting
        .leak(WORKLOAD, sweep.deleted + sweep.left_behind);
    if sweep.deleted > 0 {
        ctx.console.log_only(&format!(
            "object-storage: swept {} object(s) left under s3://{}/{}",
            sweep.deleted, report.bucket, report.prefix
        ));
    }
    if sweep.left_behind > 0 || !sweep.errors.is_empty() {
        ctx.console.warn(&format!(
            "object-storage: {} object(s) may be left under s3://{}/{}{}",
            sweep.left_behind,
            report.bucket,
            report.prefix,
            sweep.errors.first().map(|e| format!(": {e}")).unwrap_or_default()
        ));
    }
}

pub fn key(size_mb: f64, metric: &str) -> String {
    format!("{WORKLOAD}.{size_mb}mb.{metric}")
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One object's round trip.
struct Transfer<'a> {
    client: &'a Client,
    bucket: &'a str,
    key: &'a str,
    size_mb: f64,
}

impl Transfer<'_> {
    /// Upload, download, compare, delete. Returns the outcome and whether the delete failed.
    async fn run(&self, ctx: &WorkloadContext, size_index: usize, iteration: u32) -> (Outcome, bool) {
        let data = payload(ctx.seed ^ 0x4f42_4a53, self.size_mb, size_index, iteration);
        let (expected, len) = (hex_digest(&data), data.len());
        let mut timings = BTreeMap::new();

        let started = Instant::now();
        if let Err(e) = store::put(self.client, self.bucket, self.key, data).await {
            let outcome = self.failed("upload", e);
            self.record(ctx, iteration, timings, &outcome);
            // A refused put may still have landed: the final sweep looks.
            return (outcome, false);
        }
        let upload = started.elapsed();
        ctx.recorder.histograms.record(&key(self.size_mb, "upload_ms"), upload);
        timings.insert("upload_ms", ms(upload));

        let started = Instant::now();
        let outcome = match store::get(self.client, self.bucket, self.key).await {
            Err(e) => self.failed("download", e),
            Ok(back) => {
                let download = started.elapsed();
                ctx.recorder
                    .histograms
                    .record(&key(self.size_mb, "download_ms"), download);
                timings.insert("download_ms", ms(download));
                let actual = hex_digest(&back);
                if actual == expected {
                    Outcome::Verified
                } else {
                    Outcome::corrupted(
                        "sha256",
                        expected,
                        format!("{actual} ({} of {len} bytes came back)", back.len()),
                    )
                }
            }
        };
        let delete_failed = match store::delete(self.client, self.bucket, self.key).await {
            Ok(()) => false,
            Err(e) => {
                ctx.console.warn(&format!("object-storage: {e}"));
                true
            }
        };
        self.record(ctx, iteration, timings, &outcome);
        (outcome, delete_failed)
    }

    /// A missing object after an acknowledged put is corruption; anything else is infra.
    fn failed(&self, step: &str, e: StoreError) -> Outcome {
        match e {
            StoreError::Missing(detail) => Outcome::corrupted(
                "object_present",
                format!("s3://{}/{} (acknowledged by the put)", self.bucket, self.key),
                format!("missing: {detail}"),
            ),
            StoreError::Infra { class, status, detail } => Outcome::Infra {
                class,
                status,
                detail: format!("{step}: {detail}"),
            },
        }
    }

    fn record(&self, ctx: &WorkloadContext, iteration: u32, timings: BTreeMap<&'static str, f64>, outcome: &Outcome) {
        let mut event = Event::new(WORKLOAD, "transfer", Duration::ZERO);
        event.duration_ms = timings.values().sum::<f64>();
        event.index = Some(u64::from(iteration) + 1);
        event.op = Some(self.key.to_string());
        let size_mb = self.size_mb;
        event.detail = Some(match outcome {
            Outcome::Verified => format!("{size_mb} MB"),
            Outcome::Corrupted { expected, actual, .. } => {
                format!("{size_mb} MB: expected {expected}, found {actual}")
            }
            Outcome::Infra { detail, .. } => format!("{size_mb} MB: {detail}"),
        });
        event.timings = Some(timings);
        ctx.recorder.finish(WORKLOAD, event, outcome);
    }
}
