//! A small fluent harness over a temporary home: build the home, run `fix401` in it, read
//! the outcome. Nothing here touches the real home directory of the machine.

#![allow(dead_code)]

pub mod dns;
pub mod http;
pub mod kerberos;
pub mod proxy;
pub mod socks;
pub mod tls;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary machine: a home directory (optionally laid out as another OS), a data
/// directory for backups, and a system root for `/etc` files.
pub struct TestEnv {
    dir: tempfile::TempDir,
    os: Option<&'static str>,
}

impl TestEnv {
    /// A fresh, empty home for the OS this test runs on.
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("fix401-test-")
            .tempdir()
            .expect("create temp dir");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::create_dir_all(dir.path().join("root/etc")).unwrap();
        TestEnv { dir, os: None }
    }

    /// Lays the home out as `os` (`linux`, `macos`, `windows`).
    pub fn os(mut self, os: &'static str) -> TestEnv {
        self.os = Some(os);
        self
    }

    /// The simulated home directory.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The data directory handed to fix401 (`--data-dir`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The simulated system root (`/etc/hosts` is `root/etc/hosts`).
    pub fn system_root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// A path inside the home.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.home().join(relative)
    }

    /// Writes a file inside the home, creating its folders.
    pub fn write(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.home().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Writes a system file below the system root (e.g. `etc/hosts`).
    pub fn write_system(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.system_root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A `fix401` command pointed at this machine (`--home`, `--data-dir`, `--system-root`,
    /// and `--os` when one was set).
    pub fn cmd<I, S>(&self, args: I) -> Fix401
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut all: Vec<OsString> = vec![
            "--home".into(),
            self.home().into(),
            "--data-dir".into(),
            self.data_dir().into(),
            "--system-root".into(),
            self.system_root().into(),
        ];
        if let Some(os) = self.os {
            all.push("--os".into());
            all.push(os.into());
        }
        all.extend(args.into_iter().map(Into::into));
        Fix401::new(all).env("HOME", self.home())
    }
}

/// One run of the `fix401` binary, built up fluently.
pub struct Fix401 {
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    env: Vec<(OsString, OsString)>,
    /// A program that runs `fix401` (e.g. `unshare`), with its own arguments first.
    wrapper: Option<(OsString, Vec<OsString>)>,
}

impl Fix401 {
    /// `fix401` with exactly these arguments (no simulated home).
    pub fn new<I, S>(args: I) -> Fix401
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Fix401 {
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
            env: Vec::new(),
            wrapper: None,
        }
    }

    /// Runs `fix401` through `program` with `args` before the binary's path (the wrapper
    /// must exec it, so that its exit status is the binary's own).
    pub fn wrapped(
        mut self,
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = OsString>,
    ) -> Fix401 {
        self.wrapper = Some((program.into(), args.into_iter().collect()));
        self
    }

    /// Feeds this text on standard input.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Fix401 {
        self.stdin = Some(input.into());
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Fix401 {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs the binary to completion.
    pub fn run(self) -> Outcome {
        let mut cmd = match &self.wrapper {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_fix401"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_fix401")),
        };
        cmd.args(&self.args)
            .env_remove("FIX401_LOG")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn fix401");
        if let Some(input) = self.stdin {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let out = child.wait_with_output().expect("wait for fix401");
        let outcome = Outcome {
            args: self.args,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        snapshot(&outcome);
        outcome
    }
}

/// With `FIX401_SNAPSHOT_DIR` set, keeps every run's arguments, exit code and output in that
/// folder (one file per run, named by test and sequence), so a refactor can compare the
/// output of every test scenario before and after (`scripts/compare-snapshots.py`).
fn snapshot(outcome: &Outcome) {
    use std::cell::Cell;
    thread_local!(static SEQ: Cell<u32> = const { Cell::new(0) });
    let Some(dir) = std::env::var_os("FIX401_SNAPSHOT_DIR") else {
        return;
    };
    let seq = SEQ.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace("::", ".");
    let args: Vec<_> = outcome.args.iter().map(|a| a.to_string_lossy()).collect();
    let text = format!(
        "args: {}\ncode: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        outcome.code,
        outcome.stdout,
        outcome.stderr
    );
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(Path::new(&dir).join(format!("{test}.{seq:03}.txt")), text);
}

/// What a run of `fix401` left: exit code and output.
#[derive(Debug)]
pub struct Outcome {
    /// The arguments it ran with (for failure messages).
    pub args: Vec<OsString>,
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    /// Asserts the exit code and returns self for chaining.
    #[track_caller]
    pub fn code(self, expected: i32) -> Outcome {
        assert_eq!(
            self.code,
            Some(expected),
            "fix401 {:?} exited {:?}, expected {expected}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parses standard output as one JSON value.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of fix401 {:?} is not JSON ({e}):\n{}\n--- stderr\n{}",
                self.args, self.stdout, self.stderr
            )
        })
    }

    /// Asserts standard output contains `needle`.
    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Outcome {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts standard error contains `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Outcome {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}\n--- stdout\n{}",
            self.stderr,
            self.stdout
        );
        self
    }
}

pub mod homes;
pub mod real_browser;
pub mod schemas;
pub mod stores;

/// A temp home whose Chromium holds the stale session cookie of `site`, and a DNS server
/// that resolves a.test to loopback.
pub fn chromium_home_with_stale_cookie(
    site: &http::StaleCookieSite,
) -> (TestEnv, dns::UpstreamDns) {
    let env = TestEnv::new();
    let dns = dns::UpstreamDns::start();
    dns.set("a.test", std::net::Ipv4Addr::LOCALHOST);
    real_browser::Chromium::new(&env.home()).visit_and_settle(&site.url("a.test", "/login"));
    real_browser::Chromium::new(&env.home()).visit_and_settle(&site.url("a.test", "/"));
    assert!(site.saw_stale_cookie());
    (env, dns)
}

/// `fix401 --dns-server DNS fix <site's a.test/> --site-data --yes --json` plus `extra`, in
/// the home of [`chromium_home_with_stale_cookie`].
pub fn fix_stale_site(
    env: &TestEnv,
    dns: &dns::UpstreamDns,
    site: &http::StaleCookieSite,
    extra: &[&str],
) -> Outcome {
    let dns_addr = dns.addr.to_string();
    let url = site.url("a.test", "/");
    let mut args = vec![
        "--dns-server",
        dns_addr.as_str(),
        "fix",
        url.as_str(),
        "--site-data",
        "--yes",
        "--json",
    ];
    args.extend_from_slice(extra);
    env.cmd(args).run()
}
