//! Builders that lay out a simulated home for any browser × OS × packaging, with stores
//! built from the real schemas (Chromium `Cookies` v24 with its `meta` table, Firefox
//! `moz_cookies` v17, a Simple / Blockfile cache index, `cache2/entries`, an empty
//! `Cookies.binarycookies`). Where each browser keeps its folders is taken from the library's
//! catalog (`fix401::browsers::catalog`), not typed a second time: the tests check that
//! discovery finds, opens and clears what a home laid out by the catalog holds.
//!
//! ```ignore
//! let env = homes::env(Os::Windows);
//! let p = homes::chromium_profile(&env, Os::Windows, "chrome", "Default").named("Work", "a@b.c");
//! let f = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
//! // p.cookies, p.cache, f.cookies, f.cache2 … are the paths fix401 must find.
//! ```

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub use fix401::Os;
use fix401::browsers::catalog::{self, Location, Packaging, PathRule};
use rusqlite::Connection;

use super::TestEnv;
use super::schemas::{CHROMIUM_COOKIES_V24, FIREFOX_COOKIES_V17};

/// A fresh test home laid out as `os` (`--os` is passed to every command).
pub fn env(os: Os) -> TestEnv {
    TestEnv::new().os(os.id())
}

/// Every Chromium-family browser × OS × packaging the catalog must know, as
/// `(browser id, os, packaging)`.
pub const CHROMIUM_MATRIX: &[(&str, Os, &str)] = &[
    ("chrome", Os::Windows, "native"),
    ("chrome", Os::Macos, "native"),
    ("chrome", Os::Linux, "native"),
    ("chrome", Os::Linux, "flatpak"),
    ("chrome-beta", Os::Windows, "native"),
    ("chrome-beta", Os::Macos, "native"),
    ("chrome-beta", Os::Linux, "native"),
    ("chrome-dev", Os::Windows, "native"),
    ("chrome-dev", Os::Macos, "native"),
    ("chrome-dev", Os::Linux, "native"),
    ("chrome-canary", Os::Windows, "native"),
    ("chrome-canary", Os::Macos, "native"),
    ("chrome-canary", Os::Linux, "native"),
    ("chromium", Os::Windows, "native"),
    ("chromium", Os::Macos, "native"),
    ("chromium", Os::Linux, "native"),
    ("chromium", Os::Linux, "snap"),
    ("chromium", Os::Linux, "flatpak"),
    ("edge", Os::Windows, "native"),
    ("edge", Os::Macos, "native"),
    ("edge", Os::Linux, "native"),
    ("edge", Os::Linux, "flatpak"),
    ("edge-beta", Os::Windows, "native"),
    ("edge-beta", Os::Macos, "native"),
    ("edge-beta", Os::Linux, "native"),
    ("edge-dev", Os::Windows, "native"),
    ("edge-dev", Os::Macos, "native"),
    ("edge-dev", Os::Linux, "native"),
    ("edge-canary", Os::Windows, "native"),
    ("edge-canary", Os::Macos, "native"),
    ("brave", Os::Windows, "native"),
    ("brave", Os::Macos, "native"),
    ("brave", Os::Linux, "native"),
    ("brave", Os::Linux, "snap"),
    ("brave", Os::Linux, "flatpak"),
    ("brave-beta", Os::Windows, "native"),
    ("brave-beta", Os::Macos, "native"),
    ("brave-beta", Os::Linux, "native"),
    ("brave-nightly", Os::Windows, "native"),
    ("brave-nightly", Os::Macos, "native"),
    ("brave-nightly", Os::Linux, "native"),
    ("vivaldi", Os::Windows, "native"),
    ("vivaldi", Os::Macos, "native"),
    ("vivaldi", Os::Linux, "native"),
    ("vivaldi", Os::Linux, "snap"),
    ("vivaldi", Os::Linux, "flatpak"),
    ("vivaldi-snapshot", Os::Macos, "native"),
    ("vivaldi-snapshot", Os::Linux, "native"),
    ("opera", Os::Windows, "native"),
    ("opera", Os::Macos, "native"),
    ("opera", Os::Linux, "native"),
    ("opera", Os::Linux, "snap"),
    ("opera", Os::Linux, "flatpak"),
    ("opera-gx", Os::Windows, "native"),
    ("opera-gx", Os::Macos, "native"),
    ("opera-beta", Os::Windows, "native"),
    ("opera-beta", Os::Macos, "native"),
    ("opera-beta", Os::Linux, "native"),
    ("opera-developer", Os::Windows, "native"),
    ("opera-developer", Os::Macos, "native"),
    ("opera-developer", Os::Linux, "native"),
    ("arc", Os::Windows, "msix"),
    ("arc", Os::Macos, "native"),
    ("yandex", Os::Windows, "native"),
    ("yandex", Os::Macos, "native"),
    ("yandex", Os::Linux, "native"),
];

/// Every Firefox-family browser × OS × packaging the catalog must know.
pub const FIREFOX_MATRIX: &[(&str, Os, &str)] = &[
    ("firefox", Os::Windows, "native"),
    ("firefox", Os::Windows, "msix"),
    ("firefox", Os::Macos, "native"),
    ("firefox", Os::Linux, "native"),
    ("firefox", Os::Linux, "snap"),
    ("firefox", Os::Linux, "flatpak"),
    ("librewolf", Os::Windows, "native"),
    ("librewolf", Os::Macos, "native"),
    ("librewolf", Os::Linux, "native"),
    ("librewolf", Os::Linux, "snap"),
    ("librewolf", Os::Linux, "flatpak"),
    ("waterfox", Os::Windows, "native"),
    ("waterfox", Os::Macos, "native"),
    ("waterfox", Os::Linux, "native"),
    ("zen", Os::Windows, "native"),
    ("zen", Os::Macos, "native"),
    ("zen", Os::Linux, "native"),
    ("zen", Os::Linux, "flatpak"),
    ("floorp", Os::Windows, "native"),
    ("floorp", Os::Macos, "native"),
    ("floorp", Os::Linux, "native"),
];

/// The catalog's location of `browser` on `os` for `packaging` (`native`, `snap`,
/// `flatpak`, `msix`; `xdg` = Firefox's native XDG folder); the first when it lists several.
pub fn catalog_location(os: Os, browser: &str, packaging: &str) -> &'static Location {
    let spec = catalog::spec(browser).unwrap_or_else(|| panic!("no browser {browser:?}"));
    let mut locations = spec.locations_on(os);
    match packaging {
        "xdg" => locations
            .find(|l| l.packaging == Packaging::Native && l.root.base == catalog::Base::XdgConfig),
        _ => locations.find(|l| l.packaging.id() == packaging),
    }
    .unwrap_or_else(|| panic!("the catalog has no {browser} {packaging} location on {os:?}"))
}

/// The publisher id simulated homes give a packaged app's folder (`Name_<id>`): Arc's
/// real one; the catalog's `Name_*` rules match any.
pub const SIMULATED_PUBLISHER_ID: &str = "ttt1ap7aakyb4";

/// A catalog path relative to a home laid out as `os` with the default folders
/// (`%APPDATA%`, `$XDG_CONFIG_HOME`…), `/`-separated; a snap revision `*` is `current`, a
/// package folder `Name_*` is `Name_` + [`SIMULATED_PUBLISHER_ID`].
pub fn home_relative(os: Os, rule: &PathRule) -> String {
    let home = Path::new("/home-of-the-catalog");
    let sys = fix401::System::simulated(os, home);
    let rel: Vec<String> = rule
        .rel
        .split('/')
        .map(|part| match part.strip_suffix('*') {
            Some("") => "current".to_string(),
            Some(prefix) => format!("{prefix}{SIMULATED_PUBLISHER_ID}"),
            None => part.to_string(),
        })
        .collect();
    let path = rule.base_dir(&sys).join(rel.join("/"));
    path.strip_prefix(home)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// Where a Chromium browser keeps its user-data dir and the user cache dir that mirrors
/// it, relative to the home: `(udd, cache udd)`; `None` for the cache = inside the profile.
pub fn chromium_dirs(os: Os, browser: &str, packaging: &str) -> (String, Option<String>) {
    location_dirs(os, catalog_location(os, browser, packaging))
}

/// Where one catalog location puts its root and cache root, relative to the home.
fn location_dirs(os: Os, l: &Location) -> (String, Option<String>) {
    (
        home_relative(os, &l.root),
        l.cache_root.map(|c| home_relative(os, &c)),
    )
}

/// Where a Firefox-family browser keeps its roaming root (`profiles.ini`) and local root
/// (`cache2`), relative to the home.
pub fn firefox_dirs(os: Os, browser: &str, packaging: &str) -> (String, String) {
    firefox_location_dirs(os, browser, catalog_location(os, browser, packaging))
}

fn firefox_location_dirs(os: Os, browser: &str, l: &Location) -> (String, String) {
    let (root, local) = location_dirs(os, l);
    let local =
        local.unwrap_or_else(|| panic!("the catalog has no local root for {browser} on {os:?}"));
    (root, local)
}

/// One simulated Chromium profile: every path fix401 must find.
#[derive(Debug, Clone)]
pub struct ChromiumProfile {
    /// The OS the home is laid out as.
    pub os: Os,
    /// The user-data dir (holds `Local State`, `SingletonLock`).
    pub udd: PathBuf,
    /// The profile dir (`…/Default`; for Opera's own profile, the UDD itself).
    pub dir: PathBuf,
    /// The folder name of the profile in `Local State` (`Default`, `Profile 1`).
    pub dir_name: String,
    /// `Local State`.
    pub local_state: PathBuf,
    /// The live `Cookies` file (v24 schema).
    pub cookies: PathBuf,
    /// `Cache/Cache_Data` (Simple index on Linux/macOS, Blockfile index on Windows).
    pub cache: PathBuf,
    /// `IndexedDB/`.
    pub indexed_db: PathBuf,
    /// `Service Worker/`.
    pub service_worker: PathBuf,
}

/// A native Chromium profile `dir_name` (`Default`, `Profile 1`) of `browser` on `os`,
/// with stores, listed in `Local State` as "Person N".
pub fn chromium_profile(env: &TestEnv, os: Os, browser: &str, dir_name: &str) -> ChromiumProfile {
    chromium_profile_pkg(env, os, browser, "native", dir_name)
}

/// Like [`chromium_profile`] for a packaging (`native`, `snap`, `flatpak`). Snap homes get
/// a revision folder `100` with `current` → `100`.
pub fn chromium_profile_pkg(
    env: &TestEnv,
    os: Os,
    browser: &str,
    packaging: &str,
    dir_name: &str,
) -> ChromiumProfile {
    chromium_profile_at(env, os, catalog_location(os, browser, packaging), dir_name)
}

/// Like [`chromium_profile`] at one catalog location (any of a browser's rows on `os`).
pub fn chromium_profile_at(
    env: &TestEnv,
    os: Os,
    location: &Location,
    dir_name: &str,
) -> ChromiumProfile {
    let (udd_rel, cache_rel) = location_dirs(os, location);
    if let Some(rest) = udd_rel.strip_prefix("snap/") {
        let name = rest.split('/').next().unwrap();
        let snap = env.path(format!("snap/{name}"));
        std::fs::create_dir_all(snap.join("100")).unwrap();
        std::fs::create_dir_all(snap.join("common")).unwrap();
        if !snap.join("current").exists() {
            #[cfg(unix)]
            std::os::unix::fs::symlink("100", snap.join("current")).unwrap();
        }
    }
    let udd = env.path(udd_rel.replace("/current/", "/100/"));
    let dir = udd.join(dir_name);
    let cache_profile = cache_rel
        .map(|c| env.path(c).join(dir_name))
        .unwrap_or_else(|| dir.clone());
    let p = ChromiumProfile {
        os,
        local_state: udd.join("Local State"),
        cookies: if os == Os::Windows {
            dir.join("Network").join("Cookies")
        } else {
            dir.join("Cookies")
        },
        cache: cache_profile.join("Cache").join("Cache_Data"),
        indexed_db: dir.join("IndexedDB"),
        service_worker: dir.join("Service Worker"),
        dir_name: dir_name.to_string(),
        udd,
        dir,
    };
    std::fs::create_dir_all(&p.dir).unwrap();
    std::fs::write(p.dir.join("Preferences"), b"{}").unwrap();
    if os == Os::Windows {
        std::fs::create_dir_all(p.dir.join("Network")).unwrap();
        std::fs::write(p.dir.join("Network").join("NetworkDataMigrated"), b"").unwrap();
    }
    chromium_cookies_db(&p.cookies);
    std::fs::create_dir_all(&p.cache).unwrap();
    std::fs::write(p.cache.join("index"), cache_index(os)).unwrap();
    std::fs::create_dir_all(p.indexed_db.join("https_a.test_0.indexeddb.leveldb")).unwrap();
    std::fs::create_dir_all(p.service_worker.join("CacheStorage")).unwrap();
    let n = local_state_len(&p.local_state) + 1;
    p.set_info(&format!("Person {n}"), None);
    p
}

/// Opera's own profile: the user-data dir *is* the profile (no `Default` folder).
pub fn opera_udd_profile(env: &TestEnv, os: Os, browser: &str, packaging: &str) -> ChromiumProfile {
    opera_udd_profile_at(env, os, catalog_location(os, browser, packaging))
}

/// Like [`opera_udd_profile`] at one catalog location.
pub fn opera_udd_profile_at(env: &TestEnv, os: Os, location: &Location) -> ChromiumProfile {
    let mut p = chromium_profile_at(env, os, location, "Default");
    // Move the stores up into the UDD, as Opera lays them out.
    let (_, cache_rel) = location_dirs(os, location);
    let cache_base = cache_rel
        .map(|c| env.path(c))
        .unwrap_or_else(|| p.udd.clone());
    let rel_cookies = p.cookies.strip_prefix(&p.dir).unwrap().to_path_buf();
    std::fs::remove_dir_all(&p.dir).unwrap();
    let _ = std::fs::remove_dir_all(cache_base.join("Default"));
    p.dir = p.udd.clone();
    p.cookies = p.udd.join(rel_cookies);
    p.cache = cache_base.join("Cache").join("Cache_Data");
    p.indexed_db = p.udd.join("IndexedDB");
    p.service_worker = p.udd.join("Service Worker");
    std::fs::create_dir_all(p.cookies.parent().unwrap()).unwrap();
    if os == Os::Windows {
        std::fs::write(p.udd.join("Network").join("NetworkDataMigrated"), b"").unwrap();
    }
    chromium_cookies_db(&p.cookies);
    std::fs::create_dir_all(&p.cache).unwrap();
    std::fs::write(p.cache.join("index"), cache_index(os)).unwrap();
    std::fs::create_dir_all(&p.indexed_db).unwrap();
    std::fs::create_dir_all(&p.service_worker).unwrap();
    std::fs::write(&p.local_state, b"{}").unwrap();
    p
}

impl ChromiumProfile {
    /// Sets the profile's display name and account e-mail in `Local State`.
    pub fn named(self, name: &str, email: &str) -> Self {
        self.set_info(name, Some(email));
        self
    }

    fn set_info(&self, name: &str, email: Option<&str>) {
        let mut json: serde_json::Value = std::fs::read(&self.local_state)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| serde_json::json!({}));
        if !json["profile"].is_object() {
            json["profile"] = serde_json::json!({ "info_cache": {} });
        }
        json["profile"]["info_cache"][&self.dir_name] = serde_json::json!({
            "name": name,
            "user_name": email.unwrap_or(""),
            "gaia_name": "",
            "is_using_default_name": email.is_none(),
            "active_time": 1_700_000_000.0,
        });
        std::fs::write(&self.local_state, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    }

    /// Writes a `SingletonLock` symlink → `<host>-<pid>` (Linux/macOS) in the UDD.
    #[cfg(unix)]
    pub fn singleton_lock(&self, host: &str, pid: u32) {
        let lock = self.udd.join("SingletonLock");
        let _ = std::fs::remove_file(&lock);
        std::os::unix::fs::symlink(format!("{host}-{pid}"), lock).unwrap();
    }
}

fn local_state_len(path: &Path) -> usize {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["profile"]["info_cache"].as_object().map(|o| o.len()))
        .unwrap_or(0)
}

/// The first bytes of a cache `index`: Simple's fake index (Linux/macOS) or a Blockfile
/// index header (Windows).
pub fn cache_index(os: Os) -> Vec<u8> {
    let mut v = Vec::new();
    if os == Os::Windows {
        v.extend(0xC103_CAC3_u32.to_le_bytes());
        v.extend(0x30000_u32.to_le_bytes());
        v.extend(0_i32.to_le_bytes());
        v.resize(368, 0);
    } else {
        v.extend(0xfcfb_6d1b_a772_5c30_u64.to_le_bytes());
        v.extend(9_u32.to_le_bytes());
        v.extend(0_u32.to_le_bytes());
        v.extend(0_u32.to_le_bytes());
    }
    v
}

/// An empty Chromium `Cookies` database, schema version 24 with its `meta` table.
pub fn chromium_cookies_db(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = Connection::open(path).unwrap();
    db.execute_batch(CHROMIUM_COOKIES_V24).unwrap();
}

/// An empty Firefox `cookies.sqlite`, `moz_cookies` schema 17, WAL journal.
pub fn firefox_cookies_db(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = Connection::open(path).unwrap();
    db.execute_batch(FIREFOX_COOKIES_V17).unwrap();
}

/// One simulated Firefox profile: every path fix401 must find.
#[derive(Debug, Clone)]
pub struct FirefoxProfile {
    /// The roaming root (holds `profiles.ini`).
    pub root: PathBuf,
    /// The profile folder.
    pub dir: PathBuf,
    /// The profile's folder below the local root (holds `cache2`).
    pub local: PathBuf,
    /// `profiles.ini`.
    pub profiles_ini: PathBuf,
    /// `cookies.sqlite` (schema 17).
    pub cookies: PathBuf,
    /// `cache2` (below the local root).
    pub cache2: PathBuf,
    /// `storage/default`.
    pub storage: PathBuf,
    /// `sessionstore-backups/recovery.jsonlz4`.
    pub session: PathBuf,
    /// The `Path=` written into `profiles.ini`.
    pub ini_path: String,
}

/// A native Firefox-family profile named `name` (`default-release`, `default-esr`…),
/// relative to the roaming root, appended to `profiles.ini` as the next `[ProfileN]`.
pub fn firefox_profile(env: &TestEnv, os: Os, browser: &str, name: &str) -> FirefoxProfile {
    firefox_profile_pkg(env, os, browser, "native", name)
}

/// Like [`firefox_profile`] for a packaging (`native`, `xdg`, `snap`, `flatpak`, `msix`).
pub fn firefox_profile_pkg(
    env: &TestEnv,
    os: Os,
    browser: &str,
    packaging: &str,
    name: &str,
) -> FirefoxProfile {
    firefox_profile_at(
        env,
        os,
        browser,
        catalog_location(os, browser, packaging),
        name,
    )
}

/// Like [`firefox_profile`] at one catalog location of `browser` (any of its rows on `os`).
pub fn firefox_profile_at(
    env: &TestEnv,
    os: Os,
    browser: &str,
    location: &Location,
    name: &str,
) -> FirefoxProfile {
    let (root_rel, local_rel) = firefox_location_dirs(os, browser, location);
    let root = env.path(&root_rel);
    let folder = format!("k3x9q2ab.{name}");
    let ini_path = if os == Os::Linux {
        folder
    } else {
        format!("Profiles/{folder}")
    };
    let p = FirefoxProfile {
        dir: root.join(&ini_path),
        local: env.path(&local_rel).join(&ini_path),
        profiles_ini: root.join("profiles.ini"),
        cookies: root.join(&ini_path).join("cookies.sqlite"),
        cache2: env.path(&local_rel).join(&ini_path).join("cache2"),
        storage: root.join(&ini_path).join("storage").join("default"),
        session: root
            .join(&ini_path)
            .join("sessionstore-backups")
            .join("recovery.jsonlz4"),
        ini_path: ini_path.clone(),
        root,
    };
    fill_firefox_profile(&p);
    let ini = std::fs::read_to_string(&p.profiles_ini).unwrap_or_default();
    let n = ini.matches("[Profile").count();
    let mut text = if ini.is_empty() {
        "[General]\nStartWithLastProfile=1\nVersion=2\n".to_string()
    } else {
        ini
    };
    text.push_str(&format!(
        "\n[Profile{n}]\nName={name}\nIsRelative=1\nPath={ini_path}\n"
    ));
    std::fs::write(&p.profiles_ini, text).unwrap();
    p
}

/// Creates the profile's stores (cookies, cache2, storage, session store).
pub fn fill_firefox_profile(p: &FirefoxProfile) {
    std::fs::create_dir_all(&p.dir).unwrap();
    std::fs::write(p.dir.join("prefs.js"), b"// Mozilla User Preferences\n").unwrap();
    firefox_cookies_db(&p.cookies);
    std::fs::create_dir_all(p.cache2.join("entries")).unwrap();
    std::fs::create_dir_all(p.storage.join("https+++a.test")).unwrap();
    std::fs::create_dir_all(p.session.parent().unwrap()).unwrap();
    // An empty mozlz4 session: magic, size, LZ4 block of "{}".
    let json = b"{\"cookies\":[]}";
    let mut blob = b"mozLz40\0".to_vec();
    blob.extend((json.len() as u32).to_le_bytes());
    blob.extend(lz4_flex::block::compress(json));
    std::fs::write(&p.session, blob).unwrap();
}

/// The simulated Safari of a macOS home.
#[derive(Debug, Clone)]
pub struct SafariHome {
    /// The container `Cookies.binarycookies`.
    pub cookies: PathBuf,
    /// The legacy `~/Library/Cookies/Cookies.binarycookies`.
    pub legacy_cookies: PathBuf,
    /// `~/Library/Caches/com.apple.Safari`.
    pub cache: PathBuf,
    /// `~/Library/Safari`.
    pub library: PathBuf,
}

/// Lays out Safari in a macOS home with empty (zero-page) cookie files.
pub fn safari(env: &TestEnv) -> SafariHome {
    let s = safari_family(env, "safari");
    let [cookies, legacy_cookies] = <[PathBuf; 2]>::try_from(s.cookie_files)
        .expect("the catalog lists Safari's container and legacy cookie files");
    SafariHome {
        cookies,
        legacy_cookies,
        cache: s.cache,
        library: s.library,
    }
}

/// The simulated files of a Safari-family browser (`safari`, `safari-tp`) of a macOS home.
#[derive(Debug, Clone)]
pub struct SafariFamilyHome {
    /// Every `Cookies.binarycookies` the catalog lists, in its order.
    pub cookie_files: Vec<PathBuf>,
    /// The first cache folder the catalog lists.
    pub cache: PathBuf,
    /// The library folder (shown as the profile).
    pub library: PathBuf,
}

/// Lays out a Safari-family browser in a macOS home at the catalog's paths, with empty
/// (zero-page) cookie files, a cache and a library folder.
pub fn safari_family(env: &TestEnv, browser: &str) -> SafariFamilyHome {
    let files = catalog::spec(browser)
        .and_then(|s| s.safari_files())
        .unwrap_or_else(|| panic!("{browser} is not a Safari-family browser of the catalog"));
    let at = |rule: &PathRule| env.path(home_relative(Os::Macos, rule));
    let s = SafariFamilyHome {
        cookie_files: files.cookies.iter().map(at).collect(),
        cache: at(&files.caches[0]),
        library: at(&files.library),
    };
    for f in &s.cookie_files {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, empty_binarycookies()).unwrap();
    }
    std::fs::create_dir_all(s.cache.join("fsCachedData")).unwrap();
    std::fs::create_dir_all(s.library.join("LocalStorage")).unwrap();
    s
}

/// A `Cookies.binarycookies` with no pages: magic, page count 0, checksum 0, footer.
pub fn empty_binarycookies() -> Vec<u8> {
    let mut v = b"cook".to_vec();
    v.extend(0_u32.to_be_bytes());
    v.extend(0_u32.to_be_bytes());
    v.extend([0x07, 0x17, 0x20, 0x05, 0x00, 0x00, 0x00, 0x00]);
    v
}

// ------------------------------------------------------------------ store contents

/// Microseconds since 1601-01-01 (Chromium's clock) for a Unix time in seconds.
pub fn chromium_time(unix_secs: i64) -> i64 {
    (unix_secs + 11_644_473_600) * 1_000_000
}

/// Adds a persistent cookie row to a Chromium `Cookies` database, as Chromium writes it
/// (value empty, `encrypted_value` a `v10` blob; only `host_key`, name, path and the
/// partition key matter for deletion). `top_frame_site_key` is `""` when unpartitioned.
pub fn chromium_cookie(db: &Path, host_key: &str, name: &str, top_frame_site_key: &str) {
    let c = Connection::open(db).unwrap();
    let now = chromium_time(1_700_000_000);
    let mut blob = b"v10".to_vec();
    blob.extend(sha2_like(host_key.as_bytes(), name.as_bytes()));
    c.execute(
        "INSERT INTO cookies VALUES (?1, ?2, ?3, ?4, '', ?5, '/', ?6, 0, 1, ?1, 1, 1, 1, 0, 1, 443,
         ?1, 1, ?7)",
        rusqlite::params![
            now,
            host_key,
            top_frame_site_key,
            name,
            blob,
            now + 365 * 86_400 * 1_000_000,
            i64::from(!top_frame_site_key.is_empty())
        ],
    )
    .unwrap();
}

/// 32 stable pseudo-random bytes standing in for AES ciphertext.
fn sha2_like(a: &[u8], b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(a);
    h.update(b"\0");
    h.update(b);
    h.finalize().to_vec()
}

/// Adds a cookie row to a Firefox `cookies.sqlite` (schema 17, expiry in ms).
/// `origin_attributes` is `""`, `^userContextId=2` or `^partitionKey=%28https%2Cx.test%29`.
pub fn firefox_cookie(db: &Path, host: &str, name: &str, value: &str, origin_attributes: &str) {
    let c = Connection::open(db).unwrap();
    let now_us: i64 = 1_700_000_000 * 1_000_000;
    c.execute(
        "INSERT INTO moz_cookies (originAttributes, name, value, host, path, expiry,
           lastAccessed, creationTime, isSecure, isHttpOnly, inBrowserElement, sameSite,
           schemeMap, isPartitionedAttributeSet, updateTime)
         VALUES (?1, ?2, ?3, ?4, '/', ?5, ?6, ?6, 0, 1, 0, 0, 2, ?7, ?6)",
        rusqlite::params![
            origin_attributes,
            name,
            value,
            host,
            (1_700_000_000_i64 + 365 * 86_400) * 1000,
            now_us,
            i64::from(origin_attributes.contains("partitionKey"))
        ],
    )
    .unwrap();
}

/// The HTTP cache key Chromium uses with split cache for a top-level load of `url` on
/// `site` (`http://a.test`): `1/0/_dk_<site> <site> <url>`.
pub fn simple_cache_key(site: &str, url: &str) -> String {
    format!("1/0/_dk_{site} {site} {url}")
}

/// The Simple Cache file name of a key: the first 8 bytes of SHA-1(key) as a
/// little-endian u64, in lower-case hex, plus `_0`.
pub fn simple_cache_file_name(key: &str) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    format!("{:016x}_0", u64::from_le_bytes(first))
}

/// Chromium's `base::PersistentHash` (Paul Hsieh's SuperFastHash), the `key_hash` of a
/// Simple Cache entry header. Checked against entries written by Chromium 156.
pub fn superfasthash(data: &[u8]) -> u32 {
    if data.is_empty() {
        return 0;
    }
    let get16 = |i: usize| u32::from(data[i]) | (u32::from(data[i + 1]) << 8);
    // Chromium reads the odd bytes as (signed) char.
    let signed = |b: u8| b as i8 as i32 as u32;
    let mut hash = data.len() as u32;
    let rem = data.len() & 3;
    let mut i = 0;
    for _ in 0..data.len() >> 2 {
        hash = hash.wrapping_add(get16(i));
        let tmp = (get16(i + 2) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        i += 4;
        hash = hash.wrapping_add(hash >> 11);
    }
    match rem {
        3 => {
            hash = hash.wrapping_add(get16(i));
            hash ^= hash << 16;
            hash ^= signed(data[i + 2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(get16(i));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(signed(data[i]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash = hash.wrapping_add(hash >> 6);
    hash
}

/// Writes a Simple Cache entry `<hash>_0` for `key` into `cache_dir`, laid out as Chromium
/// writes it: `SimpleFileHeader` (magic, version 5, key length, SuperFastHash of the key),
/// the key, the body (stream 1), its EOF record (CRC32), the response-info pickle
/// (stream 0: flags, times, NUL-separated header lines), SHA-256 of the key and the final
/// EOF record (flags CRC32 | KEY_SHA256). `head` is `"HTTP/1.1 200 OK\r\nName: value…"`.
pub fn simple_cache_entry(cache_dir: &Path, key: &str, head: &str, body: &[u8]) -> PathBuf {
    use sha2::Digest;
    const INITIAL: u64 = 0xfcfb_6d1b_a772_5c30;
    const FINAL: u64 = 0xf4fa_6f45_970d_41d8;
    let eof = |flags: u32, crc: u32, size: u32| {
        let mut v = FINAL.to_le_bytes().to_vec();
        v.extend(flags.to_le_bytes());
        v.extend(crc.to_le_bytes());
        v.extend(size.to_le_bytes());
        v.extend(0u32.to_le_bytes());
        v
    };
    let crc = |b: &[u8]| {
        let mut c = flate2::Crc::new();
        c.update(b);
        c.sum()
    };
    let mut out = INITIAL.to_le_bytes().to_vec();
    out.extend(5u32.to_le_bytes());
    out.extend((key.len() as u32).to_le_bytes());
    out.extend(superfasthash(key.as_bytes()).to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(key.as_bytes());
    out.extend(body);
    out.extend(eof(1, crc(body), 0));
    // Stream 0: an HttpResponseInfo pickle (payload size, flags, version, three times,
    // then the raw headers with NUL line ends).
    let raw_headers = format!("{}\0\0", head.replace("\r\n", "\0"));
    let mut payload = Vec::new();
    payload.extend(0x8004_0003_u32.to_le_bytes());
    payload.extend(6u32.to_le_bytes());
    for _ in 0..3 {
        payload.extend(chromium_time(1_700_000_000).to_le_bytes());
    }
    payload.extend((raw_headers.len() as u32).to_le_bytes());
    payload.extend(raw_headers.as_bytes());
    while payload.len() % 4 != 0 {
        payload.push(0);
    }
    let mut stream0 = (payload.len() as u32).to_le_bytes().to_vec();
    stream0.extend(payload);
    out.extend(&stream0);
    out.extend(sha2::Sha256::digest(key.as_bytes()));
    out.extend(eof(3, crc(&stream0), stream0.len() as u32));
    let path = cache_dir.join(simple_cache_file_name(key));
    std::fs::write(&path, out).unwrap();
    path
}

/// Firefox's cache2 key for `url` loaded on top-level site `scheme,host`
/// (Total Cookie Protection partition): `O^partitionKey=%28http%2Ca.test%29,:<url>`.
pub fn cache2_key(scheme: &str, site: &str, url: &str) -> String {
    format!("O^partitionKey=%28{scheme}%2C{site}%29,:{url}")
}

/// Firefox's `CacheHash::Hash` (Bob Jenkins' lookup2 over unsigned bytes). Checked against
/// entries written by Firefox ESR 153.
pub fn lookup2(data: &[u8], initval: u32) -> u32 {
    fn mix(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
        a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
        b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
        c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
        a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
        b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
        c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
        a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
        b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
        c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15);
        (a, b, c)
    }
    let word = |s: &[u8]| {
        s.iter().enumerate().fold(0u32, |acc, (i, &b)| {
            acc.wrapping_add(u32::from(b) << (8 * i))
        })
    };
    let (mut a, mut b, mut c) = (0x9e37_79b9_u32, 0x9e37_79b9_u32, initval);
    let mut rest = data;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        (a, b, c) = mix(a, b, c);
        rest = &rest[12..];
    }
    c = c.wrapping_add(data.len() as u32);
    // The tail: bytes 0-3 into a, 4-7 into b, 8-10 into c's upper three bytes.
    for (i, &byte) in rest.iter().enumerate() {
        let v = u32::from(byte);
        match i {
            0..=3 => a = a.wrapping_add(v << (8 * i)),
            4..=7 => b = b.wrapping_add(v << (8 * (i - 4))),
            _ => c = c.wrapping_add(v << (8 * (i - 7))),
        }
    }
    mix(a, b, c).2
}

/// Writes a cache2 entry for `key` into `cache2/entries/<SHA1 upper hex>`, laid out as
/// Firefox ESR 153 writes it: the body, then the metadata — its lookup2 hash, one 16-bit
/// hash per 256 KiB chunk, the header (version 4, fetch count, times, frecency, key size,
/// flags; big-endian), the key + NUL, the elements (`request-method`, `response-head`…),
/// a u32 4 and the u32 offset of the metadata (= body length).
pub fn cache2_entry(cache2: &Path, key: &str, response_head: &str, body: &[u8]) -> PathBuf {
    use sha1::Digest;
    let mut meta = Vec::new();
    for chunk in body.chunks(256 * 1024) {
        meta.extend((lookup2(chunk, 0) as u16).to_be_bytes());
    }
    let t: u32 = 1_700_000_000;
    for v in [4, 1, t, t, 1_244_701_708, t + 3600, key.len() as u32, 0] {
        meta.extend(v.to_be_bytes());
    }
    meta.extend(key.as_bytes());
    meta.push(0);
    for (k, v) in [
        ("strongly-framed", "1"),
        ("request-method", "GET"),
        ("response-head", response_head),
        ("net-response-time-onstart", "1"),
        ("net-response-time-onstop", "1"),
    ] {
        meta.extend(k.as_bytes());
        meta.push(0);
        meta.extend(v.as_bytes());
        meta.push(0);
    }
    let mut out = body.to_vec();
    out.extend(lookup2(&meta, 0).to_be_bytes());
    out.extend(meta);
    out.extend(4u32.to_be_bytes());
    out.extend((body.len() as u32).to_be_bytes());
    let name = sha1::Sha1::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<String>();
    let dir = cache2.join("entries");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

// ------------------------------------------------------------------ HSTS state

/// A profile's `Network/TransportSecurity` (where current Chromium keeps its HSTS state),
/// its place taken from the library's list.
pub fn chromium_transport_security(p: &ChromiumProfile) -> PathBuf {
    p.dir
        .join(fix401::browsers::discover::CHROMIUM_TRANSPORT_SECURITY[0])
}

/// One `sts` member of a version-2 `TransportSecurity` for `host`, as Chromium writes it.
pub fn chromium_sts_entry(host: &str, include_subdomains: bool) -> String {
    format!(
        r#"{{"expiry":1900000000.123,"host":"{}","mode":"force-https","sts_include_subdomains":{include_subdomains},"sts_observed":1700000000.5}}"#,
        fix401::stores::hsts::chromium_host_key(host).unwrap()
    )
}

/// Writes a version-2 `TransportSecurity` holding `entries` (from [`chromium_sts_entry`]);
/// its path.
pub fn chromium_hsts(p: &ChromiumProfile, entries: &[String]) -> PathBuf {
    let path = chromium_transport_security(p);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = format!(
        r#"{{"expect_ct":[],"sts":[{}],"version":2}}"#,
        entries.join(",")
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A Firefox profile's HSTS file: `SiteSecurityServiceState.bin` (current) or `.txt`
/// (before Firefox 117), its name taken from the library's list.
pub fn firefox_site_security(p: &FirefoxProfile, bin: bool) -> PathBuf {
    let [bin_name, txt_name] = fix401::browsers::discover::FIREFOX_SITE_SECURITY;
    p.dir.join(if bin { bin_name } else { txt_name })
}

/// Writes a Firefox HSTS file holding a set entry for each `(host, include subdomains)`,
/// in the text or the binary format; its path.
pub fn firefox_hsts(p: &FirefoxProfile, bin: bool, hosts: &[(&str, bool)]) -> PathBuf {
    let path = firefox_site_security(p, bin);
    let value = |sub: bool| format!("1900000000000,1,{}", u8::from(sub));
    let bytes: Vec<u8> = if bin {
        hosts
            .iter()
            .flat_map(|(h, sub)| fix401::stores::hsts::bin_slot_bytes(h, &value(*sub), 2, 20400))
            .collect()
    } else {
        hosts
            .iter()
            .map(|(h, sub)| format!("{h}:HSTS\t2\t20400\t{}\n", value(*sub)))
            .collect::<String>()
            .into_bytes()
    };
    std::fs::write(&path, bytes).unwrap();
    path
}
