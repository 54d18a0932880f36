//! The cookies a browser holds for a site, read into memory only.
//!
//! The repair pipeline re-tests a failing URL once more *with the cookies the person's
//! browser would send*: a 401 with them and a 200 without them proves stale site data.
//! Values are secrets: they live in [`SecretValue`], which never prints, never serializes
//! and is never written anywhere. Where values cannot be read (keys held by an OS keyring,
//! DPAPI or app-bound encryption), the reason is returned instead, so the finding keeps its
//! lower confidence.

use std::fmt;
use std::path::Path;

use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use rusqlite::{Connection, OpenFlags};
use sha2::Digest;

use crate::browsers::{Profile, StoreKind};
use crate::error::{Error, Result};
use crate::system::Os;

/// A cookie value kept in memory only. `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// A value for unit tests of code that consumes jars.
    #[cfg(test)]
    pub(crate) fn for_tests(value: String) -> SecretValue {
        SecretValue(value)
    }

    /// The value, for building a `Cookie` request header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One cookie the browser would send to the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCookie {
    /// Cookie name (not secret; shown in plans and reports).
    pub name: String,
    /// Cookie value (secret).
    pub value: SecretValue,
    /// The host or domain the cookie belongs to, as stored (`.a.test` for domain cookies).
    pub host: String,
    /// The cookie path.
    pub path: String,
}

/// What could be read from one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JarRead {
    /// The cookies the browser would send (possibly none).
    Cookies(Vec<HeldCookie>),
    /// Cookies exist but their values cannot be read here; the reason says why.
    Unreadable(String),
}

/// Builds the `Cookie` request header for `cookies` (values exposed only here).
pub fn cookie_header(cookies: &[HeldCookie]) -> String {
    cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value.expose()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads the cookies `profile` would send to `url` (a top-level navigation: unpartitioned
/// cookies only), on a home laid out as `os`.
pub fn read_for_url(os: Os, profile: &Profile, url: &url::Url) -> Result<JarRead> {
    let Some(host) = url
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    else {
        return Ok(JarRead::Cookies(Vec::new()));
    };
    let secure = url.scheme() == "https";
    let path = url.path();
    let Some(store) = profile.stores.iter().find(|s| {
        matches!(
            s.kind,
            StoreKind::ChromiumCookies | StoreKind::FirefoxCookies
        )
    }) else {
        return Ok(JarRead::Cookies(Vec::new()));
    };
    match store.kind {
        StoreKind::ChromiumCookies => read_chromium(os, &store.path, &host, path, secure),
        _ => read_firefox(&store.path, &host, path, secure),
    }
}

/// True when a cookie stored for `cookie_host` is sent to `host` (RFC 6265 domain match).
fn domain_matches(cookie_host: &str, host: &str) -> bool {
    let cookie_host = cookie_host.to_ascii_lowercase();
    match cookie_host.strip_prefix('.') {
        Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
        None => host == cookie_host,
    }
}

/// RFC 6265 §5.1.4 path match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    if cookie_path.is_empty() || cookie_path == "/" || cookie_path == request_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/'))
}

fn open_read_only(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::sqlite_file(path, format!("opening {}", path.display()), e))
}

fn read_firefox(path: &Path, host: &str, req_path: &str, secure: bool) -> Result<JarRead> {
    let conn = open_read_only(path)?;
    let now_ms = now_unix_ms();
    let mut stmt = conn
        .prepare(
            "SELECT name, value, host, path, expiry, isSecure FROM moz_cookies \
             WHERE originAttributes = ''",
        )
        .map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
    let user_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or(17);
    let mut cookies = Vec::new();
    for row in rows {
        let (name, value, chost, cpath, expiry, is_secure) =
            row.map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
        // Schema 16 made `expiry` milliseconds; before it was seconds.
        let expiry_ms = if user_version >= 16 {
            expiry
        } else {
            expiry.saturating_mul(1000)
        };
        if expiry_ms <= now_ms
            || (is_secure != 0 && !secure)
            || !domain_matches(&chost, host)
            || !path_matches(&cpath, req_path)
        {
            continue;
        }
        cookies.push(HeldCookie {
            name,
            value: SecretValue(value),
            host: chost,
            path: cpath,
        });
    }
    Ok(JarRead::Cookies(cookies))
}

fn read_chromium(os: Os, path: &Path, host: &str, req_path: &str, secure: bool) -> Result<JarRead> {
    let conn = open_read_only(path)?;
    let version: i64 = conn
        .query_row("SELECT value FROM meta WHERE key='version'", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let now = now_chromium_us();
    let mut stmt = conn
        .prepare(
            "SELECT name, value, encrypted_value, host_key, path, expires_utc, is_secure, \
             has_expires FROM cookies WHERE top_frame_site_key = ''",
        )
        .map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
    let mut cookies = Vec::new();
    for row in rows {
        let (name, value, encrypted, chost, cpath, expires, is_secure, has_expires) =
            row.map_err(|e| Error::sqlite_file(path, format!("reading {}", path.display()), e))?;
        if (has_expires != 0 && expires <= now)
            || (is_secure != 0 && !secure)
            || !domain_matches(&chost, host)
            || !path_matches(&cpath, req_path)
        {
            continue;
        }
        let value = if encrypted.is_empty() {
            value
        } else {
            match decrypt_chromium(os, &encrypted, &chost, version) {
                Ok(v) => v,
                Err(reason) => return Ok(JarRead::Unreadable(reason)),
            }
        };
        cookies.push(HeldCookie {
            name,
            value: SecretValue(value),
            host: chost,
            path: cpath,
        });
    }
    Ok(JarRead::Cookies(cookies))
}

/// Decrypts a Chromium `encrypted_value`. Only the Linux `v10` scheme has a fixed key
/// (PBKDF2 of "peanuts"); every other scheme keeps its key in the OS, out of our reach.
fn decrypt_chromium(
    os: Os,
    encrypted: &[u8],
    host_key: &str,
    version: i64,
) -> std::result::Result<String, String> {
    let prefix = encrypted.get(..3).unwrap_or_default();
    match (os, prefix) {
        (Os::Linux, b"v10") => {
            let mut key = [0u8; 16];
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(b"peanuts", b"saltysalt", 1, &mut key);
            let iv = [b' '; 16];
            let mut buf = encrypted[3..].to_vec();
            let plain = cbc::Decryptor::<aes::Aes128>::new(&key.into(), &iv.into())
                .decrypt_padded::<Pkcs7>(&mut buf)
                .map_err(|_| {
                    "a cookie value does not decrypt with Chromium's fixed Linux key".to_string()
                })?;
            // Since schema 24 the plaintext starts with SHA-256 of the host key.
            let plain = if version >= 24 && plain.len() >= 32 {
                let digest = sha2::Sha256::digest(host_key.as_bytes());
                if plain[..32] == digest[..] {
                    &plain[32..]
                } else {
                    return Err(
                        "a cookie value fails Chromium's host check (the store may be damaged)"
                            .into(),
                    );
                }
            } else {
                plain
            };
            Ok(String::from_utf8_lossy(plain).into_owned())
        }
        (Os::Linux, b"v11") => Err(
            "cookie values are encrypted with a key kept in the desktop keyring \
             (GNOME Keyring / KWallet), which fix401 does not read"
                .into(),
        ),
        (Os::Macos, _) => Err(
            "cookie values are encrypted with a key kept in the macOS Keychain, which fix401 \
             does not read"
                .into(),
        ),
        (Os::Windows, b"v20") => Err(
            "cookie values use Chrome's app-bound encryption, which only the browser can undo"
                .into(),
        ),
        (Os::Windows, _) => {
            Err("cookie values are protected by Windows DPAPI for the browser's own key".into())
        }
        _ => Err("cookie values use an encryption scheme fix401 does not know".into()),
    }
}

fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Now in Chromium's clock: microseconds since 1601-01-01 UTC.
fn now_chromium_us() -> i64 {
    now_unix_ms()
        .saturating_mul(1000)
        .saturating_add(11_644_473_600_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockModeEncrypt;

    fn encrypt_v10(host: &str, value: &str) -> Vec<u8> {
        let mut key = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(b"peanuts", b"saltysalt", 1, &mut key);
        let mut plain = sha2::Sha256::digest(host.as_bytes()).to_vec();
        plain.extend_from_slice(value.as_bytes());
        let ct = cbc::Encryptor::<aes::Aes128>::new(&key.into(), &[b' '; 16].into())
            .encrypt_padded_vec::<Pkcs7>(&plain);
        [b"v10".as_slice(), &ct].concat()
    }

    #[test]
    fn v10_round_trip_with_host_prefix() {
        let enc = encrypt_v10(".a.test", "s3cret");
        assert_eq!(
            decrypt_chromium(Os::Linux, &enc, ".a.test", 24).unwrap(),
            "s3cret"
        );
        assert!(decrypt_chromium(Os::Linux, &enc, ".b.test", 24).is_err());
        assert!(decrypt_chromium(Os::Windows, b"v20xxxx", "a", 24).is_err());
    }

    #[test]
    fn domain_and_path_matching() {
        assert!(domain_matches(".a.test", "a.test"));
        assert!(domain_matches(".a.test", "www.a.test"));
        assert!(!domain_matches(".a.test", "evila.test"));
        assert!(!domain_matches("a.test", "www.a.test"));
        assert!(path_matches("/", "/x"));
        assert!(path_matches("/app", "/app/x"));
        assert!(!path_matches("/app", "/application"));
    }

    #[test]
    fn secret_never_prints() {
        let c = HeldCookie {
            name: "sid".into(),
            value: SecretValue("topsecret".into()),
            host: "a.test".into(),
            path: "/".into(),
        };
        assert!(!format!("{c:?}").contains("topsecret"));
        assert_eq!(cookie_header(&[c]), "sid=topsecret");
    }
}
