//! Store safety: a public suffix is never a site, backups are private and hold only what
//! was removed, undo trusts no path of its manifest, and a move across file systems or an
//! undo killed at any step never puts a partial copy in place of an intact original.

use std::path::{Path, PathBuf};

use fix401::Os;

use crate::support::homes::{self, ChromiumProfile, FirefoxProfile};
use crate::support::http::BrowserSite;
use crate::support::real_browser::{self, Firefox};
use crate::support::stores::{assert_integrity, dump_rows, hash_tree, walk};
use crate::support::{Fix401, TestEnv};

const HEAD: &str =
    "HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nContent-Type: text/javascript";

/// Every byte of every file below `root`, one after the other.
fn all_bytes(root: &Path) -> Vec<u8> {
    walk(root)
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A Chrome and a Firefox profile, each with cookies, cache and storage of a.test and b.test.
fn two_browsers(env: &TestEnv) -> (ChromiumProfile, FirefoxProfile) {
    let c = homes::chromium_profile(env, Os::Linux, "chrome", "Default");
    for (host, name) in [
        ("a.test", "a1"),
        (".a.test", "a2"),
        ("b.test", "b1"),
        (".b.test", "b2"),
    ] {
        homes::chromium_cookie(&c.cookies, host, name, "");
    }
    for (site, url) in [
        ("http://a.test", "http://a.test/a.js"),
        ("http://b.test", "http://b.test/b.js"),
    ] {
        homes::simple_cache_entry(
            &c.cache,
            &homes::simple_cache_key(site, url),
            HEAD,
            url.as_bytes(),
        );
    }
    let f = homes::firefox_profile(env, Os::Linux, "firefox", "default-release");
    homes::firefox_cookie(&f.cookies, "a.test", "fa", "A-SITE-VALUE", "");
    homes::firefox_cookie(&f.cookies, "b.test", "fb", "B-SITE-SECRET-4711", "");
    std::fs::create_dir_all(f.storage.join("https+++a.test/ls")).unwrap();
    std::fs::write(
        f.storage.join("https+++a.test/ls/data.sqlite"),
        b"a-storage",
    )
    .unwrap();
    std::fs::create_dir_all(f.storage.join("https+++b.test/ls")).unwrap();
    std::fs::write(
        f.storage.join("https+++b.test/ls/data.sqlite"),
        b"B-STORAGE-SECRET",
    )
    .unwrap();
    (c, f)
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Modes of every path below `root`, relative.
fn modes(root: &Path) -> Vec<(PathBuf, u32)> {
    let mut v: Vec<_> = walk(root)
        .into_iter()
        .map(|p| (p.strip_prefix(root).unwrap().to_path_buf(), mode(&p)))
        .collect();
    v.sort();
    v
}

/// Real Firefox ESR visits sites under `co.uk` and `github.io`; clearing a suffix is refused
/// with exit 2 and removes nothing, a site under one clears only its own registrable domain.
#[test]
fn public_suffixes_are_refused_and_sites_under_them_clear_alone() {
    let env = TestEnv::new().os("linux");
    let server = BrowserSite::start();
    let firefox = Firefox::new(&env.home());
    // These hosts are served by the loopback test server too.
    let user_js = firefox.profile_dir().join("user.js");
    let mut prefs = std::fs::read_to_string(&user_js).unwrap();
    prefs.push_str(
        "user_pref(\"network.proxy.no_proxies_on\", \".test, .co.uk, .github.io, localhost, 127.0.0.1\");\n",
    );
    std::fs::write(&user_js, prefs).unwrap();
    for host in ["x.co.uk", "y.co.uk", "a.github.io", "b.github.io"] {
        firefox.visit(&server.url(host, "/"));
    }
    let db = firefox.profile_dir().join("cookies.sqlite");
    let before = dump_rows(&db, "moz_cookies");
    for host in ["x.co.uk", "y.co.uk", "a.github.io", "b.github.io"] {
        assert!(
            before.iter().any(|r| r.contains(&format!("\"{host}\""))),
            "real Firefox stored {host}'s cookie: {before:#?}"
        );
    }

    for suffix in ["com", "co.uk", "github.io"] {
        let out = env
            .cmd(["clear", "--site", suffix, "--yes"])
            .run()
            .code(2)
            .stderr_has("public suffix");
        assert!(out.stderr.contains("Nothing was changed"), "{}", out.stderr);
        assert_eq!(dump_rows(&db, "moz_cookies"), before, "{suffix}");
    }
    env.cmd(["clear", "--site", "github.io", "--yes"])
        .run()
        .code(2)
        .stderr_has("--site you.github.io");
    // fix on an address whose host is a suffix: the same refusal, nothing removed.
    let url = server.url("github.io", "/");
    env.cmd(["fix", &url, "--site-data", "--yes"]).run().code(2);
    assert_eq!(dump_rows(&db, "moz_cookies"), before);
    let backups = env.data_dir().join("backups");
    assert!(!backups.exists() || std::fs::read_dir(&backups).unwrap().next().is_none());

    let out = env
        .cmd(["clear", "--site", "x.co.uk", "--cookies", "--yes", "--json"])
        .run()
        .code(0);
    assert_eq!(out.json()["plan"]["matched"]["domain"], "x.co.uk");
    let after = dump_rows(&db, "moz_cookies");
    assert!(!after.iter().any(|r| r.contains("x.co.uk")), "{after:#?}");
    let kept: Vec<_> = before
        .iter()
        .filter(|r| !r.contains("x.co.uk"))
        .cloned()
        .collect();
    assert_eq!(after, kept, "only x.co.uk's rows went");
    env.cmd(["clear", "--site", "a.github.io", "--cookies", "--yes"])
        .run()
        .code(0);
    let after = dump_rows(&db, "moz_cookies");
    assert!(after.iter().any(|r| r.contains("b.github.io")));
    assert!(after.iter().any(|r| r.contains("y.co.uk")));
    assert!(!after.iter().any(|r| r.contains("a.github.io")));

    // --exact-host on a suffix host clears that host only, and says so.
    env.cmd(["clear", "--site", "github.io", "--exact-host", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("it is a public suffix, so no site under it is touched");
    assert!(real_browser::firefox_available());
}

#[test]
fn backups_are_private_and_hold_no_other_sites_data() {
    let env = homes::env(Os::Linux);
    let (c, f) = two_browsers(&env);
    // Give the stores ordinary modes, so that the backup has something to tighten.
    for p in walk(&c.cache).into_iter().chain(walk(&f.storage)) {
        use std::os::unix::fs::PermissionsExt;
        let m = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let cache_modes = modes(&c.cache);
    let storage_modes = modes(&f.storage);
    let b_blobs: Vec<Vec<u8>> = {
        let conn = rusqlite::Connection::open(&c.cookies).unwrap();
        let mut s = conn
            .prepare("SELECT encrypted_value FROM cookies WHERE host_key LIKE '%b.test'")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(b_blobs.len(), 2);
    env.cmd(["clear", "--site", "a.test", "--yes"])
        .run()
        .code(0);

    let root = env.data_dir().join("backups");
    for p in walk(&root) {
        assert_eq!(mode(&p) & 0o077, 0, "{} is {:o}", p.display(), mode(&p));
    }
    let bytes = all_bytes(&root);
    assert!(
        contains(&bytes, b"A-SITE-VALUE"),
        "the removed row is saved"
    );
    for secret in [&b"B-SITE-SECRET-4711"[..], b"B-STORAGE-SECRET", b"b.test"] {
        assert!(
            !contains(&bytes, secret),
            "{}",
            String::from_utf8_lossy(secret)
        );
    }
    use base64::Engine;
    for blob in &b_blobs {
        assert!(!contains(&bytes, blob));
        let b64 = base64::engine::general_purpose::STANDARD.encode(blob);
        assert!(!contains(&bytes, b64.as_bytes()));
    }
    // Undo puts the modes back as they were.
    env.cmd(["undo"]).run().code(0);
    assert_eq!(modes(&c.cache), cache_modes);
    assert_eq!(modes(&f.storage), storage_modes);
}

#[test]
fn backups_written_before_are_made_private_on_start() {
    use std::os::unix::fs::PermissionsExt;
    let env = homes::env(Os::Linux);
    let (_c, _f) = two_browsers(&env);
    env.cmd(["clear", "--site", "a.test", "--cookies", "--yes"])
        .run()
        .code(0);
    let root = env.data_dir().join("backups");
    // As an older fix401 left them: world-readable, with a whole-database snapshot.
    let dir = std::fs::read_dir(&root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::create_dir_all(dir.join("snapshot-1")).unwrap();
    std::fs::write(dir.join("snapshot-1/Cookies"), b"B-SITE-SECRET-4711").unwrap();
    for p in walk(&root) {
        let m = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
    }
    env.cmd(["undo", "--list"]).run().code(0);
    assert!(!dir.join("snapshot-1").exists());
    for p in walk(&root) {
        assert_eq!(mode(&p) & 0o077, 0, "{} is {:o}", p.display(), mode(&p));
    }
    env.cmd(["undo"]).run().code(0);
}

/// A backup of a.test (cookies in both browsers, a moved cache entry and storage folder),
/// its manifest, and a hash of everything a rewritten manifest could reach.
struct Tampering {
    env: TestEnv,
    chrome: ChromiumProfile,
    firefox: FirefoxProfile,
    manifest: PathBuf,
    original: String,
    victim: PathBuf,
    /// The stores before the clear: cookie rows of both browsers, the cache and storage.
    before: (Vec<String>, Vec<String>, Vec<(PathBuf, String)>),
}

impl Tampering {
    fn new() -> Tampering {
        let env = homes::env(Os::Linux);
        let (chrome, firefox) = two_browsers(&env);
        let before = Tampering::stores(&chrome, &firefox);
        env.cmd(["clear", "--site", "a.test", "--yes"])
            .run()
            .code(0);
        let root = env.data_dir().join("backups");
        let dir = std::fs::read_dir(&root)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let manifest = dir.join("manifest.json");
        let original = std::fs::read_to_string(&manifest).unwrap();
        // Something outside every store, as a rewritten manifest would aim at.
        let victim = env.home().parent().unwrap().join("victim");
        std::fs::create_dir_all(&victim).unwrap();
        homes::firefox_cookies_db(&victim.join("cookies.sqlite"));
        std::fs::write(victim.join("file"), b"victim").unwrap();
        Tampering {
            env,
            chrome,
            firefox,
            manifest,
            original,
            victim,
            before,
        }
    }

    fn stores(
        c: &ChromiumProfile,
        f: &FirefoxProfile,
    ) -> (Vec<String>, Vec<String>, Vec<(PathBuf, String)>) {
        let files = hash_tree(&c.cache)
            .into_iter()
            .chain(hash_tree(&f.storage))
            .collect();
        (
            dump_rows(&c.cookies, "cookies"),
            dump_rows(&f.cookies, "moz_cookies"),
            files,
        )
    }

    fn everything(&self) -> Vec<(PathBuf, String)> {
        let top = self.env.home().parent().unwrap().to_path_buf();
        hash_tree(&top)
            .into_iter()
            .filter(|(p, _)| p != &self.manifest)
            .collect()
    }

    /// Rewrites the manifest with `edit`, runs undo: refused with exit 2 naming the entry,
    /// and no byte anywhere changed.
    fn refused(&self, what: &str, edit: impl Fn(&mut serde_json::Value)) {
        let mut m: serde_json::Value = serde_json::from_str(&self.original).unwrap();
        edit(&mut m);
        std::fs::write(&self.manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
        let before = self.everything();
        let out = self.env.cmd(["undo"]).run().code(2);
        assert!(out.stderr.contains("entry "), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains("nothing was changed"),
            "{what}: {}",
            out.stderr
        );
        assert_eq!(self.everything(), before, "{what}: bytes changed");
        // The window does not offer it either.
        let mut sys = fix401::System::simulated(Os::Linux, self.env.home());
        sys.data_dir = self.env.data_dir();
        assert_eq!(fix401::api::last_undoable(&sys).unwrap(), None, "{what}");
        std::fs::write(&self.manifest, &self.original).unwrap();
        assert!(
            fix401::api::last_undoable(&sys).unwrap().is_some(),
            "{what}"
        );
    }

    fn item_of_kind<'a>(m: &'a mut serde_json::Value, kind: &str) -> &'a mut serde_json::Value {
        m["items"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} item"))
    }
}

#[test]
fn undo_refuses_a_manifest_whose_paths_were_rewritten_and_changes_nothing() {
    let t = Tampering::new();
    let victim_db = t.victim.join("cookies.sqlite").display().to_string();
    t.refused("a store outside the browsers", |m| {
        let i = Tampering::item_of_kind(m, "firefox_cookies");
        i["store"] = victim_db.clone().into();
        i["original"] = victim_db.clone().into();
    });
    let victim_file = t.victim.join("file").display().to_string();
    t.refused("a moved file put back outside", |m| {
        let i = Tampering::item_of_kind(m, "firefox_site_storage");
        i["original"] = victim_file.clone().into();
    });
    t.refused("`..` in a path", |m| {
        let i = Tampering::item_of_kind(m, "firefox_site_storage");
        let o = i["original"].as_str().unwrap().to_string();
        i["original"] = format!("{o}/../../../../../victim/file").into();
    });
    t.refused("an absolute saved file", |m| {
        let i = Tampering::item_of_kind(m, "firefox_cookies");
        i["saved"]["file"] = victim_file.clone().into();
    });
    t.refused("a saved file that leaves the backup", |m| {
        let i = Tampering::item_of_kind(m, "chromium_simple_cache");
        i["saved"]["file"] = "../../../victim/file".into();
    });
    t.refused("a cookie kind saved as moved files", |m| {
        let i = Tampering::item_of_kind(m, "chromium_cookies");
        i["kind"] = "chromium_simple_cache".into();
    });
    // A store reached through a symbolic link placed inside the profile.
    let ff_dir = {
        let m: serde_json::Value = serde_json::from_str(&t.original).unwrap();
        PathBuf::from(
            m["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["kind"] == "firefox_cookies")
                .unwrap()["profile_dir"]
                .as_str()
                .unwrap(),
        )
    };
    let link = ff_dir.join("linked");
    std::os::unix::fs::symlink(&t.victim, &link).unwrap();
    let linked_db = link.join("cookies.sqlite").display().to_string();
    t.refused("a symlinked store", |m| {
        let i = Tampering::item_of_kind(m, "firefox_cookies");
        i["store"] = linked_db.clone().into();
        i["original"] = linked_db.clone().into();
    });
    std::fs::remove_file(&link).unwrap();
    let victim_rows = dump_rows(&t.victim.join("cookies.sqlite"), "moz_cookies");
    assert!(victim_rows.is_empty());

    // The untouched manifest still undoes, byte for byte.
    t.env.cmd(["undo"]).run().code(0);
    assert_eq!(Tampering::stores(&t.chrome, &t.firefox), t.before);
    assert_integrity(&t.chrome.cookies);
    assert_integrity(&t.firefox.cookies);
    assert_eq!(std::fs::read(t.victim.join("file")).unwrap(), b"victim");
}

/// `fix401` in a private mount namespace where `dir` is a mount point of its own, so that
/// every rename between it and the home crosses file systems (EXDEV), as a backup on
/// another disk does. Needs root (CI runs as root).
fn across(cmd: Fix401, dir: &Path) -> Fix401 {
    cmd.wrapped(
        "unshare",
        [
            "--mount".into(),
            "sh".into(),
            "-c".into(),
            "mount --bind \"$0\" \"$0\" && exec \"$@\"".into(),
            dir.as_os_str().to_owned(),
        ],
    )
}

#[test]
fn moves_across_file_systems_are_verified_and_a_kill_at_any_step_loses_nothing() {
    // The clear: killed after the verified copy, after it was renamed into place, after the
    // source was removed, before the backup was complete.
    for step in [
        "cross-fs-copied",
        "cross-fs-renamed",
        "file-moved",
        "before-complete",
    ] {
        let env = homes::env(Os::Linux);
        let (c, f) = two_browsers(&env);
        let before = Tampering::stores(&c, &f);
        let out = across(
            env.cmd(["clear", "--site", "a.test", "--yes"]),
            &env.data_dir(),
        )
        .env("FIX401_FAULT", step)
        .run();
        assert_eq!(out.code, None, "{step}: killed by abort\n{}", out.stderr);
        assert_integrity(&c.cookies);
        across(env.cmd(["undo"]), &env.data_dir()).run().code(0);
        assert_eq!(Tampering::stores(&c, &f), before, "{step}");
        for p in walk(&env.data_dir()) {
            assert!(
                !p.to_string_lossy().contains("fix401-partial"),
                "{}",
                p.display()
            );
        }
    }
    // The undo: killed at each of its steps, then run again: everything is back exactly.
    for step in [
        "cross-fs-copied",
        "cross-fs-renamed",
        "undo-file-moved",
        "undo-rows-restored",
    ] {
        let env = homes::env(Os::Linux);
        let (c, f) = two_browsers(&env);
        let before = Tampering::stores(&c, &f);
        across(
            env.cmd(["clear", "--site", "a.test", "--yes"]),
            &env.data_dir(),
        )
        .run()
        .code(0);
        let out = across(env.cmd(["undo"]), &env.data_dir())
            .env("FIX401_FAULT", step)
            .run();
        assert_eq!(
            out.code, None,
            "undo {step}: killed by abort\n{}",
            out.stderr
        );
        across(env.cmd(["undo"]), &env.data_dir()).run().code(0);
        assert_eq!(Tampering::stores(&c, &f), before, "undo {step}");
        assert_integrity(&c.cookies);
        assert_integrity(&f.cookies);
    }
}
