//! Deleting the marker's git object for real, packed repository or not.
//!
//! `rm -f .git/objects/ab/cdef…` "succeeds" on an object that lives in a pack and leaves the
//! repository whole: a self-test built on that would report a detector miss that never happened. So
//! the object is unpacked first when it is not loose, and the deletion only counts once
//! `git cat-file -e` says the object is gone.

use std::time::Duration;

use crate::provider::{ExecRequest, Provider, ProviderError, ProviderResult, SandboxId};
use crate::verify::restore::excerpt;

/// Moves every pack out of the way and explodes it into loose objects (objects already present are
/// not unpacked, hence the move), so the one object can then be removed on its own.
const UNPACK_AND_DELETE: &str = r#"set -e
loose="$1"
if [ ! -f "$loose" ]; then
  for pack in .git/objects/pack/pack-*.pack; do
    [ -f "$pack" ] || continue
    mv "$pack" .git/stress-action-unpack.pack
    rm -f "${pack%.pack}".*
    git unpack-objects -q < .git/stress-action-unpack.pack
    rm -f .git/stress-action-unpack.pack
  done
fi
rm "$loose""#;

/// A git object id as `git rev-parse` prints it: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
/// Anything else (an error message, non-ASCII output) is refused before it is sliced into a path.
pub fn parse_object_id(stdout: &str) -> Option<&str> {
    let oid = stdout.trim();
    let hex = oid.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && matches!(oid.len(), 40 | 64)).then_some(oid)
}

/// Deletes the object of `HEAD:marker_path` and confirms it is gone; `Err` when it could not be
/// applied or confirmed (the damage then tests nothing).
pub async fn delete(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    marker_path: &str,
    timeout: Duration,
) -> ProviderResult<String> {
    let spec = format!("HEAD:{marker_path}");
    let out = provider
        .exec(sandbox, &ExecRequest::new(["git", "rev-parse", spec.as_str()], timeout))
        .await?;
    let stdout = out.stdout_text();
    let oid = match parse_object_id(&stdout) {
        Some(oid) if out.success() => oid.to_string(),
        _ => {
            return Err(ProviderError::provider(format!(
                "cannot find the marker's git object: {}: {}",
                out.status_text(),
                excerpt(stdout.trim())
            )))
        }
    };
    let loose = format!(".git/objects/{}/{}", &oid[..2], &oid[2..]);
    let request = ExecRequest::new(
        ["sh", "-c", UNPACK_AND_DELETE, "delete-git-object", loose.as_str()],
        timeout,
    );
    let out = provider.exec(sandbox, &request).await?;
    if !out.success() {
        return Err(ProviderError::provider(format!(
            "cannot delete git object {oid}: {}: {}",
            out.status_text(),
            excerpt(out.stderr_text().trim())
        )));
    }
    let check = ExecRequest::new(["git", "cat-file", "-e", oid.as_str()], timeout);
    let out = provider.exec(sandbox, &check).await?;
    // Only a clean "no such object" confirms: exit 0 means it is still there, a signal means git
    // never answered.
    match (out.exit_code, out.signal) {
        (Some(code), None) if code != 0 => Ok(format!("deleted git object {oid} (confirmed gone)")),
        _ => Err(ProviderError::provider(format!(
            "git object {oid} still readable after deleting {loose} ({})",
            out.status_text()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_checked_before_slicing() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(parse_object_id(&format!("{sha1}\n")), Some(sha1));
        let sha256 = "a".repeat(64);
        assert_eq!(parse_object_id(&sha256), Some(sha256.as_str()));
        for bad in [
            "",
            "ab",
            "fatal: path 'marker.bin' does not exist in 'HEAD'",
            "é123456789abcdef0123456789abcdef0123456",
            "0123456789ABCDEF0123456789abcdef01234567",
            "0123456789abcdef0123456789abcdef0123456",
        ] {
            assert_eq!(parse_object_id(bad), None, "{bad:?}");
        }
    }
}
