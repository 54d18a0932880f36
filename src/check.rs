//! The check: gathers the evidence for one URL — the target's lint, fix401's own re-test,
//! the DNS facts, each browser's route and its re-test — then hands it to the pure
//! diagnosis ([`crate::diagnosis::diagnose`]) and builds the [`Report`]. Every contact with
//! the system and the network of a diagnosis happens here, never in `diagnosis`.

use std::fmt;

use crate::diagnosis::{Evidence, LoginFacts, ProfileSiteData, SiteData, Unread};
use crate::report::Report;
use crate::system::System;

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
    /// Gather [`crate::dns::host_facts`] for the host (default true).
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
    sys: &System,
    input: &str,
    opts: &DiagnoseOptions,
) -> crate::error::Result<Report> {
    let deadline = tokio::time::Instant::now() + opts.timeout;
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
    // The browsers in the home, found once for the routes and the site-data look.
    let installs = std::sync::Arc::new(crate::browsers::discover::installed(sys));
    let routes = async {
        if !opts.browser_routes {
            return (Vec::new(), Vec::new());
        }
        let browsers = crate::route::routes_for(sys, &installs, &target.url, opts.timeout).await;
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
                    // SOCKS too: the client speaks it, with names resolved by the proxy
                    // for `socks5h`/`socks4a` as the browser sends them.
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
            Some(
                tokio::time::timeout(opts.timeout, crate::dns::host_facts(sys, &target.host))
                    .await
                    .unwrap_or_default(),
            )
        } else {
            None
        }
    };
    let (probe, dns, (browsers, mut probes), (site_data, with_states)) = tokio::join!(
        crate::probe::run(sys, &target, &probe_opts),
        dns,
        routes,
        site_data(sys, installs.clone(), &target.host, opts.timeout)
    );
    let probe = probe?;
    // The site-data look asked whether each browser runs; HSTS reuses its answer.
    let installs_now = with_states.as_deref().unwrap_or(&installs);
    let hsts = hsts_facts(
        sys,
        installs_now,
        with_states.is_some(),
        &target,
        &probe,
        &probe_opts,
    )
    .await;
    // Sign-in facts need the 401's challenge; they share the one deadline.
    let mut sign_in =
        crate::negotiate::evidence::gather(sys, &target.url, &probe, &probe_opts, deadline).await;
    if let Some(s) = sign_in
        .as_mut()
        .filter(|s| s.mechanism != crate::negotiate::Mechanism::Ntlm)
    {
        s.browsers = crate::negotiate::browser_prefs::gather(sys, &installs, &target.url);
    }
    if let Some(main) = probes.iter_mut().find(|p| p.main) {
        main.outcome = RouteProbe::outcome_of(&probe);
    }
    // Through an identity provider, the browsers' third-party cookie settings matter.
    let cookie_blocking = if crate::diagnosis::sso::provider_in_chain(&probe).is_some() {
        third_party_cookie_blocking(&installs)
    } else {
        Vec::new()
    };
    let evidence = Evidence {
        login: login_facts(&opts.credentials),
        cookie_blocking,
        target,
        probe,
        dns,
        browsers,
        probes,
        site_data,
        sign_in,
        hsts,
    };
    let findings = crate::diagnosis::diagnose(&evidence);
    let works_from_here = crate::diagnosis::works_from_here(&evidence, &findings);
    let Evidence {
        target,
        probe,
        browsers,
        probes,
        sign_in,
        ..
    } = evidence;
    Ok(Report::build(&target, &probe, findings)
        .with_routes(browsers, probes)
        .with_works_from_here(works_from_here)
        .with_sign_in(sign_in))
}

/// HTTPS-only (HSTS) facts for the host, gathered only when the re-test shows what a stuck
/// entry explains — `https://` refused or its TLS broken, or `http://` answering — and some
/// browser keeps an HSTS entry for the host: then the other scheme is tried once.
async fn hsts_facts(
    sys: &System,
    installs: &[crate::browsers::Installation],
    running_known: bool,
    target: &crate::target::Target,
    probe: &crate::probe::Evidence,
    opts: &crate::probe::ProbeOptions,
) -> Option<crate::diagnosis::HstsFacts> {
    use crate::probe::Failure;
    let https_failure = |ev: &crate::probe::Evidence| match &ev.failure {
        Some(f @ (Failure::Connect { refused: true, .. } | Failure::Tls { .. })) => {
            Some(f.describe())
        }
        _ => None,
    };
    let https = match target.url.scheme() {
        "https" if https_failure(probe).is_some() => true,
        "http" if probe.final_status().is_some() => false,
        _ => return None,
    };
    let holders = hsts_holders(sys, installs, running_known, &target.host);
    if holders.is_empty() {
        return None;
    }
    let mut other = target.clone();
    other
        .url
        .set_scheme(if https { "http" } else { "https" })
        .ok()?;
    let other_ev = crate::probe::run(sys, &other, opts).await.ok()?;
    let (https_ev, http_ev) = if https {
        (probe, &other_ev)
    } else {
        (&other_ev, probe)
    };
    Some(crate::diagnosis::HstsFacts {
        holders,
        https_failure: https_failure(https_ev),
        http_status: http_ev.final_status(),
    })
}

/// The browser profiles whose HSTS stores hold an entry forcing HTTPS on `host`, from the
/// stores' read-only plan (a running browser's stores are not looked into). `running_known`:
/// `installs` already carry their running state (else it is asked here).
fn hsts_holders(
    sys: &System,
    installs: &[crate::browsers::Installation],
    running_known: bool,
    host: &str,
) -> Vec<String> {
    use crate::stores::{Action, Selection};
    // Only a profile with an HSTS store can hold an entry: no process scan without one.
    let any_store = installs
        .iter()
        .flat_map(|i| &i.profiles)
        .flat_map(|p| &p.stores)
        .any(|s| s.kind.category() == crate::browsers::StoreCategory::HstsEntries);
    if !any_store {
        return Vec::new();
    }
    let mut installations = installs.to_vec();
    if !running_known {
        crate::browsers::running::set_running_states(sys, &mut installations);
    }
    let selection = Selection {
        site: host.to_string(),
        hsts: true,
        ..Selection::default()
    };
    let Ok(plan) = crate::stores::plan(sys, &installations, &selection) else {
        return Vec::new();
    };
    plan.profiles
        .iter()
        .filter(|pp| {
            pp.items
                .iter()
                .any(|i| matches!(i.action, Action::HstsEntries { .. }))
        })
        .map(|pp| format!("{} ({})", pp.browser_name, pp.profile_name))
        .collect()
}

/// What the supplied credentials say, without the secrets: the Bearer token's `exp` claim
/// (decoded, never verified), whether a password login was given, and the time now.
fn login_facts(creds: &crate::probe::Credentials) -> LoginFacts {
    LoginFacts {
        bearer_exp: creds.bearer.as_deref().and_then(crate::diagnosis::jwt_exp),
        password_supplied: creds.user.is_some(),
        cookie_bytes: creds.cookie.as_ref().map_or(0, String::len),
        cookie_count: creds.cookie.as_ref().map_or(0, |c| {
            c.split(';').filter(|pair| !pair.trim().is_empty()).count()
        }),
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default(),
    }
}

/// Every browser profile whose own settings block third-party cookies, which a sign-in
/// through another site's identity provider needs: the Chromium family's
/// `profile.cookie_controls_mode` (1 = block third-party cookies; 2 blocks them in Incognito
/// only, 0 allows) and the older `profile.block_third_party_cookies` in the profile's
/// `Preferences`; Firefox's `network.cookie.cookieBehavior` (1 rejects every third-party
/// cookie, 2 every cookie, 3 those of sites not visited; 0, 4 and the default 5, which
/// partitions them, let a sign-in through) from `prefs.js` and `user.js` (which wins).
/// Read only; an unreadable file says nothing.
fn third_party_cookie_blocking(
    installs: &[crate::browsers::Installation],
) -> Vec<crate::diagnosis::sso::CookieBlocking> {
    use crate::browsers::Family;
    use crate::diagnosis::sso::CookieBlocking;
    let mut out = Vec::new();
    for inst in installs {
        for p in &inst.profiles {
            let label = format!("{} ({})", p.browser_name, p.name);
            match inst.family {
                Family::Chromium => {
                    let file = p.dir.join("Preferences");
                    let Some(prefs) = std::fs::read(&file)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    else {
                        continue;
                    };
                    let profile = &prefs["profile"];
                    let found = if profile["cookie_controls_mode"].as_i64() == Some(1) {
                        Some((
                            "profile.cookie_controls_mode = 1",
                            "set in Settings › Privacy and security › Third-party cookies",
                        ))
                    } else if profile["block_third_party_cookies"].as_bool() == Some(true) {
                        Some((
                            "profile.block_third_party_cookies = true",
                            "the older on/off setting",
                        ))
                    } else {
                        None
                    };
                    if let Some((setting, meaning)) = found {
                        out.push(CookieBlocking {
                            profile: label,
                            setting: setting.into(),
                            file: file.display().to_string(),
                            meaning: meaning.into(),
                        });
                    }
                }
                Family::Firefox => {
                    const PREF: &str = "network.cookie.cookieBehavior";
                    // user.js is applied after prefs.js: its value wins.
                    let found = ["user.js", "prefs.js"].into_iter().find_map(|name| {
                        let file = p.dir.join(name);
                        let text = std::fs::read_to_string(&file).ok()?;
                        match crate::route::firefox::parse_prefs(&text).remove(PREF)? {
                            crate::route::firefox::Pref::Int(v) => Some((file, v)),
                            _ => None,
                        }
                    });
                    let meaning = match found.as_ref().map(|(_, v)| *v) {
                        Some(1) => "rejects every third-party cookie",
                        Some(2) => "rejects every cookie",
                        Some(3) => "rejects third-party cookies of sites not visited",
                        _ => continue,
                    };
                    if let Some((file, v)) = found {
                        out.push(CookieBlocking {
                            profile: label,
                            setting: format!("{PREF} = {v}"),
                            file: file.display().to_string(),
                            meaning: meaning.into(),
                        });
                    }
                }
                Family::Safari => {}
            }
        }
    }
    out
}

/// The `dns.*` findings for `host`: its DNS facts ([`crate::dns::host_facts`]) in the
/// diagnosis' words. Never panics; IP literals and invalid or local names have none.
pub async fn dns_findings(sys: &System, host: &str) -> Vec<crate::model::Finding> {
    crate::diagnosis::dns_findings(&crate::dns::host_facts(sys, host).await)
}

/// Flushes the DNS caches ([`crate::dns::flush`]) and words the verifications before and
/// after it, so the flush report shows the diagnosis' `dns.*` findings.
pub async fn flush_dns(
    sys: &System,
    opts: &crate::dns::FlushOptions,
) -> crate::error::Result<crate::dns::FlushReport> {
    let mut report = crate::dns::flush(sys, opts).await?;
    for v in [&mut report.before, &mut report.after]
        .into_iter()
        .flatten()
    {
        crate::diagnosis::word_verification(v);
    }
    Ok(report)
}

/// How long looking at what the browsers hold for the site may take: a look, not a scan.
const SITE_DATA_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// What the browsers found on this computer hold for `host`, read only (names and counts
/// from the stores' plan, never values; nothing is opened for writing and no browser needs
/// to be closed: a running one's stores are reported unread). `None` when it cannot be told
/// in time or at all (no usable site). `installs` are the browsers found in the home,
/// without their running state, which is asked here (only when some browser was found) and
/// returned with them for the later looks (`None` when the look gave up).
async fn site_data(
    sys: &System,
    installs: std::sync::Arc<Vec<crate::browsers::Installation>>,
    host: &str,
    deadline: std::time::Duration,
) -> (Option<SiteData>, Option<Vec<crate::browsers::Installation>>) {
    if installs.is_empty() {
        // Nothing to look into and nothing that can block: no thread to start.
        return (site_data_now(sys, &[], host), Some(Vec::new()));
    }
    let (sys, host) = (sys.clone(), host.to_string());
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A plain thread: one the deadline gives up on must not hold up the runtime's shutdown.
    let spawned = std::thread::Builder::new()
        .name("fix401-site-data".into())
        .spawn(move || {
            let mut installations = installs.to_vec();
            crate::browsers::running::set_running_states(&sys, &mut installations);
            let data = site_data_now(&sys, &installations, &host);
            let _ = tx.send((data, installations));
        });
    if spawned.is_err() {
        return (None, None);
    }
    match tokio::time::timeout(deadline.min(SITE_DATA_BUDGET), rx).await {
        Ok(Ok((data, installations))) => (data, Some(installations)),
        _ => (None, None),
    }
}

fn site_data_now(
    sys: &System,
    installations: &[crate::browsers::Installation],
    host: &str,
) -> Option<SiteData> {
    use crate::stores::{Action, Selection, SkipCode};
    // HSTS entries carry no credentials: they are looked at only for `hsts.stuck`.
    let selection = Selection {
        site: host.to_string(),
        cookies: true,
        cache: true,
        storage: true,
        ..Selection::default()
    };
    let plan = crate::stores::plan(sys, installations, &selection).ok()?;
    let profiles = plan
        .profiles
        .iter()
        .map(|pp| {
            let mut p = ProfileSiteData {
                label: format!("{} ({})", pp.browser_name, pp.profile_name),
                ..ProfileSiteData::default()
            };
            for item in &pp.items {
                match &item.action {
                    Action::Cookies { count, .. } => p.cookies += count,
                    Action::CacheEntries { count, .. } => p.cache_entries += count,
                    Action::StorageFolders { folders, .. } => p.storage += folders.len(),
                    Action::StorageRecords { origins, .. } => p.local_storage += origins.len(),
                    // A cache that can only go whole is no evidence the site is in it (HSTS
                    // stores are not selected here).
                    Action::WholeCache { .. } | Action::HstsEntries { .. } => {}
                }
            }
            // A store that exists but could not be looked into (the browser runs, it is
            // locked or unreadable) leaves "nothing stored" unsaid; one fix401 leaves alone
            // by design (not per site, a link) says nothing either way.
            p.unread = pp.skipped.iter().find_map(|s| match s.code {
                SkipCode::BrowserRunning => Some(Unread::Running),
                SkipCode::StoreLocked => Some(Unread::Locked),
                SkipCode::FullDiskAccess => Some(Unread::NoDiskAccess),
                SkipCode::Unreadable => Some(Unread::Unreadable),
                SkipCode::Symlink | SkipCode::OutsideRoots | SkipCode::NotSupported => None,
            });
            p
        })
        .collect();
    Some(SiteData { profiles })
}
