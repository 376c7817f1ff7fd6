//! `stress-action serve`: the reference server of the HTTP sandbox protocol, backed by the local
//! provider, with fault injection for tests and demos.
//!
//! Connections are served by hand (hyper http1 over an accept loop) rather than by `axum::serve`
//! so a fault can drop a connection without any response, the way a crashed proxy does. The first
//! line on stdout is always `listening on http://ADDR`, so scripts and tests can start it on port 0.
//!
//! [`spawn`] runs the same server inside the calling process (its own thread and runtime), for
//! tests whose subject is a client of the server rather than the `serve` process itself.

pub mod clients;
pub mod faults;
mod files;
pub mod guard;
mod in_process;
pub mod routes;
pub mod state;

pub use in_process::{spawn, RunningServer};

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::config::{ConfigError, Secret};
use crate::error::ExitStatus;
use crate::provider::local::LocalOptions;
use crate::provider::LocalProvider;
use faults::{FaultConfig, FaultInjector, Latency};
use guard::ConnKill;
use state::{AppState, CheckpointJobs, IdempotencyCache};

/// How long in-flight requests get to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The serve flags as the user gave them (clap-free).
#[derive(Clone, Debug, Default)]
pub struct ServeArgs {
    pub addr: String,
    pub root: Option<PathBuf>,
    pub token: Option<String>,
    pub fault_latency_ms: Option<String>,
    pub fault_error_rate: Option<f64>,
    pub fault_status: Option<u16>,
    pub fault_reset_rate: Option<f64>,
    pub fault_timeout_rate: Option<f64>,
    pub fault_corrupt_read_rate: Option<f64>,
    pub fault_checkpoint_mixup_rate: Option<f64>,
    pub fault_ops: Option<String>,
    pub fault_seed: Option<u64>,
    pub fault_capacity: Option<i64>,
}

/// Validated serve options.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub root: Option<PathBuf>,
    pub token: Option<Secret>,
    pub faults: FaultConfig,
}

impl ServeOptions {
    pub fn build(args: ServeArgs) -> Result<Self, ConfigError> {
        let addr: SocketAddr = args
            .addr
            .parse()
            .map_err(|e| ConfigError::new("--addr", format!("{:?} is not HOST:PORT ({e})", args.addr)))?;
        let rate = |flag: &str, v: Option<f64>| -> Result<f64, ConfigError> {
            let v = v.unwrap_or(0.0);
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(ConfigError::new(
                    flag,
                    format!("must be a fraction between 0 and 1 (got {v})"),
                ))
            }
        };
        let faults = FaultConfig {
            latency: args.fault_latency_ms.as_deref().map(Latency::parse).transpose()?,
            error_rate: rate("--fault-error-rate", args.fault_error_rate)?,
            status: args.fault_status.unwrap_or(503),
            reset_rate: rate("--fault-reset-rate", args.fault_reset_rate)?,
            timeout_rate: rate("--fault-timeout-rate", args.fault_timeout_rate)?,
            corrupt_read_rate: rate("--fault-corrupt-read-rate", args.fault_corrupt_read_rate)?,
            checkpoint_mixup_rate: rate("--fault-checkpoint-mixup-rate", args.fault_checkpoint_mixup_rate)?,
            ops: args.fault_ops.as_deref().map(faults::parse_ops).transpose()?,
            seed: args.fault_seed.unwrap_or_else(rand::random),
            capacity: match args.fault_capacity {
                None => None,
                Some(n) if (1..=1_000_000).contains(&n) => Some(n as u64),
                Some(n) => {
                    return Err(ConfigError::new(
                        "--fault-capacity",
                        format!("must be between 1 and 1000000 requests at once (got {n})"),
                    ))
                }
            },
        };
        if !(400..=599).contains(&faults.status) {
            return Err(ConfigError::new(
                "--fault-status",
                format!("must be an error status 400..=599 (got {})", faults.status),
            ));
        }
        if faults.error_rate + faults.reset_rate + faults.timeout_rate > 1.0 {
            return Err(ConfigError::new(
                "--fault-error-rate",
                "error, reset and timeout rates must add up to at most 1",
            ));
        }
        if args.token.as_deref() == Some("") {
            return Err(ConfigError::new("--token", "must not be empty"));
        }
        Ok(Self {
            addr,
            root: args.root,
            token: args.token.map(Secret::new),
            faults,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl ServeError {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ServeError::Bind { .. } => ExitStatus::Usage,
            ServeError::Io { .. } => ExitStatus::Fail,
        }
    }
}

/// Serves until SIGTERM or SIGINT, then lets in-flight requests finish for a short grace period.
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let bound = Bound::start(&opts).await?;
    let io = |source| ServeError::Io {
        context: "cannot write to stdout".into(),
        source,
    };
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{}", bound.addr()).map_err(io)?;
    stdout.flush().map_err(io)?;
    eprintln!(
        "serving protocol v1 from {} (auth {})",
        bound.root().display(),
        if bound.state.token.is_some() { "on" } else { "off" }
    );
    bound.run_until(stop_signal()).await;
    Ok(())
}

/// A server whose state is open and whose socket listens, before it accepts anything. The CLI and
/// the in-process host ([`spawn`]) both start through it, so a test's server is the CLI's server.
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl Bound {
    /// Opens the root and binds `opts.addr`; async only because the socket needs a Tokio runtime.
    pub async fn start(opts: &ServeOptions) -> Result<Self, ServeError> {
        let io = |context: &str| {
            let context = context.to_string();
            move |source| ServeError::Io { context, source }
        };
        let provider = LocalProvider::new(LocalOptions {
            root: opts.root.clone(),
        })
        .map_err(io("cannot open --root"))?;
        let jobs = CheckpointJobs::open(provider.root().join("serve-checkpoints")).map_err(io("cannot open --root"))?;
        let faults = FaultInjector::new(opts.faults.clone());
        if faults.active() {
            eprintln!(
                "fault injection on, seed {} (pass --fault-seed {} to reproduce)",
                opts.faults.seed, opts.faults.seed
            );
        }
        let state = Arc::new(AppState {
            provider: Arc::new(provider),
            token: opts.token.clone(),
            faults,
            jobs,
            idempotency: IdempotencyCache::default(),
            clients: Default::default(),
        });
        let listener = listen(opts.addr).map_err(|source| ServeError::Bind {
            addr: opts.addr,
            source,
        })?;
        let addr = listener.local_addr().map_err(io("cannot read the bound address"))?;
        Ok(Self { listener, addr, state })
    }

    /// The address really bound (the port is chosen when `--addr` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where sandboxes and checkpoints live: `--root`, or the temporary root the provider made.
    pub fn root(&self) -> &Path {
        self.state.provider.root()
    }

    /// Accepts until `stop` completes, then lets in-flight requests finish for a short grace period.
    pub async fn run_until(self, stop: impl Future<Output = ()>) {
        let Bound { listener, state, .. } = self;
        let router = routes::router(state.clone());
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut connections = JoinSet::new();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else {
                        // Out of descriptors (EMFILE): retrying at once would spin a core while the
                        // connections that would free them cannot run.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, router.clone(), shutdown_rx.clone()));
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        eprintln!("shutting down: finishing in-flight requests");
        drop(listener);
        let _ = shutdown_tx.send(true);
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            eprintln!("grace period over: dropping {} connections", connections.len());
            connections.abort_all();
        }
        eprintln!("{}", state.faults.summary());
    }
}

/// One connection: served until it closes, a reset fault kills it, or the server shuts down.
async fn serve_connection(stream: tokio::net::TcpStream, router: axum::Router, mut shutdown: watch::Receiver<bool>) {
    let kill = Arc::new(Notify::new());
    let conn_kill = ConnKill(kill.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(conn_kill.clone());
        let mut router = router.clone();
        async move { router.call(req.map(axum::body::Body::new)).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            // Dropping the connection future closes the socket with no response written.
            _ = kill.notified() => return,
            changed = shutdown.changed(), if !closing => {
                closing = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Connections a burst may open before the accept loop takes them. `TcpListener::bind` asks for
/// 1024; a burst of 2000 sandboxes overflowed that queue, and every dropped SYN cost its sandbox a
/// 1-3-7 s retransmission wait that then showed up as platform latency. The kernel clamps this to
/// `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 65_535;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}
