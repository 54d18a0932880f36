//! Hostile store files (issue 12, "Store safety"): valid files built by the test homes'
//! writers, then damaged byte by byte (overwritten, inserted, deleted, cut short), and
//! random bytes. Every reader answers `Ok` or a clear error, never a panic — one format at
//! a time, and all together through `stores::plan` over a damaged home. Random strings and
//! JSON are covered by the unit properties in `src/stores/proptests.rs`.

use std::path::Path;
use std::sync::OnceLock;

use fix401::browsers::StoreKind;
use fix401::stores::{self, Selection, Site, cache2, firefox_session, safari_cookies};
use fix401::stores::{simple_cache, sqlite_rows};
use fix401::{Os, System};
use proptest::prelude::*;

use crate::support::homes;

const HEAD: &str = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 5";

/// Failures are kept with the crate's other seeds, in `proptest-regressions/`.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/cli/store_files.txt",
            ),
        )),
        ..ProptestConfig::default()
    }
}

/// One damage to a file: where (often in the first bytes, where headers and lengths
/// are), which byte, and how: 0 overwrite, 1 insert, 2 delete, 3 cut the file there.
type Edit = (usize, u8, u8);

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let at = prop_oneof![0usize..128, any::<usize>()];
    prop::collection::vec((at, any::<u8>(), 0u8..4), 1..8)
}

fn damage(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for &(at, byte, how) in edits {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = at % b.len();
        match how {
            0 => b[i] = byte,
            1 => b.insert(i, byte),
            2 => {
                b.remove(i);
            }
            _ => b.truncate(i),
        }
    }
    b
}

fn site() -> Site {
    Site::parse("a.test", false).expect("site")
}

/// Replaces a file by a damaged copy of itself.
fn damage_file(path: &Path, edits: &[Edit]) {
    let bytes = std::fs::read(path).expect("read fixture");
    std::fs::write(path, damage(bytes, edits)).expect("write damaged fixture");
}

/// A session store as Firefox writes it: cookies at the top level and per window.
fn session_json() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": ["sessionrestore", 1],
        "windows": [{"tabs": [], "cookies": [
            {"host": ".a.test", "name": "sid", "value": "x", "path": "/"},
            {"host": "b.test", "name": "keep", "value": "y", "path": "/",
             "originAttributes": {"partitionKey": "(https,a.test,8080)"}}
        ]}],
        "cookies": [{"host": "www.a.test", "name": "top", "value": "z", "path": "/"}]
    }))
    .expect("session JSON")
}

/// A two-page jar with cookies of the site and of others.
fn binarycookies() -> Vec<u8> {
    let rec = |domain: &str, name: &str| safari_cookies::Record {
        raw: safari_cookies::record(domain, name, "/", "v", 5),
        domain: domain.into(),
        name: name.into(),
    };
    safari_cookies::write(&safari_cookies::Jar {
        pages: vec![
            vec![rec(".a.test", "sid"), rec("b.test", "keep")],
            vec![rec("www.a.test", "x")],
        ],
        tail: [0x07, 0x17, 0x20, 0x05, 0, 0, 0, 4]
            .into_iter()
            .chain(*b"bpli")
            .collect(),
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// A damaged Simple Cache entry gives a key or none; a scan of its folder does not panic.
    #[test]
    fn damaged_simple_cache_entries(edits in edits(), body in prop::collection::vec(any::<u8>(), 0..64)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = homes::simple_cache_key("https://a.test", "https://a.test/app.js");
        let path = homes::simple_cache_entry(dir.path(), &key, HEAD, &body);
        prop_assert_eq!(simple_cache::entry_key(&path), Some(key));
        damage_file(&path, &edits);
        let _ = simple_cache::entry_key(&path);
        let _ = simple_cache::scan(dir.path(), &site());
    }

    /// A damaged cache2 entry (offsets and sizes read from its end) gives a key or none.
    #[test]
    fn damaged_cache2_entries(edits in edits(), body in prop::collection::vec(any::<u8>(), 0..64)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = homes::cache2_key("https", "a.test", "https://a.test/app.js");
        let path = homes::cache2_entry(dir.path(), &key, HEAD, &body);
        prop_assert_eq!(cache2::entry_key(&path), Some(key));
        damage_file(&path, &edits);
        let _ = cache2::entry_key(&path);
        let _ = cache2::scan(dir.path(), &site());
    }

    /// Random bytes as cache entries, with or without the Simple magic, and as the
    /// `index` that tells Simple from Blockfile.
    #[test]
    fn random_cache_entries(bytes in prop::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut b = if magic { 0xfcfb_6d1b_a772_5c30_u64.to_le_bytes().to_vec() } else { Vec::new() };
        b.extend(&bytes);
        let simple = dir.path().join("0123456789abcdef_0");
        std::fs::write(&simple, &b).expect("write");
        let _ = simple_cache::entry_key(&simple);
        let _ = simple_cache::scan(dir.path(), &site());
        std::fs::create_dir_all(dir.path().join("entries")).expect("entries");
        let entry = dir.path().join("entries").join("0123456789ABCDEF0123456789ABCDEF01234567");
        std::fs::write(&entry, &b).expect("write");
        let _ = cache2::entry_key(&entry);
        let _ = cache2::scan(dir.path(), &site());
        std::fs::write(dir.path().join("index"), &b).expect("write");
        for os in [Os::Linux, Os::Windows] {
            let kind = fix401::browsers::discover::cache_backend(os, dir.path());
            prop_assert!(matches!(kind, StoreKind::ChromiumSimpleCache | StoreKind::ChromiumBlockfileCache));
        }
    }

    /// A damaged `Cookies.binarycookies`: a jar or an error naming the format.
    #[test]
    fn damaged_binarycookies(edits in edits()) {
        let file = binarycookies();
        let names = safari_cookies::filter(&file, &site()).expect("valid jar").map(|r| r.names).unwrap_or_default();
        prop_assert_eq!(names, ["sid", "x"]);
        if let Err(e) = safari_cookies::filter(&damage(file, &edits), &site()) {
            prop_assert!(e.to_string().contains("binarycookies"), "{}", e);
        }
    }

    /// A damaged mozlz4 session store: filtered, or an error saying what it is not.
    #[test]
    fn damaged_session_store(edits in edits()) {
        let file = firefox_session::encode(&session_json());
        let names = firefox_session::filter(&file, &site()).expect("valid session").map(|r| r.names).unwrap_or_default();
        prop_assert_eq!(names.len(), 3);
        if let Err(e) = firefox_session::filter(&damage(file, &edits), &site()) {
            prop_assert!(e.to_string().contains("session store"), "{}", e);
        }
    }
}

/// A valid cookie database of either schema with two rows of the site, built once (SQLite
/// writes are slow) and read back as bytes.
fn cookie_database(kind: StoreKind) -> &'static [u8] {
    static CHROMIUM: OnceLock<Vec<u8>> = OnceLock::new();
    static FIREFOX: OnceLock<Vec<u8>> = OnceLock::new();
    let cell = if kind == StoreKind::FirefoxCookies {
        &FIREFOX
    } else {
        &CHROMIUM
    };
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Cookies");
        if kind == StoreKind::FirefoxCookies {
            homes::firefox_cookies_db(&path);
            homes::firefox_cookie(&path, ".a.test", "sid", "v", "");
            homes::firefox_cookie(
                &path,
                "b.test",
                "keep",
                "v",
                "^partitionKey=%28https%2Ca.test%29",
            );
        } else {
            homes::chromium_cookies_db(&path);
            homes::chromium_cookie(&path, ".a.test", "sid", "");
            homes::chromium_cookie(&path, "b.test", "keep", "https://a.test");
        }
        std::fs::read(&path).expect("read database")
    })
}

/// The site's rows found and saved, as a clear from this file would.
fn find_and_save(path: &Path, kind: StoreKind) -> fix401::Result<usize> {
    let (c, _) = sqlite_rows::open_to_look(path)?;
    let rows = sqlite_rows::find(&c, kind, &site(), None)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    Ok(sqlite_rows::save(&c, kind, &ids)?.rows.len())
}

proptest! {
    #![proptest_config(config(128))]

    /// A damaged cookie database (either schema, header or pages): finding and saving the
    /// site's rows is `Ok` or an SQLite error naming what failed, never a panic.
    #[test]
    fn damaged_cookie_databases(edits in edits(), firefox in any::<bool>()) {
        let kind = if firefox { StoreKind::FirefoxCookies } else { StoreKind::ChromiumCookies };
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Cookies");
        std::fs::write(&path, cookie_database(kind)).expect("write database");
        prop_assert_eq!(find_and_save(&path, kind).expect("valid database"), 2);
        std::fs::write(&path, damage(cookie_database(kind).to_vec(), &edits)).expect("write");
        if let Err(e) = find_and_save(&path, kind) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(config(16))]

    /// A home whose every store is damaged: the plan lists what it can and skips the rest
    /// as unreadable with a reason; nothing panics.
    #[test]
    fn plan_over_a_home_of_damaged_stores(edits in prop::collection::vec(edits(), 7)) {
        let env = homes::env(Os::Linux);
        let chrome = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
        homes::chromium_cookie(&chrome.cookies, ".a.test", "sid", "");
        let entry = homes::simple_cache_entry(
            &chrome.cache,
            &homes::simple_cache_key("https://a.test", "https://a.test/x"),
            HEAD,
            b"body",
        );
        let firefox = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
        homes::firefox_cookie(&firefox.cookies, ".a.test", "sid", "v", "");
        let entry2 = homes::cache2_entry(
            &firefox.cache2,
            &homes::cache2_key("https", "a.test", "https://a.test/x"),
            HEAD,
            b"body",
        );
        std::fs::write(&firefox.session, firefox_session::encode(&session_json())).expect("session");
        let sys = System::simulated(Os::Linux, env.home());
        let sel = Selection { site: "a.test".into(), ..Selection::default() };
        let whole = fix401::browsers::discover(&sys).expect("valid home");
        let before = stores::plan(&sys, &whole, &sel).expect("a plan");
        // One cookie row per browser and three session cookies; one entry per cache.
        prop_assert_eq!((before.total_cookies, before.total_cache_entries), (5, 2));
        let files = [
            &chrome.cookies,
            &entry,
            &chrome.cache.join("index"),
            &firefox.cookies,
            &entry2,
            &firefox.session,
            &firefox.profiles_ini,
        ];
        for (file, e) in files.iter().zip(&edits) {
            damage_file(file, e);
        }
        let installations = match fix401::browsers::discover(&sys) {
            Ok(found) => found,
            Err(e) => {
                // A damaged profiles.ini may be refused as a whole, with the reason.
                prop_assert_eq!(e.exit_code(), 2, "{}", e);
                return Ok(());
            }
        };
        let plan = stores::plan(&sys, &installations, &sel).expect("a plan");
        for s in plan.profiles.iter().flat_map(|p| &p.skipped) {
            prop_assert!(!s.reason.is_empty());
        }
    }
}
