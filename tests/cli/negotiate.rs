//! Kerberos / Negotiate sign-in against a real MIT KDC and a real Apache `mod_auth_gssapi`
//! on loopback (`support::kerberos`).

use crate::support::kerberos::{self, Realm, USER, USER_PASSWORD};

/// The fixture itself: with the user's ticket, `curl --negotiate` signs in to `localhost`
/// (the access log names the user) and not to `127.0.0.1` (no `HTTP/127.0.0.1` principal).
#[test]
fn real_realm_and_site_sign_curl_in_by_name_not_by_ip() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    assert_eq!(
        kerberos::curl_negotiate(&realm, &cc, &site.url("localhost")),
        200
    );
    assert!(
        site.logged(&format!("{USER}@{} \"GET", kerberos::REALM)),
        "{}",
        site.access_log()
    );
    assert_eq!(
        kerberos::curl_negotiate(&realm, &cc, &site.url("127.0.0.1")),
        401
    );
}

use std::ffi::OsString;
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use fix401::negotiate::{self, CacheSource, CacheState, SignInError, TokenKind};

/// The environment a child run gets: the realm's config, the cache, and the site's port.
fn env(realm: &Realm, cc: &kerberos::Ccache, port: u16) -> Vec<(&'static str, OsString)> {
    vec![
        ("KRB5_CONFIG", realm.krb5_config().into()),
        ("KRB5CCNAME", cc.name().into()),
        ("FIX401_TEST_SITE_PORT", port.to_string().into()),
    ]
}

/// A GET of the private page with `authorization`, over a plain loopback socket; the status.
fn get_private(host: &str, authorization: &str) -> u16 {
    let port: u16 = std::env::var("FIX401_TEST_SITE_PORT")
        .unwrap()
        .parse()
        .unwrap();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n",
        kerberos::PRIVATE_PATH
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// The cache named by `KRB5CCNAME` is read for real: its name, the user's principal and
/// realm, and the TGT's start, end (the realm's 10 h maximum) and renew-until (1 day) times.
#[test]
fn credential_cache_names_principal_realm_and_tgt_times() {
    const NAME: &str = "negotiate::credential_cache_names_principal_realm_and_tgt_times";
    if kerberos::in_child(NAME) {
        let now = SystemTime::now();
        let cache = negotiate::credential_cache().expect("read the cache");
        assert_eq!(cache.name, std::env::var("KRB5CCNAME").unwrap());
        assert_eq!(cache.source, CacheSource::Environment);
        let CacheState::Tgt {
            principal,
            realm,
            times,
        } = cache.state
        else {
            panic!("no TGT in {cache:?}");
        };
        assert_eq!(principal, format!("{USER}@{}", kerberos::REALM));
        assert_eq!(realm, kerberos::REALM);
        assert!(times.start <= now + Duration::from_secs(1), "{times:?}");
        assert!(now.duration_since(times.start).unwrap_or_default() < Duration::from_secs(60));
        let life = secs(times.end.duration_since(times.start).unwrap());
        assert!(
            (10 * 3600 - 60..=10 * 3600).contains(&life),
            "life {life} s"
        );
        let renew = secs(
            times
                .renew_until
                .unwrap()
                .duration_since(times.start)
                .unwrap(),
        );
        assert!(
            (86400 - 60..=86400).contains(&renew),
            "renewable for {renew} s"
        );
        assert!(!times.expired_at(now));
        return;
    }
    let realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, None);
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
}

/// A token for `localhost` from the user's ticket is a Kerberos SPNEGO token, redacted in
/// `Debug`, and real Apache accepts it: 200, and its access log names the user.
#[test]
fn token_for_localhost_is_kerberos_and_accepted_by_apache() {
    const NAME: &str = "negotiate::token_for_localhost_is_kerberos_and_accepted_by_apache";
    if kerberos::in_child(NAME) {
        let token = negotiate::spnego_token("localhost").expect("a token for localhost");
        assert_eq!(token.kind(), TokenKind::Kerberos);
        let header = token.authorization();
        assert_eq!(TokenKind::of_header(&header), TokenKind::Kerberos);
        let debug = format!("{token:?}");
        assert!(
            debug.contains("redacted") && !debug.contains(&header[10..30]),
            "{debug}"
        );
        assert_eq!(get_private("localhost", &header), 200);
        return;
    }
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let out = kerberos::isolated(NAME, &env(&realm, &cc, site.port));
    assert!(!out.contains("YII"), "a token was printed:\n{out}");
    assert!(
        site.logged(&format!(
            "{USER}@{} \"GET {} HTTP/1.1\" 200",
            kerberos::REALM,
            kerberos::PRIVATE_PATH
        )),
        "{}",
        site.access_log()
    );
}

/// `127.0.0.1` has no `HTTP/127.0.0.1` principal: the KDC says so, and that is the class.
#[test]
fn ip_address_has_no_service_principal() {
    const NAME: &str = "negotiate::ip_address_has_no_service_principal";
    if kerberos::in_child(NAME) {
        let err = negotiate::spnego_token("127.0.0.1").unwrap_err();
        assert_eq!(err, SignInError::NoServicePrincipal);
        assert_eq!(err.class(), "no_service_principal");
        return;
    }
    let realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, None);
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
}

/// A cache that does not exist: no cache, and no ticket for a token.
#[test]
fn empty_cache_is_no_ticket() {
    const NAME: &str = "negotiate::empty_cache_is_no_ticket";
    if kerberos::in_child(NAME) {
        let cache = negotiate::credential_cache().expect("read the cache");
        assert_eq!(cache.state, CacheState::NoCache);
        assert_eq!(
            negotiate::spnego_token("localhost").unwrap_err(),
            SignInError::NoTicket
        );
        return;
    }
    let realm = Realm::start();
    let cc = realm.empty_ccache("never-filled");
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
    assert!(!cc.path().exists());
}

/// A 3-second ticket, read after its end: the cache shows it expired, and a token is refused
/// as an expired ticket.
#[test]
fn short_ticket_after_its_end_is_expired() {
    const NAME: &str = "negotiate::short_ticket_after_its_end_is_expired";
    if kerberos::in_child(NAME) {
        let cache = negotiate::credential_cache().expect("read the cache");
        let CacheState::Tgt { times, .. } = cache.state else {
            panic!("no TGT in {cache:?}");
        };
        assert!(times.expired_at(SystemTime::now()), "{times:?}");
        assert!(secs(times.end.duration_since(times.start).unwrap()) <= 3);
        assert_eq!(
            negotiate::spnego_token("localhost").unwrap_err(),
            SignInError::TicketExpired
        );
        return;
    }
    let realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, Some("3s"));
    std::thread::sleep(Duration::from_secs(4));
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
}

/// With the KDC stopped after `kinit`, a ticket for a service not yet in the cache cannot
/// be had: no KDC answers.
#[test]
fn stopped_kdc_is_unreachable() {
    const NAME: &str = "negotiate::stopped_kdc_is_unreachable";
    if kerberos::in_child(NAME) {
        assert_eq!(
            negotiate::spnego_token("localhost").unwrap_err(),
            SignInError::KdcUnreachable
        );
        return;
    }
    let mut realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, None);
    realm.stop_kdc();
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
}

/// Without the libraries (named by the override variables, as on a machine without
/// libgssapi-krb5-2 / libkrb5-3) nothing crashes: both calls say which library is missing.
#[test]
fn missing_libraries_are_said_so() {
    const NAME: &str = "negotiate::missing_libraries_are_said_so";
    if kerberos::in_child(NAME) {
        assert!(!negotiate::library_available());
        let err = negotiate::spnego_token("localhost").unwrap_err();
        assert_eq!(
            err,
            SignInError::LibraryMissing {
                library: "/nonexistent/libgssapi_krb5.so.2".to_string()
            }
        );
        assert_eq!(err.class(), "library_missing");
        assert_eq!(
            negotiate::credential_cache().unwrap_err(),
            SignInError::LibraryMissing {
                library: "/nonexistent/libkrb5.so.3".to_string()
            }
        );
        return;
    }
    let [gss, krb5] = negotiate::LIBRARY_VARS;
    kerberos::isolated(
        NAME,
        &[
            (gss, "/nonexistent/libgssapi_krb5.so.2".into()),
            (krb5, "/nonexistent/libkrb5.so.3".into()),
        ],
    );
}

/// This machine's clock 15 minutes ahead of the KDC's (libfaketime in the child only; the
/// realm allows 5): the KDC refuses the service-ticket request as clock skew.
#[test]
fn clock_ahead_of_the_kdc_is_clock_skew() {
    const NAME: &str = "negotiate::clock_ahead_of_the_kdc_is_clock_skew";
    if kerberos::in_child(NAME) {
        let err = negotiate::spnego_token("localhost").unwrap_err();
        assert!(matches!(err, SignInError::ClockSkew { .. }), "{err:?}");
        assert_eq!(err.class(), "clock_skew");
        return;
    }
    let realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, None);
    let mut vars = env(&realm, &cc, 0);
    vars.extend(kerberos::clock_offset("+15m"));
    kerberos::isolated(NAME, &vars);
}

/// A cache holding only a service ticket (`kinit -S HTTP/localhost`): the principal without
/// a TGT — and a token for that very service still comes from the cached ticket.
#[test]
fn service_ticket_only_cache_has_no_tgt() {
    const NAME: &str = "negotiate::service_ticket_only_cache_has_no_tgt";
    if kerberos::in_child(NAME) {
        let cache = negotiate::credential_cache().expect("read the cache");
        assert_eq!(
            cache.state,
            CacheState::NoTgt {
                principal: format!("{USER}@{}", kerberos::REALM),
                realm: kerberos::REALM.to_string(),
            }
        );
        let token = negotiate::spnego_token("localhost").expect("the cached service ticket");
        assert_eq!(token.kind(), TokenKind::Kerberos);
        return;
    }
    let realm = Realm::start();
    let cc = realm.kinit_with(USER_PASSWORD, &["-S", "HTTP/localhost"]);
    kerberos::isolated(NAME, &env(&realm, &cc, 0));
}

// ---- `fix401 diagnose` with the user's own ticket, through the real binary ----

use crate::support::http::{Server, respond};
use crate::support::{Outcome, TestEnv};
use serde_json::Value;

/// `fix401 --json diagnose URL` in a fresh temp home, with the realm's `krb5.conf` and `cc`
/// as the cache in the child's environment (and `extra` variables), expecting exit 1.
fn diagnose_with(
    realm: &Realm,
    cc: &kerberos::Ccache,
    url: &str,
    extra: &[(&str, OsString)],
) -> (Outcome, Value) {
    let home = TestEnv::new();
    let mut cmd = home
        .cmd(["--json", "diagnose", "--timeout", "20", url])
        .env("KRB5_CONFIG", realm.krb5_config())
        .env("KRB5CCNAME", cc.name());
    for (k, v) in extra {
        cmd = cmd.env(k, v);
    }
    let out = cmd.run().code(1);
    let json = out.json();
    (out, json)
}

fn causes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cause"].as_str().unwrap())
        .collect()
}

fn actions(finding: &Value) -> Vec<&str> {
    finding["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// The first finding is `cause` and no generic "no login was sent" finding is left.
#[track_caller]
fn leads(v: &Value, cause: &str) {
    let all = causes(v);
    assert_eq!(all.first(), Some(&cause), "{v:#}");
    assert!(!all.contains(&"credentials.missing"), "{all:?}");
    assert_eq!(v["outcome"]["cause"], cause);
}

/// No ticket in the cache: `kerberos.no_ticket`, with `renew-ticket`, and the cache's state
/// and the error class in `sign_in` — not "no login was sent".
#[test]
fn diagnose_without_a_ticket_is_kerberos_no_ticket() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.empty_ccache("diagnose-none");
    let (_, v) = diagnose_with(&realm, &cc, &site.url("localhost"), &[]);
    leads(&v, "kerberos.no_ticket");
    assert_eq!(actions(&v["findings"][0]), ["renew-ticket"]);
    assert_eq!(v["outcome"]["first_action"], "renew-ticket");
    let s = &v["sign_in"];
    assert_eq!(s["mechanism"], "negotiate");
    assert_eq!(s["service"], "HTTP/localhost");
    assert_eq!(s["cache"]["state"], "no_cache");
    assert_eq!(s["cache"]["source"], "environment");
    assert_eq!(s["cache"]["name"], cc.name());
    assert_eq!(s["outcome"]["error_class"], "no_ticket");
    let evidence = v["findings"][0]["evidence"].to_string();
    assert!(
        evidence.contains("the server offers: Negotiate"),
        "{evidence}"
    );
    assert!(evidence.contains("→ HTTP 401"), "{evidence}");
}

/// A 3-second ticket after its end: `kerberos.ticket_expired`, saying when it ended.
#[test]
fn diagnose_after_the_ticket_ended_is_kerberos_ticket_expired() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, Some("3s"));
    std::thread::sleep(Duration::from_secs(4));
    let (_, v) = diagnose_with(&realm, &cc, &site.url("localhost"), &[]);
    leads(&v, "kerberos.ticket_expired");
    let f = &v["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains(" ended ") && summary.contains("GMT"),
        "{summary}"
    );
    assert_eq!(actions(f), ["renew-ticket"]);
    let s = &v["sign_in"];
    assert_eq!(s["cache"]["state"], "tgt");
    assert_eq!(
        s["cache"]["principal"],
        format!("{USER}@{}", kerberos::REALM)
    );
    assert!(s["cache"]["tgt_end"].as_str().unwrap().ends_with("GMT"));
    assert_eq!(s["outcome"]["error_class"], "ticket_expired");
}

/// The KDC stopped after `kinit`: `kerberos.kdc_unreachable`, naming the company network
/// or VPN, with `retry` and `renew-ticket`.
#[test]
fn diagnose_with_the_kdc_stopped_is_kerberos_kdc_unreachable() {
    let mut realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    realm.stop_kdc();
    let (_, v) = diagnose_with(&realm, &cc, &site.url("localhost"), &[]);
    leads(&v, "kerberos.kdc_unreachable");
    let f = &v["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("EXAMPLE.TEST") && summary.contains("company network or VPN"),
        "{summary}"
    );
    assert_eq!(actions(f), ["retry", "renew-ticket"]);
    assert_eq!(v["outcome"]["first_action"], "renew-ticket");
    assert_eq!(v["sign_in"]["outcome"]["error_class"], "kdc_unreachable");
}

/// The site by IP address: the KDC knows no `HTTP/127.0.0.1`, and the finding says that an
/// IP address is why, with `contact-site-owner`.
#[test]
fn diagnose_by_ip_address_is_kerberos_no_service_principal() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let (_, v) = diagnose_with(&realm, &cc, &site.url("127.0.0.1"), &[]);
    leads(&v, "kerberos.no_service_principal");
    let f = &v["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("HTTP/127.0.0.1") && summary.contains("IP address 127.0.0.1"),
        "{summary}"
    );
    assert_eq!(actions(f), ["contact-site-owner"]);
    assert_eq!(v["sign_in"]["service"], "HTTP/127.0.0.1");
    assert_eq!(
        v["sign_in"]["outcome"]["error_class"],
        "no_service_principal"
    );
}

/// fix401's clock 15 minutes ahead (libfaketime in its process only): the KDC refuses the
/// ticket request as clock skew, and `clock.skew` leads with the Kerberos evidence.
#[test]
fn diagnose_with_the_clock_ahead_is_clock_skew() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let (_, v) = diagnose_with(
        &realm,
        &cc,
        &site.url("localhost"),
        &kerberos::clock_offset("+15m"),
    );
    leads(&v, "clock.skew");
    assert_eq!(v["sign_in"]["outcome"]["error_class"], "clock_skew");
    let f = &v["findings"][0];
    assert!(
        f["evidence"].to_string().contains("Kerberos: the clocks"),
        "{f:#}"
    );
    assert_eq!(actions(f)[0], "fix-clock");
}

/// With a valid ticket fix401 itself signs in (Apache's log names the user), so the browser
/// is what does not send it: `negotiate.browser_not_allowed` with `allow-negotiate`, and
/// `authenticated_as` is the user. No output — text, JSON, Markdown, HTML and JSON reports,
/// the most verbose log — holds the token (`YII…`) or the password.
#[test]
fn diagnose_with_a_valid_ticket_is_browser_not_allowed_and_never_shows_the_token() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let user = format!("{USER}@{}", kerberos::REALM);
    let (_, v) = diagnose_with(&realm, &cc, &site.url("localhost"), &[]);
    leads(&v, "negotiate.browser_not_allowed");
    let f = &v["findings"][0];
    assert_eq!(
        f["summary"],
        format!(
            "fix401 signed in as {user} with your ticket; your browser may not be allowed to \
             send it to this host."
        )
    );
    assert_eq!(actions(f)[0], "allow-negotiate");
    assert_eq!(v["outcome"]["first_action"], "allow-negotiate");
    assert!(f["evidence"].to_string().contains("HTTP 200"), "{f:#}");
    assert_eq!(v["verdict"], "unauthorized");
    let s = &v["sign_in"];
    assert_eq!(s["outcome"]["authenticated_as"], user.as_str());
    assert_eq!(s["outcome"]["status"], 200);
    assert!(site.logged(&format!(
        "{user} \"GET {} HTTP/1.1\" 200",
        kerberos::PRIVATE_PATH
    )));

    let env = TestEnv::new();
    let mut outputs = vec![v.to_string()];
    let mut logs = Vec::new();
    for json in [true, false] {
        let mut args: Vec<String> = Vec::new();
        if json {
            args.push("--json".into());
        }
        args.push("diagnose".into());
        for ext in ["md", "html", "json"] {
            args.push("--report".into());
            args.push(env.path(format!("r-{json}.{ext}")).display().to_string());
        }
        args.push(site.url("localhost"));
        let out = env
            .cmd(args)
            .env("KRB5_CONFIG", realm.krb5_config())
            .env("KRB5CCNAME", cc.name())
            .env("FIX401_LOG", "trace")
            .run()
            .code(1);
        if !json {
            assert!(
                out.stdout
                    .starts_with("fix401 signed in as user@EXAMPLE.TEST"),
                "{}",
                out.stdout
            );
        }
        outputs.push(out.stdout);
        logs.push(out.stderr);
    }
    for entry in std::fs::read_dir(env.home()).unwrap() {
        outputs.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert_eq!(outputs.len(), 9);
    for o in &outputs {
        assert!(o.contains("browser may not be allowed"), "{o}");
    }
    assert!(logs.iter().any(|l| !l.is_empty()), "the trace log ran");
    for o in outputs.iter().chain(&logs) {
        for secret in ["YII", "Negotiate YI", USER_PASSWORD] {
            assert!(!o.contains(secret), "{secret} leaked into:\n{o}");
        }
    }
}

/// Without the Kerberos libraries (named by the override variables) the diagnosis still
/// runs: the 401 finding says the libraries are missing, nothing crashes.
#[test]
fn diagnose_without_the_libraries_says_so_on_the_finding() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let [gss, krb5] = negotiate::LIBRARY_VARS;
    let (_, v) = diagnose_with(
        &realm,
        &cc,
        &site.url("localhost"),
        &[
            (gss, "/nonexistent/libgssapi_krb5.so.2".into()),
            (krb5, "/nonexistent/libkrb5.so.3".into()),
        ],
    );
    assert_eq!(causes(&v)[0], "credentials.missing", "{v:#}");
    let evidence = v["findings"][0]["evidence"].to_string();
    assert!(
        evidence.contains("Kerberos libraries are not installed: /nonexistent/libgssapi_krb5.so.2"),
        "{evidence}"
    );
    assert_eq!(v["sign_in"]["outcome"]["error_class"], "library_missing");
    assert_eq!(v["sign_in"]["cache"]["error_class"], "library_missing");
}

/// A site that offers only NTLM: `ntlm.only`, explained, and recorded in `sign_in`; with
/// Basic beside it, the person can still type a password (no `ntlm.only`).
#[test]
fn diagnose_an_ntlm_only_site_is_ntlm_only() {
    let ntlm = Server::http(|_, _| respond(401, &[("WWW-Authenticate", b"NTLM")], b""));
    let both = Server::http(|_, _| {
        respond(
            401,
            &[
                ("WWW-Authenticate", b"NTLM"),
                ("WWW-Authenticate", b"Basic realm=\"x\""),
            ],
            b"",
        )
    });
    let out = TestEnv::new()
        .cmd(["--json", "diagnose", &ntlm.url("/")])
        .run()
        .code(1);
    let v = out.json();
    leads(&v, "ntlm.only");
    let f = &v["findings"][0];
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("Windows' own sign-in"),
        "{f:#}"
    );
    assert_eq!(actions(f), ["contact-site-owner", "check-credentials"]);
    assert_eq!(v["sign_in"]["mechanism"], "ntlm");
    assert!(v["sign_in"]["outcome"].is_null());
    let v = TestEnv::new()
        .cmd(["--json", "diagnose", &both.url("/")])
        .run()
        .code(1)
        .json();
    assert_eq!(causes(&v)[0], "credentials.missing", "{v:#}");
    assert!(!causes(&v).contains(&"ntlm.only"));
}

/// `fix --yes` with a valid ticket: the diagnosis leads with `negotiate.browser_not_allowed`,
/// and `allow-negotiate` (advice until its fix is built) is neither planned nor run; nothing
/// is changed and the page still fails. No token in its output either.
#[test]
fn fix_runs_nothing_for_the_sign_in_advice() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let out = env
        .cmd(["--json", "fix", "--yes", &site.url("localhost")])
        .env("KRB5_CONFIG", realm.krb5_config())
        .env("KRB5CCNAME", cc.name())
        .run()
        .code(1);
    let report = out.json();
    assert_eq!(report["verdict"], "still_failing", "{report:#}");
    assert_eq!(report["outcome"]["cause"], "negotiate.browser_not_allowed");
    let planned = report["plan"].to_string();
    let done = report["actions"].to_string();
    for id in ["allow-negotiate", "renew-ticket"] {
        assert!(!planned.contains(id), "{id} planned: {planned}");
        assert!(!done.contains(id), "{id} run: {done}");
    }
    assert!(!out.stdout.contains("YII") && !out.stderr.contains("YII"));
}

// ---- each browser's own setting, and the allow-negotiate fix ----

use crate::support::homes;
use fix401::system::Os;

/// The `sign_in.browsers` entry of `label` ("Firefox (fix401)").
fn browser_entry<'a>(v: &'a Value, label: (&str, Option<&str>)) -> &'a Value {
    v["sign_in"]["browsers"]
        .as_array()
        .unwrap_or_else(|| panic!("no sign_in.browsers: {v:#}"))
        .iter()
        .find(|b| b["browser_name"] == label.0 && b["profile"].as_str() == label.1)
        .unwrap_or_else(|| panic!("no {label:?} in {:#}", v["sign_in"]["browsers"]))
}

/// `fix401 --json fix --yes URL` in `env` with the realm's config and `cc`: the exit code,
/// the report, and its `allow-negotiate` outcome.
fn fix_yes(
    env: &TestEnv,
    realm: &Realm,
    cc: &kerberos::Ccache,
    url: &str,
) -> (Option<i32>, Value, Value) {
    let out = env
        .cmd(["--json", "fix", "--yes", url])
        .env("KRB5_CONFIG", realm.krb5_config())
        .env("KRB5CCNAME", cc.name())
        .run();
    let report = out.json();
    let allow = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "allow-negotiate")
        .unwrap_or_else(|| panic!("no allow-negotiate outcome: {report:#}"))
        .clone();
    (out.code, report, allow)
}

/// With a valid ticket, the finding names each browser and profile that will not send it
/// and the setting, from the real files of each: a Firefox profile whose prefs.js trusts
/// another host, one whose user.js trusts `localhost` (it would send it), and Chromium with
/// a managed `AuthServerAllowlist` policy (in the check's system root) for `*.corp.test`.
#[test]
fn diagnose_names_each_browser_and_the_setting_that_keeps_the_ticket_back() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let work = homes::firefox_profile(&env, Os::Linux, "firefox", "work");
    std::fs::write(
        work.dir.join("prefs.js"),
        "// Mozilla User Preferences\nuser_pref(\"network.negotiate-auth.trusted-uris\", \"other.test\");\n",
    )
    .unwrap();
    let home = homes::firefox_profile(&env, Os::Linux, "firefox", "home");
    std::fs::write(
        home.dir.join("user.js"),
        "user_pref(\"network.negotiate-auth.trusted-uris\", \"https://intra.test, localhost\");\n",
    )
    .unwrap();
    homes::chromium_profile(&env, Os::Linux, "chromium", "Default");
    let managed = env.system_root().join("etc/chromium/policies/managed");
    std::fs::create_dir_all(&managed).unwrap();
    std::fs::write(
        managed.join("auth.json"),
        r#"{"AuthServerAllowlist": "*.corp.test"}"#,
    )
    .unwrap();
    let v = env
        .cmd([
            "--json",
            "diagnose",
            "--timeout",
            "20",
            &site.url("localhost"),
        ])
        .env("KRB5_CONFIG", realm.krb5_config())
        .env("KRB5CCNAME", cc.name())
        .run()
        .code(1)
        .json();
    leads(&v, "negotiate.browser_not_allowed");
    let f = &v["findings"][0];
    assert_eq!(
        f["summary"],
        format!(
            "fix401 signed in as {USER}@{} with your ticket, but Chromium and Firefox (work) \
             will not send it to localhost: localhost is not in their AuthServerAllowlist and \
             network.negotiate-auth.trusted-uris. Firefox (home) would send it.",
            kerberos::REALM
        ),
        "{f:#}"
    );
    assert_eq!(actions(f), ["allow-negotiate"]);
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("Chromium: AuthServerAllowlist = \\\"*.corp.test\\\" (enterprise policy"),
        "{evidence}"
    );
    let w = browser_entry(&v, ("Firefox", Some("work")));
    assert_eq!(w["sends"], false);
    assert_eq!(w["value"], "other.test");
    assert_eq!(w["source"]["kind"], "prefs_js");
    let h = browser_entry(&v, ("Firefox", Some("home")));
    assert_eq!(h["sends"], true);
    assert_eq!(h["source"]["kind"], "user_js");
    let c = browser_entry(&v, ("Chromium", None));
    assert_eq!(c["sends"], false);
    assert_eq!(c["setting"], "AuthServerAllowlist");
    assert_eq!(c["source"]["kind"], "policy");
    assert_eq!(c["source"]["locked"], true);
}

/// When fix401's own ticket gets in and every browser profile found is set to send it (a
/// Firefox profile whose user.js trusts `localhost`), the page works for this person: verdict
/// `ok`, exit 0, the headline says with whose company sign-in, and the SPNEGO result is the
/// evidence. Add a profile that will not send it and the verdict is `unauthorized` again.
#[test]
fn diagnose_when_every_browser_sends_the_ticket_that_gets_in_is_ok_with_company_sign_in() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let p = homes::firefox_profile(&env, Os::Linux, "firefox", "work");
    std::fs::write(
        p.dir.join("user.js"),
        "user_pref(\"network.negotiate-auth.trusted-uris\", \"localhost\");\n",
    )
    .unwrap();
    let user = format!("{USER}@{}", kerberos::REALM);
    let diagnose = |json: bool, code: i32| {
        let mut args = vec!["diagnose", "--timeout", "20"];
        if json {
            args.insert(0, "--json");
        }
        let url = site.url("localhost");
        args.push(url.as_str());
        env.cmd(args)
            .env("KRB5_CONFIG", realm.krb5_config())
            .env("KRB5CCNAME", cc.name())
            .run()
            .code(code)
    };
    let v = diagnose(true, 0).json();
    let headline = format!("This page works with your company sign-in (as {user}).");
    assert_eq!(v["verdict"], "ok", "{v:#}");
    assert_eq!(v["headline"], headline.as_str());
    assert_eq!(v["outcome"]["headline"], headline.as_str());
    assert_eq!(
        v["outcome"]["verdict_words"],
        "This page works with your company sign-in"
    );
    assert_eq!(v["outcome"]["tone"], "good");
    assert_eq!(v["status"], 401, "the plain re-test is still refused");
    assert_eq!(v["sign_in"]["outcome"]["authenticated_as"], user.as_str());
    assert_eq!(browser_entry(&v, ("Firefox", Some("work")))["sends"], true);
    let evidence = v["findings"].to_string();
    assert!(
        evidence.contains(&format!("→ HTTP 200: signed in as {user}")),
        "{evidence}"
    );
    assert!(!causes(&v).contains(&"credentials.missing"), "{v:#}");
    let text = diagnose(false, 0).stdout;
    assert!(text.starts_with(&headline), "{text}");
    for o in [text, v.to_string()] {
        assert!(!o.contains("YII") && !o.contains(USER_PASSWORD), "{o}");
    }

    // A second profile that does not trust localhost: a browser is the fault again.
    homes::firefox_profile(&env, Os::Linux, "firefox", "home");
    let v = diagnose(true, 1).json();
    assert_eq!(v["verdict"], "unauthorized", "{v:#}");
    leads(&v, "negotiate.browser_not_allowed");
}

/// A Firefox enterprise policy (`Authentication.SPNEGO`, locked by default) in the system
/// root overrides the profile's own user.js: the profile will not send the ticket, and
/// `fix --yes` changes nothing there — it says who sets it and what to ask for.
#[test]
fn a_locked_firefox_policy_is_named_and_left_to_the_administrator() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let p = homes::firefox_profile(&env, Os::Linux, "firefox", "work");
    let user_js = "user_pref(\"network.negotiate-auth.trusted-uris\", \"localhost\");\n";
    std::fs::write(p.dir.join("user.js"), user_js).unwrap();
    let dir = env.system_root().join("etc/firefox/policies");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("policies.json"),
        r#"{"policies": {"Authentication": {"SPNEGO": ["intra.test", "https://sso.test"]}}}"#,
    )
    .unwrap();
    let (code, report, allow) = fix_yes(&env, &realm, &cc, &site.url("localhost"));
    assert_eq!(code, Some(1));
    assert_eq!(report["outcome"]["cause"], "negotiate.browser_not_allowed");
    assert_eq!(allow["status"], "advice", "{allow:#}");
    let details = allow["details"].to_string();
    assert!(
        details.contains("set by your administrator's policy")
            && details.contains("etc/firefox/policies/policies.json")
            && details.contains("ask them to add localhost"),
        "{details}"
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.join("user.js")).unwrap(),
        user_js
    );
    let ev = report["before"]["findings"][0]["evidence"].to_string();
    assert!(
        ev.contains("= \\\"intra.test, https://sso.test\\\" (enterprise policy")
            && ev.contains(", locked)"),
        "{ev}"
    );
}

/// `fix --yes` on a profile without user.js creates it with the one line, and `undo` takes
/// it away again (kept in the backup); prefs.js's own list is carried over into the value.
#[test]
fn allow_negotiate_creates_user_js_and_undo_removes_it() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let p = homes::firefox_profile(&env, Os::Linux, "firefox", "work");
    std::fs::write(
        p.dir.join("prefs.js"),
        "user_pref(\"network.negotiate-auth.trusted-uris\", \"other.test\");\n",
    )
    .unwrap();
    let (code, report, allow) = fix_yes(&env, &realm, &cc, &site.url("localhost"));
    // Changed from exit 1 ("still failing"): the re-test shows the only profile now sends the
    // ticket and the ticket gets in, so the page works for this person.
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "fixed", "{report:#}");
    assert_eq!(
        report["headline"],
        "Fixed: localhost loads again after allowing your browsers to send your company sign-in."
    );
    assert_eq!(report["after"]["verdict"], "ok", "{report:#}");
    assert_eq!(allow["status"], "done", "{allow:#}");
    assert!(allow["undo_id"].is_string());
    assert_eq!(
        std::fs::read_to_string(p.dir.join("user.js")).unwrap(),
        "user_pref(\"network.negotiate-auth.trusted-uris\", \"other.test, localhost\");\n"
    );
    // The re-test reads the new setting: the profile is now set to send the ticket.
    let after = report["after"]["findings"][0]["summary"].to_string();
    assert!(
        after.contains("Firefox (work) is set to send it"),
        "{report:#}"
    );
    env.cmd(["--json", "undo"]).run().code(0);
    assert!(!p.dir.join("user.js").exists());
    assert_eq!(
        std::fs::read_to_string(p.dir.join("prefs.js")).unwrap(),
        "user_pref(\"network.negotiate-auth.trusted-uris\", \"other.test\");\n"
    );
}

/// Real Firefox ESR with a profile under a temporary home and the user's ticket: before the
/// fix it gets 401 (Apache logs no user); `fix --yes` adds `localhost` to the profile's
/// user.js (backed up), and then Firefox signs in — Apache's access log names the user;
/// after `undo` user.js is byte-identical, the value Firefox copied into prefs.js is gone,
/// and Firefox gets 401 again.
#[test]
fn real_firefox_signs_in_after_allow_negotiate_and_not_after_undo() {
    use crate::support::real_browser::{self, Firefox};
    if !real_browser::firefox_available() {
        panic!("firefox-esr is installed (scripts/install-deps.sh)");
    }
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let env = TestEnv::new();
    let ff = Firefox::new(&env.home())
        .with_env("KRB5_CONFIG", realm.krb5_config())
        .with_env("KRB5CCNAME", cc.name());
    let user = format!(
        "{USER}@{} \"GET {} HTTP/1.1\" 200",
        kerberos::REALM,
        PRIVATE
    );
    let url = site.url("localhost");
    // Firefox's own requests, not fix401's re-test with the ticket.
    let firefox_lines = || -> Vec<String> {
        site.access_log()
            .lines()
            .filter(|l| l.contains("Firefox/"))
            .map(str::to_string)
            .collect()
    };
    let signed_in = || firefox_lines().iter().filter(|l| l.contains(&user)).count();

    ff.visit(&url);
    assert!(
        firefox_lines()
            .iter()
            .any(|l| l.contains("\"GET /private/ HTTP/1.1\" 401")),
        "{}",
        site.access_log()
    );
    assert_eq!(signed_in(), 0, "{}", site.access_log());
    let user_js = ff.profile_dir().join("user.js");
    let before = std::fs::read(&user_js).unwrap();

    let (code, report, allow) = fix_yes(&env, &realm, &cc, &url);
    assert_eq!(allow["status"], "done", "{allow:#}");
    // The re-test shows Firefox now sends the ticket and it gets in: fixed, exit 0.
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "fixed", "{report:#}");
    assert!(
        allow["summary"]
            .as_str()
            .unwrap()
            .starts_with("Firefox (fix401) now sends your Kerberos ticket to localhost"),
        "{allow:#}"
    );
    let after = std::fs::read(&user_js).unwrap();
    assert!(after.starts_with(&before), "every other line kept");
    assert_eq!(
        &after[before.len()..],
        b"user_pref(\"network.negotiate-auth.trusted-uris\", \"localhost\");\n"
    );

    ff.visit(&url);
    assert!(site.logged(&user), "{}", site.access_log());
    let after_fix = signed_in();
    assert!(after_fix >= 1, "Firefox signed in: {}", site.access_log());
    // Firefox copied the value into prefs.js on its way out: undo must put that back too.
    let prefs_js = ff.profile_dir().join("prefs.js");
    let trusted = "\"network.negotiate-auth.trusted-uris\"";
    assert!(
        std::fs::read_to_string(&prefs_js)
            .unwrap()
            .contains(trusted)
    );

    env.cmd(["--json", "undo"]).run().code(0);
    assert_eq!(
        std::fs::read(&user_js).unwrap(),
        before,
        "user.js byte-identical"
    );
    assert!(
        !std::fs::read_to_string(&prefs_js)
            .unwrap()
            .contains(trusted)
    );
    let seen = firefox_lines().len();
    ff.visit(&url);
    let now = firefox_lines();
    assert!(now.len() > seen, "{}", site.access_log());
    assert_eq!(
        signed_in(),
        after_fix,
        "no sign-in after undo: {}",
        site.access_log()
    );
    assert!(
        now[seen..]
            .iter()
            .all(|l| l.contains("\"GET /private/ HTTP/1.1\" 401")),
        "{:?}",
        &now[seen..]
    );
}

const PRIVATE: &str = kerberos::PRIVATE_PATH;

/// Why real Chromium 156 seemed to ignore `AuthServerAllowlist` from
/// `/etc/chromium/policies/managed/`: it does not. With the policy file bind-mounted over
/// `/etc/chromium` in a private mount namespace (this machine's `/etc` never changes), a
/// fresh profile's FIRST start gets 401 — on Linux the network service is sandboxed and may
/// not load the Kerberos library until Local State records
/// `net.received_http_auth_negotiate_headers`, which that first Negotiate challenge sets — and
/// its second start signs in (Apache's access log names the user). Without the policy the
/// second start still gets 401. `DisableAuthNegotiateCnameLookup` keeps the service name
/// `HTTP/localhost` (the test's host rules would make it `HTTP/127.0.0.1`).
#[test]
fn real_chromium_honours_the_managed_allowlist_policy_from_its_second_start() {
    use crate::support::real_browser::{self, Chromium};
    assert!(real_browser::chromium_available(), "chromium is installed");
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.kinit(USER_PASSWORD, None);
    let url = site.url("localhost");
    let user = format!("{USER}@{} \"GET {PRIVATE} HTTP/1.1\" 200", kerberos::REALM);
    // One start of Chromium in its own mount namespace, `etc` standing in for
    // /etc/chromium; the access-log lines it added.
    let start = |env: &TestEnv, etc: &std::path::Path| -> Vec<String> {
        let base = Chromium::new(&env.home()).command();
        let mut cmd = std::process::Command::new("unshare");
        if unsafe { libc::geteuid() } != 0 {
            cmd.arg("--map-root-user");
        }
        cmd.args([
            "--mount",
            "sh",
            "-c",
            "mount --bind \"$0\" /etc/chromium && exec \"$@\"",
        ])
        .arg(etc)
        .arg(real_browser::CHROMIUM);
        for a in base.get_args() {
            // `localhost` must reach the site (the support's rules send only *.test there).
            if a.to_string_lossy().starts_with("--host-resolver-rules") {
                cmd.arg("--host-resolver-rules=MAP localhost 127.0.0.1, MAP * ~NOTFOUND");
            } else {
                cmd.arg(a);
            }
        }
        cmd.arg("--dump-dom").arg(&url).env_clear();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        let seen = site.access_log().lines().count();
        let out = cmd
            .env("KRB5_CONFIG", realm.krb5_config())
            .env("KRB5CCNAME", cc.name())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run unshare + chromium");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        site.access_log()
            .lines()
            .skip(seen)
            .filter(|l| l.contains("Chrome/") && l.contains(PRIVATE))
            .map(str::to_string)
            .collect()
    };
    let etc_with = |env: &TestEnv, policy: Option<&str>| {
        let etc = env.path("etc-chromium");
        std::fs::create_dir_all(etc.join("policies/managed")).unwrap();
        if let Some(p) = policy {
            std::fs::write(etc.join("policies/managed/fix401-auth.json"), p).unwrap();
        }
        etc
    };
    let signed_in = |lines: &[String]| lines.iter().any(|l| l.contains(&user));
    let policy = r#"{"AuthServerAllowlist": "localhost", "DisableAuthNegotiateCnameLookup": true}"#;

    let with = TestEnv::new();
    let etc = etc_with(&with, Some(policy));
    let first = start(&with, &etc);
    assert!(!first.is_empty() && !signed_in(&first), "{first:?}");
    let local_state = std::fs::read_to_string(with.path(".config/chromium/Local State")).unwrap();
    assert!(
        local_state.contains("\"received_http_auth_negotiate_headers\":true"),
        "{local_state}"
    );
    let second = start(&with, &etc);
    assert!(signed_in(&second), "{second:?}\n{}", site.access_log());

    let without = TestEnv::new();
    let etc = etc_with(&without, None);
    start(&without, &etc);
    let second = start(&without, &etc);
    assert!(!second.is_empty() && !signed_in(&second), "{second:?}");
}

// ---- `fix401 sign-in`: a new ticket with the password (renew-ticket) ----

/// `fix401 [--json] sign-in --password-stdin [--principal P]` with `password` on standard
/// input, the realm's config and `cc` as the cache (and `extra` variables).
fn sign_in(
    env: &TestEnv,
    realm: &Realm,
    cc: &kerberos::Ccache,
    json: bool,
    principal: Option<&str>,
    password: &str,
    extra: &[(&str, &str)],
) -> Outcome {
    let mut args = vec!["sign-in", "--password-stdin"];
    if json {
        args.insert(0, "--json");
    }
    if let Some(p) = principal {
        args.extend(["--principal", p]);
    }
    let mut cmd = env
        .cmd(args)
        .env("KRB5_CONFIG", realm.krb5_config())
        .env("KRB5CCNAME", cc.name())
        .stdin(format!("{password}\n"));
    for (k, v) in extra {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

/// An empty cache, then `sign-in --password-stdin`: the cache now holds a ticket-granting
/// ticket for the principal (klist says so), and `diagnose` gets in with it. A second
/// `sign-in` without `--principal` signs in as the cache's principal.
#[test]
fn sign_in_fills_an_empty_cache_and_diagnose_then_gets_in() {
    let realm = Realm::start();
    let site = realm.site();
    let cc = realm.empty_ccache("sign-in");
    let user = format!("{USER}@{}", kerberos::REALM);
    assert!(realm.klist(&cc).is_none(), "the cache starts empty");
    let env = TestEnv::new();
    let out = sign_in(&env, &realm, &cc, false, Some(USER), USER_PASSWORD, &[]).code(0);
    assert!(
        out.stdout.starts_with(&format!(
            "Signed in as {user}: your company sign-in (Kerberos ticket) is valid until "
        )),
        "{}",
        out.stdout
    );
    let klist = realm.klist(&cc).expect("a cache now");
    assert!(
        klist.contains(&format!("Default principal: {user}"))
            && klist.contains(&format!("krbtgt/{0}@{0}", kerberos::REALM)),
        "{klist}"
    );
    let (_, v) = diagnose_with(&realm, &cc, &site.url("localhost"), &[]);
    assert_eq!(v["sign_in"]["outcome"]["authenticated_as"], user.as_str());
    assert_eq!(v["sign_in"]["outcome"]["status"], 200);

    let v = sign_in(&env, &realm, &cc, true, None, USER_PASSWORD, &[])
        .code(0)
        .json();
    assert_eq!(v["principal"], user.as_str(), "{v:#}");
    assert_eq!(v["cache"], cc.name());
    assert!(v["tgt_end"].as_str().unwrap().ends_with(" GMT"), "{v:#}");
}

/// A wrong password: exit 1 with a clear message, and the cache is byte for byte as it was
/// (an empty one stays absent). Bad input (a principal that cannot be one, no password) is
/// exit 2 and asks nothing of the KDC.
#[test]
fn a_wrong_password_is_said_so_and_leaves_the_cache_as_it_was() {
    let realm = Realm::start();
    let cc = realm.kinit(USER_PASSWORD, None);
    let before = std::fs::read(cc.path()).unwrap();
    let env = TestEnv::new();
    let out = sign_in(
        &env,
        &realm,
        &cc,
        false,
        Some(USER),
        "not-the-password",
        &[],
    )
    .code(1);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "fix401: cannot sign in: the password for {USER}@{} was not accepted: type it again",
            kerberos::REALM
        )
    );
    assert_eq!(std::fs::read(cc.path()).unwrap(), before, "cache unchanged");
    let v = sign_in(&env, &realm, &cc, true, None, "not-the-password", &[])
        .code(1)
        .json();
    assert_eq!(v["error"]["code"], "refused", "{v:#}");
    assert_eq!(std::fs::read(cc.path()).unwrap(), before, "cache unchanged");

    let empty = realm.empty_ccache("wrong");
    sign_in(&env, &realm, &empty, false, Some(USER), "nope", &[]).code(1);
    assert!(
        !empty.path().exists(),
        "no cache made for a refused sign-in"
    );

    let out = sign_in(&env, &realm, &empty, false, Some("us er"), "pw", &[]).code(2);
    assert!(
        out.stderr.contains("not a Kerberos principal"),
        "{}",
        out.stderr
    );
    let out = sign_in(&env, &realm, &empty, false, Some(USER), "", &[]).code(2);
    assert!(out.stderr.contains("no password"), "{}", out.stderr);
    let out = sign_in(&env, &realm, &empty, false, Some("nobody"), "pw", &[]).code(1);
    assert!(
        out.stderr.contains("does not know nobody@"),
        "{}",
        out.stderr
    );
}

/// The password never appears in what `sign-in` prints, logs (trace) or stores, nor in the
/// reports of the diagnosis after it. A password as short as "is" cannot be searched for
/// in text: with it, every output is the same as with another password of the same fate.
#[test]
fn the_password_never_appears_in_output_logs_or_the_cache() {
    let realm = Realm::start();
    let site = realm.site();
    let env = TestEnv::new();
    let trace = [("FIX401_LOG", "trace")];
    let mut outputs = Vec::new();
    for json in [false, true] {
        let cc = realm.empty_ccache(&format!("secret-{json}"));
        let out = sign_in(&env, &realm, &cc, json, Some(USER), USER_PASSWORD, &trace).code(0);
        outputs.extend([out.stdout, out.stderr]);
        let wrong = sign_in(&env, &realm, &cc, json, Some(USER), "wrong-pw-9", &trace).code(1);
        outputs.extend([wrong.stdout, wrong.stderr]);
        outputs.push(String::from_utf8_lossy(&std::fs::read(cc.path()).unwrap()).into_owned());
        let report = env.path(format!("after-{json}.md"));
        let out = env
            .cmd([
                "diagnose",
                "--report",
                &report.display().to_string(),
                &site.url("localhost"),
            ])
            .env("KRB5_CONFIG", realm.krb5_config())
            .env("KRB5CCNAME", cc.name())
            .env("FIX401_LOG", "trace")
            .run()
            .code(1);
        outputs.extend([
            out.stdout,
            out.stderr,
            std::fs::read_to_string(report).unwrap(),
        ]);
    }
    assert!(outputs.iter().any(|o| o.contains("Signed in as")));
    for o in &outputs {
        for secret in [USER_PASSWORD, "wrong-pw-9"] {
            assert!(!o.contains(secret), "{secret} leaked into:\n{o}");
        }
    }

    // "is" and "qz": the same outputs (the ticket's times aside), so neither is in them.
    let said_with = |password: &str| -> Vec<String> {
        realm.set_user_password(password);
        let cc = realm.empty_ccache(&format!("short-{password}"));
        let ok = sign_in(&env, &realm, &cc, false, Some(USER), password, &trace).code(0);
        let until = |s: &str| s.split(" is valid until ").next().unwrap().to_string();
        let wrong = sign_in(&env, &realm, &cc, true, None, &format!("{password}x"), &[]).code(1);
        vec![
            until(&ok.stdout),
            ok.stderr.is_empty().to_string(),
            wrong.stdout,
            wrong.stderr,
        ]
    };
    assert_eq!(said_with("is"), said_with("qz"));
}
