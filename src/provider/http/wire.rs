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

impl CheckpointState {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

const STATES: &str = "\"pending\", \"ready\" or \"failed\"";

impl CheckpointStatus {
    /// Reads a checkpoint answer of `op` (`checkpoint`, `checkpoint_status`), naming the field a
    /// platform got wrong: `"status": "done"` must read as a protocol mistake, not as a checkpoint
    /// that never became ready.
    pub fn from_answer(op: &str, answer: &serde_json::Value) -> Result<Self, String> {
        let Some(fields) = answer.as_object() else {
            return Err(format!(
                "{op} answered {}, the protocol says an object with `id` and `status`",
                shown(answer)
            ));
        };
        let id = match fields.get("id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(other) => {
                return Err(format!(
                    "{op} answered `id` {}, the protocol says a string",
                    shown(other)
                ))
            }
            None => return Err(format!("{op} answered without `id`")),
        };
        let status = match fields.get("status") {
            None => return Err(format!("{op} answered without `status`; the protocol says {STATES}")),
            Some(value) => value
                .as_str()
                .and_then(CheckpointState::parse)
                .ok_or_else(|| format!("{op} answered `status` {}; the protocol says {STATES}", shown(value)))?,
        };
        let error = fields.get("error").and_then(|e| e.as_str()).map(str::to_string);
        Ok(Self { id, status, error })
    }
}

fn shown(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        text.chars().take(80).collect::<String>() + "…"
    } else {
        text
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checkpoint_answers_name_the_field_that_is_wrong() {
        let ok = CheckpointStatus::from_answer("checkpoint", &json!({"id": "cp-1", "status": "ready"})).unwrap();
        assert_eq!((ok.id.as_str(), ok.status), ("cp-1", CheckpointState::Ready));
        let failed = json!({"id": "cp-1", "status": "failed", "error": "disk full"});
        let failed = CheckpointStatus::from_answer("checkpoint_status", &failed).unwrap();
        assert_eq!(failed.error.as_deref(), Some("disk full"));

        let err = |v| CheckpointStatus::from_answer("checkpoint", &v).unwrap_err();
        assert_eq!(
            err(json!({"id": "cp-1", "status": "done"})),
            "checkpoint answered `status` \"done\"; the protocol says \"pending\", \"ready\" or \"failed\""
        );
        assert!(err(json!({"id": "cp-1"})).starts_with("checkpoint answered without `status`"));
        assert!(err(json!({"status": "ready"})).contains("without `id`"));
        assert!(err(json!({"id": 7, "status": "ready"})).contains("`id` 7"));
        assert!(err(json!(["ready"])).contains("an object with `id` and `status`"));
    }
}
