//! Real DNS for the tests, on loopback only: an upstream name server whose answers the test
//! changes, a tiny client, and launchers for real `dnsmasq`, `unbound` and `nscd` caching in
//! front of it. Every process is killed when its guard drops. The one DNS module of the
//! test support (ARCHITECTURE.md, "Tests"): the CLI tests and the app's e2e tests (by
//! `#[path]`) both use it.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A hand-written authoritative server on 127.0.0.1: A records from a table the test
/// changes, NODATA for other types of known names, NXDOMAIN for unknown names.
pub struct UpstreamDns {
    /// Where it listens.
    pub addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, Ipv4Addr>>>,
    queries: Arc<AtomicUsize>,
    /// The TTL of every answer, in seconds.
    pub ttl: u32,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl UpstreamDns {
    /// Starts it on a free loopback port; answers carry a TTL of 300 s, so caches keep them.
    pub fn start() -> UpstreamDns {
        UpstreamDns::with_ttl(300)
    }

    /// Starts it on a free loopback port with answers of TTL `ttl` seconds.
    pub fn with_ttl(ttl: u32) -> UpstreamDns {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind upstream DNS");
        // Lets the thread notice `stop`; not a timing assumption of any test.
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let answers: Arc<Mutex<HashMap<String, Ipv4Addr>>> = Arc::default();
        let queries = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, q, s) = (answers.clone(), queries.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::SeqCst) {
                let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                q.fetch_add(1, Ordering::SeqCst);
                if let Some(resp) = respond(&buf[..n], &a.lock().unwrap(), ttl) {
                    let _ = sock.send_to(&resp, peer);
                }
            }
        });
        UpstreamDns {
            addr,
            answers,
            queries,
            ttl,
            stop,
            thread: Some(thread),
        }
    }

    /// Makes `name` answer `ip`.
    pub fn set(&self, name: &str, ip: Ipv4Addr) {
        self.answers
            .lock()
            .unwrap()
            .insert(name.trim_end_matches('.').to_ascii_lowercase(), ip);
    }

    /// How many queries it received.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for UpstreamDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads a (possibly compressed) name at `pos`; returns it and the position after it.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *msg.get(pos)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(pos + 1)));
        }
        if len & 0xC0 == 0xC0 {
            let ptr = ((len & 0x3F) << 8) | *msg.get(pos + 1)? as usize;
            end.get_or_insert(pos + 2);
            pos = ptr;
            continue;
        }
        labels.push(String::from_utf8_lossy(msg.get(pos + 1..pos + 1 + len)?).to_ascii_lowercase());
        pos += 1 + len;
    }
    None
}

fn respond(q: &[u8], answers: &HashMap<String, Ipv4Addr>, ttl: u32) -> Option<Vec<u8>> {
    if q.len() < 12 || q[2] & 0x80 != 0 {
        return None;
    }
    let (name, after) = read_name(q, 12)?;
    let qtype = u16::from_be_bytes([*q.get(after)?, *q.get(after + 1)?]);
    let question = q.get(12..after + 4)?;
    let known = answers.get(&name);
    let answer_a = qtype == 1 && known.is_some();
    let rcode = if known.is_some() { 0 } else { 3 };
    let mut r = Vec::with_capacity(64);
    r.extend_from_slice(&q[0..2]);
    r.push(0x84 | (q[2] & 0x01)); // QR, AA, RD copied
    r.push(0x80 | rcode); // RA
    r.extend_from_slice(&[0, 1, 0, answer_a as u8, 0, 0, 0, 0]);
    r.extend_from_slice(question);
    if let (true, Some(ip)) = (answer_a, known) {
        r.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        r.extend_from_slice(&ttl.to_be_bytes());
        r.extend_from_slice(&[0, 4]);
        r.extend_from_slice(&ip.octets());
    }
    Some(r)
}

/// Asks `server` for the A records of `name` (plain UDP, no cache). `None` when no answer
/// came back at all.
pub fn query_a(server: SocketAddr, name: &str) -> Option<Vec<Ipv4Addr>> {
    let sock = UdpSocket::bind("127.0.0.1:0").ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let id: u16 = (std::process::id() as u16) ^ 0x5a5a;
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    sock.send_to(&q, server).ok()?;
    let mut buf = [0u8; 1500];
    let n = sock.recv(&mut buf).ok()?;
    let msg = &buf[..n];
    let ancount = u16::from_be_bytes([msg[6], msg[7]]);
    let (_, mut pos) = read_name(msg, 12)?;
    pos += 4;
    let mut out = Vec::new();
    for _ in 0..ancount {
        let (_, p) = read_name(msg, pos)?;
        let rtype = u16::from_be_bytes([msg[p], msg[p + 1]]);
        let rdlen = u16::from_be_bytes([msg[p + 8], msg[p + 9]]) as usize;
        let data = msg.get(p + 10..p + 10 + rdlen)?;
        if rtype == 1 && rdlen == 4 {
            out.push(Ipv4Addr::new(data[0], data[1], data[2], data[3]));
        }
        pos = p + 10 + rdlen;
    }
    Some(out)
}

/// A free loopback UDP port (bound, then released for the daemon).
pub fn free_port() -> u16 {
    // DNS daemons bind UDP and TCP on their port, and control ports are TCP: a port free for
    // one protocol only would make them fail to start.
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts a daemon with `spawn(port, control_port)` on fresh free ports until it answers:
/// another test may take a port between `free_port` and the daemon's bind, which the daemon
/// reports as "Address already in use"; that alone is retried (a few times).
fn start_on_free_ports(
    what: &str,
    mut spawn: impl FnMut(u16, u16) -> Child,
) -> (Child, SocketAddr) {
    for attempt in 1..=5 {
        let port = free_port();
        let mut child = spawn(port, free_port());
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        match wait_ready(&mut child, addr, what) {
            Ok(()) => return (child, addr),
            Err(e) if e.contains("Address already in use") && attempt < 5 => continue,
            Err(e) => panic!("{e}"),
        }
    }
    unreachable!("the last attempt panics")
}

/// A real daemon the test started; killed on drop.
pub struct Daemon {
    /// Its process id.
    pub pid: u32,
    /// Where it answers DNS queries.
    pub addr: SocketAddr,
    /// Its configuration file, if it has one.
    pub config: Option<PathBuf>,
    child: Child,
    _dir: tempfile::TempDir,
    /// Files the daemon leaves behind outside its folder (nscd's socket), removed on drop.
    cleanup: Vec<PathBuf>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for f in &self.cleanup {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// Waits until the daemon at `addr` answers queries (readiness, not a timing assertion);
/// `Err` with its error output when it exited.
fn wait_ready(child: &mut Child, addr: SocketAddr, what: &str) -> Result<(), String> {
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return Err(format!("{what} exited early ({status}): {err}"));
        }
        if query_a(addr, "ready.probe.invalid").is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} does not answer on {addr}");
}

/// Finds an installed daemon binary (Debian puts them in /usr/sbin).
pub fn sbin(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// Starts real `dnsmasq` on a free loopback port as a caching forwarder to `upstream`.
pub fn start_dnsmasq(upstream: SocketAddr) -> Daemon {
    start_dnsmasq_with(upstream, &[])
}

/// Like [`start_dnsmasq`] with extra command-line flags (the repair tests add
/// `--no-negcache`, so that only the stale positive answer is cached).
pub fn start_dnsmasq_with(upstream: SocketAddr, extra: &[&str]) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let bin = sbin("dnsmasq").expect("dnsmasq is installed (scripts/install-deps.sh)");
    let (mut child, addr) = start_on_free_ports("dnsmasq", |port, _| {
        Command::new(&bin)
            .args([
                "--no-daemon".to_string(),
                "--keep-in-foreground".to_string(),
                "--listen-address=127.0.0.1".to_string(),
                format!("--port={port}"),
                "--bind-interfaces".to_string(),
                "--no-resolv".to_string(),
                "--no-hosts".to_string(),
                format!("--server=127.0.0.1#{}", upstream.port()),
                "--cache-size=100".to_string(),
                format!("--pid-file={}", dir.path().join("dnsmasq.pid").display()),
                "--conf-file=/dev/null".to_string(),
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dnsmasq")
    });
    // Drain its log so it never blocks on a full pipe.
    if let Some(mut e) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut e, &mut std::io::sink());
        });
    }
    Daemon {
        pid: child.id(),
        addr,
        config: None,
        child,
        _dir: dir,
        cleanup: Vec::new(),
    }
}

/// Starts real `unbound` on a free loopback port forwarding to `upstream`, with
/// remote-control on another loopback port (no certificates) so `unbound-control` works.
pub fn start_unbound(upstream: SocketAddr, control: bool) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("unbound.conf");
    let bin = sbin("unbound").expect("unbound is installed (scripts/install-deps.sh)");
    let (mut child, addr) = start_on_free_ports("unbound", |port, control_port| {
        std::fs::write(
            &conf,
            format!(
                "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-daemonize: no\n  \
                 chroot: \"\"\n  username: \"\"\n  directory: \"{dir}\"\n  pidfile: \"{dir}/unbound.pid\"\n  \
                 use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n  do-ip6: no\n  \
                 do-not-query-localhost: no\n  module-config: \"iterator\"\n  \
                 access-control: 127.0.0.0/8 allow\n  num-threads: 1\n  \
                 outgoing-range: 16\n  so-reuseport: no\n\
                 remote-control:\n  control-enable: {enable}\n  control-interface: 127.0.0.1\n  \
                 control-port: {control_port}\n  control-use-cert: no\n\
                 forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@{up}\n",
                dir = dir.path().display(),
                enable = if control { "yes" } else { "no" },
                up = upstream.port(),
            ),
        )
        .unwrap();
        Command::new(&bin)
            .args(["-d".as_ref(), "-c".as_ref(), conf.as_os_str()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start unbound")
    });
    if let Some(mut e) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut e, &mut std::io::sink());
        });
    }
    Daemon {
        pid: child.id(),
        addr,
        config: Some(conf),
        child,
        _dir: dir,
        cleanup: Vec::new(),
    }
}

/// Starts a real `nscd` in the foreground with a hosts-only cache (short lifetimes, so other
/// programs on the machine barely notice it). `None` when it cannot run here: not root, or
/// an nscd already runs (the test must not disturb it).
pub fn start_nscd() -> Option<Daemon> {
    let bin = sbin("nscd")?;
    let running = std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .any(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "nscd"));
    // SAFETY: geteuid has no preconditions.
    if running || unsafe { libc::geteuid() } != 0 {
        return None;
    }
    // Its socket folder is compiled in; a fresh container may not have it yet.
    std::fs::create_dir_all("/var/run/nscd").ok()?;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nscd.conf");
    std::fs::write(
        &conf,
        "enable-cache hosts yes\npositive-time-to-live hosts 1\nnegative-time-to-live hosts 0\n\
         persistent hosts no\nshared hosts no\nenable-cache passwd no\nenable-cache group no\n\
         enable-cache services no\nenable-cache netgroup no\n",
    )
    .unwrap();
    let mut child = Command::new(bin)
        .args(["-F".as_ref(), "-f".as_ref(), conf.as_os_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Ready once its socket accepts connections.
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("nscd exited early ({status})");
        }
        if std::os::unix::net::UnixStream::connect("/var/run/nscd/socket").is_ok() {
            return Some(Daemon {
                pid: child.id(),
                addr: "127.0.0.1:0".parse().unwrap(),
                config: Some(conf),
                child,
                _dir: dir,
                cleanup: vec![
                    PathBuf::from("/var/run/nscd/socket"),
                    PathBuf::from("/var/run/nscd/nscd.pid"),
                ],
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("nscd does not accept connections on /var/run/nscd/socket");
}
