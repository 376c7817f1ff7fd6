//! The sticky PR comment against a GitHub-like server on 127.0.0.1.

mod fake_github;
mod publish_support;

use fake_github::FakeGitHub;
use publish_support::{cli, run_dir};

fn publish(dir: &std::path::Path, gh: &FakeGitHub, key: &str) -> assert_cmd::assert::Assert {
    publish_support::publish_to_github(dir, &gh.url, key, &[])
}

#[test]
fn run_twice_leaves_exactly_one_comment_naming_the_modes_and_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    gh.add_comment("an unrelated review comment");
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains("created PR comment"));
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains("updated PR comment"));
    let ours = gh.with_marker("k");
    assert_eq!(ours.len(), 1, "exactly one comment with the marker: {ours:?}");
    for word in ["| sequential |", "| staggered |", "| burst |", "pass"] {
        assert!(ours[0].body.contains(word), "body lacks {word}: {}", ours[0].body);
    }
    assert_eq!(gh.comments().len(), 2);
    // Another key is another comment.
    publish(&dir, &gh, "other").success();
    assert_eq!(gh.with_marker("other").len(), 1);
    assert_eq!(gh.with_marker("k").len(), 1);
}

#[test]
fn marker_on_page_two_of_three_is_updated_not_duplicated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(2);
    gh.add_comment("c1");
    gh.add_comment("c2");
    gh.add_comment("c3");
    let id = gh.add_comment("<!-- stress-action:k -->\nold body");
    gh.add_comment("c5");
    gh.add_comment("c6");
    publish(&dir, &gh, "k").success();
    let comments = gh.comments();
    assert_eq!(comments.len(), 6, "no new comment");
    let ours = gh.with_marker("k");
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].id, id);
    assert!(ours[0].body.contains("| burst |") && !ours[0].body.contains("old body"));
    let gets = gh.requests().iter().filter(|r| r.0 == "GET").count();
    assert_eq!(gets, 2, "pages 1 and 2 read, page 3 not needed");
}

#[test]
fn marker_on_the_last_page_is_found_through_link_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(2);
    for i in 0..4 {
        gh.add_comment(&format!("c{i}"));
    }
    gh.add_comment("<!-- stress-action:k -->\nold");
    publish(&dir, &gh, "k").success();
    assert_eq!(gh.comments().len(), 5);
    assert_eq!(gh.requests().iter().filter(|r| r.0 == "GET").count(), 3);
}

#[test]
fn an_enterprise_api_url_keeps_its_path_and_the_token_on_every_page() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start_enterprise(2);
    assert!(gh.url.ends_with("/api/v3"), "{}", gh.url);
    for i in 0..4 {
        gh.add_comment(&format!("c{i}"));
    }
    let id = gh.add_comment("<!-- stress-action:k -->\nold");
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains(format!("updated PR comment {id}")));
    let requests = gh.requests();
    assert_eq!(requests.iter().filter(|r| r.0 == "GET").count(), 3, "{requests:?}");
    for (method, path, auth) in &requests {
        assert!(path.starts_with("/api/v3/repos/o/r/issues/"), "{method} {path}");
        assert_eq!(auth.as_deref(), Some("Bearer test-token-not-secret"), "{method} {path}");
    }
    assert_eq!(gh.comments().len(), 5);
}

#[test]
fn forbidden_is_a_warning_not_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    gh.script(403, &[("x-ratelimit-remaining", "4999")]);
    publish(&dir, &gh, "k")
        .success()
        .stderr(predicates::str::contains("warning: PR comment not posted"))
        .stderr(predicates::str::contains("403"));
    assert!(gh.comments().is_empty());
    assert!(dir.join("comment.md").is_file(), "the body is still kept locally");
}

#[test]
fn bad_gateway_then_success_is_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    gh.script(502, &[]);
    gh.script(429, &[("Retry-After", "1")]);
    publish(&dir, &gh, "k")
        .success()
        .stderr(predicates::str::contains("retrying"));
    assert_eq!(gh.with_marker("k").len(), 1);
    assert_eq!(gh.requests().iter().filter(|r| r.0 == "GET").count(), 3);
}

#[test]
fn a_lost_create_response_does_not_duplicate_the_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    gh.state.lock().unwrap().lose_next_create = true;
    publish(&dir, &gh, "k")
        .success()
        .stdout(predicates::str::contains("updated PR comment"));
    assert_eq!(gh.with_marker("k").len(), 1);
    let posts = gh.requests().iter().filter(|r| r.0 == "POST").count();
    assert_eq!(posts, 1, "not re-posted after the 502");
}

#[test]
fn persistent_server_errors_fail_with_exit_4() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    let gh = FakeGitHub::start(100);
    for _ in 0..5 {
        gh.script(500, &[("Retry-After", "0")]);
    }
    publish(&dir, &gh, "k").code(4).stderr(predicates::str::contains("500"));
}

/// The body is rendered from report.json, so an over-long one is made there: 400 environment
/// entries of 300 characters each give a summary of about 250,000 characters.
#[test]
fn a_body_over_the_limit_is_never_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    std::fs::write(dir.join("summary.md"), "a short summary the comment must not use\n").unwrap();
    publish_support::edit_report(&dir, |v| {
        let entries: serde_json::Map<String, serde_json::Value> = (0..400)
            .map(|i| (format!("k{i:03}{}", "é".repeat(296)), "| v é |".repeat(43).into()))
            .collect();
        v["environment"] = entries.into();
    });
    let gh = FakeGitHub::start(100);
    publish(&dir, &gh, "k").success();
    let summary = std::fs::read_to_string(dir.join("published/summary.md")).unwrap();
    assert!(
        summary.chars().count() > 4 * fake_github::LIMIT,
        "{}",
        summary.chars().count()
    );
    assert_eq!(gh.state.lock().unwrap().oversized, 0);
    let ours = gh.with_marker("k");
    assert_eq!(ours.len(), 1);
    assert!(ours[0].body.chars().count() <= fake_github::LIMIT);
    assert!(ours[0].body.contains("too long for a comment"), "{}", ours[0].body);
    assert!(ours[0].body.contains("✅ **pass**") && !ours[0].body.contains("a short summary"));
}

#[test]
fn the_token_never_reaches_files_or_console() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let gh = FakeGitHub::start(100);
    gh.script(403, &[]);
    let token = "ghs_SECRETtokenVALUE12345";
    let mut cmd = cli();
    cmd.env("GITHUB_TOKEN", token)
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
        .args([
            "--out",
            out.to_str().unwrap(),
            "--publish",
            "--repo",
            "o/r",
            "--pr",
            "7",
        ])
        .args(["--github-api-url", &gh.url]);
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(console.contains("warning: PR comment not posted"), "{console}");
    assert!(!console.contains(token));
    // The token was really used (so the check below is meaningful)...
    let auth: Vec<_> = gh.requests().into_iter().filter_map(|r| r.2).collect();
    assert!(auth.iter().any(|a| a == &format!("Bearer {token}")), "{auth:?}");
    // ...and no file of the run directory holds it.
    let mut files = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "token found in {}",
                path.display()
            );
        }
    }
    assert!(files >= 3 && out.join("comment.md").is_file());
}

#[test]
fn run_publish_failure_keeps_the_verdict_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // Nothing listens on this port: the comment cannot be posted.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
        .args([
            "--out",
            out.to_str().unwrap(),
            "--publish",
            "--repo",
            "o/r",
            "--pr",
            "7",
        ])
        .args(["--github-api-url", &format!("http://127.0.0.1:{port}")])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("warning: publishing failed"));
    assert!(out.join("report.json").is_file());
}

#[test]
fn bad_publishing_flags_are_usage_errors_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path(), "run");
    cli()
        .args([
            "publish",
            dir.to_str().unwrap(),
            "--s3-bucket",
            "b",
            "--presign-days",
            "8",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--presign-days"));
    cli()
        .args([
            "run",
            "--out",
            tmp.path().join("x").to_str().unwrap(),
            "--presign-days",
            "30",
            "--s3-bucket",
            "b",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--presign-days"));
    assert!(!tmp.path().join("x").exists(), "nothing ran");
    cli()
        .args(["publish", tmp.path().join("missing").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no report.json"));
}
