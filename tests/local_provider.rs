//! The local provider's promises: checkpoints wait for in-flight commands (quiesced snapshots),
//! restores are independent copies, paths cannot escape, and shutdown leaves nothing behind.

use std::time::Duration;

use bytes::Bytes;
use stress_action::provider::local::LocalOptions;
use stress_action::provider::{ExecRequest, LocalProvider, Provider};

fn sh(script: &str) -> ExecRequest {
    ExecRequest::new(["sh", "-c", script], Duration::from_secs(10))
}

#[tokio::test]
async fn checkpoint_waits_for_a_command_still_writing() {
    let p = std::sync::Arc::new(LocalProvider::new(LocalOptions::default()).unwrap());
    let sb = p.create().await.unwrap();
    let writer = {
        let (p, sb) = (p.clone(), sb.clone());
        tokio::spawn(async move {
            p.exec(&sb, &sh("printf part > data; sleep 0.4; printf ial >> data"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cp = p.checkpoint(&sb).await.unwrap();
    assert!(writer.await.unwrap().unwrap().success());
    let restored = p.restore(&cp).await.unwrap();
    // A snapshot taken mid-write would hold "part".
    assert_eq!(&p.read_file(&restored, "data").await.unwrap()[..], b"partial");
}

#[tokio::test]
async fn restores_are_independent_and_destroy_and_shutdown_clean_up() {
    let work = tempfile::tempdir().unwrap();
    let p = LocalProvider::new(LocalOptions {
        root: Some(work.path().to_path_buf()),
    })
    .unwrap();
    let sb = p.create().await.unwrap();
    p.write_file(&sb, "dir/file.txt", Bytes::from_static(b"one"))
        .await
        .unwrap();
    let cp = p.checkpoint(&sb).await.unwrap();
    let a = p.restore(&cp).await.unwrap();
    let b = p.restore(&cp).await.unwrap();
    p.write_file(&a, "dir/file.txt", Bytes::from_static(b"two"))
        .await
        .unwrap();
    assert_eq!(&p.read_file(&b, "dir/file.txt").await.unwrap()[..], b"one");

    for bad in ["../escape", "/etc/passwd", ""] {
        assert!(p.write_file(&a, bad, Bytes::new()).await.is_err(), "{bad}");
    }
    assert!(p
        .exec(&stress_action::provider::SandboxId("../x".into()), &sh("true"))
        .await
        .is_err());

    p.destroy(&a).await.unwrap();
    assert!(p.exec(&a, &sh("true")).await.is_err(), "a destroyed sandbox is gone");
    p.shutdown().await.unwrap();
    let left: Vec<_> = std::fs::read_dir(work.path().join("sandboxes")).unwrap().collect();
    assert!(left.is_empty(), "shutdown removes every sandbox it created");
    assert_eq!(std::fs::read_dir(work.path().join("checkpoints")).unwrap().count(), 0);
}
