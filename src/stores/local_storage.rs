//! Chromium `Local Storage/leveldb`: one LevelDB for every origin's `localStorage`, edited
//! per site with `rusty-leveldb` (never by hand), only while the browser is closed.
//!
//! The layout (chromium `components/services/storage/dom_storage/leveldb/
//! local_storage_leveldb.cc`): `VERSION` = `1`; per storage key `META:<key>` (last
//! modified, size) and `METAACCESS:<key>` (last access), both protobufs; its items under
//! `_<key>\x00<format byte><item key>` (the format byte says UTF-16 or Latin-1). The storage
//! key is `StorageKey::SerializeForLocalStorage`: the origin (`http://a.test:8080`) for a
//! first-party key, `https://a.test/^0https://top.test` for one partitioned under a
//! top-level site. A site's records are every record of a storage key whose origin is of
//! the site (any scheme of http/https, any port, subdomains by [`Site`]'s rules) or whose
//! top-level site is the site, as for partitioned cookies.
//!
//! Looking never writes: [`find`] opens a copy of the files held in memory (opening a
//! LevelDB replays its log into a new table and rewrites its manifest). [`remove`] and
//! [`restore`] open the store itself; the backup keeps the removed records' key and value
//! bytes exactly.

use std::path::Path;

use base64::Engine;
use rusty_leveldb::{DB, LdbIterator, Options, WriteBatch};
use serde::{Deserialize, Serialize};

use super::site::Site;
use crate::error::{Error, Result};

/// The prefix of an origin's items.
const ITEM_PREFIX: &[u8] = b"_";
/// The prefix of an origin's write metadata (must be told from [`ACCESS_PREFIX`]).
const META_PREFIX: &[u8] = b"META:";
/// The prefix of an origin's access metadata.
const ACCESS_PREFIX: &[u8] = b"METAACCESS:";

/// The records of one site found in a Local Storage database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The storage keys (origins) they belong to, sorted, each once.
    pub origins: Vec<String>,
    /// Every record: key and value bytes.
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Found {
    /// Bytes of the records' keys and values.
    pub fn bytes(&self) -> u64 {
        self.records
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum()
    }
}

/// Records removed from a Local Storage database, as a backup keeps them: key and value
/// bytes in base64, so that any byte survives JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRecords {
    /// The storage keys they belonged to.
    pub origins: Vec<String>,
    /// The records.
    pub records: Vec<SavedRecord>,
}

/// One removed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRecord {
    /// The key bytes, base64.
    pub key: String,
    /// The value bytes, base64.
    pub value: String,
}

impl SavedRecords {
    fn from_found(found: &Found) -> SavedRecords {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        SavedRecords {
            origins: found.origins.clone(),
            records: found
                .records
                .iter()
                .map(|(k, v)| SavedRecord {
                    key: b64(k),
                    value: b64(v),
                })
                .collect(),
        }
    }

    /// The records as bytes, or why the backup cannot be used.
    fn decoded(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let unb64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s);
        self.records
            .iter()
            .map(|r| match (unb64(&r.key), unb64(&r.value)) {
                (Ok(k), Ok(v)) if storage_key_of(&k).is_some() => Ok((k, v)),
                _ => Err(Error::malformed(
                    "the backup's saved Local Storage records are not what fix401 wrote (a \
                     key or value is not base64, or a key is no origin's record); the backup \
                     was changed or damaged and nothing was restored"
                        .to_string(),
                )),
            })
            .collect()
    }
}

/// The serialized storage key a record belongs to: `_<key>\x00…`, `META:<key>`,
/// `METAACCESS:<key>`; `None` for every other record (`VERSION`).
pub fn storage_key_of(key: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = key.strip_prefix(ACCESS_PREFIX) {
        return Some(rest);
    }
    if let Some(rest) = key.strip_prefix(META_PREFIX) {
        return Some(rest);
    }
    let rest = key.strip_prefix(ITEM_PREFIX)?;
    let end = rest.iter().position(|b| *b == 0)?;
    Some(&rest[..end])
}

/// True when a serialized storage key belongs to the site: its origin is an http(s) origin
/// of the site, or it is partitioned under the site as its top-level site (`^0<site>`).
pub fn matches_storage_key(site: &Site, storage_key: &str) -> bool {
    let mut parts = storage_key.split('^');
    let origin = parts.next().unwrap_or_default();
    let own = url::Url::parse(origin).ok().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| site.matches_host(h))
    });
    own || parts.any(|p| {
        p.strip_prefix('0')
            .is_some_and(|top| site.matches_top_site(top))
    })
}

/// Options that read and write what Chromium does: the byte-wise comparator (the default)
/// and Snappy blocks; an existing database only.
fn options() -> Options {
    Options {
        create_if_missing: false,
        compressor:
            <rusty_leveldb::compressor::SnappyCompressor as rusty_leveldb::CompressorId>::ID,
        ..Options::default()
    }
}

fn ldb_error(dir: &Path, what: &str, e: rusty_leveldb::Status) -> Error {
    Error::BadFile {
        path: dir.to_path_buf(),
        message: format!("cannot {what} this Local Storage database (LevelDB: {e})"),
    }
}

/// Every record of the site in an open database.
fn scan(db: &mut DB, dir: &Path, site: &Site) -> Result<Found> {
    let mut it = db.new_iter().map_err(|e| ldb_error(dir, "read", e))?;
    let mut found = Found::default();
    // Every origin has several records: its storage key is parsed as a URL once, not per
    // record (the parse is most of a scan's time).
    let mut verdicts: std::collections::HashMap<Vec<u8>, bool> = Default::default();
    while it.advance() {
        let Some((k, v)) = it.current() else { break };
        let Some(sk) = storage_key_of(&k) else {
            continue;
        };
        let hit = match verdicts.get(sk) {
            Some(hit) => *hit,
            None => {
                let hit = std::str::from_utf8(sk).is_ok_and(|s| matches_storage_key(site, s));
                verdicts.insert(sk.to_vec(), hit);
                hit
            }
        };
        if !hit {
            continue;
        }
        let Ok(sk) = std::str::from_utf8(sk) else {
            continue;
        };
        if !found.origins.iter().any(|o| o == sk) {
            found.origins.push(sk.to_string());
        }
        found.records.push((k.to_vec(), v.to_vec()));
    }
    found.origins.sort();
    Ok(found)
}

/// The site's records, read from a copy of the database's files held in memory: the store
/// on disk is never written (opening a LevelDB replays its log and rewrites its manifest).
pub fn find(dir: &Path, site: &Site) -> Result<Found> {
    let env = rusty_leveldb::MemEnv::new();
    let mem = Path::new("/local-storage");
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        let name = entry.file_name();
        // The lock belongs to the browser's process; a copy needs none.
        if name == "LOCK" || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut super::files::open_nofollow(&path)
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?,
            &mut bytes,
        )
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let mut w = rusty_leveldb::env::Env::open_writable_file(&env, &mem.join(&name))
            .map_err(|e| ldb_error(dir, "copy", e))?;
        w.write_all(&bytes)
            .map_err(|e| Error::io(format!("cannot copy {}", path.display()), e))?;
    }
    let mut opt = options();
    opt.env = std::rc::Rc::new(Box::new(env));
    let mut db = DB::open(mem, opt).map_err(|e| ldb_error(dir, "open", e))?;
    scan(&mut db, dir, site)
}

/// The records of the storage keys `origins` (and of the site), found by seeking to each
/// key's three prefixes instead of reading every record: an origin's records sit together.
fn seek_origins(db: &mut DB, dir: &Path, site: &Site, origins: &[String]) -> Result<Found> {
    let mut it = db.new_iter().map_err(|e| ldb_error(dir, "read", e))?;
    let mut found = Found::default();
    for origin in origins.iter().filter(|o| matches_storage_key(site, o)) {
        let o = origin.as_bytes();
        for prefix in [
            [ITEM_PREFIX, o, b"\x00"].concat(),
            [META_PREFIX, o].concat(),
            [ACCESS_PREFIX, o].concat(),
        ] {
            it.seek(&prefix);
            while it.valid() {
                let Some((k, v)) = it.current() else { break };
                if !k.starts_with(&prefix) {
                    break;
                }
                // `META:http://a.test` also starts `META:http://a.test:8080`.
                if storage_key_of(&k) == Some(o) {
                    found.records.push((k.to_vec(), v.to_vec()));
                    if !found.origins.contains(origin) {
                        found.origins.push(origin.clone());
                    }
                }
                if !it.advance() {
                    break;
                }
            }
        }
    }
    found.origins.sort();
    Ok(found)
}

/// Removes the site's records from the database itself, in one synced batch: every record
/// of the site, or with `only` the records of those storage keys (the ones the plan found,
/// found again here by seeking, so a large database is not read a second time). `save`
/// gets them first and must keep them (the backup); nothing is deleted when it fails. The
/// number of records removed.
pub fn remove(
    dir: &Path,
    site: &Site,
    only: Option<&[String]>,
    save: impl FnOnce(&Found, &SavedRecords) -> Result<()>,
) -> Result<usize> {
    let mut db = DB::open(dir, options()).map_err(|e| ldb_error(dir, "open", e))?;
    let found = match only {
        Some(origins) => seek_origins(&mut db, dir, site, origins)?,
        None => scan(&mut db, dir, site)?,
    };
    if found.records.is_empty() {
        return Ok(0);
    }
    save(&found, &SavedRecords::from_found(&found))?;
    super::fault("records-saved");
    let mut batch = WriteBatch::default();
    for (k, _) in &found.records {
        batch.delete(k);
    }
    db.write(batch, true)
        .map_err(|e| ldb_error(dir, "write", e))?;
    db.close().map_err(|e| ldb_error(dir, "close", e))?;
    super::fault("records-deleted");
    Ok(found.records.len())
}

/// Puts saved records back, key and value bytes exactly, in one synced batch (a record the
/// browser wrote again since is replaced by the saved one, as rows are). The number put
/// back.
pub fn restore(dir: &Path, saved: &SavedRecords) -> Result<usize> {
    let records = saved.decoded()?;
    let mut db = DB::open(dir, options()).map_err(|e| ldb_error(dir, "open", e))?;
    let mut batch = WriteBatch::default();
    for (k, v) in &records {
        batch.put(k, v);
    }
    db.write(batch, true)
        .map_err(|e| ldb_error(dir, "write", e))?;
    db.close().map_err(|e| ldb_error(dir, "close", e))?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(s: &str) -> Site {
        Site::parse(s, false).unwrap()
    }

    /// A database as Chromium lays it out: the version, and per origin its metadata and
    /// items (a Latin-1 and a UTF-16 key).
    fn chromium_like(dir: &Path, origins: &[&str]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut opt = options();
        opt.create_if_missing = true;
        let mut db = DB::open(dir, opt).unwrap();
        let mut all = vec![(b"VERSION".to_vec(), b"1".to_vec())];
        for o in origins {
            all.push(([META_PREFIX, o.as_bytes()].concat(), vec![8, 1, 16, 42]));
            all.push(([ACCESS_PREFIX, o.as_bytes()].concat(), vec![8, 7]));
            all.push((
                [b"_", o.as_bytes(), b"\x00\x01token"].concat(),
                [b"\x01tok-", o.as_bytes()].concat(),
            ));
            all.push((
                [b"_", o.as_bytes(), b"\x00\x00k\x00\xe9\x00"].concat(),
                vec![0, 0xff, 0xfe, 0],
            ));
        }
        for (k, v) in &all {
            db.put(k, v).unwrap();
        }
        db.flush().unwrap();
        // Half in a table, half in the log: both must be read.
        db.put(b"_http://late.a.test\x00\x01x", b"\x01y").unwrap();
        all.push((b"_http://late.a.test\x00\x01x".to_vec(), b"\x01y".to_vec()));
        db.close().unwrap();
        all
    }

    fn contents(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut db = DB::open(dir, options()).unwrap();
        let mut it = db.new_iter().unwrap();
        let mut out = Vec::new();
        while let Some((k, v)) = it.next() {
            out.push((k, v));
        }
        out
    }

    #[test]
    fn storage_keys_of_items_and_metadata() {
        assert_eq!(
            storage_key_of(b"META:http://a.test"),
            Some(&b"http://a.test"[..])
        );
        assert_eq!(
            storage_key_of(b"METAACCESS:https://a.test:8443"),
            Some(&b"https://a.test:8443"[..])
        );
        assert_eq!(
            storage_key_of(b"_https://a.test/^0https://b.test\x00\x01k"),
            Some(&b"https://a.test/^0https://b.test"[..])
        );
        assert_eq!(storage_key_of(b"VERSION"), None);
        assert_eq!(storage_key_of(b"_no-separator"), None);
    }

    #[test]
    fn storage_keys_match_by_the_site_rules() {
        let a = site("a.test");
        for yes in [
            "http://a.test",
            "https://a.test:8443",
            "http://sub.a.test:8080",
            "https://cdn.b.test/^0https://a.test",
        ] {
            assert!(matches_storage_key(&a, yes), "{yes}");
        }
        for no in [
            "http://b.test",
            "http://evil-a.test",
            "http://a.test.evil",
            "chrome-extension://a.test",
            "https://a.test.b.test/^0https://b.test",
            "garbage",
        ] {
            assert!(!matches_storage_key(&a, no), "{no}");
        }
        let exact = Site::parse("www.a.test", true).unwrap();
        assert!(matches_storage_key(&exact, "http://www.a.test:1"));
        assert!(!matches_storage_key(&exact, "http://a.test"));
        assert!(!matches_storage_key(&exact, "http://api.a.test"));
    }

    #[test]
    fn looking_writes_nothing_and_finds_only_the_sites_records() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("leveldb");
        let all = chromium_like(
            &dir,
            &[
                "http://a.test:8080",
                "https://www.a.test",
                "http://b.test:8080",
                "http://evil-a.test",
            ],
        );
        let before = super::super::files::tree_digest(&dir).unwrap();
        let found = find(&dir, &site("a.test")).unwrap();
        assert_eq!(super::super::files::tree_digest(&dir).unwrap(), before);
        assert_eq!(
            found.origins,
            [
                "http://a.test:8080",
                "http://late.a.test",
                "https://www.a.test"
            ]
        );
        assert_eq!(found.records.len(), 9);
        for (k, _) in &found.records {
            let sk = std::str::from_utf8(storage_key_of(k).unwrap()).unwrap();
            assert!(sk.contains("a.test") && !sk.contains("evil"), "{sk}");
        }
        assert!(found.records.iter().all(|r| all.contains(r)));
    }

    #[test]
    fn remove_then_restore_is_exact_and_leaves_other_sites_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("leveldb");
        chromium_like(&dir, &["http://a.test:8080", "http://b.test:8080"]);
        let original = contents(&dir);
        let mut kept = None;
        let n = remove(&dir, &site("a.test"), None, |_, saved| {
            kept = Some(saved.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 5);
        let after = contents(&dir);
        assert_eq!(after.len(), original.len() - 5);
        assert!(
            after.iter().all(|(k, _)| {
                storage_key_of(k).is_none_or(|sk| sk.starts_with(b"http://b.test"))
            })
        );
        // The backup's JSON round trip keeps every byte.
        let saved: SavedRecords =
            serde_json::from_slice(&serde_json::to_vec(&kept.unwrap()).unwrap()).unwrap();
        assert_eq!(restore(&dir, &saved).unwrap(), 5);
        assert_eq!(contents(&dir), original);
    }

    #[test]
    fn removing_the_planned_origins_by_seeking_takes_exactly_what_a_scan_finds() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("leveldb");
        chromium_like(
            &dir,
            &["http://a.test", "http://a.test:8080", "http://b.test"],
        );
        let planned = find(&dir, &site("a.test")).unwrap();
        let mut removed = None;
        let n = remove(&dir, &site("a.test"), Some(&planned.origins), |found, _| {
            removed = Some(found.clone());
            Ok(())
        })
        .unwrap();
        let mut removed = removed.unwrap();
        removed.records.sort();
        let mut want = planned.clone();
        want.records.sort();
        assert_eq!(removed, want);
        assert_eq!(n, planned.records.len());
        assert!(find(&dir, &site("a.test")).unwrap().records.is_empty());
        // A storage key that is not the site's is never taken, whatever the list says.
        let n = remove(
            &dir,
            &site("a.test"),
            Some(&["http://b.test".into()]),
            |_, _| Ok(()),
        );
        assert_eq!(n.unwrap(), 0);
        assert!(!find(&dir, &site("b.test")).unwrap().records.is_empty());
    }

    #[test]
    fn a_failed_save_deletes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("leveldb");
        chromium_like(&dir, &["http://a.test"]);
        let original = contents(&dir);
        let e = remove(&dir, &site("a.test"), None, |_, _| {
            Err(Error::Internal("disk full".into()))
        });
        assert!(e.is_err());
        assert_eq!(contents(&dir), original);
    }

    #[test]
    fn a_forged_backup_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("leveldb");
        chromium_like(&dir, &["http://a.test"]);
        let original = contents(&dir);
        for key in ["!!!", "VkVSU0lPTg=="] {
            let saved = SavedRecords {
                origins: vec![],
                records: vec![SavedRecord {
                    key: key.into(),
                    value: "MA==".into(),
                }],
            };
            assert!(restore(&dir, &saved).is_err(), "{key}");
        }
        assert_eq!(contents(&dir), original);
    }
}
