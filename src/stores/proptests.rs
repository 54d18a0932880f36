//! Property tests for issue 12 ("Store safety"): every reader of a browser store or of a
//! backup answers `Ok` or a clear error for any input, never a panic. Inputs are random
//! bytes, hostile strings (non-ASCII, `%` sequences, separators) and structurally valid
//! files and JSON with hostile values. Mutations of valid store files, built with the test
//! homes' writers, are in the integration tests (`tests/cli/store_files.rs`).

use std::path::Path;

use base64::Engine;
use proptest::prelude::*;
use rusqlite::Connection;
use serde_json::Value;

use super::site::{self, Site};
use super::sqlite_rows::{self, Cell, SavedRows};
use super::{backup, firefox_session, safari_cookies};
use crate::browsers::StoreKind;
use crate::system::{Os, System};

/// Sites the matchers are asked about: registrable domains, exact hosts, IPs, IDNA.
fn sites() -> Vec<Site> {
    let mut out = Vec::new();
    for (s, exact) in [
        ("a.test", false),
        ("www.example.co.uk", false),
        ("www.example.co.uk", true),
        ("127.0.0.1", false),
        ("[::1]", false),
        ("bücher.de", false),
        ("localhost", true),
    ] {
        out.push(Site::parse(s, exact).expect("a valid site"));
    }
    out
}

/// Text as hostile files hold it: anything, or the separators and `%` escapes the
/// matchers split on mixed with multi-byte characters.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,40}",
        "[%0-9a-fA-F(),:/^+_.&= éß€𝄞\u{0}]{0,40}",
        "(https?|moz-[a-z]+|file|)(://|\\+\\+\\+|_)[a-zé.€-]{0,12}([:+_][0-9]{0,6})?(\\^partitionKey=[%0-9A-Fa-z,().é]{0,30})?",
        "[01]/[0-9]{0,3}/_dk_(s_)?[a-z:/ .é€_]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every matcher of `site.rs` takes any string (char boundaries, `%` at the end,
    /// `+++` and `_` without a host...) without panicking.
    #[test]
    fn site_matchers_take_any_text(text in hostile_text(), typed in hostile_text()) {
        let mut all = sites();
        if let Ok(s) = Site::parse(&typed, false) {
            all.push(s);
        }
        for s in &all {
            s.matches_host(&text);
            s.matches_top_site(&text);
            s.matches_origin_attributes(&text);
            s.matches_chromium_cookie(&text, &text);
            s.matches_firefox_cookie(&text, &text);
            s.matches_url(&text);
            s.matches_chromium_cache_key(&text);
            s.matches_cache2_key(&text);
            s.matches_firefox_origin_dir(&text);
            s.matches_chromium_origin_dir(&text);
        }
        site::partition_site(&text);
        site::split_cache2_key(&text);
        site::registrable_domain(&text);
    }

    /// A partition key whose characters are percent-encoded or left as they are (the
    /// separators `%`, `&`, `,` and parentheses never raw) decodes to the site it names,
    /// multi-byte characters included.
    #[test]
    fn partition_keys_decode_any_escaping(
        host in "[^,()%&\u{0}]{1,20}",
        escape in prop::collection::vec(any::<bool>(), 64),
    ) {
        let mut encoded = String::new();
        for (i, ch) in host.chars().enumerate() {
            if escape[i % escape.len()] {
                let mut buf = [0u8; 4];
                for b in ch.encode_utf8(&mut buf).bytes() {
                    encoded.push_str(&format!("%{b:02X}"));
                }
            } else {
                encoded.push(ch);
            }
        }
        let attrs = format!("^userContextId=2&partitionKey=%28https%2C{encoded}%29");
        prop_assert_eq!(site::partition_site(&attrs), Some(format!("https://{host}")));
    }

    /// A cache2 key written with doubled commas splits back into its tags and URL (tags
    /// start with a letter in Firefox, never with `,` or `:`).
    #[test]
    fn cache2_keys_split_back(
        tags in prop::collection::vec("[^:,]\\PC{0,8}", 0..4),
        url in "\\PC{0,30}",
    ) {
        let mut key = String::new();
        for t in &tags {
            key.push_str(&t.replace(',', ",,"));
            key.push(',');
        }
        key.push(':');
        key.push_str(&url);
        prop_assert_eq!(site::split_cache2_key(&key), (tags, url));
    }
}

/// File names a store folder may hold: anything a file system takes, and near misses of
/// entry and origin names with multi-byte characters where the parsers slice.
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^/\u{0}]{1,40}",
        "[0-9a-fé€]{12,17}_[0s1é]",
        "[0-9A-Fé]{36,41}",
        "(https?|moz-ext)(\\+\\+\\+|_)[a-zé€.]{0,10}([+_][0-9é]{0,4})?(\\^[%0-9A-Fa-z]{0,12})?(\\.indexeddb\\.leveldb)?",
    ]
    .prop_filter("not . or ..", |n| n != "." && n != "..")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Store folders holding files and folders of any name are scanned without a panic.
    #[test]
    fn store_folders_with_any_names(names in prop::collection::vec((file_name(), any::<bool>()), 1..6)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let entries = dir.path().join("entries");
        std::fs::create_dir_all(&entries).expect("entries");
        for (name, is_dir) in &names {
            for parent in [dir.path(), entries.as_path()] {
                let p = parent.join(name);
                if *is_dir {
                    let _ = std::fs::create_dir_all(&p);
                } else {
                    let _ = std::fs::write(&p, name.as_bytes());
                }
            }
        }
        for site in sites() {
            super::simple_cache::scan(dir.path(), &site);
            super::cache2::scan(dir.path(), &site);
            super::site_storage::scan(dir.path(), &site, true);
            super::site_storage::scan(dir.path(), &site, false);
        }
    }
}

#[test]
fn percent_signs_not_followed_by_two_hex_digits_stay_literal() {
    // `u8::from_str_radix` accepts a sign: "%+1" once decoded to the byte 0x01.
    assert_eq!(
        site::partition_site("^partitionKey=%28https%2Ca%+1.test%29").as_deref(),
        Some("https://a%+1.test")
    );
    assert_eq!(
        site::partition_site("^partitionKey=%28https%2Ca.test%29%").as_deref(),
        None
    );
    assert_eq!(
        site::partition_site("^partitionKey=%28https%2C%C3%A9.test%2").as_deref(),
        None
    );
}

// ------------------------------------------------------------------ saved rows

fn base64_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12)
            .prop_map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        "[A-Za-z0-9+/=!é]{0,12}",
    ]
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Null),
        any::<i64>().prop_map(Cell::Int),
        any::<u64>().prop_map(Cell::RealBits),
        "(?s).{0,12}".prop_map(Cell::Text),
        base64_text().prop_map(Cell::TextB64),
        base64_text().prop_map(Cell::Blob),
    ]
}

/// Table and column names a damaged or forged backup may hold.
fn sql_name(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(known).prop_map(str::to_string),
        1 => prop::sample::select(&[
            "",
            "select",
            "1abc",
            "rowid",
            "name\"",
            "x\"; DROP TABLE cookies; --",
            "name) VALUES (1); --",
            "naïve",
        ][..])
        .prop_map(str::to_string),
        1 => "(?s).{0,10}",
    ]
}

fn saved_rows() -> impl Strategy<Value = SavedRows> {
    (
        sql_name(&["cookies", "moz_cookies"]),
        prop::collection::vec(sql_name(&["host_key", "host", "name", "value"]), 0..5),
        prop::collection::vec(prop::collection::vec(cell(), 0..5), 0..4),
    )
        .prop_map(|(table, columns, rows)| SavedRows {
            table,
            columns,
            rows,
        })
}

/// Both cookie tables with one row each, as a restore finds them.
fn cookie_tables() -> Connection {
    let c = Connection::open_in_memory().expect("in-memory database");
    c.execute_batch(
        "CREATE TABLE cookies(host_key TEXT, name TEXT, value BLOB);
         CREATE TABLE moz_cookies(host TEXT, name TEXT, value BLOB);
         INSERT INTO cookies VALUES ('b.test', 'keep', x'01');
         INSERT INTO moz_cookies VALUES ('b.test', 'keep', x'01');",
    )
    .expect("schema");
    c
}

fn table_dump(c: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["cookies", "moz_cookies"] {
        let mut s = c
            .prepare(&format!(
                "SELECT quote(rowid)||','||quote(name)||','||quote(value) FROM {table}"
            ))
            .expect("dump");
        out.extend(
            s.query_map([], |r| r.get::<_, String>(0))
                .expect("dump")
                .map(|r| r.expect("row")),
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Saved rows with hostile table and column names, rows of the wrong length and bad
    /// base64 are refused with a clear error before anything is written; good ones go
    /// back one row each.
    #[test]
    fn restore_refuses_hostile_saved_rows(saved in saved_rows()) {
        let mut c = cookie_tables();
        let before = table_dump(&c);
        let tx = c.transaction().expect("transaction");
        let result = sqlite_rows::restore(&tx, &saved);
        let plain = |s: &str| {
            !s.is_empty()
                && !s.starts_with(|ch: char| ch.is_ascii_digit())
                && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        };
        let shaped = matches!(saved.table.as_str(), "cookies" | "moz_cookies")
            && saved.columns.iter().all(|col| plain(col))
            && saved.rows.iter().all(|r| r.len() == saved.columns.len());
        match result {
            Ok(n) => {
                prop_assert!(shaped, "accepted {saved:?}");
                prop_assert_eq!(n, saved.rows.len());
                drop(tx);
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                if !shaped {
                    prop_assert_eq!(e.exit_code(), 2, "{}", e);
                }
                drop(tx);
                prop_assert_eq!(table_dump(&c), before);
            }
        }
    }

    /// Saved rows survive their JSON form exactly (REAL bits, invalid-UTF-8 text).
    #[test]
    fn saved_rows_json_round_trips(saved in saved_rows()) {
        let text = serde_json::to_vec(&saved).expect("encode");
        let back: SavedRows = serde_json::from_slice(&text).expect("decode");
        prop_assert_eq!(back, saved);
    }

    /// Any bytes, or JSON of the right shape with values of the wrong types, read as
    /// saved rows: a decode error or rows a restore then judges, never a panic.
    #[test]
    fn saved_rows_from_any_json(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        table in json(),
        columns in json(),
        rows in json(),
    ) {
        let _ = serde_json::from_slice::<SavedRows>(&bytes);
        let doc = serde_json::json!({"table": table, "columns": columns, "rows": rows});
        if let Ok(saved) = serde_json::from_value::<SavedRows>(doc) {
            let c = cookie_tables();
            let _ = sqlite_rows::restore(&c, &saved);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random bytes written as a cookie database: looking for a site's rows is an error
    /// (not a database, no such table), never a panic; a random hot journal beside it too.
    #[test]
    fn random_cookie_database_is_an_error(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        sqlite_magic in any::<bool>(),
        journal in prop::option::of(prop::collection::vec(any::<u8>(), 1..600)),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Cookies");
        let mut file = if sqlite_magic { b"SQLite format 3\0".to_vec() } else { Vec::new() };
        file.extend(&bytes);
        std::fs::write(&path, &file).expect("write store");
        if let Some(j) = &journal {
            std::fs::write(dir.path().join("Cookies-journal"), j).expect("write journal");
        }
        let site = Site::parse("a.test", false).expect("site");
        for kind in [StoreKind::ChromiumCookies, StoreKind::FirefoxCookies] {
            let found = sqlite_rows::open_to_look(&path)
                .and_then(|(c, _)| sqlite_rows::find(&c, kind, &site, None));
            if !sqlite_magic {
                prop_assert!(found.is_err(), "{:?}", found);
            }
            if let Err(e) = found {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

// ------------------------------------------------------------------ Firefox session

/// JSON as a damaged or forged session store may hold it: the keys the filter reads
/// (`cookies`, `windows`, `host`, `name`, `originAttributes`, `partitionKey`) with values
/// of every type, and strings that are or look like the site.
fn json() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        prop::sample::select(
            &[
                "a.test",
                ".a.test",
                "www.a.test",
                "evil-a.test",
                "(https,a.test)",
                "(https,a.test,8080)",
                "(https",
                "()",
                "",
            ][..]
        )
        .prop_map(str::to_string),
        "(?s).{0,10}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.prop_map(Value::String),
    ];
    let key = prop_oneof![
        4 => prop::sample::select(
            &["cookies", "windows", "host", "name", "originAttributes", "partitionKey"][..]
        )
        .prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every entry of the `cookies` arrays the filter looks at (top level and per window).
fn session_cookies(v: &Value) -> Vec<&Value> {
    let windows = v.get("windows").and_then(Value::as_array);
    std::iter::once(v)
        .chain(windows.into_iter().flatten())
        .filter_map(|holder| holder.get("cookies").and_then(Value::as_array))
        .flatten()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A session store holding any JSON is filtered without a panic; when something is
    /// removed, the rewrite holds none of the site's cookies, keeps the others and adds no
    /// keys of its own.
    #[test]
    fn session_store_with_any_json(doc in json()) {
        let site = Site::parse("a.test", false).expect("site");
        let text = serde_json::to_vec(&doc).expect("encode");
        let file = firefox_session::encode(&text);
        let removal = match firefox_session::filter(&file, &site) {
            Ok(r) => r,
            Err(e) => {
                // Only a top level that is not an object is no session store at all.
                prop_assert!(!doc.is_object(), "{}", e);
                prop_assert!(e.to_string().contains("session store"), "{}", e);
                return Ok(());
            }
        };
        let before = session_cookies(&doc).len();
        if let Some(r) = removal {
            prop_assert!(!r.names.is_empty());
            let json = firefox_session::decode(&r.bytes).expect("rewritten file decodes");
            let after: Value = serde_json::from_slice(&json).expect("rewritten JSON");
            prop_assert_eq!(session_cookies(&after).len() + r.names.len(), before);
            prop_assert!(firefox_session::filter(&r.bytes, &site).expect("filter again").is_none());
            if let (Value::Object(a), Value::Object(b)) = (&doc, &after) {
                prop_assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
            }
            // Undo puts the decoded text back byte for byte.
            let (back, exact) = firefox_session::restore(&r.bytes, &r.saved).expect("restore");
            prop_assert!(exact);
            prop_assert_eq!(firefox_session::decode(&back).expect("decodes"), text);
        }
    }

    /// Random bytes, with or without the mozlz4 magic and a plausible size, decode to an
    /// error or JSON-or-not text, never a panic or an allocation the file cannot justify.
    #[test]
    fn session_store_from_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        magic in any::<bool>(),
        size in any::<u32>(),
    ) {
        let site = Site::parse("a.test", false).expect("site");
        let mut file = if magic { b"mozLz40\0".to_vec() } else { Vec::new() };
        if magic {
            file.extend((size % 4096).to_le_bytes());
        }
        file.extend(&bytes);
        let _ = firefox_session::decode(&file);
        if let Err(e) = firefox_session::filter(&file, &site) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn session_store_sizes_the_data_cannot_hold_are_refused() {
    let mut file = b"mozLz40\0".to_vec();
    file.extend((400 * 1024 * 1024_u32).to_le_bytes());
    file.extend([0x10, b'{', b'}']);
    let e = firefox_session::decode(&file).unwrap_err();
    assert!(e.to_string().contains("size too large"), "{e}");
    // A damaged user file: bad_file (exit 2), named by the caller that knows the path.
    let e = e.in_file(std::path::Path::new("/p/sessionstore.jsonlz4"));
    assert_eq!(e.code(), "bad_file");
    assert!(
        e.to_string()
            .starts_with("/p/sessionstore.jsonlz4: not a mozlz4"),
        "{e}"
    );
    assert!(e.to_string().contains("move the file aside"), "{e}");
}

// ------------------------------------------------------------------ Safari

/// A cookie field as a file may hold it (no NUL: the format ends strings with one).
fn cookie_field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["a.test", ".a.test", ".sub.a.test", "b.test", ""][..])
            .prop_map(str::to_string),
        "[^\u{0}]{0,12}",
    ]
}

fn jar() -> impl Strategy<Value = safari_cookies::Jar> {
    let rec = (cookie_field(), cookie_field(), cookie_field(), any::<u32>()).prop_map(
        |(domain, name, value, flags)| safari_cookies::Record {
            raw: safari_cookies::record(&domain, &name, "/", &value, flags),
            domain,
            name,
        },
    );
    (
        prop::collection::vec(prop::collection::vec(rec, 1..4), 0..4),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(pages, tail)| safari_cookies::Jar { pages, tail })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any jar written reads back as itself, and filtering it leaves a file that parses
    /// and holds no cookie of the site.
    #[test]
    fn binarycookies_round_trip(jar in jar()) {
        let bytes = safari_cookies::write(&jar);
        prop_assert_eq!(&safari_cookies::parse(&bytes).expect("own output parses"), &jar);
        let site = Site::parse("a.test", false).expect("site");
        if let Some(r) = safari_cookies::filter(&bytes, &site).expect("filter") {
            let left = safari_cookies::parse(&r.bytes).expect("rewrite parses");
            prop_assert!(left.pages.iter().flatten().all(|c| !site.matches_host(&c.domain)));
            // Undo brings the original file back byte for byte.
            let (back, exact) = safari_cookies::restore(&r.bytes, &r.saved).expect("restore");
            prop_assert!(exact);
            prop_assert_eq!(back, bytes);
        }
    }

    /// Random bytes, with or without the magic, parse to an error or a jar, never a panic.
    #[test]
    fn binarycookies_from_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        magic in any::<bool>(),
    ) {
        let mut file = if magic { b"cook".to_vec() } else { Vec::new() };
        file.extend(&bytes);
        let site = Site::parse("a.test", false).expect("site");
        if let Err(e) = safari_cookies::filter(&file, &site) {
            prop_assert!(e.to_string().contains("binarycookies"), "{}", e);
        }
    }
}

#[test]
fn binarycookies_checksum_of_a_huge_page_wraps() {
    // 0xff at every fourth byte of a 68 MiB page sums past u32::MAX.
    let page = vec![0xff_u8; 68 * 1024 * 1024];
    let expect = (page.len().div_ceil(4) as u64 * 0xff) as u32;
    assert_eq!(safari_cookies::page_checksum(&page), expect);
}

// ------------------------------------------------------------------ backup manifest

fn manifest_text(dir: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("backup dir");
    std::fs::write(dir.join("manifest.json"), bytes).expect("manifest");
}

/// A manifest of the right shape whose values are hostile: huge or zero times and
/// counts, any text as ids, sites and paths, unknown store kinds.
fn hostile_manifest() -> impl Strategy<Value = Value> {
    let text = "(?s).{0,16}";
    let saved = prop_oneof![
        (text, any::<u64>(), prop::collection::vec(text, 0..3)).prop_map(|(f, c, n)| {
            serde_json::json!({"type": "rows", "file": f, "count": c, "names": n})
        }),
        (text, any::<u64>(), any::<bool>()).prop_map(|(f, b, d)| {
            serde_json::json!({"type": "moved", "file": f, "bytes": b, "is_dir": d})
        }),
        (text, any::<u64>()).prop_map(|(f, c)| {
            serde_json::json!({"type": "replaced", "file": f, "count": c, "names": []})
        }),
    ];
    let item = (text, text, text, text, text, saved).prop_map(|(b, p, k, s, o, saved)| {
        serde_json::json!({"browser_id": b, "profile_dir": p, "kind": k, "store": s,
                           "original": o, "saved": saved})
    });
    (
        text,
        prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
        text,
        prop::sample::select(&["in_progress", "complete", "undone"][..]),
        prop::collection::vec(item, 0..4),
    )
        .prop_map(|(id, created_unix, site, status, items)| {
            serde_json::json!({"id": id, "created_unix": created_unix, "created": "x",
                               "site": site, "domain": site, "status": status, "items": items})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any bytes as `manifest.json`: a manifest or a clear error naming the file (exit 2).
    #[test]
    fn manifest_from_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().expect("temp dir");
        manifest_text(dir.path(), &bytes);
        if let Err(e) = backup::read_manifest(dir.path()) {
            prop_assert_eq!(e.exit_code(), 2, "{}", e);
            prop_assert!(e.to_string().contains("manifest.json"), "{}", e);
        }
    }

    /// Structurally valid manifests with hostile values are read, listed and pruned
    /// without a panic (no overflow on a huge time or count).
    #[test]
    fn hostile_manifests_list_and_prune(docs in prop::collection::vec(hostile_manifest(), 1..4)) {
        let home = tempfile::tempdir().expect("temp dir");
        let sys = System::simulated(Os::Linux, home.path());
        for (i, doc) in docs.iter().enumerate() {
            let dir = backup::root(&sys).join(format!("b{i}"));
            manifest_text(&dir, &serde_json::to_vec(doc).expect("encode"));
            let m = backup::read_manifest(&dir).expect("well-shaped manifest");
            prop_assert_eq!(m.items.len(), doc.get("items").and_then(Value::as_array).map_or(0, Vec::len));
        }
        let listed = backup::list(&sys).expect("list");
        prop_assert!(listed.len() <= docs.len());
    }
}
