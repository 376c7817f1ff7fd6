//! Sharding: one run of a matrix does its slice of every workload, so N machines together run the
//! profile once. The split is deterministic (shard I of N always gets the same slice), earlier shards
//! take the remainder, and each shard derives its own seed from the base seed, so shards write
//! different markers and payloads yet every shard is reproducible from `--seed` and `--shard`.
//!
//! `--start-at` is the agreed instant every shard releases its burst at; shards start on different
//! runners at different times, and only a shared wall-clock instant makes their bursts overlap.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{RunConfig, WorkloadKind};
use crate::error::ConfigError;

/// Which slice of the profile this run does: `index` of `count`, 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
    /// Ties the shards of one matrix together; `aggregate` refuses to mix groups.
    pub group: String,
    /// The seed this shard's workloads use, derived from the run's `--seed` and the index.
    pub seed: u64,
}

impl RunConfig {
    /// The seed the workloads draw from: the shard's own when sharded, else `--seed`.
    pub fn workload_seed(&self) -> u64 {
        self.shard.as_ref().map_or(self.seed, |s| s.seed)
    }
}

/// An instant further in the past than this is a mistake (a stale workflow input), not a late runner.
pub const MAX_START_AT_PAST: Duration = Duration::from_secs(3600);
/// Waiting longer than this for a start instant is a mistake too.
pub const MAX_START_AT_FUTURE: Duration = Duration::from_secs(24 * 3600);
const MAX_SHARDS: u32 = 10_000;
/// The group of shards started outside GitHub Actions without `--group`.
pub const LOCAL_GROUP: &str = "local";

/// `I/N` with `1 <= I <= N`.
pub fn parse_shard(text: &str) -> Result<(u32, u32), ConfigError> {
    let bad = |why: &str| {
        ConfigError::new(
            "--shard",
            format!("{why} (expected I/N with 1 <= I <= N, got {text:?})"),
        )
    };
    let (i, n) = text.trim().split_once('/').ok_or_else(|| bad("missing '/'"))?;
    let index: u32 = i.trim().parse().map_err(|_| bad("I is not a whole number"))?;
    let count: u32 = n.trim().parse().map_err(|_| bad("N is not a whole number"))?;
    if count == 0 || count > MAX_SHARDS {
        return Err(bad(&format!("N must be between 1 and {MAX_SHARDS}")));
    }
    if index == 0 || index > count {
        return Err(bad("I must be between 1 and N"));
    }
    Ok((index, count))
}

/// The group id: `--group`, else `gh-GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT` (the same in every job of one
/// workflow run), else `local`: shards started by hand without `--group` must still agree without
/// talking to each other, so the fallback is a constant (the `bool` says it was a fallback).
pub fn group_id(given: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Result<(String, bool), ConfigError> {
    if let Some(g) = given {
        let ok = !g.is_empty()
            && g.len() <= 100
            && g.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(ConfigError::new(
                "--group",
                format!("must be 1 to 100 characters of letters, digits, '-', '_' or '.' (got {g:?})"),
            ));
        }
        return Ok((g.to_string(), false));
    }
    if let Some(run_id) = env("GITHUB_RUN_ID").filter(|v| !v.is_empty()) {
        let attempt = env("GITHUB_RUN_ATTEMPT")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "1".into());
        return Ok((format!("gh-{run_id}-{attempt}"), false));
    }
    Ok((LOCAL_GROUP.to_string(), true))
}

/// Parses `--start-at` and refuses instants that can only be mistakes: more than an hour in the past
/// or more than a day ahead. A few minutes late (a runner that was queued) is accepted; the run then
/// starts at once and says so.
pub fn parse_start_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ConfigError> {
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| {
            ConfigError::new(
                "--start-at",
                format!("{text:?} is not an RFC 3339 instant like 2026-01-02T15:04:05Z ({e})"),
            )
        })?
        .with_timezone(&Utc);
    let past = (now - at).to_std().unwrap_or_default();
    if past > MAX_START_AT_PAST {
        return Err(ConfigError::new(
            "--start-at",
            format!(
                "{text} is {} s in the past (more than an hour: a stale value?)",
                past.as_secs()
            ),
        ));
    }
    let ahead = (at - now).to_std().unwrap_or_default();
    if ahead > MAX_START_AT_FUTURE {
        return Err(ConfigError::new(
            "--start-at",
            format!("{text} is more than a day ahead ({} s)", ahead.as_secs()),
        ));
    }
    Ok(at)
}

/// Shard `index` (1-based) of `count`'s part of `total`: as even as possible, earlier shards take
/// the remainder.
pub fn share(total: u64, index: u32, count: u32) -> u64 {
    let (n, i) = (u64::from(count), u64::from(index) - 1);
    total / n + u64::from(i < total % n)
}

/// FNV-1a of the group id: the base seed of shards started without `--seed`.
fn seed_of_group(group: &str) -> u64 {
    group.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A shard's seed: a SplitMix64 step of the base seed and the index, so shards differ and the same
/// `--seed --shard` pair always gives the same markers.
pub fn derive_seed(base: u64, index: u32) -> u64 {
    let mut z = base ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reads `--shard`, `--group` and `--start-at` into a built configuration and cuts it to the shard.
pub fn configure(args: &super::RunArgs, cfg: &mut RunConfig) -> Result<(), ConfigError> {
    if let Some(text) = &args.start_at {
        let at = parse_start_at(text, Utc::now())?;
        cfg.workloads.lifecycle.start_at = Some(at.into());
    }
    let Some(text) = &args.shard else {
        if args.group.is_some() {
            return Err(ConfigError::new("--group", "only means something with --shard I/N"));
        }
        return Ok(());
    };
    let (index, count) = parse_shard(text)?;
    let env = |k: &str| std::env::var(k).ok();
    let (group, _generated) = group_id(args.group.as_deref(), &env)?;
    if args.seed.is_none() {
        // Shards started without --seed still share a base seed: the group's.
        cfg.seed = seed_of_group(&group);
    }
    let spec = ShardSpec {
        index,
        count,
        group,
        seed: derive_seed(cfg.seed, index),
    };
    apply(cfg, &spec)?;
    cfg.shard = Some(spec);
    Ok(())
}

/// Cuts the full profile down to this shard's slice. Every selected workload must get at least one
/// operation per shard, otherwise some shard would run nothing and prove nothing.
pub fn apply(cfg: &mut RunConfig, spec: &ShardSpec) -> Result<(), ConfigError> {
    let (i, n) = (spec.index, spec.count);
    let too_many = |what: &str, total: u64| {
        ConfigError::new(
            "--shard",
            format!("{n} shards cannot split {total} {what}: use at most {total} shards or raise the count"),
        )
    };
    let w = &cfg.workloads;
    // Only these workloads have a count to split; any other (one shared store under contention, a
    // fault schedule) would run whole on every shard and be counted N times, so it is refused.
    let splittable = |k: &WorkloadKind| {
        matches!(
            k,
            WorkloadKind::Checkpoint | WorkloadKind::Lifecycle | WorkloadKind::Storage
        )
    };
    if let Some(kind) = w.selected.iter().find(|k| !splittable(k)) {
        return Err(ConfigError::new(
            "--shard",
            format!(
                "the {} workload is not split across shards; run it without --shard",
                kind.name()
            ),
        ));
    }
    if w.runs(WorkloadKind::Checkpoint) {
        let total = u64::from(cfg.checkpoint.restores);
        if total < u64::from(n) {
            return Err(too_many("restores (--restores)", total));
        }
        let restores = share(total, i, n) as u32;
        cfg.checkpoint.restores = restores;
        // Rounds are split like restores, so the shards together take the configured number of
        // checkpoints; a shard always takes one (a restore needs a checkpoint), and never more
        // rounds than restores (the share of the larger total is never the smaller).
        let rounds = share(u64::from(cfg.checkpoint.rounds), i, n) as u32;
        cfg.checkpoint.rounds = rounds.clamp(1, restores);
    }
    if w.runs(WorkloadKind::Lifecycle) {
        let lc = &w.lifecycle;
        for mode in &lc.modes {
            let total = lc.count_for(*mode);
            if total < u64::from(n) {
                let flag = if *mode == super::LifecycleMode::Burst {
                    "burst sandboxes (--burst-size)"
                } else {
                    "lifecycle sandboxes (--lifecycle-count)"
                };
                return Err(too_many(flag, total));
            }
        }
    }
    if w.runs(WorkloadKind::Storage) {
        let total = u64::from(w.storage.iterations);
        if total < u64::from(n) {
            return Err(too_many("storage iterations (--storage-iterations)", total));
        }
    }
    let lc = &mut cfg.workloads.lifecycle;
    // A timed run splits the rate instead of the count: every shard runs for the whole duration
    // (or ramp) at its share, so together they offer the rate asked for.
    lc.pace = lc.pace.clone().shared(1.0 / f64::from(n));
    if lc.pace.rate.is_none() && lc.pace.is_timed() && !lc.stagger.is_zero() {
        lc.pace.rate = Some(1.0 / lc.stagger.as_secs_f64() / f64::from(n));
    }
    lc.count = share(lc.count, i, n);
    lc.burst_size = share(lc.burst_size, i, n);
    let st = &mut cfg.workloads.storage;
    st.iterations = share(u64::from(st.iterations), i, n) as u32;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_earlier_shards_take_the_rest() {
        for (total, n) in [(1000u64, 2u32), (400, 4), (10, 3), (7, 7), (100_000, 9)] {
            let parts: Vec<u64> = (1..=n).map(|i| share(total, i, n)).collect();
            assert_eq!(parts.iter().sum::<u64>(), total);
            assert!(parts.windows(2).all(|w| w[0] >= w[1] && w[0] - w[1] <= 1), "{parts:?}");
        }
        assert_eq!(share(10, 1, 3), 4);
    }

    #[test]
    fn rounds_are_split_like_restores() {
        let build = |shard: &str, rounds: i64| {
            let args = crate::config::RunArgs {
                profile: Some("storm".into()),
                rounds: Some(rounds),
                shard: Some(shard.into()),
                group: Some("g".into()),
                ..Default::default()
            };
            RunConfig::build(args).unwrap().checkpoint
        };
        let halves: Vec<(u32, u32)> = ["1/2", "2/2"]
            .iter()
            .map(|s| {
                let cp = build(s, 20);
                (cp.rounds, cp.restores)
            })
            .collect();
        assert_eq!(
            halves,
            vec![(10, 50), (10, 50)],
            "20 checkpoints in all, not 20 per shard"
        );
        assert_eq!(build("1/3", 20).rounds, 7);
        assert_eq!(build("3/3", 20).rounds, 6);
        assert_eq!(
            build("3/3", 1).rounds,
            1,
            "a shard always has a checkpoint to restore from"
        );
    }

    #[test]
    fn shard_syntax_errors_name_the_flag() {
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        for bad in ["0/4", "5/4", "1/0", "x/2", "1", "1/2/3", ""] {
            let e = parse_shard(bad).unwrap_err();
            assert_eq!(e.field, "--shard", "{bad}");
        }
    }

    #[test]
    fn seeds_differ_per_shard_and_are_stable() {
        assert_ne!(derive_seed(7, 1), derive_seed(7, 2));
        assert_eq!(derive_seed(7, 3), derive_seed(7, 3));
    }

    #[test]
    fn start_at_bounds() {
        let now = Utc::now();
        let fmt = |d: DateTime<Utc>| d.to_rfc3339();
        assert!(parse_start_at(&fmt(now + chrono::Duration::seconds(30)), now).is_ok());
        assert!(parse_start_at(&fmt(now - chrono::Duration::seconds(30)), now).is_ok());
        for bad in [
            fmt(now - chrono::Duration::hours(2)),
            fmt(now + chrono::Duration::days(2)),
            "tomorrow".to_string(),
        ] {
            assert_eq!(parse_start_at(&bad, now).unwrap_err().field, "--start-at");
        }
    }

    #[test]
    fn groups_from_flag_env_or_generated() {
        let none = |_: &str| None;
        assert_eq!(group_id(Some("g1"), &none).unwrap(), ("g1".into(), false));
        assert_eq!(group_id(Some("a b"), &none).unwrap_err().field, "--group");
        let gh = |k: &str| match k {
            "GITHUB_RUN_ID" => Some("42".to_string()),
            "GITHUB_RUN_ATTEMPT" => Some("2".to_string()),
            _ => None,
        };
        assert_eq!(group_id(None, &gh).unwrap(), ("gh-42-2".into(), false));
        assert_eq!(group_id(None, &none).unwrap(), ("local".into(), true));
    }
}
