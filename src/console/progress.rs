//! Progress on long work: an indicatif bar when stderr is a terminal, a plain line every few seconds
//! otherwise, so CI logs show the run is alive without drowning in redraws.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;

use super::Console;
use crate::cancel::CancelToken;
use crate::record::Counts;

pub type CountsFn = Arc<dyn Fn() -> Counts + Send + Sync>;

pub struct Progress {
    stop: CancelToken,
    task: Option<JoinHandle<()>>,
}

/// How often a non-terminal progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn start(console: Arc<Console>, label: &str, total: u64, counts: CountsFn) -> Self {
        let stop = CancelToken::new();
        if console.is_quiet() {
            return Self { stop, task: None };
        }
        let label = label.to_string();
        let stopped = stop.clone();
        let task = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {msg} ({elapsed})") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label);
            tokio::spawn(async move {
                loop {
                    let c = counts();
                    bar.set_position(c.verified + c.corrupted + c.infra);
                    bar.set_message(format!("corrupted {} infra {}", c.corrupted, c.infra));
                    tokio::select! {
                        _ = stopped.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
                bar.finish_and_clear();
            })
        } else {
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stopped.cancelled() => break,
                        _ = tokio::time::sleep(PLAIN_EVERY) => {}
                    }
                    let c = counts();
                    console.say(&format!(
                        "progress: {label} {}/{total} done (verified {}, corrupted {}, infra {})",
                        c.verified + c.corrupted + c.infra,
                        c.verified,
                        c.corrupted,
                        c.infra
                    ));
                }
            })
        };
        Self { stop, task: Some(task) }
    }

    pub async fn finish(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
