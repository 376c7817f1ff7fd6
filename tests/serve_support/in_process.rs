//! The reference server inside the test process on 127.0.0.1:0, built from the same `ServeArgs` the
//! CLI builds from its flags and validated by the same `ServeOptions::build`.

use std::path::Path;

use stress_action::server::{self, RunningServer, ServeArgs, ServeOptions};

/// Dropping it stops the server as SIGTERM stops `serve`: requests still in flight get the grace
/// period (5 s). A `#[tokio::test]` blocks its own runtime while dropping, so a client on it cannot
/// close a connection meanwhile: a test that leaves a request hanging on the server (a timeout
/// fault) drives its client on a runtime it drops first.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Declared before the root: dropped first, so the server has stopped writing before the root
    /// is removed.
    running: RunningServer,
    /// The server's root unless the test gave one.
    _root: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server with `args` as `serve` would get them from its flags. The address is always
    /// 127.0.0.1:0; the root is a fresh temporary directory unless `args.root` names one.
    pub fn start(args: ServeArgs) -> Self {
        // `serve` raises its descriptor limit at start-up; a burst served in this process needs
        // the same headroom.
        stress_action::fdlimit::raise_soft_to_hard();
        let temp = args.root.is_none().then(|| tempfile::tempdir().expect("temp root"));
        let root = args
            .root
            .clone()
            .or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()));
        let args = ServeArgs {
            addr: "127.0.0.1:0".into(),
            root,
            ..args
        };
        let opts = ServeOptions::build(args).unwrap_or_else(|e| panic!("serve options: {e}"));
        let running = server::spawn(opts).unwrap_or_else(|e| panic!("serve starts: {e}"));
        assert!(running.url().starts_with("http://127.0.0.1:"), "{}", running.url());
        Server {
            url: running.url().to_string(),
            running,
            _root: temp,
        }
    }

    /// A server with no flags but its address and root: no auth, no faults.
    pub fn clean() -> Self {
        Self::start(ServeArgs::default())
    }

    /// Where the server keeps sandboxes and checkpoints.
    pub fn root(&self) -> &Path {
        self.running.root()
    }
}
