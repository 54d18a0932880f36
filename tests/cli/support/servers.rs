//! Loopback scenario servers for the `diagnose` tests: a small raw-TCP HTTP/1.1 server (with
//! optional TLS through rustls) whose answer per request is chosen by the test, including
//! hostile behaviours (never answering, endless bodies, huge headers).

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

type Handler = dyn Fn(&Request, SocketAddr) -> Reply + Send + Sync;

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
        Server::start(None, Arc::new(handler))
    }

    /// An HTTPS server presenting `cert_der` with `key_der` (PKCS#8).
    pub fn https(
        cert_der: Vec<u8>,
        key_der: Vec<u8>,
        handler: impl Fn(&Request, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(cert_der)],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
            )
            .unwrap();
        Server::start(Some(Arc::new(config)), Arc::new(handler))
    }

    /// A plain HTTP server at exactly `addr` (a fixed port such as WPAD's 80); `Err` when
    /// that address cannot be bound (taken, or no right to bind a low port).
    pub fn http_at(
        addr: SocketAddr,
        handler: impl Fn(&Request, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Server> {
        Ok(Server::serve_on(
            TcpListener::bind(addr)?,
            None,
            Arc::new(handler),
        ))
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>, handler: Arc<Handler>) -> Server {
        Server::serve_on(TcpListener::bind("127.0.0.1:0").unwrap(), tls, handler)
    }

    fn serve_on(
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: Arc<Handler>,
    ) -> Server {
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, st) = (requests.clone(), stop.clone());
        let scheme = if tls.is_some() { "https" } else { "http" };
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, r, tls) = (handler.clone(), reqs.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                    match tls {
                        None => serve(conn, addr, &*h, &r),
                        Some(cfg) => {
                            let Ok(sc) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            serve(rustls::StreamOwned::new(sc, conn), addr, &*h, &r);
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
    // Read one request head; connections that send nothing (the probe's pre-flight) just end.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        // A TLS ClientHello on a plain port: answer like real HTTP servers do.
        if head.first() == Some(&0x16) {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
            return;
        }
        if head.len() > 256 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
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
    log.lock().unwrap().push(req.clone());
    match handler(&req, local) {
        Reply::Raw(bytes) => {
            let _ = s.write_all(&bytes);
            let _ = s.flush();
        }
        Reply::Silent => std::thread::sleep(Duration::from_secs(60)),
        Reply::Endless(head) => {
            if s.write_all(&head).is_err() {
                return;
            }
            let chunk = vec![b'x'; 16 * 1024];
            while s.write_all(&chunk).is_ok() {}
        }
    }
}

/// A certificate and its key, plus the PEM of the CA that signed it (if not self-signed).
pub struct Cert {
    /// The leaf certificate (DER).
    pub cert_der: Vec<u8>,
    /// Its key (PKCS#8 DER).
    pub key_der: Vec<u8>,
    /// The CA certificate (PEM), to trust with `--ca-file`.
    pub ca_pem: Option<String>,
}

/// A self-signed certificate for 127.0.0.1 and localhost.
pub fn self_signed() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    Cert {
        cert_der: ck.cert.der().to_vec(),
        key_der: ck.signing_key.serialize_der(),
        ca_pem: None,
    }
}

/// A certificate for `names`, valid between the two dates, issued by a fresh test CA.
pub fn ca_signed(names: &[&str], not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> Cert {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fix401 test CA");
    ca_params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let cert = params.signed_by(&key, &issuer).unwrap();
    Cert {
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
        ca_pem: Some(ca_cert.pem()),
    }
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
