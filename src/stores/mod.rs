//! Site-scoped removal of cookies, cache and storage from browser stores, with backup and
//! undo (reference `browser-stores.md` §4–§10).
//!
//! [`plan`] looks (read only) and says per browser and profile what would go and what is
//! skipped and why; [`apply`] re-checks that no browser runs, saves everything into a
//! backup first and then changes each store (one SQLite transaction per store; cache
//! files and storage folders are moved, not copied); [`undo`] puts it all back exactly.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::browsers::{Installation, Profile, StoreCategory, StoreKind};
use crate::error::{Error, Result};
use crate::system::{Os, System};

pub mod backup;
pub mod cache2;
pub mod files;
pub mod firefox_session;
pub mod hsts;
pub mod local_storage;
#[cfg(test)]
mod proptests;
pub mod safari_cookies;
pub mod simple_cache;
pub mod site;
pub mod site_storage;
pub mod sqlite_rows;
mod undo;

pub use backup::BackupSummary;
pub use site::Site;
pub use undo::{Restored, can_undo, undo};

/// The macOS settings page where Full Disk Access is granted.
pub const FULL_DISK_ACCESS_LINK: &str =
    "x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles";

/// What to clear, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// The failing site: a host name or URL.
    pub site: String,
    /// Only that exact host (no sibling subdomains, no parent-domain cookies).
    pub exact_host: bool,
    /// Clear cookies.
    pub cookies: bool,
    /// Clear the HTTP cache.
    pub cache: bool,
    /// Clear per-origin site storage.
    pub storage: bool,
    /// Clear the HTTPS-only (HSTS) entries the browsers learnt for the host. Never implied:
    /// an entry protects the person (it refuses a downgraded connection), so it goes only
    /// when asked for (`--hsts`) or when it is what breaks the site (`hsts.stuck`).
    pub hsts: bool,
    /// Only these browsers (catalog ids); empty = all.
    pub browsers: Vec<String>,
    /// Only these profiles (folder or display name); empty = all.
    pub profiles: Vec<PathBuf>,
}

impl Selection {
    /// (cookies, cache, storage, HSTS): the kinds chosen, or with none chosen every kind
    /// that holds the site's data — never HSTS, which is only ever chosen.
    fn kinds(&self) -> (bool, bool, bool, bool) {
        if !self.cookies && !self.cache && !self.storage && !self.hsts {
            (true, true, true, false)
        } else {
            (self.cookies, self.cache, self.storage, self.hsts)
        }
    }
}

/// What is to be done to one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Delete cookie rows.
    Cookies {
        /// How many.
        count: usize,
        /// Their names (never values).
        names: Vec<String>,
    },
    /// Move the site's cache entries aside.
    CacheEntries {
        /// Entries.
        count: usize,
        /// Bytes on disk.
        bytes: u64,
    },
    /// Move the whole cache aside: the format cannot be cleared per site.
    WholeCache {
        /// Bytes on disk.
        bytes: u64,
        /// Why only the whole cache.
        reason: String,
    },
    /// Move the site's storage folders aside.
    StorageFolders {
        /// Folder names.
        folders: Vec<String>,
        /// Bytes on disk.
        bytes: u64,
    },
    /// Delete the site's records from a database every origin shares (Chromium's Local
    /// Storage), saved in the backup first.
    StorageRecords {
        /// Records (items and their origins' metadata).
        count: usize,
        /// The origins (storage keys) they belong to.
        origins: Vec<String>,
        /// Bytes of their keys and values.
        bytes: u64,
    },
    /// Remove the HTTPS-only (HSTS) entries that make the browser refuse plain HTTP for the
    /// host, saved in the backup first.
    HstsEntries {
        /// How many.
        count: usize,
        /// The host of each (the site's host, or a parent domain that includes subdomains).
        hosts: Vec<String>,
    },
}

/// One store with something to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    /// The store kind.
    pub kind: StoreKind,
    /// The store path.
    pub store: PathBuf,
    /// What will happen.
    pub action: Action,
    /// The exact files or folders to move (empty for cookie stores).
    #[serde(skip)]
    pub targets: Vec<Target>,
    /// The rows of a cookie database the plan found: apply deletes exactly these (each
    /// checked again inside its transaction) without scanning the table a second time.
    /// `None` when the plan could not read the store as apply will (a hot journal).
    #[serde(skip)]
    pub rowids: Option<Vec<i64>>,
}

/// Why something is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipCode {
    /// The browser runs (or may run): close it first.
    BrowserRunning,
    /// Another process holds the store.
    StoreLocked,
    /// macOS denies access until Full Disk Access is granted.
    FullDiskAccess,
    /// A symbolic link that may lead outside the store.
    Symlink,
    /// The path is outside the catalog's roots.
    OutsideRoots,
    /// The store could not be read.
    Unreadable,
    /// fix401 cannot clear this store per site.
    NotSupported,
}

/// Something left alone, with the reason and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Machine-readable reason.
    pub code: SkipCode,
    /// The store or entry, when it is about one.
    pub path: Option<PathBuf>,
    /// The reason, for people.
    pub reason: String,
    /// What the person can do (close the browser, a settings deep link…).
    pub remedy: Option<String>,
}

/// Everything to do in one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfilePlan {
    /// Catalog id of the browser.
    pub browser_id: String,
    /// Browser display name.
    pub browser_name: String,
    /// Profile display name.
    pub profile_name: String,
    /// Profile folder.
    pub profile_dir: PathBuf,
    /// Stores with something to do.
    pub items: Vec<PlanItem>,
    /// What is left alone.
    pub skipped: Vec<Skipped>,
    /// The profile, as discovered (roots, stores).
    #[serde(skip)]
    pub profile: Option<Profile>,
}

/// The plan of a clear: read only, shown before anything changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The site as typed.
    pub site: String,
    /// What is matched.
    pub matched: Site,
    /// Kinds chosen.
    pub cookies: bool,
    /// Kinds chosen.
    pub cache: bool,
    /// Kinds chosen.
    pub storage: bool,
    /// Kinds chosen.
    pub hsts: bool,
    /// Per profile.
    pub profiles: Vec<ProfilePlan>,
    /// Cookies to delete in total.
    pub total_cookies: usize,
    /// Cache entries to move in total.
    pub total_cache_entries: usize,
    /// Bytes to move in total.
    pub total_bytes: u64,
    /// The installations involved, for the re-check before applying.
    #[serde(skip)]
    pub installations: Vec<Installation>,
}

impl Plan {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.profiles.iter().all(|p| p.items.is_empty())
    }

    /// True when a selected browser runs (or may run): applying is then refused.
    pub fn blocked_by_running(&self) -> bool {
        self.profiles
            .iter()
            .flat_map(|p| &p.skipped)
            .any(|s| s.code == SkipCode::BrowserRunning)
    }
}

/// One file or folder to move into the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Where it is.
    pub path: PathBuf,
    /// Bytes.
    pub bytes: u64,
    /// The cache key or folder name.
    pub label: String,
    /// True for a folder.
    pub is_dir: bool,
}

/// What a store scan found.
#[derive(Debug, Clone, Default)]
pub struct TargetScan {
    /// Files and folders to move.
    pub targets: Vec<Target>,
    /// Entries (a Simple Cache entry has up to three files).
    pub entries: usize,
    /// Symbolic links met (left alone).
    pub links: Vec<PathBuf>,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The backup id for `fix401 undo ID`.
    pub backup_id: String,
    /// The backup folder.
    pub backup_dir: PathBuf,
    /// The site.
    pub site: String,
    /// Cookies deleted.
    pub cookies: usize,
    /// Files and folders moved.
    pub files: usize,
    /// Bytes moved.
    pub bytes: u64,
    /// Per store: what was done.
    pub items: Vec<AppliedItem>,
}

impl Applied {
    /// What was removed, for people: "2 cookies, 1 cached file and 1 storage folder
    /// (1.5 KiB)", or "nothing" when the site had nothing stored.
    pub fn describe(&self) -> String {
        const ORDER: [StoreCategory; 6] = [
            StoreCategory::Cookies,
            StoreCategory::CachedFiles,
            StoreCategory::WholeCache,
            StoreCategory::StorageFolders,
            StoreCategory::StorageRecords,
            StoreCategory::HstsEntries,
        ];
        let total = |c: StoreCategory| -> usize {
            self.items
                .iter()
                .filter(|i| i.kind.category() == c)
                .map(|i| i.count)
                .sum()
        };
        let parts: Vec<String> = ORDER
            .iter()
            .map(|&c| (c, total(c)))
            .filter(|&(_, n)| n > 0)
            .map(|(c, n)| c.count(n))
            .collect();
        if parts.is_empty() {
            return "nothing".into();
        }
        let mut text = crate::words::join(&parts);
        // Moved files and records have sizes; cookies and HSTS entries are counted only.
        if ORDER[1..5].iter().any(|&c| total(c) > 0) {
            text.push_str(&format!(" ({})", crate::words::bytes(self.bytes)));
        }
        text
    }
}

/// One store changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedItem {
    /// Browser.
    pub browser_id: String,
    /// Profile folder.
    pub profile_dir: PathBuf,
    /// Store kind.
    pub kind: StoreKind,
    /// Store path.
    pub store: PathBuf,
    /// Rows deleted or files moved.
    pub count: usize,
    /// Bytes moved.
    pub bytes: u64,
}

/// Aborts the process at a named step when `FIX401_FAULT` names it (fault-injection tests
/// kill fix401 between steps to prove every store and backup survives). Only in builds with
/// the `fault-injection` feature, which the test build turns on and a release never has.
#[cfg(feature = "fault-injection")]
pub(crate) fn fault(step: &str) {
    if std::env::var("FIX401_FAULT").is_ok_and(|v| v == step) {
        eprintln!("fix401: FIX401_FAULT={step}: aborting here (test)");
        std::process::abort();
    }
}

/// Without the `fault-injection` feature a named step is just a name: nothing is read.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn fault(_step: &str) {}

/// Lists the backups, newest first; backups older than 30 days are pruned first.
pub fn list_backups(sys: &System) -> Result<Vec<BackupSummary>> {
    backup::list(sys)
}

fn running_skip(inst: &Installation) -> Option<Skipped> {
    if inst.running.is_safe_to_write() {
        return None;
    }
    Some(Skipped {
        code: SkipCode::BrowserRunning,
        path: None,
        reason: format!(
            "{} is {}: its stores are never changed while it may write them",
            inst.name,
            inst.running.describe()
        ),
        remedy: Some(format!(
            "close {} (all its windows and background processes), then run again",
            inst.name
        )),
    })
}

fn io_skip(sys: &System, path: &Path, e: &std::io::Error) -> Skipped {
    if e.kind() == std::io::ErrorKind::PermissionDenied && sys.os == Os::Macos {
        Skipped {
            code: SkipCode::FullDiskAccess,
            path: Some(path.to_path_buf()),
            reason: "macOS denies access to this store (Full Disk Access is missing)".into(),
            remedy: Some(format!(
                "grant Full Disk Access to fix401 (or Terminal), restart it: {FULL_DISK_ACCESS_LINK}"
            )),
        }
    } else {
        Skipped {
            code: SkipCode::Unreadable,
            path: Some(path.to_path_buf()),
            reason: format!("cannot read this store: {e}"),
            remedy: None,
        }
    }
}

fn sqlite_skip(sys: &System, path: &Path, e: &Error) -> Skipped {
    let text = e.to_string();
    if e.is_sqlite_busy() {
        return Skipped {
            code: SkipCode::StoreLocked,
            path: Some(path.to_path_buf()),
            reason: format!("another program holds this store ({text})"),
            remedy: Some("close the browser that uses it, then run again".into()),
        };
    }
    if let Err(io) = std::fs::File::open(path) {
        return io_skip(sys, path, &io);
    }
    // The skip names the store already: a damaged one's reason is what is wrong with it.
    let reason = match e {
        Error::BadFile { message, .. } => message.clone(),
        _ => text,
    };
    Skipped {
        code: SkipCode::Unreadable,
        path: Some(path.to_path_buf()),
        reason,
        remedy: None,
    }
}

/// Looks at every selected profile and says what a clear would do. Changes nothing.
pub fn plan(sys: &System, installations: &[Installation], sel: &Selection) -> Result<Plan> {
    let matched = Site::parse(&sel.site, sel.exact_host)?;
    let (want_cookies, want_cache, want_storage, want_hsts) = sel.kinds();
    let profile_names: Vec<String> = sel
        .profiles
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let chosen = crate::browsers::select(installations, &sel.browsers, &profile_names)?;
    let mut plan = Plan {
        site: sel.site.clone(),
        matched: matched.clone(),
        cookies: want_cookies,
        cache: want_cache,
        storage: want_storage,
        hsts: want_hsts,
        profiles: Vec::new(),
        total_cookies: 0,
        total_cache_entries: 0,
        total_bytes: 0,
        installations: Vec::new(),
    };
    for (inst, profile) in chosen {
        let mut pp = ProfilePlan {
            browser_id: inst.id.clone(),
            browser_name: inst.name.clone(),
            profile_name: profile.name.clone(),
            profile_dir: profile.dir.clone(),
            items: Vec::new(),
            skipped: Vec::new(),
            profile: Some(profile.clone()),
        };
        if !plan
            .installations
            .iter()
            .any(|i| i.id == inst.id && i.data_dirs == inst.data_dirs)
        {
            plan.installations.push(inst.clone());
        }
        let running = running_skip(inst);
        for store in &profile.stores {
            let is_cookie = matches!(
                store.kind,
                StoreKind::ChromiumCookies | StoreKind::FirefoxCookies | StoreKind::SafariCookies
            ) || store.kind == StoreKind::FirefoxSessionStore;
            let is_cache = matches!(
                store.kind,
                StoreKind::ChromiumSimpleCache
                    | StoreKind::ChromiumBlockfileCache
                    | StoreKind::FirefoxCache2
                    | StoreKind::SafariCache
            );
            let is_hsts = store.kind.category() == StoreCategory::HstsEntries;
            let wanted = (is_cookie && want_cookies)
                || (is_cache && want_cache)
                || (is_hsts && want_hsts)
                || (!is_cookie && !is_cache && !is_hsts && want_storage);
            if !wanted {
                continue;
            }
            if !profile.contains(&store.path) || files::is_link(&store.path) {
                pp.skipped.push(Skipped {
                    code: SkipCode::OutsideRoots,
                    path: Some(store.path.clone()),
                    reason: "this store lies outside the browser's folders or is reached \
                             through a symbolic link; it is left alone"
                        .into(),
                    remedy: None,
                });
                continue;
            }
            if let Some(r) = &running {
                let mut r = r.clone();
                r.path = Some(store.path.clone());
                pp.skipped.push(r);
                continue;
            }
            match plan_store(sys, &matched, store.kind, &store.path) {
                Ok((item, skipped)) => {
                    pp.skipped.extend(skipped);
                    if let Some(item) = item {
                        match &item.action {
                            Action::Cookies { count, .. } => plan.total_cookies += count,
                            Action::HstsEntries { .. } => {}
                            Action::CacheEntries { count, bytes } => {
                                plan.total_cache_entries += count;
                                plan.total_bytes += bytes;
                            }
                            Action::WholeCache { bytes, .. }
                            | Action::StorageFolders { bytes, .. }
                            | Action::StorageRecords { bytes, .. } => plan.total_bytes += bytes,
                        }
                        pp.items.push(item);
                    }
                }
                Err(s) => pp.skipped.push(s),
            }
        }
        plan.profiles.push(pp);
    }
    Ok(plan)
}

fn link_skips(links: Vec<PathBuf>) -> Vec<Skipped> {
    links
        .into_iter()
        .map(|p| Skipped {
            code: SkipCode::Symlink,
            path: Some(p),
            reason: "a symbolic link inside the store: it may lead outside, so it is left alone"
                .into(),
            remedy: None,
        })
        .collect()
}

type StorePlan = (Option<PlanItem>, Vec<Skipped>);

fn plan_store(
    sys: &System,
    site: &Site,
    kind: StoreKind,
    path: &Path,
) -> std::result::Result<StorePlan, Skipped> {
    let scan_item = |scan: TargetScan, per_site: bool| -> StorePlan {
        let skipped = link_skips(scan.links);
        if scan.targets.is_empty() {
            return (None, skipped);
        }
        let bytes = scan.targets.iter().map(|t| t.bytes).sum();
        let action = if per_site
            && matches!(
                kind,
                StoreKind::ChromiumSimpleCache | StoreKind::FirefoxCache2
            ) {
            Action::CacheEntries {
                count: scan.entries,
                bytes,
            }
        } else {
            Action::StorageFolders {
                folders: scan.targets.iter().map(|t| t.label.clone()).collect(),
                bytes,
            }
        };
        (
            Some(PlanItem {
                kind,
                store: path.to_path_buf(),
                action,
                targets: scan.targets,
                rowids: None,
            }),
            skipped,
        )
    };
    match kind {
        // Preferences are no site data: never part of a clear.
        StoreKind::FirefoxUserPrefs => Ok((None, Vec::new())),
        StoreKind::ChromiumCookies | StoreKind::FirefoxCookies => {
            if let Err(e) = files::open_nofollow(path) {
                return Err(io_skip(sys, path, &e));
            }
            let (conn, as_is) =
                sqlite_rows::open_to_look(path).map_err(|e| sqlite_skip(sys, path, &e))?;
            let rows = sqlite_rows::find(&conn, kind, site, None)
                .map_err(|e| sqlite_skip(sys, path, &e))?;
            if rows.is_empty() {
                return Ok((None, Vec::new()));
            }
            let rowids = as_is.then(|| rows.iter().map(|(id, _)| *id).collect());
            let mut names: Vec<String> = rows.into_iter().map(|(_, n)| n).collect();
            let count = names.len();
            names.sort();
            names.dedup();
            let action = if kind.category() == StoreCategory::HstsEntries {
                Action::HstsEntries {
                    count,
                    hosts: names,
                }
            } else {
                Action::Cookies { count, names }
            };
            Ok((
                Some(PlanItem {
                    kind,
                    store: path.to_path_buf(),
                    action,
                    targets: Vec::new(),
                    rowids,
                }),
                Vec::new(),
            ))
        }
        StoreKind::ChromiumSimpleCache => Ok(scan_item(simple_cache::scan(path, site), true)),
        StoreKind::FirefoxCache2 => Ok(scan_item(cache2::scan(path, site), true)),
        StoreKind::FirefoxSiteStorage => Ok(scan_item(site_storage::scan(path, site, true), false)),
        StoreKind::ChromiumIndexedDb => Ok(scan_item(site_storage::scan(path, site, false), false)),
        StoreKind::ChromiumBlockfileCache | StoreKind::SafariCache => {
            if files::tree_has_link(path) {
                return Ok((None, link_skips(vec![path.to_path_buf()])));
            }
            let bytes = files::tree_size(path);
            if bytes == 0 {
                return Ok((None, Vec::new()));
            }
            let reason = if kind == StoreKind::ChromiumBlockfileCache {
                "the Blockfile cache format (Windows) cannot be cleared per site: the whole \
                 cache is moved aside and the browser recreates it"
            } else {
                "Safari's cache cannot be cleared per site: the whole cache is moved aside"
            };
            Ok((
                Some(PlanItem {
                    kind,
                    store: path.to_path_buf(),
                    action: Action::WholeCache {
                        bytes,
                        reason: reason.into(),
                    },
                    targets: vec![Target {
                        path: path.to_path_buf(),
                        bytes,
                        label: "whole cache".into(),
                        is_dir: true,
                    }],
                    rowids: None,
                }),
                Vec::new(),
            ))
        }
        StoreKind::ChromiumLocalStorage => {
            if files::tree_has_link(path) {
                return Ok((None, link_skips(vec![path.to_path_buf()])));
            }
            let found = local_storage::find(path, site).map_err(|e| match e {
                Error::Io { source, .. } => io_skip(sys, path, &source),
                other => Skipped {
                    code: SkipCode::Unreadable,
                    path: Some(path.to_path_buf()),
                    reason: other.to_string(),
                    remedy: None,
                },
            })?;
            if found.records.is_empty() {
                return Ok((None, Vec::new()));
            }
            Ok((
                Some(PlanItem {
                    kind,
                    store: path.to_path_buf(),
                    action: Action::StorageRecords {
                        count: found.records.len(),
                        bytes: found.bytes(),
                        origins: found.origins,
                    },
                    targets: Vec::new(),
                    rowids: None,
                }),
                Vec::new(),
            ))
        }
        StoreKind::ChromiumServiceWorker => Err(Skipped {
            code: SkipCode::NotSupported,
            path: Some(path.to_path_buf()),
            reason: "service-worker data is not kept in per-origin folders; left alone".into(),
            remedy: None,
        }),
        StoreKind::FirefoxSessionStore
        | StoreKind::SafariCookies
        | StoreKind::ChromiumTransportSecurity
        | StoreKind::FirefoxSiteSecurity => {
            let bytes = read_store(path).map_err(|e| io_skip(sys, path, &e))?;
            let found = rewrite(kind, path, &bytes, site).map_err(|e| Skipped {
                code: SkipCode::Unreadable,
                path: Some(path.to_path_buf()),
                reason: e.to_string(),
                remedy: None,
            })?;
            let Some(Rewrite { mut names, .. }) = found else {
                return Ok((None, Vec::new()));
            };
            let count = names.len();
            names.sort();
            names.dedup();
            let action = if kind.category() == StoreCategory::HstsEntries {
                Action::HstsEntries {
                    count,
                    hosts: names,
                }
            } else {
                Action::Cookies { count, names }
            };
            Ok((
                Some(PlanItem {
                    kind,
                    store: path.to_path_buf(),
                    action,
                    targets: Vec::new(),
                    rowids: None,
                }),
                Vec::new(),
            ))
        }
    }
}

fn read_store(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = files::open_nofollow(path)?;
    let mut v = Vec::new();
    f.read_to_end(&mut v)?;
    Ok(v)
}

/// The site's entries removed from a file that is rewritten whole: their names, the new
/// contents and what undo needs (only those entries), or `None` when the site has none.
fn rewrite(kind: StoreKind, path: &Path, bytes: &[u8], site: &Site) -> Result<Option<Rewrite>> {
    match kind {
        StoreKind::FirefoxSessionStore => {
            Ok(firefox_session::filter(bytes, site)?.map(|r| Rewrite {
                names: r.names,
                bytes: r.bytes,
                saved: SavedEntries::SessionStore(r.saved),
            }))
        }
        StoreKind::SafariCookies => Ok(safari_cookies::filter(bytes, site)?.map(|r| Rewrite {
            names: r.names,
            bytes: r.bytes,
            saved: SavedEntries::Binarycookies(r.saved),
        })),
        StoreKind::ChromiumTransportSecurity | StoreKind::FirefoxSiteSecurity => {
            let format = match kind {
                StoreKind::ChromiumTransportSecurity => hsts::Format::ChromiumJson,
                _ => hsts::Format::of(path),
            };
            Ok(hsts::filter(format, bytes, site)?.map(|r| Rewrite {
                names: r.hosts,
                bytes: r.bytes,
                saved: SavedEntries::Hsts(r.saved),
            }))
        }
        other => Err(Error::Internal(format!("{other:?} is not rewritten whole"))),
    }
}

/// A file rewritten without the site's entries.
struct Rewrite {
    names: Vec<String>,
    bytes: Vec<u8>,
    saved: SavedEntries,
}

/// The removed entries of a file rewritten whole, as saved in the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum SavedEntries {
    /// Firefox session store cookies.
    SessionStore(firefox_session::Saved),
    /// Safari binarycookies records.
    Binarycookies(safari_cookies::Saved),
    /// HSTS entries (Chromium `TransportSecurity`, Firefox `SiteSecurityServiceState`).
    Hsts(hsts::Saved),
}

impl SavedEntries {
    /// The current file with the entries put back, and whether it is the original exactly.
    pub fn restore(&self, current: &[u8]) -> Result<(Vec<u8>, bool)> {
        match self {
            SavedEntries::SessionStore(s) => firefox_session::restore(current, s),
            SavedEntries::Binarycookies(s) => safari_cookies::restore(current, s),
            SavedEntries::Hsts(s) => hsts::restore(current, s),
        }
    }
}

/// Re-checks that no involved browser runs, backs everything up, then clears. A running
/// browser refuses the whole clear before anything changes.
pub fn apply(sys: &System, plan: &Plan) -> Result<Applied> {
    // Right before writing: is any selected browser running now? Then nothing changes.
    for inst in &plan.installations {
        let now = crate::browsers::running_state(sys, inst);
        if !now.is_safe_to_write() {
            return Err(Error::Refused(format!(
                "{} is {}; nothing was changed. Close {} (all its windows and background \
                 processes) and run again, or leave it out with --browser",
                inst.name,
                now.describe(),
                inst.name
            )));
        }
    }
    let mut w = backup::Writer::create(sys, &plan.site, &plan.matched.domain)?;
    let mut applied = Applied {
        backup_id: w.manifest.id.clone(),
        backup_dir: w.dir.clone(),
        site: plan.site.clone(),
        cookies: 0,
        files: 0,
        bytes: 0,
        items: Vec::new(),
    };
    for pp in &plan.profiles {
        let Some(profile) = &pp.profile else { continue };
        for item in &pp.items {
            let (count, bytes) = apply_item(&mut w, &plan.matched, pp, profile, item)?;
            if matches!(item.action, Action::Cookies { .. }) {
                applied.cookies += count;
            } else if matches!(
                item.action,
                Action::StorageRecords { .. } | Action::HstsEntries { .. }
            ) {
                // Records are neither cookies nor moved files: told by their category.
                applied.bytes += bytes;
            } else {
                applied.files += count;
                applied.bytes += bytes;
            }
            applied.items.push(AppliedItem {
                browser_id: pp.browser_id.clone(),
                profile_dir: pp.profile_dir.clone(),
                kind: item.kind,
                store: item.store.clone(),
                count,
                bytes,
            });
        }
    }
    fault("before-complete");
    w.manifest.status = backup::Status::Complete;
    w.save()?;
    backup::prune(sys);
    Ok(applied)
}

fn kind_name(kind: StoreKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn apply_item(
    w: &mut backup::Writer,
    site: &Site,
    pp: &ProfilePlan,
    profile: &Profile,
    item: &PlanItem,
) -> Result<(usize, u64)> {
    let base = |original: &Path, saved: backup::Saved| backup::Item {
        browser_id: pp.browser_id.clone(),
        profile_dir: pp.profile_dir.clone(),
        kind: kind_name(item.kind),
        store: item.store.clone(),
        original: original.to_path_buf(),
        saved,
    };
    if !profile.contains(&item.store) || files::is_link(&item.store) {
        return Err(Error::Refused(format!(
            "{} lies outside the browser's folders or behind a symbolic link; nothing more \
             was changed (undo with the backup {})",
            item.store.display(),
            w.manifest.id
        )));
    }
    match item.kind {
        StoreKind::FirefoxSessionStore
        | StoreKind::SafariCookies
        | StoreKind::ChromiumTransportSecurity
        | StoreKind::FirefoxSiteSecurity => {
            let bytes = read_store(&item.store)
                .map_err(|e| Error::io(format!("cannot read {}", item.store.display()), e))?;
            let Some(Rewrite {
                mut names,
                bytes: new,
                saved,
            }) = rewrite(item.kind, &item.store, &bytes, site)
                .map_err(|e| e.in_file(&item.store))?
            else {
                return Ok((0, 0));
            };
            let count = names.len();
            names.sort();
            names.dedup();
            let file = w.name("entries-", ".json");
            let text = serde_json::to_vec(&saved)
                .map_err(|e| Error::Internal(format!("cannot encode saved entries: {e}")))?;
            files::write_atomic(&w.dir.join(&file), &text)?;
            w.record(vec![base(
                &item.store,
                backup::Saved::Entries { file, count, names },
            )])?;
            fault("file-saved");
            files::write_atomic(&item.store, &new)?;
            fault("file-rewritten");
            Ok((count, 0))
        }
        StoreKind::ChromiumCookies | StoreKind::FirefoxCookies => {
            // Only the site's rows are saved: never a copy of the database (it holds every
            // other site's cookies). SQLite's transaction keeps the store whole; a hot
            // journal left by a crash is rolled back by SQLite as the browser itself would
            // at its next start.
            let mut conn = sqlite_rows::open(&item.store)?;
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| Error::sqlite(format!("cannot lock {}", item.store.display()), e))?;
            let found = sqlite_rows::find(&tx, item.kind, site, item.rowids.as_deref())?;
            if found.is_empty() {
                return Ok((0, 0));
            }
            let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
            let saved = sqlite_rows::save(&tx, item.kind, &ids)?;
            let file = w.name("rows-", ".json");
            let text = serde_json::to_vec(&saved)
                .map_err(|e| Error::Internal(format!("cannot encode saved rows: {e}")))?;
            files::write_atomic(&w.dir.join(&file), &text)?;
            let mut names: Vec<String> = found.into_iter().map(|(_, n)| n).collect();
            names.sort();
            names.dedup();
            w.record(vec![base(
                &item.store,
                backup::Saved::Rows {
                    file,
                    count: saved.rows.len(),
                    names,
                },
            )])?;
            fault("rows-saved");
            let n = sqlite_rows::delete(&tx, item.kind, &ids)?;
            fault("rows-deleted");
            tx.commit()
                .map_err(|e| Error::sqlite(format!("cannot commit {}", item.store.display()), e))?;
            fault("committed");
            Ok((n, 0))
        }
        StoreKind::ChromiumLocalStorage => {
            if files::tree_has_link(&item.store) {
                return Err(Error::Refused(format!(
                    "{} holds a symbolic link; nothing more was changed (undo with the \
                     backup {})",
                    item.store.display(),
                    w.manifest.id
                )));
            }
            // Only the site's records are saved, never a copy of the database (it holds
            // every other site's storage); the manifest lists them before they go.
            let mut bytes = 0;
            let planned = match &item.action {
                Action::StorageRecords { origins, .. } => Some(origins.as_slice()),
                _ => None,
            };
            let n = local_storage::remove(&item.store, site, planned, |found, saved| {
                bytes = found.bytes();
                let file = w.name("records-", ".json");
                let text = serde_json::to_vec(saved)
                    .map_err(|e| Error::Internal(format!("cannot encode saved records: {e}")))?;
                files::write_atomic(&w.dir.join(&file), &text)?;
                w.record(vec![base(
                    &item.store,
                    backup::Saved::Records {
                        file,
                        count: found.records.len(),
                        origins: found.origins.clone(),
                    },
                )])
            })?;
            Ok((n, bytes))
        }
        _ => {
            let mut count = 0;
            let mut bytes = 0;
            for t in &item.targets {
                if !profile.contains(&t.path) || files::is_link(&t.path) {
                    continue;
                }
                if std::fs::symlink_metadata(&t.path).is_err() {
                    continue;
                }
                let file = w.name("files/", "");
                // The modes are recorded before the move, so that a crash right after it
                // still leaves a manifest that restores them.
                let modes = files::private_modes(&t.path);
                w.record(vec![base(
                    &t.path,
                    backup::Saved::Moved {
                        file: file.clone(),
                        bytes: t.bytes,
                        is_dir: t.is_dir,
                        modes,
                    },
                )])?;
                files::move_path(&t.path, &w.dir.join(&file))?;
                fault("file-moved");
                files::make_private(&w.dir.join(&file))?;
                count += 1;
                bytes += t.bytes;
            }
            Ok((count, bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: StoreKind, count: usize, bytes: u64) -> AppliedItem {
        AppliedItem {
            browser_id: "chromium".into(),
            profile_dir: PathBuf::from("/p"),
            kind,
            store: PathBuf::from("/p/store"),
            count,
            bytes,
        }
    }

    #[test]
    fn applied_says_what_was_removed_in_words() {
        let mut a = Applied {
            backup_id: "id".into(),
            backup_dir: PathBuf::from("/b"),
            site: "a.test".into(),
            cookies: 0,
            files: 0,
            bytes: 0,
            items: Vec::new(),
        };
        assert_eq!(a.describe(), "nothing");
        a.items.push(item(StoreKind::ChromiumCookies, 2, 0));
        assert_eq!(a.describe(), "2 cookies");
        a.items.push(item(StoreKind::ChromiumSimpleCache, 1, 332));
        a.bytes = 332;
        assert_eq!(a.describe(), "2 cookies and 1 cached file (332 bytes)");
        a.items.push(item(StoreKind::FirefoxSiteStorage, 2, 1204));
        a.items.push(item(StoreKind::SafariCache, 1, 0));
        a.bytes = 1536;
        assert_eq!(
            a.describe(),
            "2 cookies, 1 cached file, 1 whole cache and 2 storage folders (1.5 KiB)"
        );
        a.items.push(item(StoreKind::ChromiumLocalStorage, 3, 0));
        assert_eq!(
            a.describe(),
            "2 cookies, 1 cached file, 1 whole cache, 2 storage folders and 3 storage records \
             (1.5 KiB)"
        );
    }

    #[test]
    fn permission_denied_on_macos_points_to_full_disk_access() {
        let sys = System::simulated(Os::Macos, "/nonexistent-home");
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let s = io_skip(&sys, Path::new("/x/Cookies.binarycookies"), &e);
        assert_eq!(s.code, SkipCode::FullDiskAccess);
        assert!(s.remedy.unwrap().contains(FULL_DISK_ACCESS_LINK));
        let linux = System::simulated(Os::Linux, "/nonexistent-home");
        assert_eq!(
            io_skip(&linux, Path::new("/x"), &e).code,
            SkipCode::Unreadable
        );
    }
}
