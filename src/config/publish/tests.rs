use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn presign_days_over_seven_names_the_flag() {
    let args = PublishArgs {
        s3_bucket: Some("b".into()),
        presign_days: Some(8),
        ..Default::default()
    };
    let err = PublishConfig::build(args, &env(&[])).unwrap_err();
    assert_eq!(err.field, "--presign-days");
}

#[test]
fn defaults_come_from_the_actions_environment() {
    let args = PublishArgs {
        s3_bucket: Some("b".into()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request":{"number":42}}"#).unwrap();
    let e = env(&[
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_RUN_ID", "99"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
    ]);
    let cfg = PublishConfig::build(args, &e).unwrap();
    assert_eq!(cfg.s3.unwrap().prefix, "stress-action/o/r/99/1/default");
    let gh = cfg.github.unwrap();
    assert_eq!((gh.repo.as_str(), gh.pr, gh.key.as_str()), ("o/r", 42, "default"));
    assert_eq!(cfg.run_url.as_deref(), Some("https://github.com/o/r/actions/runs/99"));
}

#[test]
fn bad_repo_and_baseline_are_usage_errors() {
    let args = PublishArgs {
        repo: Some("noslash".into()),
        pr: Some(1),
        ..Default::default()
    };
    assert_eq!(PublishConfig::build(args, &env(&[])).unwrap_err().field, "--repo");
    let args = PublishArgs {
        save_baseline: Some("/tmp/x".into()),
        ..Default::default()
    };
    assert_eq!(
        PublishConfig::build(args, &env(&[])).unwrap_err().field,
        "--save-baseline"
    );
}

#[test]
fn comment_author_is_a_login() {
    let with = |author: &str| PublishArgs {
        repo: Some("o/r".into()),
        pr: Some(1),
        comment_author: Some(author.into()),
        ..Default::default()
    };
    for bad in ["", "a b", "x\"; rm", "[bot]"] {
        let err = PublishConfig::build(with(bad), &env(&[])).unwrap_err();
        assert_eq!(err.field, "--comment-author", "{bad:?}");
    }
    for good in ["octocat", "ci-runner-2", "my-app[bot]"] {
        let cfg = PublishConfig::build(with(good), &env(&[])).unwrap();
        assert_eq!(cfg.github.unwrap().author.as_deref(), Some(good));
    }
}

/// Two jobs of one workflow run (different comment keys) and a re-run of the same job (the next
/// attempt) upload under different default prefixes; an explicit --s3-prefix is kept as given.
#[test]
fn default_prefix_separates_jobs_and_attempts() {
    let prefix = |key: Option<&str>, attempt: &str, explicit: Option<&str>| {
        let args = PublishArgs {
            s3_bucket: Some("b".into()),
            comment_key: key.map(str::to_string),
            s3_prefix: explicit.map(str::to_string),
            ..Default::default()
        };
        let e = env(&[
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "99"),
            ("GITHUB_RUN_ATTEMPT", attempt),
        ]);
        PublishConfig::build(args, &e).unwrap().s3.unwrap().prefix
    };
    assert_eq!(prefix(None, "1", None), "stress-action/o/r/99/1/default");
    assert_eq!(prefix(Some("nightly"), "1", None), "stress-action/o/r/99/1/nightly");
    assert_eq!(prefix(Some("nightly"), "2", None), "stress-action/o/r/99/2/nightly");
    assert_eq!(prefix(Some("nightly"), "2", Some("/mine/x/")), "mine/x");
    let local = PublishConfig::build(
        PublishArgs {
            s3_bucket: Some("b".into()),
            ..Default::default()
        },
        &env(&[]),
    )
    .unwrap();
    let local = local.s3.unwrap().prefix;
    assert!(
        local.starts_with("stress-action/local/") && local.ends_with("/default"),
        "{local}"
    );
}
