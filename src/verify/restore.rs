//! Verifying a restored sandbox against what was committed before the checkpoint: `git status`,
//! `git log -1`, `git fsck --full`, and the SHA-256 of the marker computed inside the sandbox.
//!
//! A check that ran and saw something wrong (non-zero exit, death by SIGSEGV and the like, wrong
//! output) is corruption. A check that could not run (timeout, platform error) is retried, and if it
//! still cannot run the restore is infra, as is a check killed by SIGKILL (the OOM killer): we never
//! blame the data for the platform's failure.

use std::time::Duration;

use crate::provider::retry::with_retries;
use crate::provider::{ExecOutput, ExecRequest, Provider, SandboxId};
use crate::verify::exit_status::check_exited_cleanly;
use crate::verify::{sha256::parse_sha256sum, Outcome};

/// Infra failures of a check are retried this many times before they count.
pub const CHECK_RETRIES: u32 = 2;

/// What a restore must reproduce.
#[derive(Clone, Debug)]
pub struct Fingerprint {
    pub marker_path: String,
    pub marker_sha256: String,
    pub commit: String,
}

/// Runs every check in order and stops at the first that fails.
pub async fn verify_restore(
    provider: &dyn Provider,
    sandbox: &SandboxId,
    fp: &Fingerprint,
    timeout: Duration,
) -> Outcome {
    match run_checks(provider, sandbox, fp, timeout).await {
        Ok(()) => Outcome::Verified,
        Err(outcome) => outcome,
    }
}

async fn run_checks(
    provider: &dyn Provider,
    sb: &SandboxId,
    fp: &Fingerprint,
    timeout: Duration,
) -> Result<(), Outcome> {
    let out = check(provider, sb, &["git", "status", "--porcelain"], timeout).await?;
    check_exited_cleanly("git status", &out)?;
    let status = out.stdout_text();
    if !status.trim().is_empty() {
        return Err(Outcome::corrupted("git status", "clean working tree", excerpt(&status)));
    }

    let out = check(provider, sb, &["git", "log", "-1", "--format=%H"], timeout).await?;
    check_exited_cleanly("git log", &out)?;
    let head = out.stdout_text();
    if head.trim() != fp.commit {
        return Err(Outcome::corrupted("git log", fp.commit.clone(), excerpt(head.trim())));
    }

    let out = check(provider, sb, &["git", "fsck", "--full"], timeout).await?;
    check_exited_cleanly("git fsck", &out)?;

    let out = check(provider, sb, &["sha256sum", fp.marker_path.as_str()], timeout).await?;
    check_exited_cleanly("marker sha256", &out)?;
    let stdout = out.stdout_text();
    match parse_sha256sum(&stdout) {
        Some(actual) if actual == fp.marker_sha256 => Ok(()),
        Some(actual) => Err(Outcome::corrupted("marker sha256", fp.marker_sha256.clone(), actual)),
        None => Err(Outcome::corrupted(
            "marker sha256",
            fp.marker_sha256.clone(),
            excerpt(&stdout),
        )),
    }
}

/// Runs one check command, retrying infra failures; a failure that persists becomes the outcome.
async fn check(
    provider: &dyn Provider,
    sb: &SandboxId,
    argv: &[&str],
    timeout: Duration,
) -> Result<ExecOutput, Outcome> {
    exec_with_retries(provider, sb, &ExecRequest::new(argv.iter().copied(), timeout)).await
}

/// Runs a read-only command, retrying infra failures [`CHECK_RETRIES`] times; an infra failure
/// that persists is returned as the [`Outcome::Infra`] of the operation that needed the command.
pub async fn exec_with_retries(
    provider: &dyn Provider,
    sb: &SandboxId,
    request: &ExecRequest,
) -> Result<ExecOutput, Outcome> {
    let (result, attempts) = with_retries(CHECK_RETRIES, || provider.exec(sb, request)).await;
    result.map_err(|e| Outcome::Infra {
        class: e.class,
        status: e.status,
        detail: format!(
            "`{}` could not run ({attempts} attempts): {}",
            request.display(),
            e.message
        ),
    })
}

/// The first few lines of command output, enough to recognise the problem in a report.
pub fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 400;
    let mut out: String = text.lines().take(5).collect::<Vec<_>>().join(" | ");
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    out
}
