//! The report model and its JSON form; one renderer per other format: [`Report::to_text`]
//! (`text.rs`), [`Report::to_markdown`] (`markdown.rs`), [`Report::to_html`] (`html.rs`).
//!
//! A [`Report`] is built once from the evidence and the findings. Secrets never reach it:
//! they are removed by field where they enter the evidence (see [`redact`], the one secret
//! list and its field redactors), so the report only copies what it is given and every
//! output form renders that one model. No text is searched for secrets here.

mod html;
mod markdown;
mod text;

use crate::redact;

use serde::Serialize;

use crate::challenge;
use crate::diagnosis::{Outcome, Stage, outcome};
use crate::model::{Cause, Confidence, Finding, Verdict};
use crate::probe::Evidence;
use crate::target::{Invalid, Lint, Target};

/// One redirect of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Redirect {
    /// The URL requested.
    pub url: String,
    /// Its status.
    pub status: Option<u16>,
    /// Where it pointed.
    pub location: Option<String>,
}

/// Phase durations in milliseconds (`null` for a phase that did not run): the probe's
/// [`crate::probe::Timings`] as the report's JSON gives them (`Default`: no probe ran).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimingsMs {
    /// Name resolution.
    pub dns: Option<f64>,
    /// TCP connect (and proxy tunnel).
    pub connect: Option<f64>,
    /// TLS handshake.
    pub tls: Option<f64>,
    /// Server think time: request sent → response headers.
    pub first_byte: Option<f64>,
    /// The whole re-test.
    pub total: f64,
}

impl From<&crate::probe::Timings> for TimingsMs {
    fn from(t: &crate::probe::Timings) -> Self {
        TimingsMs {
            dns: ms(t.dns),
            connect: ms(t.connect),
            tls: ms(t.tls),
            first_byte: ms(t.first_byte),
            total: ms(Some(t.total)).unwrap_or_default(),
        }
    }
}

/// The challenges of one header field of the final response.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengeReport {
    /// `www-authenticate` or `proxy-authenticate`.
    pub header: String,
    /// The field lines as received (redacted, invalid UTF-8 replaced).
    pub lines: Vec<String>,
    /// The parse.
    pub parsed: challenge::Parsed,
    /// Plain explanations.
    pub explanations: Vec<String>,
}

/// One response header (redacted).
#[derive(Debug, Clone, Serialize)]
pub struct HeaderLine {
    /// Lower-case name.
    pub name: String,
    /// Redacted value.
    pub value: String,
}

/// The result of a diagnosis: what the person sees and what a technician reads.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The URL tested (redacted), or the input when it is unusable.
    pub url: String,
    /// The last URL requested (redacted).
    pub final_url: String,
    /// The last status received (`null` when no answer came).
    pub status: Option<u16>,
    /// The status with its reason phrase ("401 Unauthorized"), `null` when no answer came.
    pub status_text: Option<String>,
    /// A short stable id: `ok`, `invalid_url`, `unauthorized`, `forbidden`,
    /// `proxy_auth_required`, `proxy_unreachable`, `proxy_blocked`, `proxy_pac_error`,
    /// `not_found`, `server_error`, `redirect_loop`, `too_many_redirects`, `tls_error`,
    /// `dns_failure`, `unreachable`, `failing`.
    pub verdict: Verdict,
    /// One plain sentence for a non-technical person (the same as `outcome.headline`).
    pub headline: String,
    /// What every face shows first: verdict words, headline, first action (see
    /// [`crate::diagnosis::outcome`]).
    pub outcome: Outcome,
    /// Remarks about the URL as typed.
    pub url_notes: Vec<Lint>,
    /// Every request that was redirected, then the last one.
    pub redirects: Vec<Redirect>,
    /// Phase durations.
    pub timings_ms: TimingsMs,
    /// Addresses the host resolved to.
    pub resolved: Vec<String>,
    /// The proxy used, if any.
    pub proxy: Option<String>,
    /// Which credentials were supplied (`basic`, `bearer`, `cookie`), never their values.
    pub credentials_supplied: Vec<&'static str>,
    /// Parsed challenges of the final response.
    pub challenges: Vec<ChallengeReport>,
    /// Headers of the final response (redacted).
    pub headers: Vec<HeaderLine>,
    /// TLS facts.
    pub tls: Vec<String>,
    /// Findings, most important first.
    pub findings: Vec<Finding>,
    /// Why clearing the site's data cannot help, when the evidence rules it out (a 5xx, no
    /// connection, no name…): the faces then offer no clear.
    pub site_data_ruled_out: Option<String>,
    /// Each distinct route the URL was re-tested on (fix401's own first), with the browser
    /// profiles that take it and what it got.
    pub routes: Vec<crate::route::RouteProbe>,
    /// Each browser profile's route for this URL, and how it was decided.
    pub browser_routes: Vec<crate::route::BrowserRoute>,
    /// When the page works from here and no browser holds anything for the site: what was
    /// tested and what still differs from the browser (instead of a `site_data.stale`
    /// finding, which has no evidence then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub works_from_here: Option<crate::diagnosis::WorksFromHere>,
    /// What signing in with the person's own Kerberos ticket showed (mechanism, credential
    /// cache, outcome: who signed in or the error class), when the site offers Negotiate,
    /// Kerberos or only NTLM. Never a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<crate::negotiate::SignIn>,
    /// When the test ran (HTTP date, UTC), so a ticket says when it was true.
    pub tested_at: String,
    /// The fix401 version.
    pub fix401_version: &'static str,
}

fn ms(d: Option<std::time::Duration>) -> Option<f64> {
    d.map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0)
}

impl Report {
    /// The status as people read it: "401 Unauthorized", or "no answer".
    fn status_shown(&self) -> &str {
        self.status_text.as_deref().unwrap_or("no answer")
    }

    /// The report for a URL that cannot be used (`url.invalid`).
    pub fn invalid(input: &str, invalid: &Invalid) -> Report {
        // The input is the one field a password could still be in: it is shown redacted.
        let shown = redact::url_str(input.trim());
        let mut f = Finding::new(
            Cause::UrlInvalid,
            Confidence::High,
            format!("This is not a usable web address: {}.", invalid.reason),
            [crate::model::Action::FixUrl],
        )
        .with_evidence(format!("input: {shown:?}"));
        if let Some(s) = &invalid.suggestion {
            f = f.with_evidence(format!("did you mean: {}", redact::url_str(s)));
        }
        let outcome = outcome(
            std::slice::from_ref(&f),
            Stage::Checked(Verdict::InvalidUrl),
        );
        Report {
            url: shown.clone(),
            final_url: shown,
            status: None,
            status_text: None,
            verdict: Verdict::InvalidUrl,
            headline: outcome.headline.clone(),
            outcome,
            url_notes: Vec::new(),
            redirects: Vec::new(),
            timings_ms: TimingsMs::default(),
            resolved: Vec::new(),
            proxy: None,
            credentials_supplied: Vec::new(),
            challenges: Vec::new(),
            headers: Vec::new(),
            tls: Vec::new(),
            site_data_ruled_out: crate::diagnosis::site_data_exonerated(
                None,
                std::slice::from_ref(&f),
            ),
            findings: vec![f],
            routes: Vec::new(),
            browser_routes: Vec::new(),
            works_from_here: None,
            sign_in: None,
            tested_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
            fix401_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The report of a probe. The evidence is already redacted (the probe redacts each
    /// header and URL as it records it); the target's URL, kept whole for probing, is
    /// redacted here as it is copied.
    pub fn build(target: &Target, ev: &Evidence, findings: Vec<Finding>) -> Report {
        let last = ev.hops.last();
        let status = last.and_then(|h| h.status);
        let verdict = verdict(&findings, status);
        let outcome = outcome(&findings, Stage::Checked(verdict));
        let mut challenges = Vec::new();
        let mut headers = Vec::new();
        if let Some(h) = ev.last_answer() {
            for (name, proxy) in [("www-authenticate", false), ("proxy-authenticate", true)] {
                let lines = h.header_values(name);
                if lines.is_empty() {
                    continue;
                }
                let parsed = challenge::parse(&lines);
                let explanations = challenge::explain(&parsed, proxy);
                challenges.push(ChallengeReport {
                    header: name.to_string(),
                    lines: lines
                        .iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect(),
                    parsed: truncate_parsed(parsed),
                    explanations,
                });
            }
            headers = h
                .headers
                .iter()
                .map(|hd| HeaderLine {
                    name: hd.name.clone(),
                    // A 1 MiB header would drown the report; the start is what matters.
                    value: truncate(&hd.text(), 4096),
                })
                .collect();
        }
        let redirects = ev
            .hops
            .iter()
            .map(|h| Redirect {
                url: h.url.to_string(),
                status: h.status,
                location: h.location.clone(),
            })
            .collect();
        Report {
            url: redact::url(&target.url).to_string(),
            final_url: last
                .map(|h| h.url.to_string())
                .unwrap_or_else(|| redact::url(&target.url).to_string()),
            status,
            status_text: status.map(status_text),
            verdict,
            headline: outcome.headline.clone(),
            outcome,
            url_notes: target.lints.clone(),
            redirects,
            timings_ms: TimingsMs::from(&ev.timings),
            resolved: ev.resolved.iter().map(|ip| ip.to_string()).collect(),
            proxy: ev.proxy.clone(),
            credentials_supplied: ev.credentials_supplied.clone(),
            challenges,
            headers,
            tls: ev.tls_details.clone(),
            site_data_ruled_out: crate::diagnosis::site_data_exonerated(status, &findings),
            findings: findings
                .into_iter()
                .map(|mut f| {
                    f.evidence = f.evidence.iter().map(|e| truncate(e, 4096)).collect();
                    f
                })
                .collect(),
            routes: Vec::new(),
            browser_routes: Vec::new(),
            works_from_here: None,
            sign_in: None,
            tested_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
            fix401_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Adds the browsers' routes and their re-tests. When the page works on fix401's own
    /// route but not on a browser's, the verdict and headline say so: the browser would
    /// not get the page.
    pub fn with_routes(
        mut self,
        browsers: Vec<crate::route::BrowserRoute>,
        probes: Vec<crate::route::RouteProbe>,
    ) -> Report {
        self.browser_routes = browsers;
        self.routes = probes;
        if self.verdict == Verdict::Ok
            && let Some(f) = self
                .findings
                .iter()
                .find(|f| crate::diagnosis::is_proxy_cause(f.cause))
        {
            self.verdict = proxy_verdict(f.cause);
            self.headline = f.summary.clone();
        }
        self
    }

    /// Adds the "works from here" note (what was tested, what still differs). Its action
    /// (`restart-browser` after an accepted login) leads when no finding does.
    pub fn with_works_from_here(mut self, note: Option<crate::diagnosis::WorksFromHere>) -> Report {
        if let Some(n) = &note {
            self.outcome = self.outcome.offering(n.actions.first().copied());
        }
        self.works_from_here = note;
        self
    }

    /// Adds the sign-in facts (the JSON `sign_in` object). When the plain re-test was
    /// refused (401) but the person's own ticket got in and every browser found is set to send
    /// it ([`crate::diagnosis::signin::works_for`]), the page works for this person: the
    /// verdict is `ok`, said by [`crate::diagnosis::outcome::signed_in`].
    pub fn with_sign_in(mut self, sign_in: Option<crate::negotiate::SignIn>) -> Report {
        if self.verdict == Verdict::Unauthorized
            && let Some(who) = sign_in
                .as_ref()
                .and_then(crate::diagnosis::signin::works_for)
        {
            self.verdict = Verdict::Ok;
            self.outcome = crate::diagnosis::outcome::signed_in(&self.findings, who);
            self.headline = self.outcome.headline.clone();
        }
        self.sign_in = sign_in;
        self
    }

    /// One line per route (`direct`, `proxy 127.0.0.1:3128`): what it got and who takes it;
    /// then one per browser profile: its setting, where it was read, its route.
    fn route_rows(&self) -> (Vec<[String; 3]>, Vec<[String; 3]>) {
        let routes = self
            .routes
            .iter()
            .map(|r| {
                let mut who = r.browsers.join(", ");
                if r.main {
                    who = if who.is_empty() {
                        "fix401's re-test".into()
                    } else {
                        format!("fix401's re-test, {who}")
                    };
                }
                [r.route.describe(), r.outcome.clone(), who]
            })
            .collect();
        let browsers = self
            .browser_routes
            .iter()
            .map(|b| {
                let mut how = format!("{} ({})", b.setting, b.source);
                for h in &b.how {
                    how.push_str(&format!("; {h}"));
                }
                if let Some(p) = &b.pac_error {
                    how.push_str(&format!("; PAC error: {}", p.message));
                }
                if let Some(d) = &b.doh {
                    how.push_str(&format!(
                        "; DNS over HTTPS: {}{}",
                        d.mode,
                        d.uri
                            .as_deref()
                            .map(|u| format!(" ({u})"))
                            .unwrap_or_default()
                    ));
                }
                [b.label.clone(), b.route.describe(), how]
            })
            .collect();
        (routes, browsers)
    }

    /// 0 when the URL works, 2 when it is not a usable URL, 1 when it still fails.
    pub fn exit_code(&self) -> i32 {
        self.verdict.exit_code()
    }

    /// The timing phases in one line ("dns 0.1 ms, connect 0.2 ms, total 1.0 ms"), shared by
    /// every format.
    fn timings_line(&self) -> String {
        let t = &self.timings_ms;
        let mut parts = Vec::new();
        for (name, v) in [
            ("dns", t.dns),
            ("connect", t.connect),
            ("tls", t.tls),
            ("first byte", t.first_byte),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name} {v:.1} ms"));
            }
        }
        parts.push(format!("total {:.1} ms", t.total));
        parts.join(", ")
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!(
                "{{\"error\":{{\"code\":\"internal\",\"message\":\"cannot encode report: {e}\"}}}}"
            )
        })
    }
}

fn proxy_verdict(c: Cause) -> Verdict {
    match c {
        Cause::ProxyAuthRequired => Verdict::ProxyAuthRequired,
        Cause::ProxyUnreachable => Verdict::ProxyUnreachable,
        Cause::ProxyBlocked => Verdict::ProxyBlocked,
        _ => Verdict::ProxyPacError,
    }
}

fn verdict(findings: &[Finding], status: Option<u16>) -> Verdict {
    let has = |c: Cause| findings.iter().any(|f| f.cause == c);
    if has(Cause::RedirectLoop) {
        return Verdict::RedirectLoop;
    }
    if has(Cause::RedirectTooMany) {
        return Verdict::TooManyRedirects;
    }
    match status {
        Some(200..=299) => Verdict::Ok,
        Some(401) => Verdict::Unauthorized,
        Some(403) => Verdict::Forbidden,
        Some(407) => Verdict::ProxyAuthRequired,
        Some(404) | Some(410) => Verdict::NotFound,
        Some(500..=599) => Verdict::ServerError,
        Some(_) => Verdict::Failing,
        None => {
            if has(Cause::TlsCertificate) {
                Verdict::TlsError
            } else if has(Cause::DnsFailure) {
                Verdict::DnsFailure
            } else if has(Cause::NetworkUnreachable) {
                Verdict::Unreachable
            } else if has(Cause::ProxyUnreachable) {
                Verdict::ProxyUnreachable
            } else {
                Verdict::Failing
            }
        }
    }
}

/// The parse with every parameter value cut to 4 KiB (a huge challenge would drown the report).
fn truncate_parsed(mut p: challenge::Parsed) -> challenge::Parsed {
    for c in &mut p.challenges {
        for param in &mut c.params {
            param.value = truncate(&param.value, 4096);
        }
    }
    p
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

fn conf_id(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high confidence",
        Confidence::Medium => "medium confidence",
        Confidence::Low => "low confidence",
    }
}

fn header_title(h: &str) -> &'static str {
    if h == "proxy-authenticate" {
        "Proxy-Authenticate"
    } else {
        "WWW-Authenticate"
    }
}

fn status_text(s: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(s)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("");
    format!("{s} {reason}").trim().to_string()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Header, Hop, Timings};
    use url::Url;

    fn evidence(hop_url: &str, headers: &[(&str, &[u8])]) -> Evidence {
        Evidence {
            hops: vec![Hop {
                url: Url::parse(hop_url).unwrap(),
                status: Some(401),
                location: None,
                headers: headers
                    .iter()
                    .map(|(n, v)| Header {
                        name: n.to_string(),
                        value: v.to_vec(),
                    })
                    .collect(),
                credentials_sent: vec!["basic"],
                credentials_withheld: false,
                from_proxy: false,
                body: Vec::new(),
                body_truncated: false,
                version: None,
                received_at: None,
                started_at: None,
                request_headers: Vec::new(),
                timings: Default::default(),
                remote: None,
            }],
            failure: None,
            redirect_problem: None,
            resolved: Vec::new(),
            connected: None,
            timings: Timings::default(),
            tls_details: Vec::new(),
            proxy: None,
            proxy_source: None,
            proxy_failed: false,
            credentials_supplied: vec!["password"],
        }
    }

    #[test]
    fn the_target_url_is_redacted_as_it_is_copied() {
        let target =
            Target::parse("https://a.test/cb?access_token=abc&page=2#id_token=xyz").unwrap();
        let ev = evidence("https://a.test/cb?access_token=REDACTED&page=2", &[]);
        let r = Report::build(&target, &ev, Vec::new());
        assert_eq!(
            r.url,
            "https://a.test/cb?access_token=REDACTED&page=2#id_token=REDACTED"
        );
        assert!(!r.to_json().contains("abc") && !r.to_json().contains("xyz"));
    }

    #[test]
    fn prose_is_never_searched_for_secrets() {
        // The words of the report and the server's headers come through whole, whatever
        // the password was: secrets are removed by field, never by matching text.
        let target = Target::parse("http://127.0.0.1:9/").unwrap();
        let ev = evidence(
            "http://127.0.0.1:9/",
            &[
                ("www-authenticate", b"Basic realm=\"the 401 or e\""),
                ("x-note", b"is the"),
            ],
        );
        let f = Finding::new(
            Cause::CredentialsRejected,
            Confidence::High,
            "the user name, password or token is wrong or no longer valid",
            [crate::model::Action::CheckCredentials],
        )
        .with_evidence("GET http://127.0.0.1:9/ → HTTP 401");
        let r = Report::build(&target, &ev, vec![f]);
        let text = r.to_text(false);
        assert!(text.contains("the user name, password or token is wrong or no longer valid"));
        assert!(text.contains("Basic realm=\"the 401 or e\""), "{text}");
        assert!(r.to_markdown().contains("x-note: is the"));
        assert_eq!(r.status_text.as_deref(), Some("401 Unauthorized"));
    }

    #[test]
    fn an_unusable_input_is_shown_without_its_password() {
        let input = "htp//bob:hunter2@a.test/?token=t0k";
        let invalid = Target::parse(input).err().unwrap_or(Invalid {
            reason: "x".into(),
            suggestion: Some("https://a.test/?token=t0k".into()),
        });
        let r = Report::invalid(input, &invalid);
        for out in [r.to_json(), r.to_text(false), r.to_markdown(), r.to_html()] {
            assert!(!out.contains("hunter2") && !out.contains("t0k"), "{out}");
        }
    }

    #[test]
    fn every_cause_heads_every_face_with_the_same_words() {
        use crate::diagnosis::outcome::{cause_words, sample, step};
        let target = Target::parse("http://127.0.0.1:9/").unwrap();
        for cause in Cause::ALL {
            // A finding with the cause's first repair and an advice, as the diagnosis makes.
            let f = sample(
                cause,
                &[
                    crate::model::Action::Retry,
                    crate::model::Action::ContactSiteOwner,
                    crate::model::Action::FlushDns,
                ],
            );
            let other = sample(Cause::SiteWordpress, &[]);
            let mut ev = evidence("http://127.0.0.1:9/", &[]);
            ev.hops[0].status = Some(500);
            let r = Report::build(&target, &ev, vec![f.clone(), other]);
            let o = &r.outcome;
            assert_eq!(o.cause, Some(cause), "{cause}: the top finding leads");
            assert_eq!(r.headline, f.summary, "{cause}");
            assert_eq!(o.headline, r.headline, "{cause}");
            assert_eq!(o.verdict, r.verdict, "{cause}");
            assert_eq!(o.verdict_words, cause_words(cause), "{cause}");
            assert_eq!(
                o.first_action,
                Some(crate::model::Action::FlushDns),
                "{cause}: a repair fix401 performs leads over advice"
            );
            let first_step = step(crate::model::Action::FlushDns);

            let text = r.to_text(false);
            assert_eq!(text.lines().next(), Some(r.headline.as_str()), "{cause}");
            assert!(text.contains(first_step) && text.contains(&o.verdict_words));
            let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            assert_eq!(json["headline"], r.headline.as_str(), "{cause}");
            assert_eq!(json["outcome"]["headline"], r.headline.as_str());
            assert_eq!(json["outcome"]["verdict_words"], o.verdict_words.as_str());
            assert_eq!(json["outcome"]["first_action"], "flush-dns");
            assert_eq!(json["outcome"]["cause"], cause.id());
            let markdown = r.to_markdown();
            assert!(
                markdown.contains(&format!("**{}**", md(&r.headline))),
                "{cause}"
            );
            assert!(markdown.contains(&o.verdict_words) && markdown.contains(first_step));
            let html = r.to_html();
            assert!(
                html.contains(&format!("<p class=\"headline\">{}</p>", esc(&r.headline))),
                "{cause}"
            );
            assert!(html.contains(&esc(&o.verdict_words)) && html.contains(&esc(first_step)));
        }
    }

    #[test]
    fn an_unusable_address_heads_with_its_own_words() {
        let invalid = Target::parse("http://").expect_err("unusable");
        let r = Report::invalid("http://", &invalid);
        assert_eq!(r.outcome.verdict_words, "This address cannot be used");
        assert_eq!(r.headline, r.findings[0].summary);
        assert_eq!(r.outcome.first_action, Some(crate::model::Action::FixUrl));
        assert!(r.to_text(false).starts_with(&r.headline));
    }

    #[test]
    fn credentials_never_print() {
        let creds = crate::probe::Credentials {
            user: Some("alice".into()),
            password: Some("correct horse".into()),
            bearer: None,
            cookie: Some("sid=abc123; theme=dark".into()),
        };
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("horse") && !shown.contains("abc123"),
            "{shown}"
        );
    }
}
