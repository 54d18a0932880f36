//! "Say exactly what the evidence says" (issue 13, points 2, 5 and 6): a plan never clears
//! what the evidence exonerates, "works from here" says what was tested and what still
//! differs, and a proxy that refuses is named as the proxy.

use std::net::Ipv4Addr;

use serde_json::Value;

use crate::support::TestEnv;
use crate::support::dns::UpstreamDns;
use crate::support::homes::{self, Os};
use crate::support::http::{Server, closed_port, respond};
use crate::support::stores::dump_rows;

/// A Linux home whose Chrome and Firefox both hold cookies for `host`, and every cookie row
/// of both stores (to prove nothing changed).
struct CookieHome {
    env: TestEnv,
    chrome: std::path::PathBuf,
    firefox: std::path::PathBuf,
}

impl CookieHome {
    fn new(host: &str) -> CookieHome {
        let env = homes::env(Os::Linux);
        let chrome = homes::chromium_profile(&env, Os::Linux, "chrome", "Default").cookies;
        homes::chromium_cookie(&chrome, host, "sid", "");
        // Still valid (2096): Chrome would send it, and its value is encrypted beyond reach.
        rusqlite::Connection::open(&chrome)
            .unwrap()
            .execute(
                "UPDATE cookies SET expires_utc = ?1",
                [homes::chromium_time(4_000_000_000)],
            )
            .unwrap();
        let firefox = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release").cookies;
        firefox_cookie(&firefox, host, "sid", "0ld-s3ssion");
        firefox_cookie(&firefox, host, "theme", "dark");
        CookieHome {
            env,
            chrome,
            firefox,
        }
    }

    /// A home whose only browser, Firefox, holds cookies for `host` (every value readable,
    /// so the proof tests them all).
    fn firefox_only(host: &str) -> CookieHome {
        let env = homes::env(Os::Linux);
        let firefox = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release").cookies;
        firefox_cookie(&firefox, host, "sid", "0ld-s3ssion");
        CookieHome {
            env,
            chrome: std::path::PathBuf::new(),
            firefox,
        }
    }

    fn rows(&self) -> (Vec<String>, Vec<String>) {
        (
            if self.chrome.as_os_str().is_empty() {
                Vec::new()
            } else {
                dump_rows(&self.chrome, "cookies")
            },
            dump_rows(&self.firefox, "moz_cookies"),
        )
    }
}

/// A Firefox cookie row as [`homes::firefox_cookie`] writes it, but expiring in 2096, so the
/// browser (and the proof) still sends it.
fn firefox_cookie(db: &std::path::Path, host: &str, name: &str, value: &str) {
    homes::firefox_cookie(db, host, name, value, "");
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "UPDATE moz_cookies SET expiry = 4_000_000_000_000 WHERE host = ?1 AND name = ?2",
            [host, name],
        )
        .unwrap();
}

/// A DNS server that resolves a.test to loopback (and nothing else).
fn dns() -> UpstreamDns {
    let dns = UpstreamDns::start();
    dns.set("a.test", Ipv4Addr::LOCALHOST);
    dns
}

fn fix(home: &CookieHome, dns: &UpstreamDns, url: &str, extra: &[&str]) -> crate::support::Outcome {
    let mut args = vec!["--dns-server".to_string(), dns.addr.to_string()];
    args.extend(["fix", url].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    home.env.cmd(args).run()
}

fn action<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == id)
}

fn causes(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cause"].as_str().unwrap().to_string())
        .collect()
}

/// The refusal every exonerating failure gets: exit 1, no cookie row changed, the text says
/// what was tested, what was ruled out and that nothing was changed.
#[track_caller]
fn assert_refused(home: &CookieHome, dns: &UpstreamDns, url: &str, ruled_out: &str) {
    let rows = home.rows();
    let out = fix(home, dns, url, &["--site-data", "--yes"]).code(1);
    assert_eq!(
        home.rows(),
        rows,
        "no cookie row may change:\n{}",
        out.stdout
    );
    let text = &out.stdout;
    assert!(text.contains("Ruled out: clear-site-data"), "{text}");
    assert!(text.contains(ruled_out), "{text}");
    assert!(text.contains("Tested: "), "{text}");
    assert!(text.contains("Nothing was changed."), "{text}");
    assert!(text.contains("--force"), "{text}");
    assert!(!text.contains("0ld-s3ssion"), "{text}");

    let out = fix(home, dns, url, &["--site-data", "--yes", "--json"]).code(1);
    assert_eq!(home.rows(), rows);
    let report = out.json();
    assert!(
        !report["plan"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "clear-site-data")
    );
    let r = &report["plan"]["ruled_out"][0];
    assert_eq!(r["action"], "clear-site-data", "{report:#}");
    assert_eq!(r["forced"], false);
    assert!(r["why"].as_str().unwrap().contains(ruled_out), "{r:#}");
    assert!(!r["tested"].as_array().unwrap().is_empty(), "{r:#}");
    let clear = action(&report, "clear-site-data").expect("the refusal is listed");
    assert_eq!(clear["status"], "skipped", "{clear:#}");
    assert!(clear["undo_id"].is_null());
}

#[test]
fn a_503_clears_no_cookie_without_force_and_says_why() {
    let srv = Server::http(|_, _| respond(503, &[("Retry-After", b"120")], b"maintenance"));
    let home = CookieHome::new("a.test");
    let dns = dns();
    let url = format!("http://a.test:{}/", srv.addr.port());
    assert_refused(
        &home,
        &dns,
        &url,
        "your browser's cookies make no difference: the site itself answers 503",
    );
}

#[test]
fn force_clears_what_the_evidence_rules_out_and_every_report_says_forced() {
    let srv = Server::http(|_, _| respond(503, &[], b"maintenance"));
    let home = CookieHome::new("a.test");
    let dns = dns();
    let url = format!("http://a.test:{}/", srv.addr.port());
    let md = home.env.data_dir().join("report.md");
    let out = fix(
        &home,
        &dns,
        &url,
        &[
            "--site-data",
            "--force",
            "--yes",
            "--json",
            "--report",
            md.to_str().unwrap(),
        ],
    )
    .code(1);
    let report = out.json();
    let planned = report["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "clear-site-data")
        .unwrap_or_else(|| panic!("forced clear planned: {report:#}"));
    assert_eq!(planned["forced"], true, "{planned:#}");
    assert_eq!(report["plan"]["ruled_out"][0]["forced"], true);
    assert_eq!(
        action(&report, "clear-site-data").unwrap()["status"],
        "done"
    );
    assert!(home.rows().0.is_empty() && home.rows().1.is_empty());
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("forced"), "{md}");

    let home = CookieHome::new("a.test");
    let out = fix(&home, &dns, &url, &["--site-data", "--force", "--yes"]).code(1);
    assert!(
        out.stdout.contains("Forced: clear-site-data"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("the site itself answers 503"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_refused_connection_or_a_missing_name_clears_nothing() {
    let home = CookieHome::new("a.test");
    let dns = dns();
    let refused = format!("http://a.test:{}/", closed_port());
    assert_refused(
        &home,
        &dns,
        &refused,
        "no connection to the site can be made",
    );

    let home = CookieHome::new("gone.test");
    assert_refused(
        &home,
        &dns,
        "http://gone.test:8080/",
        "the site's name cannot be looked up",
    );
}

#[test]
fn cookies_that_make_no_difference_to_a_401_are_not_cleared() {
    let srv =
        Server::http(|_, _| respond(401, &[("WWW-Authenticate", b"Basic realm=\"staff\"")], b""));
    let home = CookieHome::firefox_only("a.test");
    let dns = dns();
    let url = format!("http://a.test:{}/", srv.addr.port());
    assert_refused(
        &home,
        &dns,
        &url,
        "your browser's cookies make no difference: the site answers 401 with and without them",
    );
    // Cookies that could not be tested (Chrome's, encrypted) prove nothing: not ruled out.
    let untested = CookieHome::new("a.test");
    let report = fix(&untested, &dns, &url, &["--site-data", "--yes", "--json"]).json();
    assert_eq!(
        report["plan"]["ruled_out"],
        serde_json::json!([]),
        "{report:#}"
    );
    // The cookies were really sent: the proof is evidence, not a guess.
    assert!(srv.received().iter().any(|r| {
        r.header("cookie")
            .is_some_and(|c| c.contains("sid=0ld-s3ssion"))
    }));
}

#[test]
fn works_from_here_without_cookies_names_what_still_differs_and_offers_no_clear() {
    let srv = Server::http(|_, _| respond(200, &[], b"<html>welcome</html>"));
    let home = CookieHome::new("other.test");
    let dns = dns();
    let url = format!("http://a.test:{}/", srv.addr.port());
    let out = fix(&home, &dns, &url, &["--yes", "--json"]).code(0);
    let report = out.json();
    assert_eq!(report["proof"]["outcome"], "no_cookies", "{report:#}");
    assert!(
        !causes(&report["before"]["findings"]).contains(&"site_data.stale".to_string()),
        "no evidence for stale data: {report:#}"
    );
    assert!(action(&report, "clear-site-data").is_none(), "{report:#}");
    assert!(
        report["plan"]["actions"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    let differences = report["works_from_here"]["differences"].to_string();
    for needle in ["proxy", "HTTP-auth cache", "extension", "DNS-over-HTTPS"] {
        assert!(differences.contains(needle), "{needle}: {differences}");
    }

    let out = fix(&home, &dns, &url, &["--yes"]).code(0);
    let text = &out.stdout;
    assert!(!text.contains("most likely"), "{text}");
    assert!(!text.contains("site_data.stale"), "{text}");
    assert!(text.contains("Tested: "), "{text}");
    assert!(
        text.contains("No browser holds cookies for a.test"),
        "{text}"
    );
    for needle in ["proxy", "HTTP-auth cache", "extension", "DNS-over-HTTPS"] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn works_from_here_with_a_basic_login_accepted_offers_restart_browser() {
    // alice:right
    let srv = Server::http(|req, _| {
        if req.header("authorization") == Some("Basic YWxpY2U6cmlnaHQ=") {
            respond(200, &[], b"<html>welcome</html>")
        } else {
            respond(401, &[("WWW-Authenticate", b"Basic realm=\"staff\"")], b"")
        }
    });
    // Chromium holds a cookie for the site, so stored data stays a suspect
    // (`site_data.stale`); with nothing stored, diagnose says what was tested instead
    // (diagnose::works_from_here_after_an_accepted_basic_login_offers_a_restart_first).
    let env = TestEnv::new();
    let profile =
        crate::support::homes::chromium_profile(&env, fix401::Os::Linux, "chromium", "Default");
    crate::support::homes::chromium_cookie(&profile.cookies, "127.0.0.1", "session", "");
    let out = env
        .cmd([
            "--json",
            "diagnose",
            "--user",
            "alice",
            "--password-stdin",
            &srv.url("/"),
        ])
        .stdin("right\n")
        .run()
        .code(0);
    let v = out.json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "site_data.stale")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["actions"][0], "restart-browser", "{f:#}");
    assert!(
        !f["summary"].as_str().unwrap().contains("most likely"),
        "{f:#}"
    );
    let ev = f["evidence"].to_string();
    assert!(ev.contains("HTTP-auth cache"), "{ev}");
    assert!(ev.contains("DNS-over-HTTPS"), "{ev}");

    let out = env
        .cmd([
            "diagnose",
            "--user",
            "alice",
            "--password-stdin",
            &srv.url("/"),
        ])
        .stdin("right\n")
        .run()
        .code(0);
    assert!(out.stdout.contains("restart-browser"), "{}", out.stdout);
}

#[test]
fn a_proxy_that_refuses_is_named_as_the_proxy_with_its_setting() {
    let port = closed_port();
    let dns = dns();
    let env = TestEnv::new();
    let proxy = format!("http://squid-user:pr0xy-pass@127.0.0.1:{port}");
    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "--json",
            "diagnose",
            "https://a.test/",
        ])
        .env("https_proxy", &proxy)
        .env("no_proxy", "")
        .env("NO_PROXY", "")
        .run()
        .code(1);
    let v = out.json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "proxy.unreachable")
        .unwrap_or_else(|| panic!("{v:#}"));
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("proxy server 127.0.0.1:{port}"))
            && summary.contains("refusing connections"),
        "{summary}"
    );
    assert!(summary.contains("https_proxy"), "{summary}");
    assert!(!summary.contains("The server"), "{summary}");
    assert!(!out.stdout.contains("pr0xy-pass"), "{}", out.stdout);

    let out = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "diagnose",
            "https://a.test/",
        ])
        .env("https_proxy", &proxy)
        .env("no_proxy", "")
        .env("NO_PROXY", "")
        .run()
        .code(1);
    assert!(
        out.stdout.contains(&format!(
            "proxy server 127.0.0.1:{port} that this computer goes through is refusing connections"
        )),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("its computer refused"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("pr0xy-pass"), "{}", out.stdout);
}
