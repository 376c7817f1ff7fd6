//! Turning what the wire did into an infra class. The rule of thumb: no answer in time is `timeout`,
//! no usable connection is `network_error`, an answer with an error status is `http_error` (status
//! kept), and an answer we cannot understand is `provider_error` — never corruption, never a panic.

use std::error::Error as _;

use crate::provider::InfraClass;
use crate::provider::ProviderError;

/// Statuses worth another attempt: the platform said "not now", not "never".
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504 | 520..=524)
}

/// The class of an error response. A `timeout` code means the command itself ran out of time inside
/// the sandbox, which is a timeout whatever status carried it.
pub fn class_of_status(status: u16, code: Option<&str>) -> InfraClass {
    if code == Some("timeout") {
        InfraClass::Timeout
    } else if (200..300).contains(&status) {
        InfraClass::ProviderError
    } else {
        InfraClass::HttpError
    }
}

/// Whether a transport failure may be retried: anything but a response we could not understand.
pub fn is_retryable(err: &ProviderError) -> bool {
    match err.class {
        InfraClass::Timeout | InfraClass::NetworkError => true,
        InfraClass::HttpError => err.status.is_some_and(is_retryable_status),
        InfraClass::ProviderError => false,
    }
}

/// Classifies a failure to send a request or to receive its response head.
pub fn classify_send_error(op: &str, err: &reqwest::Error) -> ProviderError {
    let chain = error_chain(err);
    if err.is_timeout() {
        return ProviderError::timeout(format!("{op}: no response in time ({chain})"));
    }
    if unparsable_answer(err) {
        return ProviderError::provider(format!(
            "{op}: the server answered with something that is not HTTP ({chain})"
        ));
    }
    ProviderError::new(InfraClass::NetworkError, format!("{op}: {chain}"))
}

/// Classifies a failure while reading a body whose head already arrived: a reset is the network,
/// a body that ends early is a response we cannot use.
pub fn classify_body_error(op: &str, err: &reqwest::Error) -> ProviderError {
    let chain = error_chain(err);
    if err.is_timeout() {
        return ProviderError::timeout(format!("{op}: response body not received in time ({chain})"));
    }
    if io_kind(err) == Some(std::io::ErrorKind::ConnectionReset) {
        return ProviderError::new(InfraClass::NetworkError, format!("{op}: {chain}"));
    }
    ProviderError::provider(format!("{op}: truncated or unreadable response body ({chain})"))
}

/// The server did answer, but with a response head HTTP cannot parse.
fn unparsable_answer(err: &reqwest::Error) -> bool {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            return h.is_parse() || h.is_parse_status() || h.is_parse_too_large();
        }
        source = e.source();
    }
    false
}

fn io_kind(err: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

/// "error sending request: connection refused": the whole chain, which names the real cause.
fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_classes_and_retries() {
        for status in [429, 502, 503, 524] {
            assert_eq!(class_of_status(status, None), InfraClass::HttpError);
            assert!(is_retryable_status(status), "{status}");
            assert!(is_retryable(&ProviderError::http(status, "x")));
        }
        for status in [400, 401, 403, 404, 413, 501] {
            assert_eq!(class_of_status(status, Some("bad_request")), InfraClass::HttpError);
            assert!(!is_retryable_status(status), "{status}");
        }
        assert_eq!(class_of_status(504, Some("timeout")), InfraClass::Timeout);
        assert_eq!(class_of_status(200, None), InfraClass::ProviderError);
        assert!(!is_retryable(&ProviderError::provider("garbage")));
        assert!(is_retryable(&ProviderError::new(InfraClass::NetworkError, "reset")));
    }

    #[tokio::test]
    async fn refused_connection_is_a_network_error() {
        // Bind then drop a listener: the port is closed, so connecting is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/v1/health"))
            .send()
            .await
            .unwrap_err();
        let classified = classify_send_error("health", &err);
        assert_eq!(classified.class, InfraClass::NetworkError, "{classified}");
    }
}
