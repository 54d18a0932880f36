//! Each browser's network path: its proxy settings, the system proxy, PAC and WPAD, and
//! DNS-over-HTTPS.
//!
//! A browser does not reach a site the way `curl` does: Firefox reads its own profile
//! (`prefs.js`, `user.js`, enterprise `policies.json`), the Chromium family reads its policies
//! and otherwise the system settings (GNOME, KDE, WinINET, macOS), and either may hand the
//! choice to a PAC script. This module reads those settings ([`firefox`], [`chromium`],
//! [`system`], all data tables chosen by [`crate::Os`]), evaluates PAC scripts in a sandbox
//! ([`pac`]) and says, per browser and profile, which [`Route`] it takes for one URL. The
//! probe then re-tests once per distinct route, and the diagnosis compares the answers.

pub mod chromium;
pub mod firefox;
pub mod pac;
pub mod system;

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::browsers::Installation;
use crate::system::System;

/// A proxy server, as a URL (`http://host:port`, `socks5://host:port`). Environment
/// variables may carry a user name and password in it: [`ProxyServer::shown`] and the
/// serialised form never include them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyServer(pub Url);

impl ProxyServer {
    /// Parses `host:port`, `http://host:port` or `socks5://host:port`; `default_scheme` is
    /// used when none is given. `None` for an empty or unusable value.
    pub fn parse(raw: &str, default_scheme: &str) -> Option<ProxyServer> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let full = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("{default_scheme}://{raw}")
        };
        let url = Url::parse(&full).ok()?;
        url.host_str()?;
        Some(ProxyServer(url))
    }

    /// From a host and a port as separate settings (Firefox, GNOME); port 0 means unset.
    pub fn from_parts(scheme: &str, host: &str, port: i64) -> Option<ProxyServer> {
        let host = host.trim();
        if host.is_empty() || !(1..=65535).contains(&port) {
            return None;
        }
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        ProxyServer::parse(&format!("{scheme}://{host}:{port}"), scheme)
    }

    /// `host:port`, for people and reports (never the user name or password).
    pub fn host_port(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        let port = self.0.port_or_known_default().unwrap_or(80);
        format!("{host}:{port}")
    }

    /// True for a SOCKS proxy.
    pub fn is_socks(&self) -> bool {
        self.0.scheme().starts_with("socks")
    }

    /// The redacted URL.
    pub fn shown(&self) -> String {
        let u = crate::redact::url(&self.0);
        u.as_str().trim_end_matches('/').to_string()
    }
}

impl Serialize for ProxyServer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.shown())
    }
}

/// Fixed proxies, one per scheme, with the hosts that bypass them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Manual {
    /// For `http://` URLs.
    pub http: Option<ProxyServer>,
    /// For `https://` URLs.
    pub https: Option<ProxyServer>,
    /// For anything else (and for a scheme with no proxy of its own, Firefox).
    pub socks: Option<ProxyServer>,
    /// Names are resolved by the SOCKS proxy (Firefox `socks_remote_dns`).
    pub socks_remote_dns: bool,
    /// Hosts that go direct (`*.corp`, `.example.com`, `10.0.0.0/8`, `<local>`).
    pub bypass: Vec<String>,
    /// Loopback addresses and `localhost` go direct whatever the list says (the default of
    /// every browser; Firefox's `network.proxy.allow_hijacking_localhost` turns it off).
    pub bypass_loopback: bool,
}

impl Manual {
    /// The proxy for `url`, or `None` for direct.
    pub fn proxy_for(&self, url: &Url) -> Option<ProxyServer> {
        let host = bare_host(url);
        if self.bypass_loopback && crate::probe::is_loopback(&host) {
            return None;
        }
        if bypassed(&self.bypass, &host, url.port_or_known_default()) {
            return None;
        }
        let own = match url.scheme() {
            "https" | "wss" => self.https.clone(),
            "http" | "ws" => self.http.clone(),
            _ => None,
        };
        own.or_else(|| self.socks.clone())
    }
}

/// How a browser (or the system) is set to choose its route.
#[allow(clippy::large_enum_variant)] // a handful per run: boxing buys nothing
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Setting {
    /// No proxy.
    Direct,
    /// Fixed proxies.
    Manual(Manual),
    /// A PAC script at this URL decides.
    Pac {
        /// Where the script is.
        url: String,
    },
    /// WPAD: look for `http://wpad.<domain>/wpad.dat`.
    AutoDetect,
    /// Whatever the system settings say.
    System,
}

impl Setting {
    /// A few words for people: "direct", "manual proxy 127.0.0.1:3128", "PAC file …".
    pub fn describe(&self) -> String {
        match self {
            Setting::Direct => "no proxy".into(),
            Setting::Manual(m) => {
                let mut parts = Vec::new();
                for (scheme, p) in [("http", &m.http), ("https", &m.https), ("socks", &m.socks)] {
                    if let Some(p) = p {
                        parts.push(format!("{scheme} {}", p.host_port()));
                    }
                }
                if parts.is_empty() {
                    "manual proxy (none set)".into()
                } else {
                    format!("manual proxy ({})", parts.join(", "))
                }
            }
            Setting::Pac { url } => format!("PAC file {}", crate::redact::url_str(url)),
            Setting::AutoDetect => "auto-detect (WPAD)".into(),
            Setting::System => "system settings".into(),
        }
    }
}

/// DNS-over-HTTPS as a browser is set to use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Doh {
    /// `off`, `first` (fall back to the system resolver), `only`, or the raw mode.
    pub mode: String,
    /// The resolver's URL template, when set.
    pub uri: Option<String>,
}

/// What one browser profile (or the system) is set to do, and where that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrowserSettings {
    /// Catalog id (`firefox`, `chromium`…), or `system`.
    pub browser_id: String,
    /// For people: `Firefox ESR (default-esr)`.
    pub label: String,
    /// The setting.
    pub setting: Setting,
    /// Where it was read (`prefs.js`, `user.js`, `policies.json`, `GNOME`…).
    pub source: String,
    /// DNS-over-HTTPS, when set.
    pub doh: Option<Doh>,
}

/// The path a request to one URL takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    /// Straight to the site.
    Direct,
    /// Through this proxy.
    Proxy {
        /// The proxy (serialised without credentials).
        proxy: ProxyServer,
    },
}

impl Route {
    /// `direct` or `proxy 127.0.0.1:3128`.
    pub fn describe(&self) -> String {
        match self {
            Route::Direct => "direct".into(),
            Route::Proxy { proxy } => {
                if proxy.is_socks() {
                    format!("SOCKS proxy {}", proxy.host_port())
                } else {
                    format!("proxy {}", proxy.host_port())
                }
            }
        }
    }
}

/// One browser profile's route for the URL, and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrowserRoute {
    /// Catalog id.
    pub browser_id: String,
    /// For people.
    pub label: String,
    /// The setting as read (after `system` was looked up).
    pub setting: String,
    /// Where it was read.
    pub source: String,
    /// The route it takes.
    pub route: Route,
    /// A PAC script that could not be fetched or run: the browser then goes direct, or
    /// fails, but never where the script meant.
    pub pac_error: Option<PacProblem>,
    /// How the route was decided (`FindProxyForURL → "PROXY 127.0.0.1:3128; DIRECT"`).
    pub how: Vec<String>,
    /// DNS-over-HTTPS, when set.
    pub doh: Option<Doh>,
}

/// A PAC (or WPAD) script that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacProblem {
    /// The script's URL (redacted).
    pub url: String,
    /// What went wrong: the fetch error, or the script's own error message.
    pub message: String,
}

/// One re-test on one route, and the browser profiles that take it.
#[derive(Debug, Clone, Serialize)]
pub struct RouteProbe {
    /// The route.
    pub route: Route,
    /// The browser profiles that take it (labels); empty for fix401's own direct re-test.
    pub browsers: Vec<String>,
    /// This is the route of the main re-test (its evidence is the report's own).
    pub main: bool,
    /// What the re-test on this route saw; `None` when it could not be re-tested.
    #[serde(skip)]
    pub evidence: Option<crate::probe::Evidence>,
    /// What it got, in a few words (`HTTP 407`, `connection refused`…).
    pub outcome: String,
}

impl RouteProbe {
    /// The outcome of a re-test in a few words.
    pub fn outcome_of(ev: &crate::probe::Evidence) -> String {
        match (&ev.failure, ev.final_status()) {
            (Some(f), None) => f.describe(),
            (_, Some(s)) => format!("HTTP {s}"),
            (None, None) => "no answer".into(),
        }
    }
}

/// The distinct routes for the URL: `main` (the route of fix401's own re-test) first, then
/// each other route a browser profile takes, with the profiles on each.
pub fn distinct(main: &Route, browsers: &[BrowserRoute]) -> Vec<(Route, Vec<String>)> {
    let same = |a: &Route, b: &Route| match (a, b) {
        (Route::Direct, Route::Direct) => true,
        (Route::Proxy { proxy: p }, Route::Proxy { proxy: q }) => {
            p.0.scheme() == q.0.scheme() && p.host_port() == q.host_port()
        }
        _ => false,
    };
    let mut out: Vec<(Route, Vec<String>)> = vec![(main.clone(), Vec::new())];
    for b in browsers {
        match out.iter_mut().find(|(r, _)| same(r, &b.route)) {
            Some((_, names)) => names.push(b.label.clone()),
            None => out.push((b.route.clone(), vec![b.label.clone()])),
        }
    }
    out
}

/// True when `host` (port `port`) matches a bypass list: `*` matches all, `<local>` plain
/// host names, `.example.com` / `*.example.com` subdomains, `example.com` the domain and its
/// subdomains, `10.0.0.0/8` addresses in the network, `host:port` that port only, and `*`
/// anywhere inside an entry any run of characters.
pub fn bypassed(list: &[String], host: &str, port: Option<u16>) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.iter().any(|raw| {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        if entry == "<local>" {
            return !host.contains('.') && !host.contains(':');
        }
        if let Some((net, bits)) = entry.split_once('/')
            && let (Ok(net), Ok(bits), Some(ip)) = (net.parse::<IpAddr>(), bits.parse::<u8>(), ip)
        {
            return in_network(ip, net, bits);
        }
        // `host:port` (but not a bare IPv6 address).
        let (pattern, want_port) = match entry.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.parse::<u16>().is_ok() => {
                (h.to_string(), p.parse::<u16>().ok())
            }
            _ => (
                entry
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                None,
            ),
        };
        if want_port.is_some() && want_port != port {
            return false;
        }
        let pattern = pattern
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        if let Some(suffix) = pattern
            .strip_prefix("*.")
            .or_else(|| pattern.strip_prefix('.'))
        {
            return host.ends_with(&format!(".{suffix}")) || host == suffix;
        }
        if pattern.contains('*') {
            return pac::glob_match(pattern, &host);
        }
        host == pattern || host.ends_with(&format!(".{pattern}"))
    })
}

/// True when `ip` lies in `net`/`bits`.
pub fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn bare_host(url: &Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

/// Every browser profile's setting, for the installations found in the home (read once
/// by the caller and shared with whatever else looks at them: [`discover::installed`]).
///
/// [`discover::installed`]: crate::browsers::discover::installed
pub fn settings(sys: &System, installs: &[Installation]) -> Vec<BrowserSettings> {
    let mut out = Vec::new();
    for inst in installs {
        match inst.family {
            crate::browsers::Family::Firefox => out.extend(firefox::settings(sys, inst)),
            crate::browsers::Family::Chromium => out.push(chromium::settings(sys, inst)),
            crate::browsers::Family::Safari => out.push(BrowserSettings {
                browser_id: inst.id.clone(),
                label: inst.name.clone(),
                setting: Setting::System,
                source: "Safari always uses the system settings".into(),
                doh: None,
            }),
        }
    }
    out
}

/// The largest PAC file read (real ones are a few KiB).
pub const PAC_CAP: usize = 1024 * 1024;

/// How many redirects a PAC fetch follows.
const PAC_REDIRECTS: usize = 5;

/// Fetches a PAC file (http, https or file URLs; at most [`PAC_CAP`], within `timeout`):
/// one plain GET through the System's resolver, no proxy, redirects followed — none of the
/// re-test's measurements, which a script needs no more than a browser does.
pub async fn fetch_pac(sys: &System, url: &str, timeout: Duration) -> Result<String, String> {
    let mut parsed = Url::parse(url).map_err(|e| format!("not a usable address: {e}"))?;
    if parsed.scheme() == "file" {
        let path = parsed
            .to_file_path()
            .map_err(|_| "not a usable file path".to_string())?;
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read it: {e}"))?;
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    for _ in 0..=PAC_REDIRECTS {
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(format!("the scheme {} is not supported", parsed.scheme()));
        }
        let client = crate::probe::lean_client(sys, parsed.scheme() == "https")
            .map_err(|e| e.to_string())?;
        let fetch = async {
            let mut resp = client
                .get(parsed.clone())
                .send()
                .await
                .map_err(|e| crate::probe::describe_reqwest(&e))?;
            let status = resp.status();
            if status.is_redirection() {
                let next = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| parsed.join(l.trim()).ok())
                    .ok_or_else(|| {
                        format!("the server answered HTTP {status} without a usable Location")
                    })?;
                return Ok(Err(next));
            }
            if !status.is_success() {
                return Err(format!("the server answered HTTP {}", status.as_u16()));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
                body.extend_from_slice(&chunk);
                if body.len() > PAC_CAP {
                    return Err(format!("the script is larger than {} KiB", PAC_CAP / 1024));
                }
            }
            Ok(Ok(String::from_utf8_lossy(&body).into_owned()))
        };
        match tokio::time::timeout_at(deadline, fetch).await {
            Err(_) => {
                return Err(format!(
                    "no answer within {} s",
                    timeout.as_secs_f64().ceil()
                ));
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Ok(script))) => return Ok(script),
            Ok(Ok(Err(next))) => parsed = next,
        }
    }
    Err(format!("more than {PAC_REDIRECTS} redirects"))
}

/// The WPAD candidates in one DNS domain, as browsers walk it up:
/// `http://wpad.<d>/wpad.dat` for the domain and each parent, the longest first, never a
/// bare top-level domain.
pub fn wpad_candidates_in(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain
        .trim_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    (0..labels.len().saturating_sub(1))
        .map(|i| format!("http://wpad.{}/wpad.dat", labels[i..].join(".")))
        .collect()
}

/// The WPAD candidates for a host's full name: those of its DNS domain (the name without
/// its first label).
pub fn wpad_candidates(fqdn: &str) -> Vec<String> {
    match fqdn.trim_end_matches('.').split_once('.') {
        Some((_, domain)) => wpad_candidates_in(domain),
        None => Vec::new(),
    }
}

/// This computer's name as the System has it: `etc/hostname` below its root when there is
/// one (a simulated or mounted machine), otherwise this machine's own name.
pub fn hostname(sys: &System) -> String {
    std::fs::read_to_string(sys.system_file("etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(crate::browsers::running::hostname)
        .unwrap_or_default()
}

/// The DNS search list of the System's resolver (`search` and `domain` of
/// `etc/resolv.conf` below its root), in order.
pub fn search_domains(sys: &System) -> Vec<String> {
    let conf = std::fs::read_to_string(sys.system_file("etc/resolv.conf")).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in conf.lines() {
        let mut w = line.split_whitespace();
        if let Some("search" | "domain") = w.next() {
            for d in w {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if !d.is_empty() && !out.contains(&d) {
                    out.push(d);
                }
            }
        }
    }
    out
}

/// Where auto-detect looks for a WPAD script on this System: the domain of the computer's
/// own name, then each domain of the resolver's search list, each walked up to (but not
/// into) its top-level domain; each candidate once.
pub fn wpad_search(sys: &System) -> Vec<String> {
    let mut out: Vec<String> = wpad_candidates(&hostname(sys));
    for d in search_domains(sys) {
        for c in wpad_candidates_in(&d) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// How long auto-detect may look for a WPAD script in all (each name lookup gets at most
/// [`WPAD_LOOKUP`] of it): browsers give up on WPAD quickly, and so does the re-test.
pub const WPAD_BUDGET: Duration = Duration::from_secs(5);

/// How long one WPAD name may take to resolve.
pub const WPAD_LOOKUP: Duration = Duration::from_secs(2);

/// Decides each browser profile's route for `url`: the system settings are looked up for
/// those that defer to them, PAC scripts are fetched once each and evaluated, WPAD is tried
/// only for settings that ask for auto-detect.
pub async fn routes_for(
    sys: &System,
    installs: &[Installation],
    url: &Url,
    timeout: Duration,
) -> Vec<BrowserRoute> {
    let all = settings(sys, installs);
    if all.is_empty() {
        return Vec::new();
    }
    // Asked only when some browser defers to it (it may run `gsettings`, `reg`, `scutil`).
    let system_setting = all
        .iter()
        .any(|b| b.setting == Setting::System)
        .then(|| system::settings(sys));
    let resolved: Vec<(BrowserSettings, Setting, String)> = all
        .into_iter()
        .map(|b| {
            let (setting, source) = match &b.setting {
                Setting::System => match &system_setting {
                    Some(s) => (s.setting.clone(), format!("{} → {}", b.source, s.source)),
                    None => (Setting::Direct, b.source.clone()),
                },
                other => (other.clone(), b.source.clone()),
            };
            (b, setting, source)
        })
        .collect();
    // Every PAC file once, and WPAD once, all at the same time.
    let mut pac_urls: Vec<&str> = Vec::new();
    for (_, setting, _) in &resolved {
        if let Setting::Pac { url } = setting
            && !pac_urls.contains(&url.as_str())
        {
            pac_urls.push(url);
        }
    }
    let auto_detect = resolved
        .iter()
        .any(|(_, s, _)| matches!(s, Setting::AutoDetect));
    let (scripts, wpad) = tokio::join!(
        futures_util::future::join_all(pac_urls.iter().map(|u| fetch_pac(sys, u, timeout))),
        async {
            if auto_detect {
                Some(find_wpad(sys, timeout.min(WPAD_BUDGET)).await)
            } else {
                None
            }
        }
    );
    let script_of = |u: &str| {
        pac_urls
            .iter()
            .position(|p| *p == u)
            .map(|i| scripts[i].clone())
    };
    let decide = resolved.iter().map(|(b, setting, source)| async {
        let mut r = BrowserRoute {
            browser_id: b.browser_id.clone(),
            label: b.label.clone(),
            setting: setting.describe(),
            source: source.clone(),
            route: Route::Direct,
            pac_error: None,
            how: Vec::new(),
            doh: b.doh.clone(),
        };
        match setting {
            Setting::Direct | Setting::System => {}
            Setting::Manual(m) => {
                if let Some(p) = m.proxy_for(url) {
                    r.route = Route::Proxy { proxy: p };
                } else {
                    r.how.push(format!("{} bypasses the proxy", bare_host(url)));
                }
            }
            Setting::Pac { url: pac_url } => {
                let script = script_of(pac_url)
                    .unwrap_or_else(|| Err("the PAC file was not fetched".into()));
                apply_pac(sys, &mut r, pac_url, script, url).await;
            }
            Setting::AutoDetect => {
                let (tried, found) = wpad.clone().unwrap_or_default();
                r.how.extend(tried);
                match found {
                    Some((at, script)) => {
                        r.how.push(format!(
                            "auto-detect (WPAD) found the script at {}",
                            crate::redact::url_str(&at)
                        ));
                        apply_pac(sys, &mut r, &at, script, url).await;
                    }
                    None => r
                        .how
                        .push("auto-detect found no WPAD script: direct".into()),
                }
            }
        }
        r
    });
    futures_util::future::join_all(decide).await
}

/// Looks for a WPAD script as browsers do ([`wpad_search`]), within `budget`: what was
/// tried and did not answer, and the first script found (its URL and its fetch).
async fn find_wpad(
    sys: &System,
    budget: Duration,
) -> (Vec<String>, Option<(String, Result<String, String>)>) {
    let deadline = tokio::time::Instant::now() + budget;
    let candidates = wpad_search(sys);
    let mut tried = Vec::new();
    if candidates.is_empty() {
        tried.push(format!(
            "auto-detect: this computer ({}) has no DNS domain or search list to look for wpad in",
            hostname(sys)
        ));
    }
    for c in candidates {
        let host = Url::parse(&c)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            tried.push(format!(
                "auto-detect: stopped looking after {} s",
                budget.as_secs()
            ));
            break;
        }
        let lookup = tokio::time::timeout(
            left.min(WPAD_LOOKUP),
            crate::probe::net::resolve(sys, &host),
        )
        .await;
        if !matches!(lookup, Ok(Ok(_))) {
            tried.push(format!("auto-detect: {host} does not resolve"));
            continue;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match fetch_pac(sys, &c, left).await {
            Ok(script) => return (tried, Some((c, Ok(script)))),
            Err(e) => tried.push(format!(
                "auto-detect: no script at {}: {e}",
                crate::redact::url_str(&c)
            )),
        }
    }
    (tried, None)
}

async fn apply_pac(
    sys: &System,
    r: &mut BrowserRoute,
    pac_url: &str,
    script: Result<String, String>,
    url: &Url,
) {
    let shown = crate::redact::url_str(pac_url);
    let script = match script {
        Ok(s) => s,
        Err(message) => {
            r.pac_error = Some(PacProblem {
                url: shown.clone(),
                message: format!("cannot fetch the PAC file: {message}"),
            });
            r.how
                .push(format!("PAC file {shown} could not be fetched: direct"));
            return;
        }
    };
    let url_s = url.to_string();
    let host = bare_host(url);
    // The DNS helpers ask the resolver the re-test asks, bounded by the script's deadline.
    let resolver = pac::system_resolver(sys, tokio::runtime::Handle::current());
    let res = tokio::task::spawn_blocking(move || {
        pac::find_proxy_with(&script, &url_s, &host, &pac::Limits::default(), &resolver)
    })
    .await
    .unwrap_or_else(|e| Err(format!("the PAC evaluation stopped: {e}")));
    match res {
        Err(message) => {
            r.pac_error = Some(PacProblem {
                url: shown.clone(),
                message,
            });
            r.how.push(format!("PAC file {shown} failed: direct"));
        }
        Ok(answer) => {
            r.how
                .push(format!("FindProxyForURL → \"{}\" ({shown})", answer.trim()));
            match pac::first_choice(&answer) {
                Some(p) => r.route = Route::Proxy { proxy: p },
                None => r.route = Route::Direct,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bypass_lists_match_as_browsers_do() {
        let l = list(&[
            ".corp.example",
            "intranet",
            "10.0.0.0/8",
            "*.svc.local",
            "a.test:8080",
        ]);
        assert!(bypassed(&l, "www.corp.example", None));
        assert!(bypassed(&l, "corp.example", None));
        assert!(bypassed(&l, "intranet", None));
        assert!(bypassed(&l, "wiki.intranet", None));
        assert!(!bypassed(&l, "notintranet", None));
        assert!(bypassed(&l, "10.1.2.3", None));
        assert!(!bypassed(&l, "11.1.2.3", None));
        assert!(bypassed(&l, "x.svc.local", None));
        assert!(bypassed(&l, "a.test", Some(8080)));
        assert!(!bypassed(&l, "a.test", Some(80)));
        assert!(!bypassed(&l, "example.com", None));
        assert!(bypassed(&list(&["<local>"]), "printer", None));
        assert!(!bypassed(&list(&["<local>"]), "printer.lan", None));
        assert!(bypassed(&list(&["*"]), "anything.example", None));
    }

    #[test]
    fn manual_proxies_follow_the_scheme_and_spare_loopback_unless_told() {
        let mut m = Manual {
            http: ProxyServer::from_parts("http", "proxy.corp", 3128),
            https: ProxyServer::from_parts("http", "secure.corp", 3129),
            bypass: list(&["bypass.example"]),
            bypass_loopback: true,
            ..Manual::default()
        };
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            m.proxy_for(&u("http://a.example/")).unwrap().host_port(),
            "proxy.corp:3128"
        );
        assert_eq!(
            m.proxy_for(&u("https://a.example/")).unwrap().host_port(),
            "secure.corp:3129"
        );
        assert_eq!(m.proxy_for(&u("https://www.bypass.example/")), None);
        assert_eq!(m.proxy_for(&u("http://127.0.0.1:8080/")), None);
        m.bypass_loopback = false;
        assert!(m.proxy_for(&u("http://127.0.0.1:8080/")).is_some());
    }

    #[test]
    fn proxy_servers_never_show_their_credentials() {
        let p = ProxyServer::parse("http://bob:hunter2@proxy.corp:3128", "http").unwrap();
        assert_eq!(p.shown(), "http://proxy.corp:3128");
        assert_eq!(p.host_port(), "proxy.corp:3128");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            "\"http://proxy.corp:3128\""
        );
        assert!(ProxyServer::parse("", "http").is_none());
        assert!(ProxyServer::from_parts("http", "proxy", 0).is_none());
    }

    #[test]
    fn browsers_on_the_same_route_are_grouped_behind_the_main_one() {
        let r = |label: &str, route: Route| BrowserRoute {
            browser_id: "firefox".into(),
            label: label.into(),
            setting: String::new(),
            source: String::new(),
            route,
            pac_error: None,
            how: Vec::new(),
            doh: None,
        };
        let p = |hp: &str| Route::Proxy {
            proxy: ProxyServer::parse(hp, "http").unwrap(),
        };
        let groups = distinct(
            &Route::Direct,
            &[
                r("A", p("127.0.0.1:3128")),
                r("B", Route::Direct),
                r("C", p("http://u:pw@127.0.0.1:3128")),
                r("D", p("127.0.0.1:9")),
            ],
        );
        let shown: Vec<(String, Vec<String>)> =
            groups.into_iter().map(|(r, b)| (r.describe(), b)).collect();
        assert_eq!(
            shown,
            vec![
                ("direct".to_string(), vec!["B".to_string()]),
                (
                    "proxy 127.0.0.1:3128".to_string(),
                    vec!["A".to_string(), "C".to_string()]
                ),
                ("proxy 127.0.0.1:9".to_string(), vec!["D".to_string()]),
            ]
        );
    }

    #[test]
    fn wpad_looks_in_each_parent_domain_but_never_a_top_level_one() {
        assert_eq!(
            wpad_candidates("pc1.branch.corp.example"),
            vec![
                "http://wpad.branch.corp.example/wpad.dat",
                "http://wpad.corp.example/wpad.dat"
            ]
        );
        assert!(wpad_candidates("pc1").is_empty());
        assert!(wpad_candidates("pc1.example").is_empty());
    }

    #[test]
    fn wpad_walks_up_the_machines_domain_then_the_search_list() {
        let home = tempfile::tempdir().unwrap();
        let sys = System::simulated(crate::Os::Linux, home.path());
        let write = |rel: &str, text: &str| {
            let p = sys.system_file(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("etc/hostname", "pc1.lab.corp.example\n");
        write(
            "etc/resolv.conf",
            "# generated\nnameserver 10.0.0.53\nsearch branch.corp.example corp.example other.test\n",
        );
        assert_eq!(hostname(&sys), "pc1.lab.corp.example");
        assert_eq!(
            search_domains(&sys),
            vec!["branch.corp.example", "corp.example", "other.test"]
        );
        assert_eq!(
            wpad_search(&sys),
            vec![
                "http://wpad.lab.corp.example/wpad.dat",
                "http://wpad.corp.example/wpad.dat",
                "http://wpad.branch.corp.example/wpad.dat",
                "http://wpad.other.test/wpad.dat",
            ]
        );
        // A plain host name: only the search list says where to look.
        write("etc/hostname", "pc1\n");
        write("etc/resolv.conf", "domain corp.test\n");
        assert_eq!(wpad_search(&sys), vec!["http://wpad.corp.test/wpad.dat"]);
    }

    #[tokio::test]
    async fn auto_detect_with_nowhere_to_look_says_so_and_goes_direct() {
        let home = tempfile::tempdir().unwrap();
        let sys = System::simulated(crate::Os::Linux, home.path());
        let p = sys.system_file("etc/hostname");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "pc1\n").unwrap();
        let t = std::time::Instant::now();
        let (tried, found) = find_wpad(&sys, Duration::from_secs(5)).await;
        assert!(found.is_none());
        assert!(tried[0].contains("(pc1) has no DNS domain"), "{tried:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
