//! The doctor's flags, validated with the same rules as `run`'s provider flags, so an endpoint or
//! plugin command `doctor` accepts is one `run` accepts too.

use std::time::Duration;

use crate::config::{ProviderConfig, RunArgs, Secret, DEFAULT_TOKEN_ENV};
use crate::error::ConfigError;

/// Ceiling of a whole doctor run unless `--timeout` says otherwise.
pub const DEFAULT_CEILING: Duration = Duration::from_secs(300);
/// Deadline of each call that is not an exec (an exec's is its own timeout plus a margin).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags as given (clap-free).
#[derive(Clone, Debug, Default)]
pub struct DoctorArgs {
    pub provider: Option<String>,
    pub endpoint: Option<String>,
    pub token_env: Option<String>,
    pub provider_cmd: Option<String>,
    /// Ceiling of the whole run, in seconds.
    pub timeout: Option<u64>,
}

/// What the checks talk to.
#[derive(Clone, Debug)]
pub enum Target {
    Http {
        /// As given, `/v1` suffix and all: the endpoint check names it.
        endpoint: String,
        token: Option<Secret>,
        token_env: String,
    },
    Command {
        cmd: Vec<String>,
    },
}

#[derive(Clone, Debug)]
pub struct DoctorOptions {
    pub target: Target,
    pub ceiling: Duration,
    pub call_timeout: Duration,
}

impl DoctorOptions {
    pub fn build(args: DoctorArgs) -> Result<Self, ConfigError> {
        Self::build_with_env(args, |name| std::env::var(name).ok())
    }

    /// As [`DoctorOptions::build`], with the environment passed in so tests stay hermetic.
    pub fn build_with_env(args: DoctorArgs, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let Some(provider) = args.provider.clone() else {
            return Err(ConfigError::new(
                "--provider",
                "doctor needs --provider http (with --endpoint URL) or --provider command (with --provider-cmd CMD)",
            ));
        };
        let run_args = RunArgs {
            provider: Some(provider),
            endpoint: args.endpoint,
            token_env: args.token_env,
            provider_cmd: args.provider_cmd,
            ..RunArgs::default()
        };
        let target = match ProviderConfig::from_args_with_env(&run_args, env)? {
            ProviderConfig::Http {
                endpoint,
                token,
                token_env,
            } => Target::Http {
                endpoint,
                token,
                token_env,
            },
            ProviderConfig::Command { cmd } => Target::Command { cmd },
            ProviderConfig::Local { .. } => {
                return Err(ConfigError::new(
                    "--provider",
                    "doctor checks a platform through its protocol: use --provider http or --provider command",
                ))
            }
        };
        let ceiling = match args.timeout {
            None => DEFAULT_CEILING,
            Some(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
            Some(secs) => {
                return Err(ConfigError::new(
                    "--timeout",
                    format!("must be 1..=3600 seconds (got {secs})"),
                ))
            }
        };
        Ok(Self {
            target,
            ceiling,
            call_timeout: CALL_TIMEOUT,
        })
    }

    /// The variable a token is read from, for advice in check lines.
    pub fn token_env(&self) -> &str {
        match &self.target {
            Target::Http { token_env, .. } => token_env,
            Target::Command { .. } => DEFAULT_TOKEN_ENV,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(args: DoctorArgs) -> Result<DoctorOptions, ConfigError> {
        DoctorOptions::build_with_env(args, |_| None)
    }

    #[test]
    fn bad_flags_name_the_flag() {
        let http = |endpoint: Option<&str>| DoctorArgs {
            provider: Some("http".into()),
            endpoint: endpoint.map(str::to_string),
            ..DoctorArgs::default()
        };
        assert_eq!(build(DoctorArgs::default()).unwrap_err().field, "--provider");
        let local = DoctorArgs {
            provider: Some("local".into()),
            ..DoctorArgs::default()
        };
        assert_eq!(build(local).unwrap_err().field, "--provider");
        assert_eq!(build(http(None)).unwrap_err().field, "--endpoint");
        assert_eq!(build(http(Some("ftp://x"))).unwrap_err().field, "--endpoint");
        let zero = DoctorArgs {
            timeout: Some(0),
            ..http(Some("http://127.0.0.1:1"))
        };
        assert_eq!(build(zero).unwrap_err().field, "--timeout");
        let command = DoctorArgs {
            provider: Some("command".into()),
            ..DoctorArgs::default()
        };
        assert_eq!(build(command).unwrap_err().field, "--provider-cmd");
        let ok = build(http(Some("http://127.0.0.1:1/v1/"))).unwrap();
        assert!(matches!(ok.target, Target::Http { ref endpoint, .. } if endpoint == "http://127.0.0.1:1/v1"));
        assert_eq!(ok.ceiling, DEFAULT_CEILING);
    }
}
