//! Kerberos / Negotiate sign-in FACTS from the user's own credentials: which credential
//! cache, whose ticket-granting ticket and until when ([`credential_cache`]); whether an
//! initial SPNEGO token for `HTTP@host` can be had, and if not, why ([`spnego_token`],
//! [`SignInError`]); what kind of token a header carries ([`TokenKind`]); and whether each
//! browser and profile is set to send a ticket to the host ([`browser_prefs`]).
//!
//! No wording and no findings here: the diagnosis turns these facts into causes.
//! No secrets leave this module except the [`Token`] itself, whose `Debug` is redacted.
//!
//! The platform libraries (GSSAPI and krb5 on Linux/macOS) are loaded at run time, not
//! linked: on a machine without them fix401 still starts, and the calls here answer
//! [`SignInError::LibraryMissing`]. Windows (SSPI) is not built yet.

pub mod browser_prefs;
mod codes;
pub mod evidence;
mod token;

#[cfg(unix)]
mod gss;
#[cfg(all(unix, not(target_os = "macos")))]
mod krb5;
#[cfg(unix)]
mod loader;

use std::time::SystemTime;

pub use evidence::{Mechanism, SignIn};

pub use token::{Token, TokenKind};

/// Why no token (or no cache facts) could be had: a small set of classes, each decided
/// from the GSSAPI major / krb5 minor status code, not from message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// No credentials: no cache, an empty cache, or no ticket-granting ticket.
    #[error("no Kerberos credentials")]
    NoTicket,
    /// The ticket-granting ticket's end time has passed.
    #[error("the Kerberos ticket has expired")]
    TicketExpired,
    /// No KDC of the realm answered.
    #[error("no KDC of the realm could be reached")]
    KdcUnreachable,
    /// The KDC does not know the service principal `HTTP/<host>`.
    #[error("the KDC does not know the service principal")]
    NoServicePrincipal,
    /// The KDC reported clock skew; its own time when the library exposes it.
    #[error("the clocks of this machine and the KDC differ too much")]
    ClockSkew {
        /// The KDC's time from its error, when known.
        kdc_time: Option<SystemTime>,
    },
    /// The GSSAPI / krb5 library is not installed (or lacks an entry point).
    #[error("the Kerberos library {library} is not installed")]
    LibraryMissing {
        /// The library that was looked for (the first candidate).
        library: String,
    },
    /// Any other failure, with the library's own message.
    #[error("Kerberos error: {0}")]
    Other(String),
}

impl SignInError {
    /// A stable short name of the class (`no_ticket`, `ticket_expired`, `kdc_unreachable`,
    /// `no_service_principal`, `clock_skew`, `library_missing`, `other`) for JSON evidence.
    pub fn class(&self) -> &'static str {
        match self {
            SignInError::NoTicket => "no_ticket",
            SignInError::TicketExpired => "ticket_expired",
            SignInError::KdcUnreachable => "kdc_unreachable",
            SignInError::NoServicePrincipal => "no_service_principal",
            SignInError::ClockSkew { .. } => "clock_skew",
            SignInError::LibraryMissing { .. } => "library_missing",
            SignInError::Other(_) => "other",
        }
    }
}

/// The realm of an unparsed principal: after its last `@` that is not escaped.
pub(crate) fn realm_of(principal: &str) -> Option<&str> {
    let bytes = principal.as_bytes();
    (0..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b'@' && (i == 0 || bytes[i - 1] != b'\\'))
        .map(|i| &principal[i + 1..])
}

/// Where the credential cache's name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSource {
    /// The `KRB5CCNAME` environment variable.
    Environment,
    /// The library's default (`default_ccache_name` in krb5.conf, or its built-in one).
    Default,
}

/// The ticket-granting ticket's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TgtTimes {
    /// When it became valid.
    pub start: SystemTime,
    /// When it ends.
    pub end: SystemTime,
    /// Until when it can be renewed (`kinit -R`), for a renewable ticket.
    pub renew_until: Option<SystemTime>,
}

impl TgtTimes {
    /// True when the end time is not after `now`.
    pub fn expired_at(&self, now: SystemTime) -> bool {
        self.end <= now
    }
}

/// What the credential cache holds (names and times only, never keys or tickets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheState {
    /// No cache, or a cache without a principal.
    NoCache,
    /// A cache for `principal` without a ticket-granting ticket of its realm.
    NoTgt {
        /// The cache's principal (`user@REALM`).
        principal: String,
        /// The principal's realm.
        realm: String,
    },
    /// A ticket-granting ticket (possibly expired: see [`TgtTimes::expired_at`]).
    Tgt {
        /// The cache's principal (`user@REALM`).
        principal: String,
        /// The principal's realm.
        realm: String,
        /// The TGT's start, end and renew-until times.
        times: TgtTimes,
    },
}

/// The user's credential cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCache {
    /// Its full name, `TYPE:residual` (`FILE:/tmp/krb5cc_1000`, `KEYRING:persistent:1000`).
    pub name: String,
    /// Where that name came from.
    pub source: CacheSource,
    /// What it holds.
    pub state: CacheState,
}

/// Reads the default credential cache of this process (`KRB5CCNAME`, else the library's
/// default, as every Kerberos client does): name, principal, realm, TGT times.
pub fn credential_cache() -> Result<CredentialCache, SignInError> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        krb5::credential_cache()
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        Err(SignInError::Other(
            "reading the credential cache is not built for this OS yet".to_string(),
        ))
    }
}

/// Obtains a new ticket-granting ticket with a password, as `kinit` does, and stores it in
/// the default credential cache (`KRB5CCNAME`, else the library's default), replacing what it
/// held; the cache is left as it was when the KDC refuses. `principal` `None`: the cache's
/// principal, else this user's login name in the default realm. Returns the principal signed
/// in. The password is never kept: the library's copy is wiped, the caller wipes `password`.
pub fn sign_in(principal: Option<&str>, password: &[u8]) -> Result<String, SignInError> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        krb5::sign_in(principal, password)
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (principal, password);
        Err(SignInError::Other(
            "signing in with a password is not built for this OS yet".to_string(),
        ))
    }
}

/// Obtains an initial SPNEGO token for the service `HTTP@host` with the user's own ticket
/// (the default credential cache), as a browser would for `Authorization: Negotiate`.
/// `host` is the name as typed in the URL (no port, no brackets).
pub fn spnego_token(host: &str) -> Result<Token, SignInError> {
    if host.is_empty() || host.contains(['\0', '/', '@', ' ']) {
        return Err(SignInError::Other(format!("not a host name: {host:?}")));
    }
    #[cfg(unix)]
    {
        gss::spnego_token(host)
    }
    #[cfg(not(unix))]
    {
        Err(SignInError::Other(
            "Negotiate through SSPI is not built yet".to_string(),
        ))
    }
}

/// True when the platform's GSSAPI library can be loaded (false: [`spnego_token`] answers
/// [`SignInError::LibraryMissing`]).
pub fn library_available() -> bool {
    #[cfg(unix)]
    {
        gss::available()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The environment variables that name another GSSAPI / krb5 library to load (as Firefox's
/// `network.negotiate-auth.gsslib` does), in that order.
#[cfg(unix)]
pub const LIBRARY_VARS: [&str; 2] = [gss::LIBRARY_VAR, "FIX401_KRB5_LIBRARY"];
