//! The real `stress-action serve` binary as a child on 127.0.0.1:0, killed when dropped even when
//! the test panics: for tests of the `serve` process itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct ServeChild {
    child: Child,
    /// `http://127.0.0.1:PORT`, as printed by the server.
    pub url: String,
    /// The server's --root unless the test gave one: removed with the guard, even after a kill.
    _root: Option<tempfile::TempDir>,
}

impl ServeChild {
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
        ServeChild {
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

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
