//! Built-in demo stores for the local provider: one correct, one with the lost-update bug this
//! workload exists to catch. They make `--contention-target` work with nothing installed; which one
//! runs, and the commands that call it, are settings ([`DemoTarget`]).

use crate::config::contention::DemoTarget;

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

/// What the store's script does; installed in the sandbox under [`DemoTarget::script_name`].
pub fn script(target: DemoTarget) -> &'static str {
    match target {
        DemoTarget::Flock => FLOCK_STORE,
        DemoTarget::Naive => NAIVE_STORE,
    }
}
