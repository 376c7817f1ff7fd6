//! Where a run came from, worked out when it starts: the GitHub Actions environment first
//! (`GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_REF`, the pull request of the event, ...), then, for
//! what that does not say and outside Actions, the git repository the tool runs in. Nothing else is
//! consulted, and no value is guessed: a field nobody states stays empty.
//!
//! A remote's URL may carry credentials (`https://user:token@host/o/r`): only `owner/name` is ever
//! taken from it, so no secret reaches report.json.

use std::path::Path;
use std::process::Command;

use crate::report::Source;

/// The run's source from `env` (a lookup of environment variables) and, where that is silent and
/// not in GitHub Actions, from git in `dir`.
pub fn detect(env: &dyn Fn(&str) -> Option<String>, dir: &Path) -> Source {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let mut s = Source {
        repository: get("GITHUB_REPOSITORY"),
        sha: get("GITHUB_SHA"),
        git_ref: get("GITHUB_REF"),
        base_ref: get("GITHUB_BASE_REF"),
        pr: None,
        run_id: get("GITHUB_RUN_ID"),
        run_attempt: get("GITHUB_RUN_ATTEMPT").and_then(|a| a.parse().ok()),
        workflow: get("GITHUB_WORKFLOW"),
        job: get("GITHUB_JOB"),
        runner_os: get("RUNNER_OS"),
        runner_arch: get("RUNNER_ARCH"),
    };
    s.pr = get("GITHUB_EVENT_PATH")
        .and_then(|p| pr_of_event(Path::new(&p)))
        .or_else(|| s.git_ref.as_deref().and_then(pr_of_ref));
    if get("GITHUB_ACTIONS").as_deref() != Some("true") {
        if s.sha.is_none() {
            s.sha = git(dir, &["rev-parse", "--verify", "-q", "HEAD"]);
        }
        if s.git_ref.is_none() {
            s.git_ref = git(dir, &["symbolic-ref", "-q", "HEAD"]);
        }
        if s.repository.is_none() {
            s.repository = git(dir, &["config", "--get", "remote.origin.url"]).and_then(|u| repository_of_url(&u));
        }
    }
    s
}

/// The process environment as [`detect`] reads it.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// The pull request of a `pull_request` / `pull_request_target` event payload.
fn pr_of_event(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["pull_request"]["number"].as_u64()
}

/// `refs/pull/7/merge` -> 7.
fn pr_of_ref(r: &str) -> Option<u64> {
    r.strip_prefix("refs/pull/")?.split('/').next()?.parse().ok()
}

/// `owner/name` of `git@host:owner/name.git` or `https://[user@]host/owner/name[.git]`; `None`
/// for anything else (a local path, a URL without both parts).
fn repository_of_url(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        rest.split_once('/')?.1
    } else {
        url.split_once(':')?.1
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let parts: Vec<&str> = path.rsplitn(3, '/').collect();
    let (name, owner) = (parts.first()?, parts.get(1)?);
    let ok = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (ok(owner) && ok(name)).then(|| format!("{owner}/{name}"))
}

/// The trimmed stdout of a successful `git ARGS` in `dir`; `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn actions_environment_is_read_and_git_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(&event, r#"{"pull_request": {"number": 42}}"#).unwrap();
        let s = detect(
            &env(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", "o/r"),
                ("GITHUB_SHA", "0123456789abcdef"),
                ("GITHUB_REF", "refs/pull/42/merge"),
                ("GITHUB_BASE_REF", "main"),
                ("GITHUB_RUN_ID", "99"),
                ("GITHUB_RUN_ATTEMPT", "2"),
                ("GITHUB_WORKFLOW", "stress"),
                ("GITHUB_JOB", "smoke"),
                ("RUNNER_OS", "Linux"),
                ("RUNNER_ARCH", "X64"),
                ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ]),
            dir.path(),
        );
        assert_eq!(s.pr, Some(42));
        assert_eq!(s.run_attempt, Some(2));
        assert_eq!(s.base_ref.as_deref(), Some("main"));
        assert_eq!(s.runner_arch.as_deref(), Some("X64"));
        let bare = detect(
            &env(&[("GITHUB_ACTIONS", "true"), ("GITHUB_REF", "refs/pull/5/merge")]),
            dir.path(),
        );
        assert_eq!(bare.pr, Some(5));
        assert_eq!(bare.sha, None);
    }

    #[test]
    fn git_fills_in_outside_actions() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            assert!(Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .status()
                .unwrap()
                .success());
        };
        run(&["init", "-q", "-b", "trunk"]);
        run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ]);
        run(&[
            "remote",
            "add",
            "origin",
            "https://user:s3cret@github.example/owner/proj.git",
        ]);
        let s = detect(&env(&[]), dir.path());
        assert_eq!(s.git_ref.as_deref(), Some("refs/heads/trunk"));
        assert_eq!(s.sha.as_ref().map(String::len), Some(40));
        assert_eq!(s.repository.as_deref(), Some("owner/proj"), "credentials never kept");
        let pinned = detect(&env(&[("GITHUB_SHA", "feed")]), dir.path());
        assert_eq!(pinned.sha.as_deref(), Some("feed"));
        let outside = tempfile::tempdir().unwrap();
        assert!(detect(&env(&[]), outside.path()).sha.is_none());
    }

    #[test]
    fn remote_urls() {
        assert_eq!(repository_of_url("git@github.com:o/r.git").as_deref(), Some("o/r"));
        assert_eq!(repository_of_url("https://github.com/o/r").as_deref(), Some("o/r"));
        assert_eq!(
            repository_of_url("ssh://git@host:22/group/o/r.git").as_deref(),
            Some("o/r")
        );
        assert_eq!(repository_of_url("/srv/repo.git"), None);
    }
}
