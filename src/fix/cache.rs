//! Cached responses for a URL in the browsers' HTTP caches.
//!
//! A browser that cached a 401 (or any error page) can keep showing it after the site is
//! fine again. This reads only what identifies an entry and its status line:
//! - Chromium Simple Cache (`Cache_Data/<hash>_0`): a 24-byte header beginning with the magic
//!   `30 5c 72 a7 1b 6d fb fc`, the key right after it (the URL, prefixed by partitioning
//!   fields such as `1/0/_dk_http://a.test http://a.test `), and stream 0 at the end of the
//!   file holding the response headers NUL-separated, status line first.
//! - Firefox cache2 (`cache2/entries/<SHA1>`): the body, then a metadata block whose offset
//!   is the file's last 4 bytes (big-endian); the block holds the key (`…:URL`) and the
//!   `response-head` element, whose first line is the status line.
//!
//! Entries are read, never changed; symlinks are not followed.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::browsers::{Profile, StoreKind};

use super::model::CachedResponse;
use crate::redact;

const SIMPLE_MAGIC: [u8; 8] = [0x30, 0x5c, 0x72, 0xa7, 0x1b, 0x6d, 0xfb, 0xfc];
/// Entries larger than this are not read in full (no error page is this big).
const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// At most this many entry files are looked at per cache, so a huge cache stays quick.
const MAX_FILES: usize = 20_000;

/// Reads one entry file: the status and status line when its key is the URL.
type EntryReader = fn(&Path, &str) -> Option<(u16, String)>;

/// Every cached response for `url` in the caches of `profiles`.
pub fn lookup(profiles: &[Profile], url: &url::Url, home: &Path) -> Vec<CachedResponse> {
    let wanted = url.as_str().to_string();
    let mut found = Vec::new();
    for profile in profiles {
        for store in &profile.stores {
            let (dir, reader): (PathBuf, EntryReader) = match store.kind {
                StoreKind::ChromiumSimpleCache => {
                    let data = store.path.join("Cache_Data");
                    let dir = if data.is_dir() {
                        data
                    } else {
                        store.path.clone()
                    };
                    (dir, read_simple_entry)
                }
                StoreKind::FirefoxCache2 => {
                    let entries = store.path.join("entries");
                    let dir = if entries.is_dir() {
                        entries
                    } else {
                        store.path.clone()
                    };
                    (dir, read_cache2_entry)
                }
                _ => continue,
            };
            let Ok(read_dir) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in read_dir.flatten().take(MAX_FILES) {
                let path = entry.path();
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                if !meta.is_file() || meta.len() > MAX_ENTRY {
                    continue;
                }
                if let Some((status, status_line)) = reader(&path, &wanted) {
                    found.push(CachedResponse {
                        browser_id: profile.browser_id.clone(),
                        profile: profile.name.clone(),
                        file: redact::path(&path, home),
                        status,
                        status_line,
                    });
                }
            }
        }
    }
    found
}

/// True when a cache key names `url` (alone or after partitioning fields).
fn key_matches(key: &str, url: &str) -> bool {
    key == url || key.ends_with(&format!(" {url}")) || key.ends_with(&format!(":{url}"))
}

/// Parses `HTTP/x[.y] NNN reason` into the status code.
fn parse_status_line(line: &str) -> Option<u16> {
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

fn read_simple_entry(path: &Path, url: &str) -> Option<(u16, String)> {
    let name = path.file_name()?.to_str()?;
    if !name.ends_with("_0") {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 24];
    file.read_exact(&mut header).ok()?;
    if header[..8] != SIMPLE_MAGIC {
        return None;
    }
    let key_len = u32::from_le_bytes(header[12..16].try_into().ok()?) as usize;
    if key_len > 64 * 1024 {
        return None;
    }
    let mut key = vec![0u8; key_len];
    file.read_exact(&mut key).ok()?;
    let key = String::from_utf8_lossy(&key);
    if !key_matches(&key, url) {
        return None;
    }
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).ok()?;
    // Stream 0 (the headers) is stored after the body, so the last status line wins.
    let mut best = None;
    let mut from = 0;
    while let Some(pos) = find(&rest[from..], b"HTTP/") {
        let start = from + pos;
        let end = rest[start..]
            .iter()
            .position(|&b| b == 0)
            .map(|e| start + e)
            .unwrap_or(rest.len());
        let line = String::from_utf8_lossy(&rest[start..end]).into_owned();
        if end < rest.len()
            && let Some(status) = parse_status_line(&line)
        {
            best = Some((status, line));
        }
        from = start + 5;
    }
    best
}

fn read_cache2_entry(path: &Path, url: &str) -> Option<(u16, String)> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len < 4 {
        return None;
    }
    file.seek(SeekFrom::Start(len - 4)).ok()?;
    let mut off = [0u8; 4];
    file.read_exact(&mut off).ok()?;
    let offset = u64::from(u32::from_be_bytes(off));
    if offset >= len {
        return None;
    }
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut meta = Vec::new();
    file.take(len - offset).read_to_end(&mut meta).ok()?;
    // The key is NUL-terminated and ends with ":URL".
    let needle = [b":", url.as_bytes(), b"\0"].concat();
    find(&meta, &needle)?;
    let head_at = find(&meta, b"response-head\0")? + b"response-head\0".len();
    let head = &meta[head_at..];
    let line_end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n' || b == 0)
        .unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end]).into_owned();
    parse_status_line(&line).map(|s| (s, line))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browsers::{Family, Store};

    fn profile(kind: StoreKind, path: PathBuf) -> Profile {
        Profile {
            browser_id: "x".into(),
            browser_name: "X".into(),
            family: Family::Chromium,
            name: "Default".into(),
            email: None,
            dir: path.clone(),
            stores: vec![Store { kind, path }],
            is_default: true,
            roots: Vec::new(),
        }
    }

    #[test]
    fn simple_cache_entry_status_comes_from_stream_0() {
        let dir = tempfile::tempdir().unwrap();
        let key = "1/0/_dk_http://a.test http://a.test http://a.test:8080/";
        let mut bytes = SIMPLE_MAGIC.to_vec();
        bytes.extend_from_slice(&5u32.to_le_bytes());
        bytes.extend_from_slice(&(key.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(b"<p>HTTP/1.1 200 OK in the body</p>");
        bytes.extend_from_slice(&[0xd8, 0x41, 0x0d, 0x97, 0, 0, 0, 0]);
        bytes.extend_from_slice(
            b"\x10\0\0\0HTTP/1.1 401 Unauthorized\0Content-Type: text/plain\0\0",
        );
        std::fs::write(dir.path().join("0123456789abcdef_0"), &bytes).unwrap();
        std::fs::write(dir.path().join("index"), b"junk").unwrap();
        let p = profile(StoreKind::ChromiumSimpleCache, dir.path().to_path_buf());
        let url = url::Url::parse("http://a.test:8080/").unwrap();
        let found = lookup(std::slice::from_ref(&p), &url, Path::new("/nowhere"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, 401);
        assert!(found[0].is_error());
        let other = url::Url::parse("http://b.test:8080/").unwrap();
        assert!(lookup(&[p], &other, Path::new("/nowhere")).is_empty());
    }

    #[test]
    fn cache2_metadata_response_head() {
        let dir = tempfile::tempdir().unwrap();
        let body = b"denied";
        let mut bytes = body.to_vec();
        let offset = bytes.len() as u32;
        bytes.extend_from_slice(&[0; 6]);
        bytes.extend_from_slice(&[0; 32]);
        bytes.extend_from_slice(b"O^partitionKey=%28http%2Ca.test%29,:http://a.test:8080/\0");
        bytes.extend_from_slice(
            b"request-method\0GET\0response-head\0HTTP/1.1 403 Forbidden\r\nServer: x\r\n\0",
        );
        bytes.extend_from_slice(&offset.to_be_bytes());
        std::fs::create_dir_all(dir.path().join("entries")).unwrap();
        std::fs::write(dir.path().join("entries/ABCDEF"), &bytes).unwrap();
        let p = profile(StoreKind::FirefoxCache2, dir.path().to_path_buf());
        let url = url::Url::parse("http://a.test:8080/").unwrap();
        let found = lookup(&[p], &url, Path::new("/nowhere"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, 403);
        assert_eq!(found[0].status_line, "HTTP/1.1 403 Forbidden");
    }

    #[test]
    fn garbage_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x_0"), [0xff; 3]).unwrap();
        std::fs::create_dir_all(dir.path().join("entries")).unwrap();
        std::fs::write(dir.path().join("entries/Y"), [0xff; 9]).unwrap();
        let url = url::Url::parse("http://a.test/").unwrap();
        for kind in [StoreKind::ChromiumSimpleCache, StoreKind::FirefoxCache2] {
            let p = profile(kind, dir.path().to_path_buf());
            assert!(lookup(&[p], &url, Path::new("/")).is_empty());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_entry_files_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), magic in proptest::prelude::any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let mut b = if magic { SIMPLE_MAGIC.to_vec() } else { Vec::new() };
            b.extend_from_slice(&bytes);
            std::fs::write(dir.path().join("e_0"), &b).unwrap();
            std::fs::create_dir_all(dir.path().join("entries")).unwrap();
            std::fs::write(dir.path().join("entries/E"), &b).unwrap();
            let url = url::Url::parse("http://a.test/").unwrap();
            for kind in [StoreKind::ChromiumSimpleCache, StoreKind::FirefoxCache2] {
                let p = profile(kind, dir.path().to_path_buf());
                let _ = lookup(&[p], &url, Path::new("/"));
            }
        }
    }
}
