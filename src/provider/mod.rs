//! The only way workloads touch a platform.
//!
//! One object-safe async trait, so a run holds an `Arc<dyn Provider>` chosen at start-up and every
//! workload is written once for every platform. Errors come back already classified
//! ([`ProviderError`] carries its [`InfraClass`]), so no workload guesses what a failure means.

pub mod command;
pub mod http;
mod infra;
pub mod local;
pub mod observed;
pub mod payload;
pub mod retry;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;

pub use infra::{signal_name, InfraClass};
pub use local::LocalProvider;
pub use payload::{Digest, Payload};

/// A platform-assigned sandbox handle; opaque to workloads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SandboxId(pub String);

/// A platform-assigned checkpoint handle; only returned once the checkpoint is ready to restore.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckpointId(pub String);

impl std::fmt::Display for SandboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A command run inside a sandbox, as an argv (no shell unless the caller asks for one).
#[derive(Clone, Debug)]
pub struct ExecRequest {
    pub argv: Vec<String>,
    pub timeout: Duration,
}

impl ExecRequest {
    pub fn new<I, S>(argv: I, timeout: Duration) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            timeout,
        }
    }

    /// The command as a person would type it, for logs and evidence.
    pub fn display(&self) -> String {
        self.argv.join(" ")
    }
}

/// What a finished command left behind. Output is captured up to a bound so a chatty process cannot
/// exhaust memory; `*_truncated` says when the bound was hit.
#[derive(Clone, Debug, Default)]
pub struct ExecOutput {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && self.signal.is_none()
    }

    /// The status as a shell reports it: the exit code, or 128 + signal for a process killed by one.
    pub fn shell_status(&self) -> i32 {
        match (self.exit_code, self.signal) {
            (_, Some(sig)) => 128 + sig,
            (Some(code), None) => code,
            (None, None) => -1,
        }
    }

    /// "exit 0", "exit 1", or "exit 139 (SIGSEGV)"; shells and remote platforms report death by a
    /// signal as an exit status above 128, so both spellings name the signal.
    pub fn status_text(&self) -> String {
        let status = self.shell_status();
        if status > 128 {
            format!("exit {status} ({})", signal_name(status - 128))
        } else {
            format!("exit {status}")
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A classified platform failure. The message must never contain credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{class}{}: {message}", status.map(|s| format!(" {s}")).unwrap_or_default())]
pub struct ProviderError {
    pub class: InfraClass,
    pub status: Option<u16>,
    pub message: String,
}

impl ProviderError {
    pub fn new(class: InfraClass, message: impl Into<String>) -> Self {
        Self {
            class,
            status: None,
            message: message.into(),
        }
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(InfraClass::Timeout, message)
    }

    pub fn provider(message: impl Into<String>) -> Self {
        Self::new(InfraClass::ProviderError, message)
    }

    pub fn http(status: u16, message: impl Into<String>) -> Self {
        Self {
            class: InfraClass::HttpError,
            status: Some(status),
            message: message.into(),
        }
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// A provider that stopped answering for good: a plugin that exited, a server unreachable since
/// some request. One such fact explains every later failure, so it is reported once
/// (report.json `provider_failure`) instead of once per failed operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderDeath {
    /// One line for people: what died and at which request ("the plugin python3 exited (exit
    /// status: 1) at request 180").
    pub message: String,
    /// When it stopped answering: a workload with a call ending at or after this instant was hit.
    pub since: Instant,
}

/// A sandbox platform. Implementations must be safe to call concurrently from many tasks.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Short name for reports ("local", "http", "command").
    fn name(&self) -> &'static str;

    /// Facts that help read the numbers (how checkpoints are taken, which endpoint), for report.json.
    fn environment(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    async fn create(&self) -> ProviderResult<SandboxId>;

    async fn exec(&self, sandbox: &SandboxId, request: &ExecRequest) -> ProviderResult<ExecOutput>;

    /// Writes `data` to `path`, relative to the sandbox's root; paths escaping the sandbox are refused.
    /// For small files (scripts, probes); markers and storage files go through
    /// [`Provider::write_payload`], which never holds them whole.
    async fn write_file(&self, sandbox: &SandboxId, path: &str, data: Bytes) -> ProviderResult<()>;

    async fn read_file(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Bytes>;

    /// Writes `payload` to `path` as it is generated, so a large file never sits in memory whole;
    /// answers the length and SHA-256 of what was sent. A retried attempt generates it again from
    /// the first byte. The default carries it whole through [`Provider::write_file`], for
    /// platforms that can only take a file in one piece.
    async fn write_payload(&self, sandbox: &SandboxId, path: &str, payload: &Payload) -> ProviderResult<Digest> {
        let (data, digest) = payload.to_bytes();
        self.write_file(sandbox, path, data).await?;
        Ok(digest)
    }

    /// The length and SHA-256 of the file at `path`, hashed as it is read, so verifying a large
    /// file never holds it whole. The default reads it whole through [`Provider::read_file`].
    async fn read_digest(&self, sandbox: &SandboxId, path: &str) -> ProviderResult<Digest> {
        let data = self.read_file(sandbox, path).await?;
        Ok(Digest::of(&data))
    }

    /// Returns once the checkpoint is ready to restore (implementations poll where the platform is
    /// asynchronous), so a returned id is always restorable.
    async fn checkpoint(&self, sandbox: &SandboxId) -> ProviderResult<CheckpointId>;

    /// Forks a new sandbox from a checkpoint.
    async fn restore(&self, checkpoint: &CheckpointId) -> ProviderResult<SandboxId>;

    async fn destroy(&self, sandbox: &SandboxId) -> ProviderResult<()>;

    /// Frees a checkpoint this run no longer needs. Platforms without the notion may ignore it.
    async fn delete_checkpoint(&self, _checkpoint: &CheckpointId) -> ProviderResult<()> {
        Ok(())
    }

    /// Releases everything the provider still holds for this run (called once, also after errors).
    async fn shutdown(&self) -> ProviderResult<()> {
        Ok(())
    }

    /// What the provider knows now, without any I/O, about having died: asked when a call fails, so
    /// the console and the report can stop repeating the same failure. `None` while it may answer.
    fn death(&self) -> Option<ProviderDeath> {
        None
    }

    /// Asked once after the workloads and before [`Provider::shutdown`]: did the provider die for
    /// good during the run? An HTTP provider checks health here, so a server that came back is not
    /// called dead.
    async fn confirm_death(&self) -> Option<ProviderDeath> {
        self.death()
    }
}
