//! Browsers: the catalog of browsers per OS (data), profile discovery, running detection.
//!
//! [`catalog()`] is the table of browsers × OS × packaging; [`discover()`] walks a
//! (real or simulated) home through it and returns every [`Installation`] with its
//! [`Profile`]s and their [`Store`]s; [`running_state()`] tells whether an installation is
//! running, from its lock files first and the process list second.

use std::path::{Path, PathBuf};

use serde::Serialize;

pub mod catalog;
pub mod discover;
pub(crate) mod fsutil;
pub mod running;

pub use catalog::{BrowserSpec, Layout, LockRule, Packaging, catalog};
pub use discover::discover;
pub use running::running_state;

/// The engine family of a browser: it decides which store formats its profiles use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Chrome, Chromium, Edge, Brave, Vivaldi, Opera.
    Chromium,
    /// Firefox (all channels), LibreWolf.
    Firefox,
    /// Safari.
    Safari,
}

/// What a store keeps, as told to people: "2 cookies", "1 cached file", "the whole cache",
/// "1 storage folder".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCategory {
    /// Cookie rows or records.
    Cookies,
    /// Cache entries of one site (one file each).
    CachedFiles,
    /// A cache that can only be moved aside whole.
    WholeCache,
    /// Per-origin storage folders.
    StorageFolders,
    /// Records of a database shared by every origin (Chromium's Local Storage).
    StorageRecords,
    /// HTTPS-only (HSTS) entries the browser learnt for a host.
    HstsEntries,
}

impl StoreCategory {
    /// `n` of what this store keeps, in words: "2 cookies", "1 cached file".
    pub fn count(self, n: usize) -> String {
        let (one, many) = match self {
            StoreCategory::Cookies => ("cookie", "cookies"),
            StoreCategory::CachedFiles => ("cached file", "cached files"),
            StoreCategory::WholeCache => ("whole cache", "whole caches"),
            StoreCategory::StorageFolders => ("storage folder", "storage folders"),
            StoreCategory::StorageRecords => ("storage record", "storage records"),
            StoreCategory::HstsEntries => ("HSTS entry", "HSTS entries"),
        };
        crate::words::count(n, one, many)
    }
}

/// The kinds of store fix401 knows how to read and clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Chromium `Cookies` SQLite database (+ `Cookies-journal`).
    ChromiumCookies,
    /// Chromium Simple Cache directory (`Cache/Cache_Data`), per-site removal.
    ChromiumSimpleCache,
    /// Chromium Blockfile cache directory (Windows), whole-cache removal only.
    ChromiumBlockfileCache,
    /// Chromium per-origin IndexedDB folder (`IndexedDB/`).
    ChromiumIndexedDb,
    /// Chromium Service Worker folder (`Service Worker/`).
    ChromiumServiceWorker,
    /// Chromium `Local Storage/leveldb`: one LevelDB for every origin's `localStorage`,
    /// cleared per site record by record.
    ChromiumLocalStorage,
    /// Firefox `cookies.sqlite` (+ `-wal`, `-shm`).
    FirefoxCookies,
    /// Firefox session store (`sessionstore.jsonlz4`, `sessionstore-backups/recovery.jsonlz4`).
    FirefoxSessionStore,
    /// Firefox `cache2` directory, per-site removal.
    FirefoxCache2,
    /// Firefox per-origin site storage (`storage/default/`).
    FirefoxSiteStorage,
    /// Safari `Cookies.binarycookies`.
    SafariCookies,
    /// Safari cache folder, whole removal only.
    SafariCache,
    /// A Firefox profile's preferences files, `user.js` (Firefox never rewrites it) and
    /// `prefs.js`: changed only by the `allow-negotiate` fix, never cleared.
    FirefoxUserPrefs,
    /// Chromium `TransportSecurity` (JSON): the HSTS hosts it learnt, cleared per host.
    ChromiumTransportSecurity,
    /// Firefox `SiteSecurityServiceState.txt` / `.bin`: the HSTS hosts it learnt, cleared
    /// per host.
    FirefoxSiteSecurity,
}

impl StoreKind {
    /// The store holds cookies (rows or records), not files.
    pub fn holds_cookies(self) -> bool {
        matches!(
            self,
            StoreKind::ChromiumCookies
                | StoreKind::FirefoxCookies
                | StoreKind::FirefoxSessionStore
                | StoreKind::SafariCookies
        )
    }

    /// What the store keeps, in the words a removal is told in.
    pub fn category(self) -> StoreCategory {
        match self {
            k if k.holds_cookies() => StoreCategory::Cookies,
            StoreKind::ChromiumSimpleCache | StoreKind::FirefoxCache2 => StoreCategory::CachedFiles,
            StoreKind::ChromiumBlockfileCache | StoreKind::SafariCache => StoreCategory::WholeCache,
            StoreKind::ChromiumLocalStorage => StoreCategory::StorageRecords,
            StoreKind::ChromiumTransportSecurity | StoreKind::FirefoxSiteSecurity => {
                StoreCategory::HstsEntries
            }
            _ => StoreCategory::StorageFolders,
        }
    }

    /// A short label for people (`cookies`, `cache (Simple)`…).
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::ChromiumCookies | StoreKind::FirefoxCookies | StoreKind::SafariCookies => {
                "cookies"
            }
            StoreKind::ChromiumSimpleCache => "cache (Simple, per site)",
            StoreKind::ChromiumBlockfileCache => "cache (Blockfile, whole only)",
            StoreKind::FirefoxCache2 => "cache (cache2, per site)",
            StoreKind::SafariCache => "cache (whole only)",
            StoreKind::ChromiumIndexedDb => "IndexedDB",
            StoreKind::ChromiumServiceWorker => "service workers",
            StoreKind::ChromiumLocalStorage => "Local Storage",
            StoreKind::FirefoxSessionStore => "session store",
            StoreKind::FirefoxSiteStorage => "site storage",
            StoreKind::FirefoxUserPrefs => "preferences",
            StoreKind::ChromiumTransportSecurity | StoreKind::FirefoxSiteSecurity => {
                "HTTPS-only (HSTS)"
            }
        }
    }

    /// How finely fix401 can clear this store: one site's entries, or only all of it.
    pub fn scope(self) -> Scope {
        match self {
            StoreKind::ChromiumBlockfileCache | StoreKind::SafariCache => Scope::Whole,
            // Its database is not split by origin: listed, never cleared (the plan says so).
            StoreKind::ChromiumServiceWorker | StoreKind::FirefoxUserPrefs => Scope::NotSupported,
            _ => Scope::PerSite,
        }
    }

    /// The files that belong with a store file and must travel with it (journal, WAL).
    pub fn sidecars(self) -> &'static [&'static str] {
        match self {
            StoreKind::ChromiumCookies => &["-journal"],
            StoreKind::FirefoxCookies => &["-wal", "-shm"],
            _ => &[],
        }
    }
}

/// How finely a store can be cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only the failing site's entries are removed.
    PerSite,
    /// The format allows no per-site removal: the whole store is moved aside.
    Whole,
    /// fix401 does not clear this data for this browser.
    NotSupported,
}

impl Scope {
    /// Wording for the README table and plans.
    pub fn label(self) -> &'static str {
        match self {
            Scope::PerSite => "per site",
            Scope::Whole => "whole",
            Scope::NotSupported => "not supported",
        }
    }
}

/// One store of one profile: what it is and where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Store {
    /// What kind of store this is.
    pub kind: StoreKind,
    /// The file or directory.
    pub path: PathBuf,
}

impl Store {
    /// Bytes on disk: the file with its sidecars, or everything below the folder
    /// (symbolic links are counted as links, never followed).
    pub fn size(&self) -> u64 {
        let mut total = fsutil::tree_size(&self.path);
        for suffix in self.kind.sidecars() {
            let mut side = self.path.clone().into_os_string();
            side.push(suffix);
            total += fsutil::tree_size(Path::new(&side));
        }
        total
    }
}

/// One browser profile found on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The catalog id of the browser (`chrome`, `firefox`, `safari`…).
    pub browser_id: String,
    /// The browser's display name (`Google Chrome`…).
    pub browser_name: String,
    /// The store formats this profile uses.
    pub family: Family,
    /// The profile's display name (`Person 1`, `default-release`…).
    pub name: String,
    /// The account e-mail signed into the profile, where the browser records one.
    pub email: Option<String>,
    /// The profile directory.
    pub dir: PathBuf,
    /// The stores found in this profile (only those that exist).
    pub stores: Vec<Store>,
    /// True for the profile the browser opens by default (Chromium `last_used`, Firefox
    /// `[Install…] Default` / `Default=1`, or the only profile).
    pub is_default: bool,
    /// The catalog roots this profile's stores lie in. Nothing outside them may be touched.
    pub roots: Vec<PathBuf>,
}

impl Profile {
    /// The stores of one kind.
    pub fn stores_of(&self, kind: StoreKind) -> impl Iterator<Item = &Store> {
        self.stores.iter().filter(move |s| s.kind == kind)
    }

    /// True when `path` lies inside one of this profile's roots without passing through a
    /// symbolic link below the root (the rule every store operation must respect).
    pub fn contains(&self, path: &Path) -> bool {
        self.roots
            .iter()
            .any(|root| fsutil::inside_without_links(root, path))
    }
}

/// Whether a browser is running, and how fix401 knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunningState {
    /// No lock is held and no process of this browser runs for this home.
    NotRunning,
    /// The browser runs: a held lock or a live process proves it.
    Running {
        /// What proved it, for people (`SingletonLock held by process 1234 on this computer`).
        evidence: String,
    },
    /// The evidence is inconclusive; treat as running before writing.
    Unknown {
        /// Why fix401 cannot tell.
        why: String,
    },
}

impl RunningState {
    /// True only when the browser is known to run.
    pub fn is_running(&self) -> bool {
        matches!(self, RunningState::Running { .. })
    }

    /// True when writing to its stores is safe (known not to run).
    pub fn is_safe_to_write(&self) -> bool {
        matches!(self, RunningState::NotRunning)
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            RunningState::NotRunning => "not running".into(),
            RunningState::Running { evidence } => format!("RUNNING ({evidence})"),
            RunningState::Unknown { why } => format!("unknown ({why})"),
        }
    }
}

/// One browser installation found in the home: a catalog entry in one packaging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    /// The catalog id (`chrome`, `firefox`…); the same for every packaging.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Engine family.
    pub family: Family,
    /// How it was installed.
    pub packaging: Packaging,
    /// Chromium: the user-data dirs; Firefox: the roaming roots (with `profiles.ini`);
    /// Safari: its `~/Library` folders. Lock files live here.
    pub data_dirs: Vec<PathBuf>,
    /// Every catalog root found for it (data dirs and cache roots): the only folders any
    /// store operation may touch.
    pub roots: Vec<PathBuf>,
    /// The profiles found.
    pub profiles: Vec<Profile>,
    /// Whether it runs now.
    pub running: RunningState,
    /// What could not be read and was skipped (bad `Local State`, missing profile…).
    pub warnings: Vec<String>,
}

impl Installation {
    /// The catalog entry this installation came from.
    pub fn spec(&self) -> Option<&'static BrowserSpec> {
        catalog::spec(&self.id)
    }
}

/// The profiles a `--browser ID… --profile PATH…` selection names, with their
/// installation. No ids and no paths = every profile. A `--profile` may be the profile's
/// folder or its display name. Ids outside the catalog, browsers without data in this home
/// and profiles that match nothing are bad input, with the choices in the message.
pub fn select<'a>(
    found: &'a [Installation],
    browser_ids: &[String],
    profiles: &[String],
) -> crate::Result<Vec<(&'a Installation, &'a Profile)>> {
    for id in browser_ids {
        if catalog::spec(id).is_none() {
            let ids: Vec<&str> = catalog().iter().map(|s| s.id).collect();
            return Err(crate::Error::BadInput(format!(
                "unknown browser '{id}': use one of {}",
                ids.join(", ")
            )));
        }
        if !found.iter().any(|i| &i.id == id) {
            let present: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
            return Err(crate::Error::BadInput(format!(
                "--browser {id}: no data of this browser in this home{}",
                if present.is_empty() {
                    " (no browser data at all)".to_string()
                } else {
                    format!("; found: {}", present.join(", "))
                }
            )));
        }
    }
    let mut out = Vec::new();
    let mut matched = vec![false; profiles.len()];
    for inst in found {
        if !browser_ids.is_empty() && !browser_ids.contains(&inst.id) {
            continue;
        }
        for p in &inst.profiles {
            let mut hit = profiles.is_empty();
            for (i, want) in profiles.iter().enumerate() {
                let same_dir = Path::new(want) == p.dir
                    || std::fs::canonicalize(want)
                        .ok()
                        .zip(std::fs::canonicalize(&p.dir).ok())
                        .is_some_and(|(a, b)| a == b);
                if same_dir || want.eq_ignore_ascii_case(&p.name) {
                    matched[i] = true;
                    hit = true;
                }
            }
            if hit {
                out.push((inst, p));
            }
        }
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        let choices: Vec<String> = found
            .iter()
            .filter(|inst| browser_ids.is_empty() || browser_ids.contains(&inst.id))
            .flat_map(|inst| inst.profiles.iter())
            .map(|p| format!("{} ({})", p.dir.display(), p.name))
            .collect();
        return Err(crate::Error::BadInput(format!(
            "--profile {}: no such profile; profiles found: {}",
            profiles[i],
            if choices.is_empty() {
                "none".to_string()
            } else {
                choices.join(", ")
            }
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(id: &str, profiles: &[(&str, &str)]) -> Installation {
        Installation {
            id: id.into(),
            name: id.into(),
            family: Family::Chromium,
            packaging: Packaging::Native,
            data_dirs: Vec::new(),
            roots: Vec::new(),
            profiles: profiles
                .iter()
                .map(|(dir, name)| Profile {
                    browser_id: id.into(),
                    browser_name: id.into(),
                    family: Family::Chromium,
                    name: (*name).into(),
                    email: None,
                    dir: PathBuf::from(dir),
                    stores: Vec::new(),
                    is_default: false,
                    roots: Vec::new(),
                })
                .collect(),
            running: RunningState::NotRunning,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn select_by_browser_and_profile_with_clear_errors() {
        let found = vec![
            inst(
                "chrome",
                &[("/h/c/Default", "Work"), ("/h/c/Profile 1", "Home")],
            ),
            inst("firefox", &[("/h/f/x.default", "default")]),
        ];
        assert_eq!(select(&found, &[], &[]).unwrap().len(), 3);
        let chrome = select(&found, &["chrome".into()], &[]).unwrap();
        assert_eq!(chrome.len(), 2);
        let one = select(&found, &[], &["/h/c/Profile 1".into()]).unwrap();
        assert_eq!(one[0].1.name, "Home");
        let by_name = select(&found, &["chrome".into()], &["work".into()]).unwrap();
        assert_eq!(by_name[0].1.dir, PathBuf::from("/h/c/Default"));
        let e = select(&found, &["netscape".into()], &[]).unwrap_err();
        assert!(e.to_string().contains("use one of chrome"), "{e}");
        assert_eq!(e.exit_code(), 2);
        let e = select(&found, &["edge".into()], &[]).unwrap_err();
        assert!(e.to_string().contains("found: chrome, firefox"), "{e}");
        let e = select(&found, &[], &["/nope".into()]).unwrap_err();
        assert!(e.to_string().contains("/h/c/Default (Work)"), "{e}");
    }
}
