//! The JSON bodies of protocol v1 (`docs/provider-protocol.md`), shared by the client and the
//! reference server so the two can never drift apart.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::provider::ExecOutput;

pub const PROTOCOL: &str = "v1";

/// Header carrying a client-chosen key that makes a POST safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub protocol: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SandboxCreated {
    pub id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExecBody {
    pub argv: Vec<String>,
    pub timeout_ms: u64,
}

/// Output bytes travel base64-encoded: commands may print anything, JSON strings must be UTF-8.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExecResult {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout_b64: String,
    pub stderr_b64: String,
    #[serde(default)]
    pub stdout_truncated: bool,
    #[serde(default)]
    pub stderr_truncated: bool,
}

impl ExecResult {
    pub fn from_output(out: &ExecOutput) -> Self {
        let b64 = base64::engine::general_purpose::STANDARD;
        Self {
            exit_code: out.exit_code,
            signal: out.signal,
            stdout_b64: b64.encode(&out.stdout),
            stderr_b64: b64.encode(&out.stderr),
            stdout_truncated: out.stdout_truncated,
            stderr_truncated: out.stderr_truncated,
        }
    }

    /// Decodes the output; a result with neither an exit code nor a signal is malformed.
    pub fn into_output(self) -> Result<ExecOutput, String> {
        if self.exit_code.is_none() && self.signal.is_none() {
            return Err("exec result has neither exit_code nor signal".to_string());
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let stdout = b64
            .decode(self.stdout_b64.as_bytes())
            .map_err(|e| format!("stdout_b64 is not base64: {e}"))?;
        let stderr = b64
            .decode(self.stderr_b64.as_bytes())
            .map_err(|e| format!("stderr_b64 is not base64: {e}"))?;
        Ok(ExecOutput {
            exit_code: self.exit_code,
            signal: self.signal,
            stdout,
            stderr,
            stdout_truncated: self.stdout_truncated,
            stderr_truncated: self.stderr_truncated,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointState {
    Pending,
    Ready,
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointStatus {
    pub id: String,
    pub status: CheckpointState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// `code` is machine-readable (`unauthorized`, `not_found`, `bad_request`, `too_large`, `timeout`,
/// `provider_error`, `injected_fault`); `message` is for people.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}
