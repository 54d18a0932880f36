//! The schemes fix401 can explain, as data: the IANA HTTP Authentication Scheme Registry
//! (2025-02-18) and the common unregistered names of the reference.

/// One known scheme.
pub(crate) struct Scheme {
    /// The scheme name (compared case-insensitively).
    pub name: &'static str,
    /// Whether IANA registers it.
    pub registered: bool,
    /// Where it is defined.
    pub reference: &'static str,
    /// One plain sentence for the person at the screen.
    pub summary: &'static str,
}

/// Every registered scheme first, then the common unregistered ones.
pub(crate) const SCHEMES: &[Scheme] = &[
    Scheme {
        name: "Basic",
        registered: true,
        reference: "RFC 7617",
        summary: "The site asks for a username and password, which the browser sends base64-encoded (not encrypted) with every request after showing a login dialog.",
    },
    Scheme {
        name: "Bearer",
        registered: true,
        reference: "RFC 6750",
        summary: "The application must present an access token (OAuth 2.0 / OpenID Connect); signing in again in the app or refreshing its token usually helps.",
    },
    Scheme {
        name: "Concealed",
        registered: true,
        reference: "RFC 9729",
        summary: "Only clients holding a provisioned key tied to the secure connection get in; the server hides that the page is protected at all.",
    },
    Scheme {
        name: "Digest",
        registered: true,
        reference: "RFC 7616",
        summary: "The site asks for a username and password that the browser proves with a hash instead of sending the password itself, after showing a login dialog.",
    },
    Scheme {
        name: "DPoP",
        registered: true,
        reference: "RFC 9449",
        summary: "The application must present an access token bound to a key it holds, with a fresh signed proof on every request.",
    },
    Scheme {
        name: "GNAP",
        registered: true,
        reference: "RFC 9635",
        summary: "The application must obtain an access token from a GNAP authorization server, a newer alternative to OAuth 2.0.",
    },
    Scheme {
        name: "HOBA",
        registered: true,
        reference: "RFC 7486",
        summary: "An experimental login where a key pair stored in the browser for this site replaces the password.",
    },
    Scheme {
        name: "Mutual",
        registered: true,
        reference: "RFC 8120",
        summary: "An experimental password login in which the server also proves that it knows your password.",
    },
    Scheme {
        name: "Negotiate",
        registered: true,
        reference: "RFC 4559",
        summary: "Windows integrated sign-in or Kerberos single sign-on, which works on company (domain-joined) computers or with a valid Kerberos ticket.",
    },
    Scheme {
        name: "OAuth",
        registered: true,
        reference: "RFC 5849",
        summary: "OAuth 1.0: the application must sign each request with its consumer and token secrets.",
    },
    Scheme {
        name: "PrivateToken",
        registered: true,
        reference: "RFC 9577",
        summary: "Privacy Pass: the device must show an anonymous token from a third party (for example proof of being a real device or person); there is no login.",
    },
    Scheme {
        name: "SCRAM-SHA-1",
        registered: true,
        reference: "RFC 7804",
        summary: "A salted password challenge over several round trips in which the password is never sent; few browsers support it.",
    },
    Scheme {
        name: "SCRAM-SHA-256",
        registered: true,
        reference: "RFC 7804",
        summary: "A salted password challenge (SHA-256) over several round trips in which the password is never sent; few browsers support it.",
    },
    Scheme {
        name: "vapid",
        registered: true,
        reference: "RFC 8292",
        summary: "Web Push: a server identifies itself to a push service; this is not a login for people.",
    },
    Scheme {
        name: "NTLM",
        registered: false,
        reference: "MS-NTHT",
        summary: "Windows integrated sign-in (NTLM), which works on company computers and is often offered next to Negotiate.",
    },
    Scheme {
        name: "Kerberos",
        registered: false,
        reference: "non-standard",
        summary: "A non-standard name some servers use for Kerberos single sign-on, which works on company computers with a valid ticket.",
    },
    Scheme {
        name: "AWS4-HMAC-SHA256",
        registered: false,
        reference: "AWS Signature Version 4",
        summary: "AWS request signing: the application must sign requests with AWS keys; this is not an interactive login.",
    },
    Scheme {
        name: "Token",
        registered: false,
        reference: "vendor",
        summary: "A vendor API-key scheme: the application needs a key from the provider's console.",
    },
    Scheme {
        name: "ApiKey",
        registered: false,
        reference: "vendor",
        summary: "A vendor API-key scheme: the application needs a key from the provider's console.",
    },
    Scheme {
        name: "UMA",
        registered: false,
        reference: "UMA 2.0",
        summary: "User-Managed Access: the application must get a permission ticket from the named authorization server.",
    },
    Scheme {
        name: "MutualTLS",
        registered: false,
        reference: "vendor",
        summary: "A vendor name asking for a client certificate (unrelated to the Mutual scheme).",
    },
    Scheme {
        name: "Mutual-TLS",
        registered: false,
        reference: "vendor",
        summary: "A vendor name asking for a client certificate (unrelated to the Mutual scheme).",
    },
    Scheme {
        name: "Newauth",
        registered: false,
        reference: "RFC 9110 example",
        summary: "The example scheme of the HTTP standards, not a real login method.",
    },
];

/// The entry for a scheme, compared case-insensitively.
pub(crate) fn lookup(scheme: &str) -> Option<&'static Scheme> {
    SCHEMES.iter().find(|s| s.name.eq_ignore_ascii_case(scheme))
}

/// One plain sentence about a scheme: every IANA-registered scheme and the common
/// unregistered ones of the reference; `None` for others.
pub fn scheme_summary(scheme: &str) -> Option<&'static str> {
    lookup(scheme).map(|s| s.summary)
}
