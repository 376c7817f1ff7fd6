//! Duration-bounded runs, arrival rates and the capacity ramp (`--duration`, `--rate`,
//! `--arrivals`, `--ramp`, `--over`, `--ramp-steps`, `--slo`, `--window`).
//!
//! A count-based run answers "did N operations work"; a duration answers "does it hold up for an
//! hour", and a ramp answers "how much can it take". All three share one description of *when*
//! operations arrive, so the lifecycle's launch loop stays one loop: [`Pace`] says until when and
//! at which rate(s), [`Ramp`] cuts a rising rate into equal steps that are judged one by one.

use std::time::Duration;

use super::{Profile, RunArgs};
use crate::error::ConfigError;

/// How arrivals are spaced at a given rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    /// Exactly one every 1/rate seconds.
    Fixed,
    /// Exponential gaps with mean 1/rate (a Poisson process, seeded by the run's seed).
    Poisson,
}

impl Arrivals {
    pub fn name(self) -> &'static str {
        match self {
            Arrivals::Fixed => "fixed",
            Arrivals::Poisson => "poisson",
        }
    }
}

/// How a ramp's rate rises (`--ramp-shape`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RampShape {
    /// One rate per step, held for the whole step: each step offers exactly its rate.
    #[default]
    Stepped,
    /// The rate rises continuously from `from` at the start to `to` at the end; the steps are
    /// reporting windows, each offering the mean of the rate over it.
    Linear,
}

impl RampShape {
    pub fn name(self) -> &'static str {
        match self {
            RampShape::Stepped => "stepped",
            RampShape::Linear => "linear",
        }
    }
}

/// A rate rising from `from` to `to` per second over `over`, judged in `steps` equal steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Ramp {
    pub from: f64,
    pub to: f64,
    pub over: Duration,
    pub steps: u32,
    pub shape: RampShape,
}

impl Ramp {
    pub fn step_length(&self) -> Duration {
        self.over / self.steps.max(1)
    }

    /// The offered rate of step `i` (0-based). Stepped: `from` at the first step, `to` at the
    /// last. Linear: the mean of the rising rate over the step, the rate at its middle.
    pub fn rate_of(&self, i: u32) -> f64 {
        match self.shape {
            RampShape::Linear => {
                self.from + (self.to - self.from) * (f64::from(i) + 0.5) / f64::from(self.steps.max(1))
            }
            RampShape::Stepped if self.steps <= 1 => self.to,
            RampShape::Stepped => self.from + (self.to - self.from) * f64::from(i) / f64::from(self.steps - 1),
        }
    }

    /// Every step's rate this shard offers, when `share` of the whole rate is its own.
    pub fn shared(&self, share: f64) -> Ramp {
        Ramp {
            from: self.from * share,
            to: self.to * share,
            ..self.clone()
        }
    }
}

/// What a step of the ramp must hold to count as sustainable (`--slo`).
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// p95 time to interactive at most this factor times its value at the lowest step...
    pub tti_p95_factor: Option<f64>,
    /// ...or at most this many milliseconds.
    pub tti_p95_ms: Option<f64>,
    /// Sandboxes that became interactive over those that ended in the step.
    pub min_success: f64,
}

impl Default for Slo {
    fn default() -> Self {
        Self {
            tti_p95_factor: Some(2.0),
            tti_p95_ms: None,
            min_success: 0.99,
        }
    }
}

/// A step keeps up when the achieved rate is at least this share of the offered one.
pub const KEEP_UP: f64 = 0.95;
/// Default `--window` of the time series.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);
/// Default `--ramp-steps`: fine enough that the knee lands within a step of the true ceiling.
pub const DEFAULT_RAMP_STEPS: u32 = 15;
/// The `soak` profile's length and lifecycle rate.
pub const SOAK_DURATION: Duration = Duration::from_secs(600);
pub const SOAK_RATE: f64 = 2.0;
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
const MAX_RATE: f64 = 100_000.0;

/// When operations arrive: for how long, at which rate, spaced how, and the time-series window.
#[derive(Clone, Debug, PartialEq)]
pub struct Pace {
    /// `None`: the run is count-based.
    pub duration: Option<Duration>,
    /// `--rate`, per second (already this shard's share).
    pub rate: Option<f64>,
    pub arrivals: Arrivals,
    pub ramp: Option<Ramp>,
    pub slo: Slo,
    pub window: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            duration: None,
            rate: None,
            arrivals: Arrivals::Fixed,
            ramp: None,
            slo: Slo::default(),
            window: DEFAULT_WINDOW,
        }
    }
}

impl Pace {
    /// How long paced arrivals go on: the duration, or the ramp's length.
    pub fn horizon(&self) -> Option<Duration> {
        self.ramp.as_ref().map(|r| r.over).or(self.duration)
    }

    /// Whether operations are launched until a deadline rather than counted.
    pub fn is_timed(&self) -> bool {
        self.horizon().is_some()
    }

    /// This shard's share of the rate (`1/N` of a matrix of N shards).
    pub fn shared(mut self, share: f64) -> Self {
        self.rate = self.rate.map(|r| r * share);
        self.ramp = self.ramp.map(|r| r.shared(share));
        self
    }
}

pub fn build(args: &RunArgs, profile: Profile) -> Result<Pace, ConfigError> {
    let soak = profile == Profile::Soak;
    let duration = match &args.duration {
        Some(text) => Some(positive_duration("--duration", text)?),
        None => soak.then_some(SOAK_DURATION),
    };
    let rate = match &args.rate {
        Some(text) => Some(parse_rate("--rate", text)?),
        None => soak.then_some(SOAK_RATE),
    };
    let arrivals = match args.arrivals.as_deref().map(str::trim) {
        None | Some("fixed") => Arrivals::Fixed,
        Some("poisson") => Arrivals::Poisson,
        Some(other) => {
            return Err(ConfigError::new(
                "--arrivals",
                format!("unknown arrivals {other:?} (expected fixed or poisson)"),
            ))
        }
    };
    let window = match &args.window {
        Some(text) => positive_duration("--window", text)?,
        None => DEFAULT_WINDOW,
    };
    let ramp = build_ramp(args)?;
    if ramp.is_some() && args.rate.is_some() {
        return Err(ConfigError::new(
            "--ramp",
            "cannot be combined with --rate: the ramp sets the rate of each step",
        ));
    }
    if ramp.is_some() && args.duration.is_some() {
        return Err(ConfigError::new(
            "--ramp",
            "cannot be combined with --duration: the ramp lasts --over",
        ));
    }
    let slo = match &args.slo {
        Some(text) => parse_slo(text)?,
        None => Slo::default(),
    };
    Ok(Pace {
        duration,
        rate,
        arrivals,
        ramp,
        slo,
        window,
    })
}

fn build_ramp(args: &RunArgs) -> Result<Option<Ramp>, ConfigError> {
    let Some(text) = &args.ramp else {
        for (flag, given) in [
            ("--over", args.over.is_some()),
            ("--ramp-steps", args.ramp_steps.is_some()),
            ("--ramp-shape", args.ramp_shape.is_some()),
            ("--slo", args.slo.is_some()),
        ] {
            if given {
                return Err(ConfigError::new(flag, "only means something with --ramp FROM/s..TO/s"));
            }
        }
        return Ok(None);
    };
    let bad = |why: &str| ConfigError::new("--ramp", format!("{why} (expected FROM/s..TO/s, got {text:?})"));
    let (from, to) = text.split_once("..").ok_or_else(|| bad("missing '..'"))?;
    let from = parse_rate("--ramp", from)?;
    let to = parse_rate("--ramp", to)?;
    if to <= from {
        return Err(bad("TO must be above FROM"));
    }
    let over = match &args.over {
        Some(t) => positive_duration("--over", t)?,
        None => return Err(ConfigError::new("--over", "--ramp needs --over DURATION (e.g. 5m)")),
    };
    let steps = super::int_in("--ramp-steps", args.ramp_steps, i64::from(DEFAULT_RAMP_STEPS), 2, 1000)? as u32;
    if over / steps < Duration::from_millis(500) {
        return Err(ConfigError::new(
            "--ramp-steps",
            format!(
                "{steps} steps over {} s are shorter than half a second each: too short to judge",
                over.as_secs_f64()
            ),
        ));
    }
    let shape = match args.ramp_shape.as_deref().map(str::trim) {
        None | Some("stepped") => RampShape::Stepped,
        Some("linear") => RampShape::Linear,
        Some(other) => {
            return Err(ConfigError::new(
                "--ramp-shape",
                format!("unknown shape {other:?} (expected stepped or linear)"),
            ))
        }
    };
    Ok(Some(Ramp {
        from,
        to,
        over,
        steps,
        shape,
    }))
}

/// `30m`, `20s`, `1h`, `500ms`, `1h30m`; more than zero and at most a week.
pub fn positive_duration(flag: &str, text: &str) -> Result<Duration, ConfigError> {
    let d = parse_duration(text).map_err(|why| ConfigError::new(flag, format!("{why} (got {text:?})")))?;
    if d.is_zero() {
        return Err(ConfigError::new(flag, format!("must be more than 0 (got {text:?})")));
    }
    if d > MAX_DURATION {
        return Err(ConfigError::new(flag, format!("must be at most 7 days (got {text:?})")));
    }
    Ok(d)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty; expected e.g. 30s, 10m, 1h".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or("a number needs a unit (ms, s, m, h)")?;
        let (num, tail) = rest.split_at(digits);
        let value: f64 = num.parse().map_err(|_| format!("{num:?} is not a number"))?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit()).unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let seconds = match unit {
            "ms" => value / 1000.0,
            "s" => value,
            "m" | "min" => value * 60.0,
            "h" => value * 3600.0,
            _ => return Err(format!("unknown unit {unit:?} (expected ms, s, m or h)")),
        };
        total += Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())?;
        rest = next;
    }
    Ok(total)
}

/// `20/s`, `20`, `1200/m`: operations per second, more than 0.
pub fn parse_rate(flag: &str, text: &str) -> Result<f64, ConfigError> {
    let t = text.trim();
    let (num, per) = match t.split_once('/') {
        None => (t, 1.0),
        Some((n, "s")) => (n, 1.0),
        Some((n, "m" | "min")) => (n, 1.0 / 60.0),
        Some((_, unit)) => {
            return Err(ConfigError::new(
                flag,
                format!("unknown rate unit {unit:?} in {text:?} (expected R/s or R/m)"),
            ))
        }
    };
    let r: f64 = num
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(flag, format!("{text:?} is not a rate (expected e.g. 20/s)")))?;
    let r = r * per;
    if !(r > 0.0 && r.is_finite()) {
        return Err(ConfigError::new(
            flag,
            format!("must be more than 0 per second (got {text:?})"),
        ));
    }
    if r > MAX_RATE {
        return Err(ConfigError::new(
            flag,
            format!("must be at most {MAX_RATE}/s (got {text:?})"),
        ));
    }
    Ok(r)
}

/// `p95_tti<=2x,success>=99%`, `p95_tti<=800ms`, `success>=0.995`: what a step must hold.
pub fn parse_slo(text: &str) -> Result<Slo, ConfigError> {
    let bad = |why: String| ConfigError::new("--slo", why);
    let mut slo = Slo::default();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = part
            .split_once("<=")
            .or_else(|| part.split_once(">="))
            .ok_or_else(|| bad(format!("{part:?} is not KEY<=VALUE or KEY>=VALUE")))?;
        let (key, value) = (key.trim(), value.trim());
        match key {
            "p95_tti" | "tti_p95" => {
                if let Some(f) = value.strip_suffix('x') {
                    let f: f64 = f
                        .parse()
                        .map_err(|_| bad(format!("{value:?} is not a factor like 2x")))?;
                    if f <= 1.0 {
                        return Err(bad(format!("the factor must be above 1 (got {value})")));
                    }
                    (slo.tti_p95_factor, slo.tti_p95_ms) = (Some(f), None);
                } else {
                    let d = positive_duration("--slo", value)?;
                    (slo.tti_p95_factor, slo.tti_p95_ms) = (None, Some(d.as_secs_f64() * 1000.0));
                }
            }
            "success" => {
                let v = match value.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
                    None => value.parse::<f64>(),
                }
                .map_err(|_| bad(format!("{value:?} is not a success rate like 99%")))?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(bad(format!("success must be between 0 and 100% (got {value})")));
                }
                slo.min_success = v;
            }
            other => {
                return Err(bad(format!(
                    "unknown objective {other:?} (expected p95_tti or success)"
                )));
            }
        }
    }
    Ok(slo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(f: impl FnOnce(&mut RunArgs)) -> Result<Pace, ConfigError> {
        let mut args = RunArgs::default();
        f(&mut args);
        build(&args, Profile::Smoke)
    }

    #[test]
    fn durations_and_rates_parse() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2.5s").unwrap(), Duration::from_millis(2500));
        assert!(parse_duration("20").is_err() && parse_duration("5d").is_err());
        assert_eq!(parse_rate("--rate", "20/s").unwrap(), 20.0);
        assert_eq!(parse_rate("--rate", "120/m").unwrap(), 2.0);
        assert_eq!(parse_rate("--rate", "7").unwrap(), 7.0);
    }

    #[test]
    fn ramps_and_slos() {
        let p = pace(|a| {
            a.ramp = Some("100/s..800/s".into());
            a.over = Some("40s".into());
        })
        .unwrap();
        let r = p.ramp.unwrap();
        assert_eq!((r.from, r.to, r.steps), (100.0, 800.0, DEFAULT_RAMP_STEPS));
        assert_eq!(r.rate_of(0), 100.0);
        assert_eq!(r.rate_of(r.steps - 1), 800.0);
        assert_eq!(r.shared(0.5).rate_of(0), 50.0);
        let slo = parse_slo("p95_tti<=800ms, success>=99.5%").unwrap();
        assert_eq!(
            (slo.tti_p95_factor, slo.tti_p95_ms, slo.min_success),
            (None, Some(800.0), 0.995)
        );
        assert_eq!(parse_slo("p95_tti<=3x").unwrap().tti_p95_factor, Some(3.0));
    }

    #[test]
    fn errors_name_the_flag() {
        type Edit = Box<dyn FnOnce(&mut RunArgs)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("--duration", Box::new(|a| a.duration = Some("0s".into()))),
            ("--duration", Box::new(|a| a.duration = Some("soon".into()))),
            ("--rate", Box::new(|a| a.rate = Some("0/s".into()))),
            ("--rate", Box::new(|a| a.rate = Some("-3/s".into()))),
            ("--rate", Box::new(|a| a.rate = Some("5/h".into()))),
            ("--arrivals", Box::new(|a| a.arrivals = Some("bursty".into()))),
            ("--window", Box::new(|a| a.window = Some("0s".into()))),
            (
                "--ramp",
                Box::new(|a| {
                    a.ramp = Some("10/s..5/s".into());
                    a.over = Some("10s".into());
                }),
            ),
            ("--ramp", Box::new(|a| a.ramp = Some("10/s".into()))),
            ("--ramp-shape", Box::new(|a| a.ramp_shape = Some("linear".into()))),
            (
                "--ramp-shape",
                Box::new(|a| {
                    a.ramp = Some("10/s..50/s".into());
                    a.over = Some("10s".into());
                    a.ramp_shape = Some("curved".into());
                }),
            ),
            ("--over", Box::new(|a| a.ramp = Some("10/s..50/s".into()))),
            ("--over", Box::new(|a| a.over = Some("10s".into()))),
            (
                "--ramp-steps",
                Box::new(|a| {
                    a.ramp = Some("10/s..50/s".into());
                    a.over = Some("2s".into());
                    a.ramp_steps = Some(10);
                }),
            ),
            (
                "--slo",
                Box::new(|a| {
                    a.ramp = Some("10/s..50/s".into());
                    a.over = Some("20s".into());
                    a.slo = Some("p99<=2x".into());
                }),
            ),
        ];
        for (flag, edit) in cases {
            let err = pace(edit).unwrap_err();
            assert_eq!(err.field, flag, "{err}");
        }
    }
}
