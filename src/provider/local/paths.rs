//! Keeping file operations inside their sandbox: ids and relative paths are checked before any
//! file system call, and symlinks that point outside are refused.

use std::path::{Component, Path, PathBuf};

use crate::provider::{ProviderError, ProviderResult};

/// Ids this provider hands out: lowercase letters, digits and dashes, nothing that walks a path.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Resolves `rel` inside `dir`, refusing absolute paths, `..`, and symlinked parents that lead out.
pub fn resolve_in(dir: &Path, rel: &str) -> ProviderResult<PathBuf> {
    let path = Path::new(rel);
    let plain = !rel.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !plain {
        return Err(ProviderError::provider(format!("path {rel:?} escapes the sandbox")));
    }
    let target = dir.join(path);
    // The deepest existing ancestor decides where the path really leads.
    let mut ancestor = target.parent();
    while let Some(a) = ancestor {
        if a.exists() {
            let real = a
                .canonicalize()
                .map_err(|e| ProviderError::provider(format!("resolve {rel:?}: {e}")))?;
            let root = dir
                .canonicalize()
                .map_err(|e| ProviderError::provider(format!("resolve sandbox: {e}")))?;
            if !real.starts_with(&root) {
                return Err(ProviderError::provider(format!("path {rel:?} escapes the sandbox")));
            }
            break;
        }
        ancestor = a.parent();
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain() {
        assert!(is_valid_id("sb-0a1b2c3d-000001"));
        for bad in ["", "../x", "a/b", "SB", "a b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn escaping_paths_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("out")).unwrap();
        assert!(resolve_in(tmp.path(), "a/b.txt").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "out/x"] {
            assert!(resolve_in(tmp.path(), bad).is_err(), "{bad}");
        }
    }
}
