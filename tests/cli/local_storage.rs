//! Chromium's `Local Storage/leveldb` per site: `clear --site` removes every record of the
//! site's origins (items, `META:`, `METAACCESS:`) and nothing else, the backup keeps their
//! bytes, `undo` puts them back exactly. On a simulated home with a LevelDB written by
//! `rusty-leveldb` in Chromium's layout, and with real headless Chromium reading the values
//! back itself.

use std::path::{Path, PathBuf};

use fix401::Os;
use fix401::stores::local_storage;
use rusty_leveldb::{DB, LdbIterator, Options};

use crate::support::TestEnv;
use crate::support::homes;
use crate::support::http::BrowserSite;
use crate::support::real_browser::Chromium;

/// Every record of a LevelDB, in key order.
fn records(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let opt = Options {
        create_if_missing: false,
        ..Options::default()
    };
    let mut db = DB::open(dir, opt).unwrap();
    let mut it = db.new_iter().unwrap();
    let mut out = Vec::new();
    while let Some(kv) = it.next() {
        out.push(kv);
    }
    out
}

/// The records of storage keys that mention `host`.
fn records_of(all: &[(Vec<u8>, Vec<u8>)], host: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    all.iter()
        .filter(|(k, _)| {
            local_storage::storage_key_of(k)
                .is_some_and(|sk| String::from_utf8_lossy(sk).contains(host))
        })
        .cloned()
        .collect()
}

/// A Local Storage database laid out as Chromium writes it, for a.test's origins, its
/// look-alike and b.test.
fn chromium_local_storage(dir: &Path) {
    let mut db = DB::open(dir, Options::default()).unwrap();
    db.put(b"VERSION", b"1").unwrap();
    for origin in [
        "http://a.test:8080",
        "https://www.a.test",
        "https://cdn.b.test/^0https://a.test",
        "http://evil-a.test",
        "http://b.test:8080",
    ] {
        db.put(format!("META:{origin}").as_bytes(), b"\x08\x01\x10\x2a")
            .unwrap();
        db.put(format!("METAACCESS:{origin}").as_bytes(), b"\x08\x07")
            .unwrap();
        db.put(
            format!("_{origin}\x00\x01token").as_bytes(),
            format!("\x01tok {origin}").as_bytes(),
        )
        .unwrap();
    }
    db.close().unwrap();
}

/// A simulated Linux home whose Chrome profile has that database; its folder.
fn local_storage_home() -> (TestEnv, PathBuf) {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let ls = p.dir.join("Local Storage").join("leveldb");
    std::fs::create_dir_all(&ls).unwrap();
    chromium_local_storage(&ls);
    (env, ls)
}

#[test]
fn chromium_local_storage_records_per_site_with_exact_undo() {
    let (env, ls) = local_storage_home();
    let original = records(&ls);

    // The dry run names the store kind, the origins and the count, and writes nothing.
    let digest = crate::support::stores::hash_tree(&ls);
    let out = env
        .cmd([
            "clear",
            "--site",
            "a.test",
            "--storage",
            "--dry-run",
            "--json",
        ])
        .run()
        .code(0);
    let items: Vec<serde_json::Value> = out.json()["plan"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .filter(|i| i["kind"] == "chromium_local_storage")
        .collect();
    assert_eq!(items.len(), 1, "{}", out.stdout);
    assert_eq!(items[0]["action"]["type"], "storage_records");
    assert_eq!(items[0]["action"]["count"], 9);
    assert_eq!(
        items[0]["action"]["origins"],
        serde_json::json!([
            "http://a.test:8080",
            "https://cdn.b.test/^0https://a.test",
            "https://www.a.test"
        ])
    );
    assert!(!out.stdout.contains("tok "), "no value in the plan");
    assert_eq!(crate::support::stores::hash_tree(&ls), digest);
    env.cmd(["clear", "--site", "a.test", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("Local Storage: 9 storage records");

    let out = env
        .cmd(["clear", "--site", "a.test", "--storage", "--yes", "--json"])
        .run()
        .code(0);
    let id = out.json()["applied"]["backup_id"]
        .as_str()
        .unwrap()
        .to_string();
    let after = records(&ls);
    let expected: Vec<_> = original
        .iter()
        .filter(|(k, _)| {
            local_storage::storage_key_of(k).is_none_or(|sk| {
                let sk = String::from_utf8_lossy(sk);
                sk.starts_with("http://evil-a.test") || sk.starts_with("http://b.test")
            })
        })
        .cloned()
        .collect();
    assert_eq!(after, expected, "only a.test's records are gone");
    assert_eq!(original.len() - after.len(), 9);

    // The backup holds only those records, not the database.
    let backup = env.data_dir().join("backups").join(&id);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let mine: Vec<_> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "chromium_local_storage")
        .collect();
    assert_eq!(mine.len(), 1, "{manifest:#}");
    let item = mine[0];
    assert_eq!(item["saved"]["type"], "records");
    assert_eq!(item["saved"]["count"], 9);
    let saved =
        std::fs::read_to_string(backup.join(item["saved"]["file"].as_str().unwrap())).unwrap();
    assert!(
        !saved.contains("Yi50ZXN0"),
        "no b.test record in the backup"
    );

    env.cmd(["undo", &id]).run().code(0);
    assert_eq!(
        records(&ls),
        original,
        "undo puts every record back exactly"
    );
}

/// Real headless Chromium stores a token in `localStorage` for a.test and b.test; after
/// `clear --site a.test --yes` Chromium itself reads a.test's as gone and b.test's as
/// kept; `undo` brings a.test's back, read by Chromium again.
#[cfg(target_os = "linux")]
#[test]
fn real_chromium_local_storage_cleared_for_one_site_and_undone() {
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let chromium = Chromium::new(&env.home());
    let (a, b) = (server.url("a.test", "/"), server.url("b.test", "/"));
    let read = "localStorage.getItem('token')";
    let set = |host: &str| format!("localStorage.setItem('token', 'tok-{host}'); 'set'");
    let (set_a, set_b) = (set("a"), set("b"));
    chromium.evaluate_in_pages(&[(a.clone(), &set_a), (b.clone(), &set_b)]);
    let ls = chromium.profile_dir().join("Local Storage").join("leveldb");
    let before = records(&ls);
    let a_before = records_of(&before, "a.test");
    let b_before = records_of(&before, "b.test");
    assert!(
        a_before
            .iter()
            .any(|(k, _)| k.starts_with(b"_http://a.test:")),
        "Chromium wrote a.test's item: {a_before:?}"
    );
    assert!(!b_before.is_empty());

    env.cmd(["clear", "--site", "a.test", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("Local Storage: ");
    let out = env
        .cmd(["clear", "--site", "a.test", "--yes", "--json"])
        .run()
        .code(0);
    let id = out.json()["applied"]["backup_id"]
        .as_str()
        .unwrap()
        .to_string();
    let after = records(&ls);
    assert!(records_of(&after, "a.test").is_empty(), "{after:?}");
    assert_eq!(records_of(&after, "b.test"), b_before);

    let values = chromium.evaluate_in_pages(&[(a.clone(), read), (b.clone(), read)]);
    assert_eq!(values, [serde_json::Value::Null, "tok-b".into()]);

    env.cmd(["undo", &id]).run().code(0);
    let restored = records(&ls);
    for r in &a_before {
        assert!(restored.contains(r), "undo put back {r:?} exactly");
    }
    let values = chromium.evaluate_in_pages(&[(a, read), (b, read)]);
    assert_eq!(values, ["tok-a", "tok-b"]);
}

/// Killed after the records are saved, or after they are deleted: the database opens
/// whole and `undo` leaves it exactly as it was.
#[test]
fn a_crash_while_clearing_local_storage_leaves_a_restorable_backup() {
    for step in ["records-saved", "records-deleted", "before-complete"] {
        let (env, ls) = local_storage_home();
        let original = records(&ls);
        let out = env
            .cmd(["clear", "--site", "a.test", "--storage", "--yes"])
            .env("FIX401_FAULT", step)
            .run();
        assert_eq!(out.code, None, "{step}: killed by abort\n{}", out.stderr);
        env.cmd(["undo"]).run().code(0);
        assert_eq!(records(&ls), original, "{step}");
    }
}
