//! A `stress-action serve` child process the chaos workload owns, so it can kill it, restart it on
//! the same root (acknowledged checkpoints must survive) and reopen it with fault flags for a window.
//!
//! The child is this very binary (`current_exe`), listening on a loopback port that stays the same
//! across restarts so the HTTP provider pointed at it never changes. Its stderr is kept (last lines
//! only) for the evidence of a failed scenario, and read for the faults it injected: `serve` prints
//! one `fault: …` line per request it failed and, when stopped with SIGTERM, a
//! `faults injected: latency N, error N, …` summary, so a window counts the requests it really hit.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How many lines of the server's log the evidence keeps.
const LOG_LINES: usize = 40;
/// A restarted server may have to wait for the port to be free again.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// A SIGTERMed `serve` drains in-flight requests for up to 5 s; after this it is SIGKILLed.
const STOP_TIMEOUT: Duration = Duration::from_secs(8);

/// The faults one `serve` process reported on its stderr.
#[derive(Default)]
struct FaultTally {
    /// `fault: …` lines: one per request failed (error, reset, hang) or corrupted.
    lines: AtomicU64,
    /// The total of the shutdown summary, every kind (latency included), once printed.
    summary: Mutex<Option<u64>>,
}

impl FaultTally {
    fn observe(&self, line: &str) {
        if line.starts_with("fault: ") {
            self.lines.fetch_add(1, Ordering::Relaxed);
        } else if let Some(total) = parse_fault_summary(line) {
            *self.summary.lock().unwrap_or_else(|p| p.into_inner()) = Some(total);
        }
    }

    /// Requests the process faulted: its own summary when it printed one, else the lines (which
    /// leave out latency).
    fn total(&self) -> u64 {
        let summary = *self.summary.lock().unwrap_or_else(|p| p.into_inner());
        summary.unwrap_or_else(|| self.lines.load(Ordering::Relaxed))
    }
}

/// The sum of `faults injected: latency 3, error 0, reset 1, timeout 0, corrupt_read 0`.
fn parse_fault_summary(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("faults injected: ")?;
    rest.split(", ")
        .map(|part| part.rsplit_once(' ').and_then(|(_, n)| n.trim().parse::<u64>().ok()))
        .sum()
}

#[derive(Debug, thiserror::Error)]
pub enum ServeChildError {
    #[error("cannot find the stress-action binary to start `serve`: {0}")]
    Exe(std::io::Error),
    #[error("cannot start `stress-action serve`: {0}")]
    Spawn(std::io::Error),
    #[error("`stress-action serve` did not report its address within {START_TIMEOUT:?}; its log: {0}")]
    NoAddress(String),
}

pub struct ServeChild {
    exe: PathBuf,
    root: PathBuf,
    addr: String,
    child: Option<Child>,
    log: Arc<Mutex<VecDeque<String>>>,
    /// What the current process reported about its faults, and the task reading its stderr.
    faults: Arc<FaultTally>,
    stderr_reader: Option<JoinHandle<()>>,
    /// Starts after the first: restarts and fault windows.
    pub restarts: u64,
}

/// The binary to run as `serve`: this executable, or, when running inside a test harness binary
/// (`target/*/deps/NAME-HASH`), the `stress-action` binary next to `deps/`.
fn serve_exe() -> std::io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let is_tool = me
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "stress-action");
    if is_tool {
        return Ok(me);
    }
    let sibling = me
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("stress-action"))
        .filter(|p| p.is_file());
    sibling.ok_or_else(|| std::io::Error::other(format!("{} is not stress-action", me.display())))
}

impl ServeChild {
    /// Starts `serve` on `root`, on a free loopback port.
    pub async fn start(root: &Path) -> Result<Self, ServeChildError> {
        let mut serve = ServeChild {
            exe: serve_exe().map_err(ServeChildError::Exe)?,
            root: root.to_path_buf(),
            addr: "127.0.0.1:0".into(),
            child: None,
            log: Arc::default(),
            faults: Arc::default(),
            stderr_reader: None,
            restarts: 0,
        };
        serve.spawn(&[]).await?;
        Ok(serve)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no graceful drain, requests in flight die with the process.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Stops the server with SIGTERM (SIGKILL if it does not exit in time) and returns how many
    /// requests it faulted, as it reported on its stderr.
    pub async fn stop(&mut self) -> u64 {
        if let Some(mut child) = self.child.take() {
            let terminated = child.id().is_some_and(|pid| {
                // SAFETY: kill(2) on the pid of a child this process spawned and has not reaped.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) == 0 }
            });
            let exited = terminated && tokio::time::timeout(STOP_TIMEOUT, child.wait()).await.is_ok();
            if !exited {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
        // The summary is the last thing the process prints: wait for its stderr to close.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
        }
        self.faults.total()
    }

    /// Kills the server and starts it again on the same root and port with `fault_flags`.
    pub async fn restart(&mut self, fault_flags: &[String]) -> Result<(), ServeChildError> {
        self.kill().await;
        self.restarts += 1;
        self.spawn(fault_flags).await
    }

    /// The last lines the server printed, for evidence.
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    async fn spawn(&mut self, fault_flags: &[String]) -> Result<(), ServeChildError> {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_once(fault_flags).await {
                Ok(()) => return Ok(()),
                // The port of the killed server may not be free yet: try again until the deadline.
                Err(ServeChildError::NoAddress(_)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn spawn_once(&mut self, fault_flags: &[String]) -> Result<(), ServeChildError> {
        let mut child = Command::new(&self.exe)
            .arg("serve")
            .arg("--addr")
            .arg(&self.addr)
            .arg("--root")
            .arg(&self.root)
            .args(fault_flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(ServeChildError::Spawn)?;
        self.faults = Arc::default();
        if let Some(stderr) = child.stderr.take() {
            let (log, faults) = (self.log.clone(), self.faults.clone());
            self.stderr_reader = Some(tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    faults.observe(&line);
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    if log.len() == LOG_LINES {
                        log.pop_front();
                    }
                    log.push_back(line);
                }
            }));
        }
        let Some(stdout) = child.stdout.take() else {
            return Err(ServeChildError::NoAddress("no stdout".into()));
        };
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line()).await;
        let addr = match first {
            Ok(Ok(Some(line))) => line
                .strip_prefix("listening on http://")
                .map(str::to_string)
                .ok_or_else(|| ServeChildError::NoAddress(format!("unexpected first line {line:?}"))),
            _ => Err(ServeChildError::NoAddress(String::new())),
        };
        let addr = match addr {
            Ok(addr) => addr,
            Err(ServeChildError::NoAddress(why)) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                // Give the stderr reader a moment to collect the reason.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Err(ServeChildError::NoAddress(format!("{why} {}", self.log_tail())));
            }
            Err(e) => return Err(e),
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.addr = addr;
        self.child = Some(child);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_faults_serve_reports() {
        assert_eq!(
            parse_fault_summary("faults injected: latency 3, error 2, reset 1, timeout 0, corrupt_read 0"),
            Some(6)
        );
        assert_eq!(parse_fault_summary("faults injected: latency x"), None);
        assert_eq!(parse_fault_summary("serving protocol v1"), None);
        let tally = FaultTally::default();
        tally.observe("fault: Error(503) on exec (#1 of its kind)");
        tally.observe("fault: Reset on restore (#1 of its kind)");
        assert_eq!(tally.total(), 2, "without a summary, the lines count");
        tally.observe("faults injected: latency 7, error 1, reset 1, timeout 0, corrupt_read 0");
        assert_eq!(tally.total(), 9, "the summary counts latency too");
    }
}
