//! Undo: put back exactly what a clear removed. Rows go back with every column in one
//! transaction per store; moved files and folders are moved back byte for byte.

use std::path::PathBuf;

use serde::Serialize;

use super::backup::{self, Saved, Status};
use super::sqlite_rows::{self, SavedRows};
use super::{fault, files};
use crate::error::{Error, Result};
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
/// stores it touches runs.
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
    refuse_if_running(sys, &manifest)?;
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
                let path = dir.join(file);
                let text = std::fs::read(&path)
                    .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
                let saved: SavedRows =
                    serde_json::from_slice(&text).map_err(|e| Error::BadFile {
                        path: path.clone(),
                        message: format!("not saved rows ({e})"),
                    })?;
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
                let n = sqlite_rows::restore(&tx, &saved)?;
                fault("undo-rows-restored");
                tx.commit().map_err(|e| {
                    Error::sqlite(format!("cannot commit {}", item.original.display()), e)
                })?;
                out.rows += n;
            }
            Saved::Moved { file, .. } | Saved::Replaced { file, .. } => {
                let from = dir.join(file);
                if std::fs::symlink_metadata(&from).is_err() {
                    // Listed before the move, never moved (interrupted clear) or already back.
                    continue;
                }
                let to = &item.original;
                if files::is_link(to) {
                    out.warnings.push(format!(
                        "{} is now a symbolic link: left alone",
                        to.display()
                    ));
                    continue;
                }
                if std::fs::symlink_metadata(to).is_ok() {
                    // The browser made a new one since: keep it in the backup, put ours back.
                    let aside: PathBuf = dir.join(format!("{file}.displaced"));
                    files::move_path(to, &aside)?;
                }
                files::move_path(&from, to)?;
                fault("undo-file-moved");
                out.files += 1;
            }
        }
    }
    manifest.status = Status::Undone;
    backup::write_manifest(&dir, &manifest)?;
    Ok(out)
}

fn refuse_if_running(sys: &System, manifest: &backup::Manifest) -> Result<()> {
    let Ok(found) = crate::browsers::discover(sys) else {
        return Ok(());
    };
    for inst in &found {
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
