//! The network phases measured on fix401's own socket: name resolution, TCP connect, the
//! proxy tunnel and the TLS handshake. Each is timed and each failure is classified, which
//! the HTTP client would only report as one opaque error.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tls::{TlsProblem, classify_rustls};
use super::{Failure, Phase};
use crate::system::System;

/// Resolves `host` (a name or an IP literal) to addresses, through `sys.dns_server` when
/// one is set and the OS resolver otherwise.
pub async fn resolve(sys: &System, host: &str) -> Result<Vec<IpAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match sys.dns_server {
        Some(server) => resolve_via(server, host).await,
        None => {
            let addrs = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| e.to_string())?;
            let mut ips: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !ips.contains(&a.ip()) {
                    ips.push(a.ip());
                }
            }
            if ips.is_empty() {
                Err("the name has no addresses".into())
            } else {
                Ok(ips)
            }
        }
    }
}

/// Asks one DNS server directly (the hidden `--dns-server` option of tests and technicians).
async fn resolve_via(server: SocketAddr, host: &str) -> Result<Vec<IpAddr>, String> {
    use hickory_resolver::config::{
        ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig,
    };
    use hickory_resolver::net::runtime::TokioRuntimeProvider;
    let mut udp = ConnectionConfig::udp();
    udp.port = server.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.port();
    let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
    let config = ResolverConfig::from_name_servers(vec![ns]);
    let mut builder =
        hickory_resolver::Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    builder.options_mut().use_hosts_file = ResolveHosts::Never;
    builder.options_mut().cache_size = 0;
    builder.options_mut().attempts = 1;
    let resolver = builder.build().map_err(|e| e.to_string())?;
    let fqdn = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    let lookup = resolver
        .lookup_ip(fqdn.as_str())
        .await
        .map_err(|e| e.to_string())?;
    let ips: Vec<IpAddr> = lookup.iter().collect();
    if ips.is_empty() {
        Err("the name has no addresses".into())
    } else {
        Ok(ips)
    }
}

/// Phase durations of one pre-flight.
#[derive(Debug, Default, Clone, Copy)]
pub struct Phases {
    /// Name resolution.
    pub dns: Option<Duration>,
    /// TCP connect (to the origin, or to the proxy).
    pub connect: Option<Duration>,
    /// TLS handshake (through the proxy tunnel when there is one).
    pub tls: Option<Duration>,
}

/// What the pre-flight learnt.
#[derive(Debug, Default)]
pub struct Preflight {
    /// Timings of each phase that ran.
    pub phases: Phases,
    /// The addresses the origin (or the proxy) resolved to.
    pub resolved: Vec<IpAddr>,
    /// The address that answered the TCP connect.
    pub connected: Option<SocketAddr>,
    /// Negotiated TLS version and the certificate's validity end, for the evidence.
    pub tls_details: Vec<String>,
    /// A proxy that refused the tunnel: its status and `Proxy-Authenticate` lines.
    pub proxy_refusal: Option<(u16, Vec<Vec<u8>>)>,
}

/// Where the pre-flight connects.
pub struct Endpoint<'a> {
    /// The origin's scheme is https.
    pub https: bool,
    /// The origin's host (ASCII).
    pub host: &'a str,
    /// The origin's port.
    pub port: u16,
    /// A proxy to go through: host and port.
    pub proxy: Option<(&'a str, u16)>,
    /// The proxy speaks SOCKS: only its name and port are checked here (no CONNECT, no
    /// TLS through it); the HTTP client does the SOCKS handshake.
    pub socks: bool,
    /// The `Proxy-Authorization` value to send with CONNECT (from the proxy URL's user
    /// name and password), never recorded.
    pub proxy_auth: Option<String>,
}

/// Resolves, connects and (for https) completes a TLS handshake with the origin, all
/// before `deadline`, recording how long each phase took.
pub async fn preflight(
    sys: &System,
    ep: &Endpoint<'_>,
    tls: Option<Arc<rustls::ClientConfig>>,
    deadline: tokio::time::Instant,
    out: &mut Preflight,
) -> Result<(), Failure> {
    let (conn_host, conn_port) = ep.proxy.unwrap_or((ep.host, ep.port));
    let t = Instant::now();
    let literal = conn_host.parse::<IpAddr>().is_ok();
    let ips = match tokio::time::timeout_at(deadline, resolve(sys, conn_host)).await {
        Err(_) => return Err(Failure::timeout(Phase::Dns)),
        Ok(Err(message)) => {
            out.phases.dns = Some(t.elapsed());
            return Err(Failure::Dns {
                host: conn_host.to_string(),
                message,
            });
        }
        Ok(Ok(ips)) => ips,
    };
    // An IP address needs no lookup: no DNS phase to report.
    if !literal {
        out.phases.dns = Some(t.elapsed());
    }
    out.resolved = ips.clone();

    // Connect to each address in turn, as browsers do, until one answers.
    let t = Instant::now();
    let mut stream = None;
    let mut refusals = Vec::new();
    let mut all_refused = true;
    // Each address gets its share of the time left, so one silent address (a black-holed
    // IPv6 route) does not use up the deadline before the next is tried.
    let mut silent = Vec::new();
    for (i, ip) in ips.iter().enumerate() {
        let addr = SocketAddr::new(*ip, conn_port);
        let now = tokio::time::Instant::now();
        let share = deadline.saturating_duration_since(now) / (ips.len() - i) as u32;
        match tokio::time::timeout_at(now + share, TcpStream::connect(addr)).await {
            Err(_) => {
                all_refused = false;
                silent.push(addr.to_string());
            }
            Ok(Err(e)) => {
                all_refused &= e.kind() == std::io::ErrorKind::ConnectionRefused;
                refusals.push(format!("{addr}: {e}"));
            }
            Ok(Ok(s)) => {
                out.connected = Some(addr);
                stream = Some(s);
                break;
            }
        }
    }
    if stream.is_none() && !silent.is_empty() {
        out.phases.connect = Some(t.elapsed());
        let mut detail = format!(
            "no answer to the connection attempt from {}",
            silent.join(", ")
        );
        if !refusals.is_empty() {
            detail.push_str(&format!("; {}", refusals.join("; ")));
        }
        return Err(Failure::Timeout {
            phase: Phase::Connect,
            detail,
        });
    }
    out.phases.connect = Some(t.elapsed());
    let Some(mut stream) = stream else {
        return Err(Failure::Connect {
            detail: refusals.join("; "),
            refused: all_refused,
        });
    };
    let _ = stream.set_nodelay(true);

    if let Some((phost, pport)) = ep.proxy {
        if !ep.https || ep.socks {
            // Plain http through a proxy: the proxy gets the full URL; nothing to tunnel.
            // Through SOCKS the client's own handshake is the tunnel.
            return Ok(());
        }
        let t = Instant::now();
        let refusal = tokio::time::timeout_at(deadline, connect_tunnel(&mut stream, ep)).await;
        match refusal {
            Err(_) => {
                return Err(Failure::Timeout {
                    phase: Phase::Connect,
                    detail: format!("the proxy {phost}:{pport} did not answer CONNECT"),
                });
            }
            Ok(Err(detail)) => return Err(Failure::Protocol { detail }),
            Ok(Ok(Some(refusal))) => {
                out.proxy_refusal = Some(refusal);
                return Ok(());
            }
            Ok(Ok(None)) => {
                let c = out.phases.connect.unwrap_or_default();
                out.phases.connect = Some(c + t.elapsed());
            }
        }
    }

    if let (true, Some(config)) = (ep.https, tls) {
        let Ok(name) = ServerName::try_from(ep.host.to_string()) else {
            return Err(Failure::Protocol {
                detail: format!("'{}' is not a usable TLS server name", ep.host),
            });
        };
        let t = Instant::now();
        let connector = tokio_rustls::TlsConnector::from(config);
        let res = tokio::time::timeout_at(deadline, connector.connect(name, stream)).await;
        out.phases.tls = Some(t.elapsed());
        match res {
            Err(_) => {
                return Err(Failure::Timeout {
                    phase: Phase::Tls,
                    detail:
                        "the server accepted the connection but never finished the TLS handshake"
                            .into(),
                });
            }
            Ok(Err(e)) => {
                let (problem, detail) =
                    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                        Some(tls) => classify_rustls(tls),
                        None => (TlsProblem::Handshake, e.to_string()),
                    };
                return Err(Failure::Tls { problem, detail });
            }
            Ok(Ok(tls)) => {
                let (_, conn) = tls.get_ref();
                if let Some(v) = conn.protocol_version() {
                    out.tls_details.push(format!("TLS version: {v:?}"));
                }
                if let Some(alpn) = conn.alpn_protocol() {
                    out.tls_details
                        .push(format!("ALPN: {}", String::from_utf8_lossy(alpn)));
                }
                if let Some(certs) = conn.peer_certificates() {
                    out.tls_details.push(format!(
                        "certificate chain: {}",
                        crate::words::count(certs.len(), "certificate", "certificates")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Sends `CONNECT host:port` and reads the proxy's answer. `Ok(None)` when the tunnel is
/// open, `Ok(Some((status, proxy_authenticate_lines)))` when the proxy refused it.
async fn connect_tunnel(
    stream: &mut TcpStream,
    ep: &Endpoint<'_>,
) -> Result<Option<(u16, Vec<Vec<u8>>)>, String> {
    let authority = if ep.host.contains(':') {
        format!("[{}]:{}", ep.host, ep.port)
    } else {
        format!("{}:{}", ep.host, ep.port)
    };
    let auth = ep
        .proxy_auth
        .as_ref()
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {}\r\n{auth}\r\n",
        super::USER_AGENT
    );
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("the proxy closed the connection: {e}"))?;
    // Read the response head byte by byte so nothing of the tunnel is consumed; capped.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return Err("the proxy's answer to CONNECT is larger than 64 KiB".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the proxy closed the connection during CONNECT".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(format!("reading the proxy's answer failed: {e}")),
        }
    }
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("the proxy answered CONNECT with '{status_line}'"))?;
    if (200..300).contains(&status) {
        return Ok(None);
    }
    let mut challenges = Vec::new();
    for line in lines {
        if let Some(colon) = line.iter().position(|&b| b == b':')
            && line[..colon].eq_ignore_ascii_case(b"proxy-authenticate")
        {
            challenges.push(line[colon + 1..].trim_ascii().to_vec());
        }
    }
    Ok(Some((status, challenges)))
}
