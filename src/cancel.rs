//! Cooperative cancellation: Ctrl-C stops new work, but in-flight operations get a grace period so
//! their outcomes are recorded rather than lost.

use tokio::sync::watch;

/// A cloneable flag that workloads poll before issuing work and await while waiting.
#[derive(Clone, Debug)]
pub struct CancelToken {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(false);
        Self {
            tx: std::sync::Arc::new(tx),
        }
    }

    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`CancelToken::cancel`] has been called (immediately if it already was).
    pub async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        // An error means the sender is gone, which cannot happen while `self` holds it.
        let _ = rx.wait_for(|c| *c).await;
    }
}
