//! Builders that lay out a simulated home for any browser × OS × packaging, with stores
//! built from the real schemas (Chromium `Cookies` v24 with its `meta` table, Firefox
//! `moz_cookies` v17, a Simple / Blockfile cache index, `cache2/entries`, an empty
//! `Cookies.binarycookies`). The paths here are written out by hand from the reference
//! (`browser-stores.md` §1) — independent of the library's catalog, so the tests check it.
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
use rusqlite::Connection;

use super::TestEnv;

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
    ("vivaldi", Os::Windows, "native"),
    ("vivaldi", Os::Macos, "native"),
    ("vivaldi", Os::Linux, "native"),
    ("vivaldi", Os::Linux, "snap"),
    ("vivaldi", Os::Linux, "flatpak"),
    ("opera", Os::Windows, "native"),
    ("opera", Os::Macos, "native"),
    ("opera", Os::Linux, "native"),
    ("opera", Os::Linux, "snap"),
    ("opera", Os::Linux, "flatpak"),
    ("opera-gx", Os::Windows, "native"),
    ("opera-gx", Os::Macos, "native"),
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
];

/// Where a Chromium browser keeps its user-data dir and the user cache dir that mirrors
/// it, relative to the home: `(udd, cache udd)`; `None` for the cache = inside the profile.
pub fn chromium_dirs(os: Os, browser: &str, packaging: &str) -> (String, Option<String>) {
    const LOCAL: &str = "AppData/Local";
    const ROAMING: &str = "AppData/Roaming";
    const SUPPORT: &str = "Library/Application Support";
    const CACHES: &str = "Library/Caches";
    let win = |rel: &str| (format!("{LOCAL}/{rel}"), None);
    let mac = |rel: &str| (format!("{SUPPORT}/{rel}"), Some(format!("{CACHES}/{rel}")));
    let linux = |rel: &str| (format!(".config/{rel}"), Some(format!(".cache/{rel}")));
    let flatpak = |id: &str, rel: &str| {
        (
            format!(".var/app/{id}/config/{rel}"),
            Some(format!(".var/app/{id}/cache/{rel}")),
        )
    };
    let snap = |name: &str, rel: &str| {
        (
            format!("snap/{name}/current/.config/{rel}"),
            Some(format!("snap/{name}/common/.cache/{rel}")),
        )
    };
    match (browser, os, packaging) {
        ("chrome", Os::Windows, _) => win("Google/Chrome/User Data"),
        ("chrome", Os::Macos, _) => mac("Google/Chrome"),
        ("chrome", Os::Linux, "native") => linux("google-chrome"),
        ("chrome", Os::Linux, "flatpak") => flatpak("com.google.Chrome", "google-chrome"),
        ("chrome-beta", Os::Windows, _) => win("Google/Chrome Beta/User Data"),
        ("chrome-beta", Os::Macos, _) => mac("Google/Chrome Beta"),
        ("chrome-beta", Os::Linux, _) => linux("google-chrome-beta"),
        ("chrome-dev", Os::Windows, _) => win("Google/Chrome Dev/User Data"),
        ("chrome-dev", Os::Macos, _) => mac("Google/Chrome Dev"),
        ("chrome-dev", Os::Linux, _) => linux("google-chrome-unstable"),
        ("chrome-canary", Os::Windows, _) => win("Google/Chrome SxS/User Data"),
        ("chrome-canary", Os::Macos, _) => mac("Google/Chrome Canary"),
        ("chromium", Os::Windows, _) => win("Chromium/User Data"),
        ("chromium", Os::Macos, _) => mac("Chromium"),
        ("chromium", Os::Linux, "native") => linux("chromium"),
        ("chromium", Os::Linux, "snap") => (
            "snap/chromium/common/chromium".into(),
            Some("snap/chromium/common/.cache/chromium".into()),
        ),
        ("chromium", Os::Linux, "flatpak") => flatpak("org.chromium.Chromium", "chromium"),
        ("edge", Os::Windows, _) => win("Microsoft/Edge/User Data"),
        ("edge", Os::Macos, _) => mac("Microsoft Edge"),
        ("edge", Os::Linux, "native") => linux("microsoft-edge"),
        ("edge", Os::Linux, "flatpak") => flatpak("com.microsoft.Edge", "microsoft-edge"),
        ("edge-beta", Os::Windows, _) => win("Microsoft/Edge Beta/User Data"),
        ("edge-beta", Os::Macos, _) => mac("Microsoft Edge Beta"),
        ("edge-beta", Os::Linux, _) => linux("microsoft-edge-beta"),
        ("edge-dev", Os::Windows, _) => win("Microsoft/Edge Dev/User Data"),
        ("edge-dev", Os::Macos, _) => mac("Microsoft Edge Dev"),
        ("edge-dev", Os::Linux, _) => linux("microsoft-edge-dev"),
        ("edge-canary", Os::Windows, _) => win("Microsoft/Edge SxS/User Data"),
        ("edge-canary", Os::Macos, _) => mac("Microsoft Edge Canary"),
        ("brave", Os::Windows, _) => win("BraveSoftware/Brave-Browser/User Data"),
        ("brave", Os::Macos, _) => mac("BraveSoftware/Brave-Browser"),
        ("brave", Os::Linux, "native") => linux("BraveSoftware/Brave-Browser"),
        ("brave", Os::Linux, "snap") => snap("brave", "BraveSoftware/Brave-Browser"),
        ("brave", Os::Linux, "flatpak") => {
            flatpak("com.brave.Browser", "BraveSoftware/Brave-Browser")
        }
        ("vivaldi", Os::Windows, _) => win("Vivaldi/User Data"),
        ("vivaldi", Os::Macos, _) => mac("Vivaldi"),
        ("vivaldi", Os::Linux, "native") => linux("vivaldi"),
        ("vivaldi", Os::Linux, "snap") => snap("vivaldi", "vivaldi"),
        ("vivaldi", Os::Linux, "flatpak") => flatpak("com.vivaldi.Vivaldi", "vivaldi"),
        ("opera", Os::Windows, _) => (
            format!("{ROAMING}/Opera Software/Opera Stable"),
            Some(format!("{LOCAL}/Opera Software/Opera Stable")),
        ),
        ("opera", Os::Macos, _) => mac("com.operasoftware.Opera"),
        ("opera", Os::Linux, "native") => linux("opera"),
        ("opera", Os::Linux, "snap") => snap("opera", "opera"),
        ("opera", Os::Linux, "flatpak") => flatpak("com.opera.Opera", "opera"),
        ("opera-gx", Os::Windows, _) => (
            format!("{ROAMING}/Opera Software/Opera GX Stable"),
            Some(format!("{LOCAL}/Opera Software/Opera GX Stable")),
        ),
        ("opera-gx", Os::Macos, _) => mac("com.operasoftware.OperaGX"),
        other => panic!("no Chromium layout for {other:?}"),
    }
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
    let (udd_rel, cache_rel) = chromium_dirs(os, browser, packaging);
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
    let mut p = chromium_profile_pkg(env, os, browser, packaging, "Default");
    // Move the stores up into the UDD, as Opera lays them out.
    let (_, cache_rel) = chromium_dirs(os, browser, packaging);
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
    db.execute_batch(
        "PRAGMA journal_mode=TRUNCATE;
         CREATE TABLE IF NOT EXISTS meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
         INSERT OR REPLACE INTO meta VALUES('mmap_status','-1'),('version','24'),('last_compatible_version','24');
         CREATE TABLE IF NOT EXISTS cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,
           top_frame_site_key TEXT NOT NULL,name TEXT NOT NULL,value TEXT NOT NULL,
           encrypted_value BLOB NOT NULL,path TEXT NOT NULL,expires_utc INTEGER NOT NULL,
           is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL,last_access_utc INTEGER NOT NULL,
           has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL,priority INTEGER NOT NULL,
           samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL,source_port INTEGER NOT NULL,
           last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL,
           has_cross_site_ancestor INTEGER NOT NULL);
         CREATE UNIQUE INDEX IF NOT EXISTS cookies_unique_index ON cookies(host_key, top_frame_site_key,
           has_cross_site_ancestor, name, path, source_scheme, source_port);",
    )
    .unwrap();
}

/// An empty Firefox `cookies.sqlite`, `moz_cookies` schema 17, WAL journal.
pub fn firefox_cookies_db(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS moz_cookies (id INTEGER PRIMARY KEY,
           originAttributes TEXT NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT,
           expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER,
           isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0,
           schemeMap INTEGER DEFAULT 0, isPartitionedAttributeSet INTEGER DEFAULT 0,
           updateTime INTEGER,
           CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes));
         PRAGMA user_version = 17;",
    )
    .unwrap();
}

/// Where a Firefox-family browser keeps its roaming root (`profiles.ini`) and local root
/// (`cache2`), relative to the home.
pub fn firefox_dirs(os: Os, browser: &str, packaging: &str) -> (String, String) {
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    match (browser, os, packaging) {
        ("firefox", Os::Windows, "native") => s(
            "AppData/Roaming/Mozilla/Firefox",
            "AppData/Local/Mozilla/Firefox",
        ),
        ("firefox", Os::Windows, "msix") => s(
            "AppData/Local/Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Roaming/Mozilla/Firefox",
            "AppData/Local/Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Local/Mozilla/Firefox",
        ),
        ("firefox", Os::Macos, _) => s(
            "Library/Application Support/Firefox",
            "Library/Caches/Firefox",
        ),
        ("firefox", Os::Linux, "native") => s(".mozilla/firefox", ".cache/mozilla/firefox"),
        ("firefox", Os::Linux, "xdg") => s(".config/mozilla/firefox", ".cache/mozilla/firefox"),
        ("firefox", Os::Linux, "snap") => s(
            "snap/firefox/common/.mozilla/firefox",
            "snap/firefox/common/.cache/mozilla/firefox",
        ),
        ("firefox", Os::Linux, "flatpak") => s(
            ".var/app/org.mozilla.firefox/.mozilla/firefox",
            ".var/app/org.mozilla.firefox/cache/mozilla/firefox",
        ),
        ("librewolf", Os::Windows, _) => s("AppData/Roaming/librewolf", "AppData/Local/librewolf"),
        ("librewolf", Os::Macos, _) => s(
            "Library/Application Support/librewolf",
            "Library/Caches/librewolf",
        ),
        ("librewolf", Os::Linux, "native") => s(".librewolf", ".cache/librewolf"),
        ("librewolf", Os::Linux, "snap") => s(
            "snap/librewolf/common/.librewolf",
            "snap/librewolf/common/.cache/librewolf",
        ),
        ("librewolf", Os::Linux, "flatpak") => s(
            ".var/app/io.gitlab.librewolf-community/.librewolf",
            ".var/app/io.gitlab.librewolf-community/cache/librewolf",
        ),
        other => panic!("no Firefox layout for {other:?}"),
    }
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
    let (root_rel, local_rel) = firefox_dirs(os, browser, packaging);
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
    let s = SafariHome {
        cookies: env
            .path("Library/Containers/com.apple.Safari/Data/Library/Cookies/Cookies.binarycookies"),
        legacy_cookies: env.path("Library/Cookies/Cookies.binarycookies"),
        cache: env.path("Library/Caches/com.apple.Safari"),
        library: env.path("Library/Safari"),
    };
    for f in [&s.cookies, &s.legacy_cookies] {
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
