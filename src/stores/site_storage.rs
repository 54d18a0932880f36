//! Site storage kept in per-origin folders: Firefox `storage/default/<origin>` and
//! Chromium `IndexedDB/<scheme>_<host>_<port>.indexeddb.*`.

use std::fs;
use std::path::Path;

use super::files::{tree_has_link, tree_size};
use super::site::Site;
use super::{Target, TargetScan};

/// The site's origin folders below `dir`; `firefox` picks the folder naming.
pub fn scan(dir: &Path, site: &Site, firefox: bool) -> TargetScan {
    let mut out = TargetScan::default();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let hit = if firefox {
            site.matches_firefox_origin_dir(name)
        } else {
            site.matches_chromium_origin_dir(name)
        };
        if !hit {
            continue;
        }
        let path = entry.path();
        // A link (or a folder holding one) could lead outside the store: leave it alone.
        if tree_has_link(&path) {
            out.links.push(path);
            continue;
        }
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        out.targets.push(Target {
            bytes: tree_size(&path),
            path,
            label: name.to_string(),
            is_dir,
        });
        out.entries += 1;
    }
    out
}
