//! Which platform a run talks to, and the credentials it needs to do so.
//!
//! The token is read from an environment variable (never a flag, so it stays out of shell history
//! and process lists) and held in a [`Secret`] whose `Debug` is redacted, so neither a config dump,
//! a log line nor a panic message can leak it.

use std::path::PathBuf;

use super::RunArgs;
use crate::error::ConfigError;

/// The variable the token is read from unless `--token-env` names another.
pub const DEFAULT_TOKEN_ENV: &str = "STRESS_ACTION_TOKEN";

/// A credential. Only [`Secret::expose`] reveals it, at the one place it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Largest file (storage size, marker) the command provider carries: a plugin's `read_file` answer
/// is one JSON line holding the file in base64 (4/3 of its size), and the provider reads lines of
/// at most 96 MiB (`provider::command`, which checks at compile time that this fits). Larger files
/// would turn every later operation of the plugin into infra, so they are refused up front.
pub const COMMAND_MAX_FILE_MB: f64 = 64.0;

/// Refuses, with exit 2 naming the flag, a file size the chosen provider cannot carry: the local
/// and http providers stream (any size the flags accept), the command provider's JSON lines hold a
/// file whole ([`COMMAND_MAX_FILE_MB`]). `marker_mb` and `storage_mb` are the sizes of the selected
/// workloads (`None`, empty: not selected).
pub fn check_file_sizes(
    provider: &ProviderConfig,
    marker_mb: Option<f64>,
    storage_mb: &[f64],
) -> Result<(), ConfigError> {
    if !matches!(provider, ProviderConfig::Command { .. }) {
        return Ok(());
    }
    let over = |mb: f64| mb > COMMAND_MAX_FILE_MB;
    if let Some(mb) = marker_mb.filter(|mb| over(*mb)) {
        return Err(ConfigError::new(
            "--marker-size",
            format!(
                "{mb} MB is more than the command provider carries ({COMMAND_MAX_FILE_MB} MB: a file travels whole in one JSON line); use a smaller marker or --provider http"
            ),
        ));
    }
    if let Some(mb) = storage_mb.iter().copied().find(|mb| over(*mb)) {
        return Err(ConfigError::new(
            "--storage-sizes",
            format!(
                "{mb} MB is more than the command provider carries ({COMMAND_MAX_FILE_MB} MB: a file travels whole in one JSON line); use smaller sizes or --provider http"
            ),
        ));
    }
    Ok(())
}

/// Which platform the run talks to.
#[derive(Clone, Debug, PartialEq)]
pub enum ProviderConfig {
    Local {
        work_dir: Option<PathBuf>,
    },
    /// The REST protocol of `docs/provider-protocol.md`. `token_env` is kept to name the variable in
    /// error messages; `token` is `None` when the variable is unset (no auth).
    Http {
        endpoint: String,
        token: Option<Secret>,
        token_env: String,
    },
    /// A plugin program speaking JSON lines; `cmd` is the argv, already split like a shell would.
    Command {
        cmd: Vec<String>,
    },
}

impl ProviderConfig {
    pub fn name(&self) -> &'static str {
        match self {
            ProviderConfig::Local { .. } => "local",
            ProviderConfig::Http { .. } => "http",
            ProviderConfig::Command { .. } => "command",
        }
    }

    /// The label of a run that names none: the kind, plus the endpoint's host and port for http
    /// (two vendors behind http differ there) or the program's file name for command.
    pub fn default_label(&self) -> String {
        match self {
            ProviderConfig::Local { .. } => "local".to_string(),
            ProviderConfig::Http { endpoint, .. } => {
                let host = reqwest::Url::parse(endpoint).ok().and_then(|url| {
                    let host = url.host_str()?.to_string();
                    Some(match url.port() {
                        Some(port) => format!("{host}:{port}"),
                        None => host,
                    })
                });
                format!("http {}", host.unwrap_or_default()).trim_end().to_string()
            }
            ProviderConfig::Command { cmd } => {
                let program = cmd.first().map(|p| p.rsplit('/').next().unwrap_or(p).to_string());
                format!("command {}", program.unwrap_or_default())
                    .trim_end()
                    .to_string()
            }
        }
    }

    /// Validates the provider flags of `args`, reading the token from the environment.
    pub fn from_args(args: &RunArgs) -> Result<Self, ConfigError> {
        Self::from_args_with_env(args, |name| std::env::var(name).ok())
    }

    /// As [`ProviderConfig::from_args`], with the environment passed in so tests stay hermetic.
    pub fn from_args_with_env(args: &RunArgs, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let kind = args.provider.as_deref().unwrap_or("local");
        let only_for = |flag: &str, set: bool, provider: &str| {
            if set && kind != provider {
                Err(ConfigError::new(
                    flag,
                    format!("only applies to --provider {provider} (the provider is {kind})"),
                ))
            } else {
                Ok(())
            }
        };
        only_for("--endpoint", args.endpoint.is_some(), "http")?;
        only_for("--token-env", args.token_env.is_some(), "http")?;
        only_for("--provider-cmd", args.provider_cmd.is_some(), "command")?;
        only_for("--work-dir", args.work_dir.is_some(), "local")?;
        match kind {
            "local" => Ok(ProviderConfig::Local {
                work_dir: args.work_dir.clone(),
            }),
            "http" => {
                let endpoint = parse_endpoint(args.endpoint.as_deref())?;
                let explicit = args.token_env.is_some();
                let token_env = args.token_env.clone().unwrap_or_else(|| DEFAULT_TOKEN_ENV.to_string());
                if token_env.is_empty() || token_env.contains('=') {
                    return Err(ConfigError::new("--token-env", "must name an environment variable"));
                }
                let token = env(&token_env).filter(|t| !t.is_empty()).map(Secret::new);
                if explicit && token.is_none() {
                    return Err(ConfigError::new(
                        "--token-env",
                        format!("the environment variable {token_env} is not set or empty"),
                    ));
                }
                Ok(ProviderConfig::Http {
                    endpoint,
                    token,
                    token_env,
                })
            }
            "command" => {
                let line = args.provider_cmd.as_deref().ok_or_else(|| {
                    ConfigError::new(
                        "--provider-cmd",
                        "--provider command needs --provider-cmd \"PROGRAM ARGS\"",
                    )
                })?;
                let cmd = shell_words::split(line)
                    .map_err(|e| ConfigError::new("--provider-cmd", format!("cannot split {line:?}: {e}")))?;
                if cmd.is_empty() {
                    return Err(ConfigError::new("--provider-cmd", "names no program"));
                }
                Ok(ProviderConfig::Command { cmd })
            }
            other => Err(ConfigError::new(
                "--provider",
                format!("unknown provider {other:?} (expected one of: local, http, command)"),
            )),
        }
    }
}

/// Longest `--label`: it heads tables and chart bars, where a sentence would not fit.
pub const MAX_LABEL_CHARS: usize = 64;

/// `--label`: printable, 1 to [`MAX_LABEL_CHARS`] characters, surrounding blanks dropped.
pub fn parse_label(text: &str) -> Result<String, ConfigError> {
    let label = text.trim();
    if label.is_empty() {
        return Err(ConfigError::new("--label", "must not be empty"));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(ConfigError::new(
            "--label",
            format!(
                "must be at most {MAX_LABEL_CHARS} characters (got {})",
                label.chars().count()
            ),
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(ConfigError::new("--label", "must not contain control characters"));
    }
    Ok(label.to_string())
}

/// An `http(s)://host[:port][/base]` URL without credentials; the trailing slash is dropped.
fn parse_endpoint(endpoint: Option<&str>) -> Result<String, ConfigError> {
    let raw = endpoint.ok_or_else(|| ConfigError::new("--endpoint", "--provider http needs --endpoint URL"))?;
    let url = reqwest::Url::parse(raw).map_err(|e| ConfigError::new("--endpoint", format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            "--endpoint",
            "must be an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            "--endpoint",
            "must not contain credentials; put the token in the variable named by --token-env",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new("--endpoint", "must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_command_provider_limits_file_sizes_and_names_the_flag() {
        let command = ProviderConfig::Command {
            cmd: vec!["plugin".into()],
        };
        assert_eq!(check_file_sizes(&command, Some(64.0), &[1.0, 64.0]), Ok(()));
        assert_eq!(check_file_sizes(&command, None, &[]), Ok(()));
        let flag = |r: Result<(), ConfigError>| r.unwrap_err().field;
        assert_eq!(flag(check_file_sizes(&command, Some(64.5), &[])), "--marker-size");
        assert_eq!(flag(check_file_sizes(&command, None, &[1.0, 64.1])), "--storage-sizes");
        let local = ProviderConfig::Local { work_dir: None };
        assert_eq!(check_file_sizes(&local, Some(1024.0), &[1024.0]), Ok(()));
    }

    fn build(f: impl FnOnce(&mut RunArgs), env: &[(&str, &str)]) -> Result<ProviderConfig, ConfigError> {
        let mut args = RunArgs::default();
        f(&mut args);
        ProviderConfig::from_args_with_env(&args, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn http_needs_an_endpoint_and_reads_the_token_from_the_env() {
        let err = build(|a| a.provider = Some("http".into()), &[]).unwrap_err();
        assert_eq!(err.field, "--endpoint");
        let cfg = build(
            |a| {
                a.provider = Some("http".into());
                a.endpoint = Some("http://127.0.0.1:9/".into());
            },
            &[(DEFAULT_TOKEN_ENV, "s3cret-value")],
        )
        .unwrap();
        let ProviderConfig::Http { endpoint, token, .. } = &cfg else {
            panic!("{cfg:?}")
        };
        assert_eq!(endpoint, "http://127.0.0.1:9");
        assert_eq!(token.as_ref().map(Secret::expose), Some("s3cret-value"));
        assert!(
            !format!("{cfg:?}").contains("s3cret-value"),
            "Debug must redact the token"
        );
    }

    #[test]
    fn bad_provider_flags_name_the_flag() {
        type Edit = Box<dyn FnOnce(&mut RunArgs)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("--provider", Box::new(|a| a.provider = Some("ftp".into()))),
            ("--endpoint", Box::new(|a| a.endpoint = Some("http://x".into()))),
            (
                "--endpoint",
                Box::new(|a| {
                    a.provider = Some("http".into());
                    a.endpoint = Some("ftp://host".into());
                }),
            ),
            (
                "--endpoint",
                Box::new(|a| {
                    a.provider = Some("http".into());
                    a.endpoint = Some("http://user:pw@host".into());
                }),
            ),
            (
                "--token-env",
                Box::new(|a| {
                    a.provider = Some("http".into());
                    a.endpoint = Some("http://host".into());
                    a.token_env = Some("UNSET_VARIABLE".into());
                }),
            ),
            ("--provider-cmd", Box::new(|a| a.provider = Some("command".into()))),
            (
                "--provider-cmd",
                Box::new(|a| {
                    a.provider = Some("command".into());
                    a.provider_cmd = Some("prog 'unclosed".into());
                }),
            ),
        ];
        for (field, f) in cases {
            let err = build(f, &[]).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn labels_default_to_the_kind_and_host_and_bad_ones_name_the_flag() {
        let http = build(
            |a| {
                a.provider = Some("http".into());
                a.endpoint = Some("https://api.vendor.example:8443/v1".into());
            },
            &[],
        )
        .unwrap();
        assert_eq!(http.default_label(), "http api.vendor.example:8443");
        let cmd = build(
            |a| {
                a.provider = Some("command".into());
                a.provider_cmd = Some("/opt/bin/e2b-plugin --x".into());
            },
            &[],
        )
        .unwrap();
        assert_eq!(cmd.default_label(), "command e2b-plugin");
        assert_eq!(build(|_| {}, &[]).unwrap().default_label(), "local");
        assert_eq!(parse_label("  e2b us-east ").unwrap(), "e2b us-east");
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert_eq!(parse_label(bad).unwrap_err().field, "--label", "{bad:?}");
        }
    }

    #[test]
    fn provider_cmd_is_split_like_a_shell() {
        let cfg = build(
            |a| {
                a.provider = Some("command".into());
                a.provider_cmd = Some("python3 'my plugin.py' --x \"a b\"".into());
            },
            &[],
        )
        .unwrap();
        assert_eq!(
            cfg,
            ProviderConfig::Command {
                cmd: vec!["python3".into(), "my plugin.py".into(), "--x".into(), "a b".into()]
            }
        );
    }
}
