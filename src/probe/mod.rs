//! The re-test: DNS answers, connect, TLS, redirect chain, timings and the response.
//!
//! For each origin on the way, a pre-flight on fix401's own socket resolves the name,
//! connects and completes the TLS handshake, timing each phase and classifying failures
//! precisely ([`net`], [`tls`]). The HTTP exchange itself then goes through reqwest (rustls,
//! ring), pinned to the addresses already resolved, with redirects followed by hand so every
//! hop is recorded and loops are caught at the first repeated URL. Everything happens
//! before one overall deadline; bodies are read up to 64 KiB (after decompression).

pub mod auth;
pub mod net;
pub mod record;
pub mod tls;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use url::Url;

use crate::error::{Error, Result};
use crate::system::System;
use crate::target::Target;

/// The `User-Agent` of every request fix401 makes.
pub const USER_AGENT: &str = concat!("fix401/", env!("CARGO_PKG_VERSION"), " (diagnose)");
/// Browsers give up after about 20 redirects; so does the probe.
pub const MAX_REDIRECTS: usize = 20;
/// The most of a body the probe reads (after decompression).
pub const BODY_CAP: usize = 64 * 1024;

/// Credentials to test with. They are sent only to the origin of the URL given, never
/// after a redirect to another origin, and never printed, logged or written: `Debug`
/// hides them, and the evidence records only which kinds were sent, never the values.
#[derive(Clone, Default)]
pub struct Credentials {
    /// User name, sent (with the password) only when the server asks: Basic or Digest.
    pub user: Option<String>,
    /// Password for the user name.
    pub password: Option<String>,
    /// A bearer token (`Authorization: Bearer …`).
    pub bearer: Option<String>,
    /// A `Cookie` header value (`name=value; name2=value2`).
    pub cookie: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl Credentials {
    /// True when nothing is to be sent.
    pub fn is_empty(&self) -> bool {
        self.kinds().is_empty()
    }

    /// What is supplied: `password`, `bearer`, `cookie`.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k = Vec::new();
        if self.user.is_some() || self.password.is_some() {
            k.push("password");
        }
        if self.bearer.is_some() {
            k.push("bearer");
        }
        if self.cookie.is_some() {
            k.push("cookie");
        }
        k
    }
}

/// Which proxy the probe goes through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` of the person's environment,
    /// as most tools read them; loopback targets never go through a proxy.
    #[default]
    Environment,
    /// Connect directly.
    Off,
    /// This proxy URL (`http://host:port`) for every target, loopback included.
    Url(String),
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// One deadline for everything.
    pub timeout: Duration,
    /// Credentials to send to the URL's origin.
    pub credentials: Credentials,
    /// The proxy to use.
    pub proxy: ProxySetting,
    /// Extra trusted CA certificates (PEM), e.g. a company's own CA.
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(15),
            credentials: Credentials::default(),
            proxy: ProxySetting::Environment,
            extra_roots_pem: Vec::new(),
        }
    }
}

/// A phase of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Name resolution.
    Dns,
    /// TCP connect (or the proxy tunnel).
    Connect,
    /// TLS handshake.
    Tls,
    /// Waiting for the response headers.
    Response,
    /// Reading the body.
    Body,
}

/// Why the probe could not get (all of) an answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The name did not resolve.
    Dns {
        /// The name.
        host: String,
        /// The resolver's message.
        message: String,
    },
    /// Every address refused the connection (or was unreachable).
    Connect {
        /// Per-address errors.
        detail: String,
        /// Every address actively refused (nothing listens), as opposed to no route.
        refused: bool,
    },
    /// The deadline passed during `phase`.
    Timeout {
        /// The phase that was still running.
        phase: Phase,
        /// What was being waited for.
        detail: String,
    },
    /// The TLS handshake failed.
    Tls {
        /// What is wrong.
        problem: tls::TlsProblem,
        /// The TLS library's message.
        detail: String,
    },
    /// The response headers were too large to read.
    HeadersTooLarge {
        /// The HTTP library's message.
        detail: String,
    },
    /// The server broke HTTP (garbage, closed connection…).
    Protocol {
        /// The HTTP library's message.
        detail: String,
    },
}

impl Failure {
    fn timeout(phase: Phase) -> Failure {
        Failure::Timeout {
            phase,
            detail: match phase {
                Phase::Dns => "the name lookup did not finish",
                Phase::Connect => "the connection attempt did not finish",
                Phase::Tls => "the TLS handshake did not finish",
                Phase::Response => "the server accepted the request but did not answer",
                Phase::Body => "the body did not finish",
            }
            .into(),
        }
    }

    /// One line for a technician.
    pub fn describe(&self) -> String {
        match self {
            Failure::Dns { host, message } => format!("DNS lookup of {host} failed: {message}"),
            Failure::Connect { detail, .. } => format!("connection failed: {detail}"),
            Failure::Timeout { phase, detail } => {
                format!("deadline reached while waiting ({phase:?}): {detail}")
            }
            Failure::Tls { problem, detail } => format!("TLS failed ({problem:?}): {detail}"),
            Failure::HeadersTooLarge { detail } => {
                format!("response headers too large to read: {detail}")
            }
            Failure::Protocol { detail } => format!("HTTP protocol error: {detail}"),
        }
    }
}

/// One response header, its value kept as raw bytes (servers send non-UTF-8).
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// Lower-case name.
    pub name: String,
    /// The value as received, except that secrets are already redacted by field
    /// ([`Header::recorded`]).
    pub value: Vec<u8>,
}

impl Header {
    /// A header as the evidence keeps it: a secret value (credentials, cookies, custom token
    /// headers, secrets in URLs, a credential the probe sent echoed back) is redacted here,
    /// where it enters the evidence, so nothing downstream ever holds it.
    pub fn recorded(name: &str, value: &[u8], sent: &crate::redact::Sent) -> Header {
        Header {
            name: name.to_ascii_lowercase(),
            value: sent.header_value(name, value),
        }
    }

    /// The value as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// The URL requested, redacted (no userinfo, secret parameters replaced): the probe
    /// keeps the URL it really requests to itself.
    #[serde(serialize_with = "crate::target::ser_url")]
    pub url: Url,
    /// The status, when an answer came.
    pub status: Option<u16>,
    /// The `Location` header, resolved against the URL requested, redacted like `url`.
    pub location: Option<String>,
    /// Every response header, in order.
    pub headers: Vec<Header>,
    /// Which credentials went with this request (`basic`, `digest`, `bearer`, `cookie`).
    pub credentials_sent: Vec<&'static str>,
    /// Credentials were held back because this URL is on another origin.
    pub credentials_withheld: bool,
    /// The answer came from the proxy (a refused CONNECT), not from the site.
    pub from_proxy: bool,
    /// The first 64 KiB of the body (decompressed).
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The body was longer than the cap, or ended with an error.
    pub body_truncated: bool,
    /// The HTTP version of the answer.
    pub version: Option<String>,
    /// When the answer arrived (for the clock-skew check).
    #[serde(skip)]
    pub received_at: Option<SystemTime>,
    /// When this request began (its pre-flight, when it had one), for the HAR export.
    #[serde(skip)]
    pub started_at: Option<SystemTime>,
    /// The request headers as sent, redacted by field as they are recorded
    /// ([`Header::recorded`]: `Authorization` hidden, `Cookie` values hidden, names kept).
    #[serde(skip)]
    pub request_headers: Vec<Header>,
    /// This request's own phase durations (the evidence's [`Timings`] are sums).
    #[serde(skip)]
    pub timings: HopTimings,
    /// The address that answered this request (the proxy's, through a proxy).
    #[serde(skip)]
    pub remote: Option<SocketAddr>,
}

/// The phases of one request. DNS, connect and TLS are measured by the pre-flight, which
/// runs once per origin: a later request to the same origin has them `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HopTimings {
    /// Name resolution.
    pub dns: Option<Duration>,
    /// TCP connect (and the proxy tunnel).
    pub connect: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// Request sent → response headers (server think time, connection set-up excluded).
    pub wait: Option<Duration>,
    /// Reading the body.
    pub receive: Option<Duration>,
}

impl Hop {
    /// A hop for a request to `url`, which is redacted as it enters the evidence.
    pub(crate) fn new(url: &Url) -> Hop {
        Hop {
            url: crate::redact::url(url),
            status: None,
            location: None,
            headers: Vec::new(),
            credentials_sent: Vec::new(),
            credentials_withheld: false,
            from_proxy: false,
            body: Vec::new(),
            body_truncated: false,
            version: None,
            received_at: None,
            started_at: Some(SystemTime::now()),
            request_headers: Vec::new(),
            timings: HopTimings::default(),
            remote: None,
        }
    }

    /// The raw values of every header called `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
            .collect()
    }

    /// The first header called `name`, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.header_values(name)
            .first()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// A redirect chain that cannot end.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RedirectProblem {
    /// This URL came back.
    Loop {
        /// The repeated URL (redacted).
        url: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    TooMany,
}

/// Phase durations, summed over every hop.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    /// Name resolution.
    pub dns: Option<Duration>,
    /// TCP connect (and the proxy tunnel).
    pub connect: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// From the request being sent to the response headers (server think time).
    pub first_byte: Option<Duration>,
    /// The whole probe.
    pub total: Duration,
}

fn add(a: &mut Option<Duration>, b: Option<Duration>) {
    if let Some(b) = b {
        *a = Some(a.unwrap_or_default() + b);
    }
}

/// Everything the probe saw (`Default`: nothing seen yet, as tests start from).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    /// Every request made, in order.
    pub hops: Vec<Hop>,
    /// Why the last request got no (complete) answer.
    pub failure: Option<Failure>,
    /// A redirect loop or too long a chain.
    pub redirect_problem: Option<RedirectProblem>,
    /// Addresses the names resolved to (first origin first).
    pub resolved: Vec<IpAddr>,
    /// The address that answered.
    pub connected: Option<SocketAddr>,
    /// Phase durations.
    pub timings: Timings,
    /// TLS facts for a technician.
    pub tls_details: Vec<String>,
    /// The proxy used (without credentials), if any.
    pub proxy: Option<String>,
    /// The setting that named the proxy: the environment variable (`https_proxy`,
    /// `ALL_PROXY`…) or `--proxy`.
    pub proxy_source: Option<String>,
    /// True when the failure happened on the way to the proxy (its name, its port, its
    /// tunnel), not to the site.
    pub proxy_failed: bool,
    /// What credentials were supplied.
    pub credentials_supplied: Vec<&'static str>,
}

impl Evidence {
    /// The last hop that got an answer.
    pub fn last_answer(&self) -> Option<&Hop> {
        self.hops.iter().rev().find(|h| h.status.is_some())
    }

    /// The status of the last hop, if it got an answer.
    pub fn final_status(&self) -> Option<u16> {
        self.hops.last().and_then(|h| h.status)
    }
}

/// Addresses the pre-flight resolved, handed to reqwest so it does not resolve again.
#[derive(Clone)]
struct PinnedResolver {
    sys: System,
    known: Arc<Mutex<HashMap<String, Vec<IpAddr>>>>,
}

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let known = self
            .known
            .lock()
            .ok()
            .and_then(|m| m.get(&host.to_ascii_lowercase()).cloned());
        let sys = self.sys.clone();
        Box::pin(async move {
            let ips = match known {
                Some(ips) => ips,
                None => net::resolve(&sys, &host)
                    .await
                    .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?,
            };
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// A connector layer that adds up the time reqwest spends opening connections, so the
/// server's own think time can be told apart.
#[derive(Clone)]
struct TimingLayer(Arc<Mutex<Duration>>);

impl<S> tower_layer::Layer<S> for TimingLayer {
    type Service = Timed<S>;
    fn layer(&self, inner: S) -> Timed<S> {
        Timed {
            inner,
            spent: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct Timed<S> {
    inner: S,
    spent: Arc<Mutex<Duration>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, R> tower_service::Service<R> for Timed<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<std::result::Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let start = Instant::now();
        let fut = self.inner.call(req);
        let spent = self.spent.clone();
        Box::pin(async move {
            let r = fut.await;
            if let Ok(mut s) = spent.lock() {
                *s += start.elapsed();
            }
            r
        })
    }
}

/// The proxy for `url` under `setting`, as a URL, with the setting that named it
/// (`https_proxy`, `--proxy`…), so a report can say where to change it.
pub fn proxy_for(sys: &System, setting: &ProxySetting, url: &Url) -> Option<(Url, String)> {
    match setting {
        ProxySetting::Off => None,
        ProxySetting::Url(p) => Url::parse(p).ok().map(|u| (u, "--proxy".to_string())),
        ProxySetting::Environment => {
            let host = url
                .host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']');
            if is_loopback(host) {
                return None;
            }
            // Lower case first, as curl reads them; an empty variable counts as unset.
            let get = |k: &str| {
                let lower = k.to_ascii_lowercase();
                [lower.as_str(), k].into_iter().find_map(|name| {
                    sys.var(name)
                        .filter(|v| !v.is_empty())
                        .map(|v| (v.to_string(), name.to_string()))
                })
            };
            if let Some((no, _)) = get("NO_PROXY") {
                for entry in no.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    let e = entry.trim_start_matches('.');
                    if entry == "*" || host == e || host.ends_with(&format!(".{e}")) {
                        return None;
                    }
                }
            }
            let raw = if url.scheme() == "https" {
                get("HTTPS_PROXY").or_else(|| get("ALL_PROXY"))
            } else {
                get("HTTP_PROXY").or_else(|| get("ALL_PROXY"))
            }?;
            let (raw, source) = raw;
            let raw = if raw.contains("://") {
                raw
            } else {
                format!("http://{raw}")
            };
            Url::parse(&raw).ok().map(|u| (u, source))
        }
    }
}

/// `Basic …` for a proxy URL with a user name (percent-decoded, as reqwest sends it for
/// plain http), for the CONNECT of https through the proxy.
fn proxy_basic(p: &Url) -> Option<String> {
    use base64::Engine;
    if p.username().is_empty() {
        return None;
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let pair = format!(
        "{}:{}",
        decode(p.username()),
        decode(p.password().unwrap_or_default())
    );
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// True for `localhost` and loopback addresses.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.to_ascii_lowercase().ends_with(".localhost")
        || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A proxy URL without its credentials, for reports and messages.
fn display_proxy(p: &Url) -> String {
    crate::redact::url(p).to_string()
}

fn build_client(
    sys: &System,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<&Url>,
    known: Arc<Mutex<HashMap<String, Vec<IpAddr>>>>,
    spent: Arc<Mutex<Duration>>,
) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .tls_backend_preconfigured((*tls).clone())
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .dns_resolver(Arc::new(PinnedResolver {
            sys: sys.clone(),
            known,
        }))
        .connector_layer(TimingLayer(spent))
        .pool_max_idle_per_host(0)
        .retry(reqwest::retry::never());
    b = match proxy {
        Some(p) => b.proxy(reqwest::Proxy::all(p.as_str()).map_err(|e| {
            Error::BadInput(format!("cannot use the proxy {}: {e}", display_proxy(p)))
        })?),
        None => b.no_proxy(),
    };
    b.build()
        .map_err(|e| Error::Internal(format!("cannot set up the HTTP client: {e}")))
}

/// A plain client for fix401's own small fetches (a PAC file): no proxy, the System's
/// resolver, no redirect followed, certificates verified for https; none of the probe's
/// timings.
pub(crate) fn lean_client(sys: &System, https: bool) -> Result<reqwest::Client> {
    let tls = if https {
        tls::verifying_config(&[])?
    } else {
        tls::inert_config()?
    };
    build_client(sys, tls, None, Arc::default(), Arc::default())
}

/// An HTTP client error in a few words, as the probe classifies it.
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    classify_reqwest(e).describe()
}

/// Probes `target` once, following redirects, within `opts.timeout`.
pub async fn run(sys: &System, target: &Target, opts: &ProbeOptions) -> Result<Evidence> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let origin = target.url.origin();
    let mut ev = Evidence {
        hops: Vec::new(),
        failure: None,
        redirect_problem: None,
        resolved: Vec::new(),
        connected: None,
        timings: Timings::default(),
        tls_details: Vec::new(),
        proxy: None,
        proxy_source: None,
        proxy_failed: false,
        credentials_supplied: opts.credentials.kinds(),
    };
    let known: Arc<Mutex<HashMap<String, Vec<IpAddr>>>> = Arc::default();
    let spent: Arc<Mutex<Duration>> = Arc::default();
    let mut verifying: Option<Arc<rustls::ClientConfig>> = None;
    let mut clients: HashMap<(bool, Option<String>), reqwest::Client> = HashMap::new();
    let mut preflown: Vec<(String, u16, bool, Option<String>)> = Vec::new();
    let mut seen: Vec<String> = vec![target.url.as_str().to_string()];
    let mut url = target.url.clone();
    // An answer to a challenge, to send with the next request to the same URL.
    let mut pending_auth: Option<(String, &'static str)> = None;
    let mut auth_attempts = 0usize;
    // What went out in credential headers, to hide should the server echo it back.
    let mut echoable = crate::redact::Sent::default();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();

    loop {
        let https = url.scheme() == "https";
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        let (proxy, proxy_source) = proxy_for(sys, &opts.proxy, &url).unzip();
        if let Some(p) = &proxy
            && ev.proxy.is_none()
        {
            ev.proxy = Some(display_proxy(p));
            ev.proxy_source = proxy_source;
        }
        let tls_config = if https {
            if verifying.is_none() {
                verifying = Some(tls::verifying_config(&opts.extra_roots_pem)?);
            }
            verifying.clone()
        } else {
            None
        };

        let mut hop = Hop::new(&url);
        let same_origin = url.origin() == origin;

        // Pre-flight each origin once: resolve, connect, TLS, timed on our own socket.
        let key = (
            host.clone(),
            port,
            https,
            proxy.as_ref().map(|p| p.to_string()),
        );
        if !preflown.contains(&key) {
            preflown.push(key);
            let proxy_hp = proxy.as_ref().and_then(|p| {
                Some((
                    p.host_str()?
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    p.port_or_known_default()?,
                ))
            });
            let ep = net::Endpoint {
                https,
                host: &host,
                port,
                proxy: proxy_hp.as_ref().map(|(h, p)| (h.as_str(), *p)),
                proxy_auth: proxy.as_ref().and_then(proxy_basic),
                socks: proxy
                    .as_ref()
                    .is_some_and(|p| p.scheme().starts_with("socks")),
            };
            let mut pf = net::Preflight::default();
            let res = net::preflight(sys, &ep, tls_config.clone(), deadline, &mut pf).await;
            add(&mut ev.timings.dns, pf.phases.dns);
            add(&mut ev.timings.connect, pf.phases.connect);
            add(&mut ev.timings.tls, pf.phases.tls);
            hop.timings.dns = pf.phases.dns;
            hop.timings.connect = pf.phases.connect;
            hop.timings.tls = pf.phases.tls;
            hop.remote = pf.connected;
            for ip in &pf.resolved {
                if !ev.resolved.contains(ip) {
                    ev.resolved.push(*ip);
                }
            }
            if ev.connected.is_none() {
                ev.connected = pf.connected;
            }
            ev.tls_details.extend(pf.tls_details.iter().cloned());
            if let Ok(mut k) = known.lock() {
                let name = ep
                    .proxy
                    .map(|(h, _)| h)
                    .unwrap_or(&host)
                    .to_ascii_lowercase();
                k.insert(name, pf.resolved.clone());
            }
            if let Err(f) = res {
                // Before any byte reached the site, the proxy was the one to fail.
                ev.proxy_failed = ep.proxy.is_some()
                    && matches!(
                        f,
                        Failure::Dns { .. }
                            | Failure::Connect { .. }
                            | Failure::Timeout {
                                phase: Phase::Dns | Phase::Connect,
                                ..
                            }
                    );
                ev.failure = Some(f);
                ev.hops.push(hop);
                break;
            }
            if let Some((status, lines)) = pf.proxy_refusal {
                hop.status = Some(status);
                hop.from_proxy = true;
                hop.received_at = Some(SystemTime::now());
                hop.headers = lines
                    .into_iter()
                    .map(|value| Header::recorded("proxy-authenticate", &value, &echoable))
                    .collect();
                ev.hops.push(hop);
                break;
            }
        }

        let ckey = (https, proxy.as_ref().map(|p| p.to_string()));
        if !clients.contains_key(&ckey) {
            let cfg = match &tls_config {
                Some(c) => c.clone(),
                None => tls::inert_config()?,
            };
            let c = build_client(sys, cfg, proxy.as_ref(), known.clone(), spent.clone())?;
            clients.insert(ckey.clone(), c);
        }
        let client = clients
            .get(&ckey)
            .ok_or_else(|| Error::Internal("HTTP client missing".into()))?;

        let mut req = client.get(url.clone()).header(
            reqwest::header::ACCEPT,
            "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
        );
        if same_origin {
            if let Some((auth, kind)) = pending_auth.take() {
                req = req.header(
                    reqwest::header::AUTHORIZATION,
                    secret_header(&auth, "password")?,
                );
                echoable.authorization(&auth);
                hop.credentials_sent.push(kind);
            } else if let Some(t) = &opts.credentials.bearer {
                let auth = format!("Bearer {t}");
                req = req.header(
                    reqwest::header::AUTHORIZATION,
                    secret_header(&auth, "bearer token")?,
                );
                echoable.authorization(&auth);
                hop.credentials_sent.push("bearer");
            }
            if let Some(c) = &opts.credentials.cookie {
                req = req.header(reqwest::header::COOKIE, secret_header(c, "cookie")?);
                echoable.cookie(c);
                hop.credentials_sent.push("cookie");
            }
        } else if !opts.credentials.is_empty() {
            hop.credentials_withheld = true;
        }

        let request = match req.build() {
            Ok(r) => r,
            Err(e) => {
                ev.failure = Some(classify_reqwest(&e));
                ev.hops.push(hop);
                break;
            }
        };
        hop.request_headers = request_headers(&request, &echoable);
        let spent_before = spent.lock().map(|s| *s).unwrap_or_default();
        let sent = Instant::now();
        let resp = match tokio::time::timeout_at(deadline, client.execute(request)).await {
            Err(_) => {
                ev.failure = Some(Failure::timeout(Phase::Response));
                ev.hops.push(hop);
                break;
            }
            Ok(Err(e)) => {
                ev.failure = Some(classify_reqwest(&e));
                ev.hops.push(hop);
                break;
            }
            Ok(Ok(r)) => r,
        };
        let connecting = spent.lock().map(|s| *s).unwrap_or_default() - spent_before;
        let wait = sent.elapsed().saturating_sub(connecting);
        add(&mut ev.timings.first_byte, Some(wait));
        hop.timings.wait = Some(wait);
        hop.remote = resp.remote_addr().or(hop.remote);
        hop.received_at = Some(SystemTime::now());
        hop.status = Some(resp.status().as_u16());
        hop.version = Some(format!("{:?}", resp.version()));
        hop.headers = resp
            .headers()
            .iter()
            .map(|(n, v)| Header::recorded(n.as_str(), v.as_bytes(), &echoable))
            .collect();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let status = resp.status();

        // Read the body up to the cap; a body that never ends is cut at the cap or deadline.
        let mut resp = resp;
        let receiving = Instant::now();
        loop {
            match tokio::time::timeout_at(deadline, resp.chunk()).await {
                Err(_) => {
                    hop.body_truncated = true;
                    ev.failure = Some(Failure::timeout(Phase::Body));
                    break;
                }
                Ok(Err(_)) => {
                    hop.body_truncated = true;
                    break;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = BODY_CAP - hop.body.len();
                    if chunk.len() >= room {
                        hop.body.extend_from_slice(&chunk[..room]);
                        hop.body_truncated = true;
                        break;
                    }
                    hop.body.extend_from_slice(&chunk);
                }
            }
        }
        drop(resp);
        hop.timings.receive = Some(receiving.elapsed());

        if status.is_redirection()
            && let Some(loc) = location
        {
            let next = match url.join(loc.trim()) {
                Ok(n) => n,
                Err(_) => {
                    hop.location = Some(crate::redact::url_str(&loc));
                    ev.hops.push(hop);
                    break;
                }
            };
            hop.location = Some(crate::redact::url(&next).to_string());
            ev.hops.push(hop);
            if seen.contains(&next.to_string()) {
                ev.redirect_problem = Some(RedirectProblem::Loop {
                    url: crate::redact::url(&next).to_string(),
                });
                break;
            }
            if ev.hops.len() > MAX_REDIRECTS {
                ev.redirect_problem = Some(RedirectProblem::TooMany);
                break;
            }
            if next.scheme() != "http" && next.scheme() != "https" {
                break;
            }
            seen.push(next.to_string());
            url = next;
            if ev.failure.is_some() {
                break;
            }
            continue;
        }
        // A 401 on the URL's own origin with a password supplied: answer the challenge
        // (once, and once more when Digest says only the nonce was stale).
        if status.as_u16() == 401
            && same_origin
            && ev.failure.is_none()
            && let (Some(user), Some(password)) =
                (&opts.credentials.user, &opts.credentials.password)
        {
            let parsed = crate::challenge::parse(&hop.header_values("www-authenticate"));
            let stale = parsed.challenges.iter().any(|c| {
                c.is("Digest")
                    && c.param("stale")
                        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            });
            let retry = auth_attempts == 0
                || (auth_attempts == 1 && stale && hop.credentials_sent.contains(&"digest"));
            let uri = &url[url::Position::BeforePath..url::Position::AfterQuery];
            if retry && let Some(answer) = auth::answer(&parsed, user, password, uri, seed) {
                auth_attempts += 1;
                pending_auth = Some(answer);
                ev.hops.push(hop);
                continue;
            }
        }
        ev.hops.push(hop);
        break;
    }
    ev.timings.total = started.elapsed();
    record::note(&ev);
    Ok(ev)
}

/// The headers of `request` as they go out, recorded like response headers (secrets hidden
/// by field). reqwest adds `Host`, the client's `User-Agent` and, with gzip on and no
/// `Accept-Encoding` given, `Accept-Encoding: gzip` as it sends: they are listed too.
fn request_headers(request: &reqwest::Request, sent: &crate::redact::Sent) -> Vec<Header> {
    let url = request.url();
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    let mut out = vec![Header::recorded("host", host.as_bytes(), sent)];
    let given = request.headers();
    if !given.contains_key(reqwest::header::USER_AGENT) {
        out.push(Header::recorded("user-agent", USER_AGENT.as_bytes(), sent));
    }
    out.extend(
        given
            .iter()
            .map(|(n, v)| Header::recorded(n.as_str(), v.as_bytes(), sent)),
    );
    if !given.contains_key(reqwest::header::ACCEPT_ENCODING) {
        out.push(Header::recorded("accept-encoding", b"gzip", sent));
    }
    out
}

/// A header value marked sensitive (HTTP/2 never indexes it, debug output hides it).
fn secret_header(value: &str, what: &str) -> Result<reqwest::header::HeaderValue> {
    let mut v = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        Error::BadInput(format!(
            "the {what} contains characters that cannot be sent in an HTTP header (line breaks or control characters)"
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Turns an HTTP client error into a failure, walking the source chain.
fn classify_reqwest(e: &reqwest::Error) -> Failure {
    if let Some((problem, detail)) = tls::classify(e) {
        return Failure::Tls { problem, detail };
    }
    let mut chain = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !chain.contains(&s) {
            chain.push(s);
        }
        cur = err.source();
    }
    // reqwest's own message names the URL, which may hold secrets; keep only the causes.
    let detail = if chain.len() > 1 {
        chain[1..].join(": ")
    } else {
        chain.join(": ")
    };
    if detail.contains("too large") {
        return Failure::HeadersTooLarge { detail };
    }
    if e.is_timeout() {
        return Failure::Timeout {
            phase: Phase::Response,
            detail,
        };
    }
    if e.is_connect() {
        let refused = detail.contains("refused");
        return Failure::Connect { detail, refused };
    }
    Failure::Protocol { detail }
}
