//! Library errors and the exit codes they map to. Only `main` turns these into a process exit.

use crate::report::Verdict;

/// A configuration mistake. `field` is the flag as the user would type it (`--concurrency`), so
/// every layer that validates input (config, publishing, the server's fault flags) names the same
/// thing the user has to fix, and `main` maps it to exit 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid {field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a run could not produce a verdict at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The provider could not be set up (unreachable endpoint, rejected credentials): nothing ran.
    #[error("provider setup failed: {0}")]
    ProviderSetup(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl RunError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RunError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            RunError::Config(_) | RunError::ProviderSetup(_) => ExitStatus::Usage,
            RunError::Io { .. } => ExitStatus::Fail,
        }
    }
}

/// The process exit codes the README promises; scripts and the action branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Pass = 0,
    Fail = 1,
    Usage = 2,
    Inconclusive = 3,
    PublishFailed = 4,
    Interrupted = 130,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_verdict(verdict: Verdict, interrupted: bool) -> Self {
        if interrupted {
            return ExitStatus::Interrupted;
        }
        match verdict {
            Verdict::Pass => ExitStatus::Pass,
            Verdict::Fail => ExitStatus::Fail,
            Verdict::Inconclusive => ExitStatus::Inconclusive,
        }
    }
}
