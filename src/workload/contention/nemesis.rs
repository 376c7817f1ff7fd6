//! The `kill9` fault schedule: SIGKILL the store's writer processes at random moments while the
//! writers run. Writes in flight at a kill are indeterminate; every write acknowledged before must
//! still be in the store afterwards.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cancel::CancelToken;
use crate::config::contention::Kill9;
use crate::provider::{ExecRequest, SandboxId};
use crate::record::Event;
use crate::workload::WorkloadContext;

use super::WORKLOAD;

/// Kills until `stop` fires; returns how many kills signalled a process. Whether a kill really
/// hit a write shows on the write itself (it dies by SIGKILL), which is what the report counts.
pub async fn run_kill9(ctx: &WorkloadContext, sandbox: &SandboxId, kill9: &Kill9, stop: CancelToken) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x006b_696c_6c39);
    let mean = kill9.mean_interval.as_micros().max(2) as u64;
    // One process per kill (the oldest writer, usually the one holding the lock): a fault, not a
    // massacre, so most writes still run and get checked.
    let request = ExecRequest::new(["pkill", "-KILL", "-o", "-f", kill9.pattern.as_str()], ctx.exec_timeout);
    let mut hits = 0;
    loop {
        let wait = Duration::from_micros(rng.gen_range(mean / 2..=mean * 3 / 2));
        tokio::select! {
            _ = stop.cancelled() => return hits,
            _ = tokio::time::sleep(wait) => {}
        }
        // pkill exits 0 when it signalled something, 1 when nothing matched.
        if let Ok(out) = ctx.provider.exec(sandbox, &request).await {
            if out.success() {
                hits += 1;
                let mut event = Event::new(ctx.account(WORKLOAD), "kill9", Duration::ZERO);
                event.detail = Some(format!("SIGKILL sent to processes matching {:?}", kill9.pattern));
                ctx.recorder.events.write(&event);
            }
        }
    }
}
