//! Real browsers in tests: Debian's `chromium` and `firefox-esr`, headless, with a fresh
//! temporary `HOME`, reaching nothing but loopback (`real-browser-testing.md`), and a
//! loopback HTTP server that sets persistent cookies, serves cacheable resources and logs
//! every request with its `Cookie` header and whether it was a conditional or full fetch.
//!
//! ```ignore
//! let server = TestServer::start();
//! let chromium = Chromium::new(&env.home());          // profile in ~/.config/chromium
//! chromium.visit(&server.url("a.test", "/"));          // page + /static.js + /fresh.js
//! let log = server.requests_to("a.test", "/static.js");
//! assert_eq!(log[0].fetch, Fetch::Full);
//! let firefox = Firefox::new(&env.home());             // -CreateProfile + loopback user.js
//! firefox.visit(&server.url("b.test", "/"));
//! ```
//!
//! Every host name ending in `.test` resolves to 127.0.0.1 inside the browsers; every
//! other name fails without a DNS packet.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The real Chromium binary (the `/usr/bin/chromium` wrapper adds flags and noise).
pub const CHROMIUM: &str = "/usr/lib/chromium/chromium";
/// Debian's Firefox ESR.
pub const FIREFOX: &str = "firefox-esr";

/// A safety net against a hung browser (not a speed requirement).
const HANG_LIMIT: Duration = Duration::from_secs(180);

/// True when Debian's Chromium is installed.
pub fn chromium_available() -> bool {
    Path::new(CHROMIUM).exists()
}

/// True when Firefox ESR is installed.
pub fn firefox_available() -> bool {
    which::which(FIREFOX).is_ok()
}

// ------------------------------------------------------------------ server

/// How a request for a resource was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// A plain request: the browser had nothing cached (or ignored it).
    Full,
    /// `If-None-Match` / `If-Modified-Since`: the browser had it cached and revalidated.
    Conditional,
}

/// One request the server saw.
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

/// A loopback HTTP/1.1 server for the test sites. For a host `h` (e.g. `a.test`):
///
/// - `/` — an HTML page (not cacheable) that sets two persistent cookies,
///   `site_<label>=<h>` (host-only) and `dom_<label>=1` (`Domain=<h>`), where `<label>` is
///   the first label of the host (`a`), and loads `/static.js` and `/fresh.js`;
/// - `/static.js` — `Cache-Control: no-cache` + `ETag`: a cached copy is always revalidated
///   (logged as [`Fetch::Conditional`], answered 304), an uncached one fetched in full;
/// - `/fresh.js` — `Cache-Control: max-age=86400` + `ETag`: a cached copy is used without
///   any request;
/// - anything else — 404.
pub struct TestServer {
    port: u16,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl TestServer {
    /// Starts the server on 127.0.0.1 with a free port.
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log2);
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        TestServer { port, log }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://<host>:<port><path>`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
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

fn serve(stream: TcpStream, log: &Mutex<Vec<LoggedRequest>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("/").to_string();
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
            let mut body = vec![0; len.min(1 << 20)];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        let host_header = header("host").unwrap_or_default();
        let host = host_header
            .rsplit_once(':')
            .map(|(h, _)| h.to_string())
            .unwrap_or(host_header.clone())
            .to_ascii_lowercase();
        let conditional =
            header("if-none-match").is_some() || header("if-modified-since").is_some();
        let (status, response) = respond(&host, &path, header("if-none-match"));
        log.lock().unwrap().push(LoggedRequest {
            host,
            method,
            path,
            cookie: header("cookie"),
            fetch: if conditional {
                Fetch::Conditional
            } else {
                Fetch::Full
            },
            status,
        });
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

fn respond(host: &str, path: &str, if_none_match: Option<String>) -> (u16, Vec<u8>) {
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
            if if_none_match.as_deref() == Some(etag.as_str()) {
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

// ------------------------------------------------------------------ browsers

/// A browser started in the background; stopped (and reaped) when dropped.
pub struct RunningBrowser {
    child: Option<Child>,
    /// The process id.
    pub pid: u32,
}

impl RunningBrowser {
    /// Stops it with SIGTERM and waits for it to exit.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            #[cfg(unix)]
            // SAFETY: signalling our own child by its pid.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RunningBrowser {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Waits for a child to exit (a hung browser is killed after a generous limit).
fn wait_exit(mut child: Child, what: &str) -> std::process::Output {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > HANG_LIMIT => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "{what} hung and was killed\n--- stderr\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("{what}: {e}"),
        }
    }
    child.wait_with_output().unwrap()
}

/// Polls `ready` until it holds (a browser finishing its start-up).
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < HANG_LIMIT, "{what} never happened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A base command with a clean environment: only `HOME`, `PATH` and a locale.
fn clean_command(program: &str, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null());
    cmd
}

/// Debian's Chromium with `HOME` at a test home: its default profile lands in
/// `~/.config/chromium/Default` and its cache in `~/.cache/chromium/Default/Cache`, exactly
/// where discovery looks on a person's machine.
pub struct Chromium {
    home: PathBuf,
}

impl Chromium {
    /// Chromium for the home `home` (a temp dir).
    pub fn new(home: &Path) -> Chromium {
        Chromium {
            home: home.to_path_buf(),
        }
    }

    /// The user-data dir it uses (`~/.config/chromium`).
    pub fn user_data_dir(&self) -> PathBuf {
        self.home.join(".config").join("chromium")
    }

    /// The default profile dir.
    pub fn profile_dir(&self) -> PathBuf {
        self.user_data_dir().join("Default")
    }

    /// The command with every loopback-only flag.
    pub fn command(&self) -> Command {
        let mut cmd = clean_command(CHROMIUM, &self.home);
        cmd.args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=MediaRouter,OptimizationHints,Translate",
            "--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND",
        ]);
        // Headless Chromium without --user-data-dir uses a throw-away profile; naming the
        // default folder keeps everything where a person's Chromium puts it (the cache
        // still goes to ~/.cache/chromium, mirrored from ~/.config).
        cmd.arg(format!(
            "--user-data-dir={}",
            self.user_data_dir().display()
        ));
        cmd
    }

    /// Loads `url` with its sub-resources and exits cleanly (`--dump-dom`), so cookies are
    /// written to disk. Returns the DOM it printed.
    pub fn visit(&self, url: &str) -> String {
        let child = self
            .command()
            .arg("--dump-dom")
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let out = wait_exit(child, "chromium --dump-dom");
        assert!(
            out.status.success(),
            "chromium --dump-dom {url} failed: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts Chromium showing `url` and leaves it running (its `SingletonLock` exists when
    /// this returns).
    pub fn start(&self, url: &str) -> RunningBrowser {
        let child = self
            .command()
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let pid = child.id();
        let lock = self.user_data_dir().join("SingletonLock");
        let running = RunningBrowser {
            child: Some(child),
            pid,
        };
        wait_until("chromium's SingletonLock", || {
            std::fs::symlink_metadata(&lock).is_ok()
        });
        running
    }
}

/// Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: the
/// browser reads commands on fd 3 and writes answers on fd 4, NUL-terminated JSON): several
/// pages in one start, then a clean `Browser.close` so cookies reach the disk.
pub struct ChromiumSession {
    log: PathBuf,
    running: RunningBrowser,
    to_browser: std::fs::File,
    from_browser: BufReader<std::fs::File>,
    next_id: u64,
    page_session: String,
}

impl Chromium {
    /// Starts Chromium with a DevTools pipe and attaches to its first page.
    #[cfg(target_os = "linux")]
    pub fn session(&self) -> ChromiumSession {
        use std::os::unix::io::FromRawFd;
        use std::os::unix::process::CommandExt;
        let mut to = [0; 2];
        let mut from = [0; 2];
        // SAFETY: plain pipe2 calls; the fds are owned below.
        unsafe {
            assert_eq!(libc::pipe2(to.as_mut_ptr(), libc::O_CLOEXEC), 0);
            assert_eq!(libc::pipe2(from.as_mut_ptr(), libc::O_CLOEXEC), 0);
        }
        let (child_in, child_out) = (to[0], from[1]);
        let log = std::fs::File::create(self.session_log()).expect("chromium log");
        let mut cmd = self.command();
        cmd.arg("--remote-debugging-pipe")
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: only fcntl/dup2 (async-signal-safe) between fork and exec. The pipe ends
        // are first moved above 10 so that placing them at 3 and 4 cannot overwrite one
        // with the other (or leave close-on-exec set when one already is 3 or 4); dup2
        // clears close-on-exec on the new descriptors.
        unsafe {
            cmd.pre_exec(move || {
                let high_in = libc::fcntl(child_in, libc::F_DUPFD_CLOEXEC, 10);
                let high_out = libc::fcntl(child_out, libc::F_DUPFD_CLOEXEC, 10);
                if high_in < 0
                    || high_out < 0
                    || libc::dup2(high_in, 3) < 0
                    || libc::dup2(high_out, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        // SAFETY: each fd is owned exactly once from here on.
        let (to_browser, from_browser) = unsafe {
            libc::close(child_in);
            libc::close(child_out);
            (
                std::fs::File::from_raw_fd(to[1]),
                std::fs::File::from_raw_fd(from[0]),
            )
        };
        let pid = child.id();
        let mut session = ChromiumSession {
            log: self.session_log(),
            running: RunningBrowser {
                child: Some(child),
                pid,
            },
            to_browser,
            from_browser: BufReader::new(from_browser),
            next_id: 0,
            page_session: String::new(),
        };
        let targets = session.call("Target.getTargets", serde_json::json!({}), None);
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["targetId"].as_str())
            .expect("chromium has a page target")
            .to_string();
        let attached = session.call(
            "Target.attachToTarget",
            serde_json::json!({ "targetId": page, "flatten": true }),
            None,
        );
        session.page_session = attached["sessionId"].as_str().unwrap().to_string();
        let ps = session.page_session.clone();
        session.call("Page.enable", serde_json::json!({}), Some(&ps));
        session
    }
}

impl Chromium {
    /// Where a DevTools session's Chromium writes its standard error.
    fn session_log(&self) -> PathBuf {
        self.home.join("chromium-session.log")
    }
}

impl ChromiumSession {
    /// The browser's process id.
    pub fn pid(&self) -> u32 {
        self.running.pid
    }

    /// Sends one command and returns its `result`, skipping events in between.
    fn call(
        &mut self,
        method: &str,
        params: serde_json::Value,
        session: Option<&str>,
    ) -> serde_json::Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = serde_json::json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        if let Err(e) = self.to_browser.write_all(&bytes) {
            panic!(
                "{method}: cannot write to chromium ({e}):\n{}",
                self.stderr()
            );
        }
        loop {
            let m = self.read_message();
            if m["id"] == id {
                assert!(m["error"].is_null(), "{method} failed: {m}");
                return m["result"].clone();
            }
        }
    }

    fn read_message(&mut self) -> serde_json::Value {
        let mut buf = Vec::new();
        let n = self.from_browser.read_until(0, &mut buf).unwrap_or(0);
        assert!(
            n > 0,
            "chromium closed its DevTools pipe:\n{}",
            self.stderr()
        );
        buf.pop();
        serde_json::from_slice(&buf).expect("DevTools JSON")
    }

    /// What Chromium wrote to standard error so far (for failure messages).
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Navigates the page to `url` and waits for its `load` event (sub-resources loaded).
    pub fn navigate(&mut self, url: &str) {
        let ps = self.page_session.clone();
        self.call(
            "Page.navigate",
            serde_json::json!({ "url": url }),
            Some(&ps),
        );
        loop {
            let m = self.read_message();
            if m["method"] == "Page.loadEventFired" && m["sessionId"] == ps.as_str() {
                return;
            }
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    pub fn evaluate(&mut self, expression: &str) -> serde_json::Value {
        let ps = self.page_session.clone();
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            Some(&ps),
        );
        assert!(r["exceptionDetails"].is_null(), "{expression} threw: {r:#}");
        r["result"]["value"].clone()
    }

    /// Closes the browser cleanly (`Browser.close`) and waits for it to exit.
    pub fn close(mut self) {
        self.next_id += 1;
        let msg = serde_json::json!({ "id": self.next_id, "method": "Browser.close" });
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        let _ = self.to_browser.write_all(&bytes);
        if let Some(child) = self.running.child.take() {
            let out = wait_exit(child, "chromium Browser.close");
            assert!(out.status.success(), "chromium exited {:?}", out.status);
        }
    }
}

/// The `user.js` that keeps Firefox on loopback (every name resolves to 127.0.0.1, any
/// other connection goes to a closed proxy port) and silences its background services.
pub const FIREFOX_USER_JS: &str = r#"// fix401 tests: loopback only
user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("network.trr.mode", 5);
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.socks", "127.0.0.1");
user_pref("network.proxy.socks_port", 9);
user_pref("network.proxy.no_proxies_on", ".test, localhost, 127.0.0.1");
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("dom.security.https_first", false);
user_pref("dom.security.https_only_mode", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.netlink.route.check.IPv4", "127.0.0.1");
user_pref("network.netlink.route.check.IPv6", "::1");
user_pref("network.connectivity-service.enabled", false);
user_pref("network.prefetch-next", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("browser.safebrowsing.provider.google4.updateURL", "");
user_pref("browser.safebrowsing.provider.google.updateURL", "");
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.server", "");
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("app.normandy.enabled", false);
user_pref("app.normandy.api_url", "");
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("services.settings.server", "http://127.0.0.1:9/");
user_pref("dom.push.enabled", false);
user_pref("dom.push.connection.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.blocklist.enabled", false);
user_pref("browser.search.update", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.ping-centre.telemetry", false);
user_pref("browser.newtabpage.activity-stream.feeds.telemetry", false);
user_pref("browser.newtabpage.activity-stream.telemetry", false);
user_pref("browser.contentblocking.report.lockwise.enabled", false);
user_pref("geo.enabled", false);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("network.cookie.cookieBehavior", 0);
user_pref("privacy.partition.network_state", true);
"#;

/// Debian's Firefox ESR with `HOME` at a test home and a profile created by Firefox itself
/// (`-CreateProfile fix401`, registered in `profiles.ini` like a person's), with
/// [`FIREFOX_USER_JS`] written before its first real start.
pub struct Firefox {
    home: PathBuf,
    profile: PathBuf,
}

impl Firefox {
    /// Creates the profile `fix401` in `home` and writes its `user.js`.
    pub fn new(home: &Path) -> Firefox {
        let out = clean_command(FIREFOX, home)
            .args(["--headless", "-CreateProfile", "fix401"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start firefox-esr");
        let out = wait_exit(out, "firefox-esr -CreateProfile");
        assert!(
            out.status.success(),
            "firefox-esr -CreateProfile failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let profile = [".config/mozilla/firefox", ".mozilla/firefox"]
            .iter()
            .map(|r| home.join(r))
            .find_map(|root| {
                let ini = std::fs::read_to_string(root.join("profiles.ini")).ok()?;
                let path = ini
                    .lines()
                    .find_map(|l| l.strip_prefix("Path="))?
                    .trim()
                    .to_string();
                Some(root.join(path))
            })
            .expect("firefox-esr created no profile in profiles.ini");
        std::fs::create_dir_all(&profile).unwrap();
        std::fs::write(profile.join("user.js"), FIREFOX_USER_JS).unwrap();
        Firefox {
            home: home.to_path_buf(),
            profile,
        }
    }

    /// The profile folder.
    pub fn profile_dir(&self) -> &Path {
        &self.profile
    }

    fn command(&self) -> Command {
        let mut cmd = clean_command(FIREFOX, &self.home);
        cmd.env("MOZ_HEADLESS", "1")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .args(["--headless", "-no-remote", "-profile"])
            .arg(&self.profile);
        cmd
    }

    /// Loads `url` with its sub-resources (`--screenshot`) and exits.
    pub fn visit(&self, url: &str) {
        let shot = self.home.join("fix401-screenshot.png");
        let child = self
            .command()
            .arg("--screenshot")
            .arg(&shot)
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start firefox-esr");
        let out = wait_exit(child, "firefox-esr --screenshot");
        assert!(
            out.status.success(),
            "firefox-esr --screenshot {url} failed: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_file(shot);
    }

    /// Starts Firefox showing `url` and leaves it running (its profile lock is taken when
    /// this returns).
    pub fn start(&self, url: &str) -> RunningBrowser {
        let child = self
            .command()
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start firefox-esr");
        let pid = child.id();
        let lock = self.profile.join("lock");
        let running = RunningBrowser {
            child: Some(child),
            pid,
        };
        // The `lock` symlink names the new pid once the profile is locked.
        wait_until("firefox's profile lock", || {
            std::fs::read_link(&lock)
                .is_ok_and(|t| t.to_string_lossy().ends_with(&format!("+{pid}")))
        });
        running
    }
}
