//! Firefox `cache2`: one site's entries by the key in each entry's metadata (BE integers,
//! reference §7). The entries are moved aside and `index` / `index.log` with them, so
//! Firefox rebuilds its index from the files that remain.

use std::fs;
use std::path::Path;

use super::files::{open_nofollow, read_at};
use super::site::Site;
use super::{Target, TargetScan};

const CHUNK: u64 = 256 * 1024;
const MAX_KEY: u32 = 64 * 1024;

/// The key of a cache2 entry file, read from its metadata at the end.
pub fn entry_key(path: &Path) -> Option<String> {
    let mut f = open_nofollow(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len < 4 + 4 + 32 {
        return None;
    }
    let tail = read_at(&mut f, len - 4, 4).ok()?;
    let offset = u64::from(u32::from_be_bytes(tail[..4].try_into().ok()?));
    let chunks = offset.div_ceil(CHUNK);
    let header_at = offset + 4 + 2 * chunks;
    if header_at + 32 > len {
        return None;
    }
    let header = read_at(&mut f, header_at, 32).ok()?;
    let key_size = u32::from_be_bytes(header[24..28].try_into().ok()?);
    if key_size == 0 || key_size > MAX_KEY || header_at + 32 + u64::from(key_size) > len {
        return None;
    }
    let key = read_at(&mut f, header_at + 32, key_size as usize).ok()?;
    String::from_utf8(key).ok()
}

/// The site's entries in `cache2/entries`, plus the index files to drop with them.
pub fn scan(cache2: &Path, site: &Site) -> TargetScan {
    let mut out = TargetScan::default();
    let entries_dir = cache2.join("entries");
    if super::files::is_link(&entries_dir) {
        out.links.push(entries_dir);
        return out;
    }
    let Ok(entries) = fs::read_dir(&entries_dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() != 40 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            out.links.push(path);
            continue;
        }
        let Some(key) = entry_key(&path) else {
            continue;
        };
        if site.matches_cache2_key(&key) {
            let bytes = fs::symlink_metadata(&path).map_or(0, |m| m.len());
            out.targets.push(Target {
                path,
                bytes,
                label: key,
                is_dir: false,
            });
            out.entries += 1;
        }
    }
    if out.entries > 0 {
        // The index would list the moved entries; Firefox rebuilds it when missing.
        for name in ["index", "index.log"] {
            let p = cache2.join(name);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => out.links.push(p),
                Ok(m) if m.is_file() => out.targets.push(Target {
                    path: p,
                    bytes: m.len(),
                    label: format!("cache2 {name} (rebuilt by Firefox)"),
                    is_dir: false,
                }),
                _ => {}
            }
        }
    }
    out
}
