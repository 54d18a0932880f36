//! Which entries belong to a site: host and registrable-domain matching for cookies, cache
//! keys and per-origin folders (reference §4.3, §5, §6.3, §7).
//!
//! Matching is done on whole labels, never with `LIKE` (which over-matches `evil-d.com` and
//! treats `_` as a wildcard).

use serde::Serialize;

use crate::error::{Error, Result};

/// The site to clear: the host the person named and its registrable domain (eTLD+1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// The host as given, lower-case, IDNA-encoded, without a trailing dot.
    pub host: String,
    /// The registrable domain from the public suffix list (`example.co.uk`); the host itself
    /// for IP addresses, single labels and hosts that are a public suffix.
    pub domain: String,
    /// Only the host's own entries (no sibling subdomains, no parent-domain cookies).
    pub exact_host: bool,
    /// The host itself is a public suffix (allowed only with `exact_host`): only that exact
    /// host's own entries are touched, never the sites under it.
    pub public_suffix: bool,
}

impl Site {
    /// Parses what the person typed: a host name or a URL. Bad input names what was wrong.
    pub fn parse(input: &str, exact_host: bool) -> Result<Site> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(Error::BadInput(
                "--site is empty: give the host name of the failing site, e.g. --site example.com"
                    .into(),
            ));
        }
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{raw}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| {
            Error::BadInput(format!(
                "--site {raw}: not a host name or URL ({e}); give e.g. --site example.com"
            ))
        })?;
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            None => {
                return Err(Error::BadInput(format!(
                    "--site {raw}: no host name in it; give e.g. --site example.com"
                )));
            }
        };
        if host.is_empty() || host.contains('*') {
            return Err(Error::BadInput(format!(
                "--site {raw}: not a usable host name; give e.g. --site example.com"
            )));
        }
        let public_suffix = public_suffix_of(&host).as_deref() == Some(host.as_str());
        if public_suffix && !exact_host {
            return Err(Error::BadInput(suffix_refusal(raw, &host)));
        }
        let domain = registrable_domain(&host);
        Ok(Site {
            host,
            domain,
            exact_host,
            public_suffix,
        })
    }

    /// The name the matching works on: the host with `--exact-host`, else the domain.
    pub fn key(&self) -> &str {
        if self.exact_host {
            &self.host
        } else {
            &self.domain
        }
    }

    /// True when a host (of a cookie, URL or origin folder; a leading `.` is ignored)
    /// belongs to this site.
    pub fn matches_host(&self, host: &str) -> bool {
        let h = host
            .trim_start_matches('.')
            .trim_end_matches('.')
            .as_bytes();
        let want = if self.exact_host {
            self.host.as_bytes()
        } else {
            self.domain.as_bytes()
        };
        if h.eq_ignore_ascii_case(want) {
            return true;
        }
        // Without allocating: the last labels equal the domain, after a dot.
        !self.exact_host
            && h.len() > want.len()
            && h[h.len() - want.len()..].eq_ignore_ascii_case(want)
            && h[h.len() - want.len() - 1] == b'.'
    }

    /// True when a partition's top-level site (`https://d`, `http://d`, with or without a
    /// port) is this site. With `--exact-host` only when the host is the site itself.
    pub fn matches_top_site(&self, site: &str) -> bool {
        if self.exact_host && self.host != self.domain {
            return false;
        }
        let Some((scheme, rest)) = site.split_once("://") else {
            return false;
        };
        if !matches!(scheme, "http" | "https") {
            return false;
        }
        let host = strip_port(rest.trim_end_matches('/'));
        host.eq_ignore_ascii_case(&self.domain)
    }

    /// True when a Firefox `originAttributes` suffix (`^partitionKey=%28https%2Cd%29&…`)
    /// names a partition under this site.
    pub fn matches_origin_attributes(&self, attrs: &str) -> bool {
        partition_site(attrs).is_some_and(|s| self.matches_top_site(&s))
    }

    /// True for a Chromium cookie row (`host_key`, `top_frame_site_key`).
    pub fn matches_chromium_cookie(&self, host_key: &str, top_frame_site_key: &str) -> bool {
        self.matches_host(host_key)
            || (!top_frame_site_key.is_empty() && self.matches_top_site(top_frame_site_key))
    }

    /// True for a Firefox cookie row (`host`, `originAttributes`).
    pub fn matches_firefox_cookie(&self, host: &str, origin_attributes: &str) -> bool {
        self.matches_host(host) || self.matches_origin_attributes(origin_attributes)
    }

    /// True when a URL's host belongs to this site.
    pub fn matches_url(&self, url: &str) -> bool {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .is_some_and(|h| self.matches_host(&h))
    }

    /// True for a Chromium HTTP cache key (`1/0/_dk_<top> <frame> <url>`): the URL after
    /// the last space is of this site, or the top-frame site is.
    pub fn matches_chromium_cache_key(&self, key: &str) -> bool {
        let url = key.rsplit(' ').next().unwrap_or(key);
        let url = url.split_once("/_dk_").map_or(url, |(_, u)| u);
        let url = strip_credential_prefix(url);
        if self.matches_url(url) {
            return true;
        }
        if let Some(pos) = key.find("_dk_") {
            let mut rest = &key[pos + 4..];
            // Optional "s_" (subframe document) and experiment prefixes before the site.
            while let Some(i) = rest.find('_') {
                if rest[..i].contains("://") {
                    break;
                }
                rest = &rest[i + 1..];
            }
            if let Some(top) = rest.split(' ').next() {
                return self.matches_top_site(top);
            }
        }
        false
    }

    /// True for a Firefox cache2 key (`O<attrs>,a,:<url>`).
    pub fn matches_cache2_key(&self, key: &str) -> bool {
        let (tags, url) = split_cache2_key(key);
        if self.matches_url(&url) {
            return true;
        }
        tags.iter()
            .filter_map(|t| t.strip_prefix('O'))
            .any(|attrs| self.matches_origin_attributes(attrs))
    }

    /// True for a Firefox `storage/default/<origin>` folder name
    /// (`https+++www.d+8080^partitionKey=%28https%2Cd%29`).
    pub fn matches_firefox_origin_dir(&self, name: &str) -> bool {
        let (origin, attrs) = name.split_once('^').unwrap_or((name, ""));
        let Some((scheme, rest)) = origin.split_once("+++") else {
            return false;
        };
        if scheme.starts_with("moz-") || scheme == "file" || scheme == "chrome" {
            return false;
        }
        let host = rest.rsplit_once('+').map_or(rest, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                rest
            }
        });
        self.matches_host(host) || (!attrs.is_empty() && self.matches_origin_attributes(attrs))
    }

    /// True for a Chromium per-origin folder (`https_www.d_0.indexeddb.leveldb`).
    pub fn matches_chromium_origin_dir(&self, name: &str) -> bool {
        let stem = name.split(".indexeddb").next().unwrap_or(name);
        let Some((scheme, rest)) = stem.split_once('_') else {
            return false;
        };
        if !matches!(scheme, "http" | "https") {
            return false;
        }
        let host = rest.rsplit_once('_').map_or(rest, |(h, _port)| h);
        self.matches_host(host)
    }
}

/// The public suffix of a host when the list names it (ICANN or private section: `com`,
/// `co.uk`, `github.io`); `None` for IP addresses and for hosts under no listed rule
/// (`localhost`, `intranet`, `a.test`), which are sites of their own.
pub fn public_suffix_of(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let suffix = psl::suffix(host.as_bytes())?;
    if !suffix.is_known() {
        return None;
    }
    std::str::from_utf8(suffix.as_bytes())
        .ok()
        .map(str::to_ascii_lowercase)
}

/// Why a public suffix is never a site, and what to type instead.
fn suffix_refusal(raw: &str, host: &str) -> String {
    let example = if host.contains('.') {
        format!("you.{host}")
    } else {
        format!("example.{host}")
    };
    format!(
        "{raw} is a public suffix, not a site: clearing it would remove the data of every \
         site under .{host}. Nothing was changed. Give the failing site itself, e.g. \
         --site {example}; or, to clear only the host {host} itself, add --exact-host"
    )
}

/// The registrable domain of a host, by the public suffix list.
pub fn registrable_domain(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') || !host.contains('.') {
        return host.to_string();
    }
    psl::domain_str(host).map_or_else(|| host.to_string(), str::to_string)
}

/// `host:port` → `host` (IPv6 in brackets kept whole).
fn strip_port(s: &str) -> &str {
    if s.starts_with('[') {
        return s.split_inclusive(']').next().unwrap_or(s);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => s,
    }
}

/// `1/0/https://…` → `https://…` (the credential flag and upload id of old keys).
fn strip_credential_prefix(s: &str) -> &str {
    let mut rest = s;
    for _ in 0..2 {
        if let Some((head, tail)) = rest.split_once('/')
            && !head.is_empty()
            && head.chars().all(|c| c.is_ascii_digit())
        {
            rest = tail;
        }
    }
    rest
}

/// The top-level site of a Firefox `partitionKey` in an originAttributes suffix:
/// `%28https%2Cd%29` or `%28https%2Cd%2C8080%29` → `https://d`.
pub fn partition_site(attrs: &str) -> Option<String> {
    let attrs = attrs.trim_start_matches('^');
    for pair in attrs.split('&') {
        let Some(v) = pair.strip_prefix("partitionKey=") else {
            continue;
        };
        let decoded = percent_decode(v);
        let inner = decoded.strip_prefix('(')?.strip_suffix(')')?;
        let mut parts = inner.split(',');
        let scheme = parts.next()?;
        let host = parts.next()?;
        return Some(format!("{scheme}://{host}"));
    }
    None
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| char::from(c).to_digit(16);
    while let Some(&c) = b.get(i) {
        // Exactly two hex digits (`from_str_radix` would also take a sign: "%+1").
        if c == b'%'
            && let (Some(hi), Some(lo)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a cache2 key into its tags and URL (`CacheFileUtils.cpp` KeyParser: tags end with
/// `,`, a doubled `,,` is a literal comma, `:` starts the URL).
pub fn split_cache2_key(key: &str) -> (Vec<String>, String) {
    let mut tags = Vec::new();
    let chars: Vec<char> = key.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ':' {
            return (tags, chars[i + 1..].iter().collect());
        }
        let mut tag = String::new();
        while i < chars.len() {
            if chars[i] == ',' {
                if chars.get(i + 1) == Some(&',') {
                    tag.push(',');
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            tag.push(chars[i]);
            i += 1;
        }
        tags.push(tag);
    }
    (tags, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(s: &str) -> Site {
        Site::parse(s, false).unwrap()
    }

    #[test]
    fn registrable_domain_from_the_public_suffix_list() {
        assert_eq!(site("www.example.co.uk").domain, "example.co.uk");
        assert_eq!(site("https://a.b.example.com/x?y").domain, "example.com");
        assert_eq!(site("a.test").domain, "a.test");
        assert_eq!(site("foo.github.io").domain, "foo.github.io");
        assert_eq!(site("127.0.0.1").domain, "127.0.0.1");
        assert_eq!(site("localhost").domain, "localhost");
        assert_eq!(site("WWW.Example.COM.").host, "www.example.com");
        assert_eq!(site("bücher.de").domain, "xn--bcher-kva.de");
    }

    #[test]
    fn public_suffixes_are_never_sites() {
        for suffix in [
            "com",
            "co.uk",
            "github.io",
            "blogspot.com",
            "https://CO.UK/x",
            "uk.",
        ] {
            let e = Site::parse(suffix, false).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{suffix}");
            assert!(e.to_string().contains("public suffix"), "{e}");
        }
        assert!(
            Site::parse("github.io", false)
                .unwrap_err()
                .to_string()
                .contains("--site you.github.io")
        );
        // Under a suffix, a site is its own registrable domain and nothing beside it.
        let x = site("www.x.co.uk");
        assert_eq!(x.domain, "x.co.uk");
        assert!(!x.matches_host("y.co.uk") && !x.matches_host(".co.uk"));
        let a = site("a.github.io");
        assert!(!a.matches_host("b.github.io") && !a.matches_host("github.io"));
        // --exact-host may name a suffix host: only that host, and it says so.
        let exact = Site::parse("github.io", true).unwrap();
        assert!(exact.public_suffix);
        assert!(exact.matches_host("github.io"));
        assert!(!exact.matches_host("a.github.io"));
        // Hosts under no listed rule are sites of their own.
        for own in ["localhost", "intranet", "a.test", "127.0.0.1", "[::1]"] {
            assert!(!site(own).public_suffix, "{own}");
        }
    }

    #[test]
    fn bad_sites_are_bad_input() {
        for bad in ["", "  ", "http://", "exa mple.com", "*.example.com"] {
            let e = Site::parse(bad, false).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
    }

    #[test]
    fn cookie_hosts_match_on_whole_labels() {
        let s = site("www.example.com");
        for yes in [
            "example.com",
            ".example.com",
            "www.example.com",
            ".sub.example.com",
        ] {
            assert!(s.matches_host(yes), "{yes}");
        }
        for no in [
            "evil-example.com",
            "example.com.evil",
            "xexample.com",
            "com",
            "example_com",
        ] {
            assert!(!s.matches_host(no), "{no}");
        }
        let u = site("a_b.test");
        assert!(!u.matches_host("axb.test"), "_ is not a wildcard");
        assert!(u.matches_host("a_b.test"));
    }

    #[test]
    fn exact_host_takes_only_that_host() {
        let s = Site::parse("www.example.com", true).unwrap();
        assert!(s.matches_host("www.example.com"));
        assert!(s.matches_host(".www.example.com"));
        assert!(!s.matches_host(".example.com"));
        assert!(!s.matches_host("api.example.com"));
        assert!(!s.matches_top_site("https://example.com"));
    }

    #[test]
    fn partition_keys() {
        let s = site("example.com");
        assert!(s.matches_chromium_cookie("cdn.other.com", "https://example.com"));
        assert!(s.matches_chromium_cookie("cdn.other.com", "http://example.com"));
        assert!(!s.matches_chromium_cookie("cdn.other.com", "https://evil-example.com"));
        assert!(!s.matches_chromium_cookie("cdn.other.com", ""));
        assert!(s.matches_firefox_cookie("cdn.other", "^partitionKey=%28https%2Cexample.com%29"));
        assert!(s.matches_firefox_cookie(
            "cdn.other",
            "^userContextId=2&partitionKey=%28http%2Cexample.com%2C8080%29"
        ));
        assert!(!s.matches_firefox_cookie("cdn.other", "^partitionKey=%28https%2Cexample.co%29"));
        assert!(!s.matches_firefox_cookie("cdn.other", "^userContextId=2"));
        // A cookie of the site partitioned under another top-level site is still the site's.
        assert!(s.matches_firefox_cookie(".example.com", "^partitionKey=%28https%2Cother.org%29"));
    }

    #[test]
    fn cache_keys() {
        let s = site("a.test");
        assert!(s.matches_chromium_cache_key(
            "1/0/_dk_http://a.test http://a.test http://a.test:8080/s.js"
        ));
        assert!(s.matches_chromium_cache_key(
            "1/0/_dk_s_https://a.test https://b.test https://b.test/frame"
        ));
        assert!(
            !s.matches_chromium_cache_key("1/0/_dk_http://b.test http://b.test http://b.test/s.js")
        );
        assert!(s.matches_chromium_cache_key(
            "1/0/_dk_https://b.test https://b.test https://cdn.a.test/x"
        ));
        assert!(s.matches_chromium_cache_key("https://a.test/old-key"));
        assert!(s.matches_cache2_key("O^partitionKey=%28http%2Ca.test%29,:http://cdn.b.test/s.js"));
        assert!(s.matches_cache2_key("a,:https://www.a.test/x,,y"));
        assert!(!s.matches_cache2_key("O^partitionKey=%28http%2Cb.test%29,:http://b.test/s.js"));
        assert_eq!(
            split_cache2_key("O^a,,b,a,:http://x/"),
            (
                vec!["O^a,b".to_string(), "a".to_string()],
                "http://x/".to_string()
            )
        );
    }

    #[test]
    fn origin_folders() {
        let s = site("a.test");
        assert!(s.matches_firefox_origin_dir("https+++a.test"));
        assert!(s.matches_firefox_origin_dir("http+++www.a.test+8080"));
        assert!(
            s.matches_firefox_origin_dir("https+++cdn.b.test^partitionKey=%28https%2Ca.test%29")
        );
        assert!(!s.matches_firefox_origin_dir("https+++b.test"));
        assert!(!s.matches_firefox_origin_dir("moz-extension+++abc"));
        assert!(s.matches_chromium_origin_dir("https_www.a.test_0.indexeddb.leveldb"));
        assert!(s.matches_chromium_origin_dir("http_a.test_8080.indexeddb.blob"));
        assert!(!s.matches_chromium_origin_dir("https_evil-a.test_0.indexeddb.leveldb"));
    }
}
