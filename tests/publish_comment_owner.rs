//! Which comment is the sticky one: only a comment carrying the marker **and** written by a Bot or
//! by `--comment-author` is ever edited. Humans quoting the marker are never touched.

mod fake_github;
mod publish_support;

use fake_github::FakeGitHub;
use publish_support::{cli, run_dir};

fn publish(dir: &std::path::Path, gh: &FakeGitHub, key: &str) -> assert_cmd::assert::Assert {
    publish_with(dir, gh, key, &[])
}

fn publish_with(dir: &std::path::Path, gh: &FakeGitHub, key: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    publish_support::publish_to_github(dir, &gh.url, key, extra)
}

/// (method, path) of every write request.
fn writes(gh: &FakeGitHub) -> Vec<(String, String)> {
    gh.requests()
        .into_iter()
        .filter(|r| r.0 != "GET")
        .map(|r| (r.0, r.1))
        .collect()
}

const QUOTE: &str = "> <!-- stress-action:k -->\n> why does this say pass?";

#[test]
fn a_human_quoting_the_marker_is_never_edited_the_bots_comment_is() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(2);
    let human = gh.add_comment_by("alice", "User", QUOTE);
    gh.add_comment_by("bob", "User", "LGTM");
    gh.add_comment_by("bob", "User", "one more thing");
    let bot = gh.add_comment("<!-- stress-action:k -->\nold body");
    gh.add_comment_by("alice", "User", "c5");
    gh.add_comment_by("carol", "User", "c6");
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains(format!("updated PR comment {bot}")))
        .stderr(predicates::str::contains(format!(
            "comment {human} by \"alice\" quotes the marker"
        )));
    assert_eq!(
        writes(&gh),
        vec![("PATCH".to_string(), format!("/repos/o/r/issues/comments/{bot}"))],
        "one PATCH to the bot's comment, nothing else"
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 6, "no new comment");
    assert_eq!(comments[0].body, QUOTE, "the human's comment is untouched");
    let ours = comments.iter().find(|c| c.id == bot).unwrap();
    assert!(
        ours.body.contains("| burst |") && !ours.body.contains("old body"),
        "{}",
        ours.body
    );
    assert_eq!(
        gh.requests().iter().filter(|r| r.0 == "GET").count(),
        2,
        "pages 1 and 2 of 3"
    );
}

#[test]
fn only_human_comments_with_the_marker_mean_a_new_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(2);
    gh.add_comment_by("alice", "User", QUOTE);
    gh.add_comment_by("bob", "User", "c2");
    gh.add_comment_by("carol", "User", &format!("{QUOTE}\n> (quoting too)"));
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains("created PR comment"));
    let comments = gh.comments();
    assert_eq!(comments.len(), 4);
    assert_eq!(comments[0].body, QUOTE);
    assert!(comments[2].body.ends_with("(quoting too)"));
    let created = &comments[3];
    assert_eq!(
        (created.login.as_str(), created.kind.as_str()),
        fake_github::ACTIONS_BOT
    );
    assert!(created.body.starts_with("<!-- stress-action:k -->"), "{}", created.body);
    assert_eq!(
        writes(&gh),
        vec![("POST".to_string(), "/repos/o/r/issues/7/comments".to_string())]
    );
    // From now on the new comment is the sticky one.
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains(format!("updated PR comment {}", created.id)));
    assert_eq!(gh.comments().len(), 4);
}

#[test]
fn comment_author_selects_the_comment_of_a_non_bot_login() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let setup = || {
        let gh = FakeGitHub::start(2);
        gh.set_identity("ci-runner", "User"); // a personal access token's user
        gh.add_comment_by("alice", "User", QUOTE);
        gh.add_comment_by("bob", "User", "c2");
        let ours = gh.add_comment("<!-- stress-action:k -->\nold body");
        (gh, ours)
    };
    let (gh, ours) = setup();
    publish_with(&dir, &gh, "k", &["--comment-author", "CI-Runner"])
        .success()
        .stdout(predicates::str::contains(format!("updated PR comment {ours}")));
    assert_eq!(
        writes(&gh),
        vec![("PATCH".to_string(), format!("/repos/o/r/issues/comments/{ours}"))]
    );
    assert_eq!(gh.comments()[0].body, QUOTE);
    // Without the flag that user's comment is not recognised (it is not a bot's): a new one.
    let (gh, _) = setup();
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains("created PR comment"));
    assert_eq!(gh.with_marker("k").len(), 3);
    // A login that cannot be one is a usage error naming the flag.
    publish_with(&dir, &gh, "k", &["--comment-author", "a b"])
        .code(2)
        .stderr(predicates::str::contains("--comment-author"));
}

#[test]
fn comment_author_is_a_stress_toml_key_of_run() {
    let tmp = tempfile::tempdir().unwrap();
    let gh = FakeGitHub::start(100);
    gh.set_identity("ci-runner", "User");
    gh.add_comment_by("alice", "User", QUOTE);
    let ours = gh.add_comment("<!-- stress-action:k -->\nold body");
    let config = tmp.path().join("stress.toml");
    std::fs::write(
        &config,
        format!(
            "publish = true\nrepo = \"o/r\"\npr = 7\ncomment-key = \"k\"\ncomment-author = \"ci-runner\"\ngithub-api-url = \"{}\"\n",
            gh.url
        ),
    )
    .unwrap();
    let out = tmp.path().join("run");
    cli()
        .args([
            "run",
            "-n",
            "2",
            "-r",
            "1",
            "-c",
            "2",
            "--marker-size",
            "0.05",
            "--seed",
            "1",
        ])
        .args(["--workload", "checkpoint", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(format!("updated PR comment {ours}")));
    assert_eq!(gh.comments()[0].body, QUOTE);
}
