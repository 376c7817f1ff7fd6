//! The gate that lines up the checkpoints of one wave of rounds. The rounds of a wave set up their
//! origins (sandbox, marker, commit) side by side, at different speeds; the gate holds each one that
//! is ready to checkpoint until every round of the wave is ready or out, then lets all of them
//! request their checkpoints at once. Without it, rounds that finished their setup at different
//! moments would checkpoint one after another and a "storm" would never have more than one or two
//! checkpoints in flight.
//!
//! A round whose setup failed, whose task died, or that was cancelled never holds the others: its
//! [`WaveTicket`] leaves the gate when dropped.

use std::sync::Arc;

use tokio::sync::watch;

use crate::cancel::CancelToken;

/// One wave's gate: how many of its rounds are still setting up.
pub struct WaveGate {
    setting_up: watch::Sender<usize>,
}

impl WaveGate {
    /// A gate for `rounds` rounds, with one ticket each.
    pub fn tickets(rounds: usize) -> Vec<WaveTicket> {
        let gate = Arc::new(WaveGate {
            setting_up: watch::Sender::new(rounds),
        });
        (0..rounds)
            .map(|_| WaveTicket {
                gate: gate.clone(),
                counted: true,
            })
            .collect()
    }

    fn done_setting_up(&self) {
        self.setting_up.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A round's place at its wave's gate.
pub struct WaveTicket {
    gate: Arc<WaveGate>,
    /// Whether this round still counts as setting up.
    counted: bool,
}

impl WaveTicket {
    /// Ready to checkpoint: waits until no round of the wave is still setting up (or the run is
    /// cancelled, which must not leave a round waiting for others that will never come).
    pub async fn arrive(mut self, cancel: &CancelToken) {
        self.counted = false;
        self.gate.done_setting_up();
        let mut rx = self.gate.setting_up.subscribe();
        tokio::select! {
            _ = rx.wait_for(|n| *n == 0) => {}
            _ = cancel.cancelled() => {}
        }
    }
}

impl Drop for WaveTicket {
    fn drop(&mut self) {
        if self.counted {
            self.gate.done_setting_up();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_gate_opens_when_every_round_arrived_or_left() {
        let cancel = CancelToken::new();
        let mut tickets = WaveGate::tickets(3);
        let (a, b, c) = (tickets.remove(0), tickets.remove(0), tickets.remove(0));
        let first = {
            let cancel = cancel.clone();
            tokio::spawn(async move { a.arrive(&cancel).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!first.is_finished(), "two rounds are still setting up");
        drop(b); // a failed setup leaves the gate
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!first.is_finished(), "one round is still setting up");
        tokio::time::timeout(Duration::from_secs(5), c.arrive(&cancel))
            .await
            .expect("the last arrival opens the gate");
        tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .expect("everyone waiting goes")
            .unwrap();
    }

    #[tokio::test]
    async fn cancellation_opens_the_gate() {
        let cancel = CancelToken::new();
        let mut tickets = WaveGate::tickets(2);
        let waiting = tickets.remove(0);
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiting.arrive(&cancel))
            .await
            .expect("a cancelled run never waits at the gate");
    }
}
