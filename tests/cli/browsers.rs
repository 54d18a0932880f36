//! `fix401 browsers`: discovery of every browser × OS × packaging of the catalog in
//! simulated homes, configuration variants, running detection, and real browsers.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::TestEnv;
use crate::support::homes::{self, Os};
use crate::support::http::{BrowserSite, Fetch};
use crate::support::real_browser::{self, Chromium, Firefox};

/// Runs `fix401 browsers --json` and returns the `browsers` array.
fn browsers(env: &TestEnv) -> Vec<Value> {
    let out = env.cmd(["browsers", "--json"]).run().code(0);
    out.json()["browsers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn find<'a>(list: &'a [Value], id: &str, packaging: &str) -> &'a Value {
    list.iter()
        .find(|b| b["id"] == id && b["packaging"] == packaging)
        .unwrap_or_else(|| {
            panic!(
                "{id} ({packaging}) not found in {}",
                serde_json::to_string_pretty(list).unwrap()
            )
        })
}

fn profile<'a>(inst: &'a Value, dir: &Path) -> &'a Value {
    inst["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["dir"] == dir.to_str().unwrap())
        .unwrap_or_else(|| panic!("profile {} not in {inst:#}", dir.display()))
}

fn store_path(profile: &Value, kind: &str) -> Vec<PathBuf> {
    profile["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == kind)
        .map(|s| PathBuf::from(s["path"].as_str().unwrap()))
        .collect()
}

fn state(inst: &Value) -> String {
    inst["running"]["state"].as_str().unwrap().to_string()
}

#[test]
fn every_chromium_browser_os_and_packaging_is_discovered() {
    for &(id, os, packaging) in homes::CHROMIUM_MATRIX {
        let env = homes::env(os);
        let work = homes::chromium_profile_pkg(&env, os, id, packaging, "Default")
            .named("Work", "alice@example.com");
        let second = homes::chromium_profile_pkg(&env, os, id, packaging, "Profile 1");
        let list = browsers(&env);
        let inst = find(&list, id, packaging);
        assert_eq!(inst["family"], "chromium", "{id} {os:?}");
        assert_eq!(state(inst), "not_running", "{id} {os:?} {packaging}");
        assert_eq!(inst["profiles"].as_array().unwrap().len(), 2, "{inst:#}");
        let p = profile(inst, &work.dir);
        assert_eq!(p["name"], "Work");
        assert_eq!(p["email"], "alice@example.com");
        assert_eq!(p["is_default"], true);
        assert_eq!(
            store_path(p, "chromium_cookies"),
            vec![work.cookies.clone()],
            "{id} {os:?} {packaging}"
        );
        let cache_kind = if os == Os::Windows {
            "chromium_blockfile_cache"
        } else {
            "chromium_simple_cache"
        };
        assert_eq!(
            store_path(p, cache_kind),
            vec![work.cache.clone()],
            "{id} {os:?} {packaging}: {p:#}"
        );
        assert_eq!(store_path(p, "chromium_indexed_db"), vec![work.indexed_db]);
        assert_eq!(
            store_path(p, "chromium_service_worker"),
            vec![work.service_worker]
        );
        let p2 = profile(inst, &second.dir);
        assert_eq!(p2["name"], "Person 2");
        assert_eq!(p2["is_default"], false);
        assert_eq!(store_path(p2, "chromium_cookies"), vec![second.cookies]);
        // The cache root is listed among the roots the stores may touch.
        let roots: Vec<&str> = p["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(roots.iter().any(|r| work.cache.starts_with(r)), "{roots:?}");
        // Nothing of another OS's layout is found in this home.
        assert!(
            list.iter()
                .all(|b| b["id"] == id || b["profiles"] == Value::Null)
        );
    }
}

#[test]
fn opera_user_data_dir_is_the_profile() {
    for (os, packaging) in [
        (Os::Windows, "native"),
        (Os::Macos, "native"),
        (Os::Linux, "native"),
        (Os::Linux, "snap"),
    ] {
        let env = homes::env(os);
        let p = homes::opera_udd_profile(&env, os, "opera", packaging);
        let list = browsers(&env);
        let inst = find(&list, "opera", packaging);
        let prof = profile(inst, &p.udd);
        assert_eq!(prof["name"], "Opera");
        assert_eq!(
            store_path(prof, "chromium_cookies"),
            vec![p.cookies.clone()]
        );
        assert!(
            prof["stores"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["path"] == p.cache.to_str().unwrap()),
            "{os:?}: {prof:#}"
        );
    }
}

#[test]
fn every_firefox_browser_os_and_packaging_is_discovered() {
    for &(id, os, packaging) in homes::FIREFOX_MATRIX {
        let env = homes::env(os);
        let release = homes::firefox_profile_pkg(&env, os, id, packaging, "default-release");
        let esr = homes::firefox_profile_pkg(&env, os, id, packaging, "default-esr");
        // The ESR install's default, as Firefox 67+ records it.
        let ini = std::fs::read_to_string(&release.profiles_ini).unwrap();
        std::fs::write(
            &release.profiles_ini,
            format!(
                "{ini}\n[Install4F96D1932A9F858E]\nDefault={}\nLocked=1\n",
                esr.ini_path
            ),
        )
        .unwrap();
        let list = browsers(&env);
        let inst = find(&list, id, packaging);
        assert_eq!(inst["family"], "firefox");
        assert_eq!(
            state(inst),
            "not_running",
            "{id} {os:?} {packaging}: {inst:#}"
        );
        assert_eq!(inst["profiles"].as_array().unwrap().len(), 2, "{inst:#}");
        for (p, default) in [(&release, false), (&esr, true)] {
            let prof = profile(inst, &p.dir);
            assert_eq!(prof["is_default"], default, "{id} {os:?} {prof:#}");
            assert_eq!(store_path(prof, "firefox_cookies"), vec![p.cookies.clone()]);
            assert_eq!(
                store_path(prof, "firefox_cache2"),
                vec![p.cache2.clone()],
                "{id} {os:?} {packaging}"
            );
            assert_eq!(
                store_path(prof, "firefox_site_storage"),
                vec![p.storage.clone()]
            );
            assert_eq!(
                store_path(prof, "firefox_session_store"),
                vec![p.session.clone()]
            );
        }
        assert_eq!(profile(inst, &esr.dir)["name"], "default-esr");
        assert_eq!(profile(inst, &release.dir)["email"], Value::Null);
    }
}

#[test]
fn firefox_in_the_xdg_folder_of_new_installs() {
    let env = homes::env(Os::Linux);
    let p = homes::firefox_profile_pkg(&env, Os::Linux, "firefox", "xdg", "default-release");
    let list = browsers(&env);
    let inst = find(&list, "firefox", "native");
    let prof = profile(inst, &p.dir);
    assert_eq!(prof["is_default"], true, "the only profile is the default");
    assert_eq!(store_path(prof, "firefox_cache2"), vec![p.cache2]);
}

#[test]
fn safari_on_macos_lists_both_cookie_files_and_the_cache() {
    let env = homes::env(Os::Macos);
    let s = homes::safari(&env);
    let list = browsers(&env);
    let inst = find(&list, "safari", "native");
    assert_eq!(inst["family"], "safari");
    let prof = &inst["profiles"][0];
    assert_eq!(
        store_path(prof, "safari_cookies"),
        vec![s.cookies, s.legacy_cookies]
    );
    assert_eq!(store_path(prof, "safari_cache"), vec![s.cache]);
    // Safari data in a home examined as Linux is not Safari's business.
    let out = crate::support::Fix401::new([
        "--home".into(),
        env.home().into_os_string(),
        "--os".into(),
        "linux".into(),
        "browsers".into(),
        "--json".into(),
    ])
    .run()
    .code(0);
    assert!(
        out.json()["browsers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["id"] != "safari")
    );
}

#[test]
fn text_output_is_readable_by_a_help_desk() {
    let env = homes::env(Os::Windows);
    homes::chromium_profile(&env, Os::Windows, "edge", "Default").named("Work", "bob@corp.example");
    homes::firefox_profile(&env, Os::Windows, "firefox", "default-release");
    env.cmd(["browsers"])
        .run()
        .code(0)
        .stdout_has("Microsoft Edge [edge] — not running")
        .stdout_has("profile \"Work\" <bob@corp.example> (default)")
        .stdout_has("cache (Blockfile, whole only)")
        .stdout_has("Firefox [firefox] — not running")
        .stdout_has("cookies");
    let empty = TestEnv::new().os("linux");
    empty
        .cmd(["browsers"])
        .run()
        .code(0)
        .stdout_has("No browser data found");
}

#[test]
fn store_sizes_are_reported() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
    std::fs::write(p.cache.join("0123456789abcdef_0"), vec![7u8; 5000]).unwrap();
    let list = browsers(&env);
    let prof = profile(find(&list, "chromium", "native"), &p.dir);
    let cache = prof["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "chromium_simple_cache")
        .unwrap();
    assert_eq!(
        cache["bytes"].as_u64().unwrap(),
        5000 + homes::cache_index(Os::Linux).len() as u64
    );
}

// ------------------------------------------------------------ Local State variants

#[test]
fn missing_local_state_still_finds_profiles_by_scanning() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let p3 = homes::chromium_profile(&env, Os::Linux, "chrome", "Profile 3");
    std::fs::remove_file(&p.local_state).unwrap();
    let list = browsers(&env);
    let inst = find(&list, "chrome", "native");
    assert_eq!(profile(inst, &p.dir)["name"], "Default");
    assert_eq!(profile(inst, &p3.dir)["name"], "Profile 3");
    assert_eq!(inst["warnings"].as_array().unwrap().len(), 0);
}

#[test]
fn garbage_local_state_is_a_clear_warning_not_a_crash() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    std::fs::write(&p.local_state, b"{\"profile\": {\"info_cache\": [1, 2").unwrap();
    let list = browsers(&env);
    let inst = find(&list, "chrome", "native");
    assert_eq!(profile(inst, &p.dir)["name"], "Default");
    let warning = inst["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("Local State") && warning.contains("not valid JSON"),
        "{warning}"
    );
    env.cmd(["browsers"])
        .run()
        .code(0)
        .stdout_has("warning: ")
        .stdout_has("not valid JSON");
}

#[test]
fn system_and_guest_profiles_and_escaping_names_are_skipped() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "brave", "Default");
    for odd in ["System Profile", "Guest Profile"] {
        homes::chromium_profile(&env, Os::Linux, "brave", odd);
    }
    let mut ls: Value = serde_json::from_slice(&std::fs::read(&p.local_state).unwrap()).unwrap();
    ls["profile"]["info_cache"]["../../escape"] = serde_json::json!({"name": "Evil"});
    ls["profile"]["info_cache"]["Profile 9"] = serde_json::json!({"name": "Deleted"});
    std::fs::write(&p.local_state, serde_json::to_vec(&ls).unwrap()).unwrap();
    let list = browsers(&env);
    let inst = find(&list, "brave", "native");
    let names: Vec<&str> = inst["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Person 1"], "{inst:#}");
    assert!(inst["warnings"][0].as_str().unwrap().contains("escape"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_a_root_are_never_followed() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
    // A profile folder that is a link to a folder outside the root.
    let outside = env.path("elsewhere/Profile 1");
    std::fs::create_dir_all(&outside).unwrap();
    homes::chromium_cookies_db(&outside.join("Cookies"));
    std::os::unix::fs::symlink(&outside, p.udd.join("Profile 1")).unwrap();
    // A Cookies file that is a link to a file outside.
    std::fs::remove_file(&p.cookies).unwrap();
    std::os::unix::fs::symlink(outside.join("Cookies"), &p.cookies).unwrap();
    let list = browsers(&env);
    let inst = find(&list, "chromium", "native");
    assert_eq!(inst["profiles"].as_array().unwrap().len(), 1, "{inst:#}");
    let prof = profile(inst, &p.dir);
    assert!(store_path(prof, "chromium_cookies").is_empty(), "{prof:#}");
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains("elsewhere"), "{text}");
}

// ------------------------------------------------------------ profiles.ini variants

#[test]
fn profiles_ini_absolute_relative_escaping_and_legacy_default() {
    let env = homes::env(Os::Linux);
    let rel = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
    // An absolute profile inside the home: cache2 inside the profile itself.
    let abs_dir = env.path("Documents/ff-work");
    let abs = homes::FirefoxProfile {
        root: rel.root.clone(),
        dir: abs_dir.clone(),
        local: abs_dir.clone(),
        profiles_ini: rel.profiles_ini.clone(),
        cookies: abs_dir.join("cookies.sqlite"),
        cache2: abs_dir.join("cache2"),
        storage: abs_dir.join("storage/default"),
        session: abs_dir.join("sessionstore-backups/recovery.jsonlz4"),
        ini_path: abs_dir.display().to_string(),
    };
    homes::fill_firefox_profile(&abs);
    let outside = tempfile::tempdir().unwrap();
    let ini = std::fs::read_to_string(&rel.profiles_ini).unwrap();
    std::fs::write(
        &rel.profiles_ini,
        format!(
            "{ini}\n[Profile1]\nName=work\nIsRelative=0\nPath={}\nDefault=1\n\
             \n[Profile2]\nName=evil\nIsRelative=1\nPath=../../etc\n\
             \n[Profile3]\nName=far\nIsRelative=0\nPath={}\n\
             \n[Profile4]\nName=gone\nIsRelative=1\nPath=missing.default\n",
            abs.ini_path,
            outside.path().display()
        ),
    )
    .unwrap();
    let list = browsers(&env);
    let inst = find(&list, "firefox", "native");
    assert_eq!(inst["profiles"].as_array().unwrap().len(), 2, "{inst:#}");
    let w = profile(inst, &abs.dir);
    assert_eq!(w["name"], "work");
    assert_eq!(
        w["is_default"], true,
        "Default=1 without [Install] sections"
    );
    assert_eq!(store_path(w, "firefox_cache2"), vec![abs.cache2.clone()]);
    assert_eq!(store_path(w, "firefox_cookies"), vec![abs.cookies.clone()]);
    assert_eq!(profile(inst, &rel.dir)["is_default"], false);
    let warnings = inst["warnings"].to_string();
    assert!(
        warnings.contains("leaves the profiles folder"),
        "{warnings}"
    );
    assert!(warnings.contains("outside the home"), "{warnings}");
    assert!(warnings.contains("does not exist"), "{warnings}");
}

#[test]
fn installs_ini_names_the_default_profile() {
    let env = homes::env(Os::Macos);
    let a = homes::firefox_profile(&env, Os::Macos, "firefox", "default-release");
    let b = homes::firefox_profile(&env, Os::Macos, "firefox", "dev-edition-default");
    std::fs::write(
        a.root.join("installs.ini"),
        format!("[2656FF1E876E9973]\nDefault={}\nLocked=1\n", b.ini_path),
    )
    .unwrap();
    std::fs::write(
        b.dir.join("signedInUser.json"),
        br#"{"version":1,"accountData":{"email":"dev@example.com","uid":"x"}}"#,
    )
    .unwrap();
    let list = browsers(&env);
    let inst = find(&list, "firefox", "native");
    assert_eq!(profile(inst, &b.dir)["is_default"], true);
    assert_eq!(profile(inst, &b.dir)["email"], "dev@example.com");
    assert_eq!(profile(inst, &a.dir)["is_default"], false);
}

#[test]
fn garbage_or_missing_profiles_ini_falls_back_to_scanning() {
    let env = homes::env(Os::Linux);
    let p = homes::firefox_profile(&env, Os::Linux, "librewolf", "default-default");
    std::fs::write(&p.profiles_ini, "[General\nStartWithLastProfile=1\n").unwrap();
    let list = browsers(&env);
    let inst = find(&list, "librewolf", "native");
    assert_eq!(profile(inst, &p.dir)["name"], "k3x9q2ab.default-default");
    let w = inst["warnings"][0].as_str().unwrap();
    assert!(w.contains("profiles.ini") && w.contains("line 1"), "{w}");
    std::fs::remove_file(&p.profiles_ini).unwrap();
    let list = browsers(&env);
    let inst = find(&list, "librewolf", "native");
    assert_eq!(
        store_path(profile(inst, &p.dir), "firefox_cache2"),
        vec![p.cache2]
    );
}

// ------------------------------------------------------------ running detection

#[cfg(unix)]
fn this_host() -> String {
    fix401::browsers::running::hostname().unwrap()
}

#[cfg(unix)]
#[test]
fn singleton_lock_live_pid_dead_pid_and_other_host() {
    for os in [Os::Linux, Os::Macos] {
        let env = homes::env(os);
        let p = homes::chromium_profile(&env, os, "chrome", "Default");
        // This test process is alive: the lock is held.
        p.singleton_lock(&this_host(), std::process::id());
        let list = browsers(&env);
        let inst = find(&list, "chrome", "native");
        assert_eq!(state(inst), "running", "{inst:#}");
        assert!(
            inst["running"]["evidence"]
                .as_str()
                .unwrap()
                .contains("SingletonLock")
        );
        // A finished process: a stale lock after a crash is not "running".
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        p.singleton_lock(&this_host(), dead);
        assert_eq!(
            state(find(&browsers(&env), "chrome", "native")),
            "not_running"
        );
        // Another computer holds it (a shared home): treat as running.
        p.singleton_lock("some-other-machine.example", 4242);
        let list = browsers(&env);
        let inst = find(&list, "chrome", "native");
        assert_eq!(state(inst), "running");
        assert!(
            inst["running"]["evidence"]
                .as_str()
                .unwrap()
                .contains("another computer")
        );
    }
}

#[test]
fn windows_lockfile_means_running() {
    let env = homes::env(Os::Windows);
    let p = homes::chromium_profile(&env, Os::Windows, "chrome", "Default");
    assert_eq!(
        state(find(&browsers(&env), "chrome", "native")),
        "not_running"
    );
    std::fs::write(p.udd.join("lockfile"), b"").unwrap();
    let list = browsers(&env);
    let inst = find(&list, "chrome", "native");
    assert_eq!(state(inst), "running");
    env.cmd(["browsers"])
        .run()
        .code(0)
        .stdout_has("Google Chrome [chrome] — RUNNING");
}

/// Holds an `fcntl` write lock on `path` in a forked child process until dropped.
#[cfg(unix)]
struct ChildLock {
    pid: libc::pid_t,
    release: libc::c_int,
}

#[cfg(unix)]
impl ChildLock {
    fn hold(path: &Path) -> ChildLock {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let fd = file.as_raw_fd();
        let mut ready = [0; 2];
        let mut release = [0; 2];
        // SAFETY: plain pipe/fork; the child only calls async-signal-safe functions
        // (fcntl, write, read, _exit) before exiting.
        unsafe {
            assert_eq!(libc::pipe(ready.as_mut_ptr()), 0);
            assert_eq!(libc::pipe(release.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                let mut fl: libc::flock = std::mem::zeroed();
                fl.l_type = libc::F_WRLCK as _;
                fl.l_whence = libc::SEEK_SET as _;
                let ok: u8 = if libc::fcntl(fd, libc::F_SETLK, &fl) == 0 {
                    1
                } else {
                    0
                };
                libc::write(ready[1], (&ok as *const u8).cast(), 1);
                libc::close(release[1]);
                let mut b = 0u8;
                libc::read(release[0], (&mut b as *mut u8).cast(), 1);
                libc::_exit(0);
            }
            libc::close(ready[1]);
            libc::close(release[0]);
            let mut ok = 0u8;
            assert_eq!(libc::read(ready[0], (&mut ok as *mut u8).cast(), 1), 1);
            libc::close(ready[0]);
            assert_eq!(ok, 1, "child could not lock {}", path.display());
            drop(file);
            ChildLock {
                pid,
                release: release[1],
            }
        }
    }
}

#[cfg(unix)]
impl Drop for ChildLock {
    fn drop(&mut self) {
        // SAFETY: closing our pipe end makes the child exit; then reap it.
        unsafe {
            libc::close(self.release);
            let mut status = 0;
            libc::waitpid(self.pid, &mut status, 0);
        }
    }
}

#[cfg(unix)]
#[test]
fn firefox_parentlock_is_tested_by_locking_not_by_existence() {
    for os in [Os::Linux, Os::Macos] {
        let env = homes::env(os);
        let p = homes::firefox_profile(&env, os, "firefox", "default-release");
        let parentlock = p.dir.join(".parentlock");
        std::fs::write(&parentlock, b"").unwrap();
        // A `lock` symlink left by a clean exit names a finished process.
        #[cfg(target_os = "linux")]
        std::os::unix::fs::symlink("127.0.1.1:+999999", p.dir.join("lock")).unwrap();
        assert_eq!(
            state(find(&browsers(&env), "firefox", "native")),
            "not_running",
            "an unlocked .parentlock is a leftover"
        );
        let held = ChildLock::hold(&parentlock);
        let list = browsers(&env);
        let inst = find(&list, "firefox", "native");
        assert_eq!(state(inst), "running", "{inst:#}");
        assert!(
            inst["running"]["evidence"]
                .as_str()
                .unwrap()
                .contains(&format!("locked by process {}", held.pid)),
            "{inst:#}"
        );
        drop(held);
        assert_eq!(
            state(find(&browsers(&env), "firefox", "native")),
            "not_running"
        );
    }
}

// ------------------------------------------------------------ real browsers

#[test]
fn a_really_running_headless_chromium_is_running() {
    if !real_browser::chromium_available() {
        panic!("chromium is not installed: run scripts/install-deps.sh");
    }
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let chromium = Chromium::new(&env.home());
    let running = chromium.start(&server.url("a.test", "/"));
    let list = browsers(&env);
    let inst = find(&list, "chromium", "native");
    assert_eq!(state(inst), "running", "{inst:#}");
    let evidence = inst["running"]["evidence"].as_str().unwrap().to_string();
    assert!(evidence.contains("SingletonLock"), "{evidence}");
    running.stop();
    // After a clean stop the lock is gone (or stale): not running.
    let list = browsers(&env);
    assert_eq!(state(find(&list, "chromium", "native")), "not_running");
}

#[test]
fn real_browsers_visit_two_sites_and_their_stores_are_discovered() {
    assert!(
        real_browser::chromium_available() && real_browser::firefox_available(),
        "chromium and firefox-esr must be installed: run scripts/install-deps.sh"
    );
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();

    let chromium = Chromium::new(&env.home());
    let dom = chromium.visit(&server.url("a.test", "/"));
    assert!(dom.contains("a.test"), "{dom}");
    chromium.visit(&server.url("b.test", "/"));
    let firefox = Firefox::new(&env.home());
    firefox.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("b.test", "/"));

    // The server saw both sites from both browsers, full fetches the first time.
    for host in ["a.test", "b.test"] {
        let pages = server.requests_to(host, "/");
        assert_eq!(pages.len(), 2, "{:#?}", server.requests());
        let js = server.requests_to(host, "/static.js");
        assert!(js.len() >= 2, "{:#?}", server.requests());
        assert!(js.iter().all(|r| r.fetch == Fetch::Full));
    }

    let list = browsers(&env);
    let chrome = find(&list, "chromium", "native");
    assert_eq!(state(chrome), "not_running", "{chrome:#}");
    let cp = profile(chrome, &chromium.profile_dir());
    assert_eq!(
        store_path(cp, "chromium_cookies"),
        vec![chromium.profile_dir().join("Cookies")]
    );
    assert_eq!(
        store_path(cp, "chromium_simple_cache"),
        vec![env.path(".cache/chromium/Default/Cache/Cache_Data")],
        "{cp:#}"
    );
    let fx = find(&list, "firefox", "native");
    assert_eq!(state(fx), "not_running", "{fx:#}");
    let fp = profile(fx, firefox.profile_dir());
    assert_eq!(fp["name"], "fix401");
    assert_eq!(fp["is_default"], true);
    assert_eq!(
        store_path(fp, "firefox_cookies"),
        vec![firefox.profile_dir().join("cookies.sqlite")]
    );
    let cache2 = store_path(fp, "firefox_cache2");
    assert_eq!(cache2.len(), 1, "{fp:#}");
    assert!(
        cache2[0].starts_with(env.path(".cache/mozilla/firefox")),
        "{cache2:?}"
    );

    // Both stores really hold the two sites.
    let hosts = |db: &Path, sql: &str| -> Vec<String> {
        let c =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let ch = hosts(
        &chromium.profile_dir().join("Cookies"),
        "SELECT DISTINCT host_key FROM cookies ORDER BY 1",
    );
    assert_eq!(ch, vec![".a.test", ".b.test", "a.test", "b.test"]);
    let fh = hosts(
        &firefox.profile_dir().join("cookies.sqlite"),
        "SELECT DISTINCT host FROM moz_cookies ORDER BY 1",
    );
    assert_eq!(fh, vec![".a.test", ".b.test", "a.test", "b.test"]);
    let entries = std::fs::read_dir(cache2[0].join("entries"))
        .unwrap()
        .count();
    assert!(entries >= 4, "cache2 has {entries} entries");

    // The simulated-home builders write entries exactly like these real ones.
    let real_simple = std::fs::read_dir(env.path(".cache/chromium/Default/Cache/Cache_Data"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("_0"))
        .collect::<Vec<_>>();
    assert!(!real_simple.is_empty());
    let scratch = tempfile::tempdir().unwrap();
    for real in &real_simple {
        let bytes = std::fs::read(real).unwrap();
        let key_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let key = std::str::from_utf8(&bytes[24..24 + key_len]).unwrap();
        assert!(key.starts_with("1/0/_dk_http://"), "{key}");
        let ours = homes::simple_cache_entry(scratch.path(), key, "HTTP/1.1 200 OK", b"x");
        assert_eq!(ours.file_name(), real.file_name(), "{key}");
        assert_eq!(std::fs::read(&ours).unwrap()[..24], bytes[..24], "{key}");
    }
    for real in std::fs::read_dir(cache2[0].join("entries"))
        .unwrap()
        .flatten()
    {
        let bytes = std::fs::read(real.path()).unwrap();
        let n = bytes.len();
        let offset = u32::from_be_bytes(bytes[n - 4..].try_into().unwrap()) as usize;
        let hash = u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap());
        assert_eq!(homes::lookup2(&bytes[offset + 4..n - 8], 0), hash);
        let chunks = offset.div_ceil(256 * 1024);
        let header = offset + 4 + 2 * chunks;
        let key_len = u32::from_be_bytes(bytes[header + 24..header + 28].try_into().unwrap());
        let key = std::str::from_utf8(&bytes[header + 32..header + 32 + key_len as usize]).unwrap();
        let ours = homes::cache2_entry(scratch.path(), key, "HTTP/1.1 200 OK\r\n", b"x");
        assert_eq!(
            ours.file_name(),
            Some(real.file_name().as_os_str()),
            "{key}"
        );
        let ours = std::fs::read(ours).unwrap();
        assert_eq!(ours[ours.len() - 8..ours.len() - 4], bytes[n - 8..n - 4]);
    }

    // A second visit: cookies are sent back and the cached script is revalidated.
    server.clear_log();
    chromium.visit(&server.url("a.test", "/"));
    let page = &server.requests_to("a.test", "/")[0];
    assert!(
        page.has_cookie("site_a") && page.has_cookie("dom_a"),
        "{page:?}"
    );
    let js = &server.requests_to("a.test", "/static.js")[0];
    assert_eq!(js.fetch, Fetch::Conditional, "{js:?}");
    assert!(server.requests_to("a.test", "/fresh.js").is_empty());
}

#[cfg(unix)]
#[test]
fn flatpak_lock_with_a_sandbox_pid_is_settled_by_the_process_list() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile_pkg(&env, Os::Linux, "chromium", "flatpak", "Default");
    // A pid from the sandbox's own namespace is not a host pid: the lock alone cannot
    // tell; no chromium process of this home runs on the host, so it is not running.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let sandbox_pid = child.id();
    child.wait().unwrap();
    p.singleton_lock(&this_host(), sandbox_pid);
    let list = browsers(&env);
    assert_eq!(state(find(&list, "chromium", "flatpak")), "not_running");
    // The same home examined as macOS has no process list to ask: unknown, not "safe".
    let mac = homes::env(Os::Macos);
    let m = homes::chromium_profile(&mac, Os::Macos, "chrome", "Default");
    std::os::unix::fs::symlink("garbage-without-pid", m.udd.join("SingletonLock")).unwrap();
    let list = browsers(&mac);
    let inst = find(&list, "chrome", "native");
    assert_eq!(state(inst), "unknown", "{inst:#}");
    assert!(
        inst["running"]["why"]
            .as_str()
            .unwrap()
            .contains("SingletonLock")
    );
}

#[test]
fn a_really_running_headless_firefox_is_running() {
    assert!(
        real_browser::firefox_available(),
        "firefox-esr is not installed: run scripts/install-deps.sh"
    );
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let firefox = Firefox::new(&env.home());
    let running = firefox.start(&server.url("a.test", "/"));
    let list = browsers(&env);
    let inst = find(&list, "firefox", "native");
    assert_eq!(state(inst), "running", "{inst:#}");
    let evidence = inst["running"]["evidence"].as_str().unwrap().to_string();
    assert!(evidence.contains(".parentlock"), "{evidence}");
    running.stop();
    // .parentlock and the `lock` link stay behind after the exit: still not running.
    assert!(firefox.profile_dir().join(".parentlock").exists());
    let list = browsers(&env);
    assert_eq!(state(find(&list, "firefox", "native")), "not_running");
}

#[test]
fn store_content_builders_write_valid_stores() {
    let env = homes::env(Os::Linux);
    let c = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    homes::chromium_cookie(&c.cookies, ".a.test", "sid", "");
    homes::chromium_cookie(&c.cookies, "b.test", "sid", "https://a.test");
    let key = homes::simple_cache_key("http://a.test", "http://a.test/app.js");
    let entry = homes::simple_cache_entry(&c.cache, &key, "HTTP/1.1 200 OK\r\nETag: \"1\"", b"js");
    let bytes = std::fs::read(&entry).unwrap();
    assert_eq!(&bytes[24..24 + key.len()], key.as_bytes());
    let f = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
    homes::firefox_cookie(&f.cookies, "a.test", "sid", "1", "");
    homes::firefox_cookie(
        &f.cookies,
        ".cdn.test",
        "t",
        "2",
        "^partitionKey=%28https%2Ca.test%29",
    );
    let k2 = homes::cache2_key("https", "a.test", "https://a.test/app.js");
    homes::cache2_entry(&f.cache2, &k2, "HTTP/1.1 200 OK\r\n", &vec![1u8; 300_000]);
    for (db, table) in [(&c.cookies, "cookies"), (&f.cookies, "moz_cookies")] {
        let conn = rusqlite::Connection::open(db).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
    let list = browsers(&env);
    let cache = &profile(find(&list, "firefox", "native"), &f.dir)["stores"];
    let bytes = cache
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "firefox_cache2")
        .unwrap()["bytes"]
        .as_u64()
        .unwrap();
    assert!(bytes > 300_000, "{bytes}");
}

/// Removes one host's cookie rows and cache entry files by hand (what `fix401 clear` will
/// do, here with plain SQL and file moves) to prove the harness can observe a site-scoped
/// clear on the next start.
fn clear_by_hand(cookies: &Path, cookie_sql: &str, cache_files: Vec<PathBuf>, trash: &Path) {
    let c = rusqlite::Connection::open(cookies).unwrap();
    let removed = c.execute(cookie_sql, []).unwrap();
    assert!(removed >= 2, "{removed} rows removed");
    drop(c);
    assert!(!cache_files.is_empty());
    std::fs::create_dir_all(trash).unwrap();
    for f in cache_files {
        std::fs::rename(&f, trash.join(f.file_name().unwrap())).unwrap();
    }
}

/// The files of entries whose key names `host` (the URL after the key's last space/colon).
fn entries_for(dir: &Path, host: &str) -> Vec<PathBuf> {
    let needle = format!("http://{host}:");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        // Simple: `…_dk_http://a.test http://a.test http://a.test:PORT/x`; cache2:
        // `O^partitionKey=…,:http://a.test:PORT/x`. Both end with the URL.
        if text.contains(&format!(" {needle}")) || text.contains(&format!(",:{needle}")) {
            out.push(e.path());
        }
    }
    out
}

fn assert_a_cleared_b_kept(server: &BrowserSite, who: &str) {
    let page_a = server.last_request("a.test", "/").unwrap();
    let page_b = server.last_request("b.test", "/").unwrap();
    assert!(
        page_a.cookie.is_none(),
        "{who}: a.test still sent {page_a:?}"
    );
    assert!(
        page_b.has_cookie("site_b") && page_b.has_cookie("dom_b"),
        "{who}: {page_b:?}"
    );
    let js_a = server.last_request("a.test", "/static.js").unwrap();
    assert_eq!(js_a.fetch, Fetch::Full, "{who}: {js_a:?}");
    assert!(
        server.last_request("a.test", "/fresh.js").is_some(),
        "{who}"
    );
    let js_b = server.last_request("b.test", "/static.js").unwrap();
    assert_eq!(js_b.fetch, Fetch::Conditional, "{who}: {js_b:?}");
    assert!(
        server.last_request("b.test", "/fresh.js").is_none(),
        "{who}: b.test's fresh script should come from the cache: {:#?}",
        server.requests()
    );
}

#[test]
fn harness_observes_a_site_scoped_clear_on_the_next_start() {
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let trash = env.path("trash");

    let chromium = Chromium::new(&env.home());
    chromium.visit(&server.url("a.test", "/"));
    chromium.visit(&server.url("b.test", "/"));
    let cache = env.path(".cache/chromium/Default/Cache/Cache_Data");
    let mut files = entries_for(&cache, "a.test");
    // An entry's side files share its hash prefix.
    let prefixes: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy()[..16].to_string())
        .collect();
    for e in std::fs::read_dir(&cache).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) && !files.contains(&e.path()) {
            files.push(e.path());
        }
    }
    clear_by_hand(
        &chromium.profile_dir().join("Cookies"),
        "DELETE FROM cookies WHERE host_key IN ('a.test', '.a.test')",
        files,
        &trash.join("chromium"),
    );
    server.clear_log();
    chromium.visit(&server.url("a.test", "/"));
    chromium.visit(&server.url("b.test", "/"));
    assert_a_cleared_b_kept(&server, "chromium");

    let firefox = Firefox::new(&env.home());
    firefox.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("b.test", "/"));
    let list = browsers(&env);
    let fp = profile(find(&list, "firefox", "native"), firefox.profile_dir()).clone();
    let cache2 = store_path(&fp, "firefox_cache2").remove(0);
    let files = entries_for(&cache2.join("entries"), "a.test");
    for index in ["index", "index.log"] {
        let _ = std::fs::remove_file(cache2.join(index));
    }
    clear_by_hand(
        &firefox.profile_dir().join("cookies.sqlite"),
        "DELETE FROM moz_cookies WHERE host IN ('a.test', '.a.test')",
        files,
        &trash.join("firefox"),
    );
    server.clear_log();
    firefox.visit(&server.url("a.test", "/"));
    firefox.visit(&server.url("b.test", "/"));
    assert_a_cleared_b_kept(&server, "firefox-esr");
}

#[cfg(target_os = "linux")]
#[test]
fn a_devtools_session_visits_several_pages_and_closes_cleanly() {
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let chromium = Chromium::new(&env.home());
    let mut session = chromium.session();
    session.navigate(&server.url("a.test", "/"));
    session.navigate(&server.url("b.test", "/"));
    // While it runs, discovery says so.
    let list = browsers(&env);
    assert_eq!(state(find(&list, "chromium", "native")), "running");
    session.close();
    assert_eq!(server.requests_to("a.test", "/static.js").len(), 1);
    assert_eq!(server.requests_to("b.test", "/static.js").len(), 1);
    // The clean close wrote both sites' cookies.
    let c = rusqlite::Connection::open(chromium.profile_dir().join("Cookies")).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM cookies WHERE host_key IN ('a.test','.a.test','b.test','.b.test')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        state(find(&browsers(&env), "chromium", "native")),
        "not_running"
    );
}

#[cfg(unix)]
#[test]
fn firefox_profiles_behind_links_are_skipped_with_a_warning() {
    let env = homes::env(Os::Macos);
    let p = homes::firefox_profile(&env, Os::Macos, "firefox", "default-release");
    // Replace the Profiles folder by a link to a copy elsewhere.
    let elsewhere = env.path("elsewhere/Profiles");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::rename(p.root.join("Profiles"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, p.root.join("Profiles")).unwrap();
    let list = browsers(&env);
    let inst = find(&list, "firefox", "native");
    assert!(inst["profiles"].as_array().unwrap().is_empty(), "{inst:#}");
    assert!(
        inst["warnings"]
            .to_string()
            .contains("reached through a symbolic link")
    );
}
