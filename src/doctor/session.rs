//! One doctor run's state: the wire every check calls through, and the checks recorded so far.
//!
//! Checks are recorded as they finish and handed to the caller at once, so a person watching sees
//! each line when it is decided, and a run stopped by its ceiling or by Ctrl-C still reports every
//! check it finished.

use std::sync::{Arc, Mutex};

use super::report::{Check, Status};
use super::tracked::Tracked;
use super::wire::http::HttpWire;
use super::wire::Kind;

/// Called with each check as it is recorded.
pub type OnCheck = Box<dyn Fn(&Check) + Send + Sync>;

pub struct Session {
    /// Every call goes through here, so whatever it creates is cleaned up.
    pub wire: Arc<Tracked>,
    /// The raw HTTP wire, for the checks only HTTP has (endpoint, auth, idempotency keys).
    pub http: Option<Arc<HttpWire>>,
    pub kind: Kind,
    /// The variable the token came from, to name it in advice.
    pub token_env: String,
    checks: Mutex<Vec<Check>>,
    on_check: OnCheck,
}

impl Session {
    pub fn new(wire: Arc<Tracked>, http: Option<Arc<HttpWire>>, token_env: String, on_check: OnCheck) -> Self {
        Self {
            kind: wire_kind(&wire),
            wire,
            http,
            token_env,
            checks: Mutex::default(),
            on_check,
        }
    }

    pub fn record(&self, check: Check) {
        (self.on_check)(&check);
        self.checks.lock().unwrap_or_else(|p| p.into_inner()).push(check);
    }

    fn add(&self, name: &str, status: Status, expected: impl Into<String>, received: impl Into<String>) {
        self.record(Check {
            name: name.to_string(),
            status,
            expected: expected.into(),
            received: received.into(),
        });
    }

    pub fn pass(&self, name: &str, received: impl Into<String>) {
        self.add(name, Status::Pass, "", received);
    }

    pub fn fail(&self, name: &str, expected: impl Into<String>, received: impl Into<String>) {
        self.add(name, Status::Fail, expected, received);
    }

    pub fn warn(&self, name: &str, expected: impl Into<String>, received: impl Into<String>) {
        self.add(name, Status::Warn, expected, received);
    }

    pub fn skip(&self, name: &str, why: impl Into<String>) {
        self.add(name, Status::Skip, "", why);
    }

    /// Records `check` as passed when `result` is `Ok` (with its text), failed otherwise.
    pub fn judge(&self, name: &str, expected: &str, result: Result<String, String>) {
        match result {
            Ok(received) => self.pass(name, received),
            Err(received) => self.fail(name, expected, received),
        }
    }

    pub fn checks(&self) -> Vec<Check> {
        self.checks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn wire_kind(wire: &Tracked) -> Kind {
    use super::wire::Wire;
    wire.kind()
}
