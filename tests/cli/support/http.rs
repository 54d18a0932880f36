//! Every loopback HTTP server of the tests (ARCHITECTURE.md, "Tests"): one small raw-TCP
//! HTTP/1.1 server whose answer per request is chosen by the test, including hostile
//! behaviours (never answering, endless bodies, huge headers), and the sites built on it —
//! the stale-cookie site of the repair tests and the cookie-and-cache site the real browsers
//! visit. TLS (HTTPS servers and their certificates) is in `tls.rs`, so that the app's e2e
//! tests can include this file (by `#[path]`) without a TLS stack. Every socket is bound to
//! 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `CONNECT`…
    pub method: String,
    /// The request target (path, absolute URL or authority).
    pub target: String,
    /// Headers as sent, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Writes these bytes and closes.
    Raw(Vec<u8>),
    /// Writes these bytes (a complete response) and reads the next request on the same
    /// connection (HTTP/1.1 keep-alive, as browsers use it).
    KeepAlive(Vec<u8>),
    /// Keeps the connection open without a word.
    Silent,
    /// Writes this head, then body bytes forever (until the client goes away).
    Endless(Vec<u8>),
}

/// A complete response with `Content-Length` and `Connection: close`.
pub fn respond(status: u16, headers: &[(&str, &[u8])], body: &[u8]) -> Reply {
    let mut out = format!("HTTP/1.1 {status} Scenario\r\n").into_bytes();
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    Reply::Raw(out)
}

/// Chooses the reply to one request (the server's own address is the second argument).
pub type Handler = dyn Fn(&Request, SocketAddr) -> Reply + Send + Sync;

/// A connection's byte stream: plain TCP, or TLS over it (`tls.rs`).
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Turns an accepted TCP connection into the stream the server speaks HTTP on (`None`
/// drops the connection).
pub type Wrap = dyn Fn(TcpStream) -> Option<Box<dyn Stream>> + Send + Sync;

/// A running server; stops accepting when dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    /// Every request received.
    pub requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// A plain HTTP server on a free loopback port.
    pub fn http(handler: impl Fn(&Request, SocketAddr) -> Reply + Send + Sync + 'static) -> Server {
        Server::start("http", None, Arc::new(handler))
    }

    /// A server on a free loopback port speaking `scheme` over the streams `wrap` makes of
    /// each connection (plain TCP when `None`); `tls.rs` builds HTTPS on it.
    pub fn start(scheme: &'static str, wrap: Option<Arc<Wrap>>, handler: Arc<Handler>) -> Server {
        Server::serve_on(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            scheme,
            wrap,
            handler,
        )
    }

    /// A plain HTTP server at exactly `addr` (a fixed port such as WPAD's 80); `Err` when
    /// that address cannot be bound (taken, or no right to bind a low port).
    pub fn http_at(
        addr: SocketAddr,
        handler: impl Fn(&Request, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Server> {
        Ok(Server::serve_on(
            TcpListener::bind(addr)?,
            "http",
            None,
            Arc::new(handler),
        ))
    }

    fn serve_on(
        listener: TcpListener,
        scheme: &'static str,
        wrap: Option<Arc<Wrap>>,
        handler: Arc<Handler>,
    ) -> Server {
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, st) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, r, wrap) = (handler.clone(), reqs.clone(), wrap.clone());
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                    match wrap {
                        None => serve(conn, addr, &*h, &r),
                        Some(wrap) => {
                            if let Some(stream) = wrap(conn) {
                                serve(stream, addr, &*h, &r);
                            }
                        }
                    }
                });
            }
        });
        Server {
            addr,
            scheme,
            requests,
            stop,
        }
    }

    /// `http(s)://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve<S: Read + Write>(
    mut s: S,
    local: SocketAddr,
    handler: &Handler,
    log: &Mutex<Vec<Request>>,
) {
    // Bytes read but not yet used: a kept-alive connection's next request may follow the
    // previous one in the same read.
    let mut pending = Vec::new();
    loop {
        let Some(req) = read_request(&mut s, &mut pending) else {
            return;
        };
        log.lock().unwrap().push(req.clone());
        match handler(&req, local) {
            Reply::Raw(bytes) => {
                let _ = s.write_all(&bytes);
                let _ = s.flush();
                return;
            }
            Reply::KeepAlive(bytes) => {
                if s.write_all(&bytes).and_then(|()| s.flush()).is_err() {
                    return;
                }
            }
            Reply::Silent => {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            Reply::Endless(head) => {
                if s.write_all(&head).is_err() {
                    return;
                }
                let chunk = vec![b'x'; 16 * 1024];
                while s.write_all(&chunk).is_ok() {}
                return;
            }
        }
    }
}

/// Reads one request (head and `Content-Length` body) from `s`; `None` when the connection
/// ends first (the probe's pre-flight sends nothing), is a TLS ClientHello on a plain port
/// (answered 400, as real HTTP servers do) or sends an oversized head.
fn read_request<S: Read + Write>(s: &mut S, pending: &mut Vec<u8>) -> Option<Request> {
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
        // A TLS ClientHello on a plain port: answer like real HTTP servers do.
        if pending.first() == Some(&0x16) {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
            return None;
        }
        if pending.len() > 256 * 1024 {
            return None;
        }
    };
    let text = String::from_utf8_lossy(&pending[..head_end]).into_owned();
    pending.drain(..head_end);
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let req = Request {
        method: parts.next().unwrap_or_default().to_string(),
        target: parts.next().unwrap_or_default().to_string(),
        headers: lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect(),
    };
    // Skip the body, so that a kept-alive connection's next request starts where it should.
    let body = req
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    while pending.len() < body {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
    pending.drain(..body.min(pending.len()));
    Some(req)
}

/// A port on loopback where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A loopback port whose connection attempts are never answered: a listener with a full
/// backlog that never accepts, so further SYNs are dropped (a "silent" port, as behind a
/// firewall that drops packets). Keep the returned guard alive while testing.
#[cfg(target_os = "linux")]
pub fn silent_port() -> (u16, Vec<TcpStream>, TcpListener) {
    use std::os::fd::AsRawFd;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: shrinking the backlog of a socket this function owns.
    unsafe { libc::listen(l.as_raw_fd(), 0) };
    let addr = l.local_addr().unwrap();
    let mut fill = Vec::new();
    // Fill the accept queue; once an attempt times out, the port is silent.
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fill.push(s),
            Err(_) => break,
        }
    }
    (addr.port(), fill, l)
}

// ------------------------------------------------------------------ stale-cookie site

/// One request the stale-cookie site saw: its path and its Cookie header.
pub type Seen = (String, Option<String>);

/// A site on 127.0.0.1: `/login` sets `sid=stale-session`; any request carrying that
/// cookie gets 401 (as a site does after its session store was reset), without it 200.
pub struct StaleCookieSite {
    /// The port it listens on.
    pub port: u16,
    /// Every request's path and Cookie header, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
    _server: Server,
}

impl StaleCookieSite {
    /// Starts the site on a free loopback port.
    pub fn start() -> StaleCookieSite {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        let server = Server::http(move |req, _| {
            let cookie = req.header("cookie").map(str::to_string);
            log.lock()
                .unwrap()
                .push((req.target.clone(), cookie.clone()));
            Reply::Raw(stale_cookie_response(&req.target, cookie.as_deref()))
        });
        StaleCookieSite {
            port: server.addr.port(),
            seen,
            _server: server,
        }
    }

    /// `http://HOST:PORT/PATH`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// True when a request carried the stale cookie.
    pub fn saw_stale_cookie(&self) -> bool {
        self.seen.lock().unwrap().iter().any(|(_, c)| {
            c.as_deref()
                .is_some_and(|c| c.contains("sid=stale-session"))
        })
    }
}

/// The stale-cookie site's answer to `path` with this Cookie header.
fn stale_cookie_response(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let stale = cookie.is_some_and(|c| c.contains("sid=stale-session"));
    let (status, extra, body) = if path.starts_with("/login") {
        (
            "200 OK",
            "Set-Cookie: sid=stale-session; Path=/; Max-Age=86400; HttpOnly\r\n\
             Set-Cookie: theme=dark; Path=/; Max-Age=86400\r\n",
            "<html><body>signed in</body></html>",
        )
    } else if stale {
        (
            "401 Unauthorized",
            "WWW-Authenticate: Bearer realm=\"intranet\", error=\"invalid_token\", \
             error_description=\"session expired\"\r\nCache-Control: private, max-age=3600\r\n",
            "<html><body>401 session expired</body></html>",
        )
    } else {
        ("200 OK", "", "<html><body>welcome</body></html>")
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra}\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

// ------------------------------------------------------------------ the real browsers' site

/// How a request for a resource was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// A plain request: the browser had nothing cached (or ignored it).
    Full,
    /// `If-None-Match` / `If-Modified-Since`: the browser had it cached and revalidated.
    Conditional,
}

/// One request the browser site saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `Host` without the port (`a.test`).
    pub host: String,
    /// Method (`GET`).
    pub method: String,
    /// Path with query (`/static.js`).
    pub path: String,
    /// The `Cookie` header, if any.
    pub cookie: Option<String>,
    /// Conditional (revalidation) or full fetch.
    pub fetch: Fetch,
    /// The status the server answered.
    pub status: u16,
}

impl LoggedRequest {
    /// True when the request carried a cookie named `name`.
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookie.as_deref().is_some_and(|c| {
            c.split(';')
                .any(|kv| kv.trim().split('=').next() == Some(name))
        })
    }
}

/// The site the real browsers visit (`real_browser.rs`), kept alive like a real server.
/// For a host `h` (e.g. `a.test`):
///
/// - `/` — an HTML page (not cacheable) that sets two persistent cookies,
///   `site_<label>=<h>` (host-only) and `dom_<label>=1` (`Domain=<h>`), where `<label>` is
///   the first label of the host (`a`), and loads `/static.js` and `/fresh.js`;
/// - `/static.js` — `Cache-Control: no-cache` + `ETag`: a cached copy is always revalidated
///   (logged as [`Fetch::Conditional`], answered 304), an uncached one fetched in full;
/// - `/fresh.js` — `Cache-Control: max-age=86400` + `ETag`: a cached copy is used without
///   any request;
/// - anything else — 404.
pub struct BrowserSite {
    server: Server,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl BrowserSite {
    /// Starts the site on 127.0.0.1 with a free port.
    pub fn start() -> BrowserSite {
        let log: Arc<Mutex<Vec<LoggedRequest>>> = Arc::default();
        let log2 = Arc::clone(&log);
        let server = Server::http(move |req, _| {
            let host_header = req.header("host").unwrap_or_default();
            let host = host_header
                .rsplit_once(':')
                .map(|(h, _)| h)
                .unwrap_or(host_header)
                .to_ascii_lowercase();
            let if_none_match = req.header("if-none-match");
            let conditional = if_none_match.is_some() || req.header("if-modified-since").is_some();
            let (status, response) = browser_site_response(&host, &req.target, if_none_match);
            log2.lock().unwrap().push(LoggedRequest {
                host,
                method: req.method.clone(),
                path: req.target.clone(),
                cookie: req.header("cookie").map(str::to_string),
                fetch: if conditional {
                    Fetch::Conditional
                } else {
                    Fetch::Full
                },
                status,
            });
            Reply::KeepAlive(response)
        });
        BrowserSite { server, log }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// `http://<host>:<port><path>`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap().clone()
    }

    /// The requests for one host and path.
    pub fn requests_to(&self, host: &str, path: &str) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.host == host && r.path == path)
            .collect()
    }

    /// The last request for one host and path, if any.
    pub fn last_request(&self, host: &str, path: &str) -> Option<LoggedRequest> {
        self.requests_to(host, path).pop()
    }

    /// Forgets the requests seen so far.
    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

/// The browser site's status and complete keep-alive response for `host` and `path`.
fn browser_site_response(host: &str, path: &str, if_none_match: Option<&str>) -> (u16, Vec<u8>) {
    let label = host.split('.').next().unwrap_or("x");
    let etag = format!("\"{label}-v1\"");
    let build = |status: &str, headers: &[String], body: &[u8]| {
        let mut out = format!("HTTP/1.1 {status}\r\nConnection: keep-alive\r\n");
        for h in headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    };
    match path {
        "/" => {
            let body = format!(
                "<!doctype html><html><head><title>{host}</title>\
                 <script src=\"/static.js\"></script><script src=\"/fresh.js\"></script>\
                 </head><body><p id=\"host\">{host}</p></body></html>"
            );
            (
                200,
                build(
                    "200 OK",
                    &[
                        "Content-Type: text/html; charset=utf-8".into(),
                        "Cache-Control: no-store".into(),
                        format!("Set-Cookie: site_{label}={host}; Max-Age=31536000; Path=/"),
                        format!(
                            "Set-Cookie: dom_{label}=1; Domain={host}; Max-Age=31536000; Path=/"
                        ),
                    ],
                    body.as_bytes(),
                ),
            )
        }
        "/static.js" | "/fresh.js" => {
            let cache = if path == "/static.js" {
                "Cache-Control: no-cache"
            } else {
                "Cache-Control: max-age=86400"
            };
            if if_none_match == Some(etag.as_str()) {
                return (
                    304,
                    build(
                        "304 Not Modified",
                        &[cache.into(), format!("ETag: {etag}")],
                        b"",
                    ),
                );
            }
            let body = format!("window.loaded_{label} = ({:?});\n", path).repeat(64);
            (
                200,
                build(
                    "200 OK",
                    &[
                        "Content-Type: application/javascript".into(),
                        cache.into(),
                        format!("ETag: {etag}"),
                        "Last-Modified: Mon, 02 Jan 2023 00:00:00 GMT".into(),
                    ],
                    body.as_bytes(),
                ),
            )
        }
        _ => (
            404,
            build(
                "404 Not Found",
                &["Content-Type: text/plain".into()],
                b"not found",
            ),
        ),
    }
}

/// A site behind a header limit as nginx enforces it (`large_client_header_buffers`): a
/// request whose `Cookie` header is longer than `limit` bytes gets `status` with nginx's
/// "Request Header Or Cookie Too Large" page; any other gets 200. `limit` 0 refuses every
/// request, cookies or not.
pub fn header_limit_site(status: u16, limit: usize) -> Server {
    Server::http(move |req, _| {
        let cookie = req.header("cookie").map_or(0, str::len);
        if limit == 0 || cookie > limit {
            respond(
                status,
                &[("Content-Type", b"text/html")],
                b"<html><head><title>400 Request Header Or Cookie Too Large</title></head>\r\n\
                  <body><center><h1>400 Bad Request</h1></center>\r\n\
                  <center>Request Header Or Cookie Too Large</center>\r\n\
                  <hr><center>nginx</center></body></html>\r\n",
            )
        } else {
            respond(200, &[("Content-Type", b"text/html")], b"<p>welcome</p>")
        }
    })
}

/// A site that signs in through an identity provider, and the provider, on two loopback
/// servers reached by name (the test's DNS maps both names to 127.0.0.1).
pub struct SsoPair {
    /// The site: `/callback` answers 401 with a Bearer challenge (it does not accept the
    /// sign-in it gets back); every other path redirects to the provider.
    pub site: Server,
    /// The provider: `/realms/…` or any path; sends the browser back to the site, or
    /// answers an error.
    pub provider: Server,
    site_host: String,
}

impl SsoPair {
    /// Starts both: the site at `site_host`, redirecting to
    /// `http://{provider_host}:PORT{provider_path}`; the provider answering `error` (an
    /// AADSTS-like error page) or, when `None`, redirecting to `http://{site_host}:PORT{back_path}`
    /// (`/` makes a loop, `/callback` a sign-in the site refuses).
    pub fn start(
        site_host: &str,
        provider_host: &str,
        provider_path: &str,
        back_path: &str,
        error: Option<u16>,
    ) -> SsoPair {
        let site_port: Arc<std::sync::OnceLock<u16>> = Arc::default();
        let (port, host, back) = (
            site_port.clone(),
            site_host.to_string(),
            back_path.to_string(),
        );
        let provider = Server::http(move |_, _| match error {
            Some(status) => respond(
                status,
                &[("Content-Type", b"text/html")],
                b"<p>AADSTS50011: The redirect URI does not match the one configured.</p>",
            ),
            None => {
                let to = format!("http://{host}:{}{back}", port.get().copied().unwrap_or(0));
                respond(302, &[("Location", to.as_bytes())], b"")
            }
        });
        let to = format!(
            "http://{provider_host}:{}{provider_path}",
            provider.addr.port()
        );
        let site = Server::http(move |req, _| {
            if req.target.starts_with("/callback") {
                respond(
                    401,
                    &[("WWW-Authenticate", b"Bearer realm=\"app\"")],
                    b"not signed in",
                )
            } else {
                respond(302, &[("Location", to.as_bytes())], b"")
            }
        });
        let _ = site_port.set(site.addr.port());
        SsoPair {
            site,
            provider,
            site_host: site_host.to_string(),
        }
    }

    /// The site's URL at `path`, by its name.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.site_host, self.site.addr.port())
    }
}
