//! A `stress-action serve` child process the chaos workload owns, so it can kill it, restart it on
//! the same root (acknowledged checkpoints must survive) and reopen it with fault flags for a window.
//!
//! The child is this very binary (`current_exe`), listening on a loopback port that stays the same
//! across restarts so the HTTP provider pointed at it never changes. Its stderr is kept (last lines
//! only) for the evidence of a failed scenario.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How many lines of the server's log the evidence keeps.
const LOG_LINES: usize = 40;
/// A restarted server may have to wait for the port to be free again.
const START_TIMEOUT: Duration = Duration::from_secs(15);

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
        if let Some(stderr) = child.stderr.take() {
            let log = self.log.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    if log.len() == LOG_LINES {
                        log.pop_front();
                    }
                    log.push_back(line);
                }
            });
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
