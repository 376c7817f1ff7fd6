//! File operations on a run directory that may have been written by someone else: only regular
//! files are read (a symbolic link named `run.log` could point at the runner's credentials), reads
//! stop at a cap, and what publishing writes replaces whatever had the name (a planted link is
//! removed, never written through).

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::publish::error::PublishError;
use crate::publish::redact::{Counts, Redactor};

/// What is at `path`, without following a link.
pub enum Entry {
    Missing,
    /// A regular file of this many bytes.
    File(u64),
    /// A directory, a link, a device: never read.
    Other,
}

pub fn entry(path: &Path) -> Result<Entry, PublishError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(Entry::File(m.len())),
        Ok(_) => Ok(Entry::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(e) => Err(PublishError::io(format!("cannot stat {}", path.display()), e)),
    }
}

/// Opens a regular file for reading; a link in its place is refused by the kernel (`O_NOFOLLOW`),
/// so a swap after [`entry`] looked cannot redirect the read.
pub fn open_regular(path: &Path) -> Result<File, PublishError> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| PublishError::io(format!("cannot open {}", path.display()), e))
}

/// Reads at most `cap` bytes of a regular file.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, PublishError> {
    let mut data = Vec::new();
    open_regular(path)?
        .take(cap)
        .read_to_end(&mut data)
        .map_err(|e| PublishError::io(format!("cannot read {}", path.display()), e))?;
    Ok(data)
}

/// Copies at most `cap` bytes of `from` into the new file `to`, redacting on the way.
pub fn copy_redacted(from: &Path, to: &Path, cap: u64, redactor: &Redactor) -> Result<Counts, PublishError> {
    let input = BufReader::with_capacity(1 << 16, open_regular(from)?.take(cap));
    let output = BufWriter::with_capacity(1 << 16, create_new(to)?);
    let mut counts = Counts::new();
    redactor
        .copy(input, output, &mut counts)
        .map_err(|e| PublishError::io(format!("cannot copy {} to {}", from.display(), to.display()), e))?;
    Ok(counts)
}

/// Writes `data` to `path`, replacing whatever file or link had the name.
pub fn write_replacing(path: &Path, data: &[u8]) -> Result<(), PublishError> {
    if let Entry::File(_) | Entry::Other = entry(path)? {
        // A directory in the way fails here, which is the right answer.
        std::fs::remove_file(path).map_err(|e| PublishError::io(format!("cannot replace {}", path.display()), e))?;
    }
    create_new(path)?
        .write_all(data)
        .map_err(|e| PublishError::io(format!("cannot write {}", path.display()), e))
}

fn create_new(path: &Path) -> Result<File, PublishError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| PublishError::io(format!("cannot create {}", path.display()), e))
}

/// An empty directory at `path`, whatever was there (a directory is removed with its contents;
/// a link is removed, not followed).
pub fn fresh_dir(path: &Path) -> Result<PathBuf, PublishError> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    removed
        .and_then(|()| std::fs::create_dir(path))
        .map_err(|e| PublishError::io(format!("cannot create {}", path.display()), e))?;
    Ok(path.to_path_buf())
}

/// Regular files under `root` (not following links), as paths relative to it with `/`, sorted; at
/// most `depth` directories deep. Names that are not UTF-8 or hold control characters are returned
/// apart, as they cannot be object keys a reader can open.
pub fn walk(root: &Path, depth: usize) -> Result<(Vec<String>, Vec<String>), PublishError> {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    walk_into(root, "", depth, &mut files, &mut refused)?;
    files.sort();
    refused.sort();
    Ok((files, refused))
}

fn walk_into(
    dir: &Path,
    rel: &str,
    depth: usize,
    files: &mut Vec<String>,
    refused: &mut Vec<String>,
) -> Result<(), PublishError> {
    let list = |e| PublishError::io(format!("cannot list {}", dir.display()), e);
    for item in std::fs::read_dir(dir).map_err(list)? {
        let item = item.map_err(list)?;
        let name = item.file_name();
        let shown = name.to_string_lossy().into_owned();
        let path = format!("{rel}{shown}");
        if name.to_str().is_none() || shown.chars().any(char::is_control) {
            refused.push(path);
            continue;
        }
        match item.file_type().map_err(list)? {
            t if t.is_file() => files.push(path),
            t if t.is_dir() && depth > 0 => walk_into(&item.path(), &format!("{path}/"), depth - 1, files, refused)?,
            _ => refused.push(path),
        }
    }
    Ok(())
}
