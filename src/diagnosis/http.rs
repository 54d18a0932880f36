//! What the re-test's answer says: the URL lint, redirects, failures to get an answer, the
//! status and its challenges, the clock, WordPress. Pure: evidence in, findings out.

use crate::model::{Action, Cause, Confidence, Finding};
use crate::redact;

use super::LoginFacts;
use super::routes::proxy_unreachable;
use super::site_data::SiteData;

/// The proxy the probe failed to get through, as `host:port` (never its credentials), and
/// the setting that named it in words ("set by the environment variable https_proxy").
pub(super) fn failing_proxy(ev: &crate::probe::Evidence) -> Option<(String, String)> {
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
pub(super) fn minutes(secs: i64) -> String {
    let m = secs.abs() / 60;
    if m >= 120 {
        format!("{} hours", m / 60)
    } else if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}
/// Turns what the probe saw into findings (the `dns.*` and route ones excepted).
///
/// The evidence is already redacted where secrets entered it (the probe's headers and
/// URLs); the only raw URL here is the target's suggestion, kept whole for re-testing,
/// which is redacted as it is written into a sentence.
pub fn findings(
    target: &crate::target::Target,
    ev: &crate::probe::Evidence,
    login: &LoginFacts,
    site_data: Option<&SiteData>,
) -> Vec<Finding> {
    use crate::probe::{Failure, RedirectProblem, tls::TlsProblem};
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
        status_findings(&mut out, target, ev, last, status, login, site_data);
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
    login: &LoginFacts,
    site_data: Option<&SiteData>,
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
        200..=299 => out.extend(super::site_data::stale_data_finding(
            ev,
            last,
            line,
            &sent_line,
            &target.host,
            site_data,
        )),
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
                    let now = login.now;
                    let exp = login.bearer_exp;
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
            if sent.is_empty() && login.password_supplied {
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
pub(super) fn auth_steps(ev: &crate::probe::Evidence) -> Vec<String> {
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
