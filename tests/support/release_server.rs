//! A release download host on 127.0.0.1 for the install step's tests, shaped like
//! `github.com/OWNER/REPO/releases/download`: files served from memory at `/vX.Y.Z/NAME`, 404 for
//! anything else, a chosen status for a chosen path (to exercise retries), and a log of every path
//! asked for (to prove a retry happened, or that a cache hit downloaded nothing).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    status: HashMap<String, u16>,
    requests: Vec<String>,
}

pub struct ReleaseServer {
    pub base: String,
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl ReleaseServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &s);
                }
            }
        });
        ReleaseServer {
            base: format!("http://127.0.0.1:{port}"),
            port,
            state,
            stop,
        }
    }

    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        self.state.lock().unwrap().files.insert(path.to_string(), bytes);
    }

    /// Answers `status` (with no body) for `path` from now on.
    pub fn fail_with(&self, path: &str, status: u16) {
        self.state.lock().unwrap().status.insert(path.to_string(), status);
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body) = {
        let mut state = state.lock().unwrap();
        state.requests.push(path.clone());
        match (state.status.get(&path), state.files.get(&path)) {
            (Some(&status), _) => (status, Vec::new()),
            (None, Some(body)) => (200, body.clone()),
            (None, None) => (404, b"Not Found".to_vec()),
        }
    };
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// The release target the install step picks on this machine.
pub fn host_target() -> String {
    match std::env::consts::OS {
        "macos" => format!("{}-apple-darwin", std::env::consts::ARCH),
        _ => format!("{}-unknown-linux-gnu", std::env::consts::ARCH),
    }
}

pub fn asset_name() -> String {
    format!("stress-action-{}.tar.gz", host_target())
}

/// SHA-256 in hex, by `sha256sum` (or `shasum -a 256`): sha2 in an unoptimized test build takes
/// seconds for the tool's 40 MB.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let scratch = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(scratch.path(), bytes).unwrap();
    let out = Command::new("sha256sum")
        .arg(scratch.path())
        .output()
        .or_else(|_| Command::new("shasum").args(["-a", "256"]).arg(scratch.path()).output())
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The test binary without its debug info (what a release holds), packed the way release.yml packs
/// it (`tar -czf ASSET -C DIR stress-action`): (the binary's bytes, the asset's bytes). Made once
/// per test process, since packing takes seconds.
pub fn release_asset(binary: &Path) -> &'static (Vec<u8>, Vec<u8>) {
    static ASSET: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    ASSET.get_or_init(|| {
        let scratch = tempfile::tempdir().unwrap();
        let staging = scratch.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let stripped = staging.join("stress-action");
        std::fs::copy(binary, &stripped).unwrap();
        let status = Command::new("strip").arg(&stripped).status();
        assert!(
            status.map(|s| s.success()).unwrap_or(false),
            "strip {}",
            stripped.display()
        );
        (std::fs::read(&stripped).unwrap(), pack(&staging, scratch.path()))
    })
}

/// A release whose "binary" is a two-line script running `binary`: an asset of a few hundred bytes
/// for the tests about downloading and checking, where packing the real tool would only cost time.
pub fn stand_in_asset(binary: &Path) -> &'static (Vec<u8>, Vec<u8>) {
    static ASSET: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    ASSET.get_or_init(|| {
        let scratch = tempfile::tempdir().unwrap();
        let staging = scratch.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let script = staging.join("stress-action");
        std::fs::write(&script, format!("#!/bin/sh\nexec '{}' \"$@\"\n", binary.display())).unwrap();
        (std::fs::read(&script).unwrap(), pack(&staging, scratch.path()))
    })
}

/// `staging/stress-action` packed as a release asset.
fn pack(staging: &Path, scratch: &Path) -> Vec<u8> {
    let tarball = scratch.join("asset.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(staging)
        .arg("stress-action")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(tarball).unwrap()
}

/// Publishes release `v{version}` with this machine's asset and its SHA256SUMS (which also lists
/// another target, as a real release does).
pub fn publish(server: &ReleaseServer, version: &str, asset: Vec<u8>) {
    let sums = format!(
        "{}  stress-action-other-target.tar.gz\n{}  {}\n",
        "1".repeat(64),
        sha256_hex(&asset),
        asset_name()
    );
    server.put(&format!("/v{version}/{}", asset_name()), asset);
    server.put(&format!("/v{version}/SHA256SUMS"), sums.into_bytes());
}
