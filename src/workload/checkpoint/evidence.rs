//! Evidence for a corrupted restore: the fingerprint it had to match, what each check printed, and
//! the marker as found (size, hash, first differing byte), gathered before the sandbox is destroyed.

use super::restore::RoundShared;
use crate::provider::{ExecRequest, Payload, Provider, SandboxId};
use crate::record::evidence::first_difference;
use crate::verify::sha256::hex_digest;
use crate::verify::Outcome;
use crate::workload::WorkloadContext;

pub async fn collect(
    ctx: &WorkloadContext,
    sandbox: &SandboxId,
    op_id: &str,
    round: &RoundShared,
    outcome: &Outcome,
) -> Option<String> {
    let (provider, fingerprint, marker, timeout) = (
        ctx.provider.as_ref(),
        &round.fingerprint,
        &round.marker,
        ctx.exec_timeout,
    );
    let Outcome::Corrupted {
        check,
        expected,
        actual,
    } = outcome
    else {
        return None;
    };
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        (
            "expected.txt",
            format!(
                "commit: {}\nmarker: {}\nmarker sha256: {}\nmarker size: {} bytes\n",
                fingerprint.commit,
                fingerprint.marker_path,
                fingerprint.marker_sha256,
                marker.len()
            )
            .into_bytes(),
        ),
        (
            "found.txt",
            format!("failed check: {check}\nexpected: {expected}\nfound: {actual}\n").into_bytes(),
        ),
    ];
    let checks: [(&str, &[&str]); 3] = [
        ("git-status.txt", &["git", "status", "--porcelain"]),
        ("git-log.txt", &["git", "log", "-1", "--format=%H %s"]),
        ("git-fsck.txt", &["git", "fsck", "--full"]),
    ];
    for (name, argv) in checks {
        let text = match provider
            .exec(sandbox, &ExecRequest::new(argv.iter().copied(), timeout))
            .await
        {
            Ok(out) => format!(
                "$ {}\n{}\n--- stdout\n{}--- stderr\n{}",
                argv.join(" "),
                out.status_text(),
                out.stdout_text(),
                out.stderr_text()
            ),
            Err(e) => format!("$ {}\ncould not run: {e}\n", argv.join(" ")),
        };
        files.push((name, text.into_bytes()));
    }
    let marker_text = marker_as_found(provider, sandbox, &fingerprint.marker_path, marker).await;
    files.push(("marker.txt", marker_text.into_bytes()));
    ctx.recorder.evidence.write(op_id, &files)
}

/// Markers up to this size are read whole to locate the first differing byte; larger ones are
/// only hashed as they are read, so evidence of a corrupted 1 GB marker costs no memory.
const LOCATE_DIFFERENCE_UP_TO: u64 = 64 << 20;

/// The marker as found: size and SHA-256, and where it first differs from what was written.
async fn marker_as_found(provider: &dyn Provider, sandbox: &SandboxId, path: &str, marker: &Payload) -> String {
    if marker.len() > LOCATE_DIFFERENCE_UP_TO {
        return match provider.read_digest(sandbox, path).await {
            Ok(found) => format!(
                "size: {} bytes (expected {})\nsha256: {}\nfirst differing byte: not located (markers over {} MiB are compared by hash only)\n",
                found.len,
                marker.len(),
                found.sha256,
                LOCATE_DIFFERENCE_UP_TO >> 20
            ),
            Err(e) => format!("cannot read the marker: {e}\n"),
        };
    }
    match provider.read_file(sandbox, path).await {
        Ok(found) => format!(
            "size: {} bytes (expected {})\nsha256: {}\nfirst differing byte: {}\n",
            found.len(),
            marker.len(),
            hex_digest(&found),
            first_difference(&marker.to_bytes().0, &found)
                .map(|o| o.to_string())
                .unwrap_or_else(|| "none (identical)".into())
        ),
        Err(e) => format!("cannot read the marker: {e}\n"),
    }
}
