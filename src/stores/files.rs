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

/// Moves a file or folder to `to`: one rename on the same file system; across file systems
/// a copy under a temporary name, verified (size and SHA-256 of every file) and synced, then
/// renamed into place, and only then the source removed. So `to` exists only complete: an
/// interrupted move leaves the source intact, or a complete `to` beside it.
pub fn move_path(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_private_dir_all(parent)?;
    }
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => move_across(from, to),
        Err(e) => Err(Error::io(
            format!("cannot move {} to {}", from.display(), to.display()),
            e,
        )),
    }
}

fn move_across(from: &Path, to: &Path) -> Result<()> {
    let partial = sibling(to, ".fix401-partial");
    if fs::symlink_metadata(&partial).is_ok() {
        // Left by an interrupted move: never complete, never used.
        remove_any(&partial)?;
    }
    copy_tree(from, &partial)?;
    let want = tree_digest(from)?;
    let got = tree_digest(&partial)?;
    if want != got {
        let _ = remove_any(&partial);
        return Err(Error::Internal(format!(
            "the copy of {} to {} differs from the original (size or SHA-256); the original \
             is left in place",
            from.display(),
            to.display()
        )));
    }
    super::fault("cross-fs-copied");
    fs::rename(&partial, to).map_err(|e| {
        Error::io(
            format!("cannot move {} to {}", partial.display(), to.display()),
            e,
        )
    })?;
    super::fault("cross-fs-renamed");
    remove_any(from)
}

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

/// Removes a file or a whole folder (never following links).
pub fn remove_any(path: &Path) -> Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .map_err(|e| Error::io(format!("cannot remove {}", path.display()), e))
}

/// Every file below `path` (or `path` itself) with its size and SHA-256, in name order, and
/// every folder: two trees with the same digest hold the same bytes under the same names.
pub fn tree_digest(path: &Path) -> Result<Vec<(PathBuf, u64, [u8; 32])>> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let p = if rel.as_os_str().is_empty() {
            path.to_path_buf()
        } else {
            path.join(&rel)
        };
        let meta = fs::symlink_metadata(&p)
            .map_err(|e| Error::io(format!("cannot read {}", p.display()), e))?;
        if meta.is_dir() {
            out.push((rel.clone(), u64::MAX, [0; 32]));
            let mut names: Vec<_> = fs::read_dir(&p)
                .map_err(|e| Error::io(format!("cannot list {}", p.display()), e))?
                .flatten()
                .map(|e| e.file_name())
                .collect();
            names.sort();
            stack.extend(names.into_iter().rev().map(|n| rel.join(n)));
        } else if meta.is_file() {
            let mut f = open_nofollow(&p)
                .map_err(|e| Error::io(format!("cannot read {}", p.display()), e))?;
            let mut h = Sha256::new();
            let mut n = 0u64;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let got = f
                    .read(&mut buf)
                    .map_err(|e| Error::io(format!("cannot read {}", p.display()), e))?;
                if got == 0 {
                    break;
                }
                h.update(&buf[..got]);
                n += got as u64;
            }
            out.push((rel, n, h.finalize().into()));
        }
    }
    Ok(out)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from)
        .map_err(|e| Error::io(format!("cannot read {}", from.display()), e))?;
    if meta.is_dir() {
        create_private_dir_all(to)?;
        for entry in fs::read_dir(from)
            .map_err(|e| Error::io(format!("cannot list {}", from.display()), e))?
        {
            let entry =
                entry.map_err(|e| Error::io(format!("cannot list {}", from.display()), e))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        fs::set_permissions(to, meta.permissions())
            .map_err(|e| Error::io(format!("cannot set the mode of {}", to.display()), e))
    } else if meta.is_file() {
        copy_file_synced(from, to)?;
        // The copy keeps the original's mode, so that a move back restores it.
        fs::set_permissions(to, meta.permissions())
            .map_err(|e| Error::io(format!("cannot set the mode of {}", to.display()), e))
    } else {
        Ok(())
    }
}

/// Creates a folder and its missing parents, each new one owner-only (0700 on Unix).
pub fn create_private_dir_all(path: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

/// Creates a new file owner-only (0600 on Unix), truncating one that exists.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Copies one file and syncs the copy to disk.
pub fn copy_file_synced(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_private_dir_all(parent)?;
    }
    let mut src =
        open_nofollow(from).map_err(|e| Error::io(format!("cannot read {}", from.display()), e))?;
    let mut dst =
        create_private(to).map_err(|e| Error::io(format!("cannot write {}", to.display()), e))?;
    std::io::copy(&mut src, &mut dst)
        .map_err(|e| Error::io(format!("cannot copy {}", from.display()), e))?;
    dst.sync_all()
        .map_err(|e| Error::io(format!("cannot sync {}", to.display()), e))
}

/// Writes a file atomically: a temporary sibling, synced, renamed over the target. The file
/// keeps the mode of the one it replaces; a new file is owner-only (0600 on Unix).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = sibling(path, ".tmp");
    let keep = fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions());
    let _ = fs::remove_file(&tmp);
    let mut f = create_private(&tmp)
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    f.write_all(bytes)
        .and_then(|()| match keep {
            Some(perm) => f.set_permissions(perm),
            None => Ok(()),
        })
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Every entry of a tree whose mode gives group or other any access: its path, its path
/// relative to `path` (`""` is `path` itself; `None` when a name is not UTF-8) and its mode.
/// Links are never followed.
#[cfg(unix)]
fn open_modes(path: &Path) -> Vec<(PathBuf, Option<String>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![(path.to_path_buf(), Some(String::new()))];
    while let Some((p, rel)) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir()
            && let Ok(entries) = fs::read_dir(&p)
        {
            for e in entries.flatten() {
                let child = match (&rel, e.file_name().to_str()) {
                    (Some(r), Some(n)) if r.is_empty() => Some(n.to_string()),
                    (Some(r), Some(n)) => Some(format!("{r}/{n}")),
                    _ => None,
                };
                stack.push((e.path(), child));
            }
        }
        if mode & 0o077 != 0 {
            out.push((p, rel, mode));
        }
    }
    out
}

/// The modes [`make_private`] will change, by path relative to `path` (`""` is `path`
/// itself), parents first: what undo puts back. Names that are not UTF-8 are passed over
/// (their folder is private).
pub fn private_modes(path: &Path) -> Vec<(String, u32)> {
    #[cfg(unix)]
    return open_modes(path)
        .into_iter()
        .filter_map(|(_, rel, mode)| rel.map(|r| (r, mode)))
        .collect();
    #[cfg(not(unix))]
    {
        let _ = path;
        Vec::new()
    }
}

/// Makes a tree in the backup owner-only: group and other bits cleared everywhere (folders
/// 0700 at most, files 0600 at most). Links are never followed.
pub fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    for (p, _, mode) in open_modes(path) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| Error::io(format!("cannot set the mode of {}", p.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Puts back the modes [`make_private`] changed (paths that left or became links are
/// passed over), deepest first.
pub fn restore_modes(path: &Path, modes: &[(String, u32)]) -> Result<()> {
    #[cfg(unix)]
    for (rel, mode) in modes.iter().rev() {
        use std::os::unix::fs::PermissionsExt;
        let Some(p) = (if rel.is_empty() {
            Some(path.to_path_buf())
        } else {
            crate::browsers::fsutil::plain_relative(rel).map(|r| path.join(r))
        }) else {
            continue;
        };
        if fs::symlink_metadata(&p).is_ok_and(|m| !m.file_type().is_symlink()) {
            fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o7777))
                .map_err(|e| Error::io(format!("cannot set the mode of {}", p.display()), e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, modes);
    Ok(())
}
