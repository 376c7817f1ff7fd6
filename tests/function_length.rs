//! No function in src/ runs past 80 lines unless a `// Long:` comment right above it (among its
//! doc comments and attributes) says why it must be long. Functions that long hide the steps a
//! reader needs named; the ones allowed are listed on stderr every run.

mod source_support;

use std::path::{Path, PathBuf};

use source_support::{rust_files, strip};

const MAX_LINES: usize = 80;

/// A function longer than [`MAX_LINES`]: where, how long, and the reason given above it (if any).
#[derive(Debug)]
struct LongFunction {
    at: String,
    name: String,
    lines: usize,
    reason: Option<String>,
}

/// Every function with a body in the file, as (name, first line, last line), 0-based lines.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < chars.len() {
        let is_fn = chars[i] == 'f'
            && chars[i + 1] == 'n'
            && chars[i + 2].is_whitespace()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !is_fn {
            i += 1;
            continue;
        }
        let name: String = chars[i + 2..]
            .iter()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .collect();
        // The body starts at the first `{` before any `;` (a declaration without a body).
        let Some(open) = (i..chars.len()).find(|&j| chars[j] == '{' || chars[j] == ';') else {
            break;
        };
        if name.is_empty() || chars[open] == ';' {
            i += 2;
            continue;
        }
        let mut depth = 0;
        let mut close = open;
        for (j, ch) in chars.iter().enumerate().skip(open) {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let line = |offset: usize| chars[..offset].iter().filter(|c| **c == '\n').count();
        out.push((name, line(i), line(close)));
        i += 2;
    }
    out
}

/// The `// Long: ...` reason among the comment and attribute lines right above line `first`.
fn reason_above(source_lines: &[&str], first: usize) -> Option<String> {
    source_lines[..first]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("//") || l.starts_with("#["))
        .find_map(|l| l.strip_prefix("// Long:").map(|r| r.trim().to_string()))
        .filter(|r| !r.is_empty())
}

fn long_functions(src: &Path) -> Vec<LongFunction> {
    let mut out = Vec::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).expect("source file");
        let lines: Vec<&str> = text.lines().collect();
        for (name, first, last) in functions(&strip(&text)) {
            let length = last - first + 1;
            if length > MAX_LINES {
                out.push(LongFunction {
                    at: format!(
                        "{}:{}",
                        file.strip_prefix(src.parent().unwrap_or(src))
                            .unwrap_or(&file)
                            .display(),
                        first + 1
                    ),
                    name,
                    lines: length,
                    reason: reason_above(&lines, first),
                });
            }
        }
    }
    out
}

#[test]
fn no_function_in_src_is_long_without_saying_why() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let long = long_functions(&src);
    for f in long.iter().filter(|f| f.reason.is_some()) {
        eprintln!(
            "long by design: {} {} ({} lines): {}",
            f.at,
            f.name,
            f.lines,
            f.reason.as_deref().unwrap_or("")
        );
    }
    let unexplained: Vec<String> = long
        .iter()
        .filter(|f| f.reason.is_none())
        .map(|f| format!("{} {} is {} lines", f.at, f.name, f.lines))
        .collect();
    assert!(
        unexplained.is_empty(),
        "functions over {MAX_LINES} lines: split them, or say why above them with `// Long: ...`\n{}",
        unexplained.join("\n")
    );
}

#[test]
fn the_count_sees_long_functions_and_their_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let body = |n: usize| "    let x = \"}\"; // }\n".repeat(n);
    let text = format!(
        "fn short() {{\n{}}}\n\n/// Docs.\n// Long: one table, row by row.\n#[allow(dead_code)]\nfn explained() {{\n{}}}\n\npub async fn unexplained<'a>(x: &'a str) -> Result<(), ()> {{\n    if true {{\n{}    }}\n}}\n\ntrait T {{\n    fn declared(&self);\n}}\n",
        body(10),
        body(90),
        body(85)
    );
    std::fs::write(tmp.path().join("lib.rs"), text).unwrap();
    let long = long_functions(tmp.path());
    let names: Vec<(&str, usize, bool)> = long
        .iter()
        .map(|f| (f.name.as_str(), f.lines, f.reason.is_some()))
        .collect();
    assert_eq!(names, vec![("explained", 92, true), ("unexplained", 89, false)]);
}
