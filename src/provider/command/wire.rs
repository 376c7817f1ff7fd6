//! JSON-lines messages between stress-action and a provider plugin (`docs/provider-protocol.md`).
//! One request or response per line; `id` pairs them, so many requests can be in flight at once.

use serde::{Deserialize, Serialize};

use crate::provider::InfraClass;
use crate::provider::ProviderError;

/// One line to the plugin. `op` selects the operation; the other fields are the operation's.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    pub id: u64,
    pub op: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argv: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
    /// Written by [`Request::to_line`] itself, not by serde (see there).
    #[serde(skip)]
    pub data_b64: Option<String>,
}

impl<'a> Request<'a> {
    pub fn new(op: &'a str) -> Self {
        Self {
            id: 0,
            op,
            sandbox: None,
            checkpoint: None,
            argv: None,
            timeout_ms: None,
            path: None,
            data_b64: None,
        }
    }
}

impl Request<'_> {
    /// The request as one JSON line. File contents are appended as they are: base64 needs no JSON
    /// escaping, and serde's escaping scan of a 22 MB string (a 16 MiB file) took seconds.
    pub fn to_line(&self) -> serde_json::Result<Vec<u8>> {
        let mut line = serde_json::to_vec(self)?;
        if let Some(data) = &self.data_b64 {
            line.pop(); // the closing brace
            line.extend_from_slice(b",\"data_b64\":\"");
            line.extend_from_slice(data.as_bytes());
            line.extend_from_slice(b"\"}");
        }
        line.push(b'\n');
        Ok(line)
    }
}

/// One line from the plugin: `ok` with a `result`, or not `ok` with an `error`.
#[derive(Debug, Deserialize)]
pub struct Response {
    pub id: u64,
    pub ok: bool,
    #[serde(default)]
    pub result: serde_json::Value,
    #[serde(default)]
    pub error: Option<PluginError>,
}

/// The plugin classifies its own failures, as the HTTP client does: it knows what its SDK said.
#[derive(Debug, Deserialize)]
pub struct PluginError {
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub message: String,
}

impl PluginError {
    pub fn into_provider_error(self, op: &str) -> ProviderError {
        let class = match self.class.as_deref() {
            Some("timeout") => InfraClass::Timeout,
            Some("http_error") => InfraClass::HttpError,
            Some("network_error") => InfraClass::NetworkError,
            _ => InfraClass::ProviderError,
        };
        ProviderError {
            class,
            status: self.status,
            message: format!("{op}: {}", self.message),
        }
    }
}

/// `{"data_b64": "..."}`: the result of `read_file`.
#[derive(Debug, Deserialize)]
pub struct FileData {
    pub data_b64: String,
}

/// Why a line from the plugin pairs with no request, for a warning: most often an `id` sent back
/// as a string (`"7"`), which the protocol does not pair with request 7.
pub fn unpaired(line: &[u8]) -> String {
    let shown = String::from_utf8_lossy(&line[..line.len().min(120)])
        .trim_end()
        .to_string();
    match serde_json::from_slice::<serde_json::Value>(line) {
        Err(e) => format!("sent a line that is not JSON ({e}): {shown:?}"),
        Ok(value) => match value.get("id") {
            None => format!("sent a response without `id`: {shown:?}"),
            Some(id) if !id.is_u64() => {
                format!("sent `id` {id}; the protocol says the request's integer id, as sent: {shown:?}")
            }
            Some(_) => format!("sent a response of the wrong shape (`ok` must be a boolean): {shown:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{unpaired, Request};

    #[test]
    fn file_contents_are_appended_to_the_line_as_json() {
        let mut req = Request::new("write_file");
        req.id = 4;
        req.path = Some("a \"b\".bin");
        req.data_b64 = Some("AAEC/+8=".into());
        let line = req.to_line().unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"id": 4, "op": "write_file", "path": "a \"b\".bin", "data_b64": "AAEC/+8="})
        );
        req.data_b64 = None;
        let value: serde_json::Value = serde_json::from_slice(&req.to_line().unwrap()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"id": 4, "op": "write_file", "path": "a \"b\".bin"})
        );
    }

    #[test]
    fn an_unpaired_line_says_what_is_wrong_with_it() {
        assert!(unpaired(br#"{"id": "7", "ok": true}"#)
            .contains("sent `id` \"7\"; the protocol says the request's integer id"));
        assert!(unpaired(b"hello").contains("not JSON"));
        assert!(unpaired(br#"{"ok": true}"#).contains("without `id`"));
        assert!(unpaired(br#"{"id": 7, "ok": "yes"}"#).contains("`ok` must be a boolean"));
    }
}
