//! Evidence → findings: what went wrong, how sure we are, and which actions apply.
//!
//! The cause and action ids are stable contracts (DESIGN.md): they appear in JSON output,
//! reports and the desktop UI. Add new ones only with a design change.

pub mod outcome;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use outcome::{Outcome, Stage, Tone, outcome};

/// A distinct cause of a failure, one per id of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cause {
    /// The URL cannot be used at all.
    #[serde(rename = "url.invalid")]
    UrlInvalid,
    /// The URL can be used but probably is not what the person meant.
    #[serde(rename = "url.suspicious")]
    UrlSuspicious,
    /// The server answered 404/410.
    #[serde(rename = "url.not_found")]
    UrlNotFound,
    /// A login is required and none was sent.
    #[serde(rename = "credentials.missing")]
    CredentialsMissing,
    /// Credentials were sent and the server refused them.
    #[serde(rename = "credentials.rejected")]
    CredentialsRejected,
    /// A token was sent and is malformed, revoked or otherwise invalid.
    #[serde(rename = "token.invalid")]
    TokenInvalid,
    /// A token was sent and has expired.
    #[serde(rename = "token.expired")]
    TokenExpired,
    /// The person is known but not allowed (403, `insufficient_scope`).
    #[serde(rename = "permission.denied")]
    PermissionDenied,
    /// A proxy on the way wants credentials (407).
    #[serde(rename = "proxy.auth_required")]
    ProxyAuthRequired,
    /// The server breaks the protocol (401 without a usable challenge…).
    #[serde(rename = "server.misconfigured")]
    ServerMisconfigured,
    /// The server failed (5xx).
    #[serde(rename = "server.error")]
    ServerError,
    /// The TLS certificate is expired, not yet valid, for another host or untrusted.
    #[serde(rename = "tls.certificate")]
    TlsCertificate,
    /// This machine's clock is far off the server's.
    #[serde(rename = "clock.skew")]
    ClockSkew,
    /// Redirects come back to a URL already visited.
    #[serde(rename = "redirect.loop")]
    RedirectLoop,
    /// More redirects than any browser follows.
    #[serde(rename = "redirect.too_many")]
    RedirectTooMany,
    /// The host name does not resolve.
    #[serde(rename = "dns.failure")]
    DnsFailure,
    /// A hosts-file entry pins the host to a fixed address.
    #[serde(rename = "dns.hosts_override")]
    DnsHostsOverride,
    /// A local cache answers differently from the upstream name servers.
    #[serde(rename = "dns.stale")]
    DnsStale,
    /// The server cannot be reached (refused, timed out, no route).
    #[serde(rename = "network.unreachable")]
    NetworkUnreachable,
    /// The URL works from here, so the failure comes from data the browser stored.
    #[serde(rename = "site_data.stale")]
    SiteDataStale,
    /// The site runs WordPress, whose security plugins often cause 401/403.
    #[serde(rename = "site.wordpress")]
    SiteWordpress,
    /// The proxy a browser goes through cannot be reached (refused, timed out, its name does
    /// not resolve): never the site's fault.
    #[serde(rename = "proxy.unreachable")]
    ProxyUnreachable,
    /// The PAC (or WPAD) script a browser is set to use cannot be fetched or fails.
    #[serde(rename = "proxy.pac_error")]
    ProxyPacError,
    /// The proxy itself refuses the site (a 403 or its own error page).
    #[serde(rename = "proxy.blocked")]
    ProxyBlocked,
}

impl Cause {
    /// Every cause, in the order of DESIGN.md.
    pub const ALL: [Cause; 24] = [
        Cause::UrlInvalid,
        Cause::UrlSuspicious,
        Cause::UrlNotFound,
        Cause::CredentialsMissing,
        Cause::CredentialsRejected,
        Cause::TokenInvalid,
        Cause::TokenExpired,
        Cause::PermissionDenied,
        Cause::ProxyAuthRequired,
        Cause::ServerMisconfigured,
        Cause::ServerError,
        Cause::TlsCertificate,
        Cause::ClockSkew,
        Cause::RedirectLoop,
        Cause::RedirectTooMany,
        Cause::DnsFailure,
        Cause::DnsHostsOverride,
        Cause::DnsStale,
        Cause::NetworkUnreachable,
        Cause::SiteDataStale,
        Cause::SiteWordpress,
        Cause::ProxyUnreachable,
        Cause::ProxyPacError,
        Cause::ProxyBlocked,
    ];

    /// The stable id (`credentials.missing`…).
    pub fn id(self) -> &'static str {
        match self {
            Cause::UrlInvalid => "url.invalid",
            Cause::UrlSuspicious => "url.suspicious",
            Cause::UrlNotFound => "url.not_found",
            Cause::CredentialsMissing => "credentials.missing",
            Cause::CredentialsRejected => "credentials.rejected",
            Cause::TokenInvalid => "token.invalid",
            Cause::TokenExpired => "token.expired",
            Cause::PermissionDenied => "permission.denied",
            Cause::ProxyAuthRequired => "proxy.auth_required",
            Cause::ServerMisconfigured => "server.misconfigured",
            Cause::ServerError => "server.error",
            Cause::TlsCertificate => "tls.certificate",
            Cause::ClockSkew => "clock.skew",
            Cause::RedirectLoop => "redirect.loop",
            Cause::RedirectTooMany => "redirect.too_many",
            Cause::DnsFailure => "dns.failure",
            Cause::DnsHostsOverride => "dns.hosts_override",
            Cause::DnsStale => "dns.stale",
            Cause::NetworkUnreachable => "network.unreachable",
            Cause::SiteDataStale => "site_data.stale",
            Cause::SiteWordpress => "site.wordpress",
            Cause::ProxyUnreachable => "proxy.unreachable",
            Cause::ProxyPacError => "proxy.pac_error",
            Cause::ProxyBlocked => "proxy.blocked",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Something fix401 can do (or tell the person to do) about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Test the URL again.
    Retry,
    /// Use the corrected URL.
    FixUrl,
    /// Flush every DNS cache on the way.
    FlushDns,
    /// Clear the failing site's cookies, cache and storage in the browsers.
    ClearSiteData,
    /// Close and reopen the browser (drops its in-memory DNS cache and connections).
    RestartBrowser,
    /// Check the user name, password or token (advice only).
    CheckCredentials,
    /// Set the clock right (advice only).
    FixClock,
    /// Tell the site's owner (advice only, with a technical summary).
    ContactSiteOwner,
}

impl Action {
    /// Every action, in the order of DESIGN.md.
    pub const ALL: [Action; 8] = [
        Action::Retry,
        Action::FixUrl,
        Action::FlushDns,
        Action::ClearSiteData,
        Action::RestartBrowser,
        Action::CheckCredentials,
        Action::FixClock,
        Action::ContactSiteOwner,
    ];

    /// The stable id (`flush-dns`…).
    pub fn id(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::FixUrl => "fix-url",
            Action::FlushDns => "flush-dns",
            Action::ClearSiteData => "clear-site-data",
            Action::RestartBrowser => "restart-browser",
            Action::CheckCredentials => "check-credentials",
            Action::FixClock => "fix-clock",
            Action::ContactSiteOwner => "contact-site-owner",
        }
    }

    /// True for a repair fix401 performs itself (the rest is advice for the person).
    pub fn is_repair(self) -> bool {
        matches!(
            self,
            Action::FixUrl | Action::FlushDns | Action::ClearSiteData | Action::RestartBrowser
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How sure fix401 is of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A plausible explanation that fits some of the evidence.
    Low,
    /// Fits the evidence, but other causes could look the same.
    Medium,
    /// The evidence shows it directly.
    High,
}

/// One explained cause of the failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The cause id.
    pub cause: Cause,
    /// How sure fix401 is.
    pub confidence: Confidence,
    /// One plain sentence for a non-technical person.
    pub summary: String,
    /// Evidence lines for a technician (already redacted).
    pub evidence: Vec<String>,
    /// What can be done about it, most useful first.
    pub actions: Vec<Action>,
}

impl Finding {
    /// A finding with no evidence lines yet.
    pub fn new(
        cause: Cause,
        confidence: Confidence,
        summary: impl Into<String>,
        actions: impl IntoIterator<Item = Action>,
    ) -> Finding {
        Finding {
            cause,
            confidence,
            summary: summary.into(),
            evidence: Vec::new(),
            actions: actions.into_iter().collect(),
        }
    }

    /// Adds an evidence line.
    pub fn with_evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }
}

/// How to run a diagnosis.
#[derive(Debug, Clone)]
pub struct DiagnoseOptions {
    /// One deadline for the whole re-test (default 15 s).
    pub timeout: std::time::Duration,
    /// Credentials to test with (default: none).
    pub credentials: crate::probe::Credentials,
    /// Which proxy to go through (default: the environment's, never for loopback).
    pub proxy: crate::probe::ProxySetting,
    /// Extra trusted CA certificates (PEM).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Ask [`crate::dns::diagnose_host`] about the host (default true).
    pub check_dns: bool,
    /// Also re-test on every other route a browser on this computer would take (default
    /// true): its proxy, its PAC file's choice, the system settings it defers to.
    pub browser_routes: bool,
    /// A user name and password for proxies (`--proxy-user`, `--proxy-password-stdin`),
    /// sent to every proxy whose URL carries none. Never recorded.
    pub proxy_credentials: Option<ProxyCredentials>,
}

/// A user name and password for proxies; `Debug` hides the password.
#[derive(Clone)]
pub struct ProxyCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for ProxyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProxyCredentials { .. }")
    }
}

impl ProxyCredentials {
    /// `proxy` with these credentials, unless it already carries its own.
    pub fn apply(&self, proxy: &url::Url) -> url::Url {
        let mut u = proxy.clone();
        if u.username().is_empty() {
            let _ = u.set_username(&self.user);
            let _ = u.set_password(Some(&self.password));
        }
        u
    }
}

impl Default for DiagnoseOptions {
    fn default() -> Self {
        DiagnoseOptions {
            timeout: std::time::Duration::from_secs(15),
            credentials: crate::probe::Credentials::default(),
            proxy: crate::probe::ProxySetting::Environment,
            extra_roots_pem: Vec::new(),
            check_dns: true,
            browser_routes: true,
            proxy_credentials: None,
        }
    }
}

/// Re-tests `input` (a URL as pasted) and explains the answer.
///
/// A URL that cannot be used gives a report with verdict `invalid_url` and a `url.invalid`
/// finding (exit code 2), not an error; `Err` is kept for internal failures.
pub async fn diagnose(
    sys: &crate::system::System,
    input: &str,
    opts: &DiagnoseOptions,
) -> crate::error::Result<crate::report::Report> {
    use crate::report::Report;
    let target = match crate::target::Target::parse(input) {
        Ok(t) => t,
        Err(invalid) => return Ok(Report::invalid(input, &invalid)),
    };
    use crate::route::{ProxyServer, Route, RouteProbe};
    // The route of fix401's own re-test: the proxy asked for, or the environment's.
    let main_proxy = crate::probe::proxy_for(sys, &opts.proxy, &target.url).map(|(u, _)| u);
    let main_route = match &main_proxy {
        Some(p) => Route::Proxy {
            proxy: ProxyServer(p.clone()),
        },
        None => Route::Direct,
    };
    let with_creds = |p: &url::Url| match &opts.proxy_credentials {
        Some(c) => c.apply(p),
        None => p.clone(),
    };
    let probe_opts = crate::probe::ProbeOptions {
        timeout: opts.timeout,
        credentials: opts.credentials.clone(),
        // Without a proxy login to add, the setting as given, so the evidence names it
        // (`https_proxy`, `--proxy`).
        proxy: match (&main_proxy, &opts.proxy_credentials) {
            (Some(p), Some(_)) => crate::probe::ProxySetting::Url(with_creds(p).to_string()),
            (Some(_), None) => opts.proxy.clone(),
            (None, _) => crate::probe::ProxySetting::Off,
        },
        extra_roots_pem: opts.extra_roots_pem.clone(),
    };
    let routes = async {
        if !opts.browser_routes {
            return (Vec::new(), Vec::new());
        }
        let browsers = crate::route::routes_for(sys, &target.url, opts.timeout).await;
        let groups = crate::route::distinct(&main_route, &browsers);
        let probes = groups.into_iter().enumerate().map(|(i, (route, names))| {
            let probe_opts = &probe_opts;
            let target = &target;
            let with_creds = &with_creds;
            async move {
                let mut rp = RouteProbe {
                    route: route.clone(),
                    browsers: names,
                    main: i == 0,
                    evidence: None,
                    outcome: String::new(),
                };
                match &route {
                    _ if i == 0 => {}
                    Route::Proxy { proxy } if proxy.is_socks() => {
                        rp.outcome = "not re-tested: fix401 does not speak SOCKS".into();
                    }
                    Route::Proxy { proxy } => {
                        let o = crate::probe::ProbeOptions {
                            proxy: crate::probe::ProxySetting::Url(
                                with_creds(&proxy.0).to_string(),
                            ),
                            ..probe_opts.clone()
                        };
                        match crate::probe::run(sys, target, &o).await {
                            Ok(ev) => {
                                rp.outcome = RouteProbe::outcome_of(&ev);
                                rp.evidence = Some(ev);
                            }
                            Err(e) => rp.outcome = format!("not re-tested: {e}"),
                        }
                    }
                    Route::Direct => {
                        let o = crate::probe::ProbeOptions {
                            proxy: crate::probe::ProxySetting::Off,
                            ..probe_opts.clone()
                        };
                        if let Ok(ev) = crate::probe::run(sys, target, &o).await {
                            rp.outcome = RouteProbe::outcome_of(&ev);
                            rp.evidence = Some(ev);
                        }
                    }
                }
                rp
            }
        });
        (browsers, futures_util::future::join_all(probes).await)
    };
    let dns = async {
        if opts.check_dns && target.host.parse::<std::net::IpAddr>().is_err() {
            // The DNS checks share the one deadline; what they have not found by then is moot.
            tokio::time::timeout(opts.timeout, crate::dns::diagnose_host(sys, &target.host))
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        }
    };
    let (evidence, dns_findings, (browsers, mut probes)) =
        tokio::join!(crate::probe::run(sys, &target, &probe_opts), dns, routes);
    let evidence = evidence?;
    if let Some(main) = probes.iter_mut().find(|p| p.main) {
        main.outcome = RouteProbe::outcome_of(&evidence);
    }
    let mut findings = findings(&target, &evidence, &opts.credentials);
    merge_dns(&mut findings, dns_findings, &evidence);
    let on_main: Vec<String> = probes
        .iter()
        .find(|p| p.main)
        .map(|p| p.browsers.clone())
        .unwrap_or_default();
    if !on_main.is_empty() {
        for f in findings.iter_mut().filter(|f| is_proxy_cause(f.cause)) {
            f.evidence
                .push(format!("browsers on this route: {}", on_main.join(", ")));
        }
    }
    let by_route = route_findings(&evidence, &browsers, &probes);
    if !by_route.is_empty() {
        // The page works from here but not on a browser's own route: stored site data is not
        // what stands between the person and the page.
        findings.retain(|f| f.cause != Cause::SiteDataStale);
    }
    for f in by_route {
        if !findings.contains(&f) {
            findings.push(f);
        }
    }
    sort(&mut findings);
    // What the evidence exonerates is never suggested.
    if site_data_exonerated(evidence.final_status(), &findings).is_some() {
        for f in &mut findings {
            f.actions.retain(|a| *a != Action::ClearSiteData);
        }
    }
    Ok(Report::build(&target, &evidence, findings).with_routes(browsers, probes))
}

/// The causes that are about the browser's path rather than the site.
pub fn is_proxy_cause(c: Cause) -> bool {
    matches!(
        c,
        Cause::ProxyAuthRequired
            | Cause::ProxyUnreachable
            | Cause::ProxyBlocked
            | Cause::ProxyPacError
    )
}

/// `proxy.unreachable` for a re-test through `proxy` (`host:port`) that never reached it;
/// `None` when the failure came later than the proxy.
fn proxy_unreachable(failure: &crate::probe::Failure, proxy: &str, who: &str) -> Option<Finding> {
    use crate::probe::{Failure, Phase};
    let what = match failure {
        Failure::Dns { host, .. } => format!("cannot be found (its name {host} does not resolve)"),
        Failure::Connect { refused: true, .. } => "is refusing connections".to_string(),
        Failure::Connect { .. } => "cannot be reached from this network".to_string(),
        Failure::Timeout {
            phase: Phase::Dns | Phase::Connect,
            ..
        } => "does not answer".to_string(),
        _ => return None,
    };
    Some(
        Finding::new(
            Cause::ProxyUnreachable,
            Confidence::High,
            format!(
                "The proxy server {proxy} that {who} goes through {what}, so pages cannot load that way; the site itself is not at fault."
            ),
            [Action::Retry],
        )
        .with_evidence(format!("through the proxy {proxy}: {}", failure.describe())),
    )
}

/// Findings about the browsers' own routes (pure: the routes and their re-tests in,
/// findings out): a PAC script that fails, a proxy that cannot be reached, wants a login
/// or refuses the site. `main` is fix401's own re-test, for comparison.
pub fn route_findings(
    main: &crate::probe::Evidence,
    browsers: &[crate::route::BrowserRoute],
    probes: &[crate::route::RouteProbe],
) -> Vec<Finding> {
    use crate::route::Route;
    let mut out = Vec::new();
    // One finding per broken script, naming every profile that uses it.
    let mut scripts: Vec<(&crate::route::PacProblem, Vec<&str>)> = Vec::new();
    for b in browsers {
        if let Some(p) = &b.pac_error {
            match scripts.iter_mut().find(|(q, _)| q.url == p.url) {
                Some((_, who)) => who.push(&b.label),
                None => scripts.push((p, vec![&b.label])),
            }
        }
    }
    for (p, who) in scripts {
        out.push(
            Finding::new(
                Cause::ProxyPacError,
                Confidence::High,
                format!(
                    "{} is set to choose its proxy with a script (PAC file) that does not work, so it cannot pick the way to the site as intended.",
                    who.join(", ")
                ),
                [Action::Retry],
            )
            .with_evidence(format!("PAC file {}: {}", p.url, p.message)),
        );
    }
    for rp in probes.iter().filter(|p| !p.main) {
        let (Route::Proxy { proxy }, Some(ev)) = (&rp.route, &rp.evidence) else {
            continue;
        };
        let hp = proxy.host_port();
        let who = if rp.browsers.is_empty() {
            "this computer".to_string()
        } else {
            rp.browsers.join(", ")
        };
        let browsers_line = format!("browsers on this route: {who}");
        if ev.final_status().is_none() {
            if let Some(f) = ev
                .failure
                .as_ref()
                .and_then(|f| proxy_unreachable(f, &hp, &who))
            {
                out.push(f.with_evidence(browsers_line));
            }
            continue;
        }
        let Some(last) = ev.hops.last() else { continue };
        let Some(status) = last.status else { continue };
        if status == 407 {
            let parsed = crate::challenge::parse(&last.header_values("proxy-authenticate"));
            let schemes: Vec<&str> = parsed
                .challenges
                .iter()
                .map(|c| c.scheme.as_str())
                .collect();
            let mut f = Finding::new(
                Cause::ProxyAuthRequired,
                Confidence::High,
                format!(
                    "The proxy server {hp} that {who} goes through wants its own login; clearing the site's data will not help."
                ),
                [Action::CheckCredentials, Action::Retry],
            )
            .with_evidence(format!("HTTP 407 from the proxy {hp}"))
            .with_evidence(browsers_line);
            if !schemes.is_empty() {
                f = f.with_evidence(format!("the proxy offers: {}", schemes.join(", ")));
            }
            f = f.with_evidence(if proxy.0.username().is_empty() {
                "no proxy login was sent (give one with --proxy-user and --proxy-password-stdin)"
                    .to_string()
            } else {
                "a proxy login was sent and refused".to_string()
            });
            out.push(f);
            continue;
        }
        let marked = last.from_proxy
            || last.header("x-squid-error").is_some()
            || last.header("proxy-status").is_some();
        if status >= 400 && (marked || (status == 403 && main.final_status() != Some(403))) {
            let mut f = Finding::new(
                Cause::ProxyBlocked,
                Confidence::High,
                format!(
                    "The proxy server {hp} that {who} goes through refuses to fetch this site (HTTP {status}); ask whoever runs the proxy to allow it."
                ),
                [Action::Retry],
            )
            .with_evidence(format!("HTTP {status} from the proxy {hp}"))
            .with_evidence(browsers_line);
            for h in ["x-squid-error", "proxy-status"] {
                if let Some(v) = last.header(h) {
                    f = f.with_evidence(format!("{h}: {v}"));
                }
            }
            if let Some(s) = main.final_status() {
                f = f.with_evidence(format!("without the proxy the site answers HTTP {s}"));
            }
            out.push(f);
        }
    }
    out
}

/// Adds the `dns.*` findings of the DNS module; when the probe's own lookup failed and the
/// module has nothing to say, the probe's failure becomes the `dns.failure` finding.
fn merge_dns(out: &mut Vec<Finding>, dns: Vec<Finding>, ev: &crate::probe::Evidence) {
    let has_failure = dns.iter().any(|f| f.cause == Cause::DnsFailure);
    // A server that cannot be reached at an address the DNS module knows to be wrong is the
    // consequence of that address, not something for the site's owner.
    let wrong_address = dns
        .iter()
        .find(|f| matches!(f.cause, Cause::DnsStale | Cause::DnsHostsOverride))
        .map(|f| f.cause);
    if let Some(cause) = wrong_address {
        for f in out
            .iter_mut()
            .filter(|f| f.cause == Cause::NetworkUnreachable)
        {
            let (summary, actions) = if cause == Cause::DnsStale {
                (
                    "Nothing answers at the out-of-date address this computer has for the site: \
                     flushing the DNS cache should fix it.",
                    vec![Action::FlushDns, Action::Retry],
                )
            } else {
                (
                    "Nothing answers at the address the hosts file gives for the site: correct \
                     or remove that line.",
                    vec![Action::Retry],
                )
            };
            f.summary = summary.to_string();
            f.actions = actions;
        }
    }
    for f in dns {
        if !out
            .iter()
            .any(|o| o.cause == f.cause && o.summary == f.summary)
        {
            out.push(f);
        }
    }
    if let Some(crate::probe::Failure::Dns { host, message }) = &ev.failure
        && ev.proxy_failed
    {
        let setting = failing_proxy(ev).map_or_else(String::new, |(_, s)| format!("; it is {s}"));
        out.push(
            Finding::new(
                Cause::NetworkUnreachable,
                Confidence::High,
                format!(
                    "The proxy's name {host} cannot be found, so nothing reaches the site{setting}: \
                     correct or remove that setting."
                ),
                [Action::Retry],
            )
            .with_evidence(format!("lookup of the proxy {host} failed: {message}")),
        );
    } else if let Some(crate::probe::Failure::Dns { host, message }) = &ev.failure
        && !has_failure
        && ev.proxy.is_none()
    {
        out.push(
            Finding::new(
                Cause::DnsFailure,
                Confidence::High,
                format!("The name {host} cannot be found, so the browser does not know where to connect."),
                [Action::FixUrl, Action::FlushDns, Action::Retry],
            )
            .with_evidence(format!("lookup of {host} failed: {message}")),
        );
    }
}

/// What still differs between fix401's own test and the person's browser when the test
/// works: where to look next. `login_accepted` when the site took a Basic/Digest login.
pub fn remaining_differences(login_accepted: bool) -> Vec<String> {
    [
        "its proxy: fix401 uses the proxy its environment names (https_proxy…) or none; your browser may go through its own, the system's or one from a PAC file",
        if login_accepted {
            "a saved login: your browser keeps the user name and password it last sent to this site in its HTTP-auth cache and sends them again until it is restarted (restart-browser)"
        } else {
            "a saved login in your browser's HTTP-auth cache, kept until the browser is restarted"
        },
        "an extension (ad blocker, privacy or security add-on) that changes or blocks the request",
        "a different DNS: your browser may look names up itself, e.g. with DNS-over-HTTPS, and get another address",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

/// Why clearing the site's stored data (cookies, cache, storage) cannot help: fix401's own
/// test, which sends none of it, fails in a way stored data cannot cause (a 5xx, no
/// connection, no name, a broken certificate, an unusable address, a redirect loop).
/// `None` when the evidence does not rule it out. The words follow "Ruled out: … — ".
pub fn site_data_exonerated(status: Option<u16>, findings: &[Finding]) -> Option<String> {
    if status.is_some_and(|s| (200..300).contains(&s)) {
        return None;
    }
    let why = findings
        .iter()
        .filter(|f| f.confidence >= Confidence::Medium)
        .find_map(|f| match f.cause {
            Cause::ServerError => status
                .filter(|s| (500..600).contains(s))
                .map(|s| format!("the site itself answers {s}")),
            Cause::NetworkUnreachable => {
                Some("no connection to the site can be made, so no cookie is ever sent".into())
            }
            Cause::DnsFailure => {
                Some("the site's name cannot be looked up, so no cookie is ever sent".into())
            }
            Cause::DnsStale | Cause::DnsHostsOverride => {
                Some("this computer has a wrong address for the site".into())
            }
            Cause::TlsCertificate => {
                Some("the secure connection fails before any cookie is sent".into())
            }
            Cause::UrlInvalid => Some("the address itself cannot be used".into()),
            Cause::UrlNotFound => {
                status.map(|s| format!("the site itself answers {s} for this address"))
            }
            Cause::RedirectLoop | Cause::RedirectTooMany => {
                Some("the site sends fix401 round the same redirects without any cookie".into())
            }
            _ => None,
        })?;
    Some(format!("your browser's cookies make no difference: {why}"))
}

/// The proxy the probe failed to get through, as `host:port` (never its credentials), and
/// the setting that named it in words ("set by the environment variable https_proxy").
fn failing_proxy(ev: &crate::probe::Evidence) -> Option<(String, String)> {
    if !ev.proxy_failed {
        return None;
    }
    let proxy = url::Url::parse(ev.proxy.as_deref()?).ok()?;
    let at = format!("{}:{}", proxy.host_str()?, proxy.port_or_known_default()?);
    let setting = match ev.proxy_source.as_deref() {
        Some(flag) if flag.starts_with("--") => format!("given with {flag}"),
        Some(var) => format!("set by the environment variable {var}"),
        None => "set in this computer's proxy settings".to_string(),
    };
    Some((at, setting))
}

/// Most important first: what blocks the request outright, then what the server said,
/// then context (suspicious URL, WordPress).
fn rank(c: Cause) -> u8 {
    match c {
        Cause::UrlInvalid => 0,
        Cause::DnsFailure => 1,
        Cause::DnsHostsOverride => 2,
        Cause::DnsStale => 3,
        Cause::NetworkUnreachable | Cause::ProxyUnreachable => 4,
        Cause::TlsCertificate => 5,
        Cause::ProxyAuthRequired | Cause::ProxyBlocked | Cause::ProxyPacError => 6,
        Cause::RedirectLoop | Cause::RedirectTooMany => 7,
        Cause::ClockSkew => 8,
        Cause::TokenExpired | Cause::TokenInvalid => 9,
        Cause::CredentialsRejected | Cause::CredentialsMissing => 10,
        Cause::PermissionDenied => 11,
        Cause::ServerMisconfigured => 12,
        Cause::ServerError => 13,
        Cause::UrlNotFound => 14,
        Cause::SiteDataStale => 15,
        Cause::UrlSuspicious => 16,
        Cause::SiteWordpress => 17,
    }
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (std::cmp::Reverse(f.confidence), rank(f.cause)));
}

/// A JWT's `exp` claim (seconds since the epoch), decoded, never verified.
pub fn jwt_exp(token: &str) -> Option<i64> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp")?.as_f64().map(|f| f as i64)
}

fn minutes(secs: i64) -> String {
    let m = secs.abs() / 60;
    if m >= 120 {
        format!("{} hours", m / 60)
    } else if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

/// Turns what the probe saw into findings (the `dns.*` ones excepted).
///
/// The evidence is already redacted where secrets entered it (the probe's headers and
/// URLs); the only raw URL here is the target's suggestion, kept whole for re-testing,
/// which is redacted as it is written into a sentence.
pub fn findings(
    target: &crate::target::Target,
    ev: &crate::probe::Evidence,
    creds: &crate::probe::Credentials,
) -> Vec<Finding> {
    use crate::probe::{Failure, RedirectProblem, tls::TlsProblem};
    use crate::report::redact;
    let mut out = Vec::new();

    if target.is_suspicious() {
        let mut f = Finding::new(
            Cause::UrlSuspicious,
            Confidence::Medium,
            match &target.suggestion {
                Some(s) => format!(
                    "The address looks mistyped; fix401 tested {} instead.",
                    redact::url_str(s)
                ),
                None => "The address looks mistyped.".to_string(),
            },
            [Action::FixUrl, Action::Retry],
        );
        for l in target
            .lints
            .iter()
            .filter(|l| l.severity == crate::target::Severity::Suspicious)
        {
            f = f.with_evidence(l.message.clone());
        }
        if let Some(s) = &target.suggestion {
            f = f.with_evidence(format!("proposed correction: {}", redact::url_str(s)));
        }
        out.push(f);
    }

    // Redirect chain problems.
    if let Some(p) = &ev.redirect_problem {
        let chain: Vec<String> = ev
            .hops
            .iter()
            .map(|h| {
                format!(
                    "{} {} → {}",
                    h.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into()),
                    h.url,
                    h.location.as_deref().unwrap_or_default()
                )
            })
            .collect();
        let mut f = match p {
            RedirectProblem::Loop { url } => Finding::new(
                Cause::RedirectLoop,
                Confidence::High,
                "The site keeps sending the browser round in a circle of redirects, so the page never loads.",
                [Action::ClearSiteData, Action::RestartBrowser, Action::ContactSiteOwner],
            )
            .with_evidence(format!("{url} came back after {}", crate::words::count(ev.hops.len(), "redirect", "redirects"))),
            RedirectProblem::TooMany => Finding::new(
                Cause::RedirectTooMany,
                Confidence::High,
                format!(
                    "The site redirects more than {} times in a row, so browsers give up.",
                    crate::probe::MAX_REDIRECTS
                ),
                [Action::ClearSiteData, Action::ContactSiteOwner],
            )
            .with_evidence(format!("stopped after {} redirects", ev.hops.len() - 1)),
        };
        for c in chain.iter().take(25) {
            f = f.with_evidence(c.clone());
        }
        out.push(f);
    }

    // Failures to get an answer.
    let through_proxy = ev.proxy.as_ref().and_then(|p| {
        let u = url::Url::parse(p).ok()?;
        Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
    });
    if let (Some(failure), Some(hp), None) = (&ev.failure, &through_proxy, ev.final_status())
        && let Some(mut f) = proxy_unreachable(failure, hp, "this computer")
    {
        // Say which setting named the proxy, so the person knows what to correct.
        if let Some((_, setting)) = failing_proxy(ev) {
            f.summary.push_str(&format!(
                " It is {setting}: correct or remove that setting."
            ));
        }
        out.push(f);
    } else if let Some(failure) = &ev.failure {
        let via = ev
            .proxy
            .as_ref()
            .map(|p| format!(" (through the proxy {p})"))
            .unwrap_or_default();
        // On the way to a proxy, the proxy is what failed: named with the setting that set it.
        let failing_proxy = failing_proxy(ev);
        match failure {
            Failure::Dns { .. } => {} // merged from the DNS module (see merge_dns)
            Failure::Connect { detail, refused } => out.push(match &failing_proxy {
                Some((at, setting)) => Finding::new(
                    Cause::NetworkUnreachable,
                    Confidence::High,
                    if *refused {
                        format!(
                            "The proxy at {at} refuses connections, so nothing reaches the site; \
                             it is {setting}: correct or remove that setting."
                        )
                    } else {
                        format!(
                            "The proxy at {at} cannot be reached from this network (no route to \
                             it); it is {setting}: correct or remove that setting."
                        )
                    },
                    [Action::Retry],
                )
                .with_evidence(format!("connect to the proxy {at} failed: {detail}")),
                None => Finding::new(
                    Cause::NetworkUnreachable,
                    Confidence::High,
                    if *refused {
                        "The server cannot be reached: its computer refused the connection."
                    } else {
                        "The server cannot be reached from this network (no route to it)."
                    },
                    [Action::Retry, Action::ContactSiteOwner],
                )
                .with_evidence(format!("connect failed{via}: {}", detail)),
            }),
            Failure::Timeout { phase, detail } => {
                use crate::probe::Phase;
                let (summary, conf) = match phase {
                    Phase::Dns => (
                        "Looking up the site's address took too long.",
                        Confidence::Medium,
                    ),
                    Phase::Connect => (
                        "The server cannot be reached: nothing answers at its address.",
                        Confidence::High,
                    ),
                    Phase::Tls => (
                        "The server accepted the connection but never completed the secure handshake.",
                        Confidence::Medium,
                    ),
                    Phase::Response => (
                        "The server accepted the connection but never answered.",
                        Confidence::High,
                    ),
                    Phase::Body => (
                        "The server started answering but never finished sending the page.",
                        Confidence::Medium,
                    ),
                };
                if let Some((at, setting)) =
                    failing_proxy.as_ref().filter(|_| *phase == Phase::Connect)
                {
                    out.push(
                        Finding::new(
                            Cause::NetworkUnreachable,
                            Confidence::High,
                            format!(
                                "The proxy at {at} does not answer, so nothing reaches the site; \
                                 it is {setting}: correct or remove that setting."
                            ),
                            [Action::Retry],
                        )
                        .with_evidence(format!(
                            "deadline reached on the way to the proxy {at}: {detail}"
                        )),
                    );
                } else if *phase == Phase::Body {
                    out.push(
                        Finding::new(
                            Cause::ServerError,
                            conf,
                            summary,
                            [Action::Retry, Action::ContactSiteOwner],
                        )
                        .with_evidence(detail),
                    );
                } else {
                    out.push(
                        Finding::new(
                            Cause::NetworkUnreachable,
                            conf,
                            summary,
                            [Action::Retry, Action::ContactSiteOwner],
                        )
                        .with_evidence(format!("deadline reached{via}: {}", detail)),
                    );
                }
            }
            Failure::Tls { problem, detail } => {
                let (summary, actions): (&str, Vec<Action>) = match problem {
                    TlsProblem::Expired => (
                        "The site's security certificate has expired, so browsers refuse to trust the connection.",
                        vec![Action::ContactSiteOwner, Action::FixClock],
                    ),
                    TlsProblem::NotYetValid => (
                        "The site's security certificate is not valid yet: either it is brand new or this computer's clock is behind.",
                        vec![Action::FixClock, Action::ContactSiteOwner],
                    ),
                    TlsProblem::WrongHost => (
                        "The site's security certificate belongs to a different address, so browsers refuse the connection.",
                        vec![Action::FixUrl, Action::ContactSiteOwner],
                    ),
                    TlsProblem::Untrusted => (
                        "The site's security certificate is not from an authority this computer trusts (it may be self-signed).",
                        vec![Action::ContactSiteOwner],
                    ),
                    TlsProblem::Revoked => (
                        "The site's security certificate was withdrawn by its issuer.",
                        vec![Action::ContactSiteOwner],
                    ),
                    TlsProblem::BadCertificate => (
                        "The site's security certificate is broken.",
                        vec![Action::ContactSiteOwner],
                    ),
                    TlsProblem::Handshake => (
                        "A secure connection to the site could not be set up.",
                        vec![Action::Retry, Action::ContactSiteOwner],
                    ),
                };
                let cause = if problem.is_certificate() {
                    Cause::TlsCertificate
                } else {
                    Cause::ServerMisconfigured
                };
                let mut f = Finding::new(
                    cause,
                    if problem.is_certificate() {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                    summary,
                    actions,
                )
                .with_evidence(format!(
                    "TLS handshake with {}{via}: {}",
                    target.host, detail
                ));
                if detail.contains("InvalidContentType") {
                    f = f.with_evidence(
                        "the port seems to speak plain HTTP: try the http:// address",
                    );
                }
                if *problem == TlsProblem::Untrusted {
                    f = f.with_evidence("if the site uses a company CA, pass it with --ca-file");
                }
                out.push(f);
            }
            Failure::HeadersTooLarge { detail } => out.push(
                Finding::new(
                    Cause::ServerMisconfigured,
                    Confidence::High,
                    "The server sends response headers so large that browsers refuse to read them.",
                    [Action::ClearSiteData, Action::ContactSiteOwner],
                )
                .with_evidence(detail),
            ),
            Failure::Protocol { detail } => out.push(
                Finding::new(
                    Cause::ServerMisconfigured,
                    Confidence::Medium,
                    "The server's answer is broken, so browsers cannot read it.",
                    [Action::Retry, Action::ContactSiteOwner],
                )
                .with_evidence(detail),
            ),
        }
    }

    if let Some(last) = ev.hops.last()
        && let Some(status) = last.status
        && ev.redirect_problem.is_none()
    {
        status_findings(&mut out, target, ev, last, status, creds);
    }

    // Clock skew against the last server that sent a Date.
    if let Some(h) = ev.hops.iter().rev().find(|h| h.header("date").is_some())
        && let (Some(date), Some(at)) = (h.header("date"), h.received_at)
        && let Ok(server) = httpdate::parse_http_date(date.trim())
    {
        let skew = match server.duration_since(at) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        if skew.abs() > 300 {
            let dir = if skew > 0 { "behind" } else { "ahead of" };
            out.push(
                Finding::new(
                    Cause::ClockSkew,
                    Confidence::High,
                    format!("This computer's clock is about {} {dir} the server's, which breaks logins and secure connections.", minutes(skew)),
                    [Action::FixClock, Action::Retry],
                )
                .with_evidence(format!("server Date: {}; local clock at receipt: {}", date.trim(), httpdate::fmt_http_date(at)))
                .with_evidence(format!("difference: {skew} s (more than 300 s)")),
            );
        }
    }

    wordpress(&mut out, ev);
    out
}

fn status_findings(
    out: &mut Vec<Finding>,
    target: &crate::target::Target,
    ev: &crate::probe::Evidence,
    last: &crate::probe::Hop,
    status: u16,
    creds: &crate::probe::Credentials,
) {
    let sent = &last.credentials_sent;
    let line = format!("{} {} → HTTP {status}", "GET", last.url);
    let sent_line = if last.credentials_withheld {
        format!(
            "credentials were held back: {} is another origin than the URL given",
            last.url.origin().ascii_serialization()
        )
    } else if sent.is_empty() {
        "no credentials were sent".to_string()
    } else {
        format!("credentials sent: {}", sent.join(", "))
    };
    let bearer_error = |parsed: &crate::challenge::Parsed| {
        parsed
            .challenges
            .iter()
            .filter(|c| c.is("Bearer") || c.is("DPoP"))
            .find_map(|c| c.param("error").map(|e| (c.clone(), e.to_string())))
    };
    match status {
        200..=299 => {
            // fix401's test sent none of the browser's data: its stored data is one
            // difference left, not a finding proven (`fix` tests the browser's cookies).
            let steps = auth_steps(ev);
            let login_accepted = !steps.is_empty();
            let mut f = Finding::new(
                Cause::SiteDataStale,
                Confidence::Low,
                if login_accepted {
                    "The page works from here with the login fix401 sent. If your browser still shows an error, it may keep sending an old login (restarting it forgets that) or data it stored for this site."
                } else {
                    "The page works from here, without any of your browser's cookies or cache. If your browser still shows an error, the difference is on its side: data it stored for this site, a saved login, its proxy, an extension or its DNS."
                },
                if login_accepted {
                    [Action::RestartBrowser, Action::ClearSiteData, Action::FlushDns]
                } else {
                    [Action::ClearSiteData, Action::RestartBrowser, Action::FlushDns]
                },
            )
            .with_evidence(line);
            if !sent.is_empty() {
                f = f.with_evidence(format!("{sent_line}; they were accepted"));
            }
            for step in steps {
                f = f.with_evidence(step);
            }
            if last.body_truncated {
                f = f.with_evidence(format!("body read capped at {} KiB", crate::probe::BODY_CAP / 1024));
            }
            for d in remaining_differences(login_accepted) {
                f = f.with_evidence(format!("not the same as in your browser: {d}"));
            }
            out.push(f);
        }
        401 => {
            let lines = last.header_values("www-authenticate");
            let parsed = crate::challenge::parse(&lines);
            if lines.is_empty() || parsed.challenges.is_empty() {
                out.push(
                    Finding::new(
                        Cause::ServerMisconfigured,
                        Confidence::High,
                        "The server demands a login but does not say how to log in, so browsers cannot ask you for one.",
                        [Action::ContactSiteOwner, Action::ClearSiteData],
                    )
                    .with_evidence(line.clone())
                    .with_evidence(if lines.is_empty() {
                        "401 without any WWW-Authenticate header (RFC 9110 §11.6.1 requires one)".to_string()
                    } else {
                        format!("WWW-Authenticate cannot be parsed: {}", parsed.problems.join("; "))
                    }),
                );
                return;
            }
            if !parsed.valid {
                out.push(
                    Finding::new(
                        Cause::ServerMisconfigured,
                        Confidence::Low,
                        "The server's login request is malformed; some browsers may not show a login prompt.",
                        [Action::ContactSiteOwner],
                    )
                    .with_evidence(parsed.problems.join("; ")),
                );
            }
            if let Some((c, err)) = bearer_error(&parsed) {
                let desc = c.param("error_description").unwrap_or_default().to_string();
                if err.eq_ignore_ascii_case("insufficient_scope") {
                    permission(out, &line, Some(&c));
                    return;
                }
                if err.eq_ignore_ascii_case("invalid_token") {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or_default();
                    let exp = creds.bearer.as_deref().and_then(jwt_exp);
                    let expired_by_desc = desc.to_ascii_lowercase().contains("expired");
                    let expired_by_exp = exp.is_some_and(|e| e <= now);
                    let mut f = if expired_by_desc || expired_by_exp {
                        Finding::new(
                            Cause::TokenExpired,
                            Confidence::High,
                            "Your sign-in has expired: sign in again (or let the app refresh its token).",
                            [Action::CheckCredentials, Action::ClearSiteData, Action::Retry],
                        )
                    } else {
                        Finding::new(
                            Cause::TokenInvalid,
                            Confidence::High,
                            "The access token was refused as invalid (revoked, malformed or for another service): sign in again.",
                            [Action::CheckCredentials, Action::ClearSiteData],
                        )
                    }
                    .with_evidence(line.clone())
                    .with_evidence(format!("{} error=invalid_token", c.scheme));
                    if !desc.is_empty() {
                        f = f.with_evidence(format!("error_description: {}", desc));
                    }
                    if let Some(e) = exp {
                        f = f.with_evidence(if e <= now {
                            format!("the supplied token's exp claim is {} ago (decoded, not verified)", minutes(now - e))
                        } else {
                            format!("the supplied token's exp claim is {} ahead (decoded, not verified)", minutes(e - now))
                        });
                    }
                    out.push(f);
                    return;
                }
            }
            let stale = parsed.challenges.iter().any(|c| {
                c.is("Digest") && c.param("stale").is_some_and(|v| v.eq_ignore_ascii_case("true"))
            });
            let schemes: Vec<&str> = parsed.challenges.iter().map(|c| c.scheme.as_str()).collect();
            let realm = parsed.challenges.iter().find_map(|c| c.param("realm"));
            let digest_sent = sent.contains(&"digest");
            if stale && digest_sent {
                out.push(
                    Finding::new(
                        Cause::ServerMisconfigured,
                        Confidence::Medium,
                        "The server keeps saying the login's one-time number expired, even for a fresh one, so logging in cannot succeed.",
                        [Action::ContactSiteOwner, Action::Retry],
                    )
                    .with_evidence(line)
                    .with_evidence("Digest stale=true again after answering the new nonce"),
                );
                return;
            }
            let mut f = if stale {
                Finding::new(
                    Cause::CredentialsMissing,
                    Confidence::Medium,
                    "The login itself was fine; only the server's one-time login number expired, so reloading or signing in again should work.",
                    [Action::Retry, Action::RestartBrowser, Action::CheckCredentials],
                )
                .with_evidence("Digest stale=true: the nonce expired, the credentials were not judged wrong (RFC 7616 §3.3)")
            } else if sent.is_empty() {
                Finding::new(
                    Cause::CredentialsMissing,
                    Confidence::High,
                    "This page needs you to sign in, and no login was sent.",
                    [Action::CheckCredentials, Action::ClearSiteData, Action::RestartBrowser],
                )
            } else {
                Finding::new(
                    Cause::CredentialsRejected,
                    if sent == &vec!["cookie"] { Confidence::Medium } else { Confidence::High },
                    "The login was sent but the server refused it: the user name, password or token is wrong or no longer valid.",
                    [Action::CheckCredentials, Action::ClearSiteData],
                )
            };
            f = f
                .with_evidence(line)
                .with_evidence(sent_line)
                .with_evidence(format!("the server offers: {}", schemes.join(", ")));
            if sent.is_empty() && creds.user.is_some() {
                f = f.with_evidence(
                    "a user name and password were supplied, but the server offers no scheme fix401 can answer (Basic, Digest)",
                );
            }
            for step in auth_steps(ev) {
                f = f.with_evidence(step);
            }
            if let Some(realm) = realm {
                f = f.with_evidence(format!("realm: {}", realm));
            }
            out.push(f);
        }
        403 => {
            let lines = last.header_values("www-authenticate");
            let parsed = crate::challenge::parse(&lines);
            let scope = bearer_error(&parsed)
                .filter(|(_, e)| e.eq_ignore_ascii_case("insufficient_scope"))
                .map(|(c, _)| c);
            permission(out, &line, scope.as_ref());
        }
        407 => {
            let lines = last.header_values("proxy-authenticate");
            let parsed = crate::challenge::parse(&lines);
            let mut f = Finding::new(
                Cause::ProxyAuthRequired,
                Confidence::High,
                "A proxy server between you and the site wants its own login; clearing the site's data will not help.",
                [Action::CheckCredentials, Action::ContactSiteOwner],
            )
            .with_evidence(format!("HTTP 407 from {}", ev.proxy.as_deref().unwrap_or("the network (no proxy is configured: an intercepting proxy?)")));
            if lines.is_empty() {
                f = f.with_evidence("407 without Proxy-Authenticate (RFC 9110 §11.7.1 requires one)");
            } else {
                let schemes: Vec<&str> = parsed.challenges.iter().map(|c| c.scheme.as_str()).collect();
                f = f.with_evidence(format!("the proxy offers: {}", schemes.join(", ")));
            }
            out.push(f);
        }
        404 | 410 => {
            let mut f = Finding::new(
                Cause::UrlNotFound,
                Confidence::High,
                "The server says this page does not exist; the address may be mistyped or the page moved.",
                [Action::FixUrl, Action::ContactSiteOwner],
            )
            .with_evidence(line);
            if target.is_suspicious() {
                f = f.with_evidence("the address was also flagged as probably mistyped");
            }
            out.push(f);
        }
        500..=599 => {
            let what = match status {
                502 => "a gateway in front of the site got no good answer from it",
                503 => "the site is overloaded or down for maintenance",
                504 => "a gateway in front of the site timed out waiting for it",
                _ => "the site hit an internal error",
            };
            let mut f = Finding::new(
                Cause::ServerError,
                Confidence::High,
                format!("The problem is on the site's side ({what}); nothing on this computer causes it."),
                [Action::Retry, Action::ContactSiteOwner],
            )
            .with_evidence(line);
            if let Some(ra) = last.header("retry-after") {
                f = f.with_evidence(format!("Retry-After: {}", ra));
            }
            out.push(f);
        }
        300..=399 => out.push(
            Finding::new(
                Cause::ServerMisconfigured,
                Confidence::Medium,
                "The server redirects without saying where to, so the page never loads.",
                [Action::ContactSiteOwner],
            )
            .with_evidence(line)
            .with_evidence("redirect status without a usable Location header"),
        ),
        429 => out.push(
            Finding::new(
                Cause::ServerError,
                Confidence::Medium,
                "The site is limiting how often it can be visited from here; wait a little and try again.",
                [Action::Retry, Action::ContactSiteOwner],
            )
            .with_evidence(line),
        ),
        _ => out.push(
            Finding::new(
                Cause::ServerMisconfigured,
                Confidence::Low,
                format!("The server refused the request (HTTP {status})."),
                [Action::Retry, Action::ClearSiteData, Action::ContactSiteOwner],
            )
            .with_evidence(line),
        ),
    }
}

/// One line per request that answered a login challenge, for the technician.
fn auth_steps(ev: &crate::probe::Evidence) -> Vec<String> {
    let mut steps = Vec::new();
    for (i, h) in ev.hops.iter().enumerate() {
        let answered: Vec<&str> = h
            .credentials_sent
            .iter()
            .copied()
            .filter(|k| *k == "basic" || *k == "digest")
            .collect();
        if answered.is_empty() {
            continue;
        }
        let stale_before = i > 0
            && crate::challenge::parse(&ev.hops[i - 1].header_values("www-authenticate"))
                .challenges
                .iter()
                .any(|c| {
                    c.is("Digest")
                        && c.param("stale")
                            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
                });
        steps.push(format!(
            "request {}: answered the {} challenge{} → HTTP {}",
            i + 1,
            answered.join("+"),
            if stale_before {
                " with the new nonce (stale=true)"
            } else {
                ""
            },
            h.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".into())
        ));
    }
    steps
}

fn permission(out: &mut Vec<Finding>, line: &str, challenge: Option<&crate::challenge::Challenge>) {
    let mut f = Finding::new(
        Cause::PermissionDenied,
        Confidence::High,
        "You are recognised, but this account is not allowed to see this page; ask the site's owner for access.",
        [Action::ContactSiteOwner, Action::CheckCredentials],
    )
    .with_evidence(line.to_string());
    if let Some(c) = challenge {
        f = f.with_evidence(format!("{} error=insufficient_scope", c.scheme));
        if let Some(scope) = c.param("scope") {
            f = f.with_evidence(format!("scope required: {}", scope));
        }
    }
    out.push(f);
}

/// WordPress markers: the generator meta tag, the `api.w.org` Link header, wp-admin /
/// wp-login / wp-content paths, `X-Redirect-By: WordPress`.
fn wordpress(out: &mut Vec<Finding>, ev: &crate::probe::Evidence) {
    let mut marks = Vec::new();
    for h in &ev.hops {
        for v in h.header_values("link") {
            if String::from_utf8_lossy(v).contains("api.w.org") {
                marks
                    .push("Link header pointing to api.w.org (the WordPress REST API)".to_string());
            }
        }
        if h.header("x-redirect-by")
            .is_some_and(|v| v.to_ascii_lowercase().contains("wordpress"))
        {
            marks.push("X-Redirect-By: WordPress".to_string());
        }
        for u in std::iter::once(h.url.as_str()).chain(h.location.as_deref()) {
            if u.contains("/wp-admin") || u.contains("/wp-login.php") {
                marks.push(format!("WordPress path in {u}"));
            }
        }
        let body = String::from_utf8_lossy(&h.body).to_ascii_lowercase();
        if body.contains("name=\"generator\" content=\"wordpress") {
            marks.push("<meta name=\"generator\" content=\"WordPress…\">".to_string());
        }
        if body.contains("/wp-content/") || body.contains("/wp-includes/") {
            marks.push("page references /wp-content/ or /wp-includes/".to_string());
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for m in marks {
        if !unique.contains(&m) {
            unique.push(m);
        }
    }
    let marks = unique;
    if marks.is_empty() {
        return;
    }
    let failing = ev.redirect_problem.is_some()
        || ev.failure.is_some()
        || ev.final_status().is_none_or(|s| s >= 400);
    let mut f = Finding::new(
        Cause::SiteWordpress,
        if marks.len() >= 2 {
            Confidence::High
        } else {
            Confidence::Medium
        },
        if failing {
            "The site runs WordPress; its security plugins (firewalls, login limiters, two-factor) often cause errors like this — the site's owner can check them."
        } else {
            "The site runs WordPress; if logins fail, its security plugins (firewalls, login limiters, two-factor) are a common cause."
        },
        [Action::ClearSiteData, Action::ContactSiteOwner],
    );
    for m in marks {
        f = f.with_evidence(m);
    }
    f = f.with_evidence("plugins to check first: security/firewall (Wordfence, iThemes/Solid Security, All In One WP Security), login limiters, two-factor, REST-API blockers");
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_exp_is_decoded_not_verified() {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let t = format!(
            "{}.{}.sig",
            e.encode("{}"),
            e.encode(r#"{"exp":1700000000}"#)
        );
        assert_eq!(jwt_exp(&t), Some(1_700_000_000));
        for bad in [
            "",
            "abc",
            "a.b.c",
            "a.!!!.c",
            &format!("x.{}.y", e.encode("[1]")),
        ] {
            assert_eq!(jwt_exp(bad), None, "{bad}");
        }
    }

    #[test]
    fn blocking_causes_rank_before_context() {
        let mut f = vec![
            Finding::new(Cause::SiteWordpress, Confidence::High, "w", []),
            Finding::new(Cause::CredentialsMissing, Confidence::High, "c", []),
            Finding::new(Cause::UrlSuspicious, Confidence::Medium, "u", []),
            Finding::new(Cause::ClockSkew, Confidence::High, "k", []),
        ];
        sort(&mut f);
        let order: Vec<Cause> = f.iter().map(|f| f.cause).collect();
        assert_eq!(
            order,
            [
                Cause::ClockSkew,
                Cause::CredentialsMissing,
                Cause::SiteWordpress,
                Cause::UrlSuspicious
            ]
        );
    }

    fn bare_evidence() -> crate::probe::Evidence {
        crate::probe::Evidence {
            hops: Vec::new(),
            failure: None,
            redirect_problem: None,
            resolved: Vec::new(),
            connected: None,
            timings: crate::probe::Timings::default(),
            tls_details: Vec::new(),
            proxy: None,
            proxy_source: None,
            proxy_failed: false,
            credentials_supplied: Vec::new(),
        }
    }

    #[test]
    fn route_findings_name_the_proxy_and_every_browser_behind_it() {
        use crate::route::{BrowserRoute, PacProblem, ProxyServer, Route, RouteProbe};
        let browser = |label: &str, pac: Option<&str>| BrowserRoute {
            browser_id: "firefox".into(),
            label: label.into(),
            setting: String::new(),
            source: String::new(),
            route: Route::Direct,
            pac_error: pac.map(|m| PacProblem {
                url: "http://pac.test/p.pac".into(),
                message: m.into(),
            }),
            how: Vec::new(),
            doh: None,
        };
        let mut dead = bare_evidence();
        dead.failure = Some(crate::probe::Failure::Connect {
            detail: "127.0.0.1:9: Connection refused".into(),
            refused: true,
        });
        let probes = vec![
            RouteProbe {
                route: Route::Direct,
                browsers: vec![],
                main: true,
                evidence: None,
                outcome: "HTTP 200".into(),
            },
            RouteProbe {
                route: Route::Proxy {
                    proxy: ProxyServer::parse("127.0.0.1:9", "http").unwrap(),
                },
                browsers: vec!["Firefox (a)".into(), "Chromium".into()],
                main: false,
                evidence: Some(dead),
                outcome: String::new(),
            },
        ];
        let browsers = [
            browser("Firefox (b)", Some("SyntaxError")),
            browser("Firefox (c)", Some("SyntaxError")),
        ];
        let f = route_findings(&bare_evidence(), &browsers, &probes);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].cause, Cause::ProxyPacError);
        assert!(
            f[0].summary.starts_with("Firefox (b), Firefox (c) is set"),
            "{}",
            f[0].summary
        );
        assert_eq!(f[1].cause, Cause::ProxyUnreachable);
        assert!(f[1].summary.contains(
            "127.0.0.1:9 that Firefox (a), Chromium goes through is refusing connections"
        ));
        // Pure: the same evidence gives the same findings.
        assert_eq!(f, route_findings(&bare_evidence(), &browsers, &probes));
    }

    #[test]
    fn only_failures_without_any_browser_data_exonerate_it() {
        let f = |c: Cause, conf: Confidence| vec![Finding::new(c, conf, "s", [])];
        let why = site_data_exonerated(Some(503), &f(Cause::ServerError, Confidence::High));
        assert_eq!(
            why.as_deref(),
            Some("your browser's cookies make no difference: the site itself answers 503")
        );
        assert!(
            site_data_exonerated(None, &f(Cause::NetworkUnreachable, Confidence::High)).is_some()
        );
        assert!(site_data_exonerated(None, &f(Cause::DnsFailure, Confidence::High)).is_some());
        // A guess is no evidence; a login problem or a working page exonerates nothing.
        assert!(
            site_data_exonerated(None, &f(Cause::NetworkUnreachable, Confidence::Low)).is_none()
        );
        assert!(
            site_data_exonerated(Some(429), &f(Cause::ServerError, Confidence::Medium)).is_none()
        );
        assert!(
            site_data_exonerated(Some(401), &f(Cause::CredentialsMissing, Confidence::High))
                .is_none()
        );
        assert!(site_data_exonerated(Some(200), &f(Cause::DnsStale, Confidence::High)).is_none());
    }

    #[test]
    fn ids_match_serde_names() {
        for cause in Cause::ALL {
            let json = serde_json::to_string(&cause).unwrap();
            assert_eq!(json, format!("\"{}\"", cause.id()));
        }
        for action in Action::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.id()));
        }
    }
}
