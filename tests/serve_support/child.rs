//! Starting the real `stress-action serve` binary on 127.0.0.1:0 for a test, and stopping it even
//! when the test panics.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, as printed by the server.
    pub url: String,
    /// The server's --root unless the test gave one: removed with the guard, even after a kill.
    _root: Option<tempfile::TempDir>,
}

impl Server {
    pub fn start(args: &[&str]) -> Self {
        let root = (!args.contains(&"--root")).then(|| tempfile::tempdir().expect("temp root"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress-action"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"]).args(args);
        if let Some(root) = &root {
            cmd.arg("--root").arg(root.path());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its address");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first line {first:?}")
            })
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Server {
            child,
            url,
            _root: root,
        }
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.child.wait().expect("serve exits")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Panics if `needle` occurs in any file under `dir`.
pub fn assert_absent_in_dir(dir: &Path, needle: &str) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle:?} found in {}",
            file.display()
        );
    }
}
