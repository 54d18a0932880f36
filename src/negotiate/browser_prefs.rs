//! Which hosts each browser and profile sends a Kerberos ticket to (integrated sign-in,
//! `Negotiate`), read from the settings that decide it — read only, nothing is changed here:
//!
//! - Firefox family: `network.negotiate-auth.trusted-uris` (and `delegation-uris`) from the
//!   profile's `user.js` (wins) and `prefs.js`, under the enterprise policy
//!   `Authentication.SPNEGO` of `policies.json` (the system folder first, else the install
//!   folder's `distribution/`), which is locked unless it says `"Locked": false`.
//! - Chromium family: the `AuthServerAllowlist` policy (`AuthNegotiateDelegateAllowlist`;
//!   the old names `AuthServerWhitelist`, `AuthNegotiateDelegateWhitelist`) from the managed
//!   policy folder, the `--auth-server-allowlist` switch from the launcher's flags files, then
//!   recommended policy. Without any, Linux and macOS builds send no ticket; Windows builds
//!   send one to Intranet-zone hosts, which fix401 cannot tell.
//!
//! Where a setting lives in the Windows registry or macOS managed preferences, fix401 does
//! not read it: [`BrowserSignIn::admin_locations`] names where to look and set it.
//! Every path is below the [`System`]'s home or system root, so tests use temporary ones.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::browsers::{Family, Installation};
use crate::system::{Os, System};

/// Firefox's list of hosts that get a ticket.
pub const FIREFOX_TRUSTED_URIS: &str = "network.negotiate-auth.trusted-uris";
/// Firefox's list of hosts the ticket may be delegated (forwarded) to.
pub const FIREFOX_DELEGATION_URIS: &str = "network.negotiate-auth.delegation-uris";
/// The Chromium-family policy listing hosts that get a ticket.
pub const CHROMIUM_ALLOWLIST: &str = "AuthServerAllowlist";
/// The Chromium-family policy listing hosts the ticket may be delegated to.
pub const CHROMIUM_DELEGATE_ALLOWLIST: &str = "AuthNegotiateDelegateAllowlist";

/// Where the value that decides came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An enterprise policy file. `locked`: the person's own settings cannot change it.
    Policy {
        /// The policy file.
        path: PathBuf,
        /// True when it overrides the profile's own settings.
        locked: bool,
    },
    /// The Firefox profile's `user.js`.
    UserJs {
        /// The file.
        path: PathBuf,
    },
    /// The Firefox profile's `prefs.js` (written by Firefox from about:config).
    PrefsJs {
        /// The file.
        path: PathBuf,
    },
    /// A command-line switch in a launcher's flags file.
    Switch {
        /// The file.
        path: PathBuf,
    },
    /// Nothing fix401 reads sets it: the browser's default.
    Default,
}

impl Source {
    /// The file the value came from, when one did.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Policy { path, .. }
            | Source::UserJs { path }
            | Source::PrefsJs { path }
            | Source::Switch { path } => Some(path),
            Source::Default => None,
        }
    }
}

/// One browser profile's sign-in setting for one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrowserSignIn {
    /// Catalog id (`firefox`, `chromium`…).
    pub browser_id: String,
    /// Display name.
    pub browser_name: String,
    /// Engine family.
    pub family: Family,
    /// The profile's name; `None` for a setting of the whole browser (Chromium policy).
    pub profile: Option<String>,
    /// The profile folder (Firefox).
    pub profile_dir: Option<PathBuf>,
    /// The setting that decides (`network.negotiate-auth.trusted-uris`, `AuthServerAllowlist`).
    pub setting: &'static str,
    /// Its value as set (`None`: not set anywhere fix401 reads).
    pub value: Option<String>,
    /// Where that value came from.
    pub source: Source,
    /// True when the browser sends a ticket to the URL's host, false when it will not,
    /// `None` when fix401 cannot tell (Windows' Intranet zone, a browser it has no rules for).
    pub sends: Option<bool>,
    /// True when the ticket may also be delegated to the host.
    pub delegates: bool,
    /// Where an administrator sets it on this OS that fix401 does not read (registry keys,
    /// managed-preferences files), for the report.
    pub admin_locations: Vec<String>,
}

impl BrowserSignIn {
    /// "Firefox (default-release)" or "Chromium".
    pub fn label(&self) -> String {
        match &self.profile {
            Some(p) => format!("{} ({p})", self.browser_name),
            None => self.browser_name.clone(),
        }
    }

    /// True when fix401 can add the host itself: a Firefox profile whose value is not
    /// locked by policy (it goes into the profile's `user.js`).
    pub fn fixable(&self) -> bool {
        self.family == Family::Firefox
            && self.profile_dir.is_some()
            && !matches!(self.source, Source::Policy { locked: true, .. })
    }
}

/// The URL's parts the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The host as in the URL (no brackets), any case.
    pub host: &'a str,
    /// The port (the scheme's default when the URL has none).
    pub port: u16,
}

impl<'a> Target<'a> {
    /// The parts of `url`; `None` without a host.
    pub fn of(url: &'a url::Url) -> Option<Target<'a>> {
        Some(Target {
            scheme: url.scheme(),
            host: url
                .host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']'),
            port: url.port_or_known_default()?,
        })
    }
}

/// Splits an allowlist entry into its scheme, host and port (`https://a.b:8443/x` →
/// `https`, `a.b`, `8443`); the path is ignored.
fn entry_parts(entry: &str) -> (Option<&str>, &str, Option<u16>) {
    let (scheme, rest) = match entry.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, entry),
    };
    let rest = rest.split('/').next().unwrap_or("");
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => match p.parse::<u16>() {
            Ok(port) => (h, Some(port)),
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    };
    (
        scheme,
        host.trim_start_matches('[').trim_end_matches(']'),
        port,
    )
}

/// The entries of a comma list whose scheme and port (when they name one) fit `t`: each
/// as (named a scheme, its host part in lower case).
fn fitting_entries<'a>(
    list: &'a str,
    t: &'a Target<'_>,
) -> impl Iterator<Item = (bool, String)> + 'a {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(entry_parts)
        .filter(|(scheme, _, port)| {
            scheme.is_none_or(|s| s.eq_ignore_ascii_case(t.scheme))
                && port.is_none_or(|p| p == t.port)
        })
        .map(|(scheme, host, _)| (scheme.is_some(), host.to_ascii_lowercase()))
}

/// Firefox's rule (`nsHttpNegotiateAuth`, `MatchesBaseURI`): a comma list of entries, each a
/// host suffix matched at a dot boundary (`example.com` matches `intra.example.com`; a
/// leading `.` matches only below it), optionally with a scheme (`https://`, or only a
/// scheme: every host) and a port.
pub fn firefox_matches(list: &str, t: &Target<'_>) -> bool {
    let host = t.host.to_ascii_lowercase();
    fitting_entries(list, t).any(|(has_scheme, base)| {
        if base.is_empty() {
            return has_scheme;
        }
        host.ends_with(&base)
            && (host.len() == base.len()
                || base.starts_with('.')
                || host.as_bytes()[host.len() - base.len() - 1] == b'.')
    })
}

/// Chromium's rule (`HttpAuthFilterAllowlist`): a comma list of host patterns with `*`
/// wildcards (`*.example.com`, `*example.com`, `intra.example.com`; a leading `.` stands for
/// `*.`), optionally with a scheme and a port; case does not matter.
pub fn chromium_matches(list: &str, t: &Target<'_>) -> bool {
    let host = t.host.to_ascii_lowercase();
    fitting_entries(list, t).any(|(_, mut pattern)| {
        if pattern.starts_with('.') {
            pattern.insert(0, '*');
        }
        glob(&pattern, &host)
    })
}

/// `*` matches any run of characters (none included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    if !text.ends_with(last) {
        return false;
    }
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

// ---------------------------------------------------------------- Firefox prefs files

/// The value of the last `user_pref("name", "value");` for `name` in a prefs file
/// (`prefs.js`, `user.js`; read as the route's reader does): the last one wins, as when
/// Firefox reads it. A value that is not a string counts as empty.
pub fn pref_value(text: &str, name: &str) -> Option<String> {
    match crate::route::firefox::parse_prefs(text).remove(name)? {
        crate::route::firefox::Pref::Str(s) => Some(s),
        _ => Some(String::new()),
    }
}

/// Every `user_pref` line setting `name`: its byte range in `text` (the whole line, without
/// its line end) and its string value.
pub fn pref_lines(text: &str, name: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(v) = parse_user_pref(body, name) {
            out.push((start..start + body.len(), v));
        }
        start += line.len();
    }
    out
}

/// `user_pref("name", value);` on one line → the value (a string's contents, else "").
fn parse_user_pref(line: &str, name: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("user_pref")?.trim_start();
    let rest = rest.strip_prefix('(')?.trim_start();
    let (key, rest) = crate::route::firefox::string_literal(rest)?;
    if key != name {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(',')?.trim_start();
    Some(
        crate::route::firefox::string_literal(rest)
            .map(|(v, _)| v)
            .unwrap_or_default(),
    )
}

/// `s` as a JavaScript string literal in double quotes.
pub fn js_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- where settings live (data)

/// Where Firefox-family policy lives that fix401 does not read.
fn firefox_admin_locations(browser_id: &str, os: Os) -> Vec<String> {
    let vendor = if browser_id == "librewolf" {
        "LibreWolf"
    } else {
        "Mozilla\\Firefox"
    };
    match os {
        Os::Windows => vec![format!(
            "registry HKLM\\SOFTWARE\\Policies\\{vendor}\\Authentication\\SPNEGO"
        )],
        Os::Macos if browser_id == "firefox" => {
            vec!["/Library/Preferences/org.mozilla.firefox.plist (Authentication > SPNEGO)".into()]
        }
        _ => Vec::new(),
    }
}

/// A Chromium-family browser's macOS managed-preferences domain and Windows registry key.
fn chromium_admin_places(browser_id: &str) -> Option<(&'static str, &'static str)> {
    Some(match chromium_base_id(browser_id) {
        "chrome" => ("com.google.Chrome", "Google\\Chrome"),
        "chromium" => ("org.chromium.Chromium", "Chromium"),
        "edge" => ("com.microsoft.Edge", "Microsoft\\Edge"),
        "brave" => ("com.brave.Browser", "BraveSoftware\\Brave"),
        _ => return None,
    })
}

/// The id whose policies a channel reads (`chrome-beta` → `chrome`, `edge-dev` → `edge`).
fn chromium_base_id(browser_id: &str) -> &str {
    match browser_id {
        id if id.starts_with("chrome-") => "chrome",
        id if id.starts_with("edge-") => "edge",
        id => id,
    }
}

/// Launcher flags files that can carry `--auth-server-allowlist` (Debian's Chromium wrapper
/// sources every file in `/etc/chromium.d/`), relative to the system root.
fn chromium_flag_dirs(browser_id: &str) -> &'static [&'static str] {
    match browser_id {
        "chromium" => &["etc/chromium.d"],
        _ => &[],
    }
}

// ---------------------------------------------------------------- reading

/// The policy value of `names` (first that is set) in the JSON files of a Chromium policy
/// folder: the lexicographically last file that sets it wins, as in Chromium's loader.
fn chromium_policy(dir: &Path, names: &[&str]) -> Option<(String, PathBuf)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    let mut found = None;
    for f in files {
        let Some(v) = std::fs::read(&f)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            continue;
        };
        if let Some(s) = names
            .iter()
            .find_map(|n| v.get(*n).and_then(|x| x.as_str()))
        {
            found = Some((s.to_string(), f));
        }
    }
    found
}

/// `--auth-server-allowlist=VALUE` (or the old `--auth-server-whitelist`) in the files of
/// the launcher's flags folders.
fn chromium_switch(sys: &System, browser_id: &str) -> Option<(String, PathBuf)> {
    let mut found = None;
    for dir in chromium_flag_dirs(browser_id) {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(sys.system_file(dir)) {
            Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
            Err(_) => continue,
        };
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
                for word in line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                    let value = word
                        .strip_prefix("--auth-server-allowlist=")
                        .or_else(|| word.strip_prefix("--auth-server-whitelist="));
                    if let Some(v) = value {
                        found = Some((v.to_string(), f.clone()));
                    }
                }
            }
        }
    }
    found
}

/// Firefox's `Authentication` policy: the file used, its SPNEGO and Delegated lists
/// (joined as Firefox joins them) and whether they are locked.
struct FirefoxPolicy {
    path: PathBuf,
    spnego: Option<String>,
    delegated: Option<String>,
    locked: bool,
}

fn firefox_policy(sys: &System, browser_id: &str) -> Option<FirefoxPolicy> {
    // The policy files the route reads too (Firefox's own locations; LibreWolf's are not
    // known to fix401).
    if browser_id != "firefox" {
        return None;
    }
    let (policies, path) = crate::route::firefox::policies(sys)?;
    let auth = policies.get("Authentication")?;
    let list = |key: &str| {
        auth.get(key)?.as_array().map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    Some(FirefoxPolicy {
        spnego: list("SPNEGO"),
        delegated: list("Delegated"),
        locked: auth.get("Locked").and_then(|l| l.as_bool()).unwrap_or(true),
        path,
    })
}

/// The sign-in setting of every Firefox profile and Chromium-family browser found, for `url`.
/// Safari and browsers fix401 has no rules for are left out.
pub fn gather(sys: &System, installations: &[Installation], url: &url::Url) -> Vec<BrowserSignIn> {
    let Some(t) = Target::of(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for inst in installations {
        match inst.family {
            Family::Firefox => firefox(sys, inst, &t, &mut out),
            Family::Chromium => {
                if let Some(s) = chromium(sys, inst, &t) {
                    out.push(s);
                }
            }
            Family::Safari => {}
        }
    }
    out
}

fn firefox(sys: &System, inst: &Installation, t: &Target<'_>, out: &mut Vec<BrowserSignIn>) {
    let policy = firefox_policy(sys, &inst.id);
    for p in &inst.profiles {
        let read = |file: &str| std::fs::read_to_string(p.dir.join(file)).unwrap_or_default();
        let (user, prefs) = (read("user.js"), read("prefs.js"));
        // user.js wins over prefs.js; a locked policy over both, an unlocked one is only
        // the default beneath them.
        let own = |name: &str| {
            pref_value(&user, name)
                .map(|v| {
                    (
                        v,
                        Source::UserJs {
                            path: p.dir.join("user.js"),
                        },
                    )
                })
                .or_else(|| {
                    pref_value(&prefs, name).map(|v| {
                        (
                            v,
                            Source::PrefsJs {
                                path: p.dir.join("prefs.js"),
                            },
                        )
                    })
                })
        };
        let decide = |name: &str, from_policy: Option<&String>| match (&policy, from_policy) {
            (Some(pol), Some(v)) if pol.locked => Some((
                v.clone(),
                Source::Policy {
                    path: pol.path.clone(),
                    locked: true,
                },
            )),
            (pol, v) => own(name).or_else(|| {
                Some((
                    v?.clone(),
                    Source::Policy {
                        path: pol.as_ref()?.path.clone(),
                        locked: false,
                    },
                ))
            }),
        };
        let trusted = decide(
            FIREFOX_TRUSTED_URIS,
            policy.as_ref().and_then(|p| p.spnego.as_ref()),
        );
        let delegation = decide(
            FIREFOX_DELEGATION_URIS,
            policy.as_ref().and_then(|p| p.delegated.as_ref()),
        );
        let (value, source) = match trusted {
            Some((v, s)) => (Some(v), s),
            None => (None, Source::Default),
        };
        out.push(BrowserSignIn {
            browser_id: inst.id.clone(),
            browser_name: inst.name.clone(),
            family: Family::Firefox,
            profile: Some(p.name.clone()),
            profile_dir: Some(p.dir.clone()),
            setting: FIREFOX_TRUSTED_URIS,
            sends: Some(value.as_deref().is_some_and(|v| firefox_matches(v, t))),
            value,
            delegates: delegation.is_some_and(|(v, _)| firefox_matches(&v, t)),
            source,
            admin_locations: firefox_admin_locations(&inst.id, sys.os),
        });
    }
}

fn chromium(sys: &System, inst: &Installation, t: &Target<'_>) -> Option<BrowserSignIn> {
    let (mac_domain, win_key) = chromium_admin_places(&inst.id)?;
    let allow = [CHROMIUM_ALLOWLIST, "AuthServerWhitelist"];
    let delegate = [
        CHROMIUM_DELEGATE_ALLOWLIST,
        "AuthNegotiateDelegateWhitelist",
    ];
    let (mut value, mut source, mut delegates) = (None, Source::Default, None);
    let mut admin_locations = Vec::new();
    match sys.os {
        Os::Linux => {
            // The route's managed folders; recommended policy sits beside each.
            let managed: Vec<PathBuf> =
                crate::route::chromium::policy_dirs(chromium_base_id(&inst.id), sys.os)
                    .iter()
                    .map(|rel| sys.system_file(rel))
                    .collect();
            let recommended: Vec<PathBuf> = managed
                .iter()
                .map(|d| d.with_file_name("recommended"))
                .collect();
            let in_dirs = |dirs: &[PathBuf], names: &[&str]| {
                dirs.iter().find_map(|d| chromium_policy(d, names))
            };
            // Managed policy, then the switch, then recommended policy.
            let chosen = in_dirs(&managed, &allow)
                .map(|(v, path)| (v, Source::Policy { path, locked: true }))
                .or_else(|| {
                    chromium_switch(sys, &inst.id).map(|(v, path)| (v, Source::Switch { path }))
                })
                .or_else(|| {
                    in_dirs(&recommended, &allow).map(|(v, path)| {
                        (
                            v,
                            Source::Policy {
                                path,
                                locked: false,
                            },
                        )
                    })
                });
            if let Some((v, s)) = chosen {
                value = Some(v);
                source = s;
            }
            delegates = in_dirs(&managed, &delegate).map(|(v, _)| v);
        }
        Os::Macos => admin_locations.push(format!(
            "/Library/Managed Preferences/{mac_domain}.plist ({CHROMIUM_ALLOWLIST})"
        )),
        Os::Windows => {
            admin_locations.push(format!(
                "registry HKLM\\SOFTWARE\\Policies\\{win_key}\\{CHROMIUM_ALLOWLIST} (or HKCU)"
            ));
            admin_locations.push(
                "Internet Options > Security > Local intranet (used while no allowlist is set)"
                    .into(),
            );
        }
    }
    let sends = match (&value, sys.os) {
        (Some(v), _) => Some(chromium_matches(v, t)),
        // Linux: every place is read, and without an allowlist no ticket is sent.
        (None, Os::Linux) => Some(false),
        // macOS: the managed preferences are not read; Windows: the Intranet zone decides.
        (None, _) => None,
    };
    Some(BrowserSignIn {
        browser_id: inst.id.clone(),
        browser_name: inst.name.clone(),
        family: Family::Chromium,
        profile: None,
        profile_dir: None,
        setting: CHROMIUM_ALLOWLIST,
        value,
        source,
        sends,
        delegates: delegates.is_some_and(|v| chromium_matches(&v, t)),
        admin_locations,
    })
}

// ---------------------------------------------------------------- the user.js change

/// `text` with the string pref `name` set to `value` (`None`: every line setting it
/// removed), keeping every other line byte for byte: the last `user_pref` line for it is
/// rewritten in place (earlier ones, which it overrides, stay), or a line is appended.
pub fn set_pref(text: &str, name: &str, value: Option<&str>) -> String {
    let lines = pref_lines(text, name);
    let mut out = String::with_capacity(text.len() + 80);
    let Some(value) = value else {
        let mut at = 0;
        for (range, _) in &lines {
            out.push_str(&text[at..range.start]);
            // The line goes with its line end.
            at = text[range.end..]
                .find('\n')
                .map_or(text.len(), |i| range.end + i + 1);
        }
        out.push_str(&text[at..]);
        return out;
    };
    let line = format!("user_pref({}, {});", js_quote(name), js_quote(value));
    match lines.last() {
        Some((range, _)) => {
            out.push_str(&text[..range.start]);
            out.push_str(&line);
            out.push_str(&text[range.end..]);
        }
        None => {
            out.push_str(text);
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The trusted-uris value with `host` added to `current` (the profile's value now).
pub fn with_trusted_host(current: Option<&str>, host: &str) -> String {
    match current.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => format!("{v}, {host}"),
        None => host.to_string(),
    }
}

/// `user.js` (its bytes; empty when absent) with `host` added to
/// `network.negotiate-auth.trusted-uris` ([`set_pref`]: every other line kept byte for
/// byte). The new value keeps what the profile has now (`current`: from user.js or
/// prefs.js) and adds the host. `None` when the text is not UTF-8 (left alone).
pub fn add_trusted_host(user_js: &[u8], current: Option<&str>, host: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(user_js).ok()?;
    let value = with_trusted_host(current, host);
    Some(set_pref(text, FIREFOX_TRUSTED_URIS, Some(&value)).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str) -> Target<'_> {
        Target {
            scheme: "https",
            host,
            port: 443,
        }
    }

    #[test]
    fn firefox_matches_suffixes_at_dot_boundaries_schemes_and_ports() {
        let list = "example.com, .corp.test,http://plain.test, https://, intra:8443";
        assert!(firefox_matches(list, &t("example.com")));
        assert!(firefox_matches(list, &t("wiki.example.com")));
        assert!(!firefox_matches("example.com", &t("badexample.com")));
        assert!(firefox_matches(".corp.test", &t("a.corp.test")));
        assert!(!firefox_matches(".corp.test", &t("corp.test")));
        assert!(!firefox_matches("http://plain.test", &t("plain.test")));
        assert!(firefox_matches("https://", &t("anything.test")));
        assert!(!firefox_matches("intra:8443", &t("intra")));
        assert!(firefox_matches(
            "intra:8443",
            &Target {
                scheme: "https",
                host: "intra",
                port: 8443
            }
        ));
        assert!(firefox_matches("LOCALHOST", &t("localhost")));
        assert!(!firefox_matches("", &t("localhost")));
    }

    #[test]
    fn chromium_matches_wildcards() {
        assert!(chromium_matches("*.example.com", &t("a.example.com")));
        assert!(!chromium_matches("*.example.com", &t("example.com")));
        assert!(chromium_matches("*example.com", &t("example.com")));
        assert!(chromium_matches("foo.test, localhost", &t("localhost")));
        assert!(!chromium_matches("foo.test", &t("a.foo.test")));
        assert!(chromium_matches(".foo.test", &t("a.foo.test")));
        assert!(chromium_matches("*", &t("x")));
        assert!(chromium_matches("a*c*e", &t("abcde")));
        assert!(!chromium_matches("a*c*e", &t("abcd")));
        assert!(!chromium_matches("http://localhost", &t("localhost")));
    }

    #[test]
    fn prefs_files_are_read_last_one_wins() {
        let text = "// comment\nuser_pref(\"network.negotiate-auth.trusted-uris\", \"a.test\");\r\n\
                    user_pref('network.negotiate-auth.trusted-uris', 'b.test, \\'q\\'');\n\
                    user_pref(\"other\", true);\n";
        assert_eq!(
            pref_value(text, FIREFOX_TRUSTED_URIS).as_deref(),
            Some("b.test, 'q'")
        );
        assert_eq!(pref_value(text, "other").as_deref(), Some(""));
        assert_eq!(pref_value(text, "missing"), None);
    }

    #[test]
    fn adding_the_host_keeps_every_other_line_byte_for_byte() {
        let before = b"// mine\r\nuser_pref(\"a\", 1);\nuser_pref(\"network.negotiate-auth.trusted-uris\", \"x.test\");  \nlast line no newline";
        let after = add_trusted_host(before, Some("x.test"), "localhost").unwrap();
        let after = String::from_utf8(after).unwrap();
        assert_eq!(
            after,
            "// mine\r\nuser_pref(\"a\", 1);\nuser_pref(\"network.negotiate-auth.trusted-uris\", \"x.test, localhost\");\nlast line no newline"
        );
        let fresh = add_trusted_host(b"", None, "intra.test").unwrap();
        assert_eq!(
            fresh,
            b"user_pref(\"network.negotiate-auth.trusted-uris\", \"intra.test\");\n"
        );
        let appended = add_trusted_host(b"user_pref(\"a\", 1);", Some("p.test"), "h").unwrap();
        assert_eq!(
            appended,
            b"user_pref(\"a\", 1);\nuser_pref(\"network.negotiate-auth.trusted-uris\", \"p.test, h\");\n"
        );
        assert!(add_trusted_host(b"\xff", None, "h").is_none());
        let prefs = "a\nuser_pref(\"x\", \"1\");\r\nb\nuser_pref(\"x\", \"2\");";
        assert_eq!(set_pref(prefs, "x", None), "a\nb\n");
        assert_eq!(
            set_pref("user_pref(\"y\", 1);\n", "x", None),
            "user_pref(\"y\", 1);\n"
        );
    }
}
