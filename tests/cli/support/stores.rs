//! Helpers for the store tests: row dumps, integrity checks and file hashes, to prove a
//! clear removed exactly one site's data and an undo put it back byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::Value;

/// Every row of `table`, every column, in a stable order (values as exact debug text).
pub fn dump_rows(db: &Path, table: &str) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut stmt = c.prepare(&format!("SELECT * FROM {table}")).unwrap();
    let n = stmt.column_count();
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            let mut cells = Vec::new();
            for i in 0..n {
                let v: Value = r.get(i)?;
                cells.push(format!("{v:?}"));
            }
            Ok(cells.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Host column values of `table` (for readable assertions).
pub fn hosts(db: &Path, table: &str, col: &str) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut stmt = c
        .prepare(&format!(
            "SELECT {col} || '|' || name FROM {table} ORDER BY 1"
        ))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `PRAGMA integrity_check` says ok.
#[track_caller]
pub fn assert_integrity(db: &Path) {
    let c = Connection::open(db).unwrap();
    let r: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(r, "ok", "{}", db.display());
}

/// SHA-256 of every file below `dir` (links recorded by their target text).
pub fn hash_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    use sha2::Digest;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            out.insert(
                p.clone(),
                format!("link:{:?}", std::fs::read_link(&p).unwrap()),
            );
        } else if meta.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let d = sha2::Sha256::digest(&bytes);
            out.insert(p.clone(), d.iter().map(|b| format!("{b:02x}")).collect());
        }
    }
    out
}

/// Every path below `root` (folders and files), links not followed.
pub fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
        out.push(p);
    }
    out
}
