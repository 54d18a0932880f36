//! Small file-system helpers that never follow a symbolic link.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// Bytes below `path` (a file or a folder), counting links as links, never following them.
pub(crate) fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

/// True when `path` is a real folder (not a link to one).
pub(crate) fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// True when `path` is a real regular file (not a link to one).
pub(crate) fn is_real_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// True when `path` is a symbolic link.
pub(crate) fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// True when `path` is `root` or below it, lexically (no `..`), and no component between
/// `root` and `path` (the last one included) is a symbolic link.
pub(crate) fn inside_without_links(root: &Path, path: &Path) -> bool {
    let Ok(rest) = path.strip_prefix(root) else {
        return false;
    };
    let mut cur = root.to_path_buf();
    for comp in rest.components() {
        match comp {
            Component::Normal(name) => {
                cur.push(name);
                if is_link(&cur) {
                    return false;
                }
            }
            Component::CurDir => {}
            _ => return false,
        }
    }
    true
}

/// Splits a relative path written with `/` (or `\`) into plain names; `None` when any part
/// would leave its folder (`..`, an absolute start, a drive letter) or is empty.
pub(crate) fn plain_relative(rel: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in rel.split(['/', '\\']) {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." || part.contains(':') || part.contains('\0') {
            return None;
        }
        out.push(part);
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// A single plain folder name (no separators, not `.`/`..`).
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.contains(':')
}

/// The newest modification time of a file, for choosing between two copies.
pub(crate) fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    fs::symlink_metadata(path).ok()?.modified().ok()
}

/// Expands a catalog relative path below `base`. A `*` segment is a snap revision: the
/// revision the `current` link names (when it names a sibling folder), otherwise every
/// real revision folder except `common`. A `<name>_*` segment is a packaged app's folder
/// with its publisher id: every real folder named `<name>_<id>`. Returns the candidates
/// that exist as real folders without a link on the way (the base itself may be a link,
/// e.g. `~/.config`).
pub(crate) fn expand(base: &Path, rel: &str) -> Vec<PathBuf> {
    let mut current = vec![base.to_path_buf()];
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        let mut next = Vec::new();
        for dir in &current {
            if part == "*" {
                next.extend(snap_revisions(dir));
            } else if let Some(prefix) = part.strip_suffix('*') {
                next.extend(with_prefix(dir, prefix));
            } else {
                let p = dir.join(part);
                if is_real_dir(&p) {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    if rel.is_empty() {
        current.retain(|p| p.is_dir());
    }
    current
}

/// The real folders of `dir` whose plain name is `prefix` followed by at least one
/// character (a package folder `Name_<publisher id>`), sorted.
fn with_prefix(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                is_plain_name(n) && n.len() > prefix.len() && n.starts_with(prefix)
            })
        })
        .map(|e| e.path())
        .filter(|p| is_real_dir(p))
        .collect();
    out.sort();
    out
}

/// The snap revision folders of `dir` (`~/snap/<name>`).
fn snap_revisions(dir: &Path) -> Vec<PathBuf> {
    if let Ok(target) = fs::read_link(dir.join("current")) {
        if let Some(name) = target.to_str().filter(|n| is_plain_name(n)) {
            let p = dir.join(name);
            if is_real_dir(&p) {
                return vec![p];
            }
        }
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name() != "common")
        .map(|e| e.path())
        .filter(|p| is_real_dir(p))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_refuses_escapes() {
        assert_eq!(
            plain_relative("Profiles/abc.default"),
            Some(PathBuf::from("Profiles/abc.default"))
        );
        assert_eq!(plain_relative("a\\b"), Some(PathBuf::from("a/b")));
        assert_eq!(plain_relative("../x"), None);
        assert_eq!(plain_relative("C:/x"), None);
        assert_eq!(plain_relative(""), None);
    }

    #[test]
    fn snap_current_link_picks_one_revision() {
        let t = tempfile::tempdir().unwrap();
        let snap = t.path().join("snap/brave");
        for rev in ["100", "101", "common"] {
            fs::create_dir_all(snap.join(rev).join(".config/x")).unwrap();
        }
        assert_eq!(expand(t.path(), "snap/brave/*/.config/x").len(), 2);
        #[cfg(unix)]
        std::os::unix::fs::symlink("101", snap.join("current")).unwrap();
        #[cfg(unix)]
        assert_eq!(
            expand(t.path(), "snap/brave/*/.config/x"),
            vec![snap.join("101/.config/x")]
        );
    }

    #[test]
    fn a_package_segment_matches_any_publisher_id_but_no_link() {
        let t = tempfile::tempdir().unwrap();
        let pkgs = t.path().join("Packages");
        for name in [
            "Vendor.App_abc123",
            "Vendor.App_zzz9",
            "Vendor.Other_abc",
            "Vendor.App_",
        ] {
            fs::create_dir_all(pkgs.join(name).join("LocalCache")).unwrap();
        }
        assert_eq!(
            expand(t.path(), "Packages/Vendor.App_*/LocalCache"),
            vec![
                pkgs.join("Vendor.App_abc123/LocalCache"),
                pkgs.join("Vendor.App_zzz9/LocalCache")
            ]
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                pkgs.join("Vendor.App_abc123"),
                pkgs.join("Vendor.App_link"),
            )
            .unwrap();
            assert_eq!(
                expand(t.path(), "Packages/Vendor.App_*/LocalCache").len(),
                2
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_below_a_root_are_not_inside() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        fs::create_dir_all(root.join("a")).unwrap();
        std::os::unix::fs::symlink(t.path(), root.join("out")).unwrap();
        assert!(inside_without_links(&root, &root.join("a/x")));
        assert!(!inside_without_links(&root, &root.join("out/x")));
        assert!(!inside_without_links(&root, &root.join("../x")));
        assert!(!inside_without_links(&root, Path::new("/etc/passwd")));
    }
}
