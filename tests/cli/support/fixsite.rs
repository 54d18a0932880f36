//! Loopback fixtures for the repair tests: a site that rejects a stale session cookie, a
//! tiny controllable DNS server, and helpers that drive real Chromium and Firefox ESR in a
//! temporary home. Every socket is bound to 127.0.0.1.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// One request the site saw: its path and its Cookie header.
pub type Seen = (String, Option<String>);

/// A site on 127.0.0.1: `/login` sets `sid=stale-session`; any request carrying that
/// cookie gets 401 (as a site does after its session store was reset), without it 200.
pub struct StaleCookieSite {
    /// The port it listens on.
    pub port: u16,
    /// Every request's path and Cookie header, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl StaleCookieSite {
    /// Starts the site on a free loopback port.
    pub fn start() -> StaleCookieSite {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        StaleCookieSite { port, seen }
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

fn serve(stream: std::net::TcpStream, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut cookie = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("cookie")
        {
            cookie = Some(v.trim().to_string());
        }
    }
    log.lock().unwrap().push((path.clone(), cookie.clone()));
    let stale = cookie
        .as_deref()
        .is_some_and(|c| c.contains("sid=stale-session"));
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
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra}\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// A tiny authoritative DNS server on 127.0.0.1 (UDP) whose A records tests can change.
/// Unknown names get NXDOMAIN.
pub struct TestDns {
    /// Its address.
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Ipv4Addr>>>,
    /// TTL of every answer, in seconds.
    pub ttl: u32,
}

impl TestDns {
    /// Starts the server with TTL `ttl`.
    pub fn start(ttl: u32) -> TestDns {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback udp");
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Ipv4Addr>>> = Arc::default();
        let table = records.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                if let Some(reply) = answer(&buf[..n], &table.lock().unwrap(), ttl) {
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        TestDns { addr, records, ttl }
    }

    /// Sets (or changes) the A record of `name`.
    pub fn set(&self, name: &str, ip: Ipv4Addr) {
        self.records
            .lock()
            .unwrap()
            .insert(name.to_ascii_lowercase(), ip);
    }
}

fn answer(query: &[u8], table: &HashMap<String, Ipv4Addr>, ttl: u32) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*query.get(i)?, *query.get(i + 1)?]);
    let question_end = i + 4;
    let name = labels.join(".");
    let mut reply = query[..question_end.min(query.len())].to_vec();
    reply[2] = 0x84 | (query[2] & 0x01); // response, authoritative, keep RD
    reply[3] = 0x80; // RA
    reply[6..12].copy_from_slice(&[0, 0, 0, 0, 0, 0]);
    match table.get(&name) {
        Some(ip) if qtype == 1 => {
            reply[7] = 1;
            reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
            reply.extend_from_slice(&ttl.to_be_bytes());
            reply.extend_from_slice(&[0, 4]);
            reply.extend_from_slice(&ip.octets());
        }
        Some(_) => {}
        None => reply[3] |= 3, // NXDOMAIN
    }
    Some(reply)
}

/// The real Chromium binary (Debian), or None when it is not installed.
pub fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/lib/chromium/chromium");
    p.exists().then_some(p)
}

/// The Chromium flags that keep a test browser on loopback, with `home`'s default profile.
fn chromium_args(home: &Path) -> Vec<String> {
    vec![
        "--headless=new".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--password-store=basic".into(),
        format!(
            "--user-data-dir={}",
            home.join(".config/chromium").display()
        ),
        "--host-resolver-rules=MAP a.test 127.0.0.1, MAP *.a.test 127.0.0.1, MAP b.test 127.0.0.1, MAP * ~NOTFOUND".into(),
    ]
}

/// A headless Chromium left running on `url` with `home`'s default profile (the person
/// still has the browser open). A thread waits for it, so it is reaped the moment it exits
/// (a zombie would look alive). Killed on drop if fix401 did not close it.
pub struct RunningChromium {
    pid: u32,
    exited: Arc<std::sync::atomic::AtomicBool>,
}

impl RunningChromium {
    /// Starts it and waits until its profile lock shows it runs.
    pub fn start(home: &Path, url: &str) -> RunningChromium {
        let bin = chromium().expect("chromium is installed (scripts/install-deps.sh)");
        let mut child = Command::new(bin)
            .env("HOME", home)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .args(chromium_args(home))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let pid = child.id();
        let exited = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = exited.clone();
        std::thread::spawn(move || {
            let _ = child.wait();
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let lock = home.join(".config/chromium/SingletonLock");
        for _ in 0..200 {
            if std::fs::symlink_metadata(&lock).is_ok() {
                return RunningChromium { pid, exited };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("chromium did not start");
    }

    /// True once the browser process has exited.
    pub fn exited(&self) -> bool {
        self.exited.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RunningChromium {
    fn drop(&mut self) {
        if !self.exited() {
            // Our own child, by its id.
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .status();
        }
    }
}

/// Loads `url` in headless Chromium with the default profile of `home`
/// (`~/.config/chromium`), every name but the test hosts failing without a DNS packet.
pub fn chromium_visit(home: &Path, url: &str) {
    let bin = chromium().expect("chromium is installed (scripts/install-deps.sh)");
    let status = Command::new(bin)
        .env("HOME", home)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .args(chromium_args(home))
        .args(["--dump-dom", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium exited {status}");
    wait_for_home_processes(home);
}

/// Waits until no process started with `HOME=home` is left (Chromium's helpers outlive the
/// browser by a moment), so fix401 sees the browser closed, as it is.
pub fn wait_for_home_processes(home: &Path) {
    let needle = format!("HOME={}", home.display());
    for _ in 0..200 {
        let alive = std::fs::read_dir("/proc")
            .map(|rd| {
                rd.flatten().any(|e| {
                    std::fs::read(e.path().join("environ"))
                        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
                })
            })
            .unwrap_or(false);
        if !alive {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("browser processes for {} did not exit", home.display());
}

/// The real Firefox ESR binary, or None when it is not installed.
pub fn firefox() -> Option<PathBuf> {
    ["/usr/lib/firefox-esr/firefox-esr", "/usr/bin/firefox-esr"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Creates a registered Firefox profile in `home` (`~/.mozilla/firefox/test.default`,
/// listed in `profiles.ini`) with prefs that keep every request on loopback.
pub fn firefox_profile(home: &Path, port: u16) -> PathBuf {
    let root = home.join(".mozilla/firefox");
    let profile = root.join("test.default");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(
        root.join("profiles.ini"),
        "[General]\nStartWithLastProfile=1\nVersion=2\n\n[Profile0]\nName=default\n\
         IsRelative=1\nPath=test.default\nDefault=1\n",
    )
    .unwrap();
    std::fs::write(root.join("installs.ini"), "").unwrap();
    let prefs = [
        ("network.dns.forceResolve", "\"127.0.0.1\"".to_string()),
        ("network.trr.mode", "5".into()),
        ("network.proxy.type", "1".into()),
        ("network.proxy.http", "\"127.0.0.1\"".into()),
        ("network.proxy.http_port", "9".into()),
        ("network.proxy.ssl", "\"127.0.0.1\"".into()),
        ("network.proxy.ssl_port", "9".into()),
        (
            "network.proxy.no_proxies_on",
            format!("\"a.test, b.test, localhost, 127.0.0.1, a.test:{port}\""),
        ),
        ("network.proxy.allow_hijacking_localhost", "false".into()),
        ("dom.security.https_first", "false".into()),
        ("dom.security.https_only_mode", "false".into()),
        ("toolkit.telemetry.enabled", "false".into()),
        ("datareporting.policy.dataSubmissionEnabled", "false".into()),
        ("datareporting.healthreport.uploadEnabled", "false".into()),
        ("app.normandy.enabled", "false".into()),
        ("browser.safebrowsing.malware.enabled", "false".into()),
        ("browser.safebrowsing.phishing.enabled", "false".into()),
        ("browser.safebrowsing.downloads.enabled", "false".into()),
        (
            "browser.safebrowsing.provider.google4.updateURL",
            "\"\"".into(),
        ),
        ("services.settings.server", "\"http://127.0.0.1:9/\"".into()),
        ("dom.push.enabled", "false".into()),
        ("network.captive-portal-service.enabled", "false".into()),
        ("network.connectivity-service.enabled", "false".into()),
        ("app.update.enabled", "false".into()),
        ("app.update.auto", "false".into()),
        ("extensions.update.enabled", "false".into()),
        ("browser.shell.checkDefaultBrowser", "false".into()),
        (
            "browser.startup.homepage_override.mstone",
            "\"ignore\"".into(),
        ),
        ("browser.aboutwelcome.enabled", "false".into()),
        ("network.cookie.cookieBehavior", "0".into()),
        ("browser.cache.disk.enable", "true".into()),
    ];
    let text: String = prefs
        .iter()
        .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
        .collect();
    std::fs::write(profile.join("user.js"), text).unwrap();
    profile
}

/// Loads `url` in headless Firefox ESR with `profile`.
pub fn firefox_visit(home: &Path, profile: &Path, url: &str) {
    let bin = firefox().expect("firefox-esr is installed (scripts/install-deps.sh)");
    let shot = profile.join("shot.png");
    let status = Command::new(bin)
        .env("HOME", home)
        .env("MOZ_HEADLESS", "1")
        .env_remove("DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .args(["--headless", "-no-remote", "-profile"])
        .arg(profile)
        .arg("--screenshot")
        .arg(&shot)
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run firefox");
    assert!(status.success(), "firefox exited {status}");
    wait_for_home_processes(home);
}

/// Asks `server` for the A record of `name` (one UDP query); None on no answer.
pub fn query_a(server: SocketAddr, name: &str) -> Option<Ipv4Addr> {
    let (buf, n) = ask(server, name)?;
    let answers = u16::from_be_bytes([buf[6], buf[7]]);
    if answers == 0 || n < 4 {
        return None;
    }
    // The first answer's address is the last 4 bytes when there is one A answer.
    Some(Ipv4Addr::new(
        buf[n - 4],
        buf[n - 3],
        buf[n - 2],
        buf[n - 1],
    ))
}

/// Sends one A query and returns the raw reply.
fn ask(server: SocketAddr, name: &str) -> Option<([u8; 1500], usize)> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .ok()?;
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send_to(&q, server).ok()?;
    let mut buf = [0u8; 1500];
    let n = socket.recv(&mut buf).ok()?;
    (n >= 12).then_some((buf, n))
}

/// A real dnsmasq on a loopback port, caching in front of `upstream`. Stopped on drop.
pub struct Dnsmasq {
    /// Where it listens.
    pub addr: SocketAddr,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Dnsmasq {
    /// Starts dnsmasq forwarding to `upstream`, with its own config (none) and pid file.
    pub fn start(upstream: SocketAddr) -> Dnsmasq {
        // Another test may take the port between choosing it and dnsmasq's bind: dnsmasq
        // then exits at once, and a fresh port is tried (a few times).
        for _ in 0..5 {
            let port = UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue; // dnsmasq binds TCP on its port too
            }
            let dir = tempfile::tempdir().unwrap();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let child = Command::new("dnsmasq")
                .args([
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    "--no-negcache",
                    "--bind-interfaces",
                    "--listen-address=127.0.0.1",
                    "--cache-size=150",
                    "--user=root",
                ])
                .arg(format!("--port={port}"))
                .arg(format!("--server=127.0.0.1#{}", upstream.port()))
                .arg(format!("--pid-file={}", dir.path().join("pid").display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start dnsmasq (scripts/install-deps.sh installs it)");
            let mut d = Dnsmasq {
                addr,
                child,
                _dir: dir,
            };
            for _ in 0..100 {
                // Any answer (even "no such name") means it is up.
                if ask(d.addr, "ready.invalid").is_some() {
                    return d;
                }
                if let Ok(Some(_)) = d.child.try_wait() {
                    break; // it could not bind: next port
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            assert!(
                matches!(d.child.try_wait(), Ok(Some(_))),
                "dnsmasq did not answer on {addr}"
            );
        }
        panic!("no free loopback port for dnsmasq after 5 tries");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
