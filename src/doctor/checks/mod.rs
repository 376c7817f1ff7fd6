//! The checks, in the order a platform meets them in a run: reach it (endpoint, auth, health),
//! create a sandbox, run what the workloads run in it, move files, repeat POSTs, checkpoint and
//! restore, and time a trivial call. Each group is a module; a group that needs what an earlier
//! one could not give (a sandbox) is reported as skipped rather than failing for the same reason.

mod checkpoint;
mod exec;
mod files;
mod idempotency;
mod image;
mod latency;
mod preflight;

use std::time::Duration;

use super::session::Session;
use super::wire::{short, Kind, Reply, Wire};
use crate::provider::ExecOutput;

/// Deadline of a command the checks run (each call has its own; this is the command's).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs every check; returns early only when nothing more can be learnt.
pub async fn all(s: &Session, endpoint_note: Option<&str>) {
    let reachable = match s.kind {
        Kind::Http => preflight::http(s, endpoint_note).await,
        Kind::Command => preflight::plugin(s).await,
    };
    if !reachable {
        s.skip("sandbox checks", "not run: the platform did not answer health");
        return;
    }
    let sandbox = match s.wire.create(None).await {
        Ok(id) => {
            s.pass("create", format!("answered sandbox {id}"));
            id
        }
        Err(e) => {
            s.fail("create", "a new sandbox's `id`", e.to_string());
            s.skip("sandbox checks", "not run: no sandbox could be created");
            return;
        }
    };
    image::run(s, &sandbox).await;
    exec::run(s, &sandbox).await;
    files::run(s, &sandbox).await;
    idempotency::run(s, &sandbox).await;
    checkpoint::run(s, &sandbox).await;
    latency::run(s, &sandbox).await;
}

/// An error answer the protocol prescribes: a status and, over HTTP, the error code.
#[derive(Clone, Copy, Debug)]
pub struct Expected {
    pub status: u16,
    pub code: &'static str,
}

impl Expected {
    pub const fn new(status: u16, code: &'static str) -> Self {
        Self { status, code }
    }

    /// What the check expects, as the protocol of `kind` spells it.
    pub fn text(&self, kind: Kind) -> String {
        match kind {
            Kind::Http => format!("{} {{\"error\": {{\"code\": \"{}\"}}}}", self.status, self.code),
            Kind::Command => format!("ok=false with error `status` {}", self.status),
        }
    }

    /// Records the check: the status must match; over HTTP a missing or other code only warns.
    pub fn judge<T>(&self, s: &Session, name: &str, reply: &Reply<T>, describe: impl Fn(&T) -> String) {
        let expected = self.text(s.kind);
        match reply {
            Ok(value) => s.fail(name, expected, format!("success: {}", describe(value))),
            Err(failure) if failure.status() == Some(self.status) => {
                if s.kind == Kind::Http && failure.code() != Some(self.code) {
                    s.warn(name, expected, failure.to_string());
                } else {
                    s.pass(name, format!("answered {failure}"));
                }
            }
            Err(failure) => s.fail(name, expected, failure.to_string()),
        }
    }
}

/// `exit 0, stdout "git version 2.43.0", stderr ""`: an exec answer for a check line.
pub fn shown(out: &ExecOutput) -> String {
    let status = match (out.exit_code, out.signal) {
        (_, Some(signal)) => format!("signal {signal}"),
        (Some(code), None) => format!("exit {code}"),
        (None, None) => "no status".to_string(),
    };
    format!(
        "{status}, stdout {:?}, stderr {:?}",
        short(out.stdout_text().trim_end(), 80),
        short(out.stderr_text().trim_end(), 120)
    )
}

/// Runs `argv` in `sandbox` with the checks' command deadline.
pub async fn run_command(s: &Session, sandbox: &str, argv: &[&str]) -> Reply<ExecOutput> {
    s.wire
        .exec(sandbox, super::wire::Exec::new(argv, COMMAND_TIMEOUT))
        .await
}
