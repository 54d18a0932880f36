//! File helpers for stores: open without following links, sizes, moving files and folders
//! into a backup (rename, or copy + fsync + remove across file systems).

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Opens a regular file for reading, refusing symbolic links (also as a race: `O_NOFOLLOW`).
pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Reads exactly `len` bytes at `offset`.
pub fn read_at(file: &mut File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// True when `path` is a symbolic link.
pub fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Bytes below `path`, links counted as links (one walker for the whole crate).
pub(crate) use crate::browsers::fsutil::tree_size;

/// True when a tree holds a symbolic link anywhere (such a folder is never moved: its
/// link could point outside the store).
pub fn tree_has_link(path: &Path) -> bool {
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            return true;
        }
        if meta.is_dir()
            && let Ok(entries) = fs::read_dir(&p)
        {
            stack.extend(entries.flatten().map(|e| e.path()));
        }
    }
    false
}

/// Moves a file or folder to `to` (same file system: one rename; else copy, sync, remove).
pub fn move_path(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_tree(from, to)?;
            if fs::symlink_metadata(from).is_ok_and(|m| m.is_dir()) {
                fs::remove_dir_all(from)
            } else {
                fs::remove_file(from)
            }
            .map_err(|e| Error::io(format!("cannot remove {}", from.display()), e))
        }
        Err(e) => Err(Error::io(
            format!("cannot move {} to {}", from.display(), to.display()),
            e,
        )),
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from)
        .map_err(|e| Error::io(format!("cannot read {}", from.display()), e))?;
    if meta.is_dir() {
        fs::create_dir_all(to)
            .map_err(|e| Error::io(format!("cannot create {}", to.display()), e))?;
        for entry in fs::read_dir(from)
            .map_err(|e| Error::io(format!("cannot list {}", from.display()), e))?
        {
            let entry =
                entry.map_err(|e| Error::io(format!("cannot list {}", from.display()), e))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if meta.is_file() {
        copy_file_synced(from, to)
    } else {
        Ok(())
    }
}

/// Copies one file (never through a link), without syncing.
pub fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    let mut src =
        open_nofollow(from).map_err(|e| Error::io(format!("cannot read {}", from.display()), e))?;
    let mut dst =
        File::create(to).map_err(|e| Error::io(format!("cannot write {}", to.display()), e))?;
    std::io::copy(&mut src, &mut dst)
        .map(|_| ())
        .map_err(|e| Error::io(format!("cannot copy {}", from.display()), e))
}

/// Copies one file and syncs the copy to disk.
pub fn copy_file_synced(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    let mut src =
        open_nofollow(from).map_err(|e| Error::io(format!("cannot read {}", from.display()), e))?;
    let mut dst =
        File::create(to).map_err(|e| Error::io(format!("cannot write {}", to.display()), e))?;
    std::io::copy(&mut src, &mut dst)
        .map_err(|e| Error::io(format!("cannot copy {}", from.display()), e))?;
    dst.sync_all()
        .map_err(|e| Error::io(format!("cannot sync {}", to.display()), e))
}

/// Writes a file atomically: a temporary sibling, synced, renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp: PathBuf = {
        let mut s = path.as_os_str().to_owned();
        s.push(".tmp");
        s.into()
    };
    let mut f =
        File::create(&tmp).map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
