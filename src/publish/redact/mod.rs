//! The credential scan every published file goes through before it leaves the machine (S3, the PR
//! comment, the job summary). A platform may echo a token into command output, an error message or
//! evidence; the run directory records what the platform said, so it can hold one. Credential-shaped
//! strings ([`patterns`]) and the values of the token variables this process uses are replaced by
//! `[REDACTED:<kind>]`, and counted per kind, never kept.
//!
//! Files are scanned as a stream, one line at a time (a 30 MB events.jsonl never sits in memory),
//! with a line longer than [`MAX_SEGMENT`] cut at a separator into pieces. Replacements keep a JSON
//! line valid JSON: every match starts and ends on characters that cannot be half of an escape.

pub mod patterns;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use patterns::Span;

/// Replacements made, by kind of credential.
pub type Counts = BTreeMap<String, u64>;

/// Token variables whose values are searched for literally, besides the shapes: a value shorter
/// than this is too likely to be an ordinary word (moto's test secret is `testing`).
pub const MIN_SECRET_LEN: usize = 8;
/// Longest piece of a line scanned at once; longer lines are cut at a separator.
pub const MAX_SEGMENT: usize = 1 << 20;
/// A secret-key-shaped value within this many lines after an access key id is redacted too.
const AWS_SECRET_REACH: u8 = 2;

/// Lines are gathered into blocks of about this size; a block in which no credential can start
/// (the common case) is copied as it is.
const BLOCK: usize = 64 * 1024;

/// What to look for: the shapes, and the values of this process's token variables.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// `($NAME, value)` of each token variable that is set.
    literals: Vec<(String, Vec<u8>)>,
    /// Substrings every credential holds ([`patterns::TRIGGERS`] and the literals), searched first.
    triggers: Vec<memchr::memmem::Finder<'static>>,
}

impl Default for Redactor {
    /// The shapes only, no token values.
    fn default() -> Self {
        Redactor::new([])
    }
}

/// What a scan carries from one line to the next.
#[derive(Default)]
struct LineState {
    /// Inside a private key that began on an earlier line.
    in_private_key: bool,
    /// Lines left in which a secret-shaped value counts as an AWS secret key.
    aws_reach: u8,
}

impl LineState {
    /// Nothing carried over: a line is redacted only if a trigger occurs in it.
    fn clean(&self) -> bool {
        !self.in_private_key && self.aws_reach == 0
    }
}

impl Redactor {
    /// `variables` are (name, value) of the token variables in use; unset, empty and short values
    /// are skipped. The longest value is searched first, so one that contains another wins.
    pub fn new(variables: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut literals: Vec<(String, Vec<u8>)> = variables
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_SECRET_LEN)
            .map(|(name, v)| (format!("${name}"), v.into_bytes()))
            .collect();
        literals.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        literals.dedup_by(|a, b| a.1 == b.1);
        let triggers = patterns::TRIGGERS
            .iter()
            .copied()
            .chain(literals.iter().map(|(_, v)| v.as_slice()))
            .map(|t| memchr::memmem::Finder::new(t).into_owned())
            .collect();
        Redactor { literals, triggers }
    }

    fn triggered(&self, text: &[u8]) -> bool {
        self.triggers.iter().any(|t| t.find(text).is_some())
    }

    /// Copies `input` to `output` with every credential replaced.
    pub fn copy<R: BufRead, W: Write>(&self, mut input: R, mut output: W, counts: &mut Counts) -> std::io::Result<()> {
        let mut state = LineState::default();
        let mut block = Vec::new();
        loop {
            let eof = fill_block(&mut input, &mut block)?;
            if block.is_empty() {
                break;
            }
            let cut = if eof || block.ends_with(b"\n") {
                block.len()
            } else if let Some(newline) = memchr::memrchr(b'\n', &block) {
                newline + 1
            } else {
                split_point(&block)
            };
            let rest = block.split_off(cut);
            if state.clean() && !self.triggered(&block) {
                output.write_all(&block)?;
            } else {
                for line in block.split_inclusive(|&b| b == b'\n') {
                    if state.clean() && !self.triggered(line) {
                        output.write_all(line)?;
                    } else {
                        output.write_all(&self.line(line, &mut state, counts))?;
                    }
                }
            }
            block = rest;
        }
        output.flush()
    }

    /// `text` with every credential replaced (rendered files, the comment body, error messages).
    pub fn text(&self, text: &str, counts: &mut Counts) -> String {
        let mut out = Vec::with_capacity(text.len());
        // Writing into a Vec cannot fail.
        let _ = self.copy(text.as_bytes(), &mut out, counts);
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn line(&self, line: &[u8], state: &mut LineState, counts: &mut Counts) -> Vec<u8> {
        let mut line = match state.in_private_key {
            true => match patterns::pem_end(line) {
                Some((_, end)) => {
                    state.in_private_key = false;
                    line[end..].to_vec()
                }
                // The key's body: dropped with its line ending.
                None => Vec::new(),
            },
            false => line.to_vec(),
        };
        for (kind, value) in &self.literals {
            line = replace(&line, &patterns::literal(&line, value), kind, counts);
        }
        line = self.private_keys(line, state, counts);
        line = replace(&line, &patterns::github_tokens(&line), patterns::GITHUB_TOKEN, counts);
        let key_ids = patterns::aws_access_key_ids(&line);
        if !key_ids.is_empty() {
            state.aws_reach = AWS_SECRET_REACH + 1;
        }
        line = replace(&line, &key_ids, patterns::AWS_ACCESS_KEY_ID, counts);
        if state.aws_reach > 0 || patterns::labels_aws_secret(&line) {
            line = replace(
                &line,
                &patterns::aws_secrets(&line),
                patterns::AWS_SECRET_ACCESS_KEY,
                counts,
            );
        }
        state.aws_reach = state.aws_reach.saturating_sub(1);
        replace(&line, &patterns::bearer_values(&line), patterns::BEARER_TOKEN, counts)
    }

    /// Private keys that start on this line: replaced up to their END marker, or to the end of the
    /// JSON string or line they are in (then the following lines are dropped until the END marker).
    fn private_keys(&self, mut line: Vec<u8>, state: &mut LineState, counts: &mut Counts) -> Vec<u8> {
        let mut from = 0;
        while let Some((start, marker_end)) = patterns::pem_begin(&line[from..]).map(|(a, b)| (a + from, b + from)) {
            let (end, open) = match patterns::pem_end(&line[marker_end..]) {
                Some((_, e)) => (marker_end + e, false),
                None => patterns::pem_open_end(&line, marker_end),
            };
            line = replace(&line, &[(start, end)], patterns::PRIVATE_KEY, counts);
            if open {
                state.in_private_key = true;
                break;
            }
            from = start + placeholder(patterns::PRIVATE_KEY).len();
        }
        line
    }
}

fn placeholder(kind: &str) -> String {
    format!("[REDACTED:{kind}]")
}

/// `line` with each span (sorted, not overlapping) replaced by the placeholder of `kind`.
fn replace(line: &[u8], spans: &[Span], kind: &str, counts: &mut Counts) -> Vec<u8> {
    if spans.is_empty() {
        return line.to_vec();
    }
    let mark = placeholder(kind);
    let mut out = Vec::with_capacity(line.len());
    let mut at = 0;
    for &(start, end) in spans {
        out.extend_from_slice(&line[at..start]);
        out.extend_from_slice(mark.as_bytes());
        at = end;
    }
    out.extend_from_slice(&line[at..]);
    *counts.entry(kind.to_string()).or_default() += spans.len() as u64;
    out
}

/// Appends to `block` until it holds [`BLOCK`] bytes of whole lines, or its last line reaches
/// [`MAX_SEGMENT`] bytes without a newline; true at the end of the input.
fn fill_block<R: BufRead>(input: &mut R, block: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut line_start = memchr::memrchr(b'\n', block).map_or(0, |i| i + 1);
    loop {
        if block.len() >= BLOCK && line_start == block.len() {
            return Ok(false);
        }
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(true);
        }
        let room = (line_start + MAX_SEGMENT)
            .saturating_sub(block.len())
            .min(available.len());
        if room == 0 {
            return Ok(false);
        }
        match memchr::memchr(b'\n', &available[..room]) {
            Some(i) => {
                block.extend_from_slice(&available[..=i]);
                input.consume(i + 1);
                line_start = block.len();
            }
            None => {
                block.extend_from_slice(&available[..room]);
                input.consume(room);
            }
        }
    }
}

/// Where to cut a segment that has no newline: after the last separator in its second half, so a
/// credential (which holds none of them) is not cut in two; at the limit when there is none.
fn split_point(segment: &[u8]) -> usize {
    let half = segment.len() / 2;
    segment[half..]
        .iter()
        .rposition(|b| b" \t\",;'<>".contains(b))
        .map_or(segment.len(), |i| half + i + 1)
}

#[cfg(test)]
mod tests;
