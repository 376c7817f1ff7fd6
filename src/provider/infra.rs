//! How a platform failed: the classes every [`super::ProviderError`] carries and every infra
//! outcome reports. They belong to the provider because it is the provider that classifies, once,
//! so no workload or check guesses what a failure meant.

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
