//! Undo: put back exactly what a clear removed. Rows go back with every column in one
//! transaction per store; entries of files rewritten whole go back where they stood; moved
//! files and folders are moved back byte for byte, with their modes.
//!
//! A manifest is a file on disk that anyone who can write the backup folder could rewrite,
//! so undo trusts none of its paths: before anything changes, every store, original and
//! profile path must lie (with no symbolic link on the way) inside a browser root discovered
//! for the same home, and every saved file inside its backup folder. One bad entry refuses
//! the whole backup.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::backup::{self, Item, Saved, Status};
use super::sqlite_rows::{self, SavedRows};
use super::{SavedEntries, fault, files, local_storage};
use crate::browsers::fsutil::inside_without_links;
use crate::browsers::{Installation, StoreKind};
use crate::error::{Error, Result};
use crate::negotiate::browser_prefs;
use crate::system::System;

/// What [`undo`] put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The backup id.
    pub backup_id: String,
    /// The site.
    pub site: String,
    /// Rows put back.
    pub rows: usize,
    /// Files and folders moved back.
    pub files: usize,
    /// What could not be put back, and why.
    pub warnings: Vec<String>,
}

/// Restores backup `id`, or the newest one not yet undone. Refused while a browser whose
/// stores it touches runs, and refused whole (exit 2) when the manifest names a path outside
/// the browsers' stores or its backup folder.
pub fn undo(sys: &System, id: Option<&str>) -> Result<Restored> {
    backup::prune(sys);
    let all = backup::all(sys);
    let (dir, mut manifest) = match id {
        Some(id) => all.into_iter().find(|(_, m)| m.id == id).ok_or_else(|| {
            Error::BadInput(format!(
                "no backup '{id}': list them with `fix401 undo --list`"
            ))
        })?,
        None => all
            .into_iter()
            .find(|(_, m)| m.status != Status::Undone)
            .ok_or_else(|| {
                Error::BadInput("there is nothing to undo: no backup that is not undone yet".into())
            })?,
    };
    if manifest.status == Status::Undone {
        return Err(Error::BadInput(format!(
            "backup {} was already undone",
            manifest.id
        )));
    }
    let installations = crate::browsers::discover(sys)?;
    check_manifest(&dir, &manifest, &installations)?;
    refuse_if_running(sys, &manifest, &installations)?;
    let mut out = Restored {
        backup_id: manifest.id.clone(),
        site: manifest.site.clone(),
        rows: 0,
        files: 0,
        warnings: Vec::new(),
    };
    // Newest change first, so index files return after their entries.
    for item in manifest.items.iter().rev() {
        match &item.saved {
            Saved::Rows { file, .. } => {
                let saved: SavedRows = read_json(&dir.join(file), "saved rows")?;
                if files::is_link(&item.original) {
                    out.warnings.push(format!(
                        "{} is now a symbolic link: left alone",
                        item.original.display()
                    ));
                    continue;
                }
                let mut conn = sqlite_rows::open(&item.original)?;
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| {
                        Error::sqlite(format!("cannot lock {}", item.original.display()), e)
                    })?;
                let n =
                    sqlite_rows::restore(&tx, &saved).map_err(|e| e.in_file(&dir.join(file)))?;
                fault("undo-rows-restored");
                tx.commit().map_err(|e| {
                    Error::sqlite(format!("cannot commit {}", item.original.display()), e)
                })?;
                out.rows += n;
            }
            Saved::Records { file, count, .. } => {
                let saved: local_storage::SavedRecords =
                    read_json(&dir.join(file), "saved Local Storage records")?;
                if files::tree_has_link(&item.original) || !item.original.is_dir() {
                    out.warnings.push(format!(
                        "{} is gone or holds a symbolic link: its {count} records stay in the \
                         backup",
                        item.original.display()
                    ));
                    continue;
                }
                let n = local_storage::restore(&item.original, &saved)
                    .map_err(|e| e.in_file(&dir.join(file)))?;
                fault("undo-records-restored");
                out.rows += n;
            }
            Saved::Entries { file, count, .. } => {
                let saved: SavedEntries = read_json(&dir.join(file), "saved entries")?;
                let current = match files::open_nofollow(&item.original) {
                    Ok(mut f) => {
                        let mut v = Vec::new();
                        std::io::Read::read_to_end(&mut f, &mut v).map_err(|e| {
                            Error::io(format!("cannot read {}", item.original.display()), e)
                        })?;
                        v
                    }
                    Err(e) => {
                        out.warnings.push(format!(
                            "{} cannot be read any more ({e}): its {count} entries stay in \
                             the backup",
                            item.original.display()
                        ));
                        continue;
                    }
                };
                let (bytes, exact) = saved
                    .restore(&current)
                    .map_err(|e| e.in_file(&item.original))?;
                files::write_atomic(&item.original, &bytes)?;
                fault("undo-file-rewritten");
                if !exact {
                    out.warnings.push(format!(
                        "{} was rewritten by the browser since the clear: the entries were \
                         added back to it as it is now",
                        item.original.display()
                    ));
                }
                out.rows += count;
            }
            Saved::Moved { file, modes, .. } => {
                let from = dir.join(file);
                if std::fs::symlink_metadata(&from).is_err() {
                    // Listed before the move, never moved (interrupted clear) or already back.
                    continue;
                }
                if move_back(&dir, file, &from, &item.original, &mut out)? {
                    files::restore_modes(&item.original, modes)?;
                    out.files += 1;
                }
            }
            Saved::Replaced { file, .. } => {
                let from = dir.join(file);
                if std::fs::symlink_metadata(&from).is_err() {
                    continue;
                }
                if move_back(&dir, file, &from, &item.original, &mut out)? {
                    out.files += 1;
                }
            }
            Saved::Created { file } => {
                // Not there (never written, or already undone): nothing to take away. Kept
                // in the backup rather than deleted, in case the person edited it since.
                if files::is_link(&item.original)
                    || std::fs::symlink_metadata(&item.original).is_err()
                {
                    continue;
                }
                let to = dir.join(file);
                files::move_path(&item.original, &to)?;
                files::make_private(&to)?;
                out.files += 1;
            }
            Saved::Pref { name, before } => {
                if files::is_link(&item.original) {
                    out.warnings.push(format!(
                        "{} is now a symbolic link: left alone",
                        item.original.display()
                    ));
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&item.original) else {
                    // No prefs.js (or not text): there is nothing Firefox carried over.
                    continue;
                };
                if browser_prefs::pref_value(&text, name) != *before {
                    let new = browser_prefs::set_pref(&text, name, before.as_deref());
                    files::write_atomic(&item.original, new.as_bytes())?;
                    out.rows += 1;
                }
            }
        }
    }
    remove_partial_copies(&dir.join("files"));
    manifest.status = Status::Undone;
    backup::write_manifest(&dir, &manifest)?;
    Ok(out)
}

/// Copies a clear killed during a move across file systems left unfinished: never
/// complete, never used.
fn remove_partial_copies(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().ends_with(".fix401-partial") {
                let _ = files::remove_any(&e.path());
            }
        }
    }
}

/// Moves a saved file or folder back to `to`. True when it is back.
fn move_back(dir: &Path, file: &str, from: &Path, to: &Path, out: &mut Restored) -> Result<bool> {
    if files::is_link(to) {
        out.warnings.push(format!(
            "{} is now a symbolic link: left alone",
            to.display()
        ));
        return Ok(false);
    }
    if std::fs::symlink_metadata(to).is_ok() {
        if files::tree_digest(to)? == files::tree_digest(from)? {
            // A move across file systems was interrupted after its verified copy: the
            // original is still in place, whole.
            files::remove_any(from)?;
            return Ok(true);
        }
        // The browser made a new one since (or a removal was interrupted half way): keep
        // it in the backup, put the saved one back.
        let aside: PathBuf = dir.join(format!("{file}.displaced"));
        files::move_path(to, &aside)?;
        files::make_private(&aside)?;
    }
    files::move_path(from, to)?;
    fault("undo-file-moved");
    Ok(true)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text =
        std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    serde_json::from_slice(&text).map_err(|e| Error::BadFile {
        path: path.to_path_buf(),
        message: format!("not {what} of a fix401 backup ({e})"),
    })
}

/// True when backup `id` exists, is not undone and every path of its manifest passes the
/// checks undo makes (the window offers "Undo it" only for such a backup).
pub fn can_undo(sys: &System, id: &str) -> bool {
    let Some((dir, manifest)) = backup::all(sys).into_iter().find(|(_, m)| m.id == id) else {
        return false;
    };
    manifest.status != Status::Undone
        && crate::browsers::discover(sys)
            .is_ok_and(|found| check_manifest(&dir, &manifest, &found).is_ok())
}

/// Refuses the whole backup when any entry names a path it must not touch.
fn check_manifest(dir: &Path, manifest: &backup::Manifest, found: &[Installation]) -> Result<()> {
    for (n, item) in manifest.items.iter().enumerate() {
        if let Err(why) = check_item(dir, item, found) {
            return Err(Error::BadFile {
                path: dir.join("manifest.json"),
                message: format!(
                    "entry {} ({} in {}) {why}; the backup {} was refused whole and nothing \
                     was changed",
                    n + 1,
                    item.kind,
                    item.original.display(),
                    manifest.id
                ),
            });
        }
    }
    Ok(())
}

fn check_item(dir: &Path, item: &Item, found: &[Installation]) -> std::result::Result<(), String> {
    let kind = serde_json::from_value::<StoreKind>(serde_json::Value::String(item.kind.clone()))
        .map_err(|_| format!("names an unknown store kind {:?}", item.kind))?;
    let fits = match &item.saved {
        Saved::Rows { .. } => {
            matches!(kind, StoreKind::ChromiumCookies | StoreKind::FirefoxCookies)
        }
        Saved::Entries { .. } => matches!(
            kind,
            StoreKind::FirefoxSessionStore
                | StoreKind::SafariCookies
                | StoreKind::ChromiumTransportSecurity
                | StoreKind::FirefoxSiteSecurity
        ),
        Saved::Replaced { .. } => matches!(
            kind,
            StoreKind::FirefoxSessionStore | StoreKind::SafariCookies
        ),
        Saved::Records { .. } => kind == StoreKind::ChromiumLocalStorage,
        Saved::Moved { .. } => {
            !kind.holds_cookies()
                && kind != StoreKind::ChromiumLocalStorage
                && kind.category() != crate::browsers::StoreCategory::HstsEntries
        }
        Saved::Created { .. } => kind == StoreKind::FirefoxUserPrefs,
        Saved::Pref { name, .. } => {
            kind == StoreKind::FirefoxUserPrefs && name == browser_prefs::FIREFOX_TRUSTED_URIS
        }
    };
    if !fits {
        return Err(format!(
            "saves {} in a way that kind is never saved",
            item.kind
        ));
    }
    for (what, path) in [
        ("store", &item.store),
        ("path", &item.original),
        ("profile", &item.profile_dir),
    ] {
        if !plain_absolute(path) {
            return Err(format!(
                "has a {what} path that is not a plain absolute path: {}",
                path.display()
            ));
        }
    }
    let inst = found
        .iter()
        .filter(|i| i.id == item.browser_id)
        .find(|i| i.roots.iter().any(|r| inside_without_links(r, &item.store)))
        .ok_or_else(|| {
            format!(
                "names the store {}, which is not inside any folder of {} found in this \
                 home (or is reached through a symbolic link)",
                item.store.display(),
                item.browser_id
            )
        })?;
    if item.original != item.store && !item.original.starts_with(&item.store) {
        return Err(format!(
            "names {} as part of the store {}, which it is not",
            item.original.display(),
            item.store.display()
        ));
    }
    let inside = |p: &Path| inst.roots.iter().any(|r| inside_without_links(r, p));
    if !inside(&item.original) {
        return Err("is reached through a symbolic link".into());
    }
    if !inside(&item.profile_dir) {
        return Err(format!(
            "names the profile {}, which is not a folder of {}",
            item.profile_dir.display(),
            inst.name
        ));
    }
    // Preferences files are only ever a profile's own user.js or prefs.js.
    if kind == StoreKind::FirefoxUserPrefs
        && (item.store.parent() != Some(item.profile_dir.as_path())
            || !item
                .store
                .file_name()
                .is_some_and(|n| n == "user.js" || n == "prefs.js"))
    {
        return Err(format!(
            "names {} as a profile's preferences file, which it is not",
            item.store.display()
        ));
    }
    let file = match &item.saved {
        Saved::Rows { file, .. }
        | Saved::Records { file, .. }
        | Saved::Entries { file, .. }
        | Saved::Moved { file, .. }
        | Saved::Replaced { file, .. }
        | Saved::Created { file } => file,
        Saved::Pref { .. } => return Ok(()),
    };
    let rel = Path::new(file);
    let plain = !file.is_empty()
        && !file.contains('\\')
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain || !inside_without_links(dir, &dir.join(rel)) {
        return Err(format!(
            "keeps its saved copy at {file:?}, which is not a plain path inside the backup \
             folder"
        ));
    }
    Ok(())
}

/// Absolute, with only plain names after the root (no `.`, no `..`).
fn plain_absolute(path: &Path) -> bool {
    path.is_absolute()
        && path.components().all(|c| {
            matches!(
                c,
                Component::RootDir | Component::Prefix(_) | Component::Normal(_)
            )
        })
}

fn refuse_if_running(
    sys: &System,
    manifest: &backup::Manifest,
    found: &[Installation],
) -> Result<()> {
    for inst in found {
        let touched = manifest.items.iter().any(|item| {
            item.browser_id == inst.id && inst.roots.iter().any(|r| item.original.starts_with(r))
        });
        if touched {
            let state = crate::browsers::running_state(sys, inst);
            if !state.is_safe_to_write() {
                return Err(Error::Refused(format!(
                    "{} is {}; nothing was restored. Close {} and run `fix401 undo {}` again",
                    inst.name,
                    state.describe(),
                    inst.name,
                    manifest.id
                )));
            }
        }
    }
    Ok(())
}
