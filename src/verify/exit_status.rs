//! What a check's exit status says about the data: a check that ran and exited non-zero, or died by
//! SIGSEGV, SIGBUS, SIGABRT or SIGILL, saw (or choked on) bad data, so it is corruption. A check
//! killed by SIGKILL was stopped from outside — under concurrency that is the kernel's OOM killer —
//! and said nothing about the data: that is infra, never corruption. So is a check that could not
//! start (exit 127 or 126: the sandbox image lacks the tool).

use crate::provider::ExecOutput;
use crate::verify::restore::excerpt;
use crate::verify::{InfraClass, Outcome};

/// SIGKILL, as a signal or as the shell's `128 + 9`.
pub fn killed_by_sigkill(out: &ExecOutput) -> bool {
    out.signal == Some(libc::SIGKILL) || (out.signal.is_none() && out.exit_code == Some(128 + libc::SIGKILL))
}

/// Exit 127 and 126 are a shell's (and the protocol's) "command not found" and "cannot execute":
/// the sandbox image lacks the tool, so the check never looked at the data.
fn could_not_run(out: &ExecOutput) -> Option<&'static str> {
    match (out.signal, out.exit_code) {
        (None, Some(127)) => Some("not found in the sandbox image"),
        (None, Some(126)) => Some("not executable in the sandbox image"),
        _ => None,
    }
}

/// `Ok` when the check exited 0; otherwise the outcome of the operation that needed it.
pub fn check_exited_cleanly(check: &str, out: &ExecOutput) -> Result<(), Outcome> {
    if out.success() {
        return Ok(());
    }
    if killed_by_sigkill(out) {
        return Err(Outcome::Infra {
            class: InfraClass::ProviderError,
            status: None,
            detail: format!(
                "{check} killed, possibly out of memory ({}): it said nothing about the data",
                out.status_text()
            ),
        });
    }
    if let Some(why) = could_not_run(out) {
        return Err(Outcome::Infra {
            class: InfraClass::ProviderError,
            status: None,
            detail: format!(
                "{check} could not run ({}: {why}): it said nothing about the data",
                out.status_text()
            ),
        });
    }
    // git fsck reports problems on stdout, most tools on stderr: show whichever has something.
    let stderr = out.stderr_text();
    let said = if stderr.trim().is_empty() {
        out.stdout_text()
    } else {
        stderr
    };
    let actual = if said.trim().is_empty() {
        out.status_text()
    } else {
        format!("{}: {}", out.status_text(), excerpt(said.trim()))
    };
    Err(Outcome::corrupted(check, "exit 0", actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn died(exit_code: Option<i32>, signal: Option<i32>) -> ExecOutput {
        ExecOutput {
            exit_code,
            signal,
            stdout: Vec::new(),
            stderr: b"boom".to_vec(),
            stdout_truncated: false,
            stderr_truncated: false,
        }
    }

    #[test]
    fn sigkill_is_infra_and_crashes_are_corruption() {
        for out in [died(None, Some(9)), died(Some(137), None)] {
            match check_exited_cleanly("git fsck", &out) {
                Err(Outcome::Infra { class, detail, .. }) => {
                    assert_eq!(class, InfraClass::ProviderError);
                    assert!(detail.contains("killed, possibly out of memory"), "{detail}");
                }
                other => panic!("{out:?}: {other:?}"),
            }
        }
        for signal in [libc::SIGSEGV, libc::SIGBUS, libc::SIGABRT, libc::SIGILL] {
            for out in [died(None, Some(signal)), died(Some(128 + signal), None)] {
                assert!(
                    check_exited_cleanly("git fsck", &out).is_err_and(|o| o.is_corrupted()),
                    "{out:?}"
                );
            }
        }
        assert!(check_exited_cleanly("git fsck", &died(Some(1), None)).is_err_and(|o| o.is_corrupted()));
        for missing in [127, 126] {
            match check_exited_cleanly("git fsck", &died(Some(missing), None)) {
                Err(Outcome::Infra { detail, .. }) => assert!(detail.contains("could not run"), "{detail}"),
                other => panic!("exit {missing}: {other:?}"),
            }
        }
        assert!(check_exited_cleanly("git fsck", &died(Some(0), None)).is_ok());
    }
}
