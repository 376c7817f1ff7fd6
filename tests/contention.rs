//! The contention workload on the local provider: the correct demo store keeps every write, the
//! naive read-modify-write store is caught losing updates, and a hanging writer becomes a timeout.

use std::sync::Arc;
use std::time::Duration;

use stress_action::cancel::CancelToken;
use stress_action::config::contention::{ContentionConfig, DemoTarget, Kill9};
use stress_action::console::Console;
use stress_action::provider::local::LocalOptions;
use stress_action::provider::LocalProvider;
use stress_action::record::Recorder;
use stress_action::workload::contention;
use stress_action::workload::WorkloadContext;

fn context(dir: &std::path::Path) -> Arc<WorkloadContext> {
    Arc::new(WorkloadContext {
        provider: Arc::new(LocalProvider::new(LocalOptions::default()).unwrap()),
        recorder: Arc::new(Recorder::create(dir).unwrap()),
        console: Arc::new(Console::new(true)),
        cancel: CancelToken::new(),
        exec_timeout: Duration::from_secs(30),
        seed: 1,
        accounted_as: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flock_store_keeps_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let cfg = ContentionConfig::for_target(DemoTarget::Flock, 10, 100, Duration::from_secs(30));
    let report = contention::run(ctx.clone(), &cfg).await;
    assert_eq!(
        (
            report.acknowledged,
            report.present,
            report.lost,
            report.duplicates,
            report.unknown
        ),
        (1000, 1000, 0, 0, 0)
    );
    assert_eq!(report.write_ms.count, 1000);
    let c = ctx.recorder.accounting.workload(contention::WORKLOAD);
    assert_eq!(
        (c.planned, c.verified, c.corrupted, c.infra, c.lost()),
        (1000, 1000, 0, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn naive_store_is_caught_losing_updates() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let cfg = ContentionConfig::for_target(DemoTarget::Naive, 10, 50, Duration::from_secs(30));
    let report = contention::run(ctx.clone(), &cfg).await;
    assert!(report.lost + report.failed > 0, "{report:?}");
    assert!(report.lost > 0, "acknowledged writes went missing: {report:?}");
    assert!(!report.incomplete_writers.is_empty());
    let c = ctx.recorder.accounting.workload(contention::WORKLOAD);
    assert!(c.corrupted >= report.lost);
    assert_eq!(
        c.planned,
        c.verified + c.corrupted + c.infra,
        "every write has one outcome"
    );
    ctx.recorder.flush();
    let details = std::fs::read_to_string(dir.path().join("error-details.log")).unwrap();
    assert!(
        details.contains("lost update"),
        "evidence of the lost update is written"
    );
}

#[tokio::test]
async fn a_hanging_writer_times_out_and_the_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let cfg = ContentionConfig {
        writers: 2,
        writes: 2,
        // Writer 1 hangs on every write; writer 0 appends.
        write_cmd: vec![
            "sh".into(),
            "-c".into(),
            "[ {writer} = 1 ] && sleep 30; echo {id} >> store.txt".into(),
        ],
        list_cmd: vec!["cat".into(), "store.txt".into()],
        target: None,
        write_timeout: Duration::from_millis(300),
        kill9: None,
    };
    let started = std::time::Instant::now();
    let report = contention::run(ctx.clone(), &cfg).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the hang was cut off by the write timeout"
    );
    assert_eq!((report.acknowledged, report.indeterminate, report.lost), (2, 2, 0));
    let c = ctx.recorder.accounting.workload(contention::WORKLOAD);
    assert_eq!((c.verified, c.infra, c.corrupted), (2, 2, 0));
    assert_eq!(ctx.recorder.accounting.infra_classes().get("timeout"), Some(&2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_loses_no_acknowledged_write_and_counts_indeterminate_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let mut cfg = ContentionConfig::for_target(DemoTarget::Flock, 8, 60, Duration::from_secs(30));
    // The writers sleep a little inside the lock so kills land mid-write.
    cfg.write_cmd = vec![
        "sh".into(),
        "-c".into(),
        "exec 9>>store.lock; flock 9; sleep 0.01; echo {id} >> store.txt".into(),
    ];
    cfg.kill9 = Some(Kill9 {
        pattern: "flock 9; sleep".into(),
        mean_interval: Duration::from_millis(40),
    });
    let report = contention::run(ctx.clone(), &cfg).await;
    assert!(report.kills > 0, "the fault schedule hit writers: {report:?}");
    assert!(report.indeterminate > 0, "killed writes are indeterminate: {report:?}");
    assert_eq!(
        (report.lost, report.duplicates, report.unknown),
        (0, 0, 0),
        "{report:?}"
    );
    assert_eq!(report.acknowledged + report.indeterminate + report.failed, 480);
    let c = ctx.recorder.accounting.workload(contention::WORKLOAD);
    assert_eq!((c.corrupted, c.infra), (0, report.indeterminate));
}
