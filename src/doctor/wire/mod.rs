//! The calls of the protocol as `doctor` makes them: one at a time, every answer kept as the
//! platform gave it (status, error code, the field that is wrong), where the providers of a run
//! retry and classify. The same checks run over HTTP ([`http::HttpWire`]) and over a command
//! plugin ([`plugin::PluginWire`]); what differs between the two is only how an answer is read.

pub mod http;
pub mod plugin;
pub mod shape;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::provider::http::wire::CheckpointStatus;
use crate::provider::ExecOutput;

/// Which protocol the wire speaks: some checks (auth, idempotency keys) exist only over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Http,
    Command,
}

/// Why a call did not succeed, as precisely as the platform said it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// An error answer: its status (HTTP, or the plugin's `status`) and its code (HTTP
    /// `error.code`, or the plugin's `class`).
    Answer {
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
    /// An answer the protocol does not allow: the message names the call and the field.
    Malformed(String),
    /// No answer: refused, reset, timed out, or the plugin gone.
    NoAnswer(String),
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Answer { status, .. } => *status,
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Failure::Answer { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Answer { status, code, message } => {
                let head: Vec<String> = [status.map(|s| s.to_string()), code.clone()]
                    .into_iter()
                    .flatten()
                    .collect();
                let head = if head.is_empty() {
                    "an error".to_string()
                } else {
                    head.join(" ")
                };
                write!(f, "{head} ({})", short(message, 160))
            }
            Failure::Malformed(why) => write!(f, "a malformed answer: {why}"),
            Failure::NoAnswer(why) => write!(f, "no answer: {why}"),
        }
    }
}

pub type Reply<T> = Result<T, Failure>;

/// A command as the checks send it.
#[derive(Clone, Copy, Debug)]
pub struct Exec<'a> {
    pub argv: &'a [&'a str],
    pub timeout: Duration,
    /// The idempotency key (HTTP only; a fresh one when `None`).
    pub key: Option<&'a str>,
}

impl<'a> Exec<'a> {
    pub fn new(argv: &'a [&'a str], timeout: Duration) -> Self {
        Self {
            argv,
            timeout,
            key: None,
        }
    }
}

/// Every operation of the protocol, one attempt each, with a deadline per call.
#[async_trait]
pub trait Wire: Send + Sync {
    fn kind(&self) -> Kind;
    async fn health(&self) -> Reply<serde_json::Value>;
    /// `key`: the idempotency key to send (HTTP); a fresh one when `None`.
    async fn create(&self, key: Option<&str>) -> Reply<String>;
    async fn exec(&self, sandbox: &str, exec: Exec<'_>) -> Reply<ExecOutput>;
    async fn write_file(&self, sandbox: &str, path: &str, data: Bytes) -> Reply<()>;
    async fn read_file(&self, sandbox: &str, path: &str) -> Reply<Bytes>;
    async fn checkpoint(&self, sandbox: &str) -> Reply<CheckpointStatus>;
    async fn checkpoint_status(&self, checkpoint: &str) -> Reply<CheckpointStatus>;
    async fn restore(&self, checkpoint: &str) -> Reply<String>;
    async fn destroy(&self, sandbox: &str) -> Reply<()>;
    async fn delete_checkpoint(&self, checkpoint: &str) -> Reply<()>;
    /// Ends the conversation (a plugin's stdin is closed, then it is stopped).
    async fn shutdown(&self) {}
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        text.chars().take(max).collect::<String>() + "…"
    } else {
        text.to_string()
    }
}
