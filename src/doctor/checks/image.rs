//! What the sandbox image must contain: the programs the workloads run. A missing one answers exit
//! 127, and the check names the program and the workload that needs it, since a run would only
//! show its failed checks.

use bytes::Bytes;

use super::super::session::Session;
use super::super::wire::Wire;
use super::{run_command, shown};

/// SHA-256 of "abc".
const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/// The script that proves git can do what the checkpoint workload does: init, commit, rev-parse.
const GIT_COMMIT: &str = "git init -q doctor-git && cd doctor-git && \
     git -c user.name=doctor -c user.email=doctor@localhost commit -q --allow-empty -m doctor && \
     git rev-parse HEAD";

pub async fn run(s: &Session, sb: &str) {
    if let Some(out) = tool(
        s,
        sb,
        "image.true",
        &["true"],
        0,
        "the lifecycle workload's readiness command",
    )
    .await
    {
        s.pass("image.true", shown(&out));
    }
    if let Some(out) = tool(
        s,
        sb,
        "image.sh",
        &["sh", "-c", "exit 3"],
        3,
        "every workload's scripts",
    )
    .await
    {
        s.pass("image.sh", format!("`sh -c 'exit 3'` answered {}", shown(&out)));
    }
    git(s, sb).await;
    sha256sum(s, sb).await;
    rm(s, sb).await;
}

/// Runs `argv` and checks its exit status; `None` once the check is recorded as failed.
async fn tool(
    s: &Session,
    sb: &str,
    name: &str,
    argv: &[&str],
    want: i32,
    needed_by: &str,
) -> Option<crate::provider::ExecOutput> {
    let expected = format!("`{}` to exit {want}", argv.join(" "));
    match run_command(s, sb, argv).await {
        Err(e) => s.fail(name, expected, e.to_string()),
        Ok(out) if out.exit_code == Some(127) && out.signal.is_none() => s.fail(
            name,
            expected,
            format!(
                "exit 127: `{}` is not in the sandbox image; {needed_by} runs it ({})",
                argv[0],
                shown(&out)
            ),
        ),
        Ok(out) if out.exit_code == Some(want) && out.signal.is_none() => return Some(out),
        Ok(out) => s.fail(name, expected, shown(&out)),
    }
    None
}

async fn git(s: &Session, sb: &str) {
    let needed_by = "the checkpoint workload (init, add, commit, status, log, fsck)";
    let Some(version) = tool(s, sb, "image.git", &["git", "--version"], 0, needed_by).await else {
        return;
    };
    let version = version.stdout_text().trim().to_string();
    let expected = "git init, commit and rev-parse to work in the sandbox";
    match run_command(s, sb, &["sh", "-c", GIT_COMMIT]).await {
        Ok(out) if out.success() && out.stdout_text().trim().len() >= 40 => {
            s.pass("image.git", format!("{version}; init, commit and rev-parse work"))
        }
        Ok(out) => s.fail(
            "image.git",
            expected,
            format!("{version}, but `{GIT_COMMIT}` answered {}", shown(&out)),
        ),
        Err(e) => s.fail("image.git", expected, e.to_string()),
    }
}

async fn sha256sum(s: &Session, sb: &str) {
    let name = "image.sha256sum";
    if let Err(e) = s
        .wire
        .write_file(sb, "doctor-sha.txt", Bytes::from_static(b"abc"))
        .await
    {
        s.fail(name, "write_file of doctor-sha.txt to succeed", e.to_string());
        return;
    }
    let needed_by = "the checkpoint workload (the marker's digest)";
    let Some(out) = tool(s, sb, name, &["sha256sum", "doctor-sha.txt"], 0, needed_by).await else {
        return;
    };
    let expected = format!("`sha256sum doctor-sha.txt` to print {ABC_SHA256} for \"abc\"");
    if out.stdout_text().starts_with(ABC_SHA256) {
        s.pass(name, "prints the digest of what write_file wrote");
    } else {
        s.fail(name, expected, shown(&out));
    }
}

async fn rm(s: &Session, sb: &str) {
    let name = "image.rm";
    if let Err(e) = s.wire.write_file(sb, "doctor-rm.txt", Bytes::from_static(b"x")).await {
        s.fail(name, "write_file of doctor-rm.txt to succeed", e.to_string());
        return;
    }
    let needed_by = "the storage workload (removing its files)";
    if tool(s, sb, name, &["rm", "-f", "doctor-rm.txt"], 0, needed_by)
        .await
        .is_none()
    {
        return;
    }
    match s.wire.read_file(sb, "doctor-rm.txt").await {
        Err(e) if e.status() == Some(404) => s.pass(name, "`rm -f` removed a file write_file wrote"),
        Err(e) => s.fail(name, "read_file of the removed file to answer 404", e.to_string()),
        Ok(data) => s.fail(
            name,
            "read_file of the removed file to answer 404",
            format!("its {} bytes: rm exited 0 but the file is still there", data.len()),
        ),
    }
}
