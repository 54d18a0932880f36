//! Evidence → findings: what went wrong, how sure we are, and which actions apply.
//!
//! The cause and action ids are stable contracts (DESIGN.md): they appear in JSON output,
//! reports and the desktop UI. Add new ones only with a design change.

use std::fmt;

use serde::{Deserialize, Serialize};

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
}

impl Cause {
    /// Every cause, in the order of DESIGN.md.
    pub const ALL: [Cause; 21] = [
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

#[cfg(test)]
mod tests {
    use super::*;

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
