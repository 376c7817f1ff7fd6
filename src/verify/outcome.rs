//! The result every planned operation ends in.

use serde::{Deserialize, Serialize};

/// How the platform failed to answer; kept apart from corruption so flaky infrastructure never fails
/// a check that only corruption should fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfraClass {
    Timeout,
    HttpError,
    NetworkError,
    ProviderError,
}

impl InfraClass {
    pub fn as_str(self) -> &'static str {
        match self {
            InfraClass::Timeout => "timeout",
            InfraClass::HttpError => "http_error",
            InfraClass::NetworkError => "network_error",
            InfraClass::ProviderError => "provider_error",
        }
    }
}

impl std::fmt::Display for InfraClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    /// The data or state is wrong. `check` names what looked, so a reader knows where to dig.
    Corrupted {
        check: String,
        expected: String,
        actual: String,
    },
    /// The platform did not answer properly; `status` keeps the HTTP status when there was one.
    Infra {
        class: InfraClass,
        status: Option<u16>,
        detail: String,
    },
}

impl Outcome {
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::Corrupted { .. } => "corrupted",
            Outcome::Infra { .. } => "infra",
        }
    }

    pub fn corrupted(check: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Outcome::Corrupted {
            check: check.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    pub fn is_corrupted(&self) -> bool {
        matches!(self, Outcome::Corrupted { .. })
    }
}

/// The conventional name of a signal, so "exit 139" reads as "SIGSEGV" in reports.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}
