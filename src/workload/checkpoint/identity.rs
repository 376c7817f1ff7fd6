//! Which round's checkpoint a restore really holds. Every round commits a different marker, so a
//! restore of round i that shows round j's marker or commit is not a damaged snapshot but the wrong
//! one: a platform that mixes checkpoints up under concurrency (a snapshot queue, copy-on-write
//! metadata shared between sandboxes). That corruption is named as such — "restored the wrong
//! checkpoint" — instead of a bare hash mismatch, so the reader knows where to look.

use std::sync::Mutex;

use crate::provider::{ExecRequest, SandboxId};
use crate::verify::restore::Fingerprint;
use crate::verify::sha256::parse_sha256sum;
use crate::verify::Outcome;
use crate::workload::WorkloadContext;

/// The check a mixed-up restore fails, as reports and the verdict name it.
pub const WRONG_CHECKPOINT: &str = "restored the wrong checkpoint";

/// The fingerprints of every round of the run, registered before the round's checkpoint is
/// requested (a platform can only hand out a checkpoint once it was asked for one).
#[derive(Default)]
pub struct KnownRounds {
    rounds: Mutex<Vec<(u32, Fingerprint)>>,
}

impl KnownRounds {
    pub fn register(&self, round: u32, fingerprint: &Fingerprint) {
        self.lock().push((round, fingerprint.clone()));
    }

    /// The round other than `own` whose commit is `commit`, and the one whose marker hash is `sha`.
    fn owners(&self, own: u32, commit: Option<&str>, sha: Option<&str>) -> (Option<u32>, Option<u32>) {
        let rounds = self.lock();
        let other = |matches: &dyn Fn(&Fingerprint) -> bool| {
            rounds
                .iter()
                .find(|(round, fp)| *round != own && matches(fp))
                .map(|(round, _)| *round)
        };
        (
            commit.and_then(|c| other(&|fp| fp.commit == c)),
            sha.and_then(|s| other(&|fp| fp.marker_sha256 == s)),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u32, Fingerprint)>> {
        self.rounds.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// For a corrupted restore of round `own`: when the sandbox holds another round's commit or marker,
/// the corruption is "restored the wrong checkpoint", naming both rounds; `None` keeps the original
/// outcome (the state is no round's, or the sandbox could not be read).
pub async fn wrong_checkpoint(
    ctx: &WorkloadContext,
    sandbox: &SandboxId,
    own: u32,
    expected: &Fingerprint,
    known: &KnownRounds,
) -> Option<Outcome> {
    let (commit, sha) = found_state(ctx, sandbox, &expected.marker_path).await;
    let (by_commit, by_marker) = known.owners(own, commit.as_deref(), sha.as_deref());
    if by_commit.is_none() && by_marker.is_none() {
        return None;
    }
    let found = match (by_commit, by_marker) {
        (Some(a), Some(b)) if a == b => format!(
            "round {a}'s marker and commit (commit {}, marker {})",
            short(commit.as_deref().unwrap_or_default()),
            short(sha.as_deref().unwrap_or_default())
        ),
        _ => {
            let of = |owner: Option<u32>, what: &str, value: Option<&str>| match (owner, value) {
                (Some(round), Some(v)) => format!("round {round}'s {what} {}", short(v)),
                (None, Some(v)) => format!("{what} {} of no round", short(v)),
                (_, None) => format!("no readable {what}"),
            };
            format!(
                "{} and {}",
                of(by_commit, "commit", commit.as_deref()),
                of(by_marker, "marker", sha.as_deref())
            )
        }
    };
    Some(Outcome::corrupted(
        WRONG_CHECKPOINT,
        format!(
            "round {own}'s checkpoint (commit {}, marker {})",
            short(&expected.commit),
            short(&expected.marker_sha256)
        ),
        found,
    ))
}

/// The restored sandbox's HEAD and marker hash, each `None` when it cannot be read.
async fn found_state(ctx: &WorkloadContext, sandbox: &SandboxId, marker: &str) -> (Option<String>, Option<String>) {
    let head = stdout_of(ctx, sandbox, &["git", "rev-parse", "HEAD"])
        .await
        .map(|text| text.trim().to_string());
    let sha = stdout_of(ctx, sandbox, &["sha256sum", marker])
        .await
        .and_then(|text| parse_sha256sum(&text).map(str::to_string));
    (head, sha)
}

async fn stdout_of(ctx: &WorkloadContext, sandbox: &SandboxId, argv: &[&str]) -> Option<String> {
    let request = ExecRequest::new(argv.iter().copied(), ctx.exec_timeout);
    match ctx.provider.exec(sandbox, &request).await {
        Ok(out) if out.success() => Some(out.stdout_text()),
        _ => None,
    }
}

/// The first 12 characters of a hash: enough to tell rounds apart in a table.
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(commit: &str, sha: &str) -> Fingerprint {
        Fingerprint {
            marker_path: "marker.bin".into(),
            marker_sha256: sha.into(),
            commit: commit.into(),
        }
    }

    #[test]
    fn another_rounds_commit_or_marker_is_recognised_and_ones_own_is_not() {
        let known = KnownRounds::default();
        known.register(1, &fp("c1", "s1"));
        known.register(2, &fp("c2", "s2"));
        assert_eq!(known.owners(1, Some("c2"), Some("s2")), (Some(2), Some(2)));
        assert_eq!(known.owners(1, Some("c1"), Some("s2")), (None, Some(2)));
        assert_eq!(known.owners(2, Some("c2"), Some("s2")), (None, None), "its own state");
        assert_eq!(known.owners(1, Some("zz"), None), (None, None), "no round's state");
    }
}
