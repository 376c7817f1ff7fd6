//! The fork-PR recipe's publishing step, where every byte of the run directory was written by the
//! fork: the binary against moto (S3) and the GitHub-like server on 127.0.0.1. What is posted and
//! uploaded is re-rendered from report.json, only data files reach the bucket, the PR must have the
//! expected head commit, and a report that does not match the schema publishes nothing.

mod fake_github;
mod moto;
mod publish_support;

use std::path::{Path, PathBuf};

use fake_github::FakeGitHub;
use moto::{aws_env, Moto};
use publish_support::{cli, create_bucket, download_all, edit_report, failing_run_dir, files_under};

/// The head commit of PR o/r#7 on the GitHub-like server.
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";
const OTHER: &str = "fedcba9876543210fedcba9876543210fedcba98";
const BUCKET: &str = "fork-bucket";
const PREFIX: &str = "fork/1";
/// What the forged files say; never seen by a reader.
const FORGED: &str = "all good, ship it";

struct Servers {
    gh: FakeGitHub,
    moto: Moto,
    s3: aws_sdk_s3::Client,
}

fn servers() -> Servers {
    let gh = FakeGitHub::start(100);
    gh.add_pull(7, HEAD, "open", false);
    let moto = Moto::start();
    let s3 = moto.client();
    create_bucket(&s3, BUCKET);
    Servers { gh, moto, s3 }
}

/// `publish DIR` as stress-fork-publish.yml runs it: PR 7 from the artifact, the triggering run's
/// head SHA, S3 and the comment.
fn publish(dir: &Path, s: &Servers, head_sha: &str, summary: &Path) -> assert_cmd::assert::Assert {
    let mut cmd = cli();
    aws_env(&mut cmd)
        .env("GITHUB_TOKEN", "fork-test-token-value-1234")
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("GITHUB_OUTPUT", summary.with_extension("outputs"))
        .args(["publish", dir.to_str().unwrap()])
        .args(["--repo", "o/r", "--pr", "7", "--github-api-url", &s.gh.url])
        .args([
            "--s3-bucket",
            BUCKET,
            "--s3-endpoint",
            &s.moto.url,
            "--s3-prefix",
            PREFIX,
        ])
        .args(["--expect-head-sha", head_sha])
        .assert()
}

/// A failing run whose rendered files the fork replaced, plus files no run directory holds.
fn forged_run_dir(parent: &Path) -> PathBuf {
    let dir = failing_run_dir(parent, "artifact");
    // report.json is the fork's too: its verdict says pass, its numbers hold the corruption.
    edit_report(&dir, |v| {
        v["verdict"] = "pass".into();
        v["verdict_reasons"] = serde_json::json!([FORGED]);
        v["workloads"]["checkpoint"]["verdict"] = "pass".into();
        v["workloads"]["checkpoint"]["reasons"] = serde_json::json!([FORGED]);
    });
    let pass = format!("<!-- stress-action:default -->\n## stress-action verdict: ✅ **pass**: {FORGED}\n");
    std::fs::write(dir.join("summary.md"), &pass).unwrap();
    std::fs::write(dir.join("comment.md"), &pass).unwrap();
    std::fs::write(
        dir.join("report.html"),
        format!("<html><script>steal()</script>{FORGED}</html>"),
    )
    .unwrap();
    std::fs::write(dir.join("tti-burst.svg"), "<svg><script>steal()</script></svg>").unwrap();
    std::fs::write(dir.join("pwn.html"), "<script>steal()</script>").unwrap();
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("site/index.html"), "<script>steal()</script>").unwrap();
    dir
}

fn keys(s: &Servers) -> Vec<String> {
    download_all(&s.s3, BUCKET, "").into_keys().collect()
}

fn writes(gh: &FakeGitHub) -> Vec<(String, String)> {
    gh.requests()
        .into_iter()
        .filter(|r| r.0 != "GET")
        .map(|r| (r.0, r.1))
        .collect()
}

#[test]
fn a_forged_summary_and_a_stray_page_never_reach_the_pr_or_the_bucket() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = forged_run_dir(tmp.path());
    let s = servers();
    let summary = tmp.path().join("job-summary.md");
    publish(&dir, &s, HEAD, &summary)
        .success()
        .stdout(predicates::str::contains(format!("o/r#7 is open with head {HEAD}")));

    let ours = s.gh.with_marker("default");
    assert_eq!(ours.len(), 1, "{:?}", s.gh.comments());
    let body = &ours[0].body;
    assert!(
        body.contains("verdict: ❌ **fail**") && body.contains(": checkpoint: 27 of 150 restores corrupted"),
        "{body}"
    );
    assert!(!body.contains("✅ **pass**") && !body.contains(FORGED), "{body}");
    let requests = s.gh.requests();
    assert_eq!(
        requests[0].1, "/repos/o/r/pulls/7",
        "the PR is checked first: {requests:?}"
    );
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.1.starts_with("/repos/o/r/issues/7/comments")),
        "{requests:?}"
    );

    let objects = download_all(&s.s3, BUCKET, "");
    let published = files_under(&dir.join("published"));
    let expected: Vec<String> = published.iter().map(|f| format!("{PREFIX}/{f}")).collect();
    // Besides DIR/published/, only the run's history entry, and it goes under the PR given on the
    // command line (pr-7), whatever ref the fork's report.json claims.
    let (history, run_files): (Vec<String>, Vec<String>) = objects
        .keys()
        .cloned()
        .partition(|k| k.starts_with("stress-action/local/history/"));
    assert_eq!(run_files, expected, "exactly DIR/published/");
    assert!(
        history.len() == 1 && history[0].starts_with("stress-action/local/history/pr-7/"),
        "{history:?}"
    );
    for name in [
        "report.json",
        "events.jsonl",
        "run.log",
        "summary.md",
        "report.html",
        "tti-burst.svg",
        "comment.md",
        "s3-manifest.json",
    ] {
        assert!(
            published.contains(&name.to_string()),
            "{name} missing from {published:?}"
        );
    }
    for name in ["pwn.html", "site/index.html"] {
        assert!(!published.contains(&name.to_string()), "{name} was published");
    }
    for (key, (bytes, _)) in &objects {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("steal()"), "{key} holds forged content");
        // report.json is data, passed on as the fork wrote it; nothing rendered repeats its claim.
        if !key.ends_with("/report.json") {
            assert!(!text.contains(FORGED), "{key} repeats the forged verdict");
        }
    }
    let object = |name: &str| String::from_utf8_lossy(&objects[&format!("{PREFIX}/{name}")].0).into_owned();
    assert!(object("summary.md").contains("❌ **fail**"));
    assert!(object("report.html").contains("27 of 150 restores corrupted"));
    assert_eq!(
        object("report.json"),
        std::fs::read_to_string(dir.join("report.json")).unwrap(),
        "data files are passed on as they are"
    );
    let manifest: serde_json::Value = serde_json::from_str(&object("s3-manifest.json")).unwrap();
    assert_eq!(
        manifest["not_published"],
        serde_json::json!(["pwn.html", "site"]),
        "{manifest:#}"
    );
    assert_eq!(manifest["not_published_total"], 2);
    assert_eq!(
        manifest["rejudged"],
        serde_json::json!({"claimed": "pass", "judged": "fail"})
    );
    assert!(
        body.contains("report.json says the verdict is pass, but its own numbers give fail"),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("comment.md")).unwrap(), *body);

    // The step's `verdict` output ends as the judged one (GitHub keeps an output's last value).
    let outputs = std::fs::read_to_string(summary.with_extension("outputs")).unwrap();
    let last_verdict = outputs.rsplit("verdict<<").next().unwrap();
    assert!(last_verdict.starts_with("STRESS_ACTION_EOF\nfail\n"), "{outputs}");

    let job_summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        job_summary.contains("❌ **fail**") && !job_summary.contains(FORGED),
        "{job_summary}"
    );
}

#[test]
fn a_head_sha_that_is_not_the_prs_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = forged_run_dir(tmp.path());
    let s = servers();
    let summary = tmp.path().join("job-summary.md");
    publish(&dir, &s, OTHER, &summary)
        .code(2)
        .stderr(predicates::str::contains(
            "invalid --expect-head-sha: the head of o/r#7 is",
        ))
        .stderr(predicates::str::contains(HEAD))
        .stderr(predicates::str::contains("nothing was published"));
    assert_eq!(s.gh.requests().len(), 1, "only the PR was read: {:?}", s.gh.requests());
    assert!(writes(&s.gh).is_empty() && s.gh.comments().is_empty());
    assert!(keys(&s).is_empty(), "nothing uploaded: {:?}", keys(&s));
    assert!(!dir.join("published").exists() && !summary.exists());

    // A PR the artifact names but GitHub does not have: publishing failed, nothing sent either.
    let mut cmd = cli();
    aws_env(&mut cmd)
        .args(["publish", dir.to_str().unwrap(), "--repo", "o/r", "--pr", "8"])
        .args([
            "--github-api-url",
            &s.gh.url,
            "--s3-bucket",
            BUCKET,
            "--s3-endpoint",
            &s.moto.url,
        ])
        .args(["--expect-head-sha", HEAD])
        .assert()
        .code(4)
        .stderr(predicates::str::contains(
            "cannot check --expect-head-sha against o/r#8",
        ));
    assert!(writes(&s.gh).is_empty() && keys(&s).is_empty());

    // The same directory with the PR's real head is published.
    publish(&dir, &s, &HEAD.to_uppercase(), &summary).success();
    assert_eq!(s.gh.with_marker("default").len(), 1);
    assert!(!keys(&s).is_empty());
}

#[test]
fn bad_expect_head_sha_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = failing_run_dir(tmp.path(), "run");
    for (extra, message) in [
        (
            vec!["--repo", "o/r", "--pr", "7", "--expect-head-sha", "abc"],
            "must be a full commit SHA",
        ),
        (vec!["--expect-head-sha", HEAD], "needs --pr"),
    ] {
        cli()
            .args(["publish", dir.to_str().unwrap()])
            .args(&extra)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "invalid --expect-head-sha: {message}"
            )));
    }
    assert!(!dir.join("published").exists());
}

/// A change to report.json.
type Edit = fn(&mut serde_json::Value);

#[test]
fn a_report_that_does_not_match_the_schema_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = servers();
    let cases: [(&str, Edit); 4] = [
        ("totals.planned: want integer, but got string", |v| {
            v["totals"]["planned"] = "many".into()
        }),
        ("verdict: value must be one of", |v| v["verdict"] = "great".into()),
        ("(top level): missing properties 'profile'", |v| {
            v.as_object_mut().unwrap().remove("profile");
        }),
        ("workloads.checkpoint.verified: must be >=0", |v| {
            v["workloads"]["checkpoint"]["verified"] = (-1).into()
        }),
    ];
    for (i, (message, edit)) in cases.into_iter().enumerate() {
        let dir = failing_run_dir(tmp.path(), &format!("run-{i}"));
        edit_report(&dir, edit);
        publish(&dir, &s, HEAD, &tmp.path().join("summary.md"))
            .code(2)
            .stderr(predicates::str::contains("does not match schema/report.schema.json"))
            .stderr(predicates::str::contains(message));
    }
    assert!(
        s.gh.requests().is_empty(),
        "GitHub was not even asked: {:?}",
        s.gh.requests()
    );
    assert!(keys(&s).is_empty());
}

/// Markdown and HTML in a string of the report: a link, an image, a script, a table row, a
/// mention, bare URLs, emphasis and code, and line breaks.
fn evil(tag: &str) -> String {
    format!(
        "{tag}<script>alert(1)</script> | [click](https://evil.example/{tag}) ![i](https://evil.example/i.png) \
         <img src=x onerror=alert(1)> **bold** `code` https://evil.example www.evil.example a@evil.example \
         @octocat #1\n| forged | row |"
    )
}

/// report.json with [`evil`] in every string a renderer shows, and events.jsonl corruption lines
/// with it in every field the corruption table shows.
fn injected_run_dir(parent: &Path) -> PathBuf {
    let dir = failing_run_dir(parent, "injected");
    edit_report(&dir, |v| {
        v["profile"] = evil("profile").into();
        v["provider"] = evil("provider").into();
        v["tool_version"] = evil("version").into();
        v["verdict_reasons"] = serde_json::json!([evil("reason")]);
        let mut workload = v["workloads"]["checkpoint"].clone();
        workload["reasons"] = serde_json::json!([evil("why")]);
        workload["warnings"] = serde_json::json!([evil("warning")]);
        v["workloads"][evil("workload")] = workload;
        // Publishing evaluates the report's own threshold expressions again: one that is no
        // expression is shown as "no data", with its text.
        v["config"]["thresholds"] = serde_json::json!([evil("expr")]);
        v["retries"] = serde_json::json!({evil("call"): {"calls": 4, "retried": 1, "attempts": 5, "gave_up": 0}});
        v["infra_classes"] = serde_json::json!({evil("class"): 1});
        v["environment"] = serde_json::json!({evil("env-key"): evil("env-value")});
        v["lifecycle"]["burst"]["failure_class"] = serde_json::json!({evil("failure"): 1});
        let scenario = serde_json::json!({
            "name": "kill9", "workload": evil("scenario-workload"), "runs": 1, "passed": 0, "pass_rate": 0.0,
            "faults_injected": 1, "indeterminate": 0, "verified": 1, "corrupted": 1, "infra": 0, "lost": 0,
            "verdict": "fail", "reasons": [evil("scenario-reason")], "failures": [evil("scenario-failure")]
        });
        v["chaos"] = serde_json::json!({"repeat": 1, "scenarios": [scenario]});
    });
    let line = serde_json::json!({
        "workload": evil("corrupt-workload"), "phase": "restore", "round": 1, "sandbox": evil("sandbox"),
        "outcome": "corrupted", "check": evil("check"), "detail": evil("detail"), "op": evil("op"),
        "evidence": evil("evidence/path"),
    });
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    std::fs::write(dir.join("events.jsonl"), format!("{line}\n{events}")).unwrap();
    dir
}

#[test]
fn markup_in_every_report_string_is_shown_as_text_in_the_comment_and_report_html() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = injected_run_dir(tmp.path());
    let s = servers();
    publish(&dir, &s, HEAD, &tmp.path().join("summary.md")).success();
    let body = s.gh.with_marker("default").remove(0).body;
    let objects = download_all(&s.s3, BUCKET, PREFIX);
    let report_html = String::from_utf8_lossy(&objects[&format!("{PREFIX}/report.html")].0).into_owned();
    let comment_html = publish_support::github_html(&body);

    for (what, html) in [("the comment", &comment_html), ("report.html", &report_html)] {
        // report.html links each corruption's evidence directory and each chart file, relative to
        // the run directory: the only links allowed; none may lead anywhere else.
        let html_without_evidence = without_relative_links(html);
        assert!(
            !html.contains("href=\"http") && !html.contains("href=\"//") && !html.contains("src=\"http"),
            "{what} links outside the run:\n{html}"
        );
        for markup in ["<script", "<img", "<a ", "<strong>bold", "<code>code", "<iframe"] {
            assert!(!html_without_evidence.contains(markup), "{what} has {markup}:\n{html}");
        }
        publish_support::assert_tables_intact(html, what);
        // Each string is there, as text, including the ones in tables and the corruption details
        // (the HTML template also escapes `/` as `&#x2f;`, which shows as `/`).
        let html = &html.replace("&#x2f;", "/");
        for tag in ["profile", "workload", "expr", "call", "class", "env-value", "failure"] {
            let shown = format!("{tag}&lt;script&gt;alert(1)&lt;/script&gt; | [click](https://evil.example/{tag})");
            assert!(html.contains(&shown), "{what} does not show {tag} as text:\n{html}");
        }
        for tag in ["check", "detail", "sandbox", "scenario-failure", "scenario-workload"] {
            assert!(
                html.contains(&format!("{tag}&lt;script&gt;")),
                "{what} lacks {tag}:\n{html}"
            );
        }
    }
    // The reasons report.json gave are not shown: publishing judged the run again from its numbers.
    for tag in ["reason<", "why<", "warning<"] {
        assert!(!body.contains(tag), "{tag} shown:\n{body}");
    }
    // GitHub makes no mention or issue link inside code; everywhere else in the comment there is none.
    let outside_code: String = comment_html
        .split("<code>")
        .map(|part| part.split_once("</code>").map_or(part, |(_, rest)| rest))
        .collect();
    assert!(
        !outside_code.contains("@octocat") && !outside_code.contains("#1 | forged"),
        "{comment_html}"
    );
    // The two rows the workloads table really has, plus the one named by the report.
    assert!(body.contains("| checkpoint | ❌ fail |"), "{body}");
}

/// Credentials a platform could echo, each in a different file of the run directory.
const GH_TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const ACTIONS_TOKEN: &str = "ghs_EchoedByTheProviderInEvents0123456789";
const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const PEM_BODY: &str = "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF";
/// The value of GITHUB_TOKEN in [`publish`], shaped like no credential: found because it is in use.
const TOKEN_VALUE: &str = "fork-test-token-value-1234";

fn secrets() -> [&'static str; 7] {
    [
        GH_TOKEN,
        ACTIONS_TOKEN,
        KEY_ID,
        SECRET_KEY,
        BEARER,
        PEM_BODY,
        TOKEN_VALUE,
    ]
}

fn leaked(text: &str) -> Vec<&'static str> {
    secrets().into_iter().filter(|s| text.contains(s)).collect()
}

#[test]
fn credentials_in_the_data_files_are_redacted_before_they_leave() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = failing_run_dir(tmp.path(), "run");
    std::fs::write(
        dir.join("run.log"),
        format!("git clone https://x-access-token:{GH_TOKEN}@github.com/o/r\ntoken {TOKEN_VALUE}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("error-details.log"),
        format!("env dump:\nAWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("evidence/op-1")).unwrap();
    std::fs::write(
        dir.join("evidence/op-1/stderr.html"),
        format!(
            "< Authorization: Bearer {BEARER}\n-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
        ),
    )
    .unwrap();
    let first = serde_json::json!({
        "workload": "checkpoint", "phase": "restore", "round": 1, "restore": 0, "outcome": "corrupted",
        "check": "git_status", "detail": format!("git printed the remote: https://{ACTIONS_TOKEN}@github.com"),
    });
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    std::fs::write(dir.join("events.jsonl"), format!("{first}\n{events}")).unwrap();
    edit_report(&dir, |v| {
        v["environment"]["last_error"] = format!("401 for Bearer {BEARER}").into();
    });
    let inputs: String = [
        "run.log",
        "error-details.log",
        "evidence/op-1/stderr.html",
        "events.jsonl",
        "report.json",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
    .collect();
    assert_eq!(
        leaked(&inputs),
        secrets().to_vec(),
        "every credential is in the run directory"
    );

    let s = servers();
    let summary = tmp.path().join("job-summary.md");
    let output = publish(&dir, &s, HEAD, &summary).success().get_output().clone();
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        console.contains("redacted credential-shaped strings before publishing"),
        "{console}"
    );
    assert_eq!(leaked(&console), Vec::<&str>::new());

    let body = s.gh.with_marker("default").remove(0).body;
    assert_eq!(leaked(&body), Vec::<&str>::new(), "{body}");
    assert!(
        body.contains("REDACTED:bearer-token") && body.contains("REDACTED:github-token"),
        "{body}"
    );
    assert_eq!(leaked(&std::fs::read_to_string(&summary).unwrap()), Vec::<&str>::new());
    let objects = download_all(&s.s3, BUCKET, PREFIX);
    for (key, (bytes, _)) in &objects {
        assert_eq!(leaked(&String::from_utf8_lossy(bytes)), Vec::<&str>::new(), "{key}");
    }
    for file in files_under(&dir.join("published")) {
        let text = std::fs::read_to_string(dir.join("published").join(&file)).unwrap();
        assert_eq!(leaked(&text), Vec::<&str>::new(), "published/{file}");
    }
    let (evidence, content_type) = &objects[&format!("{PREFIX}/evidence/op-1/stderr.html")];
    assert_eq!(
        content_type, "text/plain; charset=utf-8",
        "evidence is never served as a page"
    );
    assert!(String::from_utf8_lossy(evidence)
        .starts_with("< Authorization: Bearer [REDACTED:bearer-token]\n[REDACTED:private-key]\n"));

    let manifest: serde_json::Value =
        serde_json::from_slice(&objects[&format!("{PREFIX}/s3-manifest.json")].0).unwrap();
    assert!(
        manifest.get("rejudged").is_none(),
        "an honest report's verdict stands: {manifest:#}"
    );
    assert_eq!(
        manifest["redactions"],
        serde_json::json!({
            "error-details.log": {"aws-access-key-id": 1, "aws-secret-access-key": 1},
            "events.jsonl": {"github-token": 1},
            "evidence/op-1/stderr.html": {"bearer-token": 1, "private-key": 1},
            "report.json": {"bearer-token": 1},
            "run.log": {"$GITHUB_TOKEN": 1, "github-token": 1},
        }),
        "{manifest:#}"
    );
}

/// A run directory is not always unpacked from a zip: links in it (to the runner's credentials, or
/// to a file publishing would overwrite) are neither read nor written through.
#[test]
fn links_in_the_run_directory_are_never_followed() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("runner-secrets");
    std::fs::write(&outside, "the runner's own credentials\n").unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let dir = failing_run_dir(tmp.path(), "run");
    std::fs::remove_file(dir.join("run.log")).unwrap();
    symlink(&outside, dir.join("run.log")).unwrap();
    symlink(&outside, dir.join("comment.md")).unwrap();
    symlink(&elsewhere, dir.join("published")).unwrap();
    std::fs::create_dir_all(dir.join("evidence/op-1")).unwrap();
    symlink(&outside, dir.join("evidence/op-1/stdout.txt")).unwrap();
    symlink(&elsewhere, dir.join("evidence/op-2")).unwrap();

    let s = servers();
    publish(&dir, &s, HEAD, &tmp.path().join("summary.md"))
        .success()
        .stderr(predicates::str::contains("not publishing run.log: not a regular file"))
        .stderr(predicates::str::contains(
            "not publishing evidence/op-1/stdout.txt: not a regular file",
        ));
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "the runner's own credentials\n"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written through a link"
    );
    for (key, (bytes, _)) in download_all(&s.s3, BUCKET, "") {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("the runner's own credentials"),
            "{key}"
        );
    }
    assert!(dir.join("published").is_dir() && !dir.join("published").is_symlink());
    assert!(!dir.join("comment.md").is_symlink());

    // report.json itself as a link is refused before anything is sent.
    std::fs::rename(dir.join("report.json"), tmp.path().join("report.json")).unwrap();
    symlink(tmp.path().join("report.json"), dir.join("report.json")).unwrap();
    let before = s.gh.requests().len();
    publish(&dir, &s, HEAD, &tmp.path().join("summary.md"))
        .code(2)
        .stderr(predicates::str::contains("report.json: not a regular file"));
    assert_eq!(s.gh.requests().len(), before);
}

/// The HTML with every link of ours (`<a href="evidence/...">`, `<a href="chart.svg">`)
/// taken out: what is left must hold no link at all.
fn without_relative_links(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("<a href=\"") {
        let target_start = at + "<a href=\"".len();
        let target_end = rest[target_start..].find('"').map_or(rest.len(), |e| target_start + e);
        let target = &rest[target_start..target_end];
        // Only what the page links by construction: an evidence directory, or a chart it rendered.
        let ours = (target.starts_with("evidence&#x2f;") || target.ends_with(".svg"))
            && !target.contains(':')
            && !target.contains("..")
            && !target.starts_with('/');
        out.push_str(&rest[..at]);
        if !ours {
            out.push_str("<a href=\"");
        }
        rest = &rest[target_start..];
    }
    out.push_str(rest);
    out
}
