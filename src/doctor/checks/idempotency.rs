//! Idempotency keys: the client retries a POST whose answer was lost with the same key, so the
//! server must answer a repeated key with the first answer and never run the operation twice, also
//! when the repeat arrives while the first attempt still runs. HTTP only: the command protocol has
//! no key, and the command provider never retries what is not safe to repeat.

use std::time::Duration;

use bytes::Bytes;

use super::super::session::Session;
use super::super::wire::{Exec, Failure, Kind, Reply, Wire};
use super::{shown, COMMAND_TIMEOUT};
use crate::provider::http::transport::new_idempotency_key;
use crate::provider::ExecOutput;

/// Appends one line per run: two lines mean the command ran twice.
const APPEND: &str = "echo x >> doctor-idempotency.txt";
/// As [`APPEND`], then holds the first attempt open so a concurrent repeat overlaps it.
const APPEND_SLOWLY: &str = "echo y >> doctor-idempotency-concurrent.txt; sleep 0.5";

pub async fn run(s: &Session, sb: &str) {
    if s.kind == Kind::Command {
        s.skip(
            "idempotency",
            "the command protocol has no idempotency key; stress-action never repeats a plugin's create, exec, checkpoint or restore",
        );
        return;
    }
    create(s).await;
    exec_twice(s, sb).await;
    concurrent(s, sb).await;
}

async fn create(s: &Session) {
    let name = "idempotency.create";
    let expected = "the same `id` for one key twice, another for another key";
    let key = new_idempotency_key();
    let first = s.wire.create(Some(&key)).await;
    let again = s.wire.create(Some(&key)).await;
    let other = s.wire.create(None).await;
    let received = match (&first, &again, &other) {
        (Ok(a), Ok(b), Ok(c)) if a == b && a != c => {
            return s.pass(name, format!("one key: {a} twice; another key: {c}"));
        }
        (Ok(a), Ok(b), Ok(_)) if a != b => format!(
            "{a}, then {b} for the same key: the server ignores Idempotency-Key, so a retried create leaks a sandbox"
        ),
        (Ok(a), Ok(_), Ok(c)) => {
            format!("{a} for one key and {c} for another: answers are kept by something else than the key")
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => e.to_string(),
    };
    s.fail(name, expected, received);
}

async fn exec_twice(s: &Session, sb: &str) {
    let name = "idempotency.exec";
    let key = new_idempotency_key();
    let argv = ["sh", "-c", APPEND];
    let exec = Exec {
        argv: &argv,
        timeout: COMMAND_TIMEOUT,
        key: Some(&key),
    };
    let first = s.wire.exec(sb, exec).await;
    let again = s.wire.exec(sb, exec).await;
    let expected = format!("`{APPEND}` sent twice with one key to run once (one line)");
    if let Some(e) = [&first, &again].iter().find_map(|r| r.as_ref().err()) {
        return s.fail(name, expected, e.to_string());
    }
    match lines(s, sb, "doctor-idempotency.txt").await {
        Ok(1) => s.pass(name, "ran once; the repeat got the first answer"),
        Ok(n) => s.fail(
            name,
            expected,
            format!("{n} lines: the command ran {n} times, so a retried exec runs twice"),
        ),
        Err(e) => s.fail(name, expected, format!("reading the file: {e}")),
    }
}

/// Two attempts with one key at once: both get the first attempt's answer, the command runs once.
/// A server that cannot wait may answer the repeat `425 Too Early`, which the client retries.
async fn concurrent(s: &Session, sb: &str) {
    let name = "idempotency.concurrent";
    let expected = "two concurrent attempts with one key to run the command once and get the same answer";
    let key = new_idempotency_key();
    let argv = ["sh", "-c", APPEND_SLOWLY];
    let exec = Exec {
        argv: &argv,
        timeout: COMMAND_TIMEOUT,
        key: Some(&key),
    };
    let (a, b) = tokio::join!(s.wire.exec(sb, exec), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.wire.exec(sb, exec).await
    });
    let too_early = matches!(&b, Err(e) if e.status() == Some(425));
    let b = match b {
        Err(_) if too_early => retry_too_early(s, sb, exec).await,
        other => other,
    };
    let answers = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return s.fail(name, expected, e.to_string()),
    };
    if !same(&answers.0, &answers.1) {
        return s.fail(
            name,
            expected,
            format!("{} and {}", shown(&answers.0), shown(&answers.1)),
        );
    }
    match lines(s, sb, "doctor-idempotency-concurrent.txt").await {
        Ok(1) if too_early => s.pass(name, "ran once; the repeat was answered 425, then the first answer"),
        Ok(1) => s.pass(name, "ran once; the repeat waited for the first answer"),
        Ok(n) => s.fail(
            name,
            expected,
            format!("{n} lines: a repeat arriving during the first attempt ran it again"),
        ),
        Err(e) => s.fail(name, expected, format!("reading the file: {e}")),
    }
}

async fn retry_too_early(s: &Session, sb: &str, exec: Exec<'_>) -> Reply<ExecOutput> {
    let mut last = Err(Failure::NoAnswer("425 until the end".into()));
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = s.wire.exec(sb, exec).await;
        if !matches!(&last, Err(e) if e.status() == Some(425)) {
            break;
        }
    }
    last
}

fn same(a: &ExecOutput, b: &ExecOutput) -> bool {
    (a.exit_code, a.signal, &a.stdout, &a.stderr) == (b.exit_code, b.signal, &b.stdout, &b.stderr)
}

async fn lines(s: &Session, sb: &str, path: &str) -> Reply<usize> {
    let data: Bytes = s.wire.read_file(sb, path).await?;
    Ok(data.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count())
}
