//! Copy-on-write cloning of a directory tree: a reflink (FICLONE) per file where the file system
//! supports it, a plain copy where it does not. The first refusal is remembered so a file system
//! without reflinks costs one failed ioctl per run, not one per file.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

/// `_IOW(0x94, 9, int)` from linux/fs.h.
const FICLONE: libc::c_ulong = 0x4004_9409;

const REFLINK: u8 = 1;
const COPY: u8 = 2;

/// What this file system turned out to support; shared by every clone of a provider.
#[derive(Debug, Default)]
pub struct CloneMode(AtomicU8);

impl CloneMode {
    /// "reflink", "copy", or "unknown" before the first file was cloned.
    pub fn describe(&self) -> &'static str {
        match self.0.load(Ordering::Relaxed) {
            REFLINK => "reflink",
            COPY => "copy",
            _ => "unknown",
        }
    }
}

/// Clones `src` into `dst`, which must not exist yet. Sockets and devices are skipped: a sandbox's
/// data is files, links and directories.
pub fn clone_tree(src: &Path, dst: &Path, mode: &CloneMode) -> io::Result<()> {
    fs::create_dir(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            clone_tree(&from, &to, mode)?;
        } else if kind.is_symlink() {
            symlink(fs::read_link(&from)?, &to)?;
        } else if kind.is_file() {
            clone_file(&from, &to, mode)?;
        } else if kind.is_fifo() || kind.is_socket() || kind.is_block_device() || kind.is_char_device() {
            continue;
        }
    }
    fs::set_permissions(dst, fs::metadata(src)?.permissions())?;
    Ok(())
}

fn clone_file(from: &Path, to: &Path, mode: &CloneMode) -> io::Result<()> {
    if mode.0.load(Ordering::Relaxed) != COPY {
        let source = fs::File::open(from)?;
        let target = fs::File::create(to)?;
        // SAFETY: both descriptors are open for the duration of the call; FICLONE takes an int fd.
        let rc = unsafe { libc::ioctl(target.as_raw_fd(), FICLONE, source.as_raw_fd()) };
        if rc == 0 {
            mode.0.store(REFLINK, Ordering::Relaxed);
            fs::set_permissions(to, source.metadata()?.permissions())?;
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EOPNOTSUPP | libc::EXDEV | libc::EINVAL | libc::ENOTTY | libc::ENOSYS | libc::EPERM) => {
                mode.0.store(COPY, Ordering::Relaxed);
            }
            _ => return Err(err),
        }
    }
    fs::copy(from, to).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn clones_files_links_and_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("a.txt"), b"alpha").unwrap();
        fs::write(src.join("sub/b.bin"), vec![7u8; 100_000]).unwrap();
        fs::set_permissions(src.join("a.txt"), fs::Permissions::from_mode(0o444)).unwrap();
        symlink("a.txt", src.join("link")).unwrap();

        let mode = CloneMode::default();
        let dst = tmp.path().join("dst");
        clone_tree(&src, &dst, &mode).unwrap();

        assert_eq!(fs::read(dst.join("a.txt")).unwrap(), b"alpha");
        assert_eq!(fs::read(dst.join("sub/b.bin")).unwrap(), vec![7u8; 100_000]);
        assert_eq!(fs::read_link(dst.join("link")).unwrap(), Path::new("a.txt"));
        let perms = fs::metadata(dst.join("a.txt")).unwrap().permissions().mode() & 0o777;
        assert_eq!(perms, 0o444);
        assert_ne!(mode.describe(), "unknown");
        // The clone is independent of its source.
        fs::write(src.join("sub/b.bin"), b"changed").unwrap();
        assert_eq!(fs::read(dst.join("sub/b.bin")).unwrap().len(), 100_000);
    }

    #[test]
    fn refuses_existing_destination() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(clone_tree(tmp.path(), tmp.path(), &CloneMode::default()).is_err());
    }
}
