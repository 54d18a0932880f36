//! The real window end to end: tauri-driver + WebKitWebDriver drive the release build under
//! Xvfb against loopback servers started here. Screenshots go to `ci-artifacts/screenshots/`.
//!
//! Needs a display and the release binary, so it is `#[ignore]`d in plain `cargo test`;
//! `scripts/test-all.sh` starts Xvfb, builds the app and runs it with `--ignored`
//! (`FIX401_APP_BIN` = the binary, `DISPLAY` = the Xvfb display).
#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A loopback server answering every request with `status`.
fn server(status: u16) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let extra = if status == 401 {
                "WWW-Authenticate: Basic realm=\"intranet\"\r\n"
            } else {
                ""
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\n{extra}Content-Type: text/html\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    format!("http://{addr}/login")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A minimal WebDriver client: HTTP/1.1 JSON over loopback, one request per connection.
struct Driver {
    port: u16,
    session: String,
    child: Child,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to tauri-driver");
    // A wedged driver must fail the test, never hang CI.
    let _ = s.set_read_timeout(Some(Duration::from_secs(90)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(30)));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read response");
    let text = String::from_utf8_lossy(&resp);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    serde_json::from_str(&payload).unwrap_or_else(|_| panic!("bad WebDriver answer: {text}"))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n..];
        s = s.strip_prefix("\r\n").unwrap_or(s);
    }
    out
}

impl Driver {
    fn start(app: &Path, home: &Path) -> Driver {
        let port = free_port();
        let native = free_port();
        let bin = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| {
            format!(
                "{}/.cargo/bin/tauri-driver",
                std::env::var("HOME").unwrap_or_default()
            )
        });
        let child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("FIX401_HOME", home)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so cleanup ends WebKitWebDriver and the app with it.
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");
        // Wait for the driver to listen (bounded: a dead driver fails the test).
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "tauri-driver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
            "application": app.display().to_string()}}}});
        let r = http(port, "POST", "/session", Some(&caps));
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_string();
        Driver {
            port,
            session,
            child,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    fn find(&self, css: &str) -> String {
        let r = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        );
        r["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{css} not found: {r}"))
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), Some(&json!({})));
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(&json!({"text": text})),
        );
    }

    fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call("GET", &format!("/element/{id}/text"), None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until `css`'s `data-verdict` differs from `old` (the page sets it on every result).
    fn wait_verdict_change(&self, old: &str) -> String {
        let t0 = Instant::now();
        loop {
            let id = self.find("#verdict");
            let v = self.call(
                "GET",
                &format!("/element/{id}/attribute/data-verdict"),
                None,
            );
            let now = v["value"].as_str().unwrap_or_default().to_string();
            let busy = self.text("#progress-text");
            if !now.is_empty() && now != old && !self.progress_visible() {
                return now;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "no result (progress: {busy})"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn progress_visible(&self) -> bool {
        let id = self.find("#progress");
        self.call("GET", &format!("/element/{id}/displayed"), None)["value"]
            .as_bool()
            .unwrap_or(false)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Best effort: a panic here would abort the test run.
        let port = self.port;
        let path = format!("/session/{}", self.session);
        let _ = std::thread::spawn(move || http(port, "DELETE", &path, None)).join();
        // SAFETY: kill(2) on the driver's own process group; no memory is involved.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        std::thread::sleep(Duration::from_millis(500));
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn screenshot(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ci-artifacts/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let out = dir.join(format!("{name}.png"));
    let ok = Command::new("import")
        .args(["-window", "root"])
        .arg(&out)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "screenshot {name} failed (is DISPLAY set?)");
}

fn app_bin() -> PathBuf {
    PathBuf::from(std::env::var("FIX401_APP_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/fix401-app").into()
    }))
}

#[test]
#[ignore = "needs a display and the release build: run by scripts/test-all.sh"]
fn check_a_401_then_a_working_page_in_the_real_window() {
    let home = tempfile::tempdir().unwrap();
    let d = Driver::start(&app_bin(), home.path());
    let failing = server(401);
    let working = server(200);

    d.type_into("#url", &failing);
    screenshot("01-start");
    d.click("#check");
    let v = d.wait_verdict_change("");
    assert_eq!(v, "unauthorized");
    assert!(
        d.text("#verdict").contains("login"),
        "{}",
        d.text("#verdict")
    );
    assert!(
        d.text("#findings").contains("sign in"),
        "{}",
        d.text("#findings")
    );
    screenshot("02-check-401");

    d.click("#technical summary");
    assert!(d.text("#tech-status").contains("401"));
    assert!(d.text("#tech-challenges").contains("intranet"));
    screenshot("03-technical");

    d.click("#fix-site");
    let t0 = Instant::now();
    while d.text("#browsers").is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        d.text("#browsers").contains("No browser"),
        "{}",
        d.text("#browsers")
    );
    screenshot("04-fix-site-no-browsers");
    d.click("#fix-site-cancel");

    d.type_into("#url", &working);
    d.click("#check");
    let v = d.wait_verdict_change("unauthorized");
    assert_eq!(v, "ok");
    assert_eq!(d.text("#verdict"), "This page works");
    screenshot("05-check-200");

    d.click("#save-report");
    let t0 = Instant::now();
    while !d.text("#message").contains("saved") {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{}",
            d.text("#message")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    screenshot("06-saved");
}
