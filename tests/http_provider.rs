//! The checkpoint workload over the http provider against the reference server (hosted in the
//! test process): a clean run verifies every restore, injected corruption is still caught, and
//! credentials stay secret. A restart on the same root runs the `serve` binary itself, twice.

mod serve_support;
mod support;

use assert_cmd::Command;
use predicates::str::contains;
use serve_support::{assert_absent_in_dir, ServeArgs, ServeChild, Server};
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN");
    cmd
}

#[test]
fn smoke_over_http_verifies_every_restore() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "--profile",
            "smoke",
            "-q",
            "--provider",
            "http",
            "--endpoint",
            &server.url,
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    let report = read_report(&out);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["provider"], "http");
    // smoke: 10 restores, 10 sandboxes in each of the 3 lifecycle modes, 3 storage transfers.
    assert_eq!(report["totals"]["verified"], 43);
    assert_eq!(report["lifecycle"]["staggered"]["status"]["success"], 10);
    assert_eq!(report["storage"]["sizes"][0]["verified"], 3);
    assert_eq!(report["environment"]["endpoint"], server.url.as_str());
    assert_accounting(&report);
}

#[test]
fn injected_corruption_is_detected_over_http() {
    let server = Server::clean();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "-q",
            "-n",
            "20",
            "--inject-corruption",
            "0.5",
            "--marker-size",
            "1",
        ])
        .args(["--provider", "http", "--endpoint", &server.url, "--out"])
        .arg(&out)
        .assert()
        .code(1);
    let report = read_report(&out);
    let t = &report["totals"];
    assert_eq!(t["injected"], 10);
    assert_eq!(t["injected_detected"], t["injected"]);
    assert_eq!(t["corrupted"], 10);
    assert_eq!(t["infra"], 0);
    assert_accounting(&report);
}

#[test]
fn wrong_token_stops_before_any_work_and_no_token_is_written() {
    let root = tempfile::tempdir().unwrap();
    let right = "right-token-4f1c9a";
    let wrong = "wrong-token-7d2e0b";
    let server = Server::start(ServeArgs {
        token: Some(right.into()),
        root: Some(root.path().to_path_buf()),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let assert = stress()
        .env("STRESS_ACTION_TOKEN", wrong)
        .args(["run", "--provider", "http", "--endpoint", &server.url, "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("rejected the credentials"))
        .stderr(contains("STRESS_ACTION_TOKEN"));
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&assert.get_output().stdout),
        String::from_utf8_lossy(&assert.get_output().stderr)
    );
    assert!(!console.contains(wrong), "token printed: {console}");
    assert!(!out.join("report.json").exists(), "no work may start");
    let sandboxes = std::fs::read_dir(root.path().join("sandboxes")).unwrap().count();
    assert_eq!(sandboxes, 0, "no sandbox may be created");
    assert_absent_in_dir(&out, wrong);

    // With the right token (from a custom variable) the run works, and the token is nowhere in it.
    let out = dir.path().join("run-ok");
    let assert = stress()
        .env("MY_PLATFORM_TOKEN", right)
        .args(["run", "-n", "2", "--marker-size", "0.1", "--provider", "http"])
        .args(["--endpoint", &server.url, "--token-env", "MY_PLATFORM_TOKEN", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let console = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(!console.contains(right));
    for file in ["report.json", "events.jsonl", "run.log", "error-details.log"] {
        assert!(out.join(file).exists(), "{file}");
    }
    assert_absent_in_dir(&out, right);
}

#[test]
fn unusable_endpoints_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    stress()
        .args(["run", "--provider", "http", "--out"])
        .arg(dir.path().join("a"))
        .assert()
        .code(2)
        .stderr(contains("--endpoint"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    stress()
        .args([
            "run",
            "--provider",
            "http",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--out",
        ])
        .arg(dir.path().join("b"))
        .assert()
        .code(2)
        .stderr(contains("--endpoint"))
        .stderr(contains("network_error"));
}

#[test]
fn a_restarted_server_still_restores_acknowledged_checkpoints() {
    use stress_action::provider::http::HttpProvider;
    use stress_action::provider::{ExecRequest, Provider};
    let root = tempfile::tempdir().unwrap();
    let root_arg = root.path().to_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = ServeChild::start(&["--root", &root_arg]);
    let checkpoint = rt.block_on(async {
        let p = HttpProvider::new(&server.url, None).unwrap();
        let sb = p.create().await.unwrap();
        p.write_file(&sb, "a/data.txt", bytes::Bytes::from_static(b"kept"))
            .await
            .unwrap();
        p.checkpoint(&sb).await.unwrap()
    });
    assert!(server.terminate().success(), "graceful exit on SIGTERM");
    let server = ServeChild::start(&["--root", &root_arg]);
    rt.block_on(async {
        let p = HttpProvider::new(&server.url, None).unwrap();
        let sb = p.restore(&checkpoint).await.unwrap();
        assert_eq!(&p.read_file(&sb, "a/data.txt").await.unwrap()[..], b"kept");
        let out = p
            .exec(
                &sb,
                &ExecRequest::new(["cat", "a/data.txt"], std::time::Duration::from_secs(10)),
            )
            .await
            .unwrap();
        assert_eq!(out.stdout_text(), "kept");
        let escaped = p.read_file(&sb, "../../etc/passwd").await.unwrap_err();
        assert_eq!(escaped.status, Some(400), "{escaped}");
    });
}
