//! Checkpoint and restore, as the checkpoint workload uses them: a checkpoint answered at once and
//! polled until ready, a pending one refused (409), restores that are new sandboxes, independent of
//! their source and of each other, unknown ids as 404, and deletes that remove.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::super::session::Session;
use super::super::wire::{Exec, Failure, Reply, Wire};
use super::{run_command, shown, Expected, COMMAND_TIMEOUT};
use crate::provider::http::wire::{CheckpointState, CheckpointStatus};

/// How long a checkpoint may stay pending here (the run's client waits 10 minutes).
const READY_DEADLINE: Duration = Duration::from_secs(120);
/// Some hundreds of files make the checkpoint take long enough to be found pending.
const MANY_FILES: &str =
    "mkdir -p doctor-many && cd doctor-many && i=0; while [ $i -lt 300 ]; do : > f$i; i=$((i+1)); done";
const MARKER: &str = "doctor-marker.txt";
/// Written in the source after the checkpoint: a restore must not have it.
const AFTER: &str = "doctor-after.txt";
const UNKNOWN: &str = "cpj-doctor-no-such-checkpoint";

pub async fn run(s: &Session, source: &str) {
    let Some(marker) = prepare(s, source).await else { return };
    let Some(first) = take(s, source).await else { return };
    pending(s, &first).await;
    let Some(id) = ready(s, first).await else { return };
    let after = Bytes::from_static(b"written in the source after the checkpoint\n");
    if let Err(e) = s.wire.write_file(source, AFTER, after).await {
        s.fail(
            "restore.content",
            format!("write_file {AFTER} to succeed"),
            e.to_string(),
        );
    }
    let restored = restore_two(s, &id).await;
    if let [one, two] = restored.as_slice() {
        new_sandboxes(s, source, one, two);
        content(s, &[one, two], &marker).await;
        independent(s, &[source, one, two]).await;
    }
    unknown(s).await;
    delete(s, &id).await;
    if let Some(last) = restored.last() {
        destroy(s, last).await;
    }
}

/// A marker to find in every restore, and enough files that capturing them takes a moment.
async fn prepare(s: &Session, sb: &str) -> Option<Bytes> {
    let marker = Bytes::from(format!("{:032x}\n", rand::random::<u128>()));
    let prepared = match s.wire.write_file(sb, MARKER, marker.clone()).await {
        Ok(()) => run_command(s, sb, &["sh", "-c", MANY_FILES]).await.and_then(|out| {
            out.success()
                .then_some(())
                .ok_or_else(|| Failure::Malformed(shown(&out)))
        }),
        Err(e) => Err(e),
    };
    match prepared {
        Ok(()) => Some(marker),
        Err(e) => {
            s.fail(
                "checkpoint",
                "a sandbox with a marker file and 300 files to checkpoint",
                e.to_string(),
            );
            None
        }
    }
}

async fn take(s: &Session, sb: &str) -> Option<CheckpointStatus> {
    let expected = "202 {\"id\", \"status\": \"pending\"} (or 201 with \"ready\")";
    match s.wire.checkpoint(sb).await {
        Ok(status) if status.status == CheckpointState::Failed => {
            s.fail(
                "checkpoint",
                expected,
                format!("{} failed: {}", status.id, status.error.unwrap_or_default()),
            );
            None
        }
        Ok(status) => {
            s.pass(
                "checkpoint",
                format!("answered {} {:?}", status.id, status.status).to_lowercase(),
            );
            Some(status)
        }
        Err(e) => {
            s.fail("checkpoint", expected, e.to_string());
            None
        }
    }
}

/// A restore of a checkpoint that is still pending must be refused, never served from half a copy.
async fn pending(s: &Session, first: &CheckpointStatus) {
    let name = "checkpoint.pending";
    if first.status == CheckpointState::Ready {
        return s.skip(name, "the checkpoint was ready at once: nothing pending to restore");
    }
    let expected = Expected::new(409, "not_ready");
    match s.wire.restore(&first.id).await {
        Ok(sandbox) => match s.wire.checkpoint_status(&first.id).await {
            Ok(now) if now.status == CheckpointState::Pending => s.fail(
                name,
                expected.text(s.kind),
                format!("sandbox {sandbox} while the checkpoint is still pending: a restore must wait for ready"),
            ),
            _ => s.skip(
                name,
                format!("the checkpoint became ready before the restore reached it ({sandbox})"),
            ),
        },
        failed => expected.judge(s, name, &failed, String::clone),
    }
}

/// Polls until ready, as the client does (10 ms, doubling to 500 ms).
async fn ready(s: &Session, first: CheckpointStatus) -> Option<String> {
    let name = "checkpoint_status";
    let expected = "`pending` until `ready`, for the same `id`";
    let started = Instant::now();
    let (mut status, mut polls, mut wait) = (first, 0u32, Duration::from_millis(10));
    loop {
        match status.status {
            CheckpointState::Ready => {
                let took = started.elapsed().as_millis();
                s.pass(name, format!("ready after {took} ms and {polls} polls"));
                return Some(status.id);
            }
            CheckpointState::Failed => {
                s.fail(name, expected, format!("failed: {}", status.error.unwrap_or_default()));
                return None;
            }
            CheckpointState::Pending if started.elapsed() > READY_DEADLINE => {
                s.fail(
                    name,
                    expected,
                    format!("still pending after {} s", READY_DEADLINE.as_secs()),
                );
                return None;
            }
            CheckpointState::Pending => {}
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(500));
        polls += 1;
        let id = status.id.clone();
        status = match s.wire.checkpoint_status(&id).await {
            Ok(next) if next.id == id => next,
            Ok(next) => {
                s.fail(name, expected, format!("asked for {id}, answered {}", next.id));
                return None;
            }
            Err(e) => {
                s.fail(name, expected, e.to_string());
                return None;
            }
        };
    }
}

async fn restore_two(s: &Session, id: &str) -> Vec<String> {
    let mut restored = Vec::new();
    for _ in 0..2 {
        match s.wire.restore(id).await {
            Ok(sandbox) => restored.push(sandbox),
            Err(e) => {
                s.fail("restore", "201 {\"id\"} of a new sandbox", e.to_string());
                return restored;
            }
        }
    }
    s.pass("restore", format!("answered {}", restored.join(" and ")));
    restored
}

fn new_sandboxes(s: &Session, source: &str, one: &str, two: &str) {
    let expected = "each restore to answer a new sandbox, neither the source nor the other restore";
    if one == source || two == source {
        s.fail(
            "restore.new_sandbox",
            expected,
            format!("the source sandbox {source}: a restore must create a new sandbox"),
        );
    } else if one == two {
        s.fail(
            "restore.new_sandbox",
            expected,
            format!("{one} twice: each restore must create its own sandbox"),
        );
    } else {
        s.pass("restore.new_sandbox", format!("{one} and {two}, both new"));
    }
}

/// Every restore holds the marker byte for byte, and nothing written in the source afterwards.
async fn content(s: &Session, restored: &[&String], marker: &Bytes) {
    let expected = format!("{MARKER} as checkpointed, and no {AFTER} (written in the source later)");
    for sb in restored {
        let problem = match s.wire.read_file(sb, MARKER).await {
            Ok(data) if data != marker => Some(format!("{sb}: {MARKER} differs ({} bytes)", data.len())),
            Err(e) => Some(format!("{sb}: {MARKER}: {e}")),
            Ok(_) => match s.wire.read_file(sb, AFTER).await {
                Err(e) if e.status() == Some(404) => None,
                Ok(_) => Some(format!("{sb} has {AFTER}: it sees the source's later writes")),
                Err(e) => Some(format!("{sb}: {AFTER}: {e}")),
            },
        };
        if let Some(problem) = problem {
            return s.fail("restore.content", expected, problem);
        }
    }
    s.pass(
        "restore.content",
        "both restores hold the checkpointed marker and not the later write",
    );
}

/// A write in one sandbox is seen in that sandbox only.
async fn independent(s: &Session, sandboxes: &[&str]) {
    let name = "restore.independent";
    let expected = "a file written in each of the source and two restores to read back as written there";
    for (i, sb) in sandboxes.iter().enumerate() {
        if let Err(e) = s
            .wire
            .write_file(sb, "doctor-own.txt", Bytes::from(format!("sandbox {i}\n")))
            .await
        {
            return s.fail(name, expected, format!("write_file in {sb}: {e}"));
        }
    }
    for (i, sb) in sandboxes.iter().enumerate() {
        match s.wire.read_file(sb, "doctor-own.txt").await {
            Ok(data) if data == format!("sandbox {i}\n").as_bytes() => {}
            Ok(data) => {
                let seen = String::from_utf8_lossy(&data).trim().to_string();
                return s.fail(
                    name,
                    expected,
                    format!("{sb} reads {seen:?}, written as \"sandbox {i}\": the sandboxes share files"),
                );
            }
            Err(e) => return s.fail(name, expected, format!("read_file in {sb}: {e}")),
        }
    }
    s.pass(
        name,
        "writes in the source and in each restore stay where they were made",
    );
}

async fn unknown(s: &Session) {
    let expected = Expected::new(404, "not_found");
    let answers: [(&str, Reply<String>); 3] = [
        (
            "checkpoint_status",
            s.wire.checkpoint_status(UNKNOWN).await.map(|c| c.id),
        ),
        ("restore", s.wire.restore(UNKNOWN).await),
        (
            "delete_checkpoint",
            s.wire.delete_checkpoint(UNKNOWN).await.map(|()| "deleted".into()),
        ),
    ];
    let wrong: Vec<String> = answers
        .iter()
        .filter(|(_, reply)| !matches!(reply, Err(e) if e.status() == Some(404)))
        .map(|(op, reply)| match reply {
            Ok(done) => format!("{op}: success ({done})"),
            Err(e) => format!("{op}: {e}"),
        })
        .collect();
    if wrong.is_empty() {
        s.pass(
            "checkpoint.unknown",
            "status, restore and delete of an unknown checkpoint answer 404",
        );
    } else {
        s.fail(
            "checkpoint.unknown",
            format!("{} from each", expected.text(s.kind)),
            wrong.join("; "),
        );
    }
}

async fn delete(s: &Session, id: &str) {
    let name = "delete_checkpoint";
    let expected = "204, then 404 for its status";
    match s.wire.delete_checkpoint(id).await {
        Err(e) => s.fail(name, expected, e.to_string()),
        Ok(()) => match s.wire.checkpoint_status(id).await {
            Err(e) if e.status() == Some(404) => s.pass(name, "deleted; its status is 404 after"),
            Err(e) => s.fail(name, expected, format!("deleted, then its status: {e}")),
            Ok(status) => s.fail(name, expected, format!("deleted, then its status: {:?}", status.status)),
        },
    }
}

async fn destroy(s: &Session, sb: &str) {
    let name = "destroy";
    let expected = "204, then 404 for a command in it";
    match s.wire.destroy(sb).await {
        Err(e) => s.fail(name, expected, e.to_string()),
        Ok(()) => match s.wire.exec(sb, Exec::new(&["true"], COMMAND_TIMEOUT)).await {
            Err(e) if e.status() == Some(404) => s.pass(name, format!("destroyed {sb}; a command in it answers 404")),
            Err(e) => s.fail(name, expected, format!("destroyed, then exec: {e}")),
            Ok(out) => s.fail(name, expected, format!("destroyed, then exec ran: {}", shown(&out))),
        },
    }
}
