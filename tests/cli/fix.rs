//! `fix401 fix`: consent handling, configuration, and the end-to-end repairs.

use crate::support::dns::{Daemon, UpstreamDns, query_a, start_dnsmasq_with};
use crate::support::http::StaleCookieSite;
use crate::support::real_browser::{Chromium, Firefox};
use crate::support::{TestEnv, chromium_home_with_stale_cookie};

/// The flags of the repair tests' dnsmasq: only the stale positive answer is cached.
const DNSMASQ_FLAGS: &[&str] = &["--no-negcache"];

fn chromium_cookie_names(env: &TestEnv) -> Vec<String> {
    let conn = rusqlite::Connection::open(env.path(".config/chromium/Default/Cookies")).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM cookies WHERE host_key IN ('a.test', '.a.test') ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn config_precedence_and_disabled_actions_are_honoured() {
    let site = StaleCookieSite::start();
    let (env, dns) = chromium_home_with_stale_cookie(&site);
    let reports = env.data_dir().join("reports");
    env.write_system(
        "etc/fix401/config.toml",
        "disabled_actions = [\"clear-site-data\"]\n[support]\nname = \"IT Desk (system)\"\n",
    );
    env.write(
        ".config/fix401/config.toml",
        format!(
            "disabled_actions = []\nreports_dir = {:?}\n[support]\nname = \"User desk\"\n",
            reports.display().to_string()
        ),
    );
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--yes",
            "--json",
        ])
        .run()
        .code(1);
    let report = out.json();
    assert_eq!(report["verdict"], "still_failing", "{report:#}");
    // The proof still ran: the stale cookie is shown by name, never by value.
    assert_eq!(report["proof"]["outcome"], "stale_proven", "{report:#}");
    assert!(!out.stdout.contains("stale-session"));
    let clear = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "clear-site-data")
        .expect("clear-site-data listed");
    assert_eq!(clear["status"], "disabled");
    // System file beats the user file; the user file's reports_dir applies.
    assert_eq!(report["support"]["name"], "IT Desk (system)");
    let saved: Vec<_> = std::fs::read_dir(&reports).unwrap().flatten().collect();
    assert_eq!(saved.len(), 2, "{saved:?}");
    assert!(chromium_cookie_names(&env).contains(&"sid".to_string()));
}

#[test]
fn interactive_mode_without_a_terminal_refuses_clearly() {
    let env = TestEnv::new();
    env.cmd(["fix", "http://a.test:9/"])
        .stdin("y\n")
        .run()
        .code(2)
        .stderr_has("no terminal to ask on")
        .stderr_has("--yes");
}

#[test]
fn missing_url_without_configured_urls_is_bad_input() {
    TestEnv::new()
        .cmd(["fix", "--yes"])
        .run()
        .code(2)
        .stderr_has("give the address that fails");
}

#[test]
fn bad_config_file_is_rejected_with_its_line() {
    let env = TestEnv::new();
    env.write(
        ".config/fix401/config.toml",
        "urls = [\"http://a.test/\"]\ndisabled_actions = [\"reboot\"]\n",
    );
    env.cmd(["fix", "--yes", "http://a.test:9/"])
        .run()
        .code(2)
        .stderr_has("config.toml: line 2");
}

#[test]
fn bad_system_config_is_rejected_even_when_the_user_file_is_fine() {
    let env = TestEnv::new();
    env.write(
        ".config/fix401/config.toml",
        "urls = [\"http://a.test/\"]\n",
    );
    env.write_system("etc/fix401/config.toml", "[support]\nname = 1\n");
    env.cmd(["fix", "--yes"]).run().code(2).stderr_has("line 2");
}

mod fixtures {
    //! The fixtures themselves: real browsers store the stale cookie where fix401 reads it.
    use crate::support::TestEnv;
    use crate::support::http::StaleCookieSite;
    use crate::support::real_browser::{Chromium, Firefox};

    #[test]
    fn chromium_stores_the_stale_cookie_and_the_site_rejects_it() {
        let env = TestEnv::new();
        let site = StaleCookieSite::start();
        Chromium::new(&env.home()).visit_and_settle(&site.url("a.test", "/login"));
        Chromium::new(&env.home()).visit_and_settle(&site.url("a.test", "/"));
        assert!(site.saw_stale_cookie());
        assert!(env.path(".config/chromium/Default/Cookies").exists());
    }

    #[test]
    fn firefox_stores_the_stale_cookie_and_the_site_rejects_it() {
        let env = TestEnv::new();
        let site = StaleCookieSite::start();
        let firefox = Firefox::new(&env.home());
        firefox.visit_and_settle(&site.url("a.test", "/login"));
        firefox.visit_and_settle(&site.url("a.test", "/"));
        assert!(site.saw_stale_cookie(), "{:?}", site.seen.lock().unwrap());
        assert!(firefox.profile_dir().join("cookies.sqlite").exists());
    }
}

#[test]
fn stale_dns_answer_is_flushed_and_the_retest_succeeds() {
    let site = StaleCookieSite::start();
    let upstream = UpstreamDns::with_ttl(3600);
    // The site moved: dnsmasq learnt the old address (nothing listens there) and keeps it.
    upstream.set("a.test", std::net::Ipv4Addr::new(127, 0, 0, 2));
    let dnsmasq = start_dnsmasq_with(upstream.addr, DNSMASQ_FLAGS);
    assert_eq!(
        query_a(dnsmasq.addr, "a.test"),
        Some(vec![std::net::Ipv4Addr::new(127, 0, 0, 2)])
    );
    upstream.set("a.test", std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(
        query_a(dnsmasq.addr, "a.test"),
        Some(vec![std::net::Ipv4Addr::new(127, 0, 0, 2)]),
        "dnsmasq serves its cached (stale) answer"
    );
    let env = TestEnv::new();
    // fix401 reads daemons' command lines below the system root: show it this machine's.
    std::os::unix::fs::symlink("/proc", env.system_root().join("proc")).unwrap();
    let out = env
        .cmd([
            "--dns-server",
            &dnsmasq.addr.to_string(),
            "--upstream-dns",
            &upstream.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--yes",
            "--json",
        ])
        .run();
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    assert_eq!(report["verdict"], "fixed");
    assert!(
        report["before"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["cause"] == "dns.stale"),
        "{report:#}"
    );
    // Nothing listens at the stale address: that is the stale answer's doing, not the owner's.
    let unreachable = report["before"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "network.unreachable")
        .expect("the stale address refuses the connection");
    assert!(
        unreachable["summary"]
            .as_str()
            .unwrap()
            .contains("out-of-date address"),
        "{unreachable:#}"
    );
    assert_eq!(
        unreachable["actions"],
        serde_json::json!(["flush-dns", "retry"])
    );
    let flush = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "flush-dns")
        .expect("flush-dns ran");
    assert_eq!(flush["status"], "done", "{report:#}");
    assert_eq!(report["after"]["status"], 200);
    assert_eq!(
        query_a(dnsmasq.addr, "a.test"),
        Some(vec![std::net::Ipv4Addr::LOCALHOST])
    );
}

/// The stale-DNS machine of the test above: (site, upstream, dnsmasq, home).
fn stale_dns_machine() -> (StaleCookieSite, UpstreamDns, Daemon, TestEnv) {
    let site = StaleCookieSite::start();
    let upstream = UpstreamDns::with_ttl(3600);
    upstream.set("a.test", std::net::Ipv4Addr::new(127, 0, 0, 2));
    let dnsmasq = start_dnsmasq_with(upstream.addr, DNSMASQ_FLAGS);
    assert!(query_a(dnsmasq.addr, "a.test").is_some_and(|a| !a.is_empty()));
    upstream.set("a.test", std::net::Ipv4Addr::LOCALHOST);
    let env = TestEnv::new();
    std::os::unix::fs::symlink("/proc", env.system_root().join("proc")).unwrap();
    (site, upstream, dnsmasq, env)
}

/// Runs `fix401 GLOBAL... fix URL` on a real terminal (`script(1)`), typing `answers`;
/// returns (exit code, everything the terminal showed).
fn fix_on_a_terminal(
    env: &TestEnv,
    global: &[String],
    url: &str,
    answers: &str,
) -> (Option<i32>, String) {
    let fix401 = env!("CARGO_BIN_EXE_fix401");
    let command = format!(
        "{fix401} --home {} --data-dir {} --system-root {} {} fix {url}",
        env.home().display(),
        env.data_dir().display(),
        env.system_root().display(),
        global.join(" "),
    );
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("HOME", env.home())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run script(1)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(answers.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_both_questions_answered_yes_fix_the_stale_cookie() {
    let site = StaleCookieSite::start();
    let (env, dns) = chromium_home_with_stale_cookie(&site);
    let (code, text) = fix_on_a_terminal(
        &env,
        &["--dns-server".into(), dns.addr.to_string()],
        &site.url("a.test", "/"),
        "y\ny\n",
    );
    assert!(
        text.contains("Test with your browser's cookies? [y/N]"),
        "{text}"
    );
    assert!(text.contains("delete 2 cookie rows [sid, theme]"), "{text}");
    assert!(text.contains("Go ahead? [y/N]"), "{text}");
    assert!(!text.contains("stale-session"), "{text}");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Fixed: a.test loads again"), "{text}");
    assert!(chromium_cookie_names(&env).is_empty());
}

#[test]
fn on_a_terminal_fix_asks_and_a_no_changes_nothing() {
    let (site, upstream, dnsmasq, env) = stale_dns_machine();
    // `script` gives fix401 a real terminal; the answer "n" comes through it.
    let (code, text) = fix_on_a_terminal(
        &env,
        &[
            "--dns-server".into(),
            dnsmasq.addr.to_string(),
            "--upstream-dns".into(),
            upstream.addr.to_string(),
        ],
        &site.url("a.test", "/"),
        "n\n",
    );
    let out_code = code;
    assert!(text.contains("fix401 will:"), "{text}");
    assert!(text.contains("flush-dns"), "{text}");
    assert!(text.contains("Go ahead? [y/N]"), "{text}");
    assert!(text.contains("declined"), "{text}");
    assert_eq!(out_code, Some(1), "{text}");
    // Nothing was flushed: dnsmasq still serves the stale answer.
    assert_eq!(
        query_a(dnsmasq.addr, "a.test"),
        Some(vec![std::net::Ipv4Addr::new(127, 0, 0, 2)])
    );
}

#[test]
fn unattended_mode_never_prompts() {
    let (site, upstream, dnsmasq, env) = stale_dns_machine();
    let out = env
        .cmd([
            "--dns-server",
            &dnsmasq.addr.to_string(),
            "--upstream-dns",
            &upstream.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--yes",
        ])
        .run()
        .code(0);
    assert!(!out.stderr.contains("[y/N]") && !out.stdout.contains("[y/N]"));
    assert!(out.stdout.starts_with("Fixed"), "{}", out.stdout);
    assert!(out.stdout.contains("Copy for the help desk"));
}

/// A temp home whose Firefox ESR profile holds the stale session cookie of `site` and a
/// cached 401 for its front page, and a DNS server that resolves a.test to loopback.
fn firefox_home_with_stale_cookie(site: &StaleCookieSite) -> (TestEnv, UpstreamDns, Firefox) {
    let env = TestEnv::new();
    let dns = UpstreamDns::start();
    dns.set("a.test", std::net::Ipv4Addr::LOCALHOST);
    let firefox = Firefox::new(&env.home());
    firefox.visit_and_settle(&site.url("a.test", "/login"));
    firefox.visit_and_settle(&site.url("a.test", "/"));
    assert!(site.saw_stale_cookie());
    (env, dns, firefox)
}

fn firefox_cookie_names(profile: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(profile.join("cookies.sqlite")).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM moz_cookies WHERE host IN ('a.test', '.a.test') ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn firefox_stale_cookie_is_proven_and_its_cached_401_found() {
    let site = StaleCookieSite::start();
    let (env, dns, firefox) = firefox_home_with_stale_cookie(&site);
    env.write(
        ".config/fix401/config.toml",
        "disabled_actions = [\"clear-site-data\"]\n",
    );
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--yes",
            "--json",
        ])
        .run()
        .code(1);
    let report = out.json();
    assert_eq!(report["proof"]["outcome"], "stale_proven", "{report:#}");
    let row = &report["proof"]["profiles"][0];
    assert_eq!(row["browser_id"], "firefox", "{report:#}");
    assert_eq!(row["status_with_cookies"], 401);
    assert!(!out.stdout.contains("stale-session"));
    let cached = report["cached_responses"].as_array().unwrap();
    assert!(
        cached.iter().any(|c| c["status"] == 401),
        "the 401 Firefox cached is found: {report:#}"
    );
    let f = report["before"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "site_data.stale")
        .unwrap();
    assert_eq!(f["confidence"], "high");
    assert!(firefox_cookie_names(firefox.profile_dir()).contains(&"sid".to_string()));
}

#[test]
fn unknown_browser_is_bad_input_naming_what_was_found() {
    TestEnv::new()
        .cmd(["fix", "--yes", "--browser", "netscape", "http://a.test:9/"])
        .run()
        .code(2)
        .stderr_has("--browser netscape: not found on this computer (found: none)");
}

#[test]
fn a_mistyped_address_is_corrected_and_the_corrected_one_tested() {
    let site = StaleCookieSite::start();
    let dns = UpstreamDns::start();
    dns.set("a.test", std::net::Ipv4Addr::LOCALHOST);
    let env = TestEnv::new();
    let typed = format!("htp://a.test:{}/", site.port);
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "fix",
            &typed,
            "--yes",
        ])
        .run()
        .code(0);
    let corrected = site.url("a.test", "/");
    assert!(
        out.stdout
            .starts_with(&format!("Fixed: the corrected address {corrected} works.")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("fix-url — done"), "{}", out.stdout);
}

/// The undo id of the `clear-site-data` action of a fix report.
/// The report's `clear-site-data` action.
fn clear_action(report: &serde_json::Value) -> &serde_json::Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "clear-site-data")
        .unwrap_or_else(|| panic!("no clear-site-data action: {report:#}"))
}

fn clear_undo_id(report: &serde_json::Value) -> String {
    let clear = clear_action(report);
    assert_eq!(clear["status"], "done", "{report:#}");
    clear["undo_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no undo id: {report:#}"))
        .to_string()
}

#[test]
fn chromium_stale_cookie_is_proven_cleared_retested_and_undone() {
    let site = StaleCookieSite::start();
    let (env, dns) = chromium_home_with_stale_cookie(&site);
    let report_file = env.data_dir().join("report.html");
    let out = crate::support::fix_stale_site(
        &env,
        &dns,
        &site,
        &["--report", report_file.to_str().unwrap()],
    );
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    assert_eq!(report["verdict"], "fixed");
    assert_eq!(report["proof"]["outcome"], "stale_proven");
    let f = &report["before"]["findings"][0];
    assert_eq!(f["cause"], "site_data.stale");
    assert_eq!(f["confidence"], "high");
    assert_eq!(report["after"]["status"], 200);
    let undo_id = clear_undo_id(&report);
    assert!(!out.stdout.contains("stale-session"));
    // What was removed, told per browser and profile in words, as the plan told it.
    let clear = clear_action(&report);
    assert!(
        clear["summary"]
            .as_str()
            .unwrap()
            .starts_with("Removed 2 cookies and 1 cached file ("),
        "{clear:#}"
    );
    assert_eq!(
        clear["details"][0],
        "Chromium (Your Chromium): 2 cookies from ~/.config/chromium/Default/Cookies"
    );
    let html = std::fs::read_to_string(&report_file).unwrap();
    assert!(html.contains("FIXED") && html.contains(&undo_id));
    assert!(chromium_cookie_names(&env).is_empty());
    // The browser itself now gets the page: no stale cookie is sent any more.
    site.seen.lock().unwrap().clear();
    Chromium::new(&env.home()).visit_and_settle(&site.url("a.test", "/"));
    assert!(!site.saw_stale_cookie());

    env.cmd(["undo", &undo_id]).run().code(0);
    let names = chromium_cookie_names(&env);
    assert!(names.contains(&"sid".to_string()), "{names:?}");
}

#[test]
fn firefox_stale_cookie_is_proven_cleared_retested_and_undone() {
    let site = StaleCookieSite::start();
    let (env, dns, firefox) = firefox_home_with_stale_cookie(&site);
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--site-data",
            "--browser",
            "firefox",
            "--yes",
            "--json",
        ])
        .run();
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    assert_eq!(report["verdict"], "fixed");
    assert_eq!(report["proof"]["outcome"], "stale_proven");
    let undo_id = clear_undo_id(&report);
    assert!(firefox_cookie_names(firefox.profile_dir()).is_empty());
    site.seen.lock().unwrap().clear();
    firefox.visit_and_settle(&site.url("a.test", "/"));
    assert!(!site.saw_stale_cookie());

    env.cmd(["undo", &undo_id]).run().code(0);
    assert!(firefox_cookie_names(firefox.profile_dir()).contains(&"sid".to_string()));
}

#[test]
fn running_chromium_is_closed_gracefully_before_its_cookie_is_cleared() {
    let site = StaleCookieSite::start();
    let (env, dns) = chromium_home_with_stale_cookie(&site);
    let browser = Chromium::new(&env.home()).start(&site.url("a.test", "/"));
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "fix",
            &site.url("a.test", "/"),
            "--yes",
            "--json",
            // A test must not start the machine's default browser.
            "--no-reopen",
        ])
        .run();
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    let actions = report["actions"].as_array().unwrap();
    let pos = |id: &str| actions.iter().position(|a| a["action"] == id).unwrap();
    assert!(
        pos("restart-browser") < pos("clear-site-data"),
        "{report:#}"
    );
    assert_eq!(actions[pos("restart-browser")]["status"], "done");
    let details = actions[pos("restart-browser")]["details"].to_string();
    assert!(
        details.contains("kill -TERM"),
        "graceful, never -9: {details}"
    );
    assert!(browser.exited());
    assert!(chromium_cookie_names(&env).is_empty());
    assert_eq!(report["verdict"], "fixed");
}

#[test]
fn report_into_a_missing_folder_is_bad_input_before_anything_runs() {
    TestEnv::new()
        .cmd([
            "fix",
            "--yes",
            "--report",
            "/nonexistent-fix401-dir/r.md",
            "http://a.test:9/",
        ])
        .run()
        .code(2)
        .stderr_has("does not exist");
}
