//! `DIR/evidence/<op-id>/`: what was expected and what was found for each failed operation, so a
//! red check comes with the material to debug it. Bounded: after [`MAX_EVIDENCE`] operations only
//! the count grows, so a run where everything breaks cannot fill the disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const MAX_EVIDENCE: usize = 50;

pub struct EvidenceStore {
    dir: PathBuf,
    used: AtomicUsize,
}

impl EvidenceStore {
    pub fn new(run_dir: &Path) -> Self {
        Self {
            dir: run_dir.join("evidence"),
            used: AtomicUsize::new(0),
        }
    }

    /// Writes `files` under `evidence/<op_id>/` and returns that path relative to the run directory,
    /// or `None` once the budget is spent or the disk refuses (evidence must never fail a run).
    pub fn write(&self, op_id: &str, files: &[(&str, Vec<u8>)]) -> Option<String> {
        if self.used.fetch_add(1, Ordering::Relaxed) >= MAX_EVIDENCE {
            return None;
        }
        let safe: String = op_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = self.dir.join(&safe);
        std::fs::create_dir_all(&dir).ok()?;
        for (name, content) in files {
            std::fs::write(dir.join(name), content).ok()?;
        }
        Some(format!("evidence/{safe}/"))
    }

    /// How many failed operations asked for evidence (written or not).
    pub fn requested(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// The first byte offset where `found` differs from `expected` (the shorter length if one is a
/// prefix of the other), or `None` when they are equal.
pub fn first_difference(expected: &[u8], found: &[u8]) -> Option<usize> {
    let common = expected.len().min(found.len());
    expected[..common]
        .iter()
        .zip(&found[..common])
        .position(|(a, b)| a != b)
        .or((expected.len() != found.len()).then_some(common))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_cases() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
        assert_eq!(first_difference(b"", b"x"), Some(0));
    }

    #[test]
    fn writes_until_the_budget_is_spent() {
        let tmp = tempfile::tempdir().unwrap();
        let store = EvidenceStore::new(tmp.path());
        let rel = store
            .write("r1/restore 2", &[("expected.txt", b"sha".to_vec())])
            .unwrap();
        assert_eq!(rel, "evidence/r1_restore_2/");
        assert_eq!(
            std::fs::read(tmp.path().join(rel).join("expected.txt")).unwrap(),
            b"sha"
        );
        for i in 1..MAX_EVIDENCE {
            assert!(store.write(&format!("op{i}"), &[]).is_some());
        }
        assert!(store.write("one-too-many", &[]).is_none());
        assert_eq!(store.requested(), MAX_EVIDENCE + 1);
    }
}
