//! Firefox session store (`sessionstore.jsonlz4`, `sessionstore-backups/*.jsonlz4`):
//! session cookies live in its `cookies` arrays and come back on restore, so a thorough
//! clear removes the site's entries there too. Format mozlz4: magic `mozLz40\0`, u32 LE
//! decompressed size, one LZ4 block holding JSON.

use serde_json::Value;

use super::site::Site;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"mozLz40\0";
/// Session stores are small; refuse to inflate absurd sizes from a damaged header.
const MAX_SIZE: usize = 512 * 1024 * 1024;

/// Decodes a mozlz4 file into its JSON text.
pub fn decode(bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = |m: &str| Error::Internal(format!("not a mozlz4 session store: {m}"));
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(bad("magic missing"));
    }
    let size = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let block = &bytes[12..];
    // One LZ4 byte expands to at most 255: a larger claimed size is a damaged header, and
    // believing it would allocate up to MAX_SIZE for a file of a few bytes.
    if size > MAX_SIZE || size > block.len().saturating_mul(255).saturating_add(16) {
        return Err(bad("size too large"));
    }
    lz4_flex::block::decompress(block, size).map_err(|e| bad(&e.to_string()))
}

/// Encodes JSON text as mozlz4.
pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend((json.len() as u32).to_le_bytes());
    out.extend(lz4_flex::block::compress(json));
    out
}

// The JSON comes from a file: every field is read with `get`, never by indexing (indexing
// a `Value` mutably panics on a non-object and inserts the keys it looks up).
fn cookie_matches(site: &Site, c: &Value) -> bool {
    let host = c.get("host").and_then(Value::as_str).unwrap_or("");
    if site.matches_host(host) {
        return true;
    }
    // originAttributes.partitionKey is "(https,a.test)" or "(https,a.test,8080)" here.
    c.get("originAttributes")
        .and_then(|o| o.get("partitionKey"))
        .and_then(Value::as_str)
        .and_then(|k| k.strip_prefix('(')?.strip_suffix(')').map(str::to_string))
        .and_then(|inner| {
            let mut parts = inner.split(',');
            Some(format!("{}://{}", parts.next()?, parts.next()?))
        })
        .is_some_and(|top| site.matches_top_site(&top))
}

fn filter_array(site: &Site, arr: &mut Value, names: &mut Vec<String>) {
    if let Some(list) = arr.as_array_mut() {
        list.retain(|c| {
            let hit = cookie_matches(site, c);
            if hit {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                names.push(name.to_string());
            }
            !hit
        });
    }
}

/// The names of the site's session cookies and, when there are any, the rewritten file.
pub fn filter(bytes: &[u8], site: &Site) -> Result<(Vec<String>, Option<Vec<u8>>)> {
    let json = decode(bytes)?;
    let mut v: Value = serde_json::from_slice(&json)
        .map_err(|e| Error::Internal(format!("session store is not JSON: {e}")))?;
    let mut names = Vec::new();
    if let Some(cookies) = v.get_mut("cookies") {
        filter_array(site, cookies, &mut names);
    }
    if let Some(windows) = v.get_mut("windows").and_then(Value::as_array_mut) {
        for cookies in windows.iter_mut().filter_map(|w| w.get_mut("cookies")) {
            filter_array(site, cookies, &mut names);
        }
    }
    if names.is_empty() {
        return Ok((names, None));
    }
    let text = serde_json::to_vec(&v)
        .map_err(|e| Error::Internal(format!("cannot encode the session store: {e}")))?;
    Ok((names, Some(encode(&text))))
}
