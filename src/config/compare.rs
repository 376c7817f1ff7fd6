//! The settings of a comparison (`--alpha`, `--min-effect`, `--fail-on-regression`), shared by
//! `compare`, `publish` and `run`, and the migration of `--fail-on-regression PCT`.
//!
//! `--fail-on-regression` used to take a percent and fail on any p95 that moved by more; it now
//! gates on significant regressions only (see docs/statistics.md) and is a switch. A number after
//! it is still accepted, as the minimum effect, with a warning saying to write `--min-effect`; the
//! same holds for the stress.toml key (`fail-on-regression = true`, or a number) and the action's
//! input (`"true"`, or a number).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// How a comparison decides; see docs/statistics.md.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareSettings {
    /// Significance level of the two-sample test (default 0.01).
    pub alpha: f64,
    /// Smallest relative change that counts (0.10 = 10 %, the default).
    pub min_effect: f64,
    /// Smallest change of a latency that counts, in milliseconds (default 1): a shift of a few
    /// tens of microseconds is the runner's scheduler, not the platform, however many percent of a
    /// sub-millisecond call it is.
    pub min_effect_ms: f64,
}

impl Default for CompareSettings {
    fn default() -> Self {
        CompareSettings {
            alpha: 0.01,
            min_effect: 0.10,
            min_effect_ms: 1.0,
        }
    }
}

/// What `--fail-on-regression` was given: nothing or `true` (on), `false` (off), or a number
/// (deprecated: the minimum effect in percent). In stress.toml a boolean, a number, or the same
/// text the flag takes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RegressionGate {
    Switch(bool),
    Percent(f64),
}

impl FromStr for RegressionGate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" | "true" | "on" | "yes" => Ok(RegressionGate::Switch(true)),
            "false" | "off" | "no" => Ok(RegressionGate::Switch(false)),
            n => n.parse::<f64>().map(RegressionGate::Percent).map_err(|_| {
                format!(
                    "is a switch (give it no value, or true/false), got {n:?}; the smallest effect that counts is --min-effect PCT"
                )
            }),
        }
    }
}

impl<'de> Deserialize<'de> for RegressionGate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(GateVisitor)
    }
}

struct GateVisitor;

impl serde::de::Visitor<'_> for GateVisitor {
    type Value = RegressionGate;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("fail-on-regression = true or false (a number, the old percent, is read as min-effect)")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(RegressionGate::Switch(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(RegressionGate::Percent(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(RegressionGate::Percent(v as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(RegressionGate::Percent(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse().map_err(|e| E::custom(format!("fail-on-regression {e}")))
    }
}

/// The validated comparison settings and whether a regression fails the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareConfig {
    pub settings: CompareSettings,
    pub fail_on_regression: bool,
    /// Deprecations to print (a number after `--fail-on-regression`).
    pub warnings: Vec<String>,
}

impl CompareConfig {
    /// `alpha`, `min_effect_pct` and `min_effect_ms` as the user gave them (percent for the
    /// relative effect, milliseconds for the absolute one).
    pub fn build(
        alpha: Option<f64>,
        min_effect_pct: Option<f64>,
        min_effect_ms: Option<f64>,
        gate: Option<RegressionGate>,
    ) -> Result<Self, ConfigError> {
        let mut cfg = CompareConfig::default();
        if let Some(a) = alpha {
            if !(a.is_finite() && a > 0.0 && a < 1.0) {
                return Err(ConfigError::new(
                    "--alpha",
                    format!("must be between 0 and 1 (e.g. 0.01), got {a}"),
                ));
            }
            cfg.settings.alpha = a;
        }
        if let Some(m) = min_effect_pct {
            cfg.settings.min_effect = percent("--min-effect", m)?;
        }
        if let Some(ms) = min_effect_ms {
            if !ms.is_finite() || ms < 0.0 {
                return Err(ConfigError::new(
                    "--min-effect-ms",
                    format!("must be milliseconds >= 0 (e.g. 1 or 0.5), got {ms}"),
                ));
            }
            cfg.settings.min_effect_ms = ms;
        }
        match gate {
            None | Some(RegressionGate::Switch(false)) => {}
            Some(RegressionGate::Switch(true)) => cfg.fail_on_regression = true,
            Some(RegressionGate::Percent(p)) => {
                let effect = percent("--fail-on-regression", p)?;
                if min_effect_pct.is_some() {
                    return Err(ConfigError::new(
                        "--fail-on-regression",
                        "is a switch now; give the smallest effect once, with --min-effect (not also as a number here)",
                    ));
                }
                cfg.fail_on_regression = true;
                cfg.settings.min_effect = effect;
                cfg.warnings.push(format!(
                    "--fail-on-regression {p} is deprecated: it now fails on significant regressions only, \
                     and {p} is taken as the smallest effect that counts; write `--fail-on-regression --min-effect {p}`"
                ));
            }
        }
        Ok(cfg)
    }
}

fn percent(field: &str, p: f64) -> Result<f64, ConfigError> {
    if !p.is_finite() || p < 0.0 {
        return Err(ConfigError::new(field, format!("must be a percentage >= 0, got {p}")));
    }
    Ok(p / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let cfg = CompareConfig::build(None, None, None, None).unwrap();
        assert_eq!(cfg.settings, CompareSettings::default());
        assert!(!cfg.fail_on_regression);
        assert_eq!(
            CompareConfig::build(Some(0.0), None, None, None).unwrap_err().field,
            "--alpha"
        );
        assert_eq!(
            CompareConfig::build(Some(1.5), None, None, None).unwrap_err().field,
            "--alpha"
        );
        assert_eq!(
            CompareConfig::build(None, Some(-1.0), None, None).unwrap_err().field,
            "--min-effect"
        );
        let cfg = CompareConfig::build(Some(0.05), Some(25.0), Some(0.5), Some("true".parse().unwrap())).unwrap();
        assert_eq!(
            cfg.settings,
            CompareSettings {
                alpha: 0.05,
                min_effect: 0.25,
                min_effect_ms: 0.5,
            }
        );
        assert!(cfg.fail_on_regression && cfg.warnings.is_empty());
        assert_eq!(
            CompareConfig::build(None, None, Some(-1.0), None).unwrap_err().field,
            "--min-effect-ms"
        );
    }

    #[test]
    fn a_number_after_the_switch_is_the_minimum_effect_with_a_warning() {
        let cfg = CompareConfig::build(None, None, None, Some("20".parse().unwrap())).unwrap();
        assert!(cfg.fail_on_regression);
        assert_eq!(cfg.settings.min_effect, 0.2);
        assert!(cfg.warnings[0].contains("--min-effect 20"), "{:?}", cfg.warnings);
        let both = CompareConfig::build(None, Some(10.0), None, Some(RegressionGate::Percent(20.0))).unwrap_err();
        assert_eq!(both.field, "--fail-on-regression");
        let neg = CompareConfig::build(None, None, None, Some(RegressionGate::Percent(-5.0))).unwrap_err();
        assert_eq!(neg.field, "--fail-on-regression");
        assert!("dir/run"
            .parse::<RegressionGate>()
            .unwrap_err()
            .contains("--min-effect"));
        assert_eq!("false".parse::<RegressionGate>(), Ok(RegressionGate::Switch(false)));
    }
}
