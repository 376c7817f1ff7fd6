//! The shapes of credentials a platform may echo into command output or evidence, as byte matchers
//! over one line. Each returns the spans to replace, in order and without overlap. Hand-written over
//! `memchr::memmem` rather than a regex engine: a 30 MB events.jsonl is scanned in well under a
//! second, and the shapes are simple (a literal prefix and a run of one character class).

use memchr::memmem;

/// Kinds of credential, as counted in s3-manifest.json.
pub const AWS_ACCESS_KEY_ID: &str = "aws-access-key-id";
pub const AWS_SECRET_ACCESS_KEY: &str = "aws-secret-access-key";
pub const GITHUB_TOKEN: &str = "github-token";
pub const BEARER_TOKEN: &str = "bearer-token";
pub const PRIVATE_KEY: &str = "private-key";

/// GitHub's token prefixes (classic, OAuth, app installation, user-to-server, refresh), each then
/// followed by at least [`MIN_GITHUB_BODY`] letters and digits; `github_pat_` (fine-grained) also
/// allows `_`.
const GITHUB_PREFIXES: [&[u8]; 5] = [b"ghp_", b"gho_", b"ghs_", b"ghu_", b"ghr_"];
const GITHUB_PAT: &[u8] = b"github_pat_";
const MIN_GITHUB_BODY: usize = 20;
/// A Bearer value shorter than this is a word in a sentence ("Bearer token"), not a credential.
const MIN_BEARER_VALUE: usize = 8;
/// AWS access key ids: `AKIA` (long-term) or `ASIA` (temporary) and 16 upper-case letters or digits.
const AWS_KEY_PREFIXES: [&[u8]; 2] = [b"AKIA", b"ASIA"];
/// An AWS secret access key is 40 characters of base64's alphabet.
const AWS_SECRET_LEN: usize = 40;
/// Words that label a secret access key on the same line (compared in lower case).
const AWS_SECRET_LABELS: [&[u8]; 3] = [b"secret_access_key", b"secretaccesskey", b"secret-access-key"];

/// Substrings that every shape above contains: a line without any of them holds no credential.
/// The label triggers are the start of each label as written (`secret_access_key`,
/// `SECRET_ACCESS_KEY`, `SecretAccessKey`, `secret-access-key`), not `secret` alone, which prose
/// and logs use freely.
pub const TRIGGERS: [&[u8]; 18] = [
    b"ghp_",
    b"gho_",
    b"ghs_",
    b"ghu_",
    b"ghr_",
    GITHUB_PAT,
    b"AKIA",
    b"ASIA",
    b"earer",
    b"EARER",
    b"-----BEGIN ",
    b"ecret_",
    b"ecret-",
    b"ecretA",
    b"ecreta",
    b"ECRET_",
    b"ECRET-",
    b"ECRETA",
];

pub type Span = (usize, usize);

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when `line[i]` does not continue a word from the left.
fn starts_word(line: &[u8], i: usize) -> bool {
    i == 0 || !word_byte(line[i - 1])
}

fn run_len(line: &[u8], from: usize, class: impl Fn(u8) -> bool) -> usize {
    line[from.min(line.len())..].iter().take_while(|&&b| class(b)).count()
}

/// Every occurrence of `needle` in `line`, non-overlapping.
fn occurrences<'a>(line: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    memmem::find_iter(line, needle)
}

/// Sorted, non-overlapping: keeps the first of overlapping spans.
fn tidy(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        if out.last().is_none_or(|last| s.0 >= last.1) {
            out.push(s);
        }
    }
    out
}

/// Exact occurrences of a known secret value (a token variable of this process).
pub fn literal(line: &[u8], value: &[u8]) -> Vec<Span> {
    occurrences(line, value).map(|i| (i, i + value.len())).collect()
}

pub fn github_tokens(line: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    for prefix in GITHUB_PREFIXES {
        for i in occurrences(line, prefix).filter(|&i| starts_word(line, i)) {
            let body = run_len(line, i + prefix.len(), |b| b.is_ascii_alphanumeric());
            if body >= MIN_GITHUB_BODY {
                spans.push((i, i + prefix.len() + body));
            }
        }
    }
    for i in occurrences(line, GITHUB_PAT).filter(|&i| starts_word(line, i)) {
        let body = run_len(line, i + GITHUB_PAT.len(), word_byte);
        if body >= MIN_GITHUB_BODY {
            spans.push((i, i + GITHUB_PAT.len() + body));
        }
    }
    tidy(spans)
}

pub fn aws_access_key_ids(line: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    for prefix in AWS_KEY_PREFIXES {
        for i in occurrences(line, prefix).filter(|&i| starts_word(line, i)) {
            let body = run_len(line, i + prefix.len(), |b| b.is_ascii_uppercase() || b.is_ascii_digit());
            let end = i + prefix.len() + body;
            if body == 16 && line.get(end).is_none_or(|&b| !word_byte(b)) {
                spans.push((i, end));
            }
        }
    }
    tidy(spans)
}

/// Whether the line names a secret access key (`aws_secret_access_key = ...`, `"SecretAccessKey":`).
pub fn labels_aws_secret(line: &[u8]) -> bool {
    if memmem::find(line, b"ecret").is_none() && memmem::find(line, b"ECRET").is_none() {
        return false;
    }
    let lower = line.to_ascii_lowercase();
    AWS_SECRET_LABELS
        .iter()
        .any(|label| memmem::find(&lower, label).is_some())
}

/// Runs of exactly 40 base64 characters with upper case, lower case and a digit or `/`/`+` in them:
/// the shape of a secret access key, and not of a hex digest (no upper case) or a word. Only called
/// near an access key id or a label, so a random 40-character string elsewhere is left alone. A run
/// right after a backslash starts one later (a JSON escape such as `\n` is not part of the key).
pub fn aws_secrets(line: &[u8]) -> Vec<Span> {
    let class = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+';
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if !class(line[i]) {
            i += 1;
            continue;
        }
        let len = run_len(line, i, class);
        let escaped = i > 0 && line[i - 1] == b'\\';
        let (start, key_len) = if escaped {
            (i + 1, len.saturating_sub(1))
        } else {
            (i, len)
        };
        if key_len == AWS_SECRET_LEN && secret_shaped(&line[start..start + key_len]) {
            spans.push((start, start + key_len));
        }
        i += len;
    }
    spans
}

fn secret_shaped(run: &[u8]) -> bool {
    run.iter().any(u8::is_ascii_uppercase)
        && run.iter().any(u8::is_ascii_lowercase)
        && run.iter().any(|b| b.is_ascii_digit() || *b == b'/' || *b == b'+')
}

/// The value after `Bearer` (any case), keeping the word itself.
pub fn bearer_values(line: &[u8]) -> Vec<Span> {
    let value_byte = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
    let mut spans = Vec::new();
    for i in occurrences(line, b"earer").chain(occurrences(line, b"EARER")) {
        let Some(start) = i.checked_sub(1) else { continue };
        if !matches!(line[start], b'b' | b'B') || !starts_word(line, start) {
            continue;
        }
        if !line[i..i + 5].eq_ignore_ascii_case(b"earer") {
            continue;
        }
        let gap = run_len(line, i + 5, |b| b == b' ' || b == b'\t');
        if gap == 0 {
            continue;
        }
        let from = i + 5 + gap;
        let len = run_len(line, from, value_byte);
        let pad = run_len(line, from + len, |b| b == b'=');
        if len >= MIN_BEARER_VALUE {
            spans.push((from, from + len + pad));
        }
    }
    tidy(spans)
}

/// `-----BEGIN [WORDS ]PRIVATE KEY-----`: where it starts and where its marker ends.
pub fn pem_begin(line: &[u8]) -> Option<Span> {
    pem_marker(line, b"-----BEGIN ")
}

/// `-----END [WORDS ]PRIVATE KEY-----`.
pub fn pem_end(line: &[u8]) -> Option<Span> {
    pem_marker(line, b"-----END ")
}

fn pem_marker(line: &[u8], head: &[u8]) -> Option<Span> {
    const TAIL: &[u8] = b"PRIVATE KEY-----";
    for i in occurrences(line, head) {
        let from = i + head.len();
        // At most a few words between, e.g. `RSA `, `ENCRYPTED `, `OPENSSH `.
        let words = run_len(line, from, |b| b.is_ascii_uppercase() || b == b' ').min(40);
        let window = &line[from..(from + words + TAIL.len()).min(line.len())];
        if let Some(j) = memmem::find(window, TAIL) {
            return Some((i, from + j + TAIL.len()));
        }
    }
    None
}

/// Where a private key that does not end on this line stops being replaced: at the end of the JSON
/// string it sits in (the first unescaped `"`, so the line stays valid JSON), else at the end of
/// the line (a PEM block over several lines, whose next lines are dropped until its END marker).
/// Returns the end and whether the key goes on past this line.
pub fn pem_open_end(line: &[u8], from: usize) -> (usize, bool) {
    if let Some(q) = memchr::memchr(b'"', &line[from..]).map(|q| from + q) {
        let backslashes = line[from..q].iter().rev().take_while(|&&b| b == b'\\').count();
        return (q - backslashes % 2, false);
    }
    let content = line.len() - run_len_back(line, |b| b == b'\n' || b == b'\r');
    (content.max(from), true)
}

fn run_len_back(line: &[u8], class: impl Fn(u8) -> bool) -> usize {
    line.iter().rev().take_while(|&&b| class(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(spans: Vec<Span>, line: &str) -> Vec<String> {
        spans.into_iter().map(|(a, b)| line[a..b].to_string()).collect()
    }

    #[test]
    fn each_shape_is_found_and_near_misses_are_not() {
        let token = format!("ghp_{}", "A1b2".repeat(9));
        let line = format!(
            "x={token} y=ghp_short zghs_{} github_pat_{}",
            "a".repeat(30),
            "B_c".repeat(10)
        );
        assert_eq!(
            found(github_tokens(line.as_bytes()), &line),
            vec![token, format!("github_pat_{}", "B_c".repeat(10))]
        );

        let line = "id AKIAIOSFODNN7EXAMPLE, not AKIAIOSFODNN7EXAMPLEX or XAKIAIOSFODNN7EXAMPLE; ASIAY34FZKBOKMUTVV7A";
        assert_eq!(
            found(aws_access_key_ids(line.as_bytes()), line),
            vec!["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"]
        );

        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let line = format!("{{\"k\":\"\\n{secret}\",\"sha\":\"{}\"}}", "a1".repeat(20));
        assert_eq!(found(aws_secrets(line.as_bytes()), &line), vec![secret]);
        assert!(labels_aws_secret(b"AWS_SECRET_ACCESS_KEY=x") && labels_aws_secret(b"\"SecretAccessKey\": 1"));
        assert!(!labels_aws_secret(b"a secret handshake"));

        let line = "Authorization: Bearer eyJhbGciOi.J9x-y_z== and bearer token and BEARER abcdefgh1";
        assert_eq!(
            found(bearer_values(line.as_bytes()), line),
            vec!["eyJhbGciOi.J9x-y_z==", "abcdefgh1"]
        );
    }

    #[test]
    fn private_key_markers_and_where_an_open_key_stops() {
        let line = b"k: -----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----\"";
        let (b, e) = (pem_begin(line).unwrap(), pem_end(line).unwrap());
        assert_eq!(&line[b.0..b.1], b"-----BEGIN RSA PRIVATE KEY-----");
        assert!(e.0 > b.1 && line[e.1] == b'"');
        assert!(pem_begin(b"-----BEGIN CERTIFICATE-----").is_none());
        let json = br#"{"d":"-----BEGIN PRIVATE KEY-----\nMIIE\"x","n":1}"#;
        let (end, open) = pem_open_end(json, 6);
        assert!(
            !open && &json[end..end + 3] == br#"\"x"#,
            "{}",
            String::from_utf8_lossy(&json[end..])
        );
        let text = b"-----BEGIN OPENSSH PRIVATE KEY-----\r\n";
        assert_eq!(pem_open_end(text, 0), (text.len() - 2, true));
    }
}
