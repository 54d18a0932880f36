//! `fix401 clear` / `fix401 undo` on simulated homes (Linux, macOS, Windows) with stores
//! built from the real schemas and formats: only the site's data goes, a backup comes
//! first, undo is exact, links are never followed, a running browser is refused, and a
//! crash at any step leaves sound stores and a restorable backup.

use std::path::Path;

use fix401::Os;

use crate::support::TestEnv;
use crate::support::homes::{self, ChromiumProfile, FirefoxProfile};
use crate::support::http::BrowserSite;
use crate::support::real_browser;
use crate::support::stores::{assert_integrity, dump_rows, hash_tree, hosts, walk};

const HEAD: &str =
    "HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nContent-Type: text/javascript";

/// A Chrome profile with cookies and cache entries of a.test, its look-alikes and b.test.
fn chrome_home(os: Os) -> (TestEnv, ChromiumProfile) {
    let env = homes::env(os);
    let p = homes::chromium_profile(&env, os, "chrome", "Default");
    for (host, name, top) in [
        ("a.test", "host_only", ""),
        (".a.test", "domain", ""),
        ("sub.a.test", "sub", ""),
        (".sub.a.test", "subdomain", ""),
        ("cdn.b.test", "partitioned_under_a", "https://a.test"),
        ("evil-a.test", "lookalike", ""),
        ("a.test.evil", "suffix", ""),
        ("axtest", "underscore_wildcard", ""),
        ("b.test", "other_site", ""),
        (".b.test", "other_domain", ""),
    ] {
        homes::chromium_cookie(&p.cookies, host, name, top);
    }
    if os != Os::Windows {
        for (site, url) in [
            ("http://a.test", "http://a.test/static.js"),
            ("http://a.test", "http://cdn.b.test/lib.js"),
            ("http://b.test", "http://b.test/static.js"),
            ("http://b.test", "http://www.a.test/embedded.js"),
            ("http://evil-a.test", "http://evil-a.test/x.js"),
        ] {
            homes::simple_cache_entry(
                &p.cache,
                &homes::simple_cache_key(site, url),
                HEAD,
                url.as_bytes(),
            );
        }
    }
    (env, p)
}

fn firefox_home(os: Os) -> (TestEnv, FirefoxProfile) {
    let env = homes::env(os);
    let p = homes::firefox_profile(&env, os, "firefox", "default-release");
    for (host, name, oa) in [
        ("a.test", "host_only", ""),
        (".a.test", "domain", ""),
        (".www.a.test", "www", "^userContextId=2"),
        (
            "cdn.b.test",
            "partitioned",
            "^partitionKey=%28https%2Ca.test%29",
        ),
        (
            "cdn.b.test",
            "partitioned_port",
            "^partitionKey=%28http%2Ca.test%2C8080%29",
        ),
        ("a_test.b", "underscore", ""),
        ("evil-a.test", "lookalike", ""),
        ("b.test", "other_site", ""),
        (
            "cdn.b.test",
            "other_partition",
            "^partitionKey=%28https%2Cb.test%29",
        ),
    ] {
        homes::firefox_cookie(&p.cookies, host, name, "secret-value", oa);
    }
    for (scheme, site, url) in [
        ("http", "a.test", "http://a.test/static.js"),
        ("http", "b.test", "http://b.test/static.js"),
        ("http", "a.test", "http://cdn.b.test/lib.js"),
        ("http", "b.test", "http://b.test/other.js"),
    ] {
        homes::cache2_entry(
            &p.cache2,
            &homes::cache2_key(scheme, site, url),
            HEAD,
            url.as_bytes(),
        );
    }
    std::fs::write(p.cache2.join("index"), [0, 0, 0, 13]).unwrap();
    std::fs::create_dir_all(p.storage.join("https+++b.test/ls")).unwrap();
    std::fs::write(p.storage.join("https+++a.test/ls-data"), b"a").unwrap();
    std::fs::create_dir_all(
        p.storage
            .join("https+++cdn.b.test^partitionKey=%28https%2Ca.test%29"),
    )
    .unwrap();
    (env, p)
}

fn names_left(db: &Path, table: &str, host_col: &str) -> Vec<String> {
    hosts(db, table, host_col)
        .into_iter()
        .map(|h| h.rsplit('|').next().unwrap().to_string())
        .collect()
}

#[test]
fn chromium_cookies_and_simple_cache_per_site_with_exact_undo_on_every_os() {
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        let (env, p) = chrome_home(os);
        let rows_before = dump_rows(&p.cookies, "cookies");
        let cache_before = hash_tree(&p.cache);

        // Dry run: counts and names, never values; nothing changes.
        let out = env
            .cmd([
                "clear",
                "--site",
                "https://www.a.test/login",
                "--dry-run",
                "--json",
            ])
            .run()
            .code(0);
        let plan = &out.json()["plan"];
        assert_eq!(plan["total_cookies"], 5, "{os:?}: {}", out.stdout);
        assert!(!out.stdout.contains("v10"), "no cookie value in the plan");
        if os != Os::Windows {
            assert_eq!(plan["total_cache_entries"], 3, "{os:?}: {}", out.stdout);
        } else {
            assert!(out.stdout.contains("whole_cache"), "{}", out.stdout);
        }
        assert_eq!(dump_rows(&p.cookies, "cookies"), rows_before);

        let out = env
            .cmd(["clear", "--site", "www.a.test", "--yes", "--json"])
            .run()
            .code(0);
        let applied = &out.json()["applied"];
        assert_eq!(applied["cookies"], 5, "{}", out.stdout);
        let mut left = names_left(&p.cookies, "cookies", "host_key");
        left.sort();
        assert_eq!(
            left,
            [
                "lookalike",
                "other_domain",
                "other_site",
                "suffix",
                "underscore_wildcard"
            ],
            "{os:?}"
        );
        assert_integrity(&p.cookies);
        let meta: String = rusqlite::Connection::open(&p.cookies)
            .unwrap()
            .query_row("SELECT value FROM meta WHERE key='version'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(meta, "24");
        if os != Os::Windows {
            let keys: Vec<String> = std::fs::read_dir(&p.cache)
                .unwrap()
                .filter_map(|e| fix401::stores::simple_cache::entry_key(&e.unwrap().path()))
                .collect();
            assert_eq!(keys.len(), 2, "{keys:?}");
            assert!(
                keys.iter()
                    .all(|k| k.contains("b.test/static.js") || k.contains("evil-a")),
                "{keys:?}"
            );
        } else {
            assert!(!p.cache.exists(), "Blockfile cache is moved aside whole");
        }

        let list = env.cmd(["undo", "--list", "--json"]).run().code(0).json();
        assert_eq!(list["backups"].as_array().unwrap().len(), 1);
        assert_eq!(list["backups"][0]["rows"], 5);

        env.cmd(["undo"]).run().code(0).stdout_has("Restored");
        assert_eq!(
            dump_rows(&p.cookies, "cookies"),
            rows_before,
            "{os:?}: rows back exactly"
        );
        assert_eq!(
            hash_tree(&p.cache),
            cache_before,
            "{os:?}: cache files back byte for byte"
        );
        assert_integrity(&p.cookies);
        env.cmd(["undo"])
            .run()
            .code(2)
            .stderr_has("nothing to undo");
    }
}

#[test]
fn firefox_cookies_wal_cache2_and_storage_per_site_with_exact_undo() {
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        let (env, p) = firefox_home(os);
        let cache_before = hash_tree(&p.cache2);
        let storage_before = hash_tree(&p.storage);
        // A row that exists only in the WAL (as Firefox leaves it): fix401 must read the
        // store through SQLite, never the main file alone.
        leave_row_in_wal(&p.cookies);
        let mut wal = p.cookies.clone().into_os_string();
        wal.push("-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        let rows_before = dump_rows(&p.cookies, "moz_cookies");

        let out = env
            .cmd(["clear", "--site", "a.test", "--yes", "--json"])
            .run()
            .code(0);
        let applied = &out.json()["applied"];
        assert_eq!(applied["cookies"], 6, "{os:?} {}", out.stdout);
        let mut left = names_left(&p.cookies, "moz_cookies", "host");
        left.sort();
        assert_eq!(
            left,
            ["lookalike", "other_partition", "other_site", "underscore"]
        );
        assert_integrity(&p.cookies);
        let v: i64 = rusqlite::Connection::open(&p.cookies)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 17);
        let remaining: Vec<String> = std::fs::read_dir(p.cache2.join("entries"))
            .unwrap()
            .filter_map(|e| fix401::stores::cache2::entry_key(&e.unwrap().path()))
            .collect();
        assert_eq!(remaining.len(), 2, "{remaining:?}");
        assert!(remaining.iter().all(|k| k.contains("%2Cb.test%29")));
        assert!(
            !p.cache2.join("index").exists(),
            "index dropped so Firefox rebuilds it"
        );
        assert!(!p.storage.join("https+++a.test").exists());
        assert!(p.storage.join("https+++b.test").exists());

        env.cmd(["undo", "--json"]).run().code(0);
        assert_eq!(dump_rows(&p.cookies, "moz_cookies"), rows_before);
        assert_eq!(hash_tree(&p.cache2), cache_before);
        assert_eq!(hash_tree(&p.storage), storage_before);
    }
}

#[test]
fn exact_host_and_kind_flags() {
    let (env, p) = chrome_home(Os::Linux);
    let cache_before = hash_tree(&p.cache);
    env.cmd([
        "clear",
        "--site",
        "sub.a.test",
        "--exact-host",
        "--cookies",
        "--yes",
    ])
    .run()
    .code(0)
    .stdout_has("Cleared 2 cookies for sub.a.test.");
    let left = names_left(&p.cookies, "cookies", "host_key");
    assert!(!left.contains(&"sub".to_string()) && !left.contains(&"subdomain".to_string()));
    assert!(left.contains(&"host_only".to_string()) && left.contains(&"domain".to_string()));
    assert_eq!(
        hash_tree(&p.cache),
        cache_before,
        "--cookies leaves the cache alone"
    );
}

#[test]
fn no_confirmation_without_a_terminal_and_bad_site() {
    let (env, p) = chrome_home(Os::Linux);
    let before = dump_rows(&p.cookies, "cookies");
    env.cmd(["clear", "--site", "a.test"])
        .run()
        .code(2)
        .stderr_has("--yes");
    assert_eq!(dump_rows(&p.cookies, "cookies"), before);
    env.cmd(["clear", "--site", "exa mple.com", "--yes"])
        .run()
        .code(2);
    env.cmd([
        "clear",
        "--site",
        "a.test",
        "--browser",
        "netscape",
        "--yes",
    ])
    .run()
    .code(2)
    .stderr_has("unknown browser");
    env.cmd(["undo", "nope"]).run().code(2).stderr_has("--list");
}

#[test]
fn symlinked_entries_pointing_outside_stay_untouched() {
    let (env, p) = chrome_home(Os::Linux);
    let outside = env.home().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A real entry of a.test, but the file in the cache is a link to it outside.
    let real = homes::simple_cache_entry(
        &outside,
        &homes::simple_cache_key("http://a.test", "http://a.test/linked.js"),
        HEAD,
        b"outside",
    );
    let link = p.cache.join(real.file_name().unwrap());
    std::os::unix::fs::symlink(&real, &link).unwrap();
    // A storage folder of a.test that is a link to an outside folder.
    std::fs::write(outside.join("precious"), b"keep").unwrap();
    std::fs::create_dir_all(&p.indexed_db).unwrap();
    std::os::unix::fs::symlink(
        &outside,
        p.indexed_db.join("https_www.a.test_0.indexeddb.leveldb"),
    )
    .unwrap();
    let outside_before = hash_tree(&outside);

    let out = env
        .cmd(["clear", "--site", "a.test", "--yes", "--json"])
        .run()
        .code(0);
    let json = out.json();
    let skipped = json["plan"]["profiles"][0]["skipped"].to_string();
    assert!(skipped.contains("symlink"), "{}", out.stdout);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(hash_tree(&outside), outside_before);
    env.cmd(["undo"]).run().code(0);
    assert_eq!(hash_tree(&outside), outside_before);
}

#[test]
fn a_running_browser_is_refused_and_nothing_changes() {
    let (env, p) = chrome_home(Os::Linux);
    let host = fix401::browsers::running::hostname().unwrap();
    p.singleton_lock(&host, std::process::id());
    let rows = dump_rows(&p.cookies, "cookies");
    let cache = hash_tree(&p.cache);
    let out = env
        .cmd(["clear", "--site", "a.test", "--dry-run"])
        .run()
        .code(0);
    assert!(out.stdout.contains("close Google Chrome"), "{}", out.stdout);
    // Plan made while it was closed, applied while it runs: refused.
    let installs =
        fix401::browsers::discover(&fix401::System::simulated(Os::Linux, env.home())).unwrap();
    let _ = installs;
    env.cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(1)
        .stderr_has("Google Chrome is RUNNING");
    assert_eq!(dump_rows(&p.cookies, "cookies"), rows);
    assert_eq!(hash_tree(&p.cache), cache);
    assert!(
        !env.data_dir().join("backups").exists()
            || std::fs::read_dir(env.data_dir().join("backups"))
                .unwrap()
                .count()
                == 0
    );
}

#[test]
fn a_crash_at_any_step_leaves_sound_stores_and_a_restorable_backup() {
    for step in [
        "rows-saved",
        "rows-deleted",
        "committed",
        "file-moved",
        "before-complete",
    ] {
        let (env, c) = chrome_home(Os::Linux);
        let f = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
        homes::firefox_cookie(&f.cookies, "a.test", "ff", "v", "");
        homes::firefox_cookie(&f.cookies, "b.test", "ff_b", "v", "");
        let chrome_rows = dump_rows(&c.cookies, "cookies");
        let ff_rows = dump_rows(&f.cookies, "moz_cookies");
        let cache = hash_tree(&c.cache);
        let out = env
            .cmd(["clear", "--site", "a.test", "--yes"])
            .env("FIX401_FAULT", step)
            .run();
        assert_eq!(out.code, None, "{step}: killed by abort\n{}", out.stderr);
        assert_integrity(&c.cookies);
        assert_integrity(&f.cookies);
        env.cmd(["undo"]).run().code(0);
        assert_eq!(dump_rows(&c.cookies, "cookies"), chrome_rows, "{step}");
        assert_eq!(dump_rows(&f.cookies, "moz_cookies"), ff_rows, "{step}");
        assert_eq!(hash_tree(&c.cache), cache, "{step}");
        assert_integrity(&c.cookies);
        assert_integrity(&f.cookies);
    }
}

#[test]
fn backups_older_than_30_days_are_pruned() {
    let (env, _p) = chrome_home(Os::Linux);
    env.cmd(["clear", "--site", "a.test", "--cookies", "--yes"])
        .run()
        .code(0);
    env.cmd(["clear", "--site", "b.test", "--cookies", "--yes"])
        .run()
        .code(0);
    let root = env.data_dir().join("backups");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let manifest = dirs[0].join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    m["created_unix"] = serde_json::json!(1_000_000_000);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let list = env.cmd(["undo", "--list", "--json"]).run().code(0).json();
    assert_eq!(list["backups"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
}

/// The next start after a clear: a.test sent no cookie and fetched its resources again,
/// b.test sent its cookies and used its cache.
fn assert_a_cleared_b_kept(server: &BrowserSite, who: &str) {
    use crate::support::http::Fetch;
    let page_a = server.last_request("a.test", "/").unwrap();
    assert!(
        page_a.cookie.is_none(),
        "{who}: a.test still sent {page_a:?}"
    );
    let page_b = server.last_request("b.test", "/").unwrap();
    assert!(
        page_b.has_cookie("site_b") && page_b.has_cookie("dom_b"),
        "{who}: {page_b:?}"
    );
    let js_a = server.last_request("a.test", "/static.js").unwrap();
    assert_eq!(js_a.fetch, Fetch::Full, "{who}: {js_a:?}");
    assert!(
        server.last_request("a.test", "/fresh.js").is_some(),
        "{who}: a.test re-fetched"
    );
    let js_b = server.last_request("b.test", "/static.js").unwrap();
    assert_eq!(js_b.fetch, Fetch::Conditional, "{who}: {js_b:?}");
    assert!(
        server.last_request("b.test", "/fresh.js").is_none(),
        "{who}: b.test's fresh script came from the cache: {:#?}",
        server.requests()
    );
}

/// Real chromium and firefox-esr: visit a.test and b.test, close, `fix401 clear --site
/// a.test --yes`, start again (a.test: no cookie, re-fetch; b.test: cookie, cache), then
/// `fix401 undo` and a.test gets its cookie again.
#[test]
fn real_browsers_clear_one_site_and_undo_brings_it_back() {
    use real_browser::{Chromium, Firefox};
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();

    let chromium = Chromium::new(&env.home());
    chromium.visit(&server.url("a.test", "/"));
    chromium.visit(&server.url("b.test", "/"));
    let firefox = Firefox::new(&env.home());
    firefox.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("b.test", "/"));

    // Every column of a.test's rows (host-only and domain cookie).
    let a_rows = |db: &Path, table: &str| -> Vec<String> {
        dump_rows(db, table)
            .into_iter()
            .filter(|r| r.contains("\"a.test\"") || r.contains("\".a.test\""))
            .collect()
    };
    let chromium_a_before = a_rows(&chromium.profile_dir().join("Cookies"), "cookies");
    let firefox_a_before = a_rows(&firefox.profile_dir().join("cookies.sqlite"), "moz_cookies");
    assert_eq!(chromium_a_before.len(), 2);
    assert_eq!(firefox_a_before.len(), 2);
    let out = env
        .cmd(["clear", "--site", "a.test", "--yes", "--json"])
        .run()
        .code(0);
    let applied = out.json()["applied"].clone();
    let first_id = applied["backup_id"].as_str().unwrap().to_string();
    assert!(applied["cookies"].as_u64().unwrap() >= 4, "{}", out.stdout);
    assert!(applied["files"].as_u64().unwrap() >= 4, "{}", out.stdout);
    let chromium_cookies = chromium.profile_dir().join("Cookies");
    let firefox_cookies = firefox.profile_dir().join("cookies.sqlite");
    assert_integrity(&chromium_cookies);
    assert_integrity(&firefox_cookies);

    server.clear_log();
    chromium.visit(&server.url("a.test", "/"));
    chromium.visit(&server.url("b.test", "/"));
    assert_a_cleared_b_kept(&server, "chromium");
    server.clear_log();
    firefox.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("b.test", "/"));
    assert_a_cleared_b_kept(&server, "firefox-esr");

    // The visits set a.test's cookies again; undo the clear and a.test's old cookies are
    // back (the value records the host, so any a.test cookie proves it too): clear once
    // more by hand-free means first, so the next visit can only get them from the undo.
    let second = env
        .cmd(["clear", "--site", "a.test", "--cookies", "--yes", "--json"])
        .run()
        .code(0)
        .json();
    let second_id = second["applied"]["backup_id"].as_str().unwrap().to_string();
    env.cmd(["undo", &second_id]).run().code(0);
    server.clear_log();
    chromium.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("a.test", "/"));
    let pages: Vec<_> = server.requests_to("a.test", "/");
    assert_eq!(pages.len(), 2, "{pages:?}");
    for p in &pages {
        assert!(
            p.has_cookie("site_a") && p.has_cookie("dom_a"),
            "after undo: {p:?}"
        );
    }
    // Undo the first clear too: a.test's original rows come back exactly.
    env.cmd(["undo", &first_id]).run().code(0);
    assert_integrity(&chromium_cookies);
    assert_integrity(&firefox_cookies);
    assert_eq!(a_rows(&chromium_cookies, "cookies"), chromium_a_before);
    assert_eq!(a_rows(&firefox_cookies, "moz_cookies"), firefox_a_before);
}

#[test]
fn firefox_session_store_cookies_are_cleared_and_restored_byte_for_byte() {
    use fix401::stores::firefox_session;
    let (env, p) = firefox_home(Os::Linux);
    let json = serde_json::json!({
        "version": ["sessionrestore", 1],
        "windows": [{"tabs": [], "cookies": [{"host": ".a.test", "name": "win_a", "value": "s", "path": "/"}]}],
        "cookies": [
            {"host": "a.test", "name": "sess_a", "value": "secret", "path": "/", "originAttributes": {}},
            {"host": "cdn.b.test", "name": "part_a", "value": "s", "path": "/",
             "originAttributes": {"partitionKey": "(https,a.test)"}},
            {"host": "b.test", "name": "sess_b", "value": "s", "path": "/", "originAttributes": {}}
        ]
    });
    std::fs::write(
        &p.session,
        firefox_session::encode(json.to_string().as_bytes()),
    )
    .unwrap();
    let before = std::fs::read(&p.session).unwrap();

    let out = env
        .cmd(["clear", "--site", "a.test", "--cookies", "--dry-run"])
        .run()
        .code(0);
    assert!(
        out.stdout
            .contains("session store: 3 cookies: part_a, sess_a, win_a"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("secret"));
    env.cmd(["clear", "--site", "a.test", "--cookies", "--yes"])
        .run()
        .code(0);
    let after: serde_json::Value = serde_json::from_slice(
        &firefox_session::decode(&std::fs::read(&p.session).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(after["cookies"].as_array().unwrap().len(), 1);
    assert_eq!(after["cookies"][0]["name"], "sess_b");
    assert!(
        after["windows"][0]["cookies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    env.cmd(["undo"]).run().code(0);
    assert_eq!(std::fs::read(&p.session).unwrap(), before);
}

#[test]
fn safari_binarycookies_rewritten_with_a_valid_checksum_and_undone_exactly() {
    use fix401::stores::safari_cookies::{self, Jar, Record};
    let env = homes::env(Os::Macos);
    let s = homes::safari(&env);
    let rec = |d: &str, n: &str| Record {
        raw: safari_cookies::record(d, n, "/", "value", 5),
        domain: d.into(),
        name: n.into(),
    };
    // Footer and a small binary plist, as Safari ends the file.
    let mut tail = vec![0x07, 0x17, 0x20, 0x05, 0, 0, 0, 0x2b];
    tail.extend(b"bplist00\xd1\x01\x02_\x10\x18NSHTTPCookieAcceptPolicy\x10\x02\x08\x0b\x26\0\0\0\0\0\0\x01\x01\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x28");
    let jar = Jar {
        pages: vec![
            vec![rec("a.test", "sid"), rec(".b.test", "keep")],
            vec![rec(".www.a.test", "pref"), rec("evil-a.test", "lookalike")],
        ],
        tail: tail.clone(),
    };
    let original = safari_cookies::write(&jar);
    std::fs::write(&s.cookies, &original).unwrap();

    let out = env
        .cmd(["clear", "--site", "a.test", "--yes", "--json"])
        .run()
        .code(0);
    assert_eq!(out.json()["applied"]["cookies"], 2, "{}", out.stdout);
    let bytes = std::fs::read(&s.cookies).unwrap();
    let parsed = safari_cookies::parse(&bytes).unwrap();
    let left: Vec<&str> = parsed
        .pages
        .iter()
        .flatten()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(left, ["keep", "lookalike"]);
    assert!(bytes.ends_with(&tail), "footer and plist kept verbatim");
    // Checksum: Σ over pages of every fourth byte, as Safari checks it.
    let n = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let mut at = 8 + 4 * n;
    let mut sum = 0u32;
    for i in 0..n {
        let size = u32::from_be_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize;
        sum += safari_cookies::page_checksum(&bytes[at..at + size]);
        at += size;
    }
    assert_eq!(
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()),
        sum
    );
    env.cmd(["undo"]).run().code(0);
    assert_eq!(std::fs::read(&s.cookies).unwrap(), original);
}

/// Inserts an a.test row that stays in `-wal` (main file without it), like a Firefox
/// that has not checkpointed yet.
fn leave_row_in_wal(db: &Path) {
    let side = |s: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(s);
        std::path::PathBuf::from(p)
    };
    let c = rusqlite::Connection::open(db).unwrap();
    // Reading first makes this connection hold the WAL open, so the writer's close does
    // not checkpoint it away.
    let _: i64 = c
        .query_row("SELECT count(*) FROM moz_cookies", [], |r| r.get(0))
        .unwrap();
    homes::firefox_cookie(db, "a.test", "wal_only", "v", "");
    let saved: Vec<(std::path::PathBuf, Vec<u8>)> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| (side(s), std::fs::read(side(s)).unwrap()))
        .collect();
    drop(c);
    for (p, bytes) in saved {
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn a_locked_store_is_skipped_with_the_reason() {
    let (env, p) = firefox_home(Os::Linux);
    let holder = rusqlite::Connection::open(&p.cookies).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let out = env
        .cmd([
            "clear",
            "--site",
            "a.test",
            "--cookies",
            "--dry-run",
            "--json",
        ])
        .run()
        .code(0);
    let skipped = out.json()["plan"]["profiles"][0]["skipped"].clone();
    assert_eq!(skipped[0]["code"], "store_locked", "{}", out.stdout);
    drop(holder);
}

/// A really running chromium / firefox-esr: `fix401 clear --yes` is refused with a message
/// naming the browser, and no store or backup is touched.
#[test]
fn really_running_browsers_are_refused_and_nothing_changes() {
    use real_browser::{Chromium, Firefox};
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let chromium = Chromium::new(&env.home());
    chromium.visit(&server.url("a.test", "/"));
    let firefox = Firefox::new(&env.home());
    firefox.visit(&server.url("a.test", "/"));
    let chromium_cookies = chromium.profile_dir().join("Cookies");
    let firefox_cookies = firefox.profile_dir().join("cookies.sqlite");
    let chromium_cache = env.path(".cache/chromium/Default/Cache/Cache_Data");

    for (who, name) in [("chromium", "Chromium"), ("firefox", "Firefox")] {
        let running = if who == "chromium" {
            chromium.start(&server.url("a.test", "/"))
        } else {
            firefox.start(&server.url("a.test", "/"))
        };
        let rows = (
            dump_rows(&chromium_cookies, "cookies"),
            dump_rows(&firefox_cookies, "moz_cookies"),
        );
        let cache = hash_tree(&chromium_cache);
        let out = env
            .cmd(["clear", "--site", "a.test", "--browser", who, "--yes"])
            .run()
            .code(1);
        assert!(
            out.stderr.contains(name) && out.stderr.contains("RUNNING"),
            "{who}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
        running.stop();
        assert_eq!(dump_rows(&chromium_cookies, "cookies"), rows.0, "{who}");
        assert_eq!(dump_rows(&firefox_cookies, "moz_cookies"), rows.1, "{who}");
        if who == "firefox" {
            assert_eq!(hash_tree(&chromium_cache), cache);
        }
        let backups = env.data_dir().join("backups");
        assert!(!backups.exists() || std::fs::read_dir(&backups).unwrap().count() == 0);
    }
}

#[test]
fn a_left_over_chromium_journal_is_left_alone_by_looking_and_the_backup_keeps_no_copy_of_the_store()
{
    let (env, p) = chrome_home(Os::Linux);
    let mut journal = p.cookies.clone().into_os_string();
    journal.push("-journal");
    let junk = b"left by a crash: not a valid journal header".to_vec();
    std::fs::write(&journal, &junk).unwrap();
    env.cmd(["clear", "--site", "a.test", "--cookies", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("5 cookies");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        junk,
        "looking changes nothing"
    );
    let rows_before = dump_rows(&p.cookies, "cookies");
    env.cmd(["clear", "--site", "a.test", "--cookies", "--yes"])
        .run()
        .code(0);
    assert_integrity(&p.cookies);
    let mut left = names_left(&p.cookies, "cookies", "host_key");
    left.sort();
    assert_eq!(
        left,
        [
            "lookalike",
            "other_domain",
            "other_site",
            "suffix",
            "underscore_wildcard"
        ]
    );
    // Only the removed rows are in the backup: no snapshot of the database or its journal.
    let backups = env.data_dir().join("backups");
    for e in walk(&backups) {
        let name = e.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.starts_with("snapshot-") && !name.starts_with("Cookies"),
            "{}",
            e.display()
        );
    }
    env.cmd(["undo"]).run().code(0);
    assert_eq!(dump_rows(&p.cookies, "cookies"), rows_before);
}

#[test]
fn undo_is_refused_while_the_browser_runs() {
    let (env, p) = chrome_home(Os::Linux);
    env.cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(0);
    let after_clear = dump_rows(&p.cookies, "cookies");
    let host = fix401::browsers::running::hostname().unwrap();
    p.singleton_lock(&host, std::process::id());
    env.cmd(["undo"])
        .run()
        .code(1)
        .stderr_has("nothing was restored");
    assert_eq!(dump_rows(&p.cookies, "cookies"), after_clear);
    std::fs::remove_file(p.udd.join("SingletonLock")).unwrap();
    env.cmd(["undo"]).run().code(0);
    assert_ne!(dump_rows(&p.cookies, "cookies"), after_clear);
}
