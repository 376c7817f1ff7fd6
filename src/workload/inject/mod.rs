//! The corruption self-test: damage a chosen fraction of restores after the restore and before
//! verification, so every run can prove its checks catch what they claim to catch.
//!
//! Damage goes through the provider like any workload operation, so the self-test works on every
//! platform. Selection is deterministic: exactly `floor(n * rate)` of `n` restores, evenly spread,
//! cycling through the four kinds.
//!
//! A damage only counts once it is confirmed by a path the detectors do not use: the marker is read
//! back with `read_file` (its bytes changed, or `test -e` says it is gone), the git object is asked
//! for with `git cat-file -e`. A damage that could not be applied or confirmed tested nothing: it is
//! `unapplied`, never a detector miss and never counted as injected.

mod git_object;

pub use git_object::parse_object_id;

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::provider::{ExecRequest, Payload, Provider, ProviderError, ProviderResult, SandboxId};
use crate::verify::restore::Fingerprint;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    BitFlip,
    Truncate,
    DeleteGitObject,
    DeleteMarker,
}

impl Damage {
    pub const ALL: [Damage; 4] = [
        Damage::BitFlip,
        Damage::Truncate,
        Damage::DeleteGitObject,
        Damage::DeleteMarker,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Damage::BitFlip => "bitflip",
            Damage::Truncate => "truncate",
            Damage::DeleteGitObject => "delete_git_object",
            Damage::DeleteMarker => "delete_marker",
        }
    }
}

/// Which damage, if any, restore number `index` (0-based across the run) receives.
pub fn damage_for(index: u64, rate: f64) -> Option<Damage> {
    if rate <= 0.0 {
        return None;
    }
    let before = (index as f64 * rate).floor();
    let after = ((index + 1) as f64 * rate).floor();
    (after > before).then(|| Damage::ALL[(before as u64 % 4) as usize])
}

/// Applies `damage` to the restored sandbox and confirms it; `marker` is the content that was
/// committed (regenerated, damaged, as it is written), `fingerprint` its path and SHA-256. `Ok` describes the confirmed damage; `Err` means it is unapplied (not applied, or not
/// confirmed), with the provider's class when the platform failed.
pub async fn apply(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    damage: Damage,
    fingerprint: &Fingerprint,
    marker: &Payload,
    seed: u64,
    timeout: Duration,
) -> ProviderResult<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let marker_path = fingerprint.marker_path.as_str();
    let committed = fingerprint.marker_sha256.as_str();
    match damage {
        Damage::BitFlip => {
            if marker.is_empty() {
                return Err(ProviderError::provider("cannot flip a bit of an empty marker"));
            }
            let byte = rng.gen_range(0..marker.len());
            let bit = rng.gen_range(0..8);
            provider
                .write_payload(sandbox, marker_path, &marker.with_bit_flipped(byte, bit))
                .await?;
            confirm_changed(provider, sandbox, marker_path, committed).await?;
            Ok(format!("flipped bit {bit} of byte {byte} (confirmed)"))
        }
        Damage::Truncate => {
            let keep = marker.len() / 2;
            provider
                .write_payload(sandbox, marker_path, &marker.truncated(keep))
                .await?;
            confirm_changed(provider, sandbox, marker_path, committed).await?;
            Ok(format!(
                "truncated marker from {} to {keep} bytes (confirmed)",
                marker.len()
            ))
        }
        Damage::DeleteGitObject => git_object::delete(provider, sandbox, marker_path, timeout).await,
        Damage::DeleteMarker => {
            expect_success(provider, sandbox, &["rm", marker_path], timeout).await?;
            confirm_gone(provider, sandbox, marker_path, timeout).await?;
            Ok(format!("deleted {marker_path} (confirmed gone)"))
        }
    }
}

/// The marker read back differs from what was committed (hashed as it is read, whatever its size).
async fn confirm_changed(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    path: &str,
    committed_sha256: &str,
) -> ProviderResult<()> {
    let found = provider.read_digest(sandbox, path).await?;
    if found.sha256 == committed_sha256 {
        return Err(ProviderError::provider(format!(
            "{path} still holds the committed content after the damage was written"
        )));
    }
    Ok(())
}

/// `test -e` says the marker is gone (exit 1; exit 0 means it is still there).
async fn confirm_gone(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    path: &str,
    timeout: Duration,
) -> ProviderResult<()> {
    let out = provider
        .exec(sandbox, &ExecRequest::new(["test", "-e", path], timeout))
        .await?;
    match (out.exit_code, out.signal) {
        (Some(1), None) => Ok(()),
        _ => Err(ProviderError::provider(format!(
            "{path} not confirmed gone: `test -e` answered {}",
            out.status_text()
        ))),
    }
}

async fn expect_success(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    argv: &[&str],
    timeout: Duration,
) -> ProviderResult<()> {
    let request = ExecRequest::new(argv.iter().copied(), timeout);
    let out = provider.exec(sandbox, &request).await?;
    if out.success() {
        Ok(())
    } else {
        Err(ProviderError::provider(format!(
            "`{}` failed: {}",
            request.display(),
            out.status_text()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_exact_fraction_cycling_kinds() {
        let picked: Vec<Damage> = (0..40).filter_map(|i| damage_for(i, 0.5)).collect();
        assert_eq!(picked.len(), 20);
        for kind in Damage::ALL {
            assert_eq!(picked.iter().filter(|d| **d == kind).count(), 5);
        }
        assert_eq!((0..1000).filter_map(|i| damage_for(i, 0.1)).count(), 100);
        assert_eq!((0..10).filter_map(|i| damage_for(i, 1.0)).count(), 10);
        assert_eq!((0..10).filter_map(|i| damage_for(i, 0.0)).count(), 0);
    }
}
