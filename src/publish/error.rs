//! Why publishing failed; `main` maps these to exit codes (2 for bad input, 4 for a failed upload).

use crate::error::ConfigError;
use crate::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The run directory or a baseline could not be read: the input is wrong, not the network.
    #[error("{0}")]
    Input(String),
    #[error("S3: {0}")]
    S3(String),
    #[error("GitHub: {0}")]
    GitHub(String),
    /// summary.md, report.html or a chart could not be rendered from report.json.
    #[error("rendering failed: {0}")]
    Render(String),
    /// The history index could not be read or written (S3 or the local directory).
    #[error("history: {0}")]
    History(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<crate::s3::S3Error> for PublishError {
    fn from(e: crate::s3::S3Error) -> Self {
        PublishError::S3(e.0)
    }
}

impl PublishError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        PublishError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            PublishError::Config(_) | PublishError::Input(_) => ExitStatus::Usage,
            PublishError::S3(_)
            | PublishError::GitHub(_)
            | PublishError::Render(_)
            | PublishError::History(_)
            | PublishError::Io { .. } => ExitStatus::PublishFailed,
        }
    }
}
