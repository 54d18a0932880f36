//! The report model, redaction, and its text / Markdown / HTML / JSON forms.
//!
//! A [`Report`] is built once from the evidence and the findings, with every secret already
//! redacted (passwords, tokens, cookie values, `Authorization` headers, userinfo, query
//! parameters named like token/key/secret/password/sig/code). Every output form renders
//! that one redacted model, so no form can leak what another hides.

use std::fmt::Write as _;

use serde::Serialize;
use url::Url;

use crate::challenge;
use crate::diagnosis::{Cause, Confidence, Finding};
use crate::probe::{Credentials, Evidence};
use crate::target::{Invalid, Lint, Target};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Query parameter names (lower-case substrings) whose values are secrets.
const SECRET_PARAMS: [&str; 12] = [
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "sig",
    "code",
    "auth",
    "session",
    "jwt",
    "credential",
    "ticket",
];

/// Removes secrets from text, URLs and headers.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor that also hides every string of `creds`.
    pub fn new(creds: &Credentials) -> Redactor {
        let mut secrets = creds.secrets();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// Text with every known secret replaced.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// A URL without userinfo and with secret-looking query values replaced.
    pub fn url(&self, url: &Url) -> String {
        let mut u = url.clone();
        if !u.username().is_empty() || u.password().is_some() {
            let _ = u.set_username("");
            let _ = u.set_password(None);
        }
        if u.query().is_some() {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let lk = k.to_ascii_lowercase();
                    if SECRET_PARAMS.iter().any(|p| lk.contains(p)) {
                        // Brackets would be percent-encoded inside a query.
                        (k.into_owned(), "REDACTED".to_string())
                    } else {
                        (k.into_owned(), v.into_owned())
                    }
                })
                .collect();
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.text(u.as_str())
    }

    /// Like [`Redactor::url`] for text that may not parse as a URL.
    pub fn url_str(&self, s: &str) -> String {
        match Url::parse(s) {
            Ok(u) => self.url(&u),
            Err(_) => {
                // Cut any "user:pass@" out by hand.
                let t = match (s.find("://"), s.find('@')) {
                    (Some(i), Some(at)) if at > i && !s[i + 3..at].contains('/') => {
                        format!("{}{}", &s[..i + 3], &s[at + 1..])
                    }
                    (None, Some(at)) if !s[..at].contains('/') && s[..at].contains(':') => {
                        s[at + 1..].to_string()
                    }
                    _ => s.to_string(),
                };
                self.text(&t)
            }
        }
    }

    /// A response header value, redacted by name and by content.
    pub fn header(&self, name: &str, value: &[u8]) -> String {
        let text = String::from_utf8_lossy(value);
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "proxy-authorization" => REDACTED.to_string(),
            "set-cookie" => {
                let mut parts = text.splitn(2, ';');
                let first = parts.next().unwrap_or_default();
                let attrs = parts.next().map(|a| format!(";{a}")).unwrap_or_default();
                let name = first.split('=').next().unwrap_or_default().trim();
                self.text(&format!("{name}={REDACTED}{attrs}"))
            }
            "cookie" => text
                .split(';')
                .map(|p| {
                    format!(
                        "{}={REDACTED}",
                        p.split('=').next().unwrap_or_default().trim()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            "location" | "content-location" | "refresh" | "link" => {
                if let Ok(u) = Url::parse(text.trim()) {
                    self.url(&u)
                } else {
                    self.text(&text)
                }
            }
            _ => self.text(&text),
        }
    }
}

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

/// Phase durations in milliseconds (`null` for a phase that did not run).
#[derive(Debug, Clone, Serialize)]
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
    /// `proxy_auth_required`, `not_found`, `server_error`, `redirect_loop`,
    /// `too_many_redirects`, `tls_error`, `dns_failure`, `unreachable`, `failing`.
    pub verdict: &'static str,
    /// One plain sentence for a non-technical person.
    pub headline: String,
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
    pub fn invalid(input: &str, invalid: &Invalid, r: &Redactor) -> Report {
        let shown = r.url_str(input.trim());
        let mut f = Finding::new(
            Cause::UrlInvalid,
            Confidence::High,
            format!(
                "This is not a usable web address: {}.",
                r.text(&invalid.reason)
            ),
            [crate::diagnosis::Action::FixUrl],
        )
        .with_evidence(format!("input: {shown:?}"));
        if let Some(s) = &invalid.suggestion {
            f = f.with_evidence(format!("did you mean: {}", r.url_str(s)));
        }
        Report {
            url: shown.clone(),
            final_url: shown,
            status: None,
            status_text: None,
            verdict: "invalid_url",
            headline: f.summary.clone(),
            url_notes: Vec::new(),
            redirects: Vec::new(),
            timings_ms: TimingsMs {
                dns: None,
                connect: None,
                tls: None,
                first_byte: None,
                total: 0.0,
            },
            resolved: Vec::new(),
            proxy: None,
            credentials_supplied: Vec::new(),
            challenges: Vec::new(),
            headers: Vec::new(),
            tls: Vec::new(),
            findings: vec![f],
            tested_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
            fix401_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The report of a probe.
    pub fn build(target: &Target, ev: &Evidence, findings: Vec<Finding>, r: &Redactor) -> Report {
        let last = ev.hops.last();
        let status = last.and_then(|h| h.status);
        let verdict = verdict(&findings, status);
        let headline = match findings.first() {
            Some(f) if verdict != "ok" || f.cause == Cause::SiteDataStale => f.summary.clone(),
            _ if verdict == "ok" => "The page works from here.".to_string(),
            _ => "The page does not load, and fix401 could not tell why.".to_string(),
        };
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
                    lines: lines.iter().map(|l| r.header(name, l)).collect(),
                    parsed: redact_parsed(parsed, r),
                    explanations: explanations.iter().map(|e| r.text(e)).collect(),
                });
            }
            headers = h
                .headers
                .iter()
                .map(|hd| HeaderLine {
                    name: hd.name.clone(),
                    // A 1 MiB header would drown the report; the start is what matters.
                    value: truncate(&r.header(&hd.name, &hd.value), 4096),
                })
                .collect();
        }
        let redirects = ev
            .hops
            .iter()
            .map(|h| Redirect {
                url: r.url(&h.url),
                status: h.status,
                location: h.location.as_deref().map(|l| r.url_str(l)),
            })
            .collect();
        Report {
            url: r.url(&target.url),
            final_url: last
                .map(|h| r.url(&h.url))
                .unwrap_or_else(|| r.url(&target.url)),
            status,
            status_text: status.map(status_text),
            verdict,
            headline: r.text(&headline),
            url_notes: target
                .lints
                .iter()
                .map(|l| Lint {
                    message: r.text(&l.message),
                    ..l.clone()
                })
                .collect(),
            redirects,
            timings_ms: TimingsMs {
                dns: ms(ev.timings.dns),
                connect: ms(ev.timings.connect),
                tls: ms(ev.timings.tls),
                first_byte: ms(ev.timings.first_byte),
                total: ms(Some(ev.timings.total)).unwrap_or_default(),
            },
            resolved: ev.resolved.iter().map(|ip| ip.to_string()).collect(),
            proxy: ev.proxy.clone(),
            credentials_supplied: ev.credentials_supplied.clone(),
            challenges,
            headers,
            tls: ev.tls_details.clone(),
            findings: findings
                .into_iter()
                .map(|mut f| {
                    f.summary = r.text(&f.summary);
                    f.evidence = f
                        .evidence
                        .iter()
                        .map(|e| truncate(&r.text(e), 4096))
                        .collect();
                    f
                })
                .collect(),
            tested_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
            fix401_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// 0 when the URL works, 2 when it is not a usable URL, 1 when it still fails.
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            "ok" => 0,
            "invalid_url" => 2,
            _ => 1,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!(
                "{{\"error\":{{\"code\":\"internal\",\"message\":\"cannot encode report: {e}\"}}}}"
            )
        })
    }

    /// Plain text for a terminal, coloured when `color`.
    pub fn to_text(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut o = String::new();
        let head_color = if self.verdict == "ok" { "1;32" } else { "1;31" };
        let _ = writeln!(o, "{}", paint(head_color, &self.headline));
        let _ = writeln!(o);
        let _ = writeln!(o, "URL:       {}", self.url);
        if self.final_url != self.url {
            let _ = writeln!(o, "Final URL: {}", self.final_url);
        }
        let _ = writeln!(
            o,
            "Status:    {}  (verdict: {})",
            self.status_shown(),
            self.verdict
        );
        if !self.resolved.is_empty() {
            let _ = writeln!(o, "Addresses: {}", self.resolved.join(", "));
        }
        if let Some(p) = &self.proxy {
            let _ = writeln!(o, "Proxy:     {p}");
        }
        let _ = writeln!(o, "Timings:   {}", self.timings_line());
        for n in &self.url_notes {
            let _ = writeln!(o, "Note:      {}", n.message);
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(o, "\nRedirects:");
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "  {} {}{}",
                    r.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "---".into()),
                    r.url,
                    r.location
                        .as_ref()
                        .map(|l| format!(" → {l}"))
                        .unwrap_or_default()
                );
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(o, "\nFindings:");
        }
        for f in &self.findings {
            let conf = conf_id(f.confidence);
            let _ = writeln!(
                o,
                "  {} {} ({conf})",
                paint("1", "•"),
                paint("1", f.cause.id())
            );
            let _ = writeln!(o, "    {}", f.summary);
            for e in &f.evidence {
                let _ = writeln!(o, "    {} {e}", paint("2", "│"));
            }
            if !f.actions.is_empty() {
                let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
                let _ = writeln!(o, "    actions: {}", ids.join(", "));
            }
        }
        for c in &self.challenges {
            let _ = writeln!(o, "\n{}:", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "  {}", truncate(l, 300));
            }
            for e in &c.explanations {
                let _ = writeln!(o, "  → {e}");
            }
        }
        o
    }

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

    /// Markdown for a ticket.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# fix401 diagnosis\n");
        let _ = writeln!(o, "**{}**\n", md(&self.headline));
        let _ = writeln!(o, "| | |\n|---|---|");
        let _ = writeln!(o, "| URL | `{}` |", md(&self.url));
        if self.final_url != self.url {
            let _ = writeln!(o, "| Final URL | `{}` |", md(&self.final_url));
        }
        let _ = writeln!(o, "| Tested | {} |", self.tested_at);
        let _ = writeln!(o, "| Status | {} |", self.status_shown());
        let _ = writeln!(o, "| Verdict | `{}` |", self.verdict);
        if !self.resolved.is_empty() {
            let _ = writeln!(o, "| Addresses | {} |", md(&self.resolved.join(", ")));
        }
        let _ = writeln!(o, "| Timings | {} |", self.timings_line());
        if let Some(p) = &self.proxy {
            let _ = writeln!(o, "| Proxy | `{}` |", md(p));
        }
        let _ = writeln!(o, "| fix401 | {} |", self.fix401_version);
        let _ = writeln!(o, "\n## Findings\n");
        for f in &self.findings {
            let _ = writeln!(
                o,
                "### `{}` ({})\n\n{}\n",
                f.cause.id(),
                conf_id(f.confidence),
                md(&f.summary)
            );
            for e in &f.evidence {
                let _ = writeln!(o, "- `{}`", e.replace('`', "'"));
            }
            let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "\nActions: {}\n", ids.join(", "));
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(
                o,
                "## Redirects\n\n| Status | URL | Location |\n|---|---|---|"
            );
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "| {} | `{}` | `{}` |",
                    r.status.map(|s| s.to_string()).unwrap_or_default(),
                    md(&r.url),
                    md(r.location.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(o);
        }
        for c in &self.challenges {
            let _ = writeln!(o, "## {}\n", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "    {}", truncate(l, 300));
            }
            let _ = writeln!(o);
            for e in &c.explanations {
                let _ = writeln!(o, "- {}", md(e));
            }
            let _ = writeln!(o);
        }
        if !self.headers.is_empty() {
            let _ = writeln!(o, "## Response headers\n\n```");
            for h in &self.headers {
                let _ = writeln!(
                    o,
                    "{}: {}",
                    h.name,
                    truncate(&h.value, 300).replace("```", "'''")
                );
            }
            let _ = writeln!(o, "```");
        }
        o
    }

    /// A self-contained HTML page (inline style, no scripts, no external resources).
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <title>fix401 diagnosis</title><style>\
             body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}}\
             h1{{font-size:1.6em}} .headline{{font-size:1.4em;font-weight:bold;color:{}}}\
             table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}\
             code,pre{{font-family:ui-monospace,monospace;font-size:.9em}} .ev{{color:#555}}\
             </style></head><body>\n",
            if self.verdict == "ok" {
                "#176f2c"
            } else {
                "#a4161a"
            }
        );
        let _ = writeln!(o, "<h1>fix401 diagnosis</h1>");
        let _ = writeln!(o, "<p class=\"headline\">{}</p>", esc(&self.headline));
        let _ = writeln!(o, "<table>");
        // Rows that would only repeat the URL or say nothing are left out.
        let final_url = (self.final_url != self.url).then(|| self.final_url.clone());
        let addresses = (!self.resolved.is_empty()).then(|| self.resolved.join(", "));
        for (k, v) in [
            ("URL", Some(self.url.clone())),
            ("Final URL", final_url),
            ("Tested", Some(self.tested_at.clone())),
            ("Status", Some(self.status_shown().to_string())),
            ("Verdict", Some(self.verdict.to_string())),
            ("Addresses", addresses),
            ("Timings", Some(self.timings_line())),
            ("Proxy", self.proxy.clone()),
            ("fix401", Some(self.fix401_version.to_string())),
        ] {
            let Some(v) = v else { continue };
            let _ = writeln!(o, "<tr><th>{k}</th><td><code>{}</code></td></tr>", esc(&v));
        }
        let _ = writeln!(o, "</table>\n<h2>Findings</h2>");
        for f in &self.findings {
            let _ = writeln!(
                o,
                "<h3><code>{}</code> ({})</h3><p>{}</p><ul class=\"ev\">",
                f.cause.id(),
                conf_id(f.confidence),
                esc(&f.summary)
            );
            for e in &f.evidence {
                let _ = writeln!(o, "<li><code>{}</code></li>", esc(e));
            }
            let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "</ul><p>Actions: {}</p>", esc(&ids.join(", ")));
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(
                o,
                "<h2>Redirects</h2><table><tr><th>Status</th><th>URL</th><th>Location</th></tr>"
            );
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    r.status.map(|s| s.to_string()).unwrap_or_default(),
                    esc(&r.url),
                    esc(r.location.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(o, "</table>");
        }
        for c in &self.challenges {
            let _ = writeln!(o, "<h2>{}</h2><pre>", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "{}", esc(&truncate(l, 300)));
            }
            let _ = writeln!(o, "</pre><ul>");
            for e in &c.explanations {
                let _ = writeln!(o, "<li>{}</li>", esc(e));
            }
            let _ = writeln!(o, "</ul>");
        }
        if !self.headers.is_empty() {
            let _ = writeln!(o, "<h2>Response headers</h2><pre>");
            for h in &self.headers {
                let _ = writeln!(o, "{}: {}", esc(&h.name), esc(&truncate(&h.value, 300)));
            }
            let _ = writeln!(o, "</pre>");
        }
        let _ = writeln!(o, "</body></html>");
        o
    }
}

fn verdict(findings: &[Finding], status: Option<u16>) -> &'static str {
    let has = |c: Cause| findings.iter().any(|f| f.cause == c);
    if has(Cause::RedirectLoop) {
        return "redirect_loop";
    }
    if has(Cause::RedirectTooMany) {
        return "too_many_redirects";
    }
    match status {
        Some(200..=299) => "ok",
        Some(401) => "unauthorized",
        Some(403) => "forbidden",
        Some(407) => "proxy_auth_required",
        Some(404) | Some(410) => "not_found",
        Some(500..=599) => "server_error",
        Some(_) => "failing",
        None => {
            if has(Cause::TlsCertificate) {
                "tls_error"
            } else if has(Cause::DnsFailure) {
                "dns_failure"
            } else if has(Cause::NetworkUnreachable) {
                "unreachable"
            } else {
                "failing"
            }
        }
    }
}

fn redact_parsed(mut p: challenge::Parsed, r: &Redactor) -> challenge::Parsed {
    for c in &mut p.challenges {
        if let Some(t) = &mut c.token68 {
            *t = r.text(t);
        }
        for param in &mut c.params {
            param.value = truncate(&r.text(&param.value), 4096);
        }
    }
    p.problems = p.problems.iter().map(|x| r.text(x)).collect();
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

    #[test]
    fn urls_lose_userinfo_and_secret_query_values() {
        let r = Redactor::default();
        let u = Url::parse(
            "https://bob:pw@example.com/a?access_token=abc&page=2&api_key=k&sig=s&code=c",
        )
        .unwrap();
        let s = r.url(&u);
        assert!(!s.contains("bob") && !s.contains("pw@"), "{s}");
        assert!(
            !s.contains("abc") && !s.contains("=k") && !s.contains("=s&") && !s.contains("=c"),
            "{s}"
        );
        assert!(s.contains("access_token=REDACTED"), "{s}");
        assert!(s.contains("page=2"), "{s}");
    }

    #[test]
    fn credentials_and_headers_are_redacted() {
        let creds = Credentials {
            user: Some("alice".into()),
            password: Some("correct horse".into()),
            bearer: None,
            cookie: Some("sid=abc123; theme=dark".into()),
        };
        let r = Redactor::new(&creds);
        assert_eq!(r.header("Authorization", b"Basic Zm9vOmJhcg=="), REDACTED);
        assert_eq!(
            r.header("cookie", b"sid=abc123; theme=dark"),
            "sid=[redacted]; theme=[redacted]"
        );
        assert!(
            r.header("set-cookie", b"sid=zzz; Path=/; HttpOnly")
                .starts_with("sid=[redacted]; Path=/")
        );
        assert_eq!(r.text("echo correct horse!"), "echo [redacted]!");
        assert!(!r.text("x abc123 y").contains("abc123"));
        assert!(!format!("{creds:?}").contains("horse"));
    }
}
