//! Faults on the wire: the reference server's injected errors and resets show up as infra (never as
//! corruption), and a server that answers nonsense is a `provider_error`, never a panic.

mod serve_support;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use assert_cmd::Command;
use bytes::Bytes;
use serve_support::{ServeArgs, Server};
use stress_action::provider::http::HttpProvider;
use stress_action::provider::{ExecRequest, Payload, Provider, SandboxId};
use stress_action::verify::InfraClass;
use support::{assert_accounting, read_report};

fn stress() -> Command {
    let mut cmd = Command::cargo_bin("stress-action").unwrap();
    cmd.env_remove("STRESS_ACTION_TOKEN");
    cmd
}

#[test]
fn injected_errors_and_resets_are_infra_not_corruption() {
    let server = Server::start(ServeArgs {
        fault_error_rate: Some(0.2),
        fault_reset_rate: Some(0.05),
        fault_seed: Some(11),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args([
            "run",
            "-q",
            "-n",
            "24",
            "-c",
            "4",
            "--marker-size",
            "1",
            "--seed",
            "5",
            "--max-infra-rate",
            "1",
        ])
        .args(["--provider", "http", "--endpoint", &server.url, "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(240))
        .assert()
        .code(0);
    let report = read_report(&out);
    let t = &report["totals"];
    assert!(t["infra"].as_u64().unwrap() > 0, "{t}");
    assert!(t["verified"].as_u64().unwrap() > 0, "{t}");
    assert_eq!(t["corrupted"], 0);
    assert_accounting(&report);
    let classes = report["infra_classes"].as_object().unwrap();
    assert!(
        classes.keys().all(|k| k == "http_error_503" || k == "network_error"),
        "{classes:?}"
    );
}

#[test]
fn fault_ops_and_status_target_only_the_named_operation() {
    let server = Server::start(ServeArgs {
        fault_error_rate: Some(0.5),
        fault_status: Some(429),
        fault_ops: Some("restore".into()),
        fault_seed: Some(2),
        ..ServeArgs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args(["run", "-q", "-n", "12", "--marker-size", "0.1", "--max-infra-rate", "1"])
        .args(["--provider", "http", "--endpoint", &server.url, "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let report = read_report(&out);
    let infra = report["totals"]["infra"].as_u64().unwrap();
    assert!(infra > 0);
    assert_eq!(report["infra_classes"]["http_error_429"].as_u64(), Some(infra));
    assert_accounting(&report);
}

#[tokio::test]
async fn corrupted_reads_are_served_when_asked_for() {
    let server = Server::start(ServeArgs {
        fault_corrupt_read_rate: Some(1.0),
        ..ServeArgs::default()
    });
    let p = HttpProvider::new(&server.url, None).unwrap();
    let sb = p.create().await.unwrap();
    let data = Bytes::from(vec![7u8; 4096]);
    p.write_file(&sb, "f.bin", data.clone()).await.unwrap();
    let back = p.read_file(&sb, "f.bin").await.unwrap();
    assert_eq!(back.len(), data.len());
    assert_eq!(back.iter().zip(data.iter()).filter(|(a, b)| a != b).count(), 1);
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers health properly and everything else with
/// `reply(path)`: bytes written verbatim, then the connection is closed.
fn broken_server(reply: fn(&str) -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
                let response = if path == "/v1/health" {
                    http_200(br#"{"status":"ok","protocol":"v1"}"#)
                } else {
                    reply(&path)
                };
                let _ = stream.write_all(&response);
            });
        }
    });
    format!("http://{addr}")
}

fn http_200(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// create, exec and checkpoint (and read_file when `read_too`) must fail as `provider_error`.
async fn expect_provider_error(url: &str, what: &str, read_too: bool) {
    let p = HttpProvider::new(url, None).unwrap();
    p.preflight().await.unwrap();
    let sb = SandboxId("sb-x".into());
    let req = ExecRequest::new(["true"], Duration::from_secs(5));
    let mut errors = vec![
        p.create().await.map(|_| ()).unwrap_err(),
        p.exec(&sb, &req).await.map(|_| ()).unwrap_err(),
        p.checkpoint(&sb).await.map(|_| ()).unwrap_err(),
    ];
    if read_too {
        errors.push(p.read_file(&sb, "f").await.map(|_| ()).unwrap_err());
    }
    for err in errors {
        assert_eq!(err.class, InfraClass::ProviderError, "{what}: {err}");
    }
}

#[tokio::test]
async fn garbage_json_is_a_provider_error() {
    let url = broken_server(|_| http_200(b"<html>not json at all"));
    expect_provider_error(&url, "garbage", false).await;
}

#[tokio::test]
async fn a_truncated_body_is_a_provider_error() {
    let url = broken_server(|path| {
        if path.contains("/files") {
            // Promises 100 bytes, sends 10, closes.
            b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n0123456789".to_vec()
        } else {
            http_200(br#"{"id": "sb-1", "exit_co"#)
        }
    });
    expect_provider_error(&url, "truncated", true).await;
}

#[tokio::test]
async fn a_200_with_the_wrong_shape_is_a_provider_error() {
    let url = broken_server(|path| {
        if path.contains("/files") {
            b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551615\r\nconnection: close\r\n\r\n".to_vec()
        } else if path.contains("/exec") {
            http_200(br#"{"exit_code":null,"signal":null,"stdout_b64":"","stderr_b64":""}"#)
        } else {
            http_200(br#"{"sandbox":{"name":42},"status":"sleeping"}"#)
        }
    });
    expect_provider_error(&url, "wrong shape", true).await;
}

#[test]
fn a_run_against_a_broken_server_is_inconclusive_not_corrupted() {
    let url = broken_server(|_| http_200(br#"{"id": 17}"#));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stress()
        .args(["run", "-q", "--provider", "http", "--endpoint", &url, "--out"])
        .arg(&out)
        .assert()
        .code(3);
    let report = read_report(&out);
    assert_eq!(report["totals"]["corrupted"], 0);
    assert!(report["totals"]["planned"].as_u64().unwrap() > 0);
    assert_eq!(
        report["infra_classes"]["provider_error"], report["totals"]["planned"],
        "every operation of every workload is a provider_error"
    );
    assert_accounting(&report);
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let server = Server::start(ServeArgs {
        fault_timeout_rate: Some(1.0),
        fault_ops: Some("create".into()),
        ..ServeArgs::default()
    });
    // The client's runtime is gone before the server stops: its abandoned connection is closed, so
    // the hung request does not hold the server's graceful stop for the whole grace period.
    let client = tokio::runtime::Runtime::new().unwrap();
    let err = client.block_on(async {
        let p = HttpProvider::new(&server.url, None)
            .unwrap()
            .with_call_timeout(Duration::from_millis(200));
        p.preflight().await.expect("health is never faulted");
        p.create().await.unwrap_err()
    });
    drop(client);
    assert_eq!(err.class, InfraClass::Timeout, "{err}");
}

#[tokio::test]
async fn storage_sized_files_round_trip_and_file_bodies_have_no_limit_but_json_bodies_do() {
    let server = Server::clean();
    let p = HttpProvider::new(&server.url, None).unwrap();
    let sb = p.create().await.unwrap();
    let data = Bytes::from((0..16u32 << 20).map(|i| (i * 7 + i / 251) as u8).collect::<Vec<u8>>());
    p.write_file(&sb, "big/16mb.bin", data.clone()).await.unwrap();
    assert!(p.read_file(&sb, "big/16mb.bin").await.unwrap() == data);
    // Past the 64 MiB request-body limit of the JSON calls: a file upload streams to disk.
    let huge = Payload::new(5, (64 << 20) + 1);
    let sent = p.write_payload(&sb, "huge.bin", &huge).await.unwrap();
    assert_eq!(sent.len, (64 << 20) + 1);
    assert_eq!(p.read_digest(&sb, "huge.bin").await.unwrap(), sent);
    // The limit still holds for a JSON body: an exec of 64 MiB of argv.
    let argv = vec!["x".repeat(64 << 20)];
    let err = p
        .exec(&sb, &ExecRequest::new(argv, Duration::from_secs(5)))
        .await
        .unwrap_err();
    // The server answers 413 without reading the body; a client still sending may see the close first.
    assert!(
        (err.status == Some(413) && err.message.contains("too_large")) || err.class == InfraClass::NetworkError,
        "{err}"
    );
}
