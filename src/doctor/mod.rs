//! `stress-action doctor`: what a platform does wrong, one protocol rule at a time.
//!
//! A platform team implementing the protocol used to find its mistakes by reading run logs, where
//! a server that mangles bytes, ignores idempotency keys or restores the source sandbox shows up as
//! infra errors and failed checks far from their cause. The doctor calls every operation in the
//! order a run meets them and prints one line per rule: what the protocol expects, what the
//! platform did ([`report::Check`]). It runs over HTTP or a command plugin through one [`wire`],
//! never retries, bounds every call and the whole run, and destroys everything it created, also
//! when a check failed half-way or the run hit its ceiling ([`tracked`]).

mod checks;
pub mod options;
pub mod report;
mod session;
mod tracked;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::provider::http::endpoint;
pub use options::{DoctorArgs, DoctorOptions, Target};
pub use report::{Check, Report, Status};
use session::Session;
use tracked::Tracked;
use wire::http::HttpWire;
use wire::plugin::PluginWire;
use wire::Wire;

/// How long cleanup may take after the checks, whatever stopped them.
const CLEANUP_LIMIT: Duration = Duration::from_secs(90);

/// What a doctor run left: the report, and whether Ctrl-C cut it short.
pub struct Outcome {
    pub report: Report,
    pub interrupted: bool,
}

/// Runs every check against `opts.target`, calling `on_check` as each is decided, then cleans up.
pub async fn run(opts: DoctorOptions, cancel: CancelToken, on_check: session::OnCheck) -> Outcome {
    let (provider, target) = match &opts.target {
        Target::Http { endpoint, .. } => ("http", endpoint.clone()),
        Target::Command { cmd } => ("command", shell_words::join(cmd)),
    };
    let mut report = Report {
        provider: provider.into(),
        target,
        checks: Vec::new(),
    };
    let (wire, http, note) = match connect(&opts) {
        Ok(connected) => connected,
        Err(why) => {
            let check = Check {
                name: "start".into(),
                status: Status::Fail,
                expected: "the plugin to start".into(),
                received: why,
            };
            on_check(&check);
            report.checks.push(check);
            return Outcome {
                report,
                interrupted: false,
            };
        }
    };
    let tracked = Arc::new(Tracked::new(wire));
    let session = Session::new(tracked.clone(), http, opts.token_env().to_string(), on_check);
    let interrupted = tokio::select! {
        finished = tokio::time::timeout(opts.ceiling, checks::all(&session, note.as_deref())) => {
            if finished.is_err() {
                session.fail(
                    "deadline",
                    format!("every check within --timeout {} s", opts.ceiling.as_secs()),
                    "the ceiling passed while checks were still running; the rest did not run",
                );
            }
            false
        }
        _ = cancel.cancelled() => true,
    };
    let cleanup = match tokio::time::timeout(CLEANUP_LIMIT, tracked.clean_up()).await {
        Ok(check) => check,
        Err(_) => Check {
            name: "cleanup".into(),
            status: Status::Fail,
            expected: format!("cleanup within {} s", CLEANUP_LIMIT.as_secs()),
            received: "destroy and delete calls did not finish in time; some sandboxes may be left".into(),
        },
    };
    session.record(cleanup);
    tracked.shutdown().await;
    report.checks = session.checks();
    Outcome { report, interrupted }
}

type Connected = (Arc<dyn Wire>, Option<Arc<HttpWire>>, Option<String>);

/// The wire for the target, and the note on an endpoint given with its `/v1` suffix.
fn connect(opts: &DoctorOptions) -> Result<Connected, String> {
    match &opts.target {
        Target::Http { endpoint, token, .. } => {
            let endpoint = endpoint::normalize(endpoint);
            let http = Arc::new(HttpWire::new(&endpoint.base, token.clone(), opts.call_timeout)?);
            Ok((http.clone(), Some(http), endpoint.note))
        }
        Target::Command { cmd } => {
            let plugin = PluginWire::start(cmd, opts.call_timeout)?;
            Ok((Arc::new(plugin), None, None))
        }
    }
}
