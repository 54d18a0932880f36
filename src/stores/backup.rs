//! Backups: one folder per clear under `<data_dir>/backups/<id>/` with `manifest.json`
//! (id, time, site, items), the saved rows (`rows-<n>.json`), the removed entries of files
//! rewritten whole (`entries-<n>.json`) and the moved files (`files/<n>`). The manifest lists
//! an item before its change is made, so a crash at any step leaves a backup that undo can
//! still restore.
//!
//! A backup is private and minimal: the folders are owner-only (0700; files 0600; on Windows
//! an owner-only ACL), and it holds only what was removed — never a copy of a whole store,
//! which would keep every other site's cookies for as long as the backup lives.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::files::write_atomic;
use crate::error::{Error, Result};
use crate::system::System;

/// Backups older than this are removed.
pub const KEEP_DAYS: u64 = 30;

/// The state of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The clear was interrupted; what the manifest lists can still be restored.
    InProgress,
    /// The clear finished.
    Complete,
    /// It was undone.
    Undone,
}

/// What one item of a backup saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Saved {
    /// Rows deleted from a SQLite store, saved in `file` (relative to the backup).
    Rows {
        /// The rows file.
        file: String,
        /// How many rows.
        count: usize,
        /// Cookie names (never values).
        names: Vec<String>,
    },
    /// A file or folder moved from `original` into the backup as `file`.
    Moved {
        /// Relative path inside the backup.
        file: String,
        /// Bytes.
        bytes: u64,
        /// True for a folder.
        is_dir: bool,
        /// The modes made owner-only in the backup (relative path, original mode), put back
        /// by undo.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        modes: Vec<(String, u32)>,
    },
    /// Entries removed from a file that is rewritten whole (a Firefox session store, Safari's
    /// binarycookies): only those entries are kept in `file`, with where they stood.
    Entries {
        /// Relative path inside the backup.
        file: String,
        /// Entries removed.
        count: usize,
        /// Their names.
        names: Vec<String>,
    },
    /// A whole file replaced by a rewritten one, its original bytes kept in `file`: written
    /// by fix401 before 0.2 only; undo still restores it.
    Replaced {
        /// Relative path inside the backup.
        file: String,
        /// Entries removed from it.
        count: usize,
        /// Their names.
        names: Vec<String>,
    },
    /// Records deleted from a LevelDB every origin shares (Chromium's Local Storage): their
    /// key and value bytes saved in `file` (relative to the backup).
    Records {
        /// The records file.
        file: String,
        /// How many records.
        count: usize,
        /// The origins (storage keys) they belonged to.
        origins: Vec<String>,
    },
    /// A file fix401 created where there was none (a Firefox `user.js` the `allow-negotiate`
    /// fix wrote): undo moves it into the backup as `file`, so the profile is as it was.
    Created {
        /// Relative path inside the backup it is moved to on undo.
        file: String,
    },
    /// A string preference of a Firefox `prefs.js`, where Firefox copies what `user.js`
    /// sets each time it runs: undo sets it back to `before` (`None`: removes its lines),
    /// every other line untouched. Only `network.negotiate-auth.trusted-uris`.
    Pref {
        /// The preference's name.
        name: String,
        /// Its value before the change (`None`: not set).
        before: Option<String>,
    },
}

/// One change recorded in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Catalog id of the browser.
    pub browser_id: String,
    /// Profile folder.
    pub profile_dir: PathBuf,
    /// Store kind (as its JSON name).
    pub kind: String,
    /// The store (file or folder) the change was made in.
    pub store: PathBuf,
    /// The path that was changed (the store itself, or an entry inside it).
    pub original: PathBuf,
    /// What was saved.
    pub saved: Saved,
}

/// The manifest of one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The backup id (`20261126-204501-a.test`).
    pub id: String,
    /// Seconds since the Unix epoch when the clear started.
    pub created_unix: u64,
    /// The same, as RFC 3339 UTC.
    pub created: String,
    /// The site as typed.
    pub site: String,
    /// Its registrable domain.
    pub domain: String,
    /// The state.
    pub status: Status,
    /// The changes, in the order they were made.
    pub items: Vec<Item>,
}

/// A backup as listed by `fix401 undo --list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSummary {
    /// The id to pass to `fix401 undo`.
    pub id: String,
    /// When (RFC 3339 UTC).
    pub created: String,
    /// The site.
    pub site: String,
    /// The state.
    pub status: Status,
    /// Number of items.
    pub items: usize,
    /// Rows saved.
    pub rows: usize,
    /// Files and folders moved.
    pub files: usize,
    /// Where it lives.
    pub dir: PathBuf,
}

/// The folder holding every backup.
pub fn root(sys: &System) -> PathBuf {
    sys.data_dir.join("backups")
}

/// A backup being written.
pub struct Writer {
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest as written so far.
    pub manifest: Manifest,
    next: usize,
}

impl Writer {
    /// Creates the folder and the first manifest.
    pub fn create(sys: &System, site: &str, domain: &str) -> Result<Writer> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let created = rfc3339(now);
        let stamp: String = created
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(14)
            .collect();
        let safe_site: String = domain
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let base = format!(
            "{}-{}-{safe_site}",
            &stamp[..8.min(stamp.len())],
            &stamp[8.min(stamp.len())..]
        );
        let root = root(sys);
        create_private_root(sys, &root)?;
        let mut id = base.clone();
        let mut n = 1;
        let dir = loop {
            let dir = root.join(&id);
            match private_dir_builder().create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Err(e) => {
                    return Err(Error::io(format!("cannot create {}", dir.display()), e));
                }
            }
        };
        let w = Writer {
            dir,
            manifest: Manifest {
                id,
                created_unix: now,
                created,
                site: site.to_string(),
                domain: domain.to_string(),
                status: Status::InProgress,
                items: Vec::new(),
            },
            next: 0,
        };
        w.save()?;
        Ok(w)
    }

    /// A fresh relative name inside the backup (`files/7`, `rows-3.json`).
    pub fn name(&mut self, prefix: &str, suffix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}{suffix}", self.next)
    }

    /// Writes the manifest (atomically, synced).
    pub fn save(&self) -> Result<()> {
        write_manifest(&self.dir, &self.manifest)
    }

    /// Records items and saves the manifest before the change is made.
    pub fn record(&mut self, items: Vec<Item>) -> Result<()> {
        self.manifest.items.extend(items);
        self.save()
    }
}

fn private_dir_builder() -> fs::DirBuilder {
    #[allow(unused_mut)]
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b
}

/// Creates the backup root owner-only (and makes an existing one so).
fn create_private_root(sys: &System, root: &Path) -> Result<()> {
    super::files::create_private_dir_all(root).map_err(|e| match e {
        Error::Io { source, .. } => Error::io(
            format!("cannot create the backup folder {}", root.display()),
            source,
        ),
        other => other,
    })?;
    restrict_to_owner(sys, root)
}

/// Owner-only access to a folder: mode 0700 on Unix; on Windows an ACL that grants only the
/// user (inheritance removed, so nothing from `LocalAppData`'s parent leaks in).
fn restrict_to_owner(sys: &System, dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = sys;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("cannot make {} private", dir.display()), e))
    }
    #[cfg(windows)]
    {
        let user = std::env::var("USERNAME").unwrap_or_default();
        if user.is_empty() || !sys.live {
            return Ok(());
        }
        let spec = crate::system::CommandSpec::new(
            "icacls",
            [
                dir.display().to_string(),
                "/inheritance:r".into(),
                "/grant:r".into(),
                format!("{user}:(OI)(CI)F"),
            ],
        );
        match sys.run(&spec) {
            Ok(out) if out.success() => Ok(()),
            Ok(out) => Err(Error::Internal(format!(
                "cannot make {} private (icacls: {})",
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
            Err(e) => Err(Error::io(
                format!("cannot make {} private", dir.display()),
                e,
            )),
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (sys, dir);
        Ok(())
    }
}

/// Makes every backup private, including those written before backups were: the root and
/// each backup folder owner-only, fix401's own files 0600, and the whole-database snapshots
/// older versions kept (undo never used them; they hold every other site's cookies) removed.
/// Runs before backups are read, so on every start that touches them.
pub fn tighten(sys: &System) {
    let root = root(sys);
    if fs::symlink_metadata(&root).map_or(true, |m| !m.is_dir()) {
        return;
    }
    let _ = restrict_to_owner(sys, &root);
    let Ok(entries) = fs::read_dir(&root) else {
        return;
    };
    for e in entries.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = e.path();
        let _ = restrict_to_owner(sys, &dir);
        let Ok(inner) = fs::read_dir(&dir) else {
            continue;
        };
        for f in inner.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Ok(t) = f.file_type() else { continue };
            if t.is_dir() && name.starts_with("snapshot-") {
                let _ = fs::remove_dir_all(f.path());
            } else if t.is_dir() {
                let _ = restrict_to_owner(sys, &f.path());
            } else if t.is_file() {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = fs::set_permissions(f.path(), fs::Permissions::from_mode(0o600));
                }
            }
        }
    }
}

/// Writes a manifest into a backup folder.
pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let text = serde_json::to_vec_pretty(m)
        .map_err(|e| Error::Internal(format!("cannot encode the manifest: {e}")))?;
    write_atomic(&dir.join("manifest.json"), &text)
}

/// Reads a backup's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let text =
        fs::read(&path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    serde_json::from_slice(&text).map_err(|e| Error::BadFile {
        path,
        message: format!("not a fix401 backup manifest ({e})"),
    })
}

/// Every readable backup, newest first.
pub fn all(sys: &System) -> Vec<(PathBuf, Manifest)> {
    tighten(sys);
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(root(sys)) {
        for e in entries.flatten() {
            let dir = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir())
                && let Ok(m) = read_manifest(&dir)
            {
                out.push((dir, m));
            }
        }
    }
    out.sort_by(|a, b| (b.1.created_unix, &b.1.id).cmp(&(a.1.created_unix, &a.1.id)));
    out
}

/// Summaries of every backup, newest first (old ones pruned first).
pub fn list(sys: &System) -> Result<Vec<BackupSummary>> {
    prune(sys);
    Ok(all(sys)
        .into_iter()
        .map(|(dir, m)| BackupSummary {
            rows: m
                .items
                .iter()
                .map(|i| match &i.saved {
                    Saved::Rows { count, .. } | Saved::Records { count, .. } => *count,
                    _ => 0,
                })
                // Counts come from the manifest file: a forged one must not overflow.
                .fold(0, usize::saturating_add),
            files: m
                .items
                .iter()
                .filter(|i| matches!(i.saved, Saved::Moved { .. }))
                .count(),
            items: m.items.len(),
            id: m.id,
            created: m.created,
            site: m.site,
            status: m.status,
            dir,
        })
        .collect())
}

/// Removes backups older than [`KEEP_DAYS`]; returns their ids.
pub fn prune(sys: &System) -> Vec<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut removed = Vec::new();
    for (dir, m) in all(sys) {
        // `created_unix` comes from the file: saturate rather than overflow on a forged one.
        if m.created_unix.saturating_add(KEEP_DAYS * 86_400) < now
            && fs::remove_dir_all(&dir).is_ok()
        {
            removed.push(m.id);
        }
    }
    removed
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ` (see [`crate::words::rfc3339`]).
pub use crate::words::rfc3339;

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
