//! The shared vocabulary of every stage: [`Cause`], [`Action`], [`Confidence`], [`Finding`]
//! and the diagnosis' [`Verdict`]. A leaf: it imports nothing from the crate, so any stage may
//! use it without pulling in another.
//!
//! The cause, action and verdict ids are stable contracts (DESIGN.md): they appear in JSON
//! output, reports and the desktop UI. Each is defined once, in the tables below, which
//! generate the enum, its id, its serde form, its rank and `ALL`. Add new ones only with a
//! design change.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Generates a stable-id enum from one table: the variants (with docs), `ALL`, `id()`,
/// `from_id()`, `Display` and serde as the id string.
macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $id:literal $(rank $rank:literal)? ,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every value, in the order of DESIGN.md.
            pub const ALL: [$name; <[&str]>::len(&[ $( $id, )+ ])] = [ $( $name::$variant, )+ ];

            /// The stable id.
            pub fn id(self) -> &'static str {
                match self { $( $name::$variant => $id, )+ }
            }

            /// The value with this stable id.
            pub fn from_id(id: &str) -> Option<$name> {
                match id { $( $id => Some($name::$variant), )+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.id())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let id = String::deserialize(d)?;
                $name::from_id(&id).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&id, &[ $( $id, )+ ])
                })
            }
        }
    };
}

/// The cause table: variant, stable id (DESIGN.md) and rank (most blocking first: what
/// stops the request outright, then what the server said, then context such as a
/// suspicious URL or WordPress).
macro_rules! causes {
    ( $( $(#[$vmeta:meta])* $variant:ident = $id:literal rank $rank:literal ,)+ ) => {
        id_enum! {
            /// A distinct cause of a failure, one per id of DESIGN.md.
            pub enum Cause { $( $(#[$vmeta])* $variant = $id, )+ }
        }

        impl Cause {
            /// Most important first (lower is more important): ties are broken by
            /// confidence elsewhere, never by the order of the table.
            pub fn rank(self) -> u8 {
                match self { $( Cause::$variant => $rank, )+ }
            }
        }
    };
}

causes! {
    /// The URL cannot be used at all.
    UrlInvalid = "url.invalid" rank 0,
    /// The URL can be used but probably is not what the person meant.
    UrlSuspicious = "url.suspicious" rank 16,
    /// The server answered 404/410.
    UrlNotFound = "url.not_found" rank 14,
    /// A login is required and none was sent.
    CredentialsMissing = "credentials.missing" rank 10,
    /// Credentials were sent and the server refused them.
    CredentialsRejected = "credentials.rejected" rank 10,
    /// A token was sent and is malformed, revoked or otherwise invalid.
    TokenInvalid = "token.invalid" rank 9,
    /// A token was sent and has expired.
    TokenExpired = "token.expired" rank 9,
    /// The person is known but not allowed (403, `insufficient_scope`).
    PermissionDenied = "permission.denied" rank 11,
    /// A proxy on the way wants credentials (407).
    ProxyAuthRequired = "proxy.auth_required" rank 6,
    /// The server breaks the protocol (401 without a usable challenge…).
    ServerMisconfigured = "server.misconfigured" rank 12,
    /// The server failed (5xx).
    ServerError = "server.error" rank 13,
    /// The TLS certificate is expired, not yet valid, for another host or untrusted.
    TlsCertificate = "tls.certificate" rank 5,
    /// This machine's clock is far off the server's.
    ClockSkew = "clock.skew" rank 8,
    /// Redirects come back to a URL already visited.
    RedirectLoop = "redirect.loop" rank 7,
    /// More redirects than any browser follows.
    RedirectTooMany = "redirect.too_many" rank 7,
    /// The host name does not resolve.
    DnsFailure = "dns.failure" rank 1,
    /// A hosts-file entry pins the host to a fixed address.
    DnsHostsOverride = "dns.hosts_override" rank 2,
    /// A local cache answers differently from the upstream name servers.
    DnsStale = "dns.stale" rank 3,
    /// The server cannot be reached (refused, timed out, no route).
    NetworkUnreachable = "network.unreachable" rank 4,
    /// The URL works from here, so the failure comes from data the browser stored.
    SiteDataStale = "site_data.stale" rank 15,
    /// The site runs WordPress, whose security plugins often cause 401/403.
    SiteWordpress = "site.wordpress" rank 17,
    /// The proxy a browser goes through cannot be reached (refused, timed out, its name does
    /// not resolve): never the site's fault.
    ProxyUnreachable = "proxy.unreachable" rank 4,
    /// The PAC (or WPAD) script a browser is set to use cannot be fetched or fails.
    ProxyPacError = "proxy.pac_error" rank 6,
    /// The proxy itself refuses the site (a 403 or its own error page).
    ProxyBlocked = "proxy.blocked" rank 6,
    /// The site signs in with Kerberos (Negotiate) and this computer holds no ticket for
    /// the realm. Ranks above a missing login: it says why none was sent.
    KerberosNoTicket = "kerberos.no_ticket" rank 9,
    /// The Kerberos ticket-granting ticket has ended.
    KerberosTicketExpired = "kerberos.ticket_expired" rank 9,
    /// No Kerberos server (KDC) of the realm answers: off the company network, VPN down.
    KerberosKdcUnreachable = "kerberos.kdc_unreachable" rank 8,
    /// The KDC does not know the site's service principal `HTTP/<host>` (an IP address, an
    /// alias, a name without an SPN).
    KerberosNoServicePrincipal = "kerberos.no_service_principal" rank 9,
    /// fix401 signed in with the person's own ticket, so the browser is the one that does
    /// not send it to this host (its Negotiate allowlist).
    NegotiateBrowserNotAllowed = "negotiate.browser_not_allowed" rank 9,
    /// The site offers only NTLM (Windows' own sign-in), no Negotiate or password scheme.
    NtlmOnly = "ntlm.only" rank 9,
    /// Redirects go round between the site and its identity provider (single sign-on), or
    /// the chain through the provider is longer than browsers follow. Ranks with the
    /// redirect loop it refines.
    SsoLoop = "sso.loop" rank 7,
    /// The sign-in through the identity provider fails: the chain ends at the provider with
    /// an error, or comes back to the site's 401/403 after passing through it.
    SsoFailed = "sso.failed" rank 9,
    /// The browser's cookies for the site add up past the server's header limit, so it
    /// answers 400/431 "Request Header Or Cookie Too Large".
    CookiesTooLarge = "cookies.too_large" rank 8,
    /// A browser keeps an HTTPS-only (HSTS) entry for a host that now answers only over
    /// plain HTTP: that browser refuses the site until the entry goes. Ranks with an
    /// unreachable server, which it explains.
    HstsStuck = "hsts.stuck" rank 4,
}

id_enum! {
    /// Something fix401 can do (or tell the person to do) about a finding.
    pub enum Action {
        /// Test the URL again.
        Retry = "retry",
        /// Use the corrected URL.
        FixUrl = "fix-url",
        /// Flush every DNS cache on the way.
        FlushDns = "flush-dns",
        /// Clear the failing site's cookies, cache and storage in the browsers.
        ClearSiteData = "clear-site-data",
        /// Close and reopen the browser (drops its in-memory DNS cache and connections).
        RestartBrowser = "restart-browser",
        /// Check the user name, password or token (advice only).
        CheckCredentials = "check-credentials",
        /// Set the clock right (advice only).
        FixClock = "fix-clock",
        /// Tell the site's owner (advice only, with a technical summary).
        ContactSiteOwner = "contact-site-owner",
        /// Get a new Kerberos ticket (sign in to the domain again, `kinit`). Advice for now:
        /// not a repair fix401 runs (see [`Action::is_repair`]).
        RenewTicket = "renew-ticket",
        /// Let the browser send Kerberos tickets to this host (its Negotiate allowlist).
        /// Advice for now: not a repair fix401 runs.
        AllowNegotiate = "allow-negotiate",
    }
}

impl Action {
    /// True for a repair fix401 performs itself (the rest is advice for the person).
    /// `renew-ticket` and `allow-negotiate` are advice until their fixes are built, so
    /// `fix` plans nothing for them.
    pub fn is_repair(self) -> bool {
        matches!(
            self,
            Action::FixUrl | Action::FlushDns | Action::ClearSiteData | Action::RestartBrowser
        )
    }
}

id_enum! {
    /// The short stable verdict of a diagnosis (JSON `verdict`).
    pub enum Verdict {
        /// The page loads (2xx).
        Ok = "ok",
        /// The URL cannot be used.
        InvalidUrl = "invalid_url",
        /// HTTP 401.
        Unauthorized = "unauthorized",
        /// HTTP 403.
        Forbidden = "forbidden",
        /// HTTP 407, or a browser's proxy wants a login.
        ProxyAuthRequired = "proxy_auth_required",
        /// The proxy on the way cannot be reached.
        ProxyUnreachable = "proxy_unreachable",
        /// A browser's proxy refuses the site.
        ProxyBlocked = "proxy_blocked",
        /// A browser's PAC script does not work.
        ProxyPacError = "proxy_pac_error",
        /// HTTP 404 or 410.
        NotFound = "not_found",
        /// HTTP 5xx.
        ServerError = "server_error",
        /// Redirects come round again.
        RedirectLoop = "redirect_loop",
        /// More redirects than browsers follow.
        TooManyRedirects = "too_many_redirects",
        /// The certificate is not valid.
        TlsError = "tls_error",
        /// The name does not resolve.
        DnsFailure = "dns_failure",
        /// No connection can be made.
        Unreachable = "unreachable",
        /// Any other failure.
        Failing = "failing",
    }
}

impl Verdict {
    /// The exit code of a diagnosis with this verdict: 0 when the URL works, 2 when it is
    /// not a usable URL, 1 when it still fails.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Ok => 0,
            Verdict::InvalidUrl => 2,
            _ => 1,
        }
    }
}

// Verdicts were plain strings; comparing with one keeps working while callers move over.
impl PartialEq<str> for Verdict {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl PartialEq<&str> for Verdict {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl PartialEq<Verdict> for &str {
    fn eq(&self, other: &Verdict) -> bool {
        *self == other.id()
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
            assert_eq!(serde_json::from_str::<Cause>(&json).unwrap(), cause);
        }
        for action in Action::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.id()));
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
        }
        for verdict in Verdict::ALL {
            let json = serde_json::to_string(&verdict).unwrap();
            assert_eq!(json, format!("\"{}\"", verdict.id()));
            assert!(verdict == verdict.id());
        }
        assert!(serde_json::from_str::<Cause>("\"nope\"").is_err());
    }

    #[test]
    fn the_tables_list_every_contract_id_once() {
        assert_eq!(Cause::ALL.len(), 34);
        assert_eq!(Action::ALL.len(), 10);
        let mut ids: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Cause::ALL.len());
    }
}
