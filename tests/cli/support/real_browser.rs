//! Real browsers in tests: Debian's `chromium` and `firefox-esr`, headless, with a fresh
//! temporary `HOME`, reaching nothing but loopback (`real-browser-testing.md`). The one
//! browser driver of the test support (ARCHITECTURE.md, "Tests"): the CLI tests and the
//! app's e2e tests (by `#[path]`) both use it. The site they visit is `http.rs`'s
//! `BrowserSite` (or its `StaleCookieSite`).
//!
//! ```ignore
//! let site = BrowserSite::start();
//! let chromium = Chromium::new(&env.home());          // profile in ~/.config/chromium
//! chromium.visit(&site.url("a.test", "/"));            // page + /static.js + /fresh.js
//! let log = site.requests_to("a.test", "/static.js");
//! assert_eq!(log[0].fetch, Fetch::Full);
//! let firefox = Firefox::new(&env.home());             // -CreateProfile + loopback user.js
//! firefox.visit(&site.url("b.test", "/"));
//! ```
//!
//! Every host name ending in `.test` resolves to 127.0.0.1 inside the browsers; every
//! other name fails without a DNS packet.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
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

/// The folders of the browsers' clean `PATH` (see `clean_command`).
const CLEAN_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// True when Firefox ESR is installed (on the browsers' clean `PATH`).
pub fn firefox_available() -> bool {
    CLEAN_PATH
        .split(':')
        .any(|dir| Path::new(dir).join(FIREFOX).exists())
}

/// Waits until no process started with `HOME=home` is left (a browser's helpers outlive
/// it by a moment), so fix401 sees the browser closed, as it is.
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
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("browser processes for {} did not exit", home.display());
}

// ------------------------------------------------------------------ browsers

/// A browser started in the background (the person still has it open). A thread waits
/// for it, so it is reaped the moment it exits (a zombie would look alive to fix401).
/// Stopped when dropped, unless it exited already (fix401 may close it).
pub struct RunningBrowser {
    /// The process id.
    pub pid: u32,
    exit: Arc<Mutex<Option<ExitStatus>>>,
}

impl RunningBrowser {
    /// Spawns `cmd` (standard output discarded) and starts the thread that reaps it.
    fn spawn(cmd: &mut Command, what: &str) -> RunningBrowser {
        let mut child = cmd
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let pid = child.id();
        let exit: Arc<Mutex<Option<ExitStatus>>> = Arc::default();
        let slot = exit.clone();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                *slot.lock().unwrap() = Some(status);
            }
        });
        RunningBrowser { pid, exit }
    }

    /// True once the browser process has exited.
    pub fn exited(&self) -> bool {
        self.exit.lock().unwrap().is_some()
    }

    /// Waits (up to `limit`) for the exit; its status, `None` if it still runs.
    fn wait(&self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = *self.exit.lock().unwrap() {
                return Some(status);
            }
            if start.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it with SIGTERM and waits for it to exit.
    pub fn stop(self) {
        // Drop does it.
    }

    fn terminate(&self) {
        if self.exited() {
            return;
        }
        #[cfg(unix)]
        // SAFETY: signalling our own child by its pid; it is not reaped yet, so the pid is
        // still its own.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        if self.wait(Duration::from_secs(30)).is_none() {
            #[cfg(unix)]
            // SAFETY: as above.
            unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
            }
            let _ = self.wait(HANG_LIMIT);
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

/// Runs `cmd` (output captured) to its end and asserts it succeeded; its output.
fn run_to_success(cmd: &mut Command, what: &str) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let out = wait_exit(child, what);
    assert!(
        out.status.success(),
        "{what} failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
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
        .env("PATH", CLEAN_PATH)
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
            // Cookies encrypted with the fixed "peanuts" key, as on a desktop without a
            // keyring: fix401's proof reads them.
            "--password-store=basic",
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
        let out = run_to_success(
            self.command().arg("--dump-dom").arg(url),
            &format!("chromium --dump-dom {url}"),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// [`Chromium::visit`], then waits until its helper processes are gone too, so fix401
    /// sees the browser closed (every process of this home must end: no other browser may
    /// run in it).
    pub fn visit_and_settle(&self, url: &str) -> String {
        let dom = self.visit(url);
        wait_for_home_processes(&self.home);
        dom
    }

    /// Starts Chromium showing `url` and leaves it running (its `SingletonLock` exists when
    /// this returns).
    pub fn start(&self, url: &str) -> RunningBrowser {
        let running =
            RunningBrowser::spawn(self.command().arg(url).stderr(Stdio::null()), "chromium");
        let lock = self.user_data_dir().join("SingletonLock");
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
        let running = RunningBrowser::spawn(&mut cmd, "chromium");
        // SAFETY: each fd is owned exactly once from here on.
        let (to_browser, from_browser) = unsafe {
            libc::close(child_in);
            libc::close(child_out);
            (
                std::fs::File::from_raw_fd(to[1]),
                std::fs::File::from_raw_fd(from[0]),
            )
        };
        let mut session = ChromiumSession {
            log: self.session_log(),
            running,
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
    /// One start of Chromium: each `(url, expression)` in turn, the page loaded and the
    /// expression evaluated in it (a `localStorage` write or read); then a clean close, so
    /// everything reaches the disk, and every process of the home gone. The values.
    #[cfg(target_os = "linux")]
    pub fn evaluate_in_pages(&self, steps: &[(String, &str)]) -> Vec<serde_json::Value> {
        let mut session = self.session();
        let values = steps
            .iter()
            .map(|(url, expression)| {
                session.navigate(url);
                session.evaluate(expression)
            })
            .collect();
        session.close();
        wait_for_home_processes(&self.home);
        values
    }

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
        let status = self
            .running
            .wait(HANG_LIMIT)
            .unwrap_or_else(|| panic!("chromium hung after Browser.close:\n{}", self.stderr()));
        assert!(status.success(), "chromium exited {status:?}");
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

/// Runs `firefox-esr -CreateProfile <spec>` in `home` (`spec` is a name, or a name and a
/// folder).
fn create_profile(home: &Path, spec: &str) {
    run_to_success(
        clean_command(FIREFOX, home).args(["--headless", "-no-remote", "-CreateProfile", spec]),
        "firefox-esr -CreateProfile",
    );
}

/// Debian's Firefox ESR with `HOME` at a test home and a profile created by Firefox itself
/// (`-CreateProfile fix401`, registered in `profiles.ini` like a person's), with
/// [`FIREFOX_USER_JS`] written before its first real start.
pub struct Firefox {
    home: PathBuf,
    profile: PathBuf,
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

impl Firefox {
    /// Creates the profile `fix401` in `home` and writes its `user.js`.
    pub fn new(home: &Path) -> Firefox {
        create_profile(home, "fix401");
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
        Firefox::with_user_js(home, profile, "")
    }

    /// Creates the profile `name` in the folder `dir` of `home` (`-CreateProfile "name dir"`)
    /// and writes its `user.js`: [`FIREFOX_USER_JS`], then `extra_user_js` (later lines
    /// win, in Firefox as in fix401).
    pub fn create_at(home: &Path, name: &str, dir: &Path, extra_user_js: &str) -> Firefox {
        create_profile(home, &format!("{name} {}", dir.display()));
        assert!(
            dir.is_dir(),
            "Firefox created no profile folder at {}",
            dir.display()
        );
        Firefox::with_user_js(home, dir.to_path_buf(), extra_user_js)
    }

    fn with_user_js(home: &Path, profile: PathBuf, extra_user_js: &str) -> Firefox {
        std::fs::create_dir_all(&profile).unwrap();
        std::fs::write(
            profile.join("user.js"),
            format!("{FIREFOX_USER_JS}{extra_user_js}"),
        )
        .unwrap();
        Firefox {
            home: home.to_path_buf(),
            profile,
            env: Vec::new(),
        }
    }

    /// Adds `key=value` to the environment of every later start (a Kerberos cache and
    /// config: `KRB5CCNAME`, `KRB5_CONFIG`).
    pub fn with_env(
        mut self,
        key: impl Into<std::ffi::OsString>,
        value: impl Into<std::ffi::OsString>,
    ) -> Firefox {
        self.env.push((key.into(), value.into()));
        self
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
            .arg(&self.profile)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Loads `url` with its sub-resources (`--screenshot`) and exits.
    pub fn visit(&self, url: &str) {
        let shot = self.home.join("fix401-screenshot.png");
        run_to_success(
            self.command().arg("--screenshot").arg(&shot).arg(url),
            &format!("firefox-esr --screenshot {url}"),
        );
        let _ = std::fs::remove_file(shot);
    }

    /// [`Firefox::visit`], then waits until every process of this home is gone, so fix401
    /// sees the browser closed.
    pub fn visit_and_settle(&self, url: &str) {
        self.visit(url);
        wait_for_home_processes(&self.home);
    }

    /// Starts Firefox showing `url` and leaves it running (its profile lock is taken when
    /// this returns).
    pub fn start(&self, url: &str) -> RunningBrowser {
        let running =
            RunningBrowser::spawn(self.command().arg(url).stderr(Stdio::null()), "firefox-esr");
        let (pid, lock) = (running.pid, self.profile.join("lock"));
        // The `lock` symlink names the new pid once the profile is locked.
        wait_until("firefox's profile lock", || {
            std::fs::read_link(&lock)
                .is_ok_and(|t| t.to_string_lossy().ends_with(&format!("+{pid}")))
        });
        running
    }
}
