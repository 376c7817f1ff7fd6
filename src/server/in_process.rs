//! The reference server hosted inside the calling process, on its own thread and Tokio runtime.
//!
//! Tests of clients, providers and workloads need a real server over 127.0.0.1, not a child
//! process: a child costs a process start per test and adds a moving part (its stdout, its exit)
//! that those tests do not examine. A thread of its own keeps the server independent of the
//! caller's runtime, so a plain `#[test]` blocked on a child `run` and a `#[tokio::test]` on a
//! current-thread runtime can both use it. Options come from [`ServeOptions::build`], the path the
//! CLI takes, so an in-process server has exactly the flags and faults of `serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Bound, ServeError, ServeOptions};

/// How long the runtime waits for blocking work (a provider's file copy) after the server stopped.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// What the server thread reports once it listens (or why it could not).
type Ready = Result<(SocketAddr, PathBuf), ServeError>;

/// A server running in this process. Dropping it stops the server the way SIGTERM stops `serve`
/// (in-flight requests get their grace period) and waits for the thread, so whatever the server
/// wrote under its root is finished before the caller removes that root.
pub struct RunningServer {
    url: String,
    addr: SocketAddr,
    root: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`: what a client is given as its endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the server keeps sandboxes and checkpoints.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stops the server and waits until it has, as dropping it does, but at a point the caller picks.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been printed; the caller is stopping anyway.
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Starts the server described by `opts` on a thread of its own and returns once it listens.
pub fn spawn(opts: ServeOptions) -> Result<RunningServer, ServeError> {
    let (ready_tx, ready_rx) = mpsc::channel::<Ready>();
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("stress-action-serve".into())
        .spawn(move || host(opts, ready_tx, stop_rx))
        .map_err(|source| ServeError::Io {
            context: "cannot start the server thread".into(),
            source,
        })?;
    let ready = ready_rx.recv().unwrap_or_else(|_| {
        Err(ServeError::Io {
            context: "the server thread stopped before listening".into(),
            source: std::io::Error::other("it panicked"),
        })
    });
    match ready {
        Ok((addr, root)) => Ok(RunningServer {
            url: format!("http://{addr}"),
            addr,
            root,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Err(e) => {
            let _ = thread.join();
            Err(e)
        }
    }
}

/// The server thread: a runtime of its own, serving until `stop` fires or its sender is dropped.
fn host(opts: ServeOptions, ready: mpsc::Sender<Ready>, stop: oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("stress-action-serve")
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            let _ = ready.send(Err(ServeError::Io {
                context: "cannot start the server's runtime".into(),
                source,
            }));
            return;
        }
    };
    runtime.block_on(async move {
        let bound = match Bound::start(&opts).await {
            Ok(bound) => bound,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok((bound.addr(), bound.root().to_path_buf())));
        bound
            .run_until(async {
                let _ = stop.await;
            })
            .await;
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::server::ServeArgs;

    fn options(root: &Path, extra: ServeArgs) -> ServeOptions {
        ServeOptions::build(ServeArgs {
            addr: "127.0.0.1:0".into(),
            root: Some(root.to_path_buf()),
            ..extra
        })
        .unwrap()
    }

    /// One HTTP/1.1 request on a fresh connection; the whole answer as text.
    fn request(addr: SocketAddr, head: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{head} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    }

    #[test]
    fn serves_until_dropped_and_finishes_a_request_in_flight() {
        let root = tempfile::tempdir().unwrap();
        let slow_create = ServeArgs {
            fault_latency_ms: Some("300".into()),
            fault_ops: Some("create".into()),
            ..ServeArgs::default()
        };
        let server = spawn(options(root.path(), slow_create)).unwrap();
        let addr = server.addr();
        assert_eq!(server.url(), format!("http://{addr}"));
        assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
        let health = request(addr, "GET /v1/health").unwrap();
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");

        let in_flight = std::thread::spawn(move || request(addr, "POST /v1/sandboxes"));
        std::thread::sleep(Duration::from_millis(100));
        drop(server);
        let created = in_flight.join().unwrap().unwrap();
        assert!(
            created.starts_with("HTTP/1.1 201"),
            "answered during the grace period: {created}"
        );
        assert_eq!(std::fs::read_dir(root.path().join("sandboxes")).unwrap().count(), 1);
        assert!(
            request(addr, "GET /v1/health").is_err(),
            "nothing listens after the drop"
        );
    }

    #[test]
    fn stops_when_the_holder_panics_and_reports_a_root_it_cannot_open() {
        let root = tempfile::tempdir().unwrap();
        let server = spawn(options(root.path(), ServeArgs::default())).unwrap();
        let addr = server.addr();
        let held = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _server = server;
            panic!("a failing test");
        }));
        assert!(held.is_err());
        assert!(
            request(addr, "GET /v1/health").is_err(),
            "nothing listens after the panic"
        );

        let file = root.path().join("a-file");
        std::fs::write(&file, b"not a directory").unwrap();
        let err = spawn(options(&file, ServeArgs::default())).err().expect("refused");
        assert!(err.to_string().starts_with("cannot open --root"), "{err}");
    }
}
