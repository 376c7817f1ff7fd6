//! Running a command in a sandbox directory: a timeout that kills the whole process group, and
//! bounded capture that keeps draining the pipes so a chatty child can never deadlock on a full pipe.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::provider::{ExecOutput, ExecRequest, ProviderError, ProviderResult};

/// How much of stdout and of stderr is kept per command.
pub const CAPTURE_LIMIT: usize = 1 << 20;

pub async fn run_in_dir(dir: &Path, request: &ExecRequest) -> ProviderResult<ExecOutput> {
    let Some((program, args)) = request.argv.split_first() else {
        return Err(ProviderError::provider("exec: empty command"));
    };
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut cmd = Command::new(resolve_program(program, &path));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", &path)
        .env("HOME", dir)
        .env("LANG", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return not_started(program, e),
    };
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let work = async {
        let (out, err, status) = tokio::join!(read_bounded(stdout), read_bounded(stderr), child.wait());
        (out, err, status)
    };
    match tokio::time::timeout(request.timeout, work).await {
        Ok((out, err, status)) => {
            let status = status.map_err(|e| ProviderError::provider(format!("wait for {program:?}: {e}")))?;
            use std::os::unix::process::ExitStatusExt;
            Ok(ExecOutput {
                exit_code: status.code(),
                signal: status.signal(),
                stdout: out.0,
                stdout_truncated: out.1,
                stderr: err.0,
                stderr_truncated: err.1,
            })
        }
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid);
            }
            let _ = child.kill().await;
            Err(ProviderError::timeout(format!(
                "`{}` did not finish within {} ms",
                request.display(),
                request.timeout.as_millis()
            )))
        }
    }
}

/// A command that could not start answers as a shell would: 127 for a program that is not there,
/// 126 for one that cannot be executed, with the reason on stderr. The protocol says so because a
/// platform that runs argv through a shell answers exactly this, and a missing tool is a fact about
/// the sandbox image, not a failure of the platform to answer.
fn not_started(program: &str, e: std::io::Error) -> ProviderResult<ExecOutput> {
    let exit_code = match e.kind() {
        std::io::ErrorKind::NotFound => 127,
        std::io::ErrorKind::PermissionDenied => 126,
        _ => return Err(ProviderError::provider(format!("cannot start {program:?}: {e}"))),
    };
    Ok(ExecOutput {
        exit_code: Some(exit_code),
        stderr: format!("{program}: {e}\n").into_bytes(),
        ..ExecOutput::default()
    })
}

/// Kills every process of the group the command leads, grandchildren included.
pub fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

/// `program` as a path, searched in `path` the way execvp would. Why: given a bare name and a PATH
/// of its own, std cannot use posix_spawn (vfork) and falls back to fork, which copies the page
/// tables of this whole process for every command; serving a burst of 100,000 ready commands that
/// was most of the server's time. Not found: the name is kept, so spawn reports the usual error.
fn resolve_program(program: &str, path: &std::ffi::OsStr) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return program.into();
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| program.into())
}

async fn read_bounded<R: AsyncRead + Unpin>(pipe: Option<R>) -> (Vec<u8>, bool) {
    let Some(mut pipe) = pipe else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = CAPTURE_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (kept, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::InfraClass;
    use std::time::{Duration, Instant};

    fn req(argv: &[&str], ms: u64) -> ExecRequest {
        ExecRequest::new(argv.iter().copied(), Duration::from_millis(ms))
    }

    #[tokio::test]
    async fn reports_exit_code_signal_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_in_dir(dir.path(), &req(&["sh", "-c", "echo hi; echo err >&2; exit 3"], 5000))
            .await
            .unwrap();
        assert_eq!(
            (out.exit_code, out.stdout_text().as_str(), out.stderr_text().as_str()),
            (Some(3), "hi\n", "err\n")
        );
        let out = run_in_dir(dir.path(), &req(&["sh", "-c", "kill -SEGV $$"], 5000))
            .await
            .unwrap();
        assert_eq!(out.signal, Some(11));
        assert_eq!(out.status_text(), "exit 139 (SIGSEGV)");
    }

    #[test]
    fn bare_names_are_resolved_on_the_path_like_execvp() {
        let path = std::ffi::OsString::from("/nonexistent:/bin:/usr/bin");
        let sh = resolve_program("sh", &path);
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{sh:?}");
        assert_eq!(resolve_program("./x", &path), std::path::PathBuf::from("./x"));
        assert_eq!(
            resolve_program("no-such-program-here", &path),
            std::path::PathBuf::from("no-such-program-here")
        );
    }

    #[tokio::test]
    async fn timeout_kills_the_group_and_is_infra() {
        let dir = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let err = run_in_dir(dir.path(), &req(&["sh", "-c", "sleep 30 & sleep 30"], 200))
            .await
            .unwrap_err();
        assert_eq!(err.class, InfraClass::Timeout);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn large_output_is_bounded_not_deadlocked() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_in_dir(dir.path(), &req(&["sh", "-c", "head -c 3000000 /dev/zero"], 10_000))
            .await
            .unwrap();
        assert!(out.success());
        assert_eq!(out.stdout.len(), CAPTURE_LIMIT);
        assert!(out.stdout_truncated);
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_exits_127_or_126_as_in_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["/nonexistent/prog", "no-such-program-here"] {
            let out = run_in_dir(dir.path(), &req(&[name], 1000)).await.unwrap();
            assert_eq!(out.exit_code, Some(127), "{name}");
            assert!(
                out.stderr_text().starts_with(&format!("{name}: ")),
                "{}",
                out.stderr_text()
            );
        }
        std::fs::write(dir.path().join("not-executable"), "#!/bin/sh\n").unwrap();
        let out = run_in_dir(dir.path(), &req(&["./not-executable"], 1000)).await.unwrap();
        assert_eq!(out.exit_code, Some(126));
    }
}
