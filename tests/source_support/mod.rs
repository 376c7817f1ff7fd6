//! Reading the crate's own sources for the tests that hold its shape (import order, function
//! length): the Rust files under a directory, and their text with comments and literals blanked so
//! a `crate::x` in a doc comment or a `{` in a string never counts as code.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The source with comments, string literals and char literals replaced by spaces. Newlines are
/// kept, so line numbers and columns stay those of the file.
pub fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, chars: &[char]| {
        for ch in chars {
            out.push(if *ch == '\n' { '\n' } else { ' ' });
        }
    };
    while i < c.len() {
        let end = if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len())
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            block_comment_end(&c, i)
        } else if let Some(end) = raw_string_end(&c, i) {
            end
        } else if c[i] == '"' || (c[i] == 'b' && c.get(i + 1) == Some(&'"') && !ident_before(&c, i)) {
            string_end(&c, if c[i] == 'b' { i + 1 } else { i })
        } else if c[i] == '\'' {
            char_literal_end(&c, i).unwrap_or(i + 1)
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        };
        if c[i] == '\'' && end == i + 1 {
            // A lifetime, not a literal.
            out.push('\'');
        } else {
            blank(&mut out, &c[i..end]);
        }
        i = end;
    }
    out
}

fn ident_before(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

fn block_comment_end(c: &[char], start: usize) -> usize {
    let (mut depth, mut j) = (0, start);
    while j < c.len() {
        if c[j] == '/' && c.get(j + 1) == Some(&'*') {
            depth += 1;
            j += 2;
        } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    c.len()
}

/// `r"..."`, `r#"..."#`, `br#"..."#`: the index after the literal, if one starts at `i`.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    if ident_before(c, i) {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|ch| **ch == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|ch| **ch == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

fn string_end(c: &[char], quote: usize) -> usize {
    let mut j = quote + 1;
    while j < c.len() {
        match c[j] {
            '\\' => j += 2,
            '"' => return j + 1,
            _ => j += 1,
        }
    }
    c.len()
}

/// `'a'`, `'\n'`, `'\''`, `'\x7f'`, `'\u{1F600}'`: the index after the literal; `None` for a
/// lifetime (`'a`).
fn char_literal_end(c: &[char], i: usize) -> Option<usize> {
    let close = match (c.get(i + 1), c.get(i + 2)) {
        (Some('\\'), Some('u')) => (i + 3..c.len()).find(|&j| c[j] == '}')? + 1,
        (Some('\\'), Some('x')) => i + 5,
        (Some('\\'), Some(_)) => i + 3,
        (Some(_), _) => i + 2,
        (None, _) => return None,
    };
    (c.get(close) == Some(&'\'')).then_some(close + 1)
}

/// The 1-based line of a char offset in `text`.
pub fn line_of(text: &str, char_offset: usize) -> usize {
    text.chars().take(char_offset).filter(|c| *c == '\n').count() + 1
}
