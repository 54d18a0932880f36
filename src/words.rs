//! Words for people: counts with the right plural and sizes in readable units, so no message
//! says "1 cookie(s)" or "1048576 bytes"; and the one UTC timestamp form of files fix401
//! writes.

/// Unix seconds → `2023-11-14T22:13:20Z` (RFC 3339, UTC); the epoch when out of range.
pub fn rfc3339(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    stamp(t, None)
}

/// A moment → `2026-12-07T23:22:27.123Z` (RFC 3339 with milliseconds, UTC, as HAR wants it).
pub fn rfc3339_millis(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    stamp(t, Some(t.millisecond()))
}

fn stamp(t: time::OffsetDateTime, millis: Option<u16>) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if let Some(ms) = millis {
        s.push_str(&format!(".{ms:03}"));
    }
    s.push('Z');
    s
}

/// `count(1, "cookie", "cookies")` → "1 cookie"; `count(3, …)` → "3 cookies".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `["a", "b", "c"]` → "a, b and c"; one item alone; nothing → "".
pub fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "chromium closed" → "Chromium closed.": a fragment made a sentence of its own.
pub fn sentence(fragment: &str) -> String {
    let t = fragment.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// 1536 → "1.5 KiB"; below 1 KiB the exact byte count ("1 byte", "332 bytes").
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return count(n as usize, "byte", "bytes");
    }
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_right_plural() {
        assert_eq!(count(0, "cookie", "cookies"), "0 cookies");
        assert_eq!(count(1, "cookie", "cookies"), "1 cookie");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }

    #[test]
    fn lists_read_as_a_sentence() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join(&v(&[])), "");
        assert_eq!(join(&v(&["2 cookies"])), "2 cookies");
        assert_eq!(join(&v(&["a", "b"])), "a and b");
        assert_eq!(join(&v(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn fragments_become_sentences() {
        assert_eq!(sentence("opened the page"), "Opened the page.");
        assert_eq!(sentence("Chromium closed."), "Chromium closed.");
        assert_eq!(sentence("  "), "");
    }

    #[test]
    fn sizes_are_readable() {
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(332), "332 bytes");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }
}
