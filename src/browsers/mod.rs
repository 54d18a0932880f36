//! Browsers: the catalog of browsers per OS (data), profile discovery, running detection.

use std::path::PathBuf;

use serde::Serialize;

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

/// The kinds of store fix401 knows how to read and clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
}

/// One store of one profile: what it is and where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Store {
    /// What kind of store this is.
    pub kind: StoreKind,
    /// The file or directory.
    pub path: PathBuf,
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
}
