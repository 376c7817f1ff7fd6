//! What the user sees while a run goes: lines on stdout mirrored into `run.log` (ANSI stripped), a
//! progress bar on a terminal, and plain periodic lines when not on one (CI logs).

pub mod progress;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

pub struct Console {
    quiet: bool,
    log: Mutex<Option<BufWriter<File>>>,
    muted: Mutex<Option<Muted>>,
}

/// Warnings that only repeat a known cause (a provider that died): logged, counted, not printed.
struct Muted {
    signature: String,
    count: u64,
}

impl Console {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            log: Mutex::new(None),
            muted: Mutex::new(None),
        }
    }

    /// From now on, warnings containing `signature` go to run.log only and are counted: once the
    /// provider is known dead, every later failure says the same thing, and one line says it.
    pub fn mute_repeats_of(&self, signature: &str) {
        let mut muted = self.muted.lock().unwrap_or_else(|p| p.into_inner());
        if muted.is_none() {
            *muted = Some(Muted {
                signature: signature.to_string(),
                count: 0,
            });
        }
    }

    /// How many warnings [`Console::mute_repeats_of`] kept off the terminal.
    pub fn muted_count(&self) -> u64 {
        self.muted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0, |m| m.count)
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

    /// A warning: stderr (unless it repeats a muted cause), and the log.
    pub fn warn(&self, text: &str) {
        let repeat = {
            let mut muted = self.muted.lock().unwrap_or_else(|p| p.into_inner());
            match muted.as_mut() {
                Some(m) if text.contains(&m.signature) => {
                    m.count += 1;
                    true
                }
                _ => false,
            }
        };
        if !repeat {
            eprintln!("warning: {text}");
        }
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
    fn muted_repeats_are_counted_not_printed() {
        let console = super::Console::new(true);
        console.warn("first");
        console.mute_repeats_of("plugin died");
        console.mute_repeats_of("something else");
        console.warn("create: plugin died");
        console.warn("destroy: plugin died");
        console.warn("unrelated");
        assert_eq!(console.muted_count(), 2);
    }

    #[test]
    fn strips_colors() {
        assert_eq!(super::strip_ansi("\u{1b}[1;31mred\u{1b}[0m plain"), "red plain");
    }
}
