//! The corruption self-test: damage a chosen fraction of restores after the restore and before
//! verification, so every run can prove its checks catch what they claim to catch.
//!
//! Damage goes through the provider like any workload operation, so the self-test works on every
//! platform. Selection is deterministic: exactly `floor(n * rate)` of `n` restores, evenly spread,
//! cycling through the four kinds.

use std::time::Duration;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::provider::{ExecRequest, Provider, ProviderError, ProviderResult, SandboxId};

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

/// Applies `damage` to the restored sandbox. `marker` is the content that was committed.
pub async fn apply(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    damage: Damage,
    marker_path: &str,
    marker: &Bytes,
    seed: u64,
    timeout: Duration,
) -> ProviderResult<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match damage {
        Damage::BitFlip => {
            let mut data = marker.to_vec();
            if data.is_empty() {
                return Err(ProviderError::provider("cannot flip a bit of an empty marker"));
            }
            let byte = rng.gen_range(0..data.len());
            let bit = rng.gen_range(0..8);
            data[byte] ^= 1 << bit;
            provider.write_file(sandbox, marker_path, Bytes::from(data)).await?;
            Ok(format!("flipped bit {bit} of byte {byte}"))
        }
        Damage::Truncate => {
            let keep = marker.len() / 2;
            provider.write_file(sandbox, marker_path, marker.slice(..keep)).await?;
            Ok(format!("truncated marker from {} to {keep} bytes", marker.len()))
        }
        Damage::DeleteGitObject => {
            let spec = format!("HEAD:{marker_path}");
            let out = provider
                .exec(sandbox, &ExecRequest::new(["git", "rev-parse", spec.as_str()], timeout))
                .await?;
            let oid = out.stdout_text().trim().to_string();
            if !out.success() || oid.len() < 3 {
                return Err(ProviderError::provider(format!(
                    "cannot find the marker's git object: {}",
                    out.status_text()
                )));
            }
            let object = format!(".git/objects/{}/{}", &oid[..2], &oid[2..]);
            expect_success(provider, sandbox, &["rm", "-f", object.as_str()], timeout).await?;
            Ok(format!("deleted git object {object}"))
        }
        Damage::DeleteMarker => {
            expect_success(provider, sandbox, &["rm", marker_path], timeout).await?;
            Ok(format!("deleted {marker_path}"))
        }
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
