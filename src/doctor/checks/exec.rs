//! How commands run: in the sandbox root, with stdin at end of file, a missing program as exit 127,
//! death by a signal as `signal`, output kept up to 1 MiB per stream, and a timeout that answers
//! 504 and leaves no process of the command behind.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::super::session::Session;
use super::super::wire::{Exec, Failure, Kind, Wire};
use super::{run_command, shown, Expected};

/// Output kept per stream.
const OUTPUT_CAP: usize = 1 << 20;
/// Prints 1200 KiB of `x` with shell builtins only.
const PRINT_1200_KIB: &str =
    "l=x; for i in 1 2 3 4 5 6 7 8 9 10; do l=$l$l; done; i=0; while [ $i -lt 1200 ]; do printf %s \"$l\"; i=$((i+1)); done";
/// Starts a sleeper in the background, notes its pid, and waits: a timeout must kill both.
const SLEEPER: &str = "sleep 60 & echo $! > doctor-sleeper.pid; wait";
/// Prints `alive` or `gone` for the sleeper (a zombie counts as gone: it is dead, only unreaped).
const SLEEPER_ALIVE: &str = "read -r p < doctor-sleeper.pid; \
     if [ -r /proc/$p/stat ]; then read -r s < /proc/$p/stat; case \"$s\" in *\") Z \"*) echo gone;; *) echo alive;; esac; \
     elif kill -0 \"$p\" 2>/dev/null; then echo alive; else echo gone; fi";
/// Deadline of the command that must time out.
const SHORT_TIMEOUT: Duration = Duration::from_millis(1000);

pub async fn run(s: &Session, sb: &str) {
    cwd(s, sb).await;
    stdin(s, sb).await;
    missing_program(s, sb).await;
    signal(s, sb).await;
    output_cap(s, sb).await;
    timeout(s, sb).await;
    let unknown = s
        .wire
        .exec(
            "sb-doctor-no-such-sandbox",
            Exec::new(&["true"], super::COMMAND_TIMEOUT),
        )
        .await;
    Expected::new(404, "not_found").judge(s, "exec.unknown_sandbox", &unknown, shown);
}

async fn cwd(s: &Session, sb: &str) {
    let name = "exec.cwd";
    let expected = "a command to run in the sandbox root, where write_file's relative paths are";
    if let Err(e) = s
        .wire
        .write_file(sb, "doctor-cwd.txt", Bytes::from_static(b"here\n"))
        .await
    {
        s.fail(name, expected, format!("write_file failed: {e}"));
        return;
    }
    let reply = run_command(s, sb, &["sh", "-c", "read -r l < doctor-cwd.txt && printf %s \"$l\""]).await;
    s.judge(
        name,
        expected,
        match reply {
            Ok(out) if out.success() && out.stdout == b"here" => {
                Ok("`sh -c 'read -r l < doctor-cwd.txt'` found the file".into())
            }
            Ok(out) => Err(shown(&out)),
            Err(e) => Err(e.to_string()),
        },
    );
}

async fn stdin(s: &Session, sb: &str) {
    let script = "if read -r l; then printf 'read:%s' \"$l\"; else printf eof; fi";
    let reply = s
        .wire
        .exec(sb, Exec::new(&["sh", "-c", script], Duration::from_secs(5)))
        .await;
    s.judge(
        "exec.stdin",
        "stdin at end of file (/dev/null): `read` returns at once",
        match reply {
            Ok(out) if out.stdout == b"eof" => Ok("at end of file".into()),
            Ok(out) => Err(shown(&out)),
            Err(e) if e.code() == Some("timeout") => Err(format!(
                "{e}: the command waited for input until its timeout, so stdin is left open"
            )),
            Err(e) => Err(e.to_string()),
        },
    );
}

async fn missing_program(s: &Session, sb: &str) {
    let reply = run_command(s, sb, &["stress-action-doctor-no-such-program"]).await;
    s.judge(
        "exec.missing_program",
        "`exit_code` 127, as a shell answers for a program that is not there",
        match reply {
            Ok(out) if out.exit_code == Some(127) && out.signal.is_none() => Ok(shown(&out)),
            Ok(out) => Err(shown(&out)),
            Err(e) => Err(format!(
                "{e}: a missing program is a fact about the image, answered as exit 127"
            )),
        },
    );
}

async fn signal(s: &Session, sb: &str) {
    let name = "exec.signal";
    let expected = "`exit_code` null and `signal` 11 for `sh -c 'kill -SEGV $$'`";
    match run_command(s, sb, &["sh", "-c", "kill -SEGV $$"]).await {
        Ok(out) if out.signal == Some(11) && out.exit_code.is_none() => s.pass(name, shown(&out)),
        Ok(out) if out.signal.is_none() && out.exit_code == Some(139) => s.warn(
            name,
            expected,
            "exit_code 139: stress-action reads it as SIGSEGV too, but the protocol says `signal`: 11",
        ),
        Ok(out) => s.fail(name, expected, shown(&out)),
        Err(e) => s.fail(name, expected, e.to_string()),
    }
}

async fn output_cap(s: &Session, sb: &str) {
    let reply = run_command(s, sb, &["sh", "-c", PRINT_1200_KIB]).await;
    s.judge(
        "exec.output_cap",
        "1200 KiB printed: the first 1 MiB kept, `stdout_truncated` true",
        match reply {
            Ok(out)
                if out.stdout.len() == OUTPUT_CAP && out.stdout_truncated && out.stdout.iter().all(|b| *b == b'x') =>
            {
                Ok("kept 1048576 bytes, stdout_truncated true".into())
            }
            Ok(out) => Err(format!(
                "kept {} bytes, stdout_truncated {} ({})",
                out.stdout.len(),
                out.stdout_truncated,
                if out.success() { "exit 0" } else { "not exit 0" }
            )),
            Err(e) => Err(e.to_string()),
        },
    );
}

async fn timeout(s: &Session, sb: &str) {
    let name = "exec.timeout";
    let expected = match s.kind {
        Kind::Http => "504 {\"error\": {\"code\": \"timeout\"}} after timeout_ms, and the command's processes gone",
        Kind::Command => "ok=false with error `class` \"timeout\", and the command's processes gone",
    };
    let started = Instant::now();
    let reply = s.wire.exec(sb, Exec::new(&["sh", "-c", SLEEPER], SHORT_TIMEOUT)).await;
    let took = started.elapsed();
    match reply {
        Err(e) if timed_out(s.kind, &e) => match sleeper_gone(s, sb).await {
            Ok(()) => s.pass(
                name,
                format!(
                    "answered {e} after {} ms; the background process is gone",
                    took.as_millis()
                ),
            ),
            Err(why) => s.fail(name, expected, why),
        },
        Err(e) => s.fail(name, expected, e.to_string()),
        Ok(out) => s.fail(name, expected, format!("{} after {} ms", shown(&out), took.as_millis())),
    }
}

/// The protocol's timeout: `504` with code `timeout` over HTTP, class `timeout` from a plugin.
fn timed_out(kind: Kind, e: &Failure) -> bool {
    e.code() == Some("timeout") && (kind == Kind::Command || e.status() == Some(504))
}

/// Whether the sleeper the timed-out command left is gone (asked a few times: killing takes a moment).
async fn sleeper_gone(s: &Session, sb: &str) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..10 {
        match run_command(s, sb, &["sh", "-c", SLEEPER_ALIVE]).await {
            Ok(out) if out.stdout_text().trim() == "gone" => return Ok(()),
            Ok(out) => last = shown(&out),
            Err(e) => return Err(format!("could not look for the background process: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "the command's background `sleep 60` is still running after the timeout ({last}): kill the whole process group"
    ))
}
