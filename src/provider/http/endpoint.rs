//! What `--endpoint` names: the base URL the protocol's paths are appended to.
//!
//! Every path of protocol v1 starts with `/v1`, and the client adds it. A platform engineer who
//! reads "all paths start with /v1" often gives the endpoint with that suffix, and the client then
//! asked for `/v1/v1/health` and reported a server that works as unreachable. Both spellings are
//! accepted: a trailing `/v1` is taken off once, and the note says so, so a run log shows which URL
//! was really used.

/// The base URL to append `/v1/...` to, and what was changed to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub base: String,
    /// Set when the endpoint was given with the `/v1` suffix.
    pub note: Option<String>,
}

/// `http://host/v1/` → `http://host`, noted; `http://host/api` stays as it is.
pub fn normalize(given: &str) -> Endpoint {
    let trimmed = given.trim_end_matches('/');
    match trimmed.strip_suffix("/v1") {
        Some(base) if !base.ends_with(':') && !base.ends_with('/') => Endpoint {
            base: base.to_string(),
            note: Some(format!(
                "--endpoint {given} ends with /v1; the client adds /v1 to every path itself, so it uses {base}"
            )),
        },
        _ => Endpoint {
            base: trimmed.to_string(),
            note: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_suffix_is_taken_off_once_and_named() {
        let plain = normalize("http://127.0.0.1:8080/");
        assert_eq!((plain.base.as_str(), plain.note), ("http://127.0.0.1:8080", None));
        let suffixed = normalize("http://127.0.0.1:8080/v1/");
        assert_eq!(suffixed.base, "http://127.0.0.1:8080");
        let note = suffixed.note.expect("named");
        assert!(
            note.contains("ends with /v1") && note.contains("uses http://127.0.0.1:8080"),
            "{note}"
        );
        assert_eq!(normalize("https://x.example/api/v1").base, "https://x.example/api");
        assert_eq!(
            normalize("https://x.example/api/v1/v1").base,
            "https://x.example/api/v1"
        );
        assert_eq!(normalize("https://x.example/api/v10").base, "https://x.example/api/v10");
        assert_eq!(normalize("https://x.example/apiv1").base, "https://x.example/apiv1");
    }
}
