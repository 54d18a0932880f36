//! URL intake and lint: accept what people paste, flag what is likely wrong.
//!
//! People paste URLs from mails, chats and tickets: with quotes, angle brackets, a full stop
//! at the end, without `https://`. [`Target::parse`] cleans that up silently (and says so in
//! a note), and lints what is probably a typo (`htp:`, `http//`, backslashes, spaces, empty
//! labels, look-alike characters, a password in the URL). A URL that cannot be used at all is
//! an [`Invalid`] (`url.invalid`, exit 2); one that is used but looks wrong carries lints with
//! a proposed correction (`url.suspicious`).

use std::fmt;

use serde::Serialize;
use url::Url;

/// How much a lint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A harmless clean-up (quotes removed, `https://` assumed).
    Note,
    /// Probably a mistake: reported as `url.suspicious` with a correction.
    Suspicious,
}

/// One remark about the URL as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// A stable short id (`scheme_assumed`, `scheme_typo`, `backslashes`…).
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// One plain sentence (never contains a password).
    pub message: String,
}

/// A URL that cannot be used, with what was wrong and, where possible, a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invalid {
    /// What was wrong and what to do instead (never contains a password).
    pub reason: String,
    /// A corrected URL to try, when one can be guessed.
    pub suggestion: Option<String>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        // The suggestion is kept whole for re-testing; a message shows it redacted.
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean {}?)", crate::redact::url_str(s))?;
        }
        Ok(())
    }
}

/// A usable URL and everything learnt while reading it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// The URL that will be tested: cleaned, corrected where the input was unusable as
    /// typed, and without any user name or password. It keeps secret query parameters
    /// (they are part of what is tested): whatever shows it redacts it with
    /// [`crate::redact::url`], and it serializes redacted.
    #[serde(serialize_with = "ser_url")]
    pub url: Url,
    /// The host in ASCII (punycode for international names), without brackets for IPv6.
    pub host: String,
    /// The host as typed when it contains non-ASCII characters.
    pub unicode_host: Option<String>,
    /// The user name found in the URL, if any (the password is dropped, never kept).
    pub username: Option<String>,
    /// True when the URL carried a password (which was dropped).
    pub had_password: bool,
    /// Remarks, in the order found.
    pub lints: Vec<Lint>,
    /// A corrected URL to propose when a lint is suspicious.
    pub suggestion: Option<String>,
}

/// Serializes a URL redacted: a URL kept whole for requesting it never leaves in JSON whole.
pub(crate) fn ser_url<S: serde::Serializer>(url: &Url, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(crate::redact::url(url).as_str())
}

impl Target {
    /// Reads a pasted URL. `Err` when it cannot be used at all.
    pub fn parse(input: &str) -> Result<Target, Invalid> {
        let mut lints = Vec::new();
        let cleaned = clean(input, &mut lints);
        if cleaned.is_empty() {
            return Err(Invalid {
                reason: "the URL is empty: paste the address shown in the browser's address bar"
                    .into(),
                suggestion: None,
            });
        }
        if has_scheme(&cleaned) && fix_scheme(&cleaned).is_none() {
            let scheme = scheme_part(&cleaned).to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(Invalid {
                    reason: format!(
                        "'{scheme}:' addresses are not web pages; fix401 tests http:// and https:// URLs"
                    ),
                    suggestion: None,
                });
            }
        }
        // Repairs of typos that make the URL unusable as typed.
        let mut text = cleaned.clone();
        if text.contains('\\') {
            text = text.replace('\\', "/");
            lints.push(suspicious(
                "backslashes",
                "the URL contains backslashes (\\); web addresses use forward slashes (/)",
            ));
        }
        if let Some(fixed) = fix_scheme(&text) {
            lints.push(suspicious(
                "scheme_typo",
                format!(
                    "the URL starts with '{}', which looks like a typo",
                    typed_scheme(&text)
                ),
            ));
            text = fixed;
        }
        if !has_scheme(&text) {
            text = format!("https://{text}");
            lints.push(Lint {
                id: "scheme_assumed",
                severity: Severity::Note,
                message: "no http:// or https:// given: https:// was assumed".into(),
            });
        }
        // A password must never be echoed, so it is cut out (once the scheme is in shape, so
        // the authority can be found) before anything else is reported.
        let (without_secret, username, had_password) = strip_userinfo(&text);
        text = without_secret;
        if let Some(user) = &username {
            lints.push(Lint {
                id: "userinfo",
                severity: Severity::Suspicious,
                message: if had_password {
                    format!(
                        "the URL contains the user name '{user}' and a password; browsers ignore or block these, and a password in a link is readable by anyone who sees it (it was left out here — use --user and --password-stdin to test a login)"
                    )
                } else {
                    format!(
                        "the URL contains the user name '{user}'; browsers ignore it (it was left out here)"
                    )
                },
            });
        }

        let scheme = scheme_part(&text).to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(Invalid {
                reason: format!(
                    "'{scheme}:' addresses are not web pages; fix401 tests http:// and https:// URLs"
                ),
                suggestion: None,
            });
        }
        let (host_raw, _) = split_authority(&text);
        if host_raw.is_empty() {
            return Err(Invalid {
                reason: "the URL has no host name after the scheme (e.g. https://example.com/)"
                    .into(),
                suggestion: None,
            });
        }
        if host_raw.contains(' ') {
            return Err(Invalid {
                reason: format!("the host name '{host_raw}' contains a space; host names never do"),
                suggestion: Some(text.replacen(&host_raw, &host_raw.replace(' ', ""), 1)),
            });
        }
        let host_only = host_without_port(&host_raw);
        if !host_only.starts_with('[') && (host_only.contains("..") || host_only.starts_with('.')) {
            let fixed_host = host_only
                .split('.')
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(".")
                + if host_only.ends_with('.') && host_only.len() > 1 {
                    "."
                } else {
                    ""
                };
            lints.push(suspicious(
                "empty_label",
                format!("the host name '{host_only}' has an empty part between dots"),
            ));
            text = text.replacen(&host_only, &fixed_host, 1);
        }
        if let Some(pos) = text.find(' ') {
            lints.push(suspicious(
                "inner_space",
                format!(
                    "the URL contains a space after '{}'; it may be two things pasted together, or the space should be %20",
                    crate::redact::url_str(&text[..pos])
                ),
            ));
        }

        let url = match Url::parse(&text) {
            Ok(u) => u,
            Err(e) => {
                return Err(Invalid {
                    reason: format!("the URL cannot be read ({e}); check it for typos"),
                    suggestion: None,
                });
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => {
                return Err(Invalid {
                    reason: "the URL has no host name".into(),
                    suggestion: None,
                });
            }
        };
        let unicode_host = if host_only.is_ascii() {
            None
        } else {
            let typed = host_only.to_lowercase();
            lints.push(Lint {
                id: "idn",
                severity: Severity::Note,
                message: format!("the international host name '{typed}' is looked up as '{host}'"),
            });
            if let Some(label) = typed.split('.').find(|l| mixed_script(l)) {
                lints.push(suspicious(
                    "mixed_script",
                    format!(
                        "the host name part '{label}' mixes alphabets (for example Latin and Cyrillic letters that look alike); this is how look-alike phishing addresses are made"
                    ),
                ));
            }
            Some(typed)
        };
        let suggestion = if lints.iter().any(|l| l.severity == Severity::Suspicious) {
            Some(url.as_str().replace(' ', "%20"))
        } else {
            None
        };
        Ok(Target {
            url,
            host,
            unicode_host,
            username,
            had_password,
            lints,
            suggestion,
        })
    }

    /// True when some lint says the URL probably is not what the person meant.
    pub fn is_suspicious(&self) -> bool {
        self.lints
            .iter()
            .any(|l| l.severity == Severity::Suspicious)
    }
}

fn suspicious(id: &'static str, message: impl Into<String>) -> Lint {
    Lint {
        id,
        severity: Severity::Suspicious,
        message: message.into(),
    }
}

/// Removes what mail and chat programs wrap around a URL.
fn clean(input: &str, lints: &mut Vec<Lint>) -> String {
    let mut s = input.trim().to_string();
    let mut changed = s.len() != input.len();
    loop {
        let before = s.clone();
        for (open, close) in [
            ('"', '"'),
            ('\'', '\''),
            ('<', '>'),
            ('“', '”'),
            ('‘', '’'),
            ('«', '»'),
            ('(', ')'),
            ('[', ']'),
            ('`', '`'),
        ] {
            if s.len() >= 2 && s.starts_with(open) && s.ends_with(close) {
                s = s[open.len_utf8()..s.len() - close.len_utf8()]
                    .trim()
                    .to_string();
            }
        }
        // Trailing sentence punctuation and unbalanced closers, as in "see https://x.org/."
        while let Some(c) = s.chars().last() {
            let unbalanced = match c {
                ')' => s.matches('(').count() < s.matches(')').count(),
                ']' => s.matches('[').count() < s.matches(']').count(),
                '>' | '"' | '\'' | '”' | '’' | '»' => true,
                '.' | ',' | ';' | ':' | '!' | '?' => true,
                _ => false,
            };
            if !unbalanced {
                break;
            }
            s.pop();
        }
        // A leading quote or bracket left without its partner.
        while let Some(c) = s.chars().next() {
            if matches!(c, '"' | '\'' | '<' | '“' | '‘' | '«' | '(' | '[') {
                s = s[c.len_utf8()..].to_string();
            } else {
                break;
            }
        }
        s = s.trim().to_string();
        if s == before {
            break;
        }
        changed = true;
    }
    if changed && !s.is_empty() {
        lints.push(Lint {
            id: "cleaned",
            severity: Severity::Note,
            message: "surrounding spaces, quotes, brackets or punctuation were removed".into(),
        });
    }
    s
}

/// The scheme as typed, for messages: letters and digits and at most one ':' (never
/// reaching into a user name or password).
fn typed_scheme(s: &str) -> String {
    let letters: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let colon = if s[letters.len()..].starts_with(':') {
        ":"
    } else {
        ""
    };
    let slashes: String = s[letters.len() + colon.len()..]
        .chars()
        .take_while(|c| *c == '/')
        .collect();
    format!("{letters}{colon}{slashes}")
}

/// The text before the first ':' when it looks like a scheme.
fn scheme_part(s: &str) -> &str {
    match s.find(':') {
        Some(i)
            if i > 0
                && s[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            &s[..i]
        }
        _ => "",
    }
}

/// True when the text starts with `scheme://` or a scheme that takes no slashes (mailto:).
fn has_scheme(s: &str) -> bool {
    let scheme = scheme_part(s);
    if scheme.is_empty() {
        return false;
    }
    let rest = &s[scheme.len() + 1..];
    // "localhost:8080/x" and "example.com:443" are host:port, not a scheme.
    rest.starts_with("//")
        || (!scheme.contains('.') && !rest.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Proposes the http/https spelling for the usual typos (`htp:`, `http//`, `https:/x`).
fn fix_scheme(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    // "http//host" and "https//host": colon missing.
    for good in ["https", "http"] {
        if lower.starts_with(&format!("{good}//")) {
            return Some(format!("{good}://{}", &s[good.len() + 2..]));
        }
    }
    let scheme = scheme_part(s).to_ascii_lowercase();
    if scheme.is_empty() {
        return None;
    }
    let rest = &s[scheme.len() + 1..];
    let typo_of = match scheme.as_str() {
        "http" | "https" => None,
        "htp" | "htt" | "hhtp" | "hppt" | "htpp" | "thttp" | "ttp" | "hhttp" | "httpp" => {
            Some("http")
        }
        "htps" | "htts" | "hhtps" | "htpps" | "httsp" | "httpss" | "ttps" | "hppts" | "htttps" => {
            Some("https")
        }
        _ => None,
    };
    let rest_trim = rest.trim_start_matches('/');
    if let Some(good) = typo_of {
        return Some(format!("{good}://{rest_trim}"));
    }
    // "https:/host" or "https:///host": wrong number of slashes.
    if (scheme == "http" || scheme == "https")
        && (!rest.starts_with("//") || rest.starts_with("///"))
    {
        return Some(format!("{scheme}://{rest_trim}"));
    }
    None
}

/// Splits `scheme://authority/rest` and returns (host-and-port, rest).
fn split_authority(s: &str) -> (String, String) {
    let after = match s.find("://") {
        Some(i) => &s[i + 3..],
        None => s,
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    (after[..end].to_string(), after[end..].to_string())
}

fn host_without_port(authority: &str) -> String {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(i) => authority[..=i].to_string(),
            None => authority.to_string(),
        };
    }
    match authority.rfind(':') {
        Some(i) if authority[i + 1..].chars().all(|c| c.is_ascii_digit()) => {
            authority[..i].to_string()
        }
        _ => authority.to_string(),
    }
}

/// Cuts `user:password@` out of the URL text; returns the rest, the user and whether a
/// password was there.
fn strip_userinfo(s: &str) -> (String, Option<String>, bool) {
    let (prefix, after) = match s.find("://") {
        Some(i) => (&s[..i + 3], &s[i + 3..]),
        None => ("", s),
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    match authority.rfind('@') {
        Some(at) => {
            let info = &authority[..at];
            let (user, pass) = match info.find(':') {
                Some(c) => (&info[..c], true),
                None => (info, false),
            };
            let user = url::form_urlencoded::parse(format!("u={user}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let rest = format!("{prefix}{}{}", &authority[at + 1..], &after[end..]);
            let username = if user.is_empty() && !pass {
                None
            } else {
                Some(user)
            };
            let (rest, more) = strip_nested_userinfo(&rest, prefix.len());
            (rest, username, pass || more)
        }
        None => {
            let (rest, more) = strip_nested_userinfo(s, prefix.len());
            (rest, None, more)
        }
    }
}

/// Cuts `user:password@` that follows any later `//` (a mangled paste such as
/// `ftp//bob:pw@host` ends up in the path); returns the text and whether one was cut.
fn strip_nested_userinfo(s: &str, from: usize) -> (String, bool) {
    let mut out = s.to_string();
    let mut cut = false;
    let mut search = from.min(out.len());
    while let Some(rel) = out.get(search..).and_then(|t| t.find("//")) {
        let start = search + rel + 2;
        let seg_end = out[start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |e| start + e);
        let seg = &out[start..seg_end];
        if let Some(at) = seg.rfind('@')
            && seg[..at].contains(':')
        {
            out.replace_range(start..start + at + 1, "");
            cut = true;
        }
        search = start;
    }
    (out, cut)
}

/// The writing system of a letter, coarsely; `None` for digits, hyphens and marks.
fn script(c: char) -> Option<&'static str> {
    let u = c as u32;
    Some(match u {
        0x30..=0x39 | 0x2D | 0x5F => return None,
        0x41..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => "Latin",
        0x370..=0x3FF | 0x1F00..=0x1FFF => "Greek",
        0x400..=0x52F => "Cyrillic",
        0x530..=0x58F => "Armenian",
        0x590..=0x5FF => "Hebrew",
        0x600..=0x6FF | 0x750..=0x77F => "Arabic",
        0x900..=0x97F => "Devanagari",
        0xE00..=0xE7F => "Thai",
        0x10A0..=0x10FF => "Georgian",
        0x3040..=0x30FF => "Japanese",
        0x4E00..=0x9FFF => "Han",
        0xAC00..=0xD7AF | 0x1100..=0x11FF => "Hangul",
        _ => "Other",
    })
}

/// True when one host label mixes letters of several writing systems (a homograph sign).
/// Japanese mixing kana and Han is normal and not flagged.
fn mixed_script(label: &str) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for s in label.chars().filter_map(script) {
        let s = if s == "Han" { "Japanese" } else { s };
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Target {
        Target::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ids(t: &Target) -> Vec<&'static str> {
        t.lints.iter().map(|l| l.id).collect()
    }

    #[test]
    fn pasted_wrappers_are_removed() {
        for s in [
            "  https://example.com/a  ",
            "\"https://example.com/a\"",
            "<https://example.com/a>",
            "https://example.com/a.",
            "(https://example.com/a),",
            "“https://example.com/a”",
            "'https://example.com/a'!",
        ] {
            let t = ok(s);
            assert_eq!(t.url.as_str(), "https://example.com/a", "{s}");
            assert!(!t.is_suspicious(), "{s}");
        }
        assert_eq!(
            ok("https://en.wikipedia.org/wiki/Foo_(bar)").url.path(),
            "/wiki/Foo_(bar)"
        );
    }

    #[test]
    fn missing_scheme_assumes_https() {
        let t = ok("example.com/login");
        assert_eq!(t.url.as_str(), "https://example.com/login");
        assert_eq!(ids(&t), ["scheme_assumed"]);
        assert_eq!(
            ok("localhost:8080/x").url.as_str(),
            "https://localhost:8080/x"
        );
        assert_eq!(ok("127.0.0.1:9/").url.port(), Some(9));
    }

    #[test]
    fn scheme_typos_are_corrected() {
        for (s, want) in [
            ("htp://example.com/", "http://example.com/"),
            ("htps://example.com/", "https://example.com/"),
            ("http//example.com/", "http://example.com/"),
            ("https//example.com/", "https://example.com/"),
            ("https:/example.com/", "https://example.com/"),
        ] {
            let t = ok(s);
            assert_eq!(t.url.as_str(), want, "{s}");
            assert!(t.is_suspicious());
            assert_eq!(t.suggestion.as_deref(), Some(want));
        }
    }

    #[test]
    fn backslashes_spaces_and_empty_labels_are_suspicious() {
        let t = ok("https:\\\\example.com\\a\\b");
        assert_eq!(t.url.as_str(), "https://example.com/a/b");
        assert!(ids(&t).contains(&"backslashes"));
        let t = ok("https://example.com/my page");
        assert!(ids(&t).contains(&"inner_space"));
        assert_eq!(
            t.suggestion.as_deref(),
            Some("https://example.com/my%20page")
        );
        let t = ok("https://www..example.com/");
        assert_eq!(t.host, "www.example.com");
        assert!(ids(&t).contains(&"empty_label"));
    }

    #[test]
    fn idn_is_shown_as_punycode_and_mixed_scripts_warned() {
        let t = ok("https://bücher.de/");
        assert_eq!(t.host, "xn--bcher-kva.de");
        assert_eq!(t.unicode_host.as_deref(), Some("bücher.de"));
        assert!(!t.is_suspicious());
        // Cyrillic 'а' inside a Latin word.
        let t = ok("https://pаypal.com/");
        assert!(ids(&t).contains(&"mixed_script"));
        assert!(t.host.starts_with("xn--"));
    }

    #[test]
    fn userinfo_is_dropped_and_the_password_never_echoed() {
        let t = ok("https://alice:s3cr3t-pw@example.com/x");
        assert_eq!(t.url.as_str(), "https://example.com/x");
        assert_eq!(t.username.as_deref(), Some("alice"));
        assert!(t.had_password);
        let all = serde_json::to_string(&t).unwrap();
        assert!(!all.contains("s3cr3t"), "{all}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_echoes_a_password(
            prefix in "[ \t\"'<(]{0,3}",
            scheme in "(https?|htp|HTTP|ftp|)(:|://|//|:/|:\\\\)?",
            host in "[a-zA-Z0-9.\\-_ аé一@:\\[\\]]{0,20}",
            rest in "[/?#a-z0-9=&%\\\\ .]{0,20}",
            suffix in "[ .,;:!?)>\"']{0,3}",
        ) {
            let input = format!("{prefix}{scheme}bob:Pr0pSecret@{host}{rest}{suffix}");
            match Target::parse(&input) {
                Ok(t) => {
                    proptest::prop_assert!(matches!(t.url.scheme(), "http" | "https"));
                    let all = serde_json::to_string(&t).unwrap();
                    proptest::prop_assert!(!all.contains("Pr0pSecret"), "{}", all);
                }
                Err(e) => proptest::prop_assert!(!e.to_string().contains("Pr0pSecret")),
            }
            let _ = Target::parse(&format!("{prefix}{scheme}{host}{rest}{suffix}"));
        }
    }

    #[test]
    fn unusable_urls_are_invalid() {
        for s in [
            "",
            "   ",
            "\"\"",
            "ftp://example.com/",
            "mailto:a@example.com",
            "https://",
            "https://exa mple.com/",
            "http://[::1/",
            "https://example.com:99999/",
        ] {
            assert!(Target::parse(s).is_err(), "{s:?} should be invalid");
        }
        let e = Target::parse("https://user:hunter2@").unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
    }
}
