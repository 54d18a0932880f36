//! Single sign-on and oversized cookies (issue 18, points 2 and 3): a redirect loop through
//! an identity provider is `sso.loop` naming the provider, its domain offered as a second site
//! (`fix --also-site`) and the browsers' third-party cookie blocking named; a failed sign-in
//! is `sso.failed`; a 400/431 "Request Header Or Cookie Too Large" to the browser's own large
//! cookies is `cookies.too_large`, which `fix` clears. Real loopback servers reached by name
//! through the test's DNS server, simulated homes.

use std::net::Ipv4Addr;
use std::path::Path;

use serde_json::Value;

use crate::support::TestEnv;
use crate::support::dns::UpstreamDns;
use crate::support::homes::{self, Os};
use crate::support::http::{SsoPair, header_limit_site};

/// A DNS server resolving each of `names` to loopback.
fn dns(names: &[&str]) -> UpstreamDns {
    let dns = UpstreamDns::start();
    for n in names {
        dns.set(n, Ipv4Addr::LOCALHOST);
    }
    dns
}

fn finding<'a>(findings: &'a Value, cause: &str) -> Option<&'a Value> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == cause)
}

fn causes(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cause"].as_str().unwrap().to_string())
        .collect()
}

fn evidence(f: &Value) -> Vec<String> {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

fn diagnose(env: &TestEnv, dns: &UpstreamDns, url: &str) -> Value {
    env.cmd([
        "--json",
        "--dns-server",
        &dns.addr.to_string(),
        "diagnose",
        url,
    ])
    .run()
    .code(1)
    .json()
}

#[test]
fn a_loop_through_entra_id_is_sso_loop_naming_the_provider_and_the_blocking_settings() {
    let pair = SsoPair::start(
        "app.test",
        "login.microsoftonline.com",
        "/common/oauth2/v2.0/authorize?client_id=app&response_type=code",
        "/",
        None,
    );
    let dns = dns(&["app.test", "login.microsoftonline.com"]);
    let env = homes::env(Os::Linux);
    let chromium = homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
    std::fs::write(
        chromium.dir.join("Preferences"),
        br#"{"profile":{"cookie_controls_mode":1}}"#,
    )
    .unwrap();
    let firefox = homes::firefox_profile(&env, Os::Linux, "firefox", "default-release");
    std::fs::write(
        firefox.dir.join("prefs.js"),
        "user_pref(\"network.cookie.cookieBehavior\", 1);\n",
    )
    .unwrap();
    // A second Firefox profile with the default (5, partitioned): it lets the sign-in through.
    let other = homes::firefox_profile(&env, Os::Linux, "firefox", "work");
    std::fs::write(
        other.dir.join("prefs.js"),
        "user_pref(\"network.cookie.cookieBehavior\", 5);\n",
    )
    .unwrap();

    let report = diagnose(&env, &dns, &pair.url("/"));
    let findings = &report["findings"];
    let f = finding(findings, "sso.loop").unwrap_or_else(|| panic!("{report:#}"));
    // The loop is said once, as single sign-on.
    assert!(finding(findings, "redirect.loop").is_none(), "{report:#}");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("Microsoft Entra ID (login.microsoftonline.com)"),
        "{summary}"
    );
    assert_eq!(f["actions"][0], "clear-site-data");
    let lines = evidence(f);
    assert!(
        lines
            .iter()
            .any(|l| l == "identity provider: Microsoft Entra ID at login.microsoftonline.com"),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains(&format!(
            "fix401 fix {} --also-site login.microsoftonline.com",
            pair.url("/")
        ))),
        "{lines:#?}"
    );
    let chromium_line = lines
        .iter()
        .find(|l| l.contains("profile.cookie_controls_mode = 1"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(chromium_line.contains("Default") && chromium_line.contains("Preferences"));
    let firefox_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("network.cookie.cookieBehavior"))
        .collect();
    assert_eq!(firefox_lines.len(), 1, "{lines:#?}");
    assert!(
        firefox_lines[0].contains("= 1") && firefox_lines[0].contains("default-release"),
        "{firefox_lines:?}"
    );
    // The provider was really asked, by its name.
    assert!(!pair.provider.received().is_empty());
}

#[test]
fn a_keycloak_error_or_a_refused_sign_in_is_sso_failed() {
    // The provider itself fails: a Keycloak realm on another loopback port answers 400.
    let pair = SsoPair::start(
        "app.test",
        "127.0.0.1",
        "/realms/staff/protocol/openid-connect/auth?client_id=app&response_type=code",
        "/",
        Some(400),
    );
    let dns = dns(&["app.test"]);
    let env = TestEnv::new();
    let report = diagnose(&env, &dns, &pair.url("/"));
    let f = finding(&report["findings"], "sso.failed").unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(f["confidence"], "high");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("Keycloak (127.0.0.1) answers HTTP 400"),
        "{summary}"
    );
    // No third-party setting named without a browser to hold one.
    assert!(
        !evidence(f).iter().any(|l| l.contains("third-party")),
        "{f:#}"
    );

    // The provider signs in and sends the browser back; the site still refuses.
    let pair = SsoPair::start(
        "app.test",
        "acme.okta.com",
        "/app/sso/saml?SAMLRequest=x",
        "/callback",
        None,
    );
    let dns = self::dns(&["app.test", "acme.okta.com"]);
    let report = diagnose(&env, &dns, &pair.url("/"));
    let f = finding(&report["findings"], "sso.failed").unwrap_or_else(|| panic!("{report:#}"));
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("Okta (acme.okta.com)") && summary.contains("still answers HTTP 401"),
        "{summary}"
    );
}

/// Adds `count` cookies of `value_len` bytes each for `host` to a Chromium `Cookies`
/// database, with their values in the plain `value` column (as Chromium stores them where
/// no key is used), still valid in 2096.
fn chromium_plain_cookies(db: &Path, host: &str, count: usize, value_len: usize) {
    let c = rusqlite::Connection::open(db).unwrap();
    let now = homes::chromium_time(1_700_000_000);
    let expires = homes::chromium_time(4_000_000_000);
    for i in 0..count {
        c.execute(
            "INSERT INTO cookies VALUES (?1, ?2, '', ?3, ?4, X'', '/', ?5, 0, 1, ?1, 1, 1, 1, 0, 1,
             80, ?1, 1, 0)",
            rusqlite::params![
                now,
                host,
                format!("tracker{i}"),
                "v".repeat(value_len),
                expires
            ],
        )
        .unwrap();
    }
}

fn chromium_cookie_count(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM cookies", [], |r| r.get(0))
        .unwrap()
}

/// `a.test` on a loopback server that answers 431 to a Cookie header over `limit` bytes
/// ([`header_limit_site`]; 0: to every request), and a Linux home whose Chromium holds `count`
/// cookies of `value_len` bytes for it.
struct CookieSite {
    _site: crate::support::http::Server,
    dns: UpstreamDns,
    env: TestEnv,
    chromium: homes::ChromiumProfile,
    url: String,
}

impl CookieSite {
    fn start(limit: usize, count: usize, value_len: usize) -> CookieSite {
        let site = header_limit_site(431, limit);
        let env = homes::env(Os::Linux);
        let chromium = homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
        chromium_plain_cookies(&chromium.cookies, "a.test", count, value_len);
        let url = format!("http://a.test:{}/", site.addr.port());
        CookieSite {
            _site: site,
            dns: dns(&["a.test"]),
            env,
            chromium,
            url,
        }
    }

    /// `fix401 --dns-server … fix URL [extra…] --yes --json`.
    fn fix(&self, extra: &[&str]) -> crate::support::Outcome {
        let dns = self.dns.addr.to_string();
        let mut args = vec!["--dns-server", &dns, "fix", &self.url];
        args.extend_from_slice(extra);
        args.extend(["--yes", "--json"]);
        self.env.cmd(args).run()
    }
}

#[test]
fn oversized_cookies_are_cookies_too_large_and_fix_clears_them() {
    // nginx's 8 KiB header buffer; the browser holds 12 cookies of 800 bytes (9.7 KiB).
    let cs = CookieSite::start(8 * 1024, 12, 800);
    let (dns, env, chromium, url) = (&cs.dns, &cs.env, &cs.chromium, &cs.url);
    let out = cs.fix(&["--site-data"]);
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    let f = finding(&report["before"]["findings"], "cookies.too_large")
        .unwrap_or_else(|| panic!("{report:#}"));
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains("(12 cookies)"), "{summary}");
    let lines = evidence(f);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("HTTP 431 \"Request Header Or Cookie Too Large\" (nginx)")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("bytes in 12 cookies") && l.contains("lengths only")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains("Chromium (")), "{lines:#?}");
    // No value is ever printed: only lengths.
    assert!(!out.stdout.contains(&"v".repeat(100)));
    assert_eq!(report["verdict"], "fixed", "{report:#}");
    assert_eq!(report["after"]["status"], 200);
    assert_eq!(chromium_cookie_count(&chromium.cookies), 0);
    let undo_id = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "clear-site-data")
        .and_then(|a| a["undo_id"].as_str())
        .unwrap_or_else(|| panic!("no undo id: {report:#}"))
        .to_string();
    env.cmd(["undo", &undo_id]).run().code(0);
    assert_eq!(chromium_cookie_count(&chromium.cookies), 12);

    // `diagnose` with the same cookies typed in (`--cookie-stdin`) says the same.
    let header: Vec<String> = (0..12)
        .map(|i| format!("tracker{i}={}", "v".repeat(800)))
        .collect();
    let out = env
        .cmd([
            "--json",
            "--dns-server",
            &dns.addr.to_string(),
            "diagnose",
            "--cookie-stdin",
            url,
        ])
        .stdin(header.join("; "))
        .run()
        .code(1);
    let report = out.json();
    let f =
        finding(&report["findings"], "cookies.too_large").unwrap_or_else(|| panic!("{report:#}"));
    assert!(f["summary"].as_str().unwrap().contains("(12 cookies)"));
    assert!(!out.stdout.contains(&"v".repeat(100)));
}

#[test]
fn a_431_without_large_cookies_is_not_cookies_too_large() {
    // Refuses every request, whatever the cookies; the browser holds one small one.
    let cs = CookieSite::start(0, 1, 20);
    let (dns, url) = (&cs.dns, &cs.url);
    let out = cs.fix(&[]);
    let report = out.json();
    assert_eq!(out.code, Some(1), "{report:#}\n{}", out.stderr);
    let found = causes(&report["before"]["findings"]);
    assert!(
        !found.contains(&"cookies.too_large".to_string()),
        "{found:?}"
    );
    // Nor without cookies at all, in the diagnosis.
    let report = diagnose(&TestEnv::new(), dns, url);
    let found = causes(&report["findings"]);
    assert!(
        !found.contains(&"cookies.too_large".to_string()),
        "{found:?}"
    );
}

#[test]
fn the_provider_is_cleared_only_when_named_as_a_second_site() {
    let pair = SsoPair::start(
        "app.test",
        "login.microsoftonline.com",
        "/common/oauth2/v2.0/authorize?client_id=app&response_type=code",
        "/",
        None,
    );
    let dns = dns(&["app.test", "login.microsoftonline.com"]);
    let env = homes::env(Os::Linux);
    let chromium = homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
    chromium_plain_cookies(&chromium.cookies, "app.test", 1, 20);
    chromium_plain_cookies(&chromium.cookies, "login.microsoftonline.com", 2, 20);
    let hosts = || {
        let mut h: Vec<String> =
            crate::support::stores::hosts(&chromium.cookies, "cookies", "host_key")
                .into_iter()
                .map(|row| row.split('|').next().unwrap_or_default().to_string())
                .collect();
        h.sort();
        h.dedup();
        h
    };
    let url = pair.url("/");
    let fix = |extra: &[&str]| {
        let mut args = vec![
            "--dns-server".to_string(),
            dns.addr.to_string(),
            "fix".into(),
            url.clone(),
            "--yes".into(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        env.cmd(args).run()
    };
    // --yes alone never clears the provider (the site's own cookie makes no difference to
    // the loop, so the cookie test rules its clear out).
    let report = fix(&[]).json();
    assert!(
        finding(&report["before"]["findings"], "sso.loop").is_some(),
        "{report:#}"
    );
    assert_eq!(
        hosts(),
        ["app.test", "login.microsoftonline.com"],
        "{report:#}"
    );
    // Named, the provider is a clear-site-data action of its own, for its host alone.
    let report = fix(&["--also-site", "login.microsoftonline.com"]).json();
    let clears: Vec<&Value> = report["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "clear-site-data")
        .collect();
    assert_eq!(clears.len(), 1, "{report:#}");
    assert!(
        clears[0]["why"]
            .as_str()
            .unwrap()
            .contains("the sign-in provider login.microsoftonline.com"),
        "{report:#}"
    );
    assert_eq!(hosts(), ["app.test"], "{report:#}");
    // A public suffix is no second site: refused before anything runs.
    env.cmd(["fix", &url, "--yes", "--also-site", "com"])
        .run()
        .code(2)
        .stderr_has("--also-site com");
}
