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
