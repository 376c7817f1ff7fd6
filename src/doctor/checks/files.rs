//! Files byte for byte: empty, not UTF-8, as large as the full profile's largest (16 MiB), in a
//! directory that does not exist yet; a missing file is 404 and a path out of the sandbox is 400.

use bytes::Bytes;
use rand::{Rng, SeedableRng};

use super::super::session::Session;
use super::super::wire::{Reply, Wire};
use super::{run_command, Expected};

/// The full profile's largest storage file.
const LARGEST: usize = 16 << 20;

pub async fn run(s: &Session, sb: &str) {
    round_trip(s, sb, "files.empty", "doctor-files/empty.bin", Bytes::new()).await;
    round_trip(s, sb, "files.non_utf8", "doctor-files/non-utf8.bin", non_utf8()).await;
    round_trip(s, sb, "files.16mib", "doctor-files/16mib.bin", random(LARGEST)).await;
    round_trip(
        s,
        sb,
        "files.nested",
        "doctor-files/a/b/c/nested.txt",
        Bytes::from_static(b"nested\n"),
    )
    .await;
    let missing = s.wire.read_file(sb, "doctor-files/no-such-file").await;
    Expected::new(404, "not_found").judge(s, "files.missing", &missing, |b| format!("{} bytes", b.len()));
    escapes(s, sb).await;
}

/// Every byte value, then sequences no UTF-8 decoder accepts: text handling would change them.
fn non_utf8() -> Bytes {
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x00, 0x0d, 0x0a]);
    Bytes::from(data)
}

/// Bytes without a pattern a text or line-ending conversion would leave alone: a random block,
/// varied per repetition so a misplaced block shows too. Cheap, where filling 16 MiB from a
/// cryptographic generator is not.
fn random(len: usize) -> Bytes {
    let mut block = vec![0u8; 1 << 16];
    rand::rngs::StdRng::seed_from_u64(15).fill(&mut block[..]);
    let data: Vec<u8> = (0..len).map(|i| block[i & 0xffff] ^ (i >> 16) as u8).collect();
    Bytes::from(data)
}

/// Writes `data`, reads it back, and compares every byte.
async fn round_trip(s: &Session, sb: &str, name: &str, path: &str, data: Bytes) {
    let expected = format!("the {} bytes written to read back identical", data.len());
    if let Err(e) = s.wire.write_file(sb, path, data.clone()).await {
        let hint = if e.status() == Some(413) {
            format!(
                ": the request body limit must allow at least {} MiB (the full profile's largest file)",
                LARGEST >> 20
            )
        } else {
            String::new()
        };
        s.fail(name, expected, format!("write_file {path}: {e}{hint}"));
        return;
    }
    match s.wire.read_file(sb, path).await {
        Ok(back) if back == data => s.pass(name, format!("{} bytes read back identical", data.len())),
        Ok(back) => s.fail(name, expected, difference(&data, &back)),
        Err(e) => s.fail(name, expected, format!("read_file {path}: {e}")),
    }
}

/// Where two byte strings first differ, for a person: a text conversion shows in the first byte.
fn difference(sent: &[u8], back: &[u8]) -> String {
    let at = sent
        .iter()
        .zip(back)
        .position(|(a, b)| a != b)
        .unwrap_or(sent.len().min(back.len()));
    let byte = |data: &[u8]| data.get(at).map_or("end".to_string(), |b| format!("0x{b:02x}"));
    format!(
        "{} bytes back, first difference at byte {at} (wrote {}, read {}){}",
        back.len(),
        byte(sent),
        byte(back),
        if back.windows(3).any(|w| w == [0xef, 0xbf, 0xbd]) {
            ": U+FFFD in the answer, the bytes went through a text conversion"
        } else {
            ""
        }
    )
}

/// Paths that leave the sandbox must be refused with 400 `bad_path`, reads and writes alike.
async fn escapes(s: &Session, sb: &str) {
    let note = Bytes::from_static(b"stress-action doctor: this file escaped its sandbox\n");
    let mut cases: Vec<(String, Reply<String>)> = Vec::new();
    for path in [
        "../doctor-escape.txt",
        "doctor-files/../../doctor-escape.txt",
        "/tmp/doctor-escape.txt",
    ] {
        let reply = s
            .wire
            .write_file(sb, path, note.clone())
            .await
            .map(|()| "written".to_string());
        cases.push((format!("write {path}"), reply));
    }
    let read = s.wire.read_file(sb, "../../../../../../etc/hostname").await;
    cases.push((
        "read ../../../../../../etc/hostname".into(),
        read.map(|b| format!("{} bytes", b.len())),
    ));
    let linked = run_command(s, sb, &["ln", "-s", "/", "doctor-root-link"]).await;
    if linked.as_ref().is_ok_and(|out| out.success()) {
        let read = s.wire.read_file(sb, "doctor-root-link/etc/hostname").await;
        cases.push((
            "read through a symlink to /".into(),
            read.map(|b| format!("{} bytes", b.len())),
        ));
        let write = s
            .wire
            .write_file(sb, "doctor-root-link/tmp/doctor-escape-link.txt", note)
            .await;
        cases.push(("write through a symlink to /".into(), write.map(|()| "written".into())));
        // Gone before the sandbox is checkpointed: a platform's snapshot should not meet it.
        let _ = run_command(s, sb, &["rm", "-f", "doctor-root-link"]).await;
    }
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(_, reply)| !matches!(reply, Err(e) if e.status() == Some(400)))
        .map(|(what, reply)| match reply {
            Ok(done) => format!("{what}: {done}"),
            Err(e) => format!("{what}: {e}"),
        })
        .collect();
    let expected = Expected::new(400, "bad_path").text(s.kind);
    if wrong.is_empty() {
        s.pass(
            "paths.escape",
            format!("{} paths out of the sandbox refused with 400", cases.len()),
        );
    } else {
        s.fail("paths.escape", format!("{expected} for each"), wrong.join("; "));
    }
}
