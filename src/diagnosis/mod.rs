//! Evidence → findings: what went wrong, how sure fix401 is, and which actions apply.
//!
//! PURE reasoning: [`diagnose`] takes the
//! [`Evidence`] the check gathered (`check.rs`) and returns findings; nothing here talks
//! to the system, the network or the clock. All wording of findings lives in this module:
//! [`http`] (the re-test's answer), [`dns`] (the DNS facts), [`routes`] (the browsers' own
//! routes), [`site_data`] (stored site data), [`signin`] (Kerberos / Negotiate, NTLM), [`sso`]
//! (single sign-on through an identity provider, oversized cookies), [`outcome`] (the verdict
//! words and headline).
//!
//! The vocabulary (`Cause`, `Action`, `Confidence`, `Finding`, `Verdict`) lives in
//! [`crate::model`].

pub mod dns;
pub mod hsts;
pub mod http;
pub mod outcome;
pub mod routes;
pub mod signin;
pub mod site_data;
pub mod sso;

use crate::model::{Action, Cause, Confidence, Finding};
pub use dns::{dns_findings, verification_findings, word_verification};
pub use hsts::HstsFacts;
pub use http::{findings, jwt_exp};
pub use outcome::{Outcome, Stage, Tone, outcome};
pub use routes::route_findings;
pub use site_data::{
    ProfileSiteData, SiteData, Unread, WorksFromHere, remaining_differences, site_data_exonerated,
    works_from_here,
};

/// What was typed for the re-test, as facts (never the secrets themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFacts {
    /// The `exp` claim of the Bearer token supplied, decoded ([`jwt_exp`]), never verified.
    pub bearer_exp: Option<i64>,
    /// A user name and password were supplied.
    pub password_supplied: bool,
    /// When the check ran, in seconds since the epoch (to judge `exp`).
    pub now: i64,
    /// The length in bytes of the `Cookie` header supplied (names and values; the values
    /// themselves never reach the diagnosis). 0 when none.
    pub cookie_bytes: usize,
    /// How many cookies that header holds.
    pub cookie_count: usize,
}

/// Everything the check gathered for one URL: the diagnosis' only input.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The URL as parsed and linted.
    pub target: crate::target::Target,
    /// fix401's own re-test.
    pub probe: crate::probe::Evidence,
    /// What was supplied to log in with.
    pub login: LoginFacts,
    /// The DNS facts for the host (`None` when not checked).
    pub dns: Option<crate::dns::HostFacts>,
    /// Each browser profile's route for the URL.
    pub browsers: Vec<crate::route::BrowserRoute>,
    /// Each distinct route re-tested (fix401's own first).
    pub probes: Vec<crate::route::RouteProbe>,
    /// What the browsers found hold for the site (`None` when not looked at).
    pub site_data: Option<SiteData>,
    /// What signing in with the person's own Kerberos ticket showed, when the site offers
    /// Negotiate, Kerberos or only NTLM.
    pub sign_in: Option<crate::negotiate::SignIn>,
    /// The browser settings found that block third-party cookies, looked for when the chain
    /// goes through an identity provider (empty otherwise).
    pub cookie_blocking: Vec<sso::CookieBlocking>,
    /// HTTPS-only (HSTS) facts, gathered when a browser may keep an entry for the host.
    pub hsts: Option<HstsFacts>,
}

/// The findings for `ev`, most important first. Pure: the same evidence gives the same
/// findings.
pub fn diagnose(ev: &Evidence) -> Vec<Finding> {
    let probe = &ev.probe;
    let mut findings = http::findings(&ev.target, probe, &ev.login, ev.site_data.as_ref());
    if let Some(s) = &ev.sign_in {
        signin::merge(&mut findings, s, ev.login.now);
    }
    let site = ev.target.host.as_str();
    if let Some(f) = sso::sso_finding(probe, site, &ev.cookie_blocking) {
        if f.cause == Cause::SsoLoop {
            // The same chain, now known to run through the provider: said once, as SSO.
            findings.retain(|g| !matches!(g.cause, Cause::RedirectLoop | Cause::RedirectTooMany));
        }
        findings.push(f);
    }
    if let Some(f) =
        sso::too_large_finding(probe, site, ev.login.cookie_bytes, ev.login.cookie_count)
    {
        // It explains the refusal the generic "server refused (HTTP 4xx)" guess was about.
        findings.retain(|g| {
            !(g.cause == Cause::ServerMisconfigured && g.confidence == Confidence::Low)
        });
        findings.push(f);
    }
    let dns = ev.dns.as_ref().map(dns_findings).unwrap_or_default();
    dns::merge_dns(&mut findings, dns, probe);
    let on_main: Vec<String> = ev
        .probes
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
    let by_route = route_findings(probe, &ev.browsers, &ev.probes);
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
    if let Some(f) = ev
        .hsts
        .as_ref()
        .and_then(|h| hsts::hsts_finding(&ev.target.host, h))
    {
        findings.push(f);
    }
    sort(&mut findings);
    // What the evidence exonerates is never suggested; a stuck HSTS entry is stored data
    // the failure itself points at.
    if site_data_exonerated(probe.final_status(), &findings).is_some() {
        for f in findings.iter_mut().filter(|f| f.cause != Cause::HstsStuck) {
            f.actions.retain(|a| *a != Action::ClearSiteData);
        }
    }
    findings
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
/// Most confident first, then most blocking ([`Cause::rank`]).
fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (std::cmp::Reverse(f.confidence), f.cause.rank()));
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
        crate::probe::Evidence::default()
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

    fn evidence_for(url: &str, probe: crate::probe::Evidence) -> Evidence {
        Evidence {
            target: crate::target::Target::parse(url).unwrap(),
            probe,
            login: LoginFacts::default(),
            dns: None,
            browsers: Vec::new(),
            probes: Vec::new(),
            site_data: None,
            sign_in: None,
            cookie_blocking: Vec::new(),
            hsts: None,
        }
    }

    #[test]
    fn a_loop_through_a_provider_is_said_once_as_sso_and_keeps_clear_site_data() {
        let hop = |url: &str, status, location: &str| {
            let mut h = crate::probe::Hop::new(&url::Url::parse(url).unwrap());
            h.status = Some(status);
            h.location = Some(location.to_string());
            h
        };
        let probe = crate::probe::Evidence {
            hops: vec![
                hop("https://app.test/", 302, "https://acme.okta.com/sso"),
                hop("https://acme.okta.com/sso", 302, "https://app.test/"),
            ],
            redirect_problem: Some(crate::probe::RedirectProblem::Loop {
                url: "https://app.test/".into(),
            }),
            ..Default::default()
        };
        let f = diagnose(&evidence_for("https://app.test/", probe));
        let causes: Vec<Cause> = f.iter().map(|f| f.cause).collect();
        assert_eq!(causes, [Cause::SsoLoop], "{f:#?}");
        assert!(f[0].actions.contains(&Action::ClearSiteData));
    }

    #[test]
    fn a_too_large_answer_to_a_large_cookie_header_replaces_the_generic_refusal() {
        let mut h = crate::probe::Hop::new(&url::Url::parse("https://app.test/").unwrap());
        h.status = Some(431);
        h.body = b"Request Header Or Cookie Too Large".to_vec();
        h.credentials_sent.push("cookie");
        let probe = crate::probe::Evidence {
            hops: vec![h],
            ..Default::default()
        };
        let mut ev = evidence_for("https://app.test/", probe);
        ev.login.cookie_bytes = 10_000;
        ev.login.cookie_count = 20;
        let causes: Vec<Cause> = diagnose(&ev).iter().map(|f| f.cause).collect();
        assert_eq!(causes, [Cause::CookiesTooLarge]);
        ev.login.cookie_bytes = 100;
        let causes: Vec<Cause> = diagnose(&ev).iter().map(|f| f.cause).collect();
        assert_eq!(causes, [Cause::ServerMisconfigured]);
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
