//! Running detection for every packaging, through the real `fix401` binary on temp homes:
//! a flatpak Chrome or a snap Chromium really running in a sandbox (bubblewrap, as flatpak
//! itself uses: its own root, `/app/extra/chrome`, `/.flatpak-info`, its own pid
//! namespace) is "running" although its `SingletonLock` names a pid the host lacks; a
//! process with the browser's name that fix401 cannot tie to any browser keeps such a
//! lock in doubt (refused); Firefox's NFS `lock` link (`<ip>:<pid>`, no `+`) is a lock;
//! stale locks with no process are not "running". Every refusal changes no byte.
//!
//! The sandboxes run `sleep` under the browser's executable path: only the process table
//! and `/proc` are looked at, never the browser's behaviour.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fix401::Os;
use serde_json::Value;

use crate::support::TestEnv;
use crate::support::homes::{self, ChromiumProfile};
use crate::support::stores::{dump_rows, hash_tree};

/// `fix401 browsers --json`.
fn browsers(env: &TestEnv) -> Vec<Value> {
    env.cmd(["browsers", "--json"]).run().code(0).json()["browsers"]
        .as_array()
        .unwrap()
        .clone()
}

/// The running state (`state`, plus `evidence` or `why`) of one installation.
fn running(env: &TestEnv, id: &str, packaging: &str) -> Value {
    let list = browsers(env);
    list.iter()
        .find(|i| i["id"] == id && i["packaging"] == packaging)
        .unwrap_or_else(|| panic!("{id} ({packaging}) not found in {list:#?}"))["running"]
        .clone()
}

/// A pid this computer does not have (a finished child's): what a sandbox's own pid
/// namespace writes into its locks looks like this from the host.
fn pid_not_on_this_host() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    assert_eq!(fix401::browsers::running::pid_alive(pid), Some(false));
    pid
}

fn host() -> String {
    fix401::browsers::running::hostname().unwrap()
}

/// A Chromium-family profile with cookies of a.test and b.test.
fn chromium_home(browser: &str, packaging: &str) -> (TestEnv, ChromiumProfile) {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile_pkg(&env, Os::Linux, browser, packaging, "Default");
    homes::chromium_cookie(&p.cookies, ".a.test", "sid", "");
    homes::chromium_cookie(&p.cookies, "b.test", "keep", "");
    (env, p)
}

/// `clear --site a.test --yes` is refused naming `name`, and not one byte of the home
/// changes, nor is a backup written.
#[track_caller]
fn assert_clear_refused(env: &TestEnv, name: &str) {
    let before = hash_tree(&env.home());
    let out = env
        .cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(1);
    assert!(out.stderr.contains(name), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert_eq!(
        hash_tree(&env.home()),
        before,
        "a refused clear changed the home"
    );
    let backups = env.data_dir().join("backups");
    assert!(!backups.exists() || std::fs::read_dir(&backups).unwrap().count() == 0);
}

/// `clear --site a.test --yes` goes ahead: a.test's cookie is gone, b.test's stays.
#[track_caller]
fn assert_clear_proceeds(env: &TestEnv, p: &ChromiumProfile) {
    env.cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(0);
    let rows = dump_rows(&p.cookies, "cookies").join("\n");
    assert!(
        !rows.contains("a.test") && rows.contains("b.test"),
        "{rows}"
    );
}

/// A real process in a bubblewrap sandbox (killed with its sandbox when dropped).
struct Sandbox {
    bwrap: Child,
    /// The host pid of the sandboxed program.
    pid: u32,
}

impl Sandbox {
    /// Runs `sleep` as `exe` inside a fresh root (host `/usr` read-only, the given files
    /// placed, only `env` set), in its own pid namespace when `own_pids`.
    fn start(exe: &str, files: &[(&Path, &str)], env: &[(&str, &str)], own_pids: bool) -> Sandbox {
        let sleep = std::fs::canonicalize(which::which("sleep").unwrap()).unwrap();
        let mut cmd = Command::new("bwrap");
        cmd.args(["--die-with-parent", "--ro-bind", "/usr", "/usr"]);
        for top in ["bin", "sbin", "lib", "lib32", "lib64"] {
            let host = Path::new("/").join(top);
            if let Ok(target) = std::fs::read_link(&host) {
                cmd.arg("--symlink").arg(target).arg(&host);
            } else if host.is_dir() {
                cmd.arg("--ro-bind").arg(&host).arg(&host);
            }
        }
        cmd.arg("--ro-bind").arg(&sleep).arg(exe);
        for (src, dest) in files {
            cmd.arg("--ro-bind").arg(src).arg(dest);
        }
        cmd.args(["--proc", "/proc", "--dev", "/dev", "--clearenv"]);
        if own_pids {
            cmd.arg("--unshare-pid");
        }
        for (k, v) in env {
            cmd.args(["--setenv", k, v]);
        }
        cmd.args([exe, "1000"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut bwrap = cmd.spawn().unwrap_or_else(|e| {
            panic!("bubblewrap (bwrap) runs the sandboxes of these tests: {e}; install it")
        });
        let name = Path::new(exe).file_name().unwrap().to_str().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pid) = descendant_named(bwrap.id(), name) {
                return Sandbox { bwrap, pid };
            }
            if let Ok(Some(status)) = bwrap.try_wait() {
                let mut err = String::new();
                std::io::Read::read_to_string(&mut bwrap.stderr.take().unwrap(), &mut err).unwrap();
                panic!(
                    "bwrap exited ({status}): {err}; these tests need bubblewrap with \
                     unprivileged user namespaces"
                );
            }
            assert!(
                Instant::now() < deadline,
                "{exe} did not start in its sandbox"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // --die-with-parent takes the sandboxed program down with bwrap.
        let _ = self.bwrap.kill();
        let _ = self.bwrap.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{}", self.pid)).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A process named `name` below `root` in the process tree (host pids, from `/proc`).
fn descendant_named(root: u32, name: &str) -> Option<u32> {
    let stat = |pid: u32| -> Option<(String, u32)> {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (comm, rest) = s.split_once(" (")?.1.rsplit_once(") ")?;
        let ppid = rest.split(' ').nth(1)?.parse().ok()?;
        Some((comm.to_string(), ppid))
    };
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let (comm, mut parent) = stat(pid)?;
        if comm != name {
            return None;
        }
        while parent > 1 {
            if parent == root {
                return Some(pid);
            }
            parent = stat(parent)?.1;
        }
        None
    })
}

/// A flatpak Chrome really running in its sandbox: `/app/extra/chrome`, the app's
/// `/.flatpak-info`, its own pid namespace, and a `SingletonLock` naming a pid this
/// computer lacks. Running; the clear is refused; no byte changes. Once it exits, the
/// same lock with no process left is a crash leftover and the clear proceeds.
#[test]
fn a_sandboxed_flatpak_chrome_is_running_and_its_stores_stay_untouched() {
    let (env, p) = chromium_home("chrome", "flatpak");
    p.singleton_lock(&host(), pid_not_on_this_host());
    let scratch = tempfile::tempdir().unwrap();
    let info = scratch.path().join("flatpak-info");
    std::fs::write(
        &info,
        "[Application]\nname=com.google.Chrome\nruntime=runtime/org.freedesktop.Platform\n",
    )
    .unwrap();
    let home = env.home().display().to_string();
    let sandbox = Sandbox::start(
        "/app/extra/chrome",
        &[(&info, "/.flatpak-info")],
        &[("HOME", &home), ("FLATPAK_ID", "com.google.Chrome")],
        true,
    );
    let state = running(&env, "chrome", "flatpak");
    assert_eq!(state["state"], "running", "{state:#}");
    let evidence = state["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("flatpak com.google.Chrome")
            && evidence.contains(&format!("({})", sandbox.pid)),
        "{evidence}"
    );
    assert_clear_refused(&env, "Google Chrome");
    drop(sandbox);
    assert_eq!(running(&env, "chrome", "flatpak")["state"], "not_running");
    assert_clear_proceeds(&env, &p);
}

/// The same with a snap Chromium: `/snap/chromium/<rev>/…/chrome`, `HOME` in the snap's
/// folder, a `SingletonLock` with a pid the host does not have.
#[test]
fn a_confined_snap_chromium_is_running_and_its_stores_stay_untouched() {
    let (env, p) = chromium_home("chromium", "snap");
    p.singleton_lock(&host(), pid_not_on_this_host());
    let snap_home = env.path("snap/chromium/100").display().to_string();
    let sandbox = Sandbox::start(
        "/snap/chromium/2345/usr/lib/chromium-browser/chrome",
        &[],
        &[("HOME", &snap_home), ("SNAP_NAME", "chromium")],
        false,
    );
    let state = running(&env, "chromium", "snap");
    assert_eq!(state["state"], "running", "{state:#}");
    let evidence = state["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("snap chromium") && evidence.contains(&format!("({})", sandbox.pid)),
        "{evidence}"
    );
    assert_clear_refused(&env, "Chromium");
    drop(sandbox);
    assert_eq!(running(&env, "chromium", "snap")["state"], "not_running");
    assert_clear_proceeds(&env, &p);
}

/// Another flatpak's sandboxed `chrome`-named process is not this Chrome: with every
/// process tied elsewhere the sandbox lock is a leftover.
#[test]
fn another_flatpaks_process_does_not_hold_chromes_profile() {
    let (env, p) = chromium_home("chrome", "flatpak");
    p.singleton_lock(&host(), pid_not_on_this_host());
    let scratch = tempfile::tempdir().unwrap();
    let info = scratch.path().join("flatpak-info");
    std::fs::write(&info, "[Application]\nname=org.example.NotChrome\n").unwrap();
    let home = env.home().display().to_string();
    let _other = Sandbox::start(
        "/app/extra/chrome",
        &[(&info, "/.flatpak-info")],
        &[("HOME", &home)],
        true,
    );
    assert_eq!(running(&env, "chrome", "flatpak")["state"], "not_running");
}

/// A `chrome` process fix401 cannot tie to any browser (a copy of `sleep` in a folder no
/// browser uses, run for this home) beside a sandbox lock it cannot check: not safe to
/// write; the reason names the browser to close; the clear is refused.
#[test]
fn an_inconclusive_lock_and_a_same_named_unknown_process_are_refused() {
    let (env, p) = chromium_home("chrome", "flatpak");
    p.singleton_lock(&host(), pid_not_on_this_host());
    let scratch = tempfile::tempdir().unwrap();
    let chrome = scratch.path().join("chrome");
    std::fs::copy(which::which("sleep").unwrap(), &chrome).unwrap();
    let mut child = spawn_retrying(
        Command::new(&chrome)
            .arg("1000")
            .env_clear()
            .env("HOME", env.home()),
    );
    let state = running(&env, "chrome", "flatpak");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(state["state"], "unknown", "{state:#}");
    let why = state["why"].as_str().unwrap();
    assert!(
        why.contains("close Google Chrome") && why.contains(&format!("({})", child.id())),
        "{why}"
    );
    // Started again for the clear (the state above was read while it ran).
    let mut child = spawn_retrying(
        Command::new(&chrome)
            .arg("1000")
            .env_clear()
            .env("HOME", env.home()),
    );
    assert_clear_refused(&env, "Google Chrome");
    let _ = child.kill();
    let _ = child.wait();
}

/// Spawns a just-written executable (a forked sibling may briefly hold it open for
/// writing: `ETXTBSY`).
fn spawn_retrying(cmd: &mut Command) -> Child {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(c) => return c,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("spawn: {e}"),
        }
    }
}

/// Stale locks with no process: a native `SingletonLock` naming a finished process, and a
/// flatpak's naming a pid the host lacks while no process of that Chrome exists. Neither is
/// "running" (for the flatpak: every sandbox's processes are in this host's list, and
/// none is Chrome's), so the clear proceeds.
#[test]
fn stale_locks_without_a_process_are_not_running_and_the_clear_proceeds() {
    for packaging in ["native", "flatpak"] {
        let (env, p) = chromium_home("chrome", packaging);
        p.singleton_lock(&host(), pid_not_on_this_host());
        let state = running(&env, "chrome", packaging);
        assert_eq!(state["state"], "not_running", "{packaging}: {state:#}");
        assert_clear_proceeds(&env, &p);
    }
}

/// Firefox's `lock` link in its NFS form (`<ip>:<pid>`, no `+`, written where `fcntl`
/// locks do not work, so no `.parentlock` is held): a live pid is a running Firefox, a
/// finished one a leftover.
#[test]
fn firefox_nfs_lock_link_with_a_live_pid_is_running_and_with_a_dead_one_stale() {
    let env = homes::env(Os::Linux);
    let p = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
    homes::firefox_cookie(&p.cookies, ".a.test", "sid", "v", "");
    homes::firefox_cookie(&p.cookies, "b.test", "keep", "v", "");
    assert!(!p.dir.join(".parentlock").exists());
    let lock = p.dir.join("lock");
    let mut holder = Command::new("sleep").arg("1000").spawn().unwrap();
    std::os::unix::fs::symlink(format!("127.0.0.1:{}", holder.id()), &lock).unwrap();
    let state = running(&env, "firefox", "native");
    assert_eq!(state["state"], "running", "{state:#}");
    let evidence = state["evidence"].as_str().unwrap();
    assert!(
        evidence.contains(&lock.display().to_string())
            && evidence.contains(&holder.id().to_string()),
        "{evidence}"
    );
    assert_clear_refused(&env, "Firefox");
    let _ = holder.kill();
    let _ = holder.wait();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(format!("127.0.0.1:{}", pid_not_on_this_host()), &lock).unwrap();
    assert_eq!(running(&env, "firefox", "native")["state"], "not_running");
    env.cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(0);
    let rows = dump_rows(&p.cookies, "moz_cookies").join("\n");
    assert!(
        !rows.contains("a.test") && rows.contains("b.test"),
        "{rows}"
    );
}
