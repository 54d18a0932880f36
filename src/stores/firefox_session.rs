//! Firefox session store (`sessionstore.jsonlz4`, `sessionstore-backups/*.jsonlz4`):
//! session cookies live in its `cookies` arrays and come back on restore, so a thorough
//! clear removes the site's entries there too. Format mozlz4: magic `mozLz40\0`, u32 LE
//! decompressed size, one LZ4 block holding JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::site::Site;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"mozLz40\0";
/// Session stores are small; refuse to inflate absurd sizes from a damaged header.
const MAX_SIZE: usize = 512 * 1024 * 1024;

/// Decodes a mozlz4 file into its JSON text.
pub fn decode(bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = |m: &str| {
        Error::malformed(format!(
            "not a mozlz4 session store ({m}): the file is damaged; {SESSION_REMEDY}"
        ))
    };
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

/// The session store's cookie arrays as raw JSON, borrowed from the decoded text so that
/// every entry's exact byte span is known.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default)]
    cookies: Option<&'a RawValue>,
    #[serde(borrow, default)]
    windows: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Window<'a> {
    #[serde(borrow, default)]
    cookies: Option<&'a RawValue>,
}

/// One span cut out of the decoded JSON text: where it stood and its exact text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cut {
    /// Byte offset in the original text.
    pub offset: usize,
    /// The text removed there (the site's entries and the separators between them).
    pub text: String,
}

/// One removed cookie, for putting back into a session store Firefox rewrote since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The window whose `cookies` held it (`None`: the top-level `cookies`).
    pub window: Option<usize>,
    /// The cookie object, as JSON text.
    pub json: String,
}

/// What undo needs: only the site's entries, never the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// SHA-256 (hex) of the decoded text fix401 wrote: while the file still holds it, the
    /// cuts go back exactly.
    pub written_sha256: String,
    /// The spans removed, by ascending offset.
    pub cuts: Vec<Cut>,
    /// The removed cookies one by one.
    pub entries: Vec<Entry>,
}

/// The site's session cookies removed from one session store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Their names.
    pub names: Vec<String>,
    /// The rewritten file.
    pub bytes: Vec<u8>,
    /// What undo needs.
    pub saved: Saved,
}

/// What to do about a damaged session store: Firefox writes a new one when it closes.
const SESSION_REMEDY: &str =
    "close Firefox and move the file aside (Firefox writes a new one), then run again";

fn shape_error(e: impl std::fmt::Display) -> Error {
    Error::malformed(format!(
        "session store is not the JSON Firefox writes ({e}); {SESSION_REMEDY}"
    ))
}

/// Offset of `part` inside `whole` (both the same buffer).
fn offset_in(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// Cuts for one array: each run of removed entries goes with the separators that join it to
/// a kept neighbour, so the rest of the text stays byte for byte.
fn array_cuts(
    text: &str,
    raw: &RawValue,
    window: Option<usize>,
    site: &Site,
    out: &mut Vec<(usize, usize)>,
    entries: &mut Vec<Entry>,
    names: &mut Vec<String>,
) -> Result<()> {
    // Anything but a list holds no cookie Firefox would restore: left as it is.
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
        return Ok(());
    };
    let spans: Vec<(usize, usize, bool)> = items
        .iter()
        .map(|r| {
            let start = offset_in(text, r.get());
            let v: Value = serde_json::from_str(r.get()).unwrap_or(Value::Null);
            let hit = cookie_matches(site, &v);
            if hit {
                names.push(
                    v.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                );
                entries.push(Entry {
                    window,
                    json: r.get().to_string(),
                });
            }
            (start, start + r.get().len(), hit)
        })
        .collect();
    out.extend(run_cuts(&spans));
    Ok(())
}

/// The byte ranges to cut from a JSON list (or object) whose members stand at `spans`
/// (start, end, removed): each run of removed members goes with the separators that join it
/// to a kept neighbour, so that what is left is valid JSON and the rest stays byte for byte.
pub(crate) fn run_cuts(spans: &[(usize, usize, bool)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        if !spans[i].2 {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < spans.len() && spans[j + 1].2 {
            j += 1;
        }
        let cut = if i > 0 {
            (spans[i - 1].1, spans[j].1)
        } else if j + 1 < spans.len() {
            (spans[i].0, spans[j + 1].0)
        } else {
            (spans[i].0, spans[j].1)
        };
        out.push(cut);
        i = j + 1;
    }
    out
}

/// The site's session cookies and, when there are any, the rewritten file and what undo
/// needs. The rest of the decoded text is kept byte for byte.
pub fn filter(bytes: &[u8], site: &Site) -> Result<Option<Removal>> {
    let json = decode(bytes)?;
    let text = std::str::from_utf8(&json).map_err(shape_error)?;
    let top: Top<'_> = serde_json::from_str(text).map_err(shape_error)?;
    let mut spans = Vec::new();
    let mut entries = Vec::new();
    let mut names = Vec::new();
    if let Some(raw) = top.cookies {
        array_cuts(text, raw, None, site, &mut spans, &mut entries, &mut names)?;
    }
    let windows = top
        .windows
        .and_then(|w| serde_json::from_str::<Vec<&RawValue>>(w.get()).ok())
        .unwrap_or_default();
    for (i, w) in windows.iter().enumerate() {
        if let Ok(Window { cookies: Some(raw) }) = serde_json::from_str::<Window<'_>>(w.get()) {
            array_cuts(
                text,
                raw,
                Some(i),
                site,
                &mut spans,
                &mut entries,
                &mut names,
            )?;
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut cuts = Vec::with_capacity(spans.len());
    let mut at = 0;
    for (start, end) in spans {
        out.push_str(&text[at..start]);
        cuts.push(Cut {
            offset: start,
            text: text[start..end].to_string(),
        });
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(Some(Removal {
        names,
        saved: Saved {
            written_sha256: sha256_hex(out.as_bytes()),
            cuts,
            entries,
        },
        bytes: encode(out.as_bytes()),
    }))
}

/// Puts the removed cookies back into the current file. While it still holds what fix401
/// wrote, the cuts go back at their offsets and the decoded text is the original byte for
/// byte (`true`); if Firefox rewrote it since, each cookie is added back to its array
/// (`false`).
pub fn restore(current: &[u8], saved: &Saved) -> Result<(Vec<u8>, bool)> {
    let json = decode(current)?;
    if sha256_hex(&json) == saved.written_sha256 {
        let mut text = json;
        for cut in &saved.cuts {
            if cut.offset > text.len() {
                return Err(Error::malformed(format!(
                    "the backup holds a cut at {} past the end of this session store: the \
                     backup does not fit the file; its entries stay in the backup",
                    cut.offset
                )));
            }
            text.splice(cut.offset..cut.offset, cut.text.bytes());
        }
        return Ok((encode(&text), true));
    }
    let mut v: Value = serde_json::from_slice(&json).map_err(shape_error)?;
    for e in &saved.entries {
        let cookie: Value = serde_json::from_str(&e.json).map_err(|err| {
            Error::malformed(format!(
                "the backup holds a cookie for this session store that is not JSON ({err}): \
                 the backup is damaged; its entries stay in it"
            ))
        })?;
        let window = e.window.and_then(|i| {
            v.get_mut("windows")
                .and_then(Value::as_array_mut)
                .and_then(|w| w.get_mut(i))
                .filter(|w| w.is_object())
        });
        let holder = match window {
            Some(w) => w,
            None => &mut v,
        };
        let Some(obj) = holder.as_object_mut() else {
            return Err(shape_error("the top level is not an object"));
        };
        let list = obj
            .entry("cookies")
            .or_insert_with(|| Value::Array(Vec::new()));
        match list.as_array_mut() {
            Some(a) => a.push(cookie),
            None => return Err(shape_error("`cookies` is not a list")),
        }
    }
    let text = serde_json::to_vec(&v).map_err(shape_error)?;
    Ok((encode(&text), false))
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(text: &str) -> Vec<u8> {
        encode(text.as_bytes())
    }

    #[test]
    fn only_the_sites_entries_are_cut_and_go_back_exactly() {
        let text = r#"{"version":["sessionrestore",1],"cookies":[ {"host":"a.test","name":"x"} , {"host":"b.test","name":"keep"},{"host":".a.test","name":"y"},{"host":"sub.a.test","name":"z"}],"windows":[{"tabs":[],"cookies":[{"host":"a.test","name":"w"}]},{"cookies":[{"host":"b.test","name":"k2"},{"host":"a.test","name":"w2"}]}]}"#;
        let site = Site::parse("a.test", false).unwrap();
        let r = filter(&store(text), &site).unwrap().unwrap();
        assert_eq!(r.names, ["x", "y", "z", "w", "w2"]);
        let written = String::from_utf8(decode(&r.bytes).unwrap()).unwrap();
        assert_eq!(
            written,
            r#"{"version":["sessionrestore",1],"cookies":[ {"host":"b.test","name":"keep"}],"windows":[{"tabs":[],"cookies":[]},{"cookies":[{"host":"b.test","name":"k2"}]}]}"#
        );
        let saved = serde_json::to_string(&r.saved).unwrap();
        assert!(!saved.contains("keep") && !saved.contains("k2"), "{saved}");
        let (back, exact) = restore(&r.bytes, &r.saved).unwrap();
        assert!(exact);
        assert_eq!(decode(&back).unwrap(), text.as_bytes());
        assert!(
            filter(&store(text), &Site::parse("c.test", false).unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_store_firefox_rewrote_gets_the_cookies_back_in_their_arrays() {
        let text = r#"{"cookies":[{"host":"a.test","name":"x"}],"windows":[{"cookies":[{"host":"a.test","name":"w"}]}]}"#;
        let site = Site::parse("a.test", false).unwrap();
        let r = filter(&store(text), &site).unwrap().unwrap();
        let later =
            store(r#"{"cookies":[{"host":"c.test","name":"new"}],"windows":[{"cookies":[]}]}"#);
        let (back, exact) = restore(&later, &r.saved).unwrap();
        assert!(!exact);
        let v: Value = serde_json::from_slice(&decode(&back).unwrap()).unwrap();
        assert_eq!(v["cookies"].as_array().unwrap().len(), 2);
        assert_eq!(v["windows"][0]["cookies"][0]["name"], "w");
    }

    #[test]
    fn hostile_shapes_are_errors_not_panics() {
        let site = Site::parse("a.test", false).unwrap();
        for text in [
            r#"[]"#,
            r#"{"cookies":5}"#,
            r#"{"windows":[1]}"#,
            r#"{"cookies":[1,"a"]}"#,
            "nope",
        ] {
            let _ = filter(&store(text), &site);
        }
        assert!(filter(b"mozLz40\0", &site).is_err());
    }
}
