//! Where a run came from: the repository, commit, ref and pull request, and the workflow run that
//! measured it. Runs become a history only when they can be told apart and ordered by commit, and a
//! reader of a number needs to know which build it measured. Every field is optional: a run outside
//! GitHub Actions and outside a git repository knows none of them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `owner/name`.
    pub repository: Option<String>,
    /// The commit that was measured (for a pull request, the merge commit GitHub checked out).
    pub sha: Option<String>,
    /// `refs/heads/main`, `refs/pull/7/merge`, `refs/tags/v1`.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The branch a pull request merges into.
    pub base_ref: Option<String>,
    pub pr: Option<u64>,
    pub run_id: Option<String>,
    pub run_attempt: Option<u32>,
    pub workflow: Option<String>,
    pub job: Option<String>,
    pub runner_os: Option<String>,
    pub runner_arch: Option<String>,
}

impl Source {
    /// The branch this run belongs to: `main` for `refs/heads/main`; `None` for pull requests and
    /// tags (a pull request's runs are not a branch's history).
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.as_deref()?.strip_prefix("refs/heads/")
    }

    /// The first 7 characters of the commit, as people quote it (characters, not bytes: the value
    /// comes from the environment and may be anything).
    pub fn short_sha(&self) -> Option<&str> {
        self.sha
            .as_deref()
            .map(|s| s.char_indices().nth(7).map_or(s, |(end, _)| &s[..end]))
    }

    /// The fields every one of `sources` agrees on; the rest are left out (an aggregate of shards
    /// that ran in different jobs names no job).
    pub fn common<'a>(sources: impl IntoIterator<Item = &'a Source>) -> Source {
        let mut iter = sources.into_iter();
        let Some(first) = iter.next() else {
            return Source::default();
        };
        let mut out = first.clone();
        for s in iter {
            keep_if_equal(&mut out.repository, &s.repository);
            keep_if_equal(&mut out.sha, &s.sha);
            keep_if_equal(&mut out.git_ref, &s.git_ref);
            keep_if_equal(&mut out.base_ref, &s.base_ref);
            keep_if_equal(&mut out.pr, &s.pr);
            keep_if_equal(&mut out.run_id, &s.run_id);
            keep_if_equal(&mut out.run_attempt, &s.run_attempt);
            keep_if_equal(&mut out.workflow, &s.workflow);
            keep_if_equal(&mut out.job, &s.job);
            keep_if_equal(&mut out.runner_os, &s.runner_os);
            keep_if_equal(&mut out.runner_arch, &s.runner_arch);
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self == &Source::default()
    }
}

fn keep_if_equal<T: PartialEq>(kept: &mut Option<T>, other: &Option<T>) {
    if kept != other {
        *kept = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_keep_what_they_share() {
        let a = Source {
            repository: Some("o/r".into()),
            sha: Some("abcdef0123".into()),
            job: Some("shard-1".into()),
            ..Default::default()
        };
        let b = Source {
            job: Some("shard-2".into()),
            ..a.clone()
        };
        let common = Source::common([&a, &b]);
        assert_eq!(common.sha.as_deref(), Some("abcdef0123"));
        assert_eq!(common.job, None);
        assert_eq!(common.short_sha(), Some("abcdef0"));
        assert!(Source::common([]).is_empty());
    }

    #[test]
    fn only_branches_are_branches() {
        let on = |r: &str| Source {
            git_ref: Some(r.into()),
            ..Default::default()
        };
        assert_eq!(on("refs/heads/release/1.x").branch(), Some("release/1.x"));
        assert_eq!(on("refs/pull/7/merge").branch(), None);
    }
}
