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
