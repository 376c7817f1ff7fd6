//! The GitHub client in-process against the GitHub-like server on 127.0.0.1, with short waits:
//! what octocrab's own retry lacks or would get wrong (secondary rate limits told from a read-only
//! token, waits GitHub asks for kept under a cap, a rate-limited create repeated without a
//! duplicate) and the PR lookup.

mod fake_github;

use std::time::{Duration, Instant};

use fake_github::FakeGitHub;
use stress_action::publish::github::{CommentOutcome, GitHubClient, PullRequestHead, PullRequestState, RetryPolicy};
use stress_action::publish::sticky::StickyComment;

const TOKEN: &str = "ghs_inProcessSECRET0987";
const BODY: &str = "<!-- stress-action:k -->\nthe report";
const SECONDARY: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
    If you reach out to GitHub Support for help, please include the request ID 0000:1111.";

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(10),
        max_wait: Duration::from_secs(3),
        secondary_min_wait: Duration::from_millis(300),
    }
}

fn client(gh: &FakeGitHub, policy: RetryPolicy) -> GitHubClient {
    GitHubClient::new(&gh.url, Some(TOKEN.into()), policy).expect("client")
}

async fn upsert(c: &GitHubClient) -> Result<CommentOutcome, String> {
    c.upsert_comment("o/r", 7, &StickyComment::new("k", None), BODY)
        .await
        .map_err(|e| e.to_string())
}

fn count(gh: &FakeGitHub, method: &str) -> usize {
    gh.requests().iter().filter(|r| r.0 == method).count()
}

/// `f`'s result, or a test failure (not a hang) when it sleeps for as long as GitHub asked.
async fn within_seconds<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("still waiting: the wait GitHub asked for was not capped")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_secondary_rate_limit_403_without_retry_after_is_retried_after_a_backoff() {
    let gh = FakeGitHub::start(100);
    gh.script_message(403, &[], SECONDARY);
    let c = client(&gh, policy());
    let started = Instant::now();
    let outcome = upsert(&c).await.unwrap();
    assert!(matches!(outcome, CommentOutcome::Created(_)), "{outcome:?}");
    assert!(
        started.elapsed() >= policy().secondary_min_wait,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count(&gh, "GET"), 2, "the refused listing was asked again");
    assert_eq!(gh.with_marker("k").len(), 1);
    let notes = c.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("answered 403") && n.contains("secondary rate limit: retrying in 300ms")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_read_only_token_403_is_a_skip_asked_once() {
    let gh = FakeGitHub::start(100);
    // A real refusal carries the rate-limit headers too (remaining 4999, a reset an hour away).
    gh.script_message(403, &[], "Resource not accessible by integration");
    let c = client(&gh, policy());
    match upsert(&c).await.unwrap() {
        CommentOutcome::Skipped(why) => {
            assert!(why.contains("403") && why.contains("Resource not accessible"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gh.requests().len(), 1, "not retried");
    assert!(c.notes().is_empty(), "{:?}", c.notes());
    assert!(gh.comments().is_empty());
}

#[tokio::test]
async fn a_rate_limited_create_waits_as_asked_and_leaves_one_comment() {
    let gh = FakeGitHub::start(100);
    gh.script_for("POST", 403, &[("retry-after", "1")], SECONDARY);
    let c = client(&gh, policy());
    let started = Instant::now();
    let outcome = upsert(&c).await.unwrap();
    assert!(matches!(outcome, CommentOutcome::Created(_)), "{outcome:?}");
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(count(&gh, "POST"), 2, "the refused create was sent again");
    assert_eq!(gh.with_marker("k").len(), 1, "{:?}", gh.comments());
    let notes = c.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("POST") && n.contains("as Retry-After asks")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn an_exhausted_primary_limit_is_waited_out_until_its_reset() {
    let gh = FakeGitHub::start(100);
    let reset = (unix_now() + 2).to_string();
    gh.script_message(
        403,
        &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)],
        "API rate limit exceeded for installation ID 1.",
    );
    let c = client(&gh, policy());
    let started = Instant::now();
    assert!(matches!(upsert(&c).await.unwrap(), CommentOutcome::Created(_)));
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    let notes = c.notes();
    assert!(
        notes.iter().any(|n| n.contains("as x-ratelimit-reset asks")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_wait_longer_than_the_cap_is_not_slept_and_the_error_says_so() {
    let short_cap = RetryPolicy {
        max_wait: Duration::from_secs(1),
        ..policy()
    };
    let gh = FakeGitHub::start(100);
    gh.script(429, &[("Retry-After", "7200")]);
    let started = Instant::now();
    let err = within_seconds(10, upsert(&client(&gh, short_cap))).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(
        err.contains("answered 429") && err.contains("7200 s (Retry-After)") && err.contains("1 s cap"),
        "{err}"
    );
    assert_eq!(gh.requests().len(), 1);

    // The primary limit, reset in an hour: the same, and it is a failure, not a fork PR's refusal.
    let gh = FakeGitHub::start(100);
    let reset = (unix_now() + 3600).to_string();
    gh.script_message(
        403,
        &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)],
        "API rate limit exceeded",
    );
    let err = within_seconds(10, upsert(&client(&gh, short_cap))).await.unwrap_err();
    assert!(
        err.contains("answered 403") && err.contains("(x-ratelimit-reset)"),
        "{err}"
    );
    assert_eq!(gh.requests().len(), 1);
}

#[tokio::test]
async fn fetch_pr_reads_the_head_sha_and_state_under_an_enterprise_path() {
    let gh = FakeGitHub::start_enterprise(100);
    let sha = |c: char| c.to_string().repeat(40);
    gh.add_pull(7, &sha('a'), "open", false);
    gh.add_pull(8, &sha('b'), "closed", true);
    gh.add_pull(9, &sha('c'), "closed", false);
    let c = client(&gh, policy());
    let head = |sha: String, state| PullRequestHead { head_sha: sha, state };
    assert_eq!(
        c.fetch_pr("o/r", 7).await.unwrap(),
        head(sha('a'), PullRequestState::Open)
    );
    assert_eq!(
        c.fetch_pr("o/r", 8).await.unwrap(),
        head(sha('b'), PullRequestState::Merged)
    );
    assert_eq!(
        c.fetch_pr("o/r", 9).await.unwrap(),
        head(sha('c'), PullRequestState::Closed)
    );
    gh.script(502, &[]);
    assert_eq!(
        c.fetch_pr("o/r", 7).await.unwrap().head_sha,
        sha('a'),
        "retried after a 502"
    );
    assert!(c.notes().iter().any(|n| n.contains("answered 502")), "{:?}", c.notes());

    let err = c.fetch_pr("o/r", 10).await.unwrap_err().to_string();
    assert!(
        err.contains("/api/v3/repos/o/r/pulls/10 answered 404: Not Found"),
        "{err}"
    );
    let err = c.fetch_pr("o-r", 7).await.unwrap_err().to_string();
    assert!(err.contains("--repo"), "{err}");
    for (_, path, auth) in gh.requests() {
        assert!(path.starts_with("/api/v3/repos/o/r/pulls/"), "{path}");
        assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    }
}

#[tokio::test]
async fn no_error_or_warning_carries_the_token() {
    let gh = FakeGitHub::start(100);
    for _ in 0..5 {
        gh.script(500, &[("Retry-After", "0")]);
    }
    let c = client(&gh, policy());
    let err = upsert(&c).await.unwrap_err();
    assert!(err.contains("answered 500"), "{err}");
    gh.script(403, &[]);
    let skip = format!("{:?}", upsert(&c).await.unwrap());
    let notes = c.notes();
    assert_eq!(notes.len(), 4, "{notes:?}");
    for text in notes.iter().chain([&err, &skip]) {
        assert!(!text.contains(TOKEN) && !text.contains("inProcessSECRET"), "{text}");
    }
    // The token was really sent, so the checks above could have failed.
    assert!(gh
        .requests()
        .iter()
        .all(|r| r.2.as_deref() == Some(format!("Bearer {TOKEN}").as_str())));

    // Nor does a connection that cannot be made.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = format!("http://127.0.0.1:{port}");
    let c = GitHubClient::new(&api, Some(TOKEN.into()), policy()).unwrap();
    let err = upsert(&c).await.unwrap_err();
    assert!(err.contains("could not connect"), "{err}");
    assert!(!err.contains(TOKEN) && c.notes().iter().all(|n| !n.contains(TOKEN)));
}
