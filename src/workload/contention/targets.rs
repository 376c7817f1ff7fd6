//! Built-in demo stores for the local provider: one correct, one with the lost-update bug this
//! workload exists to catch. They make `--contention-target` work with nothing installed.

/// Appends one line under an exclusive lock: concurrent writers never lose an update.
const FLOCK_STORE: &str = r#"#!/bin/sh
# Correct store: append one record under an exclusive lock.
exec 9>>store.lock
flock 9
printf '%s\n' "$1" >> store.txt
"#;

/// Rewrites the whole file on every write through a temp file named by the millisecond, without a
/// lock: concurrent writers read stale data, collide on the temp name, and lose updates while most
/// of them still exit 0.
const NAIVE_STORE: &str = r#"#!/bin/sh
# Broken on purpose: unlocked read-modify-write with a temp file named by the millisecond.
tmp="store.tmp.$(date +%s%3N)"
cat store.txt > "$tmp"
printf '%s\n' "$1" >> "$tmp"
mv "$tmp" store.txt
"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoTarget {
    Flock,
    Naive,
}

impl DemoTarget {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "flock" => Some(DemoTarget::Flock),
            "naive" => Some(DemoTarget::Naive),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DemoTarget::Flock => "flock",
            DemoTarget::Naive => "naive",
        }
    }

    /// The script to install in the sandbox, and the file name to install it under.
    pub fn script(self) -> (&'static str, &'static str) {
        match self {
            DemoTarget::Flock => ("store-flock.sh", FLOCK_STORE),
            DemoTarget::Naive => ("store-naive.sh", NAIVE_STORE),
        }
    }

    pub fn write_cmd(self) -> Vec<String> {
        vec!["sh".into(), self.script().0.into(), "{id}".into()]
    }

    pub fn list_cmd(self) -> Vec<String> {
        vec!["cat".into(), "store.txt".into()]
    }
}
