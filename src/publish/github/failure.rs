//! What went wrong with one GitHub call, read from octocrab's error: GitHub's answer (status,
//! `message`, the rate-limit headers) or why no answer came (could not connect, timed out).
//!
//! Retries and warnings are decided from this, never from octocrab's `Display`: that text is
//! either just the variant name (`GitHub`) or repeats each cause. Nothing here can hold the token:
//! octocrab keeps it in the request's `Authorization` header, and only the *response's* headers and
//! body, and reqwest's error chain (which names the URL, not headers), are read.

use std::error::Error as StdError;

use super::retry::RateHeaders;
use crate::publish::error::PublishError;

/// Longest part of GitHub's `message` kept in an error or warning.
const MAX_MESSAGE_CHARS: usize = 200;

/// Why no answer came back, when none did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// GitHub answered (see `status`).
    Answered,
    /// The connection was never made: the request did not leave, so any call may be repeated.
    Connect,
    /// Sent, but no answer in time: GitHub may have acted on it.
    Timeout,
    /// Anything else on the wire, before or while reading the answer.
    Other,
    /// A success whose body is not what GitHub documents: repeating the call would not help.
    Unreadable,
}

/// One failed call, reduced to what decides a retry and what a reader needs to know.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The HTTP status when GitHub answered.
    pub status: Option<u16>,
    /// GitHub's `message` (first line), or the transport error's causes.
    pub message: String,
    pub headers: RateHeaders,
    pub transport: Transport,
    /// Why it was not retried, when that is worth saying (a wait over the cap).
    pub note: Option<String>,
}

impl Failure {
    pub fn from_octocrab(e: &octocrab::Error) -> Self {
        if let octocrab::Error::GitHub { source, .. } = e {
            let get = |k: &str| {
                source
                    .headers
                    .as_ref()
                    .and_then(|h| h.get(k))
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            return Failure {
                status: Some(source.status_code.as_u16()),
                message: first_line(&source.message),
                headers: RateHeaders {
                    retry_after: get("retry-after"),
                    ratelimit_remaining: get("x-ratelimit-remaining"),
                    ratelimit_reset: get("x-ratelimit-reset"),
                },
                transport: Transport::Answered,
                note: None,
            };
        }
        let reqwest = find_reqwest(e);
        let transport = match reqwest {
            Some(r) if r.is_connect() => Transport::Connect,
            Some(r) if r.is_timeout() => Transport::Timeout,
            Some(_) => Transport::Other,
            None => Transport::Unreadable,
        };
        // reqwest's own text repeats the URL the caller already names; its causes say what failed.
        let message = match (transport, reqwest.and_then(StdError::source)) {
            (Transport::Connect, Some(cause)) => format!("could not connect: {}", describe(cause)),
            (Transport::Timeout, _) => "no answer in time".to_string(),
            (_, Some(cause)) => format!("request failed: {}", describe(cause)),
            (_, None) => describe(e),
        };
        Failure {
            status: None,
            message,
            headers: RateHeaders::default(),
            transport,
            note: None,
        }
    }

    /// GitHub refused (a read-only token on a fork PR gets 403; a missing PR or repository 404),
    /// as opposed to a rate limit, which is a failure to publish now.
    pub fn is_refusal(&self) -> bool {
        matches!(self.status, Some(403 | 404)) && !self.is_rate_limited()
    }

    /// The call may have reached GitHub and been carried out although it failed: a 5xx answer, a
    /// lost answer, or a success we could not read. A create that failed so must look before
    /// posting again.
    pub fn may_have_acted(&self) -> bool {
        matches!(self.status, Some(500..=599))
            || matches!(
                self.transport,
                Transport::Timeout | Transport::Other | Transport::Unreadable
            )
    }

    /// The status and GitHub's words, or the transport error: `answered 502: Bad Gateway`.
    pub fn summary(&self) -> String {
        let mut text = match self.status {
            Some(status) => format!("answered {status}: {}", self.message),
            None => self.message.clone(),
        };
        if let Some(note) = &self.note {
            text.push_str("; ");
            text.push_str(note);
        }
        text
    }

    /// The error for `what` (`GET https://…/comments`).
    pub fn into_error(self, what: &str) -> PublishError {
        PublishError::GitHub(format!("{what} {}", self.summary()))
    }
}

fn find_reqwest<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a reqwest::Error> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(r) = err.downcast_ref::<reqwest::Error>() {
            return Some(r);
        }
        current = err.source();
    }
    None
}

/// The error and its causes, each said once (octocrab's variants repeat their source's text).
fn describe(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    line.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_said_once_in_order() {
        #[derive(Debug)]
        struct Leaf;
        impl std::fmt::Display for Leaf {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("connection refused")
            }
        }
        impl StdError for Leaf {}
        #[derive(Debug)]
        struct Wrap(Leaf);
        impl std::fmt::Display for Wrap {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "Service Error: {}", self.0)
            }
        }
        impl StdError for Wrap {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(describe(&Wrap(Leaf)), "Service Error: connection refused");
        assert_eq!(first_line("Not Found\nmore"), "Not Found");
        assert_eq!(first_line(&"x".repeat(500)).len(), MAX_MESSAGE_CHARS);
    }
}
