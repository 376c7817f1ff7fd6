//! Which clients the server has seen, by `User-Agent`, each logged once to stderr.
//!
//! stress-action introduces itself as `stress-action/<version>` so a platform can find its traffic
//! in the platform's own logs; the reference server shows that by naming every new client once,
//! without a line per request.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::http::{header, HeaderMap};

/// Distinct agents remembered; past it new ones are no longer logged (a bounded set, whatever
/// clients send).
const MAX_AGENTS: usize = 64;
/// Longest agent string logged.
const MAX_AGENT_LEN: usize = 200;

#[derive(Default)]
pub struct ClientLog {
    seen: Mutex<HashSet<String>>,
}

impl ClientLog {
    /// Logs the request's agent if it is new; returns whether it was.
    pub fn note(&self, headers: &HeaderMap) -> bool {
        let agent: String = match headers.get(header::USER_AGENT) {
            Some(value) => String::from_utf8_lossy(value.as_bytes())
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_AGENT_LEN)
                .collect(),
            None => String::new(),
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_AGENTS || seen.contains(&agent) {
            return false;
        }
        if agent.is_empty() {
            eprintln!("client without a User-Agent");
        } else {
            eprintln!("client {agent}");
        }
        seen.insert(agent);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_is_noted_once() {
        let log = ClientLog::default();
        let mut headers = HeaderMap::new();
        assert!(log.note(&headers), "no agent is a client too");
        assert!(!log.note(&headers));
        headers.insert(header::USER_AGENT, "stress-action/0.1.0".parse().unwrap());
        assert!(log.note(&headers));
        assert!(!log.note(&headers));
    }
}
