//! Safari `Cookies.binarycookies` (reference §8.1): parse, drop one site's records and
//! rebuild with recomputed offsets, page sizes and checksum; the footer and the trailing
//! binary plist are kept verbatim. Records themselves are copied byte for byte.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::site::Site;
use crate::error::{Error, Result};

/// One cookie record, raw, with the fields the matcher needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record bytes, exactly as in the file.
    pub raw: Vec<u8>,
    /// Domain (`.a.test` = domain cookie).
    pub domain: String,
    /// Name.
    pub name: String,
}

/// A parsed file: pages of records and everything after the checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jar {
    /// Records, page by page.
    pub pages: Vec<Vec<Record>>,
    /// Footer and plist, verbatim.
    pub tail: Vec<u8>,
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn cstr(rec: &[u8], off: u32) -> Option<String> {
    let start = off as usize;
    let rest = rec.get(start..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Parses a binarycookies file.
pub fn parse(b: &[u8]) -> Result<Jar> {
    let bad = |m: &str| {
        Error::malformed(format!(
            "not a Cookies.binarycookies file ({m}): the file is damaged; quit Safari and \
             move it aside (Safari starts a new one, without its cookies)"
        ))
    };
    if b.get(..4) != Some(b"cook") {
        return Err(bad("magic 'cook' missing"));
    }
    let n = u32_be(b, 4).ok_or_else(|| bad("truncated"))? as usize;
    if n > 100_000 {
        return Err(bad("absurd page count"));
    }
    let mut sizes = Vec::with_capacity(n);
    for i in 0..n {
        sizes.push(u32_be(b, 8 + 4 * i).ok_or_else(|| bad("truncated page table"))? as usize);
    }
    let mut at = 8 + 4 * n;
    let mut pages = Vec::with_capacity(n);
    for size in sizes {
        // Sizes and offsets come from the file: checked, so no width of usize overflows.
        let end = at
            .checked_add(size)
            .ok_or_else(|| bad("absurd page size"))?;
        let page = b.get(at..end).ok_or_else(|| bad("truncated page"))?;
        if page.get(..4) != Some(&[0, 0, 1, 0]) {
            return Err(bad("bad page header"));
        }
        let count = u32_le(page, 4).ok_or_else(|| bad("truncated page"))? as usize;
        if count > size / 4 {
            return Err(bad("absurd cookie count"));
        }
        let mut records = Vec::with_capacity(count);
        for i in 0..count {
            let off = u32_le(page, 8 + 4 * i).ok_or_else(|| bad("truncated offsets"))? as usize;
            let len = u32_le(page, off).ok_or_else(|| bad("truncated record"))? as usize;
            let raw = off
                .checked_add(len)
                .and_then(|end| page.get(off..end))
                .ok_or_else(|| bad("record past its page"))?
                .to_vec();
            let domain = u32_le(&raw, 16)
                .and_then(|o| cstr(&raw, o))
                .ok_or_else(|| bad("bad domain"))?;
            let name = u32_le(&raw, 20)
                .and_then(|o| cstr(&raw, o))
                .ok_or_else(|| bad("bad name"))?;
            records.push(Record { raw, domain, name });
        }
        pages.push(records);
        at = end;
    }
    // u32 checksum, then the footer and plist.
    let tail = at
        .checked_add(4)
        .and_then(|t| b.get(t..))
        .ok_or_else(|| bad("checksum missing"))?
        .to_vec();
    Ok(Jar { pages, tail })
}

/// The checksum of one page: the sum of its bytes at offsets 0, 4, 8, …
pub fn page_checksum(page: &[u8]) -> u32 {
    // Modulo 2^32 as Safari computes it; a huge page (hostile file) must not overflow.
    page.iter()
        .step_by(4)
        .fold(0u32, |sum, &b| sum.wrapping_add(u32::from(b)))
}

/// Writes a jar back: pages with fresh offsets and sizes, the checksum, the tail verbatim.
pub fn write(jar: &Jar) -> Vec<u8> {
    let pages: Vec<Vec<u8>> = jar
        .pages
        .iter()
        .filter(|p| !p.is_empty())
        .map(|records| {
            let mut page = vec![0, 0, 1, 0];
            page.extend((records.len() as u32).to_le_bytes());
            let mut off = 8 + 4 * records.len() + 4;
            for r in records {
                page.extend((off as u32).to_le_bytes());
                off += r.raw.len();
            }
            page.extend([0, 0, 0, 0]);
            for r in records {
                page.extend(&r.raw);
            }
            page
        })
        .collect();
    let mut out = b"cook".to_vec();
    out.extend((pages.len() as u32).to_be_bytes());
    for p in &pages {
        out.extend((p.len() as u32).to_be_bytes());
    }
    let mut sum: u32 = 0;
    for p in &pages {
        out.extend(p);
        sum = sum.wrapping_add(page_checksum(p));
    }
    out.extend(sum.to_be_bytes());
    out.extend(&jar.tail);
    out
}

/// One removed record and where it stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRecord {
    /// Its page in the original file.
    pub page: usize,
    /// Its place in that page.
    pub index: usize,
    /// The record bytes, base64.
    pub raw: String,
}

/// What undo needs: only the site's records, and the shape of the pages they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// SHA-256 (hex) of the file fix401 wrote: while the file still is that, the original
    /// layout comes back exactly.
    pub written_sha256: String,
    /// How many records each page of the original held.
    pub page_counts: Vec<usize>,
    /// The removed records.
    pub removed: Vec<SavedRecord>,
}

/// The site's cookies removed from a binarycookies file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Their names.
    pub names: Vec<String>,
    /// The rewritten file.
    pub bytes: Vec<u8>,
    /// What undo needs.
    pub saved: Saved,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The site's cookies and, when there are any, the rewritten file and what undo needs.
pub fn filter(bytes: &[u8], site: &Site) -> Result<Option<Removal>> {
    let mut jar = parse(bytes)?;
    let mut names = Vec::new();
    let mut removed = Vec::new();
    let page_counts = jar.pages.iter().map(Vec::len).collect();
    for (p, page) in jar.pages.iter_mut().enumerate() {
        let mut index = 0;
        page.retain(|r| {
            let hit = site.matches_host(&r.domain);
            if hit {
                names.push(r.name.clone());
                removed.push(SavedRecord {
                    page: p,
                    index,
                    raw: b64().encode(&r.raw),
                });
            }
            index += 1;
            !hit
        });
    }
    if names.is_empty() {
        return Ok(None);
    }
    let out = write(&jar);
    Ok(Some(Removal {
        names,
        saved: Saved {
            written_sha256: super::firefox_session::sha256_hex(&out),
            page_counts,
            removed,
        },
        bytes: out,
    }))
}

/// Puts the removed records back. While the file is still the one fix401 wrote, the
/// original pages come back record for record (`true`); if Safari rewrote it since, each
/// record returns to its page where that page still exists, else to the last (`false`).
pub fn restore(current: &[u8], saved: &Saved) -> Result<(Vec<u8>, bool)> {
    let mut jar = parse(current)?;
    let mut records = Vec::with_capacity(saved.removed.len());
    for r in &saved.removed {
        let raw = b64().decode(&r.raw).map_err(|e| {
            Error::malformed(format!(
                "the backup holds a binarycookies record that is not base64 ({e}): the \
                     backup is damaged; its entries stay in it"
            ))
        })?;
        let bad = || {
            Error::malformed(
                "the backup holds a binarycookies record that does not parse: the backup is \
                 damaged; its entries stay in it",
            )
        };
        let domain = u32_le(&raw, 16)
            .and_then(|o| cstr(&raw, o))
            .ok_or_else(bad)?;
        let name = u32_le(&raw, 20)
            .and_then(|o| cstr(&raw, o))
            .ok_or_else(bad)?;
        records.push((r.page, r.index, Record { raw, domain, name }));
    }
    let exact = super::firefox_session::sha256_hex(current) == saved.written_sha256;
    if exact {
        let mut kept = jar.pages.into_iter().flatten();
        let mut pages = Vec::with_capacity(saved.page_counts.len());
        for (p, &count) in saved.page_counts.iter().enumerate() {
            let mut page = Vec::with_capacity(count);
            for i in 0..count {
                if let Some(pos) = records.iter().position(|(rp, ri, _)| *rp == p && *ri == i) {
                    page.push(records.swap_remove(pos).2);
                } else if let Some(r) = kept.next() {
                    page.push(r);
                }
            }
            pages.push(page);
        }
        if let Some(last) = pages.last_mut() {
            last.extend(kept);
        }
        jar.pages = pages;
    } else {
        for (p, _, r) in records {
            match jar.pages.get_mut(p) {
                Some(page) => page.push(r),
                None => match jar.pages.last_mut() {
                    Some(last) => last.push(r),
                    None => jar.pages.push(vec![r]),
                },
            }
        }
    }
    Ok((write(&jar), exact))
}

/// Builds one cookie record (for tests and fixtures): flags, domain, name, path, value,
/// expiry and creation as Mac absolute times.
pub fn record(domain: &str, name: &str, path: &str, value: &str, flags: u32) -> Vec<u8> {
    let mut strings = Vec::new();
    let base = 56u32;
    let mut offs = [0u32; 4];
    for (i, s) in [domain, name, path, value].iter().enumerate() {
        offs[i] = base + strings.len() as u32;
        strings.extend(s.as_bytes());
        strings.push(0);
    }
    let size = base + strings.len() as u32;
    let mut r = Vec::new();
    for v in [size, 0, flags, 0, offs[0], offs[1], offs[2], offs[3], 0, 0] {
        r.extend(v.to_le_bytes());
    }
    r.extend(800_000_000f64.to_le_bytes());
    r.extend(700_000_000f64.to_le_bytes());
    r.extend(strings);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(pages: Vec<Vec<(&str, &str)>>) -> Vec<u8> {
        let jar = Jar {
            pages: pages
                .into_iter()
                .map(|p| {
                    p.into_iter()
                        .map(|(d, n)| Record {
                            raw: record(d, n, "/", "v", 1),
                            domain: d.into(),
                            name: n.into(),
                        })
                        .collect()
                })
                .collect(),
            tail: vec![0x07, 0x17, 0x20, 0x05, 0, 0, 0, 4, b'b', b'p', b'l', b'i'],
        };
        write(&jar)
    }

    #[test]
    fn parse_write_round_trip_and_site_filter_keeps_checksum_valid() {
        let bytes = jar(vec![
            vec![("a.test", "x"), (".b.test", "y")],
            vec![(".a.test", "z")],
        ]);
        assert_eq!(write(&parse(&bytes).unwrap()), bytes);
        let site = Site::parse("a.test", false).unwrap();
        let r = filter(&bytes, &site).unwrap().unwrap();
        assert_eq!(r.names, ["x", "z"]);
        let (back, exact) = restore(&r.bytes, &r.saved).unwrap();
        assert!(exact);
        assert_eq!(back, bytes, "undo brings the original layout back");
        let out = r.bytes;
        let j = parse(&out).unwrap();
        assert_eq!(j.pages.len(), 1);
        assert_eq!(j.pages[0][0].domain, ".b.test");
        assert_eq!(
            &out[out.len() - 12..],
            &[0x07, 0x17, 0x20, 0x05, 0, 0, 0, 4, b'b', b'p', b'l', b'i']
        );
        // The checksum is the sum over pages of every fourth byte.
        let page_len = u32::from_be_bytes(out[8..12].try_into().unwrap()) as usize;
        let page = &out[12..12 + page_len];
        let sum = u32::from_be_bytes(out[12 + page_len..16 + page_len].try_into().unwrap());
        assert_eq!(sum, page_checksum(page));
        assert!(parse(b"cooX").is_err());
        assert!(parse(b"cook\0\0\0\x05").is_err());
    }
}
