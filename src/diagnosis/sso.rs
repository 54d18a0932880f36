//! Single sign-on and oversized cookies: the known identity providers and the servers'
//! "header too large" answers as data, and the pure findings `sso.loop`, `sso.failed` and
//! `cookies.too_large`. The browsers' third-party cookie settings arrive as facts gathered
//! by the check (`check.rs`); nothing here reads a file or the network.

use crate::model::{Action, Cause, Confidence, Finding};

/// How an identity provider is recognised in a URL of the redirect chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// This exact host.
    Host(&'static str),
    /// This domain or any host below it (`okta.com` matches `acme.okta.com`).
    Domain(&'static str),
    /// A path starting with this, on any host (ADFS' `/adfs/ls`).
    PathPrefix(&'static str),
    /// A path `…/realms/<realm>/protocol/<protocol>…`, on any host (Keycloak).
    KeycloakRealm,
}

/// One known identity provider: its name and how to recognise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The name people know ("Microsoft Entra ID").
    pub name: &'static str,
    /// How its sign-in URLs look.
    pub rule: Rule,
}

/// The identity providers fix401 recognises, from each vendor's documented sign-in
/// endpoints (README, "Single sign-on"). A SAML or OpenID Connect request on any other host
/// is recognised by its markers ([`protocol_marker`]).
pub const PROVIDERS: &[IdentityProvider] = &[
    IdentityProvider {
        name: "Microsoft Entra ID",
        rule: Rule::Host("login.microsoftonline.com"),
    },
    IdentityProvider {
        name: "Microsoft Entra ID",
        rule: Rule::Host("login.windows.net"),
    },
    IdentityProvider {
        name: "Microsoft account",
        rule: Rule::Host("login.live.com"),
    },
    IdentityProvider {
        name: "Google",
        rule: Rule::Host("accounts.google.com"),
    },
    IdentityProvider {
        name: "Okta",
        rule: Rule::Domain("okta.com"),
    },
    IdentityProvider {
        name: "Okta",
        rule: Rule::Domain("oktapreview.com"),
    },
    IdentityProvider {
        name: "Auth0",
        rule: Rule::Domain("auth0.com"),
    },
    IdentityProvider {
        name: "OneLogin",
        rule: Rule::Domain("onelogin.com"),
    },
    IdentityProvider {
        name: "Duo",
        rule: Rule::Domain("duosecurity.com"),
    },
    IdentityProvider {
        name: "Ping Identity",
        rule: Rule::Domain("pingidentity.com"),
    },
    IdentityProvider {
        name: "Ping Identity",
        rule: Rule::Domain("pingone.com"),
    },
    IdentityProvider {
        name: "Keycloak",
        rule: Rule::KeycloakRealm,
    },
    IdentityProvider {
        name: "AD FS",
        rule: Rule::PathPrefix("/adfs/ls"),
    },
];

/// A provider found in a URL: its name and the host that served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider's name, or the protocol's for an unknown host ("a SAML identity provider").
    pub name: String,
    /// The host of the provider's URL (lower case).
    pub host: String,
}

impl Rule {
    /// True when `url` is a sign-in URL of this rule.
    pub fn matches(self, url: &url::Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        match self {
            Rule::Host(h) => host == h,
            Rule::Domain(d) => host == d || host.strip_suffix(d).is_some_and(|r| r.ends_with('.')),
            Rule::PathPrefix(p) => url.path().to_ascii_lowercase().starts_with(p),
            Rule::KeycloakRealm => {
                let segs: Vec<&str> = url.path().split('/').collect();
                segs.windows(4).any(|w| {
                    w[0] == "realms" && !w[1].is_empty() && w[2] == "protocol" && !w[3].is_empty()
                })
            }
        }
    }
}

/// The SAML or OpenID Connect protocol a URL's query speaks, when it does: `SAMLRequest` /
/// `SAMLResponse`, or an OAuth authorization request (`client_id` with `response_type`).
pub fn protocol_marker(url: &url::Url) -> Option<&'static str> {
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let has = |n: &str| names.iter().any(|k| k.eq_ignore_ascii_case(n));
    if has("SAMLRequest") || has("SAMLResponse") {
        Some("SAML")
    } else if has("client_id") && has("response_type") {
        Some("OpenID Connect")
    } else {
        None
    }
}

/// The identity provider `url` belongs to: a known one ([`PROVIDERS`]) first, then any host
/// receiving a SAML or OpenID Connect request.
pub fn identify(url: &url::Url) -> Option<Provider> {
    let host = url.host_str()?.to_ascii_lowercase();
    if let Some(p) = PROVIDERS.iter().find(|p| p.rule.matches(url)) {
        return Some(Provider {
            name: p.name.to_string(),
            host,
        });
    }
    protocol_marker(url).map(|proto| Provider {
        name: match proto {
            "SAML" => "a SAML identity provider".to_string(),
            _ => format!("an {proto} identity provider"),
        },
        host,
    })
}

/// A browser setting that blocks third-party cookies, which a sign-in through another
/// site's provider needs (its cookies are third-party in the site's frames and on the way
/// back). Gathered by the check from the profile's own files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieBlocking {
    /// The browser and profile ("Chromium (Default)").
    pub profile: String,
    /// The setting and its value (`profile.cookie_controls_mode = 1`).
    pub setting: String,
    /// The file it was read from.
    pub file: String,
    /// What the value means, in words.
    pub meaning: String,
}

/// The provider the chain of `ev` went through, with the index of its first hop: any hop
/// after the first (the site itself may sit on a Keycloak path; it is not its own provider).
pub fn provider_in_chain(ev: &crate::probe::Evidence) -> Option<(usize, Provider)> {
    ev.hops
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(i, h)| identify(&h.url).map(|p| (i, p)))
}

/// The suggested commands for clearing the provider's domain too, for a finding's
/// evidence: `fix --also-site` (asked for separately) or `clear --site`; `url` is the first
/// address asked. None when the provider lives on the site's own host: the site's clear
/// already takes its cookies.
fn second_site_lines(provider: &Provider, site: &str, url: &str) -> Vec<String> {
    if provider.host.eq_ignore_ascii_case(site) {
        return Vec::new();
    }
    vec![
        format!(
            "the sign-in provider's own cookies live on {host}: clearing only the site leaves them; \
             clear them too, as a second site you confirm separately: fix401 fix {url} --also-site {host}",
            host = provider.host
        ),
        format!("or on their own: fix401 clear --site {}", provider.host),
    ]
}

/// `sso.loop` or `sso.failed` for a chain that went through an identity provider, or `None`.
/// `site` is the host typed; `blocking` the third-party cookie settings found.
pub fn sso_finding(
    ev: &crate::probe::Evidence,
    site: &str,
    blocking: &[CookieBlocking],
) -> Option<Finding> {
    let (at, provider) = provider_in_chain(ev)?;
    let last = ev.hops.last()?;
    let line = |h: &crate::probe::Hop| {
        format!(
            "{} {}{}",
            h.status.map_or("-".to_string(), |s| s.to_string()),
            h.url,
            h.location
                .as_deref()
                .map(|l| format!(" → {l}"))
                .unwrap_or_default()
        )
    };
    let who = format!("{} ({})", provider.name, provider.host);
    let mut f = if ev.redirect_problem.is_some() {
        Finding::new(
            Cause::SsoLoop,
            Confidence::High,
            format!(
                "Signing in goes round in circles between {site} and its sign-in provider {who}, \
                 so the page never loads."
            ),
            [
                Action::ClearSiteData,
                Action::RestartBrowser,
                Action::ContactSiteOwner,
            ],
        )
        .with_evidence(match &ev.redirect_problem {
            Some(crate::probe::RedirectProblem::Loop { url }) => format!(
                "{url} came back after {} through {}",
                crate::words::count(ev.hops.len(), "redirect", "redirects"),
                provider.host
            ),
            _ => format!(
                "more than {} redirects through {}",
                crate::probe::MAX_REDIRECTS,
                provider.host
            ),
        })
    } else {
        let status = last.status?;
        let at_provider =
            identify(&last.url).is_some_and(|p| p.host == provider.host) && ev.hops.len() > at;
        if at_provider && status >= 400 {
            Finding::new(
                Cause::SsoFailed,
                Confidence::High,
                format!(
                    "The sign-in provider {who} answers HTTP {status} during the sign-in to {site}, \
                     so signing in cannot finish."
                ),
                [
                    Action::ClearSiteData,
                    Action::RestartBrowser,
                    Action::ContactSiteOwner,
                ],
            )
        } else if !at_provider && matches!(status, 401 | 403) {
            Finding::new(
                Cause::SsoFailed,
                Confidence::Medium,
                format!(
                    "The sign-in went through the provider {who}, but {site} still answers HTTP \
                     {status} afterwards: the site does not accept the sign-in it got back."
                ),
                [
                    Action::ClearSiteData,
                    Action::CheckCredentials,
                    Action::ContactSiteOwner,
                ],
            )
        } else {
            return None;
        }
    };
    f = f.with_evidence(format!(
        "identity provider: {} at {}",
        provider.name, provider.host
    ));
    for h in ev.hops.iter().take(25) {
        f = f.with_evidence(line(h));
    }
    for b in blocking {
        f = f.with_evidence(format!(
            "{} blocks third-party cookies ({}: {} in {}), which a sign-in through another site's \
             provider needs: allow cookies for {} there",
            b.profile, b.meaning, b.setting, b.file, provider.host
        ));
    }
    let first = ev.hops.first().map_or(String::new(), |h| h.url.to_string());
    for l in second_site_lines(&provider, site, &first) {
        f = f.with_evidence(l);
    }
    Some(f)
}

/// The server software whose "request header too large" answer a text is, with the text
/// each sends (nginx, IIS/HTTP.sys, Apache httpd), and its default limit in bytes.
pub const TOO_LARGE_ANSWERS: &[(&str, &str, usize)] = &[
    ("nginx", "Request Header Or Cookie Too Large", 8 * 1024),
    ("IIS", "Bad Request - Request Too Long", 16 * 1024),
    (
        "IIS",
        "The size of the request headers is too long",
        16 * 1024,
    ),
    (
        "Apache httpd",
        "Size of a request header field exceeds server limit",
        8190,
    ),
];

/// The server whose "header too large" text the answer `hop` carries (in its body or
/// reason), with its default limit; `None` when it is no such answer. Only 400 and 431 count.
pub fn too_large_answer(hop: &crate::probe::Hop) -> Option<(&'static str, &'static str, usize)> {
    if !matches!(hop.status, Some(400 | 431)) {
        return None;
    }
    let body = String::from_utf8_lossy(&hop.body).to_ascii_lowercase();
    TOO_LARGE_ANSWERS
        .iter()
        .find(|(_, text, _)| body.contains(&text.to_ascii_lowercase()))
        .copied()
}

/// `cookies.too_large` when the last answer is a 400/431 "header too large" and the request
/// carried a `Cookie` header of `cookie_bytes` bytes in `cookie_count` cookies (lengths
/// only, never values) that is a large part of the server's limit. A 431 without cookies,
/// or with a few small ones, is not this cause.
pub fn too_large_finding(
    ev: &crate::probe::Evidence,
    site: &str,
    cookie_bytes: usize,
    cookie_count: usize,
) -> Option<Finding> {
    let last = ev.hops.last()?;
    let (server, text, limit) = too_large_answer(last)?;
    // Other headers take a few hundred bytes; cookies this large are what fills the buffer.
    if !last.credentials_sent.contains(&"cookie") || cookie_bytes * 2 < limit {
        return None;
    }
    Some(
        Finding::new(
            Cause::CookiesTooLarge,
            Confidence::High,
            format!(
                "Your browser sends {site} {} of cookies ({}), more than the site's server accepts; \
                 clearing this site's cookies fixes it.",
                bytes(cookie_bytes),
                crate::words::count(cookie_count, "cookie", "cookies")
            ),
            [Action::ClearSiteData, Action::ContactSiteOwner],
        )
        .with_evidence(format!(
            "HTTP {} \"{text}\" ({server})",
            last.status.unwrap_or_default()
        ))
        .with_evidence(format!(
            "Cookie header sent: {cookie_bytes} bytes in {} (names and values, lengths only)",
            crate::words::count(cookie_count, "cookie", "cookies")
        ))
        .with_evidence(format!(
            "{server}'s default limit: {limit} bytes per request header line"
        )),
    )
}

fn bytes(n: usize) -> String {
    if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn a_provider_on_the_sites_own_host_is_no_second_site() {
        let p = identify(&u(
            "https://corp.test/realms/x/protocol/openid-connect/auth",
        ))
        .unwrap();
        assert!(second_site_lines(&p, "CORP.test", "https://corp.test/app").is_empty());
        let lines = second_site_lines(&p, "app.test", "https://app.test/");
        assert_eq!(
            lines[0].rsplit(": ").next().unwrap(),
            "fix401 fix https://app.test/ --also-site corp.test"
        );
    }

    #[test]
    fn every_listed_provider_is_recognised_and_others_are_not() {
        for (url, name) in [
            (
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                "Microsoft Entra ID",
            ),
            ("https://login.windows.net/x", "Microsoft Entra ID"),
            ("https://login.live.com/login.srf", "Microsoft account"),
            ("https://accounts.google.com/o/oauth2/auth", "Google"),
            ("https://acme.okta.com/app/x/sso/saml", "Okta"),
            ("https://acme.oktapreview.com/", "Okta"),
            ("https://tenant.eu.auth0.com/authorize", "Auth0"),
            ("https://acme.onelogin.com/trust/saml2", "OneLogin"),
            ("https://api-1.duosecurity.com/frame", "Duo"),
            ("https://sso.pingidentity.com/", "Ping Identity"),
            ("https://auth.pingone.com/x", "Ping Identity"),
            (
                "https://id.example.org/realms/staff/protocol/openid-connect/auth",
                "Keycloak",
            ),
            (
                "http://127.0.0.1:8080/auth/realms/a/protocol/saml",
                "Keycloak",
            ),
            ("https://fs.example.org/adfs/ls/?wa=wsignin1.0", "AD FS"),
            (
                "https://idp.example.org/sso?SAMLRequest=abc",
                "a SAML identity provider",
            ),
            (
                "https://id.example.org/authorize?client_id=a&response_type=code",
                "an OpenID Connect identity provider",
            ),
        ] {
            assert_eq!(
                identify(&u(url)).map(|p| p.name),
                Some(name.to_string()),
                "{url}"
            );
        }
        for url in [
            "https://notokta.com/",
            "https://okta.com.evil.test/",
            "https://example.org/realms/",
            "https://example.org/login?next=/",
            "https://accounts.google.com.example/",
        ] {
            assert_eq!(identify(&u(url)), None, "{url}");
        }
        assert_eq!(
            identify(&u("https://ACME.okta.com/x")).unwrap().host,
            "acme.okta.com"
        );
    }

    fn hop(url: &str, status: u16, location: Option<&str>) -> crate::probe::Hop {
        let mut h = crate::probe::Hop::new(&u(url));
        h.status = Some(status);
        h.location = location.map(str::to_string);
        h
    }

    #[test]
    fn a_loop_through_the_provider_is_sso_loop_naming_it_and_its_domain() {
        let ev = crate::probe::Evidence {
            hops: vec![
                hop(
                    "https://app.test/",
                    302,
                    Some("https://login.microsoftonline.com/t/authorize"),
                ),
                hop(
                    "https://login.microsoftonline.com/t/authorize",
                    302,
                    Some("https://app.test/"),
                ),
            ],
            redirect_problem: Some(crate::probe::RedirectProblem::Loop {
                url: "https://app.test/".into(),
            }),
            ..Default::default()
        };
        let block = CookieBlocking {
            profile: "Chromium (Default)".into(),
            setting: "profile.cookie_controls_mode = 1".into(),
            file: "Preferences".into(),
            meaning: "block third-party cookies".into(),
        };
        let f = sso_finding(&ev, "app.test", &[block]).unwrap();
        assert_eq!(f.cause, Cause::SsoLoop);
        assert!(
            f.summary
                .contains("Microsoft Entra ID (login.microsoftonline.com)"),
            "{}",
            f.summary
        );
        assert!(
            f.evidence
                .iter()
                .any(|l| l.contains("--also-site login.microsoftonline.com"))
        );
        assert!(
            f.evidence
                .iter()
                .any(|l| l.contains("profile.cookie_controls_mode = 1"))
        );
        assert_eq!(f.actions[0], Action::ClearSiteData);
        // Pure: the same evidence, the same finding.
        assert_eq!(
            sso_finding(&ev, "app.test", &[]),
            sso_finding(&ev, "app.test", &[])
        );
    }

    #[test]
    fn an_error_at_the_provider_or_a_401_after_it_is_sso_failed() {
        let at_provider = crate::probe::Evidence {
            hops: vec![
                hop("https://app.test/", 302, Some("https://acme.okta.com/sso")),
                hop("https://acme.okta.com/sso", 400, None),
            ],
            ..Default::default()
        };
        let f = sso_finding(&at_provider, "app.test", &[]).unwrap();
        assert_eq!(
            (f.cause, f.confidence),
            (Cause::SsoFailed, Confidence::High)
        );
        assert!(f.summary.contains("Okta (acme.okta.com) answers HTTP 400"));
        let back = crate::probe::Evidence {
            hops: vec![
                hop("https://app.test/", 302, Some("https://acme.okta.com/sso")),
                hop(
                    "https://acme.okta.com/sso",
                    302,
                    Some("https://app.test/cb"),
                ),
                hop("https://app.test/cb", 401, None),
            ],
            ..Default::default()
        };
        assert_eq!(
            sso_finding(&back, "app.test", &[]).unwrap().cause,
            Cause::SsoFailed
        );
        // A sign-in page that loads is no failure; no provider, no finding.
        let fine = crate::probe::Evidence {
            hops: vec![
                hop("https://app.test/", 302, Some("https://acme.okta.com/sso")),
                hop("https://acme.okta.com/sso", 200, None),
            ],
            ..Default::default()
        };
        assert_eq!(sso_finding(&fine, "app.test", &[]), None);
        let plain = crate::probe::Evidence {
            hops: vec![hop("https://app.test/", 401, None)],
            ..Default::default()
        };
        assert_eq!(sso_finding(&plain, "app.test", &[]), None);
    }

    #[test]
    fn only_a_too_large_answer_to_large_cookies_is_cookies_too_large() {
        let answer = |status, body: &str, cookie: bool| {
            let mut h = hop("https://app.test/", status, None);
            h.body = body.as_bytes().to_vec();
            if cookie {
                h.credentials_sent.push("cookie");
            }
            crate::probe::Evidence {
                hops: vec![h],
                ..Default::default()
            }
        };
        let nginx = "<html><center><h1>400 Bad Request</h1></center><center>Request Header Or Cookie Too Large</center>";
        let f = too_large_finding(&answer(400, nginx, true), "app.test", 9000, 12).unwrap();
        assert_eq!(f.cause, Cause::CookiesTooLarge);
        assert!(
            f.summary.contains("8.8 KiB of cookies (12 cookies)"),
            "{}",
            f.summary
        );
        assert_eq!(f.actions[0], Action::ClearSiteData);
        let iis = "<h2>Bad Request - Request Too Long</h2><p>HTTP Error 400. The size of the request headers is too long.</p>";
        assert!(too_large_finding(&answer(400, iis, true), "app.test", 15000, 3).is_some());
        let apache = "Size of a request header field exceeds server limit.";
        assert!(too_large_finding(&answer(400, apache, true), "app.test", 8000, 3).is_some());
        // No cookie sent, small cookies, another 400 or another status: not this cause.
        assert!(too_large_finding(&answer(431, nginx, false), "app.test", 0, 0).is_none());
        assert!(too_large_finding(&answer(431, nginx, true), "app.test", 40, 2).is_none());
        assert!(
            too_large_finding(&answer(400, "bad request", true), "app.test", 9000, 2).is_none()
        );
        assert!(too_large_finding(&answer(500, nginx, true), "app.test", 9000, 2).is_none());
    }
}
