//! The check's sign-in evidence: when a site answers 401 with `Negotiate` (or `Kerberos`),
//! what the person's own credential cache holds, whether a token for the site can be had,
//! and what the site answers to ONE re-request carrying it ([`gather`]). An NTLM-only offer
//! is recorded too, with nothing tried.
//!
//! Facts only, for the pure diagnosis (`diagnosis::signin`) and the report's `sign_in`
//! object. The token itself goes into one request header marked sensitive and nowhere else:
//! [`SignIn`] holds no token, and its JSON form names outcomes and error classes only.

use std::time::SystemTime;

use serde::Serialize;
use url::Url;

use super::{CacheSource, CacheState, CredentialCache, SignInError};
use crate::system::System;

/// The integrated sign-in a 401 offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// `Negotiate` (SPNEGO, RFC 4559): Kerberos, possibly falling back to NTLM.
    Negotiate,
    /// The bare `Kerberos` scheme some servers offer.
    Kerberos,
    /// `NTLM` only, without Negotiate or Kerberos.
    Ntlm,
}

/// What fix401 found out about signing in with the person's own Kerberos ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct SignIn {
    /// What the site offers for integrated sign-in.
    pub mechanism: Mechanism,
    /// Every scheme the 401 offers, as the server spelled them.
    pub offered: Vec<String>,
    /// The host the service ticket is for (`HTTP/<host>`), as in the URL.
    pub host: String,
    /// The credential cache, when it was read (not for NTLM).
    pub cache: Option<Result<CredentialCache, SignInError>>,
    /// Whether a token for `HTTP/<host>` could be had (`Ok`), or why not; `None` when not
    /// tried. Never the token itself.
    pub token: Option<Result<(), SignInError>>,
    /// The status the site answered to the re-request with the token.
    pub status: Option<u16>,
    /// Why the re-request with the token got no answer.
    pub request_error: Option<String>,
    /// Whether each browser and profile found would send a ticket to the host, and the
    /// setting that decides (filled by the check; empty when no browser was looked at).
    pub browsers: Vec<crate::negotiate::browser_prefs::BrowserSignIn>,
}

impl SignIn {
    /// The principal fix401 signed in as: the cache's, when the re-request got a 2xx.
    pub fn authenticated_as(&self) -> Option<&str> {
        if !self.status.is_some_and(|s| (200..300).contains(&s)) {
            return None;
        }
        match self.cache.as_ref()?.as_ref().ok()?.state {
            CacheState::Tgt { ref principal, .. } | CacheState::NoTgt { ref principal, .. } => {
                Some(principal)
            }
            CacheState::NoCache => None,
        }
    }

    /// The service principal a ticket was asked for (`HTTP/localhost`).
    pub fn service(&self) -> String {
        format!("HTTP/{}", self.host)
    }
}

/// An HTTP date for a time in the JSON view.
fn date(t: &Option<SystemTime>) -> Option<String> {
    t.map(httpdate::fmt_http_date)
}

#[derive(Serialize)]
struct CacheView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tgt_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tgt_end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renew_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_class: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Default)]
struct OutcomeView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticated_as: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_class: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kdc_time: Option<String>,
}

#[derive(Serialize)]
struct SignInView<'a> {
    mechanism: Mechanism,
    offered: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    cache: Option<CacheView<'a>>,
    outcome: Option<OutcomeView<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    browsers: &'a [crate::negotiate::browser_prefs::BrowserSignIn],
}

fn cache_view(cache: &Result<CredentialCache, SignInError>) -> CacheView<'_> {
    let mut v = CacheView {
        name: None,
        source: None,
        state: None,
        principal: None,
        realm: None,
        tgt_start: None,
        tgt_end: None,
        renew_until: None,
        error_class: None,
        error: None,
    };
    match cache {
        Err(e) => {
            v.error_class = Some(e.class());
            v.error = Some(e.to_string());
        }
        Ok(c) => {
            v.name = Some(&c.name);
            v.source = Some(match c.source {
                CacheSource::Environment => "environment",
                CacheSource::Default => "default",
            });
            match &c.state {
                CacheState::NoCache => v.state = Some("no_cache"),
                CacheState::NoTgt { principal, realm } => {
                    v.state = Some("no_tgt");
                    v.principal = Some(principal);
                    v.realm = Some(realm);
                }
                CacheState::Tgt {
                    principal,
                    realm,
                    times,
                } => {
                    v.state = Some("tgt");
                    v.principal = Some(principal);
                    v.realm = Some(realm);
                    v.tgt_start = date(&Some(times.start));
                    v.tgt_end = date(&Some(times.end));
                    v.renew_until = date(&times.renew_until);
                }
            }
        }
    }
    v
}

// The JSON form is a view built here, so the report can only ever show names, times,
// statuses and error classes: there is no field a token could be in.
impl Serialize for SignIn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let outcome = self.token.as_ref().map(|token| {
            let mut o = OutcomeView {
                status: self.status,
                authenticated_as: self.authenticated_as(),
                ..OutcomeView::default()
            };
            if let Err(e) = token {
                o.error_class = Some(e.class());
                o.error = Some(e.to_string());
                if let SignInError::ClockSkew { kdc_time } = e {
                    o.kdc_time = date(kdc_time);
                }
            } else if let Some(e) = &self.request_error {
                o.error = Some(e.clone());
            }
            o
        });
        SignInView {
            mechanism: self.mechanism,
            offered: &self.offered,
            service: (self.mechanism != Mechanism::Ntlm).then(|| self.service()),
            cache: self.cache.as_ref().map(cache_view),
            outcome,
            browsers: &self.browsers,
        }
        .serialize(s)
    }
}

/// The sign-in evidence for a probe whose answer is a 401 offering `Negotiate`, `Kerberos`
/// or only `NTLM`; `None` for any other answer. For Negotiate/Kerberos: reads the credential
/// cache and asks for a token for `HTTP/<host as in the URL>` (on a plain thread, so a
/// library stuck on an unreachable KDC is given up at `deadline` without holding up the
/// runtime), then re-requests the URL once with `Authorization: Negotiate …`.
/// `url` is the URL as given (kept whole), used when the 401 came without redirects.
pub async fn gather(
    sys: &System,
    url: &Url,
    probe: &crate::probe::Evidence,
    opts: &crate::probe::ProbeOptions,
    deadline: tokio::time::Instant,
) -> Option<SignIn> {
    let hop = probe
        .hops
        .last()
        .filter(|h| h.status == Some(401) && !h.from_proxy)?;
    let parsed = crate::challenge::parse(&hop.header_values("www-authenticate"));
    let offers = |scheme: &str| parsed.challenges.iter().any(|c| c.is(scheme));
    let mechanism = if offers("Negotiate") {
        Mechanism::Negotiate
    } else if offers("Kerberos") {
        Mechanism::Kerberos
    } else if offers("NTLM") {
        Mechanism::Ntlm
    } else {
        return None;
    };
    // The hop's URL is recorded redacted; without redirects the URL given is the same one.
    let url = if probe.hops.len() == 1 {
        url.clone()
    } else {
        hop.url.clone()
    };
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let mut sign_in = SignIn {
        mechanism,
        offered: parsed.challenges.iter().map(|c| c.scheme.clone()).collect(),
        host: host.clone(),
        cache: None,
        token: None,
        status: None,
        request_error: None,
        browsers: Vec::new(),
    };
    if mechanism == Mechanism::Ntlm {
        return Some(sign_in);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("fix401-negotiate".into())
        .spawn(move || {
            let _ = tx.send((super::credential_cache(), super::spnego_token(&host)));
        });
    let late = || SignInError::Other("the Kerberos library gave no answer in time".into());
    let token = match spawned {
        Err(e) => Err(SignInError::Other(format!("cannot start a thread: {e}"))),
        Ok(_) => match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok((cache, token))) => {
                sign_in.cache = Some(cache);
                token
            }
            _ => Err(late()),
        },
    };
    match token {
        Err(e) => sign_in.token = Some(Err(e)),
        Ok(token) => {
            sign_in.token = Some(Ok(()));
            match retest(sys, &url, token, opts, deadline).await {
                Ok(status) => sign_in.status = Some(status),
                Err(e) => sign_in.request_error = Some(e),
            }
        }
    }
    Some(sign_in)
}

/// One GET of `url` with the token (a header marked sensitive), no redirects followed;
/// the status. The token is dropped (and wiped) as soon as the header holds it.
async fn retest(
    sys: &System,
    url: &Url,
    token: super::Token,
    opts: &crate::probe::ProbeOptions,
    deadline: tokio::time::Instant,
) -> Result<u16, String> {
    let header = token.header_value();
    drop(token);
    // Loading the trusted roots takes longer than a loopback request: only for https.
    let tls = if url.scheme() == "https" {
        crate::probe::tls::verifying_config(&opts.extra_roots_pem)
    } else {
        crate::probe::tls::inert_config()
    }
    .map_err(|e| e.to_string())?;
    let mut b = reqwest::Client::builder()
        .tls_backend_preconfigured((*tls).clone())
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(crate::probe::USER_AGENT)
        .retry(reqwest::retry::never());
    b = match crate::probe::proxy_for(sys, &opts.proxy, url) {
        Some((p, _)) => b.proxy(
            reqwest::Proxy::all(p.as_str())
                .map_err(|_| "cannot use the proxy for the re-test".to_string())?,
        ),
        None => b.no_proxy(),
    };
    let client = b
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let req = client
        .get(url.clone())
        .header(reqwest::header::AUTHORIZATION, header);
    match tokio::time::timeout_at(deadline, req.send()).await {
        Err(_) => Err("no answer before the deadline".into()),
        Ok(Err(e)) => Err(e.without_url().to_string()),
        Ok(Ok(resp)) => Ok(resp.status().as_u16()),
    }
}

#[cfg(test)]
impl SignIn {
    /// For the tests of this module and the diagnosis': a Negotiate offer from `localhost`
    /// with `user@EXAMPLE.TEST`'s ticket-granting ticket of `times` in `FILE:/tmp/cc`.
    pub(crate) fn sample(
        times: super::TgtTimes,
        token: Result<(), SignInError>,
        status: Option<u16>,
    ) -> SignIn {
        SignIn {
            mechanism: Mechanism::Negotiate,
            offered: vec!["Negotiate".into()],
            host: "localhost".into(),
            cache: Some(Ok(CredentialCache {
                name: "FILE:/tmp/cc".into(),
                source: CacheSource::Environment,
                state: CacheState::Tgt {
                    principal: "user@EXAMPLE.TEST".into(),
                    realm: "EXAMPLE.TEST".into(),
                    times,
                },
            })),
            token: Some(token),
            status,
            request_error: None,
            browsers: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiate::TgtTimes;
    use std::time::Duration;

    fn signed_in(status: u16) -> SignIn {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let times = TgtTimes {
            start,
            end: start + Duration::from_secs(3600),
            renew_until: None,
        };
        SignIn::sample(times, Ok(()), Some(status))
    }

    #[test]
    fn json_names_who_signed_in_and_the_cache_never_a_token() {
        let v = serde_json::to_value(signed_in(200)).unwrap();
        assert_eq!(v["mechanism"], "negotiate");
        assert_eq!(v["service"], "HTTP/localhost");
        assert_eq!(v["cache"]["principal"], "user@EXAMPLE.TEST");
        assert_eq!(v["cache"]["source"], "environment");
        assert_eq!(v["cache"]["tgt_end"], "Fri, 15 Jan 2027 09:00:00 GMT");
        assert_eq!(v["outcome"]["authenticated_as"], "user@EXAMPLE.TEST");
        assert_eq!(v["outcome"]["status"], 200);
        let v = serde_json::to_value(signed_in(401)).unwrap();
        assert!(v["outcome"].get("authenticated_as").is_none(), "{v}");
    }

    #[test]
    fn json_of_a_failure_is_its_class() {
        let mut s = signed_in(200);
        s.status = None;
        s.token = Some(Err(SignInError::NoServicePrincipal));
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["outcome"]["error_class"], "no_service_principal");
        assert!(v["outcome"].get("authenticated_as").is_none());
        s.mechanism = Mechanism::Ntlm;
        s.cache = None;
        s.token = None;
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["mechanism"], "ntlm");
        assert!(v["outcome"].is_null() && v["cache"].is_null() && v.get("service").is_none());
    }
}
