//! Chromium Simple Cache (`Cache/Cache_Data`): one site's entries by the key stored in
//! each entry file (reference §6.2–§6.4). With the browser closed, moving `<hash>_0`, `_1`
//! and `_s` aside is a safe per-site removal: the directory's mtime then is newer than the
//! index, so Chromium rebuilds the index from the files.

use std::fs;
use std::path::{Path, PathBuf};

use super::files::open_nofollow;
use super::site::Site;
use super::{Target, TargetScan};

const INITIAL_MAGIC: u64 = 0xfcfb_6d1b_a772_5c30;
/// Keys are URLs with a short prefix; anything longer is not an entry we trust.
const MAX_KEY: u32 = 64 * 1024;

/// The key of a Simple Cache entry file (`<hash>_0`), when its header is valid.
pub fn entry_key(path: &Path) -> Option<String> {
    let f = open_nofollow(path).ok()?;
    key_from(f)
}

/// Reads header and key with one read in the common case (keys are short URLs).
fn key_from(mut f: fs::File) -> Option<String> {
    use std::io::Read;
    let mut buf = vec![0u8; 24 + 1024];
    let mut got = 0;
    while got < 24 {
        let n = f.read(&mut buf[got..]).ok()?;
        if n == 0 {
            return None;
        }
        got += n;
    }
    let magic = u64::from_le_bytes(buf[0..8].try_into().ok()?);
    let key_len = u32::from_le_bytes(buf[12..16].try_into().ok()?);
    if magic != INITIAL_MAGIC || key_len == 0 || key_len > MAX_KEY {
        return None;
    }
    let end = 24 + key_len as usize;
    if got < end {
        if buf.len() < end {
            buf.resize(end, 0);
        }
        f.read_exact(&mut buf[got..end]).ok()?;
    }
    String::from_utf8(buf[24..end].to_vec()).ok()
}

/// Opens an entry the directory listing says is a regular file; `O_NOFOLLOW` still
/// refuses a link swapped in since (no extra `lstat` per entry: 50 000 entries add up).
fn open_listed(path: &Path) -> Option<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    opts.open(path).ok()
}

fn is_entry_name(name: &str) -> bool {
    name.len() == 18 && name.ends_with("_0") && name[..16].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The site's entries: for each matching `<hash>_0`, its `_0`, `_1` and `_s` files.
pub fn scan(dir: &Path, site: &Site) -> TargetScan {
    let mut out = TargetScan::default();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_entry_name(name) {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_symlink() => {
                out.links.push(path);
                continue;
            }
            Ok(t) if t.is_file() => {}
            _ => continue,
        }
        let Some(key) = open_listed(&path).and_then(key_from) else {
            continue;
        };
        if !site.matches_chromium_cache_key(&key) {
            continue;
        }
        let stem = &name[..16];
        let mut files: Vec<PathBuf> = Vec::new();
        for suffix in ["_0", "_1", "_s"] {
            let p = dir.join(format!("{stem}{suffix}"));
            match fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => out.links.push(p),
                Ok(m) if m.is_file() => files.push(p),
                _ => {}
            }
        }
        for p in files {
            let bytes = fs::symlink_metadata(&p).map_or(0, |m| m.len());
            out.targets.push(Target {
                path: p,
                bytes,
                label: key.clone(),
                is_dir: false,
            });
        }
        out.entries += 1;
    }
    out
}
