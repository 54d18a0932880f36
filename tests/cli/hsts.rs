//! HTTPS-only (HSTS) entries per host: `clear --site` removes the entry that makes the
//! browser refuse plain HTTP for the host (and a parent's that includes subdomains), keeps
//! every other host's, and `undo` gives the file back byte for byte. On simulated Linux homes
//! laid out by the catalog: Chromium's `Network/TransportSecurity`, Firefox's
//! `SiteSecurityServiceState.txt` and `.bin`.

use std::path::Path;

use fix401::Os;

use crate::support::TestEnv;
use crate::support::homes;

/// The HSTS plan items of a `clear --hsts --dry-run --json`; the same dry run without
/// `--hsts` must hold none (an entry protects the person: it goes only when asked for).
fn hsts_items(env: &TestEnv, site: &str) -> Vec<serde_json::Value> {
    let of = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["clear", "--site", site, "--dry-run", "--json"];
        all.extend_from_slice(args);
        plan_hsts_items(&env.cmd(all).run().code(0).json())
    };
    assert_eq!(
        of(&[]),
        Vec::<serde_json::Value>::new(),
        "HSTS cleared unasked"
    );
    of(&["--hsts"])
}

/// The `hsts_entries` items of a clear plan's JSON.
fn plan_hsts_items(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["plan"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .filter(|i| i["action"]["type"] == "hsts_entries")
        .collect()
}

/// Clears the site for real; the backup id.
fn clear(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["clear", "--yes", "--json"];
    all.extend(args);
    let out = env.cmd(all).run().code(0);
    out.json()["applied"]["backup_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn chromium_transport_security_loses_only_the_hosts_entry_and_undo_is_byte_identical() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let ts = homes::chromium_hsts(
        &p,
        &[
            homes::chromium_sts_entry("b.test", true),
            homes::chromium_sts_entry("old.a.test", false),
            homes::chromium_sts_entry("a.test", true),
            homes::chromium_sts_entry("api.a.test", false),
        ],
    );
    let original = read(&ts);

    // The dry run names the host whose entry goes and changes nothing.
    let items = hsts_items(&env, "old.a.test");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["kind"], "chromium_transport_security");
    assert_eq!(items[0]["store"], ts.display().to_string());
    assert_eq!(items[0]["action"]["count"], 2);
    assert_eq!(
        items[0]["action"]["hosts"],
        serde_json::json!(["a.test", "old.a.test"])
    );
    env.cmd(["clear", "--site", "old.a.test", "--hsts", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("HTTPS-only (HSTS): 2 HSTS entries: a.test, old.a.test");
    assert_eq!(read(&ts), original);

    // Only the cookies asked for: the HSTS state stays.
    env.cmd(["clear", "--site", "old.a.test", "--cookies", "--yes"])
        .run()
        .code(0);
    assert_eq!(read(&ts), original);

    let id = clear(&env, &["--site", "old.a.test", "--hsts"]);
    let after: serde_json::Value = serde_json::from_slice(&read(&ts)).unwrap();
    let left: Vec<&str> = after["sts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["host"].as_str().unwrap())
        .collect();
    let key = |h: &str| fix401::stores::hsts::chromium_host_key(h).unwrap();
    assert_eq!(left, [key("b.test"), key("api.a.test")]);
    assert_eq!(after["version"], 2);

    // The backup holds only the removed entries.
    let backup = env.data_dir().join("backups").join(&id);
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&backup.join("manifest.json"))).unwrap();
    let item = &manifest["items"][0];
    assert_eq!(item["kind"], "chromium_transport_security");
    assert_eq!(item["saved"]["type"], "entries");
    let saved =
        std::fs::read_to_string(backup.join(item["saved"]["file"].as_str().unwrap())).unwrap();
    assert!(
        !saved.contains(&key("b.test")),
        "no other host in the backup"
    );

    env.cmd(["undo", &id]).run().code(0);
    assert_eq!(
        read(&ts),
        original,
        "undo gives the file back byte for byte"
    );
}

#[test]
fn firefox_site_security_text_and_binary_lose_only_the_hosts_entry_and_undo_exactly() {
    for bin in [false, true] {
        let env = homes::env(Os::Linux);
        let p = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
        let sss = homes::firefox_hsts(
            &p,
            bin,
            &[("b.test", true), ("a.test", false), ("evil-a.test", false)],
        );
        let original = read(&sss);

        let items = hsts_items(&env, "a.test");
        assert_eq!(items.len(), 1, "bin={bin}: {items:?}");
        assert_eq!(items[0]["kind"], "firefox_site_security");
        assert_eq!(items[0]["store"], sss.display().to_string());
        assert_eq!(items[0]["action"]["hosts"], serde_json::json!(["a.test"]));
        assert_eq!(read(&sss), original);

        let id = clear(&env, &["--site", "a.test", "--hsts"]);
        let after = read(&sss);
        let text = String::from_utf8_lossy(&after);
        assert!(
            text.contains("b.test") && text.contains("evil-a.test"),
            "{text}"
        );
        assert!(
            !text.replace("evil-a.test", "").contains("a.test"),
            "bin={bin}: {text}"
        );
        if bin {
            assert_eq!(after.len(), original.len(), "the slot is emptied in place");
        }
        env.cmd(["undo", &id]).run().code(0);
        assert_eq!(read(&sss), original, "bin={bin}: undo is byte-identical");
    }
}

#[test]
fn hsts_state_is_never_changed_while_the_browser_may_run() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let ts = homes::chromium_hsts(&p, &[homes::chromium_sts_entry("a.test", false)]);
    let original = read(&ts);
    // A lock held from another computer: fix401 cannot tell it is stale, so it may run.
    p.singleton_lock("another-computer", 4242);
    let out = env
        .cmd(["clear", "--site", "a.test", "--hsts", "--dry-run", "--json"])
        .run()
        .code(0);
    let skipped = out.json()["plan"]["profiles"][0]["skipped"].clone();
    assert!(
        skipped
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "browser_running" && s["path"] == ts.display().to_string()),
        "{skipped:#}"
    );
    env.cmd(["clear", "--site", "a.test", "--hsts", "--yes"])
        .run();
    assert_eq!(read(&ts), original);
}

#[test]
fn a_transport_security_fix401_does_not_know_is_left_alone_with_the_reason() {
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let ts = homes::chromium_transport_security(&p);
    std::fs::create_dir_all(ts.parent().unwrap()).unwrap();
    let v1 = format!(
        r#"{{"{}":{{"mode":"force-https","expiry":1.9e9}}}}"#,
        fix401::stores::hsts::chromium_host_key("a.test").unwrap()
    );
    std::fs::write(&ts, &v1).unwrap();
    env.cmd(["clear", "--site", "a.test", "--hsts", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("version 1");
    env.cmd(["clear", "--site", "a.test", "--hsts", "--yes"])
        .run()
        .code(0);
    assert_eq!(read(&ts), v1.as_bytes());
}

/// `https://localhost:PORT` breaks (the server speaks only plain HTTP) while
/// `http://localhost:PORT` answers, and Chrome keeps an HSTS entry for localhost: the
/// diagnosis names the stuck entry and offers to clear it; without the entry it does not.
#[test]
fn a_stuck_hsts_entry_is_named_when_https_fails_and_plain_http_answers() {
    use crate::support::http::{Server, respond};
    let env = homes::env(Os::Linux);
    let p = homes::chromium_profile(&env, Os::Linux, "chrome", "Default");
    let ts = homes::chromium_hsts(&p, &[homes::chromium_sts_entry("localhost", false)]);
    let srv = Server::http(|_, _| respond(200, &[], b"plain HTTP only"));
    let url = format!("https://localhost:{}/", srv.addr.port());
    let stuck = |env: &TestEnv| -> Vec<serde_json::Value> {
        let out = env.cmd(["--json", "diagnose", &url]).run();
        out.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["cause"] == "hsts.stuck")
            .cloned()
            .collect()
    };
    let found = stuck(&env);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f["confidence"], "high");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("Google Chrome (Person 1)"),
        "{f}"
    );
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap() == "over plain HTTP: answered 200"),
        "{f}"
    );
    assert_eq!(f["actions"][0], "clear-site-data");

    // A clear that was not asked for HSTS leaves the entry: it protects the person.
    env.cmd(["clear", "--site", "localhost", "--yes"])
        .run()
        .code(0);
    assert!(
        !stuck(&env).is_empty(),
        "a plain clear removed the HSTS entry"
    );
    // The fix for this finding is the one clear that takes it, and undo puts it back.
    let before = read(&ts);
    let out = env
        .cmd(["--json", "fix", &url, "--site-data", "--yes"])
        .run();
    let v = out.json();
    let clear = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "clear-site-data")
        .unwrap_or_else(|| panic!("no clear-site-data action: {v:#}"));
    assert_eq!(clear["status"], "done", "{v:#}");
    let id = clear["undo_id"].as_str().expect("an undo id").to_string();
    assert!(stuck(&env).is_empty(), "fix left the HSTS entry: {v:#}");
    env.cmd(["undo", &id]).run().code(0);
    assert_eq!(read(&ts), before, "undo gave the entry back");

    std::fs::remove_file(&ts).unwrap();
    assert!(stuck(&env).is_empty(), "no entry, no such finding");
}

/// Real headless Chromium learns HSTS for a.test and b.test (added through its own
/// `chrome://net-internals/#hsts` page) and writes its `TransportSecurity` at exit: fix401
/// finds a.test's entry by its own hash of the name (so the hash is Chromium's), removes only
/// it — Chromium, started again, forces HTTPS for b.test only — and `undo` gives the file
/// back byte for byte and a.test's entry back to Chromium.
#[cfg(target_os = "linux")]
#[test]
fn real_chromium_hsts_entry_found_by_its_hash_cleared_and_undone() {
    use crate::support::real_browser::Chromium;
    let env = TestEnv::new().os("linux");
    let chromium = Chromium::new(&env.home());
    let add = r#"(async () => {
        const add = (host, sub) => {
            const input = document.getElementById('hsts-view-add-input');
            const sts = document.getElementById('hsts-view-check-sts-input');
            const submit = document.getElementById('hsts-view-add-submit');
            if (!input || !sts || !submit) return false;
            input.value = host;
            sts.checked = sub;
            submit.click();
            return true;
        };
        const ok = add('a.test', false) && add('b.test', true);
        await new Promise(r => setTimeout(r, 1500));
        return ok ? 'added' : [...document.querySelectorAll('[id]')].map(e => e.tagName + '#' + e.id).join(' ');
    })()"#;
    let v = chromium.evaluate_in_pages(&[("chrome://net-internals/#hsts".to_string(), add)]);
    assert_eq!(v, ["added"], "the page's form changed");
    let ts = fix401::browsers::discover::CHROMIUM_TRANSPORT_SECURITY
        .iter()
        .map(|rel| chromium.profile_dir().join(rel))
        .find(|p| p.is_file())
        .expect("Chromium wrote its TransportSecurity");
    let original = read(&ts);
    let items = hsts_items(&env, "a.test");
    assert_eq!(
        items.len(),
        1,
        "{items:?}\n{}",
        String::from_utf8_lossy(&original)
    );
    assert_eq!(items[0]["action"]["hosts"], serde_json::json!(["a.test"]));
    let id = clear(&env, &["--site", "a.test", "--hsts"]);
    let after = String::from_utf8(read(&ts)).unwrap();
    let key = |h: &str| fix401::stores::hsts::chromium_host_key(h).unwrap();
    assert!(
        !after.contains(&key("a.test")) && after.contains(&key("b.test")),
        "{after}"
    );

    // Chromium itself, started again, no longer knows a.test and still knows b.test.
    let query = r#"(async () => {
        const ask = async host => {
            document.getElementById('hsts-view-query-input').value = host;
            document.getElementById('hsts-view-query-submit').click();
            await new Promise(r => setTimeout(r, 700));
            const out = document.getElementById('hsts-view-query-output').innerText;
            return out.includes('dynamic_upgrade_mode: FORCE_HTTPS');
        };
        return [await ask('a.test'), await ask('b.test')];
    })()"#;
    let page = "chrome://net-internals/#hsts".to_string();
    assert_eq!(
        chromium.evaluate_in_pages(&[(page.clone(), query)]),
        [serde_json::json!([false, true])]
    );
    env.cmd(["undo", &id]).run().code(0);
    assert_eq!(read(&ts), original);
    assert_eq!(
        chromium.evaluate_in_pages(&[(page, query)]),
        [serde_json::json!([true, true])]
    );
}
