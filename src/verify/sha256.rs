//! SHA-256 helpers: hex digests of data we wrote, and parsing `sha256sum` output from a sandbox.

use sha2::{Digest, Sha256};

pub fn hex_digest(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The digest from the first line of `sha256sum FILE` output, if it looks like one.
pub fn parse_sha256sum(stdout: &str) -> Option<&str> {
    let first = stdout.split_whitespace().next()?;
    (first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit())).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_known_input() {
        assert_eq!(
            hex_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parses_sha256sum_line_and_rejects_garbage() {
        let line = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  marker.bin\n";
        assert_eq!(parse_sha256sum(line), Some(&line[..64]));
        assert_eq!(parse_sha256sum("sha256sum: marker.bin: No such file"), None);
        assert_eq!(parse_sha256sum(""), None);
    }
}
