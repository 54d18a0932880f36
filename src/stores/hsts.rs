//! HSTS (HTTPS-only) entries the browser learnt from a site's `Strict-Transport-Security`
//! header: a host that now serves only plain HTTP stays unreachable in that browser until
//! its entry goes. Removed per host, only while the browser is closed, with exact undo.
//!
//! - Chromium `TransportSecurity` (JSON, in the profile or its `Network/` folder; chromium
//!   `net/http/transport_security_persister.cc`): version 2 is
//!   `{"version":2,"sts":[{"host":<key>,"sts_include_subdomains":…,"sts_observed":…,
//!   "expiry":…,"mode":"force-https"}],…}`, the key being base64(SHA-256(the host in DNS
//!   wire form, lower-case)) — see [`chromium_host_key`]. Version 1 (a dictionary keyed by
//!   the hash, before 2020) is refused, never guessed at.
//! - Firefox `SiteSecurityServiceState.txt` (before 117), lines
//!   `<host>[^<origin attributes>][:HSTS]\t<score>\t<day>\t<expiry ms>,<state>,<include subdomains>`,
//!   and `SiteSecurityServiceState.bin` (Gecko `security/manager/ssl/data_storage`): fixed
//!   slots of u16 BE checksum, score, last-accessed day, the key zero-padded to 256 bytes and
//!   the value to 24; the checksum is the XOR of every other big-endian u16 of the slot, and
//!   an all-zero slot is empty (what Firefox itself writes when it removes an entry).
//!
//! The entries that go are those that make the browser force HTTPS on the host: the host's
//! own, and (unless `--exact-host`) an entry of a parent domain, up to the registrable
//! domain, that includes subdomains. The backup keeps only those entries' bytes and where
//! they stood.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::firefox_session::{run_cuts, sha256_hex};
use super::site::Site;
use crate::error::{Error, Result};

/// Bytes of a `.bin` slot's key field.
const BIN_KEY_LEN: usize = 256;
/// Bytes of a `.bin` slot's value field for `SiteSecurityServiceState`.
const BIN_VALUE_LEN: usize = 24;
/// Bytes of one `.bin` slot: checksum, score, last accessed, key, value.
pub const BIN_SLOT_LEN: usize = 6 + BIN_KEY_LEN + BIN_VALUE_LEN;
/// Firefox reads at most this many slots.
const BIN_MAX_SLOTS: usize = 2048;

/// The file formats of HSTS stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Chromium's `TransportSecurity` JSON (version 2).
    ChromiumJson,
    /// Firefox's `SiteSecurityServiceState.txt`.
    FirefoxText,
    /// Firefox's `SiteSecurityServiceState.bin`.
    FirefoxBin,
}

impl Format {
    /// The format of a store file, from its name.
    pub fn of(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("bin") => Format::FirefoxBin,
            Some("txt") => Format::FirefoxText,
            _ => Format::ChromiumJson,
        }
    }
}

/// Chromium's key for a host: base64 of SHA-256 of the host in DNS wire form
/// (`\x03www\x07example\x03com\x00`, lower-case), as `CanonicalizeHost` and `HashHost` in
/// `transport_security_state.cc` make it. `None` for a name DNS cannot carry (an empty or
/// over-long label, more than 255 bytes), which Chromium never stores either.
pub fn chromium_host_key(host: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut wire = Vec::with_capacity(host.len() + 2);
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        wire.push(label.len() as u8);
        wire.extend(label.as_bytes());
    }
    wire.push(0);
    if wire.len() > 255 {
        return None;
    }
    Some(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&wire)))
}

/// The hosts whose entries force HTTPS on the site's host, with whether each must include
/// subdomains to do so: the host itself (any entry), then each parent domain down to the
/// registrable domain (only an entry that includes subdomains). Only the host with
/// `--exact-host`; none for an IP address (HSTS never applies to one).
fn covering_hosts(site: &Site) -> Vec<(String, bool)> {
    let host = site.host.as_str();
    if host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Vec::new();
    }
    let mut out = vec![(host.to_string(), false)];
    if site.exact_host {
        return out;
    }
    let mut rest = host;
    while rest.len() > site.domain.len() {
        let Some((_, parent)) = rest.split_once('.') else {
            break;
        };
        rest = parent;
        out.push((rest.to_string(), true));
    }
    out
}

/// One span of the original file that fix401 took out (or blanked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cut {
    /// Byte offset in the original file.
    pub offset: usize,
    /// The original bytes there, base64.
    pub bytes: String,
    /// True when the written file holds as many zero bytes there (an emptied `.bin` slot);
    /// false when the bytes were cut out.
    pub blanked: bool,
}

/// What undo needs: only the removed entries, never the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The file's format (not `format`: the backup's tag of saved entries is named so).
    pub file_format: Format,
    /// SHA-256 (hex) of the file fix401 wrote: while it still holds that, the cuts go back
    /// exactly.
    pub written_sha256: String,
    /// The spans taken out, by ascending offset.
    pub cuts: Vec<Cut>,
    /// Each removed entry on its own (a JSON object, a line, a slot), base64, for putting
    /// back into a file the browser rewrote since.
    pub entries: Vec<String>,
}

/// The site's HSTS entries removed from one store file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The host of each entry removed.
    pub hosts: Vec<String>,
    /// The rewritten file.
    pub bytes: Vec<u8>,
    /// What undo needs.
    pub saved: Saved,
}

/// One entry of a store, where it stands in the file.
struct Found {
    start: usize,
    end: usize,
    host: Option<String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| {
            Error::malformed(
                "the backup's saved HSTS entries are not what fix401 wrote (not base64): the \
                 backup was changed or damaged and nothing was restored"
                    .to_string(),
            )
        })
}

fn shape_error(format: Format, why: impl std::fmt::Display) -> Error {
    let (file, browser) = match format {
        Format::ChromiumJson => ("TransportSecurity", "Chromium"),
        _ => ("SiteSecurityServiceState", "Firefox"),
    };
    Error::malformed(format!(
        "{file} is not in the format {browser} writes ({why}); fix401 leaves it alone. Close \
         {browser} and move the file aside to drop every learnt HTTPS-only entry, or remove \
         the host in the browser's own settings"
    ))
}

/// The site's entries in a store file and, when there are any, the rewritten file and what
/// undo needs. The rest of the file stays byte for byte.
pub fn filter(format: Format, bytes: &[u8], site: &Site) -> Result<Option<Removal>> {
    let covering = covering_hosts(site);
    if covering.is_empty() {
        return Ok(None);
    }
    let found = match format {
        Format::ChromiumJson => chromium_entries(bytes, &covering)?,
        Format::FirefoxText => firefox_text_entries(bytes, &covering)?,
        Format::FirefoxBin => firefox_bin_entries(bytes, &covering)?,
    };
    let hosts: Vec<String> = found.iter().filter_map(|f| f.host.clone()).collect();
    if hosts.is_empty() {
        return Ok(None);
    }
    let entries: Vec<String> = found
        .iter()
        .filter(|f| f.host.is_some())
        .map(|f| b64(&bytes[f.start..f.end]))
        .collect();
    let ranges: Vec<(usize, usize)> = match format {
        // Members of a JSON list go with their separators.
        Format::ChromiumJson => run_cuts(
            &found
                .iter()
                .map(|f| (f.start, f.end, f.host.is_some()))
                .collect::<Vec<_>>(),
        ),
        _ => found
            .iter()
            .filter(|f| f.host.is_some())
            .map(|f| (f.start, f.end))
            .collect(),
    };
    let blanked = format == Format::FirefoxBin;
    let mut out = Vec::with_capacity(bytes.len());
    let mut cuts = Vec::with_capacity(ranges.len());
    let mut at = 0;
    for (start, end) in ranges {
        out.extend(&bytes[at..start]);
        if blanked {
            out.resize(out.len() + (end - start), 0);
        }
        cuts.push(Cut {
            offset: start,
            bytes: b64(&bytes[start..end]),
            blanked,
        });
        at = end;
    }
    out.extend(&bytes[at..]);
    Ok(Some(Removal {
        hosts,
        saved: Saved {
            file_format: format,
            written_sha256: sha256_hex(&out),
            cuts,
            entries,
        },
        bytes: out,
    }))
}

/// Every member of the `sts` list, the site's marked with the host it forces HTTPS for.
fn chromium_entries(bytes: &[u8], covering: &[(String, bool)]) -> Result<Vec<Found>> {
    #[derive(Deserialize)]
    struct Top<'a> {
        #[serde(default)]
        version: Option<i64>,
        #[serde(borrow, default)]
        sts: Option<&'a RawValue>,
    }
    let bad = |e: &dyn std::fmt::Display| shape_error(Format::ChromiumJson, e);
    let text = std::str::from_utf8(bytes).map_err(|e| bad(&e))?;
    let top: Top<'_> = serde_json::from_str(text).map_err(|e| bad(&e))?;
    match top.version {
        Some(2) => {}
        Some(v) => return Err(bad(&format!("version {v}, fix401 knows version 2"))),
        None => return Err(bad(&"version 1, from before 2020, fix401 knows version 2")),
    }
    let Some(sts) = top.sts else {
        return Ok(Vec::new());
    };
    let items: Vec<&RawValue> = serde_json::from_str(sts.get()).map_err(|e| bad(&e))?;
    let keys: Vec<(Option<String>, &str, bool)> = covering
        .iter()
        .map(|(h, need_sub)| (chromium_host_key(h), h.as_str(), *need_sub))
        .collect();
    Ok(items
        .iter()
        .map(|r| {
            let start = r.get().as_ptr() as usize - text.as_ptr() as usize;
            let v: Value = serde_json::from_str(r.get()).unwrap_or(Value::Null);
            let key = v.get("host").and_then(Value::as_str);
            let sub = v.get("sts_include_subdomains").and_then(Value::as_bool) == Some(true);
            let force = v.get("mode").and_then(Value::as_str) == Some("force-https");
            let host = keys
                .iter()
                .find(|(k, _, need_sub)| {
                    force && k.is_some() && k.as_deref() == key && (sub || !need_sub)
                })
                .map(|(_, h, _)| h.to_string());
            Found {
                start,
                end: start + r.get().len(),
                host,
            }
        })
        .collect())
}

/// The host of a Firefox key (`host^attrs:HSTS`), or `None` for a key of another kind
/// (`:HPKP`, left alone).
fn firefox_key_host(key: &[u8]) -> Option<String> {
    let key = std::str::from_utf8(key).ok()?;
    let key = match key.rsplit_once(':') {
        Some((k, "HSTS")) => k,
        Some((_, _)) => return None,
        None => key,
    };
    let host = key.split('^').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The host an entry forces HTTPS for, when it is one of the covering hosts and is set
/// (`<expiry>,1,<sub>`): knockout (2) and unset (0) entries force nothing.
fn firefox_match(key: &[u8], value: &[u8], covering: &[(String, bool)]) -> Option<String> {
    let host = firefox_key_host(key)?;
    let value = std::str::from_utf8(value).ok()?;
    let mut parts = value.split(',');
    let _expiry = parts.next()?;
    let state = parts.next()?;
    let sub = parts.next()? == "1";
    if state != "1" {
        return None;
    }
    covering
        .iter()
        .any(|(h, need_sub)| *h == host && (sub || !need_sub))
        .then_some(host)
}

/// Every line of the text format, the site's marked.
fn firefox_text_entries(bytes: &[u8], covering: &[(String, bool)]) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let end = bytes[at..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |p| at + p + 1);
        let line = bytes[at..end]
            .strip_suffix(b"\n")
            .unwrap_or(&bytes[at..end]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let fields: Vec<&[u8]> = line.split(|b| *b == b'\t').collect();
        let host = match fields.as_slice() {
            [key, _score, _day, value] => firefox_match(key, value, covering),
            _ => None,
        };
        out.push(Found {
            start: at,
            end,
            host,
        });
        at = end;
    }
    Ok(out)
}

/// One `.bin` slot's key and value without their zero padding, or `None` for an empty or
/// damaged slot (Firefox treats both as empty).
fn bin_slot(slot: &[u8]) -> Option<(&[u8], &[u8])> {
    let word = |i: usize| u16::from_be_bytes([slot[i], slot[i + 1]]);
    let mut check = 0u16;
    for i in (0..BIN_SLOT_LEN).step_by(2) {
        check ^= word(i);
    }
    let (score, day) = (word(2), word(4));
    if check != 0 || score == 0 || day == 0 {
        return None;
    }
    let strip = |b: &[u8]| b.len() - b.iter().rev().take_while(|x| **x == 0).count();
    let key = &slot[6..6 + BIN_KEY_LEN];
    let value = &slot[6 + BIN_KEY_LEN..];
    Some((&key[..strip(key)], &value[..strip(value)]))
}

/// Every slot of the binary format, the site's marked. A short last slot (an interrupted
/// write) is left as it is, as Firefox reads it: empty.
fn firefox_bin_entries(bytes: &[u8], covering: &[(String, bool)]) -> Result<Vec<Found>> {
    Ok(bytes
        .chunks_exact(BIN_SLOT_LEN)
        .take(BIN_MAX_SLOTS)
        .enumerate()
        .map(|(i, slot)| Found {
            start: i * BIN_SLOT_LEN,
            end: (i + 1) * BIN_SLOT_LEN,
            host: bin_slot(slot).and_then(|(k, v)| firefox_match(k, v, covering)),
        })
        .collect())
}

/// Puts the removed entries back into the current file. While it still holds what fix401
/// wrote, the cuts go back at their offsets and the file is the original byte for byte
/// (`true`); if the browser rewrote it since, each entry is added back to it as it is now
/// (`false`).
pub fn restore(current: &[u8], saved: &Saved) -> Result<(Vec<u8>, bool)> {
    if sha256_hex(current) == saved.written_sha256 {
        let mut out = current.to_vec();
        for cut in &saved.cuts {
            let bytes = unb64(&cut.bytes)?;
            let end = cut.offset + if cut.blanked { bytes.len() } else { 0 };
            if end > out.len() {
                return Err(Error::malformed(format!(
                    "the backup holds an HSTS entry at {} past the end of the file: the backup \
                     does not fit it; its entries stay in the backup",
                    cut.offset
                )));
            }
            out.splice(cut.offset..end, bytes);
        }
        return Ok((out, true));
    }
    let entries = saved
        .entries
        .iter()
        .map(|e| unb64(e))
        .collect::<Result<Vec<_>>>()?;
    let out = match saved.file_format {
        Format::ChromiumJson => json_add_back(current, &entries)?,
        Format::FirefoxText => {
            let mut out = current.to_vec();
            if !out.is_empty() && !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            for e in entries {
                out.extend(&e);
                if !e.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
            out
        }
        Format::FirefoxBin => bin_add_back(current, &entries)?,
    };
    Ok((out, false))
}

/// The saved `sts` members added to a `TransportSecurity` Chromium rewrote (an entry for
/// the same host is replaced: the saved one is what the person had).
fn json_add_back(current: &[u8], entries: &[Vec<u8>]) -> Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| shape_error(Format::ChromiumJson, e);
    let mut v: Value = serde_json::from_slice(current).map_err(|e| bad(&e))?;
    let Some(obj) = v.as_object_mut() else {
        return Err(bad(&"the top level is not an object"));
    };
    let list = obj.entry("sts").or_insert_with(|| Value::Array(Vec::new()));
    let Some(list) = list.as_array_mut() else {
        return Err(bad(&"`sts` is not a list"));
    };
    for e in entries {
        let entry: Value = serde_json::from_slice(e).map_err(|e| bad(&e))?;
        list.retain(|x| x.get("host") != entry.get("host"));
        list.push(entry);
    }
    serde_json::to_vec(&v).map_err(|e| bad(&e))
}

/// The saved slots put into a `.bin` Firefox rewrote: over a slot with the same key, else
/// into the first empty one, else after the last.
fn bin_add_back(current: &[u8], entries: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut out = current.to_vec();
    out.truncate(out.len() - out.len() % BIN_SLOT_LEN);
    for e in entries {
        let Some((key, _)) = (e.len() == BIN_SLOT_LEN).then(|| bin_slot(e)).flatten() else {
            return Err(shape_error(Format::FirefoxBin, "a saved slot is damaged"));
        };
        let slots = out.len() / BIN_SLOT_LEN;
        let at = (0..slots)
            .find(|i| {
                bin_slot(&out[i * BIN_SLOT_LEN..(i + 1) * BIN_SLOT_LEN])
                    .is_some_and(|(k, _)| k == key)
            })
            .or_else(|| {
                (0..slots)
                    .find(|i| bin_slot(&out[i * BIN_SLOT_LEN..(i + 1) * BIN_SLOT_LEN]).is_none())
            });
        match at {
            Some(i) => out[i * BIN_SLOT_LEN..(i + 1) * BIN_SLOT_LEN].copy_from_slice(e),
            None if slots < BIN_MAX_SLOTS => out.extend(e),
            None => {
                return Err(shape_error(
                    Format::FirefoxBin,
                    "every slot is taken, so the entry cannot go back",
                ));
            }
        }
    }
    Ok(out)
}

/// A `.bin` slot for `key` and `value` as Firefox writes it (score and day given), with its
/// checksum: for tests and the simulated homes.
pub fn bin_slot_bytes(key: &str, value: &str, score: u16, day: u16) -> Vec<u8> {
    let mut slot = vec![0u8; BIN_SLOT_LEN];
    slot[2..4].copy_from_slice(&score.to_be_bytes());
    slot[4..6].copy_from_slice(&day.to_be_bytes());
    let key = &key.as_bytes()[..key.len().min(BIN_KEY_LEN)];
    slot[6..6 + key.len()].copy_from_slice(key);
    let value = &value.as_bytes()[..value.len().min(BIN_VALUE_LEN)];
    slot[6 + BIN_KEY_LEN..6 + BIN_KEY_LEN + value.len()].copy_from_slice(value);
    let mut check = 0u16;
    for i in (2..BIN_SLOT_LEN).step_by(2) {
        check ^= u16::from_be_bytes([slot[i], slot[i + 1]]);
    }
    slot[0..2].copy_from_slice(&check.to_be_bytes());
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(s: &str) -> Site {
        Site::parse(s, false).unwrap()
    }

    #[test]
    fn chromium_keys_hash_the_dns_wire_form() {
        use sha2::{Digest, Sha256};
        // The wire form `CanonicalizeHost` documents: length-prefixed labels, a root byte.
        let wire = b"\x03www\x06google\x03com\x00";
        let want = b64(&Sha256::digest(wire));
        assert_eq!(chromium_host_key("www.google.com").as_deref(), Some(&*want));
        assert_eq!(
            chromium_host_key("WWW.Google.com.").as_deref(),
            Some(&*want)
        );
        assert_ne!(
            chromium_host_key("google.com"),
            chromium_host_key("www.google.com")
        );
        // 44 characters: base64 of 32 bytes.
        assert_eq!(chromium_host_key("a.test").unwrap().len(), 44);
        for bad in ["", "a..test", &format!("{}.test", "x".repeat(64))] {
            assert_eq!(chromium_host_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn covering_hosts_stop_at_the_registrable_domain() {
        assert_eq!(
            covering_hosts(&site("a.b.example.co.uk")),
            [
                ("a.b.example.co.uk".to_string(), false),
                ("b.example.co.uk".to_string(), true),
                ("example.co.uk".to_string(), true)
            ]
        );
        let exact = Site::parse("www.a.test", true).unwrap();
        assert_eq!(covering_hosts(&exact), [("www.a.test".to_string(), false)]);
        assert!(covering_hosts(&site("127.0.0.1")).is_empty());
    }

    fn sts(host: &str, sub: bool, mode: &str) -> String {
        format!(
            r#"{{"expiry":1900000000.5,"host":"{}","mode":"{mode}","sts_include_subdomains":{sub},"sts_observed":1700000000.25}}"#,
            chromium_host_key(host).unwrap()
        )
    }

    #[test]
    fn chromium_entries_of_the_host_go_and_come_back_exactly() {
        let text = format!(
            r#"{{"expect_ct":[],"sts":[{},{},{},{}],"version":2}}"#,
            sts("www.a.test", false, "force-https"),
            sts("b.test", true, "force-https"),
            sts("a.test", true, "force-https"),
            sts("api.a.test", false, "force-https"),
        );
        let r = filter(Format::ChromiumJson, text.as_bytes(), &site("www.a.test"))
            .unwrap()
            .unwrap();
        assert_eq!(r.hosts, ["www.a.test", "a.test"]);
        let written: Value = serde_json::from_slice(&r.bytes).unwrap();
        let left: Vec<&str> = written["sts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["host"].as_str().unwrap())
            .collect();
        assert_eq!(
            left,
            [
                chromium_host_key("b.test").unwrap(),
                chromium_host_key("api.a.test").unwrap()
            ]
        );
        let (back, exact) = restore(&r.bytes, &r.saved).unwrap();
        assert!(exact);
        assert_eq!(back, text.as_bytes());
        // A parent entry without includeSubdomains does not cover the host: left alone.
        let only_parent = format!(
            r#"{{"sts":[{}],"version":2}}"#,
            sts("a.test", false, "force-https")
        );
        assert!(
            filter(
                Format::ChromiumJson,
                only_parent.as_bytes(),
                &site("www.a.test")
            )
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn a_transport_security_chromium_rewrote_gets_the_entry_back() {
        let text = format!(
            r#"{{"sts":[{}],"version":2}}"#,
            sts("a.test", false, "force-https")
        );
        let r = filter(Format::ChromiumJson, text.as_bytes(), &site("a.test"))
            .unwrap()
            .unwrap();
        assert_eq!(r.bytes, br#"{"sts":[],"version":2}"#);
        let later = format!(
            r#"{{"sts":[{}],"version":2}}"#,
            sts("c.test", false, "force-https")
        );
        let (back, exact) = restore(later.as_bytes(), &r.saved).unwrap();
        assert!(!exact);
        let v: Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(v["sts"].as_array().unwrap().len(), 2);
        assert_eq!(v["sts"][1]["host"], chromium_host_key("a.test").unwrap());
    }

    #[test]
    fn chromium_files_fix401_does_not_know_are_errors_not_guesses() {
        let key = chromium_host_key("a.test").unwrap();
        for text in [
            format!(r#"{{"{key}":{{"mode":"force-https"}}}}"#),
            r#"{"version":3,"sts":[]}"#.to_string(),
            r#"{"version":2,"sts":5}"#.to_string(),
            "[]".to_string(),
            "nope".to_string(),
        ] {
            assert!(
                filter(Format::ChromiumJson, text.as_bytes(), &site("a.test")).is_err(),
                "{text}"
            );
        }
        let ok = r#"{"version":2,"sts":[1,"x",{"host":5}]}"#;
        assert!(
            filter(Format::ChromiumJson, ok.as_bytes(), &site("a.test"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn firefox_text_lines_of_the_host_go_and_come_back_exactly() {
        let text = "a.test:HSTS\t3\t20000\t1900000000000,1,0\n\
                    b.test:HSTS\t1\t20000\t1900000000000,1,1\n\
                    a.test^partitionKey=%28https%2Cc.test%29:HSTS\t1\t20000\t1900000000000,1,0\n\
                    evil-a.test:HSTS\t1\t20000\t1900000000000,1,0\n\
                    sub.a.test:HSTS\t1\t20000\t0,2,0\n\
                    a.test:HPKP\t1\t20000\t1900000000000,1,0,pins\n";
        let r = filter(Format::FirefoxText, text.as_bytes(), &site("a.test"))
            .unwrap()
            .unwrap();
        assert_eq!(r.hosts, ["a.test", "a.test"]);
        assert_eq!(
            String::from_utf8(r.bytes.clone()).unwrap(),
            "b.test:HSTS\t1\t20000\t1900000000000,1,1\n\
             evil-a.test:HSTS\t1\t20000\t1900000000000,1,0\n\
             sub.a.test:HSTS\t1\t20000\t0,2,0\n\
             a.test:HPKP\t1\t20000\t1900000000000,1,0,pins\n"
        );
        let (back, exact) = restore(&r.bytes, &r.saved).unwrap();
        assert!(exact);
        assert_eq!(back, text.as_bytes());
        let (later, exact) = restore(b"c.test:HSTS\t1\t2\t3,1,0", &r.saved).unwrap();
        assert!(!exact);
        assert_eq!(
            String::from_utf8(later).unwrap().lines().count(),
            3,
            "both entries added back"
        );
    }

    #[test]
    fn firefox_bin_slots_of_the_host_are_emptied_and_come_back_exactly() {
        let mut file = Vec::new();
        file.extend(bin_slot_bytes("b.test", "1900000000000,1,1", 1, 20000));
        file.extend(bin_slot_bytes("www.a.test", "1900000000000,1,0", 2, 20001));
        file.extend(vec![0u8; BIN_SLOT_LEN]);
        file.extend(bin_slot_bytes("a.test", "1900000000000,1,1", 1, 20000));
        let mut damaged = bin_slot_bytes("www.a.test", "1900000000000,1,0", 1, 20000);
        damaged[100] ^= 1;
        file.extend(&damaged);
        let r = filter(Format::FirefoxBin, &file, &site("www.a.test"))
            .unwrap()
            .unwrap();
        assert_eq!(r.hosts, ["www.a.test", "a.test"]);
        assert_eq!(r.bytes.len(), file.len(), "slots keep their places");
        assert_eq!(&r.bytes[..BIN_SLOT_LEN], &file[..BIN_SLOT_LEN]);
        assert!(
            r.bytes[BIN_SLOT_LEN..2 * BIN_SLOT_LEN]
                .iter()
                .all(|b| *b == 0)
        );
        assert!(
            r.bytes[3 * BIN_SLOT_LEN..4 * BIN_SLOT_LEN]
                .iter()
                .all(|b| *b == 0)
        );
        assert_eq!(
            &r.bytes[4 * BIN_SLOT_LEN..],
            &damaged[..],
            "a damaged slot is no entry"
        );
        let (back, exact) = restore(&r.bytes, &r.saved).unwrap();
        assert!(exact);
        assert_eq!(back, file);
        // Rewritten by Firefox since: the slots go into empty ones.
        let later = bin_slot_bytes("c.test", "1900000000000,1,0", 1, 20000);
        let (back, exact) = restore(&later, &r.saved).unwrap();
        assert!(!exact);
        assert_eq!(back.len(), 3 * BIN_SLOT_LEN);
        assert_eq!(
            filter(Format::FirefoxBin, &back, &site("www.a.test"))
                .unwrap()
                .unwrap()
                .hosts,
            ["www.a.test", "a.test"]
        );
    }

    #[test]
    fn saved_entries_round_trip_through_the_backups_json() {
        let text = "a.test:HSTS\t1\t2\t3,1,0\n";
        let r = filter(Format::FirefoxText, text.as_bytes(), &site("a.test"))
            .unwrap()
            .unwrap();
        let tagged = super::super::SavedEntries::Hsts(r.saved);
        let json = serde_json::to_vec(&tagged).unwrap();
        let back: super::super::SavedEntries = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, tagged);
        assert_eq!(
            back.restore(&r.bytes).unwrap(),
            (text.as_bytes().to_vec(), true)
        );
    }

    #[test]
    fn a_forged_backup_is_refused() {
        let saved = Saved {
            file_format: Format::FirefoxText,
            written_sha256: sha256_hex(b""),
            cuts: vec![Cut {
                offset: 5,
                bytes: "!!".into(),
                blanked: false,
            }],
            entries: vec![],
        };
        assert!(restore(b"", &saved).is_err());
        let saved = Saved {
            cuts: vec![Cut {
                offset: 5,
                bytes: "YQ==".into(),
                blanked: false,
            }],
            ..saved
        };
        assert!(restore(b"", &saved).is_err(), "past the end");
    }
}
