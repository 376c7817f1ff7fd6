use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::*;

/// A platform in memory: destroys of ids listed in `refuse` fail with a 500, and once `dead` is set
/// every call fails the way a dead plugin's do.
#[derive(Default)]
struct Fake {
    next: AtomicU64,
    refuse: Mutex<Vec<String>>,
    destroyed: Mutex<Vec<String>>,
    dead: Mutex<Option<ProviderDeath>>,
}

impl Fake {
    fn dead(&self) -> Option<ProviderDeath> {
        self.dead.lock().unwrap().clone()
    }

    fn check(&self) -> ProviderResult<()> {
        match self.dead() {
            Some(d) => Err(ProviderError::provider(format!("call: {}", d.message))),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Provider for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    async fn create(&self) -> ProviderResult<SandboxId> {
        self.check()?;
        Ok(SandboxId(format!("sb-{}", self.next.fetch_add(1, Ordering::SeqCst))))
    }
    async fn exec(&self, _: &SandboxId, _: &ExecRequest) -> ProviderResult<ExecOutput> {
        self.check().map(|_| ExecOutput::default())
    }
    async fn write_file(&self, _: &SandboxId, _: &str, _: Bytes) -> ProviderResult<()> {
        self.check()
    }
    async fn read_file(&self, _: &SandboxId, _: &str) -> ProviderResult<Bytes> {
        self.check().map(|_| Bytes::new())
    }
    async fn checkpoint(&self, _: &SandboxId) -> ProviderResult<CheckpointId> {
        self.check().map(|_| CheckpointId("cp".into()))
    }
    async fn restore(&self, _: &CheckpointId) -> ProviderResult<SandboxId> {
        self.create().await
    }
    async fn destroy(&self, sb: &SandboxId) -> ProviderResult<()> {
        self.check()?;
        let mut refuse = self.refuse.lock().unwrap();
        if let Some(i) = refuse.iter().position(|r| *r == sb.0) {
            refuse.remove(i);
            return Err(ProviderError::http(500, "refused"));
        }
        self.destroyed.lock().unwrap().push(sb.0.clone());
        Ok(())
    }
    fn death(&self) -> Option<ProviderDeath> {
        self.dead()
    }
}

fn observer(fake: &Arc<Fake>, told: &Arc<AtomicU64>) -> Observer {
    let told = told.clone();
    Observer::new(
        fake.clone(),
        Box::new(move |_| {
            told.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

#[tokio::test]
async fn leaks_belong_to_the_workload_that_created_the_sandbox_and_are_swept() {
    let fake = Arc::new(Fake::default());
    let observer = observer(&fake, &Arc::default());
    let lifecycle = observer.for_workload("lifecycle");
    let storage = observer.for_workload("storage");
    let a = lifecycle.create().await.unwrap();
    let b = lifecycle.restore(&CheckpointId("cp".into())).await.unwrap();
    let c = storage.create().await.unwrap();
    fake.refuse.lock().unwrap().extend([a.0.clone(), b.0.clone()]);
    assert!(lifecycle.destroy(&a).await.is_err());
    assert!(storage.destroy(&c).await.is_ok());
    // `b` is refused once more by the workload's own destroy; `a` was never retried by it.
    assert!(lifecycle.destroy(&b).await.is_err());

    let sweep = lifecycle.finish().await;
    assert_eq!(
        sweep,
        Sweep {
            leaked: 2,
            swept: 2,
            unswept: 0
        }
    );
    assert_eq!(storage.finish().await, Sweep::default());
    let destroyed = fake.destroyed.lock().unwrap().clone();
    assert!(destroyed.contains(&a.0) && destroyed.contains(&b.0), "{destroyed:?}");

    let stats = observer.retry_stats();
    assert_eq!(stats["create"].calls, 2);
    assert_eq!(stats["restore"].calls, 1);
    assert_eq!(
        (stats["destroy"].calls, stats["destroy"].gave_up),
        (5, 2),
        "sweeps are destroys too"
    );
}

#[tokio::test]
async fn after_a_death_failures_carry_it_the_run_is_told_once_and_nothing_is_called_a_leak() {
    let fake = Arc::new(Fake::default());
    let told = Arc::new(AtomicU64::new(0));
    let observer = observer(&fake, &told);
    let before = observer.for_workload("checkpoint");
    before.create().await.unwrap();
    assert_eq!(before.finish().await.leaked, 0);
    let after = observer.for_workload("lifecycle");
    let alive = after.create().await.unwrap();

    let since = Instant::now();
    *fake.dead.lock().unwrap() = Some(ProviderDeath {
        message: "the plugin p exited (exit status: 1) at request 9".into(),
        since,
    });
    let err = after
        .exec(&alive, &ExecRequest::new(["true"], Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.message, "exec: the plugin p exited (exit status: 1) at request 9");
    assert!(after.destroy(&alive).await.is_err());
    assert!(after.create().await.is_err());
    assert_eq!(told.load(Ordering::SeqCst), 1, "told once");

    let sweep = after.finish().await;
    assert_eq!(
        sweep,
        Sweep {
            leaked: 0,
            swept: 0,
            unswept: 1
        },
        "a dead provider's destroys are no leak"
    );
    assert_eq!(observer.touched_since(since), vec!["lifecycle".to_string()]);
}
