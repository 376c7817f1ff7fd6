//! The shapes of protocol v1's answers, checked field by field. The run's client reads answers
//! into types and reports the first thing serde disliked; a platform engineer needs the field, what
//! it held and what the protocol says instead.

use base64::Engine;
use serde_json::Value;

use crate::provider::http::wire::CheckpointStatus;
use crate::provider::ExecOutput;

use super::short;

fn shown(value: &Value) -> String {
    short(&value.to_string(), 80)
}

fn object<'a>(op: &str, answer: &'a Value, fields: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    answer.as_object().ok_or_else(|| {
        format!(
            "{op} answered {}, the protocol says an object with {fields}",
            shown(answer)
        )
    })
}

/// `{"status": "ok", "protocol": "v1"}`.
pub fn health(answer: &Value) -> Result<(), String> {
    let fields = object("health", answer, "`status` and `protocol`")?;
    for (field, want) in [("status", "ok"), ("protocol", "v1")] {
        match fields.get(field) {
            Some(Value::String(v)) if v == want => {}
            Some(other) => {
                return Err(format!(
                    "health answered `{field}` {}, the protocol says \"{want}\"",
                    shown(other)
                ))
            }
            None => {
                return Err(format!(
                    "health answered without `{field}` (the protocol says \"{want}\")"
                ))
            }
        }
    }
    Ok(())
}

/// `{"id": "sb-1"}`: the answer of create and restore.
pub fn created(op: &str, answer: &Value) -> Result<String, String> {
    let fields = object(op, answer, "`id`")?;
    match fields.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        Some(other) => Err(format!(
            "{op} answered `id` {}, the protocol says a non-empty string",
            shown(other)
        )),
        None => Err(format!("{op} answered without `id`")),
    }
}

/// A checkpoint answer: `id` a non-empty string, `status` one of pending, ready, failed.
pub fn checkpoint(op: &str, answer: &Value) -> Result<CheckpointStatus, String> {
    let status = CheckpointStatus::from_answer(op, answer)?;
    if status.id.is_empty() {
        return Err(format!("{op} answered an empty `id`"));
    }
    Ok(status)
}

fn int_or_null(fields: &serde_json::Map<String, Value>, field: &str) -> Result<Option<i32>, String> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().and_then(|n| i32::try_from(n).ok()).map(Some).ok_or_else(|| {
            format!(
                "exec answered `{field}` {}, the protocol says an integer or null",
                shown(v)
            )
        }),
    }
}

fn bytes_b64(fields: &serde_json::Map<String, Value>, op: &str, field: &str) -> Result<Vec<u8>, String> {
    match fields.get(field) {
        Some(Value::String(text)) => base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| format!("{op} answered `{field}` that is not base64 ({e})")),
        Some(other) => Err(format!(
            "{op} answered `{field}` {}, the protocol says a base64 string",
            shown(other)
        )),
        None => Err(format!("{op} answered without `{field}`")),
    }
}

fn flag(fields: &serde_json::Map<String, Value>, field: &str) -> Result<bool, String> {
    match fields.get(field) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "exec answered `{field}` {}, the protocol says true or false",
            shown(other)
        )),
    }
}

/// An exec answer: `exit_code` and `signal` integers or null (not both null), output in base64.
pub fn exec(answer: &Value) -> Result<ExecOutput, String> {
    let fields = object("exec", answer, "`exit_code`, `signal`, `stdout_b64` and `stderr_b64`")?;
    let exit_code = int_or_null(fields, "exit_code")?;
    let signal = int_or_null(fields, "signal")?;
    if exit_code.is_none() && signal.is_none() {
        return Err("exec answered neither `exit_code` nor `signal`; one of them must be an integer".into());
    }
    Ok(ExecOutput {
        exit_code,
        signal,
        stdout: bytes_b64(fields, "exec", "stdout_b64")?,
        stderr: bytes_b64(fields, "exec", "stderr_b64")?,
        stdout_truncated: flag(fields, "stdout_truncated")?,
        stderr_truncated: flag(fields, "stderr_truncated")?,
    })
}

/// `{"data_b64": "..."}`: a command plugin's read_file result.
pub fn file_data(answer: &Value) -> Result<Vec<u8>, String> {
    let fields = object("read_file", answer, "`data_b64`")?;
    bytes_b64(fields, "read_file", "data_b64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_is_named_when_it_is_wrong() {
        assert_eq!(health(&json!({"status": "ok", "protocol": "v1"})), Ok(()));
        assert!(health(&json!({"status": "ok"}))
            .unwrap_err()
            .contains("without `protocol`"));
        assert!(health(&json!({"status": "up", "protocol": "v1"}))
            .unwrap_err()
            .contains("`status` \"up\""));
        assert_eq!(created("create", &json!({"id": "sb-1"})), Ok("sb-1".into()));
        assert!(created("restore", &json!({"id": 7})).unwrap_err().contains("`id` 7"));
        assert!(created("create", &json!({"sandbox": "x"}))
            .unwrap_err()
            .contains("without `id`"));
        let out = exec(&json!({"exit_code": null, "signal": 11, "stdout_b64": "aGk=", "stderr_b64": ""})).unwrap();
        assert_eq!(
            (out.exit_code, out.signal, out.stdout.as_slice()),
            (None, Some(11), b"hi".as_slice())
        );
        assert!(exec(&json!({"exit_code": "0", "stdout_b64": "", "stderr_b64": ""}))
            .unwrap_err()
            .contains("`exit_code` \"0\""));
        assert!(
            exec(&json!({"exit_code": null, "signal": null, "stdout_b64": "", "stderr_b64": ""}))
                .unwrap_err()
                .contains("neither")
        );
        assert!(exec(&json!({"exit_code": 0, "stdout": "hi", "stderr_b64": ""}))
            .unwrap_err()
            .contains("without `stdout_b64`"));
        assert!(exec(&json!({"exit_code": 0, "stdout_b64": "!!", "stderr_b64": ""}))
            .unwrap_err()
            .contains("not base64"));
        assert!(checkpoint("checkpoint", &json!({"id": "", "status": "ready"})).is_err());
        assert_eq!(file_data(&json!({"data_b64": "AP8="})), Ok(vec![0, 255]));
    }
}
