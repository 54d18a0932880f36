//! Cookie databases (Chromium `Cookies`, Firefox `cookies.sqlite`): find one site's rows,
//! save them exactly (every column, blobs included) and delete them in one transaction.
//!
//! Matching runs in Rust over the host and partition columns ([`super::site`]), so it is
//! the same tested code for every store and never a `LIKE` pattern.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use super::site::Site;
use crate::browsers::StoreKind;
use crate::error::{Error, Result};

/// One SQLite value, saved so that it comes back bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// INTEGER.
    Int(i64),
    /// REAL, as its IEEE-754 bits (JSON numbers would round).
    RealBits(u64),
    /// TEXT that is valid UTF-8.
    Text(String),
    /// TEXT that is not valid UTF-8, base64.
    TextB64(String),
    /// BLOB, base64.
    Blob(String),
}

impl Cell {
    fn from_ref(v: ValueRef<'_>) -> Cell {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::RealBits(f.to_bits()),
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Cell::Text(s.to_string()),
                Err(_) => Cell::TextB64(b64(t)),
            },
            ValueRef::Blob(b) => Cell::Blob(b64(b)),
        }
    }

    /// The value to bind; base64 from a backup file may be damaged.
    fn to_value(&self) -> std::result::Result<Value, base64::DecodeError> {
        let unb64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s);
        Ok(match self {
            Cell::Null => Value::Null,
            Cell::Int(i) => Value::Integer(*i),
            Cell::RealBits(b) => Value::Real(f64::from_bits(*b)),
            Cell::Text(s) => Value::Text(s.clone()),
            // rusqlite binds text as &str; invalid UTF-8 text is rebound as a blob cast back.
            Cell::TextB64(s) => Value::Blob(unb64(s)?),
            Cell::Blob(s) => Value::Blob(unb64(s)?),
        })
    }
}

/// Saved rows of one table, enough to put them back exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRows {
    /// The table (`cookies`, `moz_cookies`).
    pub table: String,
    /// Every column, in table order.
    pub columns: Vec<String>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// What a cookie store looks like to the matcher.
struct Layout {
    table: &'static str,
    host: &'static str,
    partition: &'static str,
}

fn layout(kind: StoreKind) -> Result<Layout> {
    match kind {
        StoreKind::ChromiumCookies => Ok(Layout {
            table: "cookies",
            host: "host_key",
            partition: "top_frame_site_key",
        }),
        StoreKind::FirefoxCookies => Ok(Layout {
            table: "moz_cookies",
            host: "host",
            partition: "originAttributes",
        }),
        other => Err(Error::Internal(format!(
            "{other:?} is not a cookie database"
        ))),
    }
}

fn matches(kind: StoreKind, site: &Site, host: &str, partition: &str) -> bool {
    match kind {
        StoreKind::ChromiumCookies => site.matches_chromium_cookie(host, partition),
        _ => site.matches_firefox_cookie(host, partition),
    }
}

/// Opens a cookie database through SQLite (so a Firefox WAL and a hot Chromium journal
/// are honoured). Read-write even to look: a WAL database cannot be read without its
/// `-shm`. A store another process holds fails with "database is locked".
pub fn open(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::sqlite_file(path, format!("cannot open {}", path.display()), e))?;
    conn.busy_timeout(Duration::from_millis(500))
        .map_err(|e| Error::sqlite_file(path, format!("cannot open {}", path.display()), e))?;
    Ok(conn)
}

/// Opens a database only to look, changing nothing: when a Chromium `-journal` is left
/// non-empty (a hot journal after a crash), opening normally would roll it back, so the
/// plan reads the main file as it is (`immutable=1`); apply backs the journal up first.
///
/// The flag is true when the connection sees the store as a write will (no hot journal).
pub fn open_to_look(path: &Path) -> Result<(Connection, bool)> {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    let hot = std::fs::symlink_metadata(&journal).is_ok_and(|m| m.is_file() && m.len() > 0);
    if !hot {
        return Ok((open(path)?, true));
    }
    let url = url::Url::from_file_path(path)
        .map_err(|()| Error::Internal(format!("{} is not an absolute path", path.display())))?;
    let uri = format!("{url}?immutable=1");
    Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map(|c| (c, false))
    .map_err(|e| Error::sqlite(format!("cannot open {}", path.display()), e))
}

/// The site's rows: rowid, host and name (never values). With `only`, just those rows are
/// read (and each checked again against the site), not the whole table.
pub fn find(
    conn: &Connection,
    kind: StoreKind,
    site: &Site,
    only: Option<&[i64]>,
) -> Result<Vec<(i64, String)>> {
    let l = layout(kind)?;
    let mut sql = format!(
        "SELECT rowid, {host}, {part}, name FROM {table}",
        host = l.host,
        part = l.partition,
        table = l.table
    );
    if let Some(ids) = only {
        // Integers only: nothing of the store's text is spliced into the statement.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" WHERE rowid IN ({})", list.join(",")));
    }
    let ctx = || format!("cannot read the {} table", l.table);
    let mut stmt = conn.prepare(&sql).map_err(|e| sqlite_err(conn, ctx(), e))?;
    let mut rows = stmt.query([]).map_err(|e| sqlite_err(conn, ctx(), e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| sqlite_err(conn, ctx(), e))? {
        // Borrowed text: no allocation for the (many) rows of other sites.
        let text = |i: usize| -> &str {
            match row.get_ref(i) {
                Ok(ValueRef::Text(t)) => std::str::from_utf8(t).unwrap_or(""),
                _ => "",
            }
        };
        if matches(kind, site, text(1), text(2)) {
            let rowid: i64 = row.get(0).map_err(|e| sqlite_err(conn, ctx(), e))?;
            out.push((rowid, text(3).to_string()));
        }
    }
    Ok(out)
}

/// The table's column names in table order, read as bytes: a damaged schema can hold a name
/// that is not UTF-8, which is an error here, not a panic (rusqlite's own `column_names`
/// panics on it).
fn column_names(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let ctx = || format!("cannot read the columns of {table}");
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(|e| sqlite_err(conn, ctx(), e))?;
    let mut rows = stmt.query([]).map_err(|e| sqlite_err(conn, ctx(), e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| sqlite_err(conn, ctx(), e))? {
        let name = match row.get_ref(1).map_err(|e| sqlite_err(conn, ctx(), e))? {
            ValueRef::Text(t) => std::str::from_utf8(t).map(str::to_string).ok(),
            _ => None,
        };
        out.push(name.ok_or_else(|| {
            damaged(
                conn,
                format!("the {table} table has a column whose name is not text"),
            )
        })?);
    }
    Ok(out)
}

/// An SQLite error on `conn`'s store: [`Error::sqlite_file`] for the file it has open.
fn sqlite_err(conn: &Connection, context: String, e: rusqlite::Error) -> Error {
    let path = conn.path().map(PathBuf::from).unwrap_or_default();
    Error::sqlite_file(&path, context, e)
}

/// A cookie database whose schema contradicts itself: the user's file is damaged.
fn damaged(conn: &Connection, what: String) -> Error {
    Error::BadFile {
        path: conn.path().map(PathBuf::from).unwrap_or_default(),
        message: format!(
            "{what}: the store is damaged; close the browser that owns it and move it aside \
             (the browser starts a new one, without its cookies)"
        ),
    }
}

/// Reads every column of the given rows.
pub fn save(conn: &Connection, kind: StoreKind, rowids: &[i64]) -> Result<SavedRows> {
    let l = layout(kind)?;
    let ctx = || format!("cannot save rows of {}", l.table);
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {} WHERE rowid = ?1", l.table))
        .map_err(|e| sqlite_err(conn, ctx(), e))?;
    let columns = column_names(conn, l.table)?;
    if columns.len() != stmt.column_count() {
        return Err(damaged(
            conn,
            format!(
                "the {} table lists {} columns but a row has {}",
                l.table,
                columns.len(),
                stmt.column_count()
            ),
        ));
    }
    let mut rows = Vec::with_capacity(rowids.len());
    for id in rowids {
        let mut q = stmt.query([id]).map_err(|e| sqlite_err(conn, ctx(), e))?;
        if let Some(row) = q.next().map_err(|e| sqlite_err(conn, ctx(), e))? {
            let mut cells = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                cells.push(Cell::from_ref(
                    row.get_ref(i).map_err(|e| sqlite_err(conn, ctx(), e))?,
                ));
            }
            rows.push(cells);
        }
    }
    Ok(SavedRows {
        table: l.table.to_string(),
        columns,
        rows,
    })
}

/// Deletes the given rows (inside the caller's transaction).
pub fn delete(conn: &Connection, kind: StoreKind, rowids: &[i64]) -> Result<usize> {
    let l = layout(kind)?;
    let mut stmt = conn
        .prepare(&format!("DELETE FROM {} WHERE rowid = ?1", l.table))
        .map_err(|e| sqlite_err(conn, format!("cannot delete from {}", l.table), e))?;
    let mut n = 0;
    for id in rowids {
        n += stmt
            .execute([id])
            .map_err(|e| sqlite_err(conn, format!("cannot delete from {}", l.table), e))?;
    }
    Ok(n)
}

/// Puts saved rows back (inside the caller's transaction): `INSERT OR REPLACE` with every
/// column, so a row the browser set again since is replaced by the saved one.
pub fn restore(conn: &Connection, saved: &SavedRows) -> Result<usize> {
    let rows = checked_values(saved).map_err(|why| {
        Error::malformed(format!(
            "the backup's saved rows of {:?} cannot be put back: {why}. The backup was \
             changed or damaged; these rows were not restored",
            saved.table
        ))
    })?;
    let sql_for = |row: &[Cell]| {
        // Text that is not UTF-8 is bound as a blob and cast back: the bytes stay exact.
        let placeholders: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                Cell::TextB64(_) => format!("CAST(?{} AS TEXT)", i + 1),
                _ => format!("?{}", i + 1),
            })
            .collect();
        // Names are checked plain identifiers; quoted, a keyword cannot change the SQL.
        let columns: Vec<String> = saved.columns.iter().map(|c| format!("\"{c}\"")).collect();
        format!(
            "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
            saved.table,
            columns.join(", "),
            placeholders.join(", ")
        )
    };
    let ctx = || format!("cannot restore rows of {}", saved.table);
    let mut n = 0;
    for (row, values) in saved.rows.iter().zip(&rows) {
        let mut stmt = conn
            .prepare_cached(&sql_for(row))
            .map_err(|e| sqlite_err(conn, ctx(), e))?;
        n += stmt
            .execute(rusqlite::params_from_iter(values.iter()))
            .map_err(|e| sqlite_err(conn, ctx(), e))?;
    }
    Ok(n)
}

/// The values of saved rows read from a backup file, or why they cannot be put back:
/// every name goes into SQL and every row must fit the columns, so all is checked before
/// the first row is written.
fn checked_values(saved: &SavedRows) -> std::result::Result<Vec<Vec<Value>>, String> {
    if !matches!(saved.table.as_str(), "cookies" | "moz_cookies") {
        return Err("the table is not a cookie table".into());
    }
    let plain = |c: &str| {
        !c.is_empty()
            && !c.starts_with(|ch: char| ch.is_ascii_digit())
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    for (i, c) in saved.columns.iter().enumerate() {
        if !plain(c) {
            return Err(format!("{c:?} is not a column name"));
        }
        if saved.columns[..i].contains(c) {
            return Err(format!("the column {c:?} is listed twice"));
        }
    }
    if saved.columns.is_empty() && !saved.rows.is_empty() {
        return Err("rows are listed without their columns".into());
    }
    saved
        .rows
        .iter()
        .enumerate()
        .map(|(n, row)| {
            if row.len() != saved.columns.len() {
                return Err(format!(
                    "row {} has {} cells for {} columns",
                    n + 1,
                    row.len(),
                    saved.columns.len()
                ));
            }
            row.iter()
                .map(|c| c.to_value())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| format!("row {} holds bad base64 ({e})", n + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_round_trips_exactly() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE cookies(host_key TEXT, name TEXT, v BLOB, r REAL, n INTEGER, t TEXT, z);
             INSERT INTO cookies VALUES ('a.test', 'x', x'00ff10', 0.1, -7, CAST(x'c328ff' AS TEXT), NULL);",
        )
        .unwrap();
        let saved = save(&c, StoreKind::ChromiumCookies, &[1]).unwrap();
        let before: Vec<Vec<u8>> = dump(&c);
        c.execute_batch("DELETE FROM cookies").unwrap();
        restore(&c, &saved).unwrap();
        assert_eq!(dump(&c), before);
    }

    #[test]
    fn a_file_that_is_no_database_is_a_bad_file_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cookies");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = open(&path)
            .and_then(|c| {
                find(
                    &c,
                    StoreKind::ChromiumCookies,
                    &Site::parse("a.test", false)?,
                    None,
                )
            })
            .unwrap_err();
        match &err {
            Error::BadFile { path: p, message } => {
                assert_eq!(p, &path);
                assert!(message.contains("move it aside"), "{message}");
            }
            other => panic!("not a bad file: {other:?}"),
        }
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_store_another_connection_holds_is_busy_by_its_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cookies");
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE cookies(host_key TEXT, name TEXT); BEGIN EXCLUSIVE;")
            .unwrap();
        let conn = open(&path).unwrap();
        conn.busy_timeout(Duration::from_millis(1)).unwrap();
        let err = find(
            &conn,
            StoreKind::ChromiumCookies,
            &Site::parse("a.test", false).unwrap(),
            None,
        )
        .unwrap_err();
        assert!(err.is_sqlite_busy(), "{err:?}");
        assert!(!Error::Internal("database is locked".into()).is_sqlite_busy());
    }

    fn dump(c: &Connection) -> Vec<Vec<u8>> {
        let mut s = c
            .prepare(
                "SELECT quote(host_key)||quote(name)||hex(v)||quote(r)||quote(n)||hex(t)
                 ||quote(z)||typeof(t)||typeof(v)||typeof(r) FROM cookies",
            )
            .unwrap();
        s.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|s| s.unwrap().into_bytes())
            .collect()
    }
}
