//! `stress.toml`: a run's flags in a file, so a workflow can keep its settings in the repository.
//!
//! Keys are the flag names of `run` (`restores = 1000`, `marker-size = 5`, `provider = "http"`).
//! Precedence: flags > file > profile. Unknown keys are errors that name the key and its line, so a
//! typo never silently falls back to a default.

use std::path::Path;

use super::RunArgs;
use crate::error::ConfigError;

/// Reads and parses a config file.
pub fn load(path: &Path) -> Result<RunArgs, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("--config", format!("cannot read {}: {e}", path.display())))?;
    parse(&text).map_err(|message| ConfigError::new("--config", format!("{}: {message}", path.display())))
}

/// Parses config text; errors say which line and, for unknown keys, which key.
pub fn parse(text: &str) -> Result<RunArgs, String> {
    toml::from_str::<RunArgs>(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().trim().to_string();
        match line {
            Some(line) => format!("line {line}: {message}"),
            None => message,
        }
    })
}

/// Layers flags over the file: every value given on the command line wins, the file fills the rest,
/// and what neither sets stays `None` for the profile to decide.
pub fn merge(flags: RunArgs, file: RunArgs) -> RunArgs {
    let (Ok(serde_json::Value::Object(flags)), Ok(serde_json::Value::Object(mut merged))) =
        (serde_json::to_value(&flags), serde_json::to_value(&file))
    else {
        unreachable!("RunArgs serializes to an object")
    };
    for (key, value) in flags {
        let unset = value.is_null() || value == serde_json::Value::Bool(false);
        if !unset {
            merged.insert(key, value);
        }
    }
    serde_json::from_value(serde_json::Value::Object(merged)).expect("values came from RunArgs itself")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_file_fills_the_rest() {
        let file = parse("profile = \"full\"\nrestores = 50\nmarker-size = 2.5\nquiet = true\n").unwrap();
        let flags = RunArgs {
            restores: Some(7),
            ..Default::default()
        };
        let merged = merge(flags, file);
        assert_eq!(merged.profile.as_deref(), Some("full"));
        assert_eq!(merged.restores, Some(7));
        assert_eq!(merged.marker_size_mb, Some(2.5));
        assert!(merged.quiet);
        assert_eq!(merged.concurrency, None, "left to the profile");
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let err = parse("restores = 5\n\nrestorez = 6\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("restorez"), "{err}");
        let err = parse("concurrency = \"many\"\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn whole_numbers_are_accepted_for_fractional_keys() {
        let args = parse("marker-size = 5\nmax-infra-rate = 1\n").unwrap();
        assert_eq!((args.marker_size_mb, args.max_infra_rate), (Some(5.0), Some(1.0)));
    }
}
