//! Integrated sign-in (Kerberos / Negotiate, NTLM) in words: what the person's own ticket
//! showed ([`crate::negotiate::SignIn`]) becomes the finding that says why no login was sent
//! — no ticket, an ended ticket, no KDC, no service principal, clock skew, or a ticket that
//! works from here and so a browser that does not send it. Pure: facts in, findings out.
//!
//! [`merge`] puts these findings in front of the generic 401 one: `credentials.missing`
//! never stands first when a Kerberos cause applies, and its evidence lines move over.

use std::time::{Duration, SystemTime};

use crate::model::{Action, Cause, Confidence, Finding};
use crate::negotiate::browser_prefs::{BrowserSignIn, Source};
use crate::negotiate::{CacheSource, CacheState, CredentialCache, Mechanism, SignIn, SignInError};

use super::http::minutes;

/// "in 3 hours" / "5 minutes ago", from `now`.
fn relative(t: SystemTime, now: SystemTime) -> String {
    match t.duration_since(now) {
        Ok(ahead) => format!("in {}", minutes(ahead.as_secs() as i64)),
        Err(e) => format!("{} ago", minutes(e.duration().as_secs() as i64)),
    }
}

/// One evidence line describing the credential cache (names and times, no secrets).
fn cache_line(cache: &Result<CredentialCache, SignInError>, now: SystemTime) -> String {
    let c = match cache {
        Ok(c) => c,
        Err(e) => return format!("the credential cache could not be read: {e}"),
    };
    let from = match c.source {
        CacheSource::Environment => "named by KRB5CCNAME",
        CacheSource::Default => "the Kerberos library's default",
    };
    match &c.state {
        CacheState::NoCache => format!("credential cache {} ({from}): empty or absent", c.name),
        CacheState::NoTgt { principal, .. } => format!(
            "credential cache {} ({from}): {principal}, without a ticket-granting ticket",
            c.name
        ),
        CacheState::Tgt {
            principal, times, ..
        } => {
            let verb = if times.expired_at(now) {
                "ended"
            } else {
                "valid until"
            };
            let mut line = format!(
                "credential cache {} ({from}): {principal}, ticket-granting ticket {verb} {} ({})",
                c.name,
                httpdate::fmt_http_date(times.end),
                relative(times.end, now)
            );
            if let Some(r) = times.renew_until {
                line.push_str(&format!("; renewable until {}", httpdate::fmt_http_date(r)));
            }
            line
        }
    }
}

/// The cache's principal and realm, when it has one.
fn principal(s: &SignIn) -> Option<(&str, &str)> {
    match &s.cache.as_ref()?.as_ref().ok()?.state {
        CacheState::Tgt {
            principal, realm, ..
        }
        | CacheState::NoTgt { principal, realm } => Some((principal, realm)),
        CacheState::NoCache => None,
    }
}

/// The TGT's end and renew-until times when it has ended by `now`.
fn ended_tgt(s: &SignIn, now: SystemTime) -> Option<(SystemTime, Option<SystemTime>)> {
    match &s.cache.as_ref()?.as_ref().ok()?.state {
        CacheState::Tgt { times, .. } if times.expired_at(now) => {
            Some((times.end, times.renew_until))
        }
        _ => None,
    }
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One evidence line per browser: the setting, its value and where it came from, and what
/// that means for the host.
fn setting_line(b: &BrowserSignIn, host: &str) -> String {
    let value = match &b.value {
        Some(v) => format!("{} = {v:?}", b.setting),
        None => format!("{} is not set", b.setting),
    };
    let from = match &b.source {
        Source::Policy { path, locked } => format!(
            " (enterprise policy {}{})",
            path.display(),
            if *locked { ", locked" } else { "" }
        ),
        Source::UserJs { path } | Source::PrefsJs { path } | Source::Switch { path } => {
            format!(" ({})", path.display())
        }
        Source::Default => String::new(),
    };
    let verdict = match b.sends {
        Some(true) if b.delegates => format!("sends a ticket to {host} (and may delegate it)"),
        Some(true) => format!("sends a ticket to {host}"),
        Some(false) => format!("sends no ticket to {host}"),
        None => "fix401 cannot tell whether it sends one".to_string(),
    };
    let mut line = format!("{}: {value}{from} → {verdict}", b.label());
    if b.sends != Some(true) && !b.admin_locations.is_empty() {
        line.push_str(&format!("; also set in {}", b.admin_locations.join("; ")));
    }
    line
}

/// The `negotiate.browser_not_allowed` finding when fix401 signed in as `who`: it names the
/// browsers and profiles that will not send the ticket and the setting, and those that
/// would; plus one evidence line per browser.
fn not_allowed(s: &SignIn, who: &str) -> (Finding, Vec<String>) {
    let host = &s.host;
    let mut lines: Vec<String> = s.browsers.iter().map(|b| setting_line(b, host)).collect();
    let labels = |want: Option<bool>| -> Vec<String> {
        s.browsers
            .iter()
            .filter(|b| b.sends == want)
            .map(BrowserSignIn::label)
            .collect()
    };
    let (refuse, send, unknown) = (labels(Some(false)), labels(Some(true)), labels(None));
    if s.browsers.is_empty() {
        lines.push(
            "browsers send a ticket only to hosts they are set to trust: Firefox \
             network.negotiate-auth.trusted-uris, Chrome and Edge the AuthServerAllowlist \
             policy, Windows the Intranet zone"
                .to_string(),
        );
        let f = Finding::new(
            Cause::NegotiateBrowserNotAllowed,
            Confidence::High,
            format!(
                "fix401 signed in as {who} with your ticket; your browser may not be allowed \
                 to send it to this host."
            ),
            [Action::AllowNegotiate],
        );
        return (f, lines);
    }
    let mut settings: Vec<&str> = Vec::new();
    for b in s.browsers.iter().filter(|b| b.sends == Some(false)) {
        if !settings.contains(&b.setting) {
            settings.push(b.setting);
        }
    }
    let mut summary = format!("fix401 signed in as {who} with your ticket");
    let (confidence, actions): (Confidence, &[Action]) = if !refuse.is_empty() {
        summary.push_str(&format!(
            ", but {} will not send it to {host}: {host} is not in {} {}.",
            and_list(&refuse),
            if refuse.len() == 1 { "its" } else { "their" },
            and_list(&settings.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
        if !send.is_empty() {
            summary.push_str(&format!(" {} would send it.", and_list(&send)));
        }
        (Confidence::High, &[Action::AllowNegotiate])
    } else if !send.is_empty() && unknown.is_empty() {
        summary.push_str(&format!(
            ", and {} {} set to send it to {host}: if the page still fails there, restart \
             the browser so it sees your current ticket.",
            and_list(&send),
            if send.len() == 1 { "is" } else { "are" }
        ));
        (Confidence::Low, &[Action::RestartBrowser])
    } else {
        summary.push_str(&format!(
            "; whether {} sends it to {host} is decided where fix401 cannot look (your \
             administrator's policy, the Intranet zone).",
            and_list(&unknown)
        ));
        if !send.is_empty() {
            summary.push_str(&format!(" {} would send it.", and_list(&send)));
        }
        (Confidence::Medium, &[Action::AllowNegotiate])
    };
    let f = Finding::new(
        Cause::NegotiateBrowserNotAllowed,
        confidence,
        summary,
        actions.iter().copied(),
    );
    (f, std::mem::take(&mut lines))
}

/// Whom the page lets in when it is opened as this person's browsers would open it: the
/// principal fix401 signed in as with the user's own ticket, when at least one browser or
/// profile was found and every one found is set to send the ticket to the host. `None` with
/// no browser found, or any that will not (or may not) send it: then a browser's setting is
/// still the likely fault.
pub fn works_for(s: &SignIn) -> Option<&str> {
    let who = s.authenticated_as()?;
    let all_send = !s.browsers.is_empty() && s.browsers.iter().all(|b| b.sends == Some(true));
    all_send.then_some(who)
}

/// The findings of the sign-in facts `s` judged at `now` (seconds since the epoch), plus
/// evidence lines that belong on the 401's finding when no sign-in cause can be named (the
/// library is missing, an unclassified error).
pub fn findings(s: &SignIn, now: i64) -> (Vec<Finding>, Vec<String>) {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now.max(0) as u64);
    let offered = format!("the server offers: {}", s.offered.join(", "));
    if s.mechanism == Mechanism::Ntlm {
        let only = s.offered.iter().all(|o| o.eq_ignore_ascii_case("NTLM"));
        if !only {
            return (Vec::new(), vec![format!("{offered} (NTLM, no Negotiate)")]);
        }
        let f = Finding::new(
            Cause::NtlmOnly,
            Confidence::High,
            "This site accepts only NTLM, Windows' own sign-in: a Windows computer signed in to \
             the company domain gets in by itself, elsewhere the browser asks for your Windows \
             user name and password (or cannot sign in at all). Ask the site's owner to turn \
             on Negotiate (Kerberos) sign-in.",
            [Action::ContactSiteOwner, Action::CheckCredentials],
        )
        .with_evidence(offered)
        .with_evidence("no Negotiate or Kerberos offered: a Kerberos ticket cannot be used here");
        return (vec![f], Vec::new());
    }
    let mut lines = vec![offered];
    if let Some(c) = &s.cache {
        lines.push(cache_line(c, now));
    }
    let service = s.service();
    let realm = principal(s).map(|(_, r)| r.to_string());
    let with_lines = |mut f: Finding, extra: &[String]| {
        for l in lines.iter().chain(extra) {
            f = f.with_evidence(l.clone());
        }
        f
    };
    let Some(token) = &s.token else {
        return (Vec::new(), lines);
    };
    let asked = format!("a service ticket for {service} was asked for");
    // An ended TGT explains a failure better than the error it led to (no credentials).
    let expired = SignInError::TicketExpired;
    let token: Result<(), &SignInError> = match token {
        Ok(()) => Ok(()),
        Err(SignInError::LibraryMissing { .. } | SignInError::ClockSkew { .. }) => {
            token.as_ref().map(|_| ())
        }
        Err(_) if ended_tgt(s, now).is_some() => Err(&expired),
        Err(e) => Err(e),
    };
    let said = |e: &SignInError| match &s.token {
        Some(Err(orig)) if orig != e => format!("Kerberos: {orig}"),
        _ => format!("Kerberos: {e}"),
    };
    let finding = match token {
        Ok(()) => {
            let sent =
                format!("GET with Authorization: Negotiate (a Kerberos ticket for {service})");
            match (s.status, s.authenticated_as()) {
                (Some(status), Some(who)) => {
                    let (f, extra) = not_allowed(s, who);
                    let mut extra = extra;
                    extra.insert(0, format!("{sent} → HTTP {status}: signed in as {who}"));
                    with_lines(f, &extra)
                }
                (Some(403), None) => with_lines(
                    Finding::new(
                        Cause::PermissionDenied,
                        Confidence::High,
                        "Your Kerberos ticket was accepted, but this account is not allowed to \
                         see this page; ask the site's owner for access.",
                        [Action::ContactSiteOwner],
                    ),
                    &[format!("{sent} → HTTP 403")],
                ),
                (Some(status), None) => with_lines(
                    Finding::new(
                        Cause::CredentialsRejected,
                        Confidence::Medium,
                        "The site did not accept your Kerberos ticket; get a new one, and if \
                         that does not help, ask the site's owner to check its Kerberos setup.",
                        [Action::RenewTicket, Action::ContactSiteOwner],
                    ),
                    &[format!("{sent} → HTTP {status}")],
                ),
                (None, _) => {
                    lines.push(format!(
                        "{sent}: no answer ({})",
                        s.request_error.as_deref().unwrap_or("unknown")
                    ));
                    return (Vec::new(), lines);
                }
            }
        }
        Err(e @ &SignInError::TicketExpired) => {
            let when = ended_tgt(s, now);
            let mut summary = match when {
                Some((end, _)) => format!(
                    "Your company sign-in (Kerberos ticket) ended {} ({}), so no login was \
                     sent: sign in again.",
                    relative(end, now),
                    httpdate::fmt_http_date(end)
                ),
                None => "Your company sign-in (Kerberos ticket) has expired, so no login was \
                         sent: sign in again."
                    .to_string(),
            };
            if let Some((_, Some(renew))) = when
                && renew > now
            {
                summary.push_str(&format!(
                    " It can still be renewed (kinit -R) until {}.",
                    httpdate::fmt_http_date(renew)
                ));
            }
            with_lines(
                Finding::new(
                    Cause::KerberosTicketExpired,
                    Confidence::High,
                    summary,
                    [Action::RenewTicket],
                ),
                &[asked, said(e)],
            )
        }
        Err(SignInError::NoTicket) => with_lines(
            Finding::new(
                Cause::KerberosNoTicket,
                Confidence::High,
                "This site signs you in with your company sign-in (Kerberos), and this computer \
                 has no Kerberos ticket, so no login was sent: sign in to the company domain \
                 (or run kinit) and try again.",
                [Action::RenewTicket],
            ),
            &[asked, "Kerberos: no credentials for the realm".to_string()],
        ),
        Err(e @ &SignInError::KdcUnreachable) => with_lines(
            Finding::new(
                Cause::KerberosKdcUnreachable,
                Confidence::High,
                format!(
                    "No Kerberos server of {} answers, so no ticket for this site can be had: \
                     connect to the company network or VPN, then try again.",
                    realm.as_deref().unwrap_or("your company's realm")
                ),
                [Action::Retry, Action::RenewTicket],
            ),
            &[asked, format!("Kerberos: {e}")],
        ),
        Err(e @ &SignInError::NoServicePrincipal) => {
            let ip = !matches!(url::Host::parse(&s.host), Ok(url::Host::Domain(_)));
            let why = if ip {
                format!(
                    "The address uses the IP address {} instead of the server's name, and \
                     Kerberos tickets are issued for names",
                    s.host
                )
            } else {
                format!(
                    "This usually happens when the address uses an alias or another name than \
                     the server's real one, or the site's owner has not registered {service}"
                )
            };
            with_lines(
                Finding::new(
                    Cause::KerberosNoServicePrincipal,
                    Confidence::High,
                    format!(
                        "Your company's sign-in server does not know this site's name \
                         ({service}), so no ticket can be had for it. {why}: use the address \
                         with the server's name, or ask the site's owner."
                    ),
                    [Action::ContactSiteOwner],
                ),
                &[asked, format!("Kerberos: {e} {service}")],
            )
        }
        Err(e @ &SignInError::ClockSkew { kdc_time }) => {
            let mut extra = vec![asked, format!("Kerberos: {e}")];
            if let Some(t) = kdc_time {
                extra.push(format!(
                    "the KDC's time: {} ({} from this computer's)",
                    httpdate::fmt_http_date(t),
                    relative(t, now)
                ));
            }
            with_lines(
                Finding::new(
                    Cause::ClockSkew,
                    Confidence::High,
                    "This computer's clock differs from your company's sign-in server by more \
                     than Kerberos allows (5 minutes), so no ticket for this site can be had: \
                     set the clock right.",
                    [Action::FixClock, Action::Retry],
                ),
                &extra,
            )
        }
        Err(SignInError::LibraryMissing { library }) => {
            lines.push(format!(
                "Kerberos libraries are not installed: {library} (fix401 cannot try your ticket)"
            ));
            return (Vec::new(), lines);
        }
        Err(e @ &SignInError::Other(_)) => {
            lines.push(format!("{asked}; Kerberos: {e}"));
            return (Vec::new(), lines);
        }
    };
    (vec![finding], Vec::new())
}

/// Adds the sign-in findings of `s` to `findings`: they replace the generic 401 finding
/// (`credentials.missing`), taking its evidence lines; a cause already found (clock skew
/// from the server's Date) gets the sign-in's lines instead of a second finding. Lines
/// without a cause of their own go on the 401's finding.
pub fn merge(findings: &mut Vec<Finding>, s: &SignIn, now: i64) {
    let (new, lines) = self::findings(s, now);
    let missing = findings
        .iter()
        .position(|f| f.cause == Cause::CredentialsMissing);
    if new.is_empty() {
        if let Some(f) = findings.get_mut(missing.unwrap_or(0)) {
            f.evidence.extend(lines);
        }
        return;
    }
    // Every sign-in finding says why the login was missing: the generic one goes.
    let mut carried = missing
        .map(|i| findings.remove(i).evidence)
        .unwrap_or_default();
    for mut f in new {
        // The 401 itself first, then what the ticket showed.
        let own = std::mem::take(&mut f.evidence);
        f.evidence = std::mem::take(&mut carried);
        for l in own {
            if !f.evidence.contains(&l) {
                f.evidence.push(l);
            }
        }
        match findings.iter_mut().find(|g| g.cause == f.cause) {
            Some(same) => same.evidence.extend(f.evidence),
            None => findings.push(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiate::TgtTimes;

    const NOW: i64 = 1_800_000_000;

    fn at(secs: i64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs((NOW + secs) as u64)
    }

    fn sign_in(end: i64, token: Result<(), SignInError>, status: Option<u16>) -> SignIn {
        let times = TgtTimes {
            start: at(-3600),
            end: at(end),
            renew_until: Some(at(86_400)),
        };
        SignIn::sample(times, token, status)
    }

    fn missing() -> Finding {
        Finding::new(
            Cause::CredentialsMissing,
            Confidence::High,
            "This page needs you to sign in, and no login was sent.",
            [Action::CheckCredentials],
        )
        .with_evidence("GET http://localhost/ → HTTP 401")
    }

    fn merged(s: &SignIn) -> Vec<Finding> {
        let mut f = vec![missing()];
        merge(&mut f, s, NOW);
        f
    }

    fn browser(
        label: (&str, Option<&str>),
        setting: &'static str,
        sends: Option<bool>,
    ) -> BrowserSignIn {
        BrowserSignIn {
            browser_id: label.0.to_lowercase(),
            browser_name: label.0.into(),
            family: if setting == crate::negotiate::browser_prefs::CHROMIUM_ALLOWLIST {
                crate::browsers::Family::Chromium
            } else {
                crate::browsers::Family::Firefox
            },
            profile: label.1.map(str::to_string),
            profile_dir: None,
            setting,
            value: sends.map(|_| "intra.test".to_string()),
            source: Source::Default,
            sends,
            delegates: false,
            admin_locations: Vec::new(),
        }
    }

    #[test]
    fn the_finding_names_each_browser_that_will_not_send_the_ticket_and_the_setting() {
        use crate::negotiate::browser_prefs::{CHROMIUM_ALLOWLIST, FIREFOX_TRUSTED_URIS};
        let mut s = sign_in(3600, Ok(()), Some(200));
        s.browsers = vec![
            browser(("Firefox", Some("work")), FIREFOX_TRUSTED_URIS, Some(false)),
            browser(("Chromium", None), CHROMIUM_ALLOWLIST, Some(false)),
            browser(("Firefox", Some("home")), FIREFOX_TRUSTED_URIS, Some(true)),
        ];
        let f = merged(&s);
        assert_eq!(f[0].cause, Cause::NegotiateBrowserNotAllowed);
        assert_eq!(
            f[0].summary,
            "fix401 signed in as user@EXAMPLE.TEST with your ticket, but Firefox (work) and \
             Chromium will not send it to localhost: localhost is not in their \
             network.negotiate-auth.trusted-uris and AuthServerAllowlist. Firefox (home) would \
             send it."
        );
        assert_eq!(f[0].actions, [Action::AllowNegotiate]);
        let ev = f[0].evidence.join("\n");
        assert!(
            ev.contains(
                "Firefox (work): network.negotiate-auth.trusted-uris = \"intra.test\" → sends no \
                 ticket to localhost"
            ),
            "{ev}"
        );
        // Every browser already sends it: not the allowlist, so a restart, said as unlikely.
        s.browsers.truncate(0);
        s.browsers.push(browser(
            ("Firefox", Some("home")),
            FIREFOX_TRUSTED_URIS,
            Some(true),
        ));
        let f = merged(&s);
        assert_eq!(f[0].confidence, Confidence::Low);
        assert_eq!(f[0].actions, [Action::RestartBrowser]);
        // Windows' Intranet zone: cannot tell, said so.
        s.browsers = vec![browser(("Chrome", None), CHROMIUM_ALLOWLIST, None)];
        let f = merged(&s);
        assert!(
            f[0].summary.contains("whether Chrome sends it"),
            "{}",
            f[0].summary
        );
    }

    #[test]
    fn the_page_works_for_the_user_only_when_every_browser_found_sends_the_ticket() {
        use crate::negotiate::browser_prefs::{CHROMIUM_ALLOWLIST, FIREFOX_TRUSTED_URIS};
        let mut s = sign_in(3600, Ok(()), Some(200));
        assert_eq!(works_for(&s), None, "no browser found: not known");
        s.browsers = vec![
            browser(("Firefox", Some("work")), FIREFOX_TRUSTED_URIS, Some(true)),
            browser(("Chromium", None), CHROMIUM_ALLOWLIST, Some(true)),
        ];
        assert_eq!(works_for(&s), Some("user@EXAMPLE.TEST"));
        s.browsers[1].sends = None;
        assert_eq!(works_for(&s), None, "one may not send it");
        s.browsers[1].sends = Some(false);
        assert_eq!(works_for(&s), None, "one will not send it");
        s.browsers[1].sends = Some(true);
        s.status = Some(401);
        assert_eq!(works_for(&s), None, "the ticket did not get in");
    }

    #[test]
    fn a_ticket_that_works_here_blames_the_browser_and_names_the_user() {
        let f = merged(&sign_in(3600, Ok(()), Some(200)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].cause, Cause::NegotiateBrowserNotAllowed);
        assert!(f[0].summary.contains("signed in as user@EXAMPLE.TEST"));
        assert_eq!(f[0].actions[0], Action::AllowNegotiate);
        assert!(
            f[0].evidence
                .contains(&"GET http://localhost/ → HTTP 401".to_string())
        );
    }

    #[test]
    fn an_ended_ticket_says_when_and_until_when_it_renews() {
        let f = merged(&sign_in(-600, Err(SignInError::NoTicket), None));
        assert_eq!(f[0].cause, Cause::KerberosTicketExpired);
        assert!(
            f[0].summary.contains("ended 10 minutes ago"),
            "{}",
            f[0].summary
        );
        assert!(f[0].summary.contains("renewed (kinit -R)"));
        assert_eq!(f[0].actions, [Action::RenewTicket]);
    }

    #[test]
    fn each_error_class_has_its_cause() {
        let cases = [
            (SignInError::NoTicket, Cause::KerberosNoTicket),
            (SignInError::KdcUnreachable, Cause::KerberosKdcUnreachable),
            (
                SignInError::NoServicePrincipal,
                Cause::KerberosNoServicePrincipal,
            ),
            (
                SignInError::ClockSkew {
                    kdc_time: Some(at(-900)),
                },
                Cause::ClockSkew,
            ),
        ];
        for (err, cause) in cases {
            let f = merged(&sign_in(3600, Err(err), None));
            assert_eq!(f[0].cause, cause);
            assert!(
                f.iter().all(|f| f.cause != Cause::CredentialsMissing),
                "{f:#?}"
            );
        }
        let mut ip = sign_in(3600, Err(SignInError::NoServicePrincipal), None);
        ip.host = "127.0.0.1".into();
        let f = merged(&ip);
        assert!(
            f[0].summary.contains("IP address 127.0.0.1"),
            "{}",
            f[0].summary
        );
        assert_eq!(f[0].actions, [Action::ContactSiteOwner]);
    }

    #[test]
    fn a_missing_library_is_an_evidence_line_not_a_cause() {
        let f = merged(&sign_in(
            3600,
            Err(SignInError::LibraryMissing {
                library: "libgssapi_krb5.so.2".into(),
            }),
            None,
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cause, Cause::CredentialsMissing);
        assert!(
            f[0].evidence
                .iter()
                .any(|l| l.starts_with("Kerberos libraries are not installed: libgssapi_krb5"))
        );
    }

    #[test]
    fn ntlm_alone_is_ntlm_only() {
        let mut s = sign_in(3600, Ok(()), None);
        s.mechanism = Mechanism::Ntlm;
        s.offered = vec!["NTLM".into()];
        s.cache = None;
        s.token = None;
        let f = merged(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cause, Cause::NtlmOnly);
        s.offered.push("Basic".into());
        assert_eq!(merged(&s)[0].cause, Cause::CredentialsMissing);
    }
}
