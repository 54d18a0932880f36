//! The browser cookie-store schemas the tests and benchmarks build their stores from, kept
//! once: `homes.rs` lays simulated homes out with them and `benches/stores.rs` includes this
//! file by `#[path]`. SQL only, so that any test target can include it.

/// An empty Chromium `Cookies` database, schema version 24 with its `meta` table (rollback
/// journal in TRUNCATE mode, as Chromium keeps it).
pub const CHROMIUM_COOKIES_V24: &str = "PRAGMA journal_mode=TRUNCATE;
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
   has_cross_site_ancestor, name, path, source_scheme, source_port);";

/// An empty Firefox `cookies.sqlite`, `moz_cookies` schema 17, WAL journal.
pub const FIREFOX_COOKIES_V17: &str = "PRAGMA journal_mode=WAL;
 CREATE TABLE IF NOT EXISTS moz_cookies (id INTEGER PRIMARY KEY,
   originAttributes TEXT NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT,
   expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER,
   isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0,
   schemeMap INTEGER DEFAULT 0, isPartitionedAttributeSet INTEGER DEFAULT 0,
   updateTime INTEGER,
   CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes));
 PRAGMA user_version = 17;";
