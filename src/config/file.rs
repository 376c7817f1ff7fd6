//! `stress.toml`: a run's flags in a file, so a workflow can keep its settings in the repository.
//!
//! Keys are the flag names of `run` (`restores = 1000`, `marker-size = 5`, `provider = "http"`).
//! Precedence: flags > file > profile. Unknown keys are errors that name the key and its line, so a
//! typo never silently falls back to a default.
//!
//! Publishing settings have a table of their own, `[publish]` (which also turns publishing on after
//! the run; `enabled = false` keeps the settings without publishing). Files written before the table
//! existed keep working: `publish = true` and the same keys at the top level are read as the table,
//! and a key set in both places is an error naming it.

use std::borrow::Cow;
use std::path::Path;

use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::publish::PublishArgs;
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
    let located = |e: toml::de::Error| at_line(text, e.span(), e.message().trim());
    let mut doc = DeTable::parse(text).map_err(located)?;
    let (enabled, publishing) = take_publishing(doc.get_mut(), text)?;
    let mut args = RunArgs::deserialize(doc.into_deserializer()).map_err(located)?;
    args.publishing = PublishArgs::deserialize(publishing.into_deserializer()).map_err(located)?;
    args.publish |= enabled;
    Ok(args)
}

/// Takes the publishing settings out of the document: the `[publish]` table, and the same keys at
/// the top level (older files). Returns whether a table turned publishing on, and the settings with
/// their original positions, so an error in them still names its line. A flat `publish = true` stays
/// in the document for [`RunArgs::publish`].
fn take_publishing<'i>(doc: &mut DeTable<'i>, text: &str) -> Result<(bool, Spanned<DeTable<'i>>), String> {
    let (enabled, table_span, mut settings) = match publish_table(doc, text)? {
        Some((enabled, table)) => (enabled, entry_span(&table), table),
        None => (false, 0..0, DeTable::new()),
    };
    for key in PublishArgs::keys() {
        let Some((flat_key, value)) = doc.remove_entry(key.as_str()) else {
            continue;
        };
        if let Some(in_table) = settings.get(key.as_str()) {
            return Err(at_line(
                text,
                Some(in_table.span()),
                &format!(
                    "`{key}` is set twice, at the top level (line {}) and in [publish]: keep the one in [publish]",
                    line_of(text, flat_key.span().start)
                ),
            ));
        }
        settings.insert(Spanned::new(flat_key.span(), Cow::Owned(key)), value);
    }
    Ok((enabled, Spanned::new(table_span, settings)))
}

/// The `[publish]` table, taken out of the document with its `enabled` key (default true); `None`
/// when there is no table (a flat `publish = true` is put back for [`RunArgs::publish`]).
fn publish_table<'i>(doc: &mut DeTable<'i>, text: &str) -> Result<Option<(bool, DeTable<'i>)>, String> {
    let Some((key, entry)) = doc.remove_entry("publish") else {
        return Ok(None);
    };
    let span = entry.span();
    let mut table = match entry.into_inner() {
        DeValue::Table(table) => table,
        DeValue::Boolean(on) => {
            doc.insert(key, Spanned::new(span, DeValue::Boolean(on)));
            return Ok(None);
        }
        _ => {
            return Err(at_line(
                text,
                Some(span),
                "`publish` must be true, false or a [publish] table",
            ))
        }
    };
    let enabled = match table.remove("enabled") {
        None => true,
        Some(v) => match v.get_ref() {
            DeValue::Boolean(on) => *on,
            _ => {
                return Err(at_line(
                    text,
                    Some(v.span()),
                    "`enabled` in [publish] must be true or false",
                ))
            }
        },
    };
    Ok(Some((enabled, table)))
}

/// Where a table's entries start, for errors about the table as a whole.
fn entry_span(table: &DeTable<'_>) -> std::ops::Range<usize> {
    table.keys().next().map_or(0..0, |k| k.span())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn at_line(text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> String {
    match span {
        Some(span) => format!("line {}: {message}", line_of(text, span.start)),
        None => message.to_string(),
    }
}

/// Layers flags over the file: every value given on the command line wins, the file fills the rest,
/// and what neither sets stays `None` for the profile to decide.
pub fn merge(flags: RunArgs, file: RunArgs) -> RunArgs {
    let publishing = overlay(flags.publishing.clone(), file.publishing.clone());
    RunArgs {
        publishing,
        ..overlay(flags, file)
    }
}

/// `flags` over `file`, field by field: a field the flags leave unset (`None`, `false`) keeps the
/// file's value.
fn overlay<T: Serialize + for<'de> Deserialize<'de>>(flags: T, file: T) -> T {
    let (Ok(serde_json::Value::Object(flags)), Ok(serde_json::Value::Object(mut merged))) =
        (serde_json::to_value(&flags), serde_json::to_value(&file))
    else {
        unreachable!("settings structs serialize to objects")
    };
    for (key, value) in flags {
        let unset = value.is_null() || value == serde_json::Value::Bool(false);
        if !unset {
            merged.insert(key, value);
        }
    }
    serde_json::from_value(serde_json::Value::Object(merged)).expect("values came from the struct itself")
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

    #[test]
    fn a_publish_table_holds_the_settings_and_turns_publishing_on() {
        let args = parse("restores = 5\n[publish]\ns3-bucket = \"b\"\ncomment-key = \"nightly\"\n").unwrap();
        assert!(args.publish);
        assert_eq!(args.publishing.s3_bucket.as_deref(), Some("b"));
        assert_eq!(args.publishing.comment_key.as_deref(), Some("nightly"));
        assert_eq!(args.restores, Some(5));
        let off = parse("[publish]\nenabled = false\nbaseline = \"base\"\n").unwrap();
        assert!(!off.publish, "enabled = false keeps the settings without publishing");
        assert_eq!(off.publishing.baseline.as_deref(), Some("base"));
        assert!(!parse("restores = 5\n").unwrap().publish);
    }

    #[test]
    fn flat_publishing_keys_of_older_files_keep_working() {
        let args = parse("publish = true\nrepo = \"o/r\"\npr = 7\ncomment-author = \"ci\"\n").unwrap();
        assert!(args.publish);
        assert_eq!(args.publishing.repo.as_deref(), Some("o/r"));
        assert_eq!(args.publishing.pr, Some(7));
        assert_eq!(args.publishing.comment_author.as_deref(), Some("ci"));
        let off = parse("publish = false\ns3-bucket = \"b\"\n").unwrap();
        assert!(!off.publish);
        assert_eq!(off.publishing.s3_bucket.as_deref(), Some("b"));
    }

    #[test]
    fn publishing_mistakes_name_the_key_and_line() {
        let err = parse("s3-bucket = \"a\"\n[publish]\ns3-bucket = \"b\"\n").unwrap_err();
        assert!(
            err.contains("line 3") && err.contains("s3-bucket") && err.contains("line 1"),
            "{err}"
        );
        let err = parse("restores = 5\n[publish]\ns3-bukket = \"b\"\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("s3-bukket"), "{err}");
        let err = parse("\npr = \"seven\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = parse("publish = \"yes\"\n").unwrap_err();
        assert!(err.contains("line 1") && err.contains("`publish`"), "{err}");
        let err = parse("[publish]\nenabled = 1\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("enabled"), "{err}");
    }

    #[test]
    fn publishing_flags_override_the_file_setting_by_setting() {
        let file = parse("[publish]\nrepo = \"o/r\"\ncomment-key = \"file\"\n").unwrap();
        let mut flags = RunArgs::default();
        flags.publishing.comment_key = Some("flag".into());
        let merged = merge(flags, file);
        assert!(merged.publish, "the file's table still turns publishing on");
        assert_eq!(merged.publishing.repo.as_deref(), Some("o/r"));
        assert_eq!(merged.publishing.comment_key.as_deref(), Some("flag"));
    }
}
