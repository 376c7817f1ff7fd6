//! What the user sees while a run goes: lines on stdout mirrored into `run.log` (ANSI stripped), a
//! progress bar on a terminal, and plain periodic lines when not on one (CI logs).

pub mod progress;
pub mod table;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

pub struct Console {
    quiet: bool,
    log: Mutex<Option<BufWriter<File>>>,
}

impl Console {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            log: Mutex::new(None),
        }
    }

    /// Starts mirroring every line into `path`.
    pub fn open_log(&self, path: &Path) -> std::io::Result<()> {
        *self.log.lock().unwrap_or_else(|p| p.into_inner()) = Some(BufWriter::new(File::create(path)?));
        Ok(())
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A normal line: stdout unless quiet, always the log.
    pub fn say(&self, text: &str) {
        if !self.quiet {
            println!("{text}");
        }
        self.log_only(text);
    }

    /// A warning: stderr always, and the log.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
        self.log_only(&format!("warning: {text}"));
    }

    pub fn log_only(&self, text: &str) {
        if let Some(log) = self.log.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let _ = writeln!(log, "{}", strip_ansi(text));
        }
    }

    pub fn flush(&self) {
        if let Some(log) = self.log.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let _ = log.flush();
        }
    }
}

/// Removes ANSI escape sequences (CSI `ESC [ ... letter` and two-byte escapes).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() || c == '~' {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_colors() {
        assert_eq!(super::strip_ansi("\u{1b}[1;31mred\u{1b}[0m plain"), "red plain");
    }
}
