//! `fix401 diagnose` against loopback scenario servers: one scenario per cause id (the
//! `dns.*` ones are the DNS module's), hostile servers, redaction of credentials.

use std::io::Write;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::support::http::{Reply, Server, closed_port, respond};
use crate::support::tls::{ca_signed, self_signed};
use crate::support::{Outcome, TestEnv, homes};

/// Runs `fix401 --json diagnose ARGS…` and returns the outcome and its JSON.
fn diagnose(args: &[&str]) -> (Outcome, Value) {
    diagnose_stdin(args, None)
}

fn diagnose_stdin(args: &[&str], stdin: Option<&str>) -> (Outcome, Value) {
    diagnose_in(&TestEnv::new(), args, stdin)
}

/// Runs `fix401 --json diagnose ARGS…` in `env`'s temp home.
fn diagnose_in(env: &TestEnv, args: &[&str], stdin: Option<&str>) -> (Outcome, Value) {
    let mut all = vec!["--json", "diagnose"];
    all.extend_from_slice(args);
    let mut cmd = env.cmd(all);
    if let Some(s) = stdin {
        cmd = cmd.stdin(s);
    }
    let out = cmd.run();
    let json = out.json();
    (out, json)
}

fn causes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cause"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(v: &'a Value, cause: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == cause)
        .unwrap_or_else(|| panic!("no {cause} finding in {v:#}"))
}

fn evidence(v: &Value, cause: &str) -> String {
    finding(v, cause)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn assert_cause(v: &Value, cause: &str) {
    assert!(
        causes(v).iter().any(|c| c == cause),
        "expected {cause} among {:?}\n{v:#}",
        causes(v)
    );
}

fn basic_401() -> Server {
    Server::http(|_, _| {
        respond(
            401,
            &[("WWW-Authenticate", b"Basic realm=\"staff\"")],
            b"no",
        )
    })
}

#[test]
fn plain_401_is_credentials_missing_with_the_full_json_contract() {
    let srv = basic_401();
    let (out, v) = diagnose(&[&srv.url("/private")]);
    out.code(1);
    assert_eq!(v["status"], 401);
    assert_eq!(v["status_text"], "401 Unauthorized");
    assert_eq!(v["verdict"], "unauthorized");
    assert_eq!(v["url"], srv.url("/private"));
    assert_eq!(v["final_url"], srv.url("/private"));
    assert!(v["headline"].as_str().unwrap().contains("sign in"));
    assert_eq!(v["redirects"][0]["status"], 401);
    for phase in ["connect", "first_byte", "total"] {
        assert!(v["timings_ms"][phase].is_number(), "{phase}: {v:#}");
    }
    // An IP address needs no lookup, plain http no TLS.
    assert!(v["timings_ms"]["dns"].is_null());
    assert!(v["timings_ms"]["tls"].is_null());
    assert_eq!(v["resolved"][0], "127.0.0.1");
    assert_eq!(
        v["challenges"][0]["parsed"]["challenges"][0]["scheme"],
        "Basic"
    );
    assert!(
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "www-authenticate")
    );
    let f = finding(&v, "credentials.missing");
    assert_eq!(f["confidence"], "high");
    assert!(
        f["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "check-credentials")
    );
    assert_eq!(causes(&v)[0], "credentials.missing");
    let tested = httpdate::parse_http_date(v["tested_at"].as_str().unwrap()).unwrap();
    assert!(tested.elapsed().unwrap_or_default() < std::time::Duration::from_secs(600));
}

#[test]
fn text_output_explains_in_plain_words() {
    let srv = basic_401();
    TestEnv::new()
        .cmd(["diagnose", &srv.url("/")])
        .run()
        .code(1)
        .stdout_has("no login was sent")
        .stdout_has("credentials.missing")
        .stdout_has("WWW-Authenticate");
}

fn auth_checking(user_pass_b64: &'static str) -> Server {
    Server::http(move |req, _| {
        if req.header("authorization") == Some(&format!("Basic {user_pass_b64}")) {
            respond(200, &[], b"<html>welcome</html>")
        } else {
            respond(401, &[("WWW-Authenticate", b"Basic realm=\"staff\"")], b"")
        }
    })
}

#[test]
fn wrong_password_is_credentials_rejected() {
    // alice:right
    let srv = auth_checking("YWxpY2U6cmlnaHQ=");
    let (out, v) = diagnose_stdin(
        &["--user", "alice", "--password-stdin", &srv.url("/")],
        Some("wrong-password-123\n"),
    );
    out.code(1);
    assert_cause(&v, "credentials.rejected");
    // The password goes out only after the server asked for it.
    let got = srv.received();
    assert!(got[0].header("authorization").is_none());
    assert!(
        got[1]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(v["credentials_supplied"][0], "password");
    assert!(evidence(&v, "credentials.rejected").contains("answered the basic challenge"));
}

/// A temp home whose Chromium (Linux, profile `Default`, the real `Cookies` schema) holds
/// one cookie for `host`: the browser has stored data for the site.
fn home_with_site_cookie(host: &str) -> TestEnv {
    let env = TestEnv::new();
    let p = homes::chromium_profile(&env, fix401::Os::Linux, "chromium", "Default");
    homes::chromium_cookie(&p.cookies, host, "session", "");
    env
}

/// The host of a loopback server's URL (`127.0.0.1`).
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v:#}"))
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn working_url_points_at_stale_browser_data() {
    let srv = auth_checking("YWxpY2U6cmlnaHQ=");
    // Stored data is the suspect only where a browser holds some for the site.
    let env = home_with_site_cookie(&host_of(&srv.url("/")));
    let (out, v) = diagnose_in(
        &env,
        &["--user", "alice", "--password-stdin", &srv.url("/")],
        Some("right\n"),
    );
    out.code(0);
    assert_eq!(v["verdict"], "ok");
    assert_cause(&v, "site_data.stale");
    assert!(
        finding(&v, "site_data.stale")["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "clear-site-data")
    );
}

fn bearer(header: &'static [u8], status: u16) -> Server {
    Server::http(move |_, _| respond(status, &[("WWW-Authenticate", header)], b""))
}

/// A JWT (unsigned: fix401 decodes, never verifies) with this `exp`.
fn jwt(exp: u64) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        e.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(format!(r#"{{"sub":"alice","exp":{exp}}}"#)),
        e.encode(b"signature-not-checked")
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn bearer_invalid_token_is_token_invalid() {
    let srv = bearer(
        b"Bearer realm=\"api\", error=\"invalid_token\", error_description=\"signature mismatch\"",
        401,
    );
    let (_, v) = diagnose_stdin(
        &["--bearer-stdin", &srv.url("/")],
        Some(&format!("{}\n", jwt(now() + 3600))),
    );
    assert_cause(&v, "token.invalid");
    assert!(!causes(&v).contains(&"token.expired".to_string()));
}

#[test]
fn bearer_expired_by_description_is_token_expired() {
    let srv = bearer(
        b"Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"",
        401,
    );
    let (_, v) = diagnose_stdin(
        &["--bearer-stdin", &srv.url("/")],
        Some("opaque-token-value\n"),
    );
    assert_cause(&v, "token.expired");
}

#[test]
fn bearer_expired_by_jwt_exp_is_token_expired() {
    let srv = bearer(b"Bearer realm=\"api\", error=\"invalid_token\"", 401);
    let token = jwt(now() - 7200);
    let (_, v) = diagnose_stdin(
        &["--bearer-stdin", &srv.url("/")],
        Some(&format!("{token}\n")),
    );
    assert_cause(&v, "token.expired");
    assert!(evidence(&v, "token.expired").contains("exp claim"));
    assert!(!v.to_string().contains(&token));
}

#[test]
fn insufficient_scope_and_403_are_permission_denied() {
    let srv = bearer(
        b"Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin:write\"",
        403,
    );
    let (_, v) = diagnose_stdin(&["--bearer-stdin", &srv.url("/")], Some("tok-abcdef\n"));
    assert_cause(&v, "permission.denied");
    assert!(evidence(&v, "permission.denied").contains("admin:write"));
    let srv = Server::http(|_, _| respond(403, &[], b"forbidden"));
    let (out, v) = diagnose(&[&srv.url("/")]);
    out.code(1);
    assert_eq!(v["verdict"], "forbidden");
    assert_cause(&v, "permission.denied");
}

#[test]
fn proxy_answering_407_is_proxy_auth_required() {
    let proxy = Server::http(|_, _| {
        respond(
            407,
            &[(
                "Proxy-Authenticate",
                b"Negotiate, Basic realm=\"corp proxy\"",
            )],
            b"",
        )
    });
    let proxy_url = format!("http://{}", proxy.addr);
    // Plain http through the proxy: the proxy answers the request itself.
    let (out, v) = diagnose(&["--proxy", &proxy_url, "http://127.0.0.1:9/page"]);
    out.code(1);
    assert_eq!(v["status"], 407);
    assert_eq!(v["verdict"], "proxy_auth_required");
    assert_cause(&v, "proxy.auth_required");
    assert!(evidence(&v, "proxy.auth_required").contains("Negotiate"));
    assert_eq!(v["challenges"][0]["header"], "proxy-authenticate");
    // https through the proxy: the 407 answers CONNECT, before any TLS.
    let (_, v) = diagnose(&["--proxy", &proxy_url, "https://127.0.0.1:9/page"]);
    assert_cause(&v, "proxy.auth_required");
    assert!(proxy.received().iter().any(|r| r.method == "CONNECT"));
}

#[test]
fn challenge_less_or_unparseable_401_is_server_misconfigured() {
    let srv = Server::http(|_, _| respond(401, &[], b"go away"));
    let (_, v) = diagnose(&[&srv.url("/")]);
    assert_cause(&v, "server.misconfigured");
    assert!(evidence(&v, "server.misconfigured").contains("without any WWW-Authenticate"));
    let srv = Server::http(|_, _| respond(401, &[("WWW-Authenticate", b", ,")], b""));
    let (_, v) = diagnose(&[&srv.url("/")]);
    assert_cause(&v, "server.misconfigured");
}

#[test]
fn server_errors_and_not_found() {
    let srv = Server::http(|req, _| match req.target.as_str() {
        "/boom" => respond(500, &[], b"oops"),
        "/busy" => respond(503, &[("Retry-After", b"120")], b""),
        _ => respond(404, &[], b"nope"),
    });
    let (_, v) = diagnose(&[&srv.url("/boom")]);
    assert_cause(&v, "server.error");
    assert_eq!(v["verdict"], "server_error");
    let (_, v) = diagnose(&[&srv.url("/busy")]);
    assert!(evidence(&v, "server.error").contains("Retry-After: 120"));
    let (out, v) = diagnose(&[&srv.url("/missing")]);
    out.code(1);
    assert_cause(&v, "url.not_found");
}

#[test]
fn redirect_loop_is_caught_at_the_first_repeat() {
    let srv = Server::http(|req, local| {
        let next = if req.target == "/a" { "/b" } else { "/a" };
        respond(
            302,
            &[("Location", format!("http://{local}{next}").as_bytes())],
            b"",
        )
    });
    let (out, v) = diagnose(&[&srv.url("/a")]);
    out.code(1);
    assert_eq!(v["verdict"], "redirect_loop");
    assert_cause(&v, "redirect.loop");
    assert_eq!(v["redirects"].as_array().unwrap().len(), 2);
    assert_eq!(srv.received().len(), 2);
}

#[test]
fn fifty_hop_chain_is_too_many_redirects() {
    let srv = Server::http(|req, _| {
        let n: u32 = req.target.trim_start_matches('/').parse().unwrap_or(0);
        if n >= 50 {
            respond(200, &[], b"finally")
        } else {
            respond(301, &[("Location", format!("/{}", n + 1).as_bytes())], b"")
        }
    });
    let (out, v) = diagnose(&["--timeout", "10", &srv.url("/0")]);
    out.code(1);
    assert_cause(&v, "redirect.too_many");
    assert_eq!(v["verdict"], "too_many_redirects");
    assert_eq!(v["redirects"].as_array().unwrap().len(), 21);
    assert!(srv.received().len() <= 21);
}

fn tls_server(cert: &crate::support::tls::Cert) -> Server {
    Server::https(cert.cert_der.clone(), cert.key_der.clone(), |_, _| {
        respond(200, &[], b"secure")
    })
}

#[test]
fn self_signed_certificate_is_tls_untrusted() {
    let srv = tls_server(&self_signed());
    let (out, v) = diagnose(&[&srv.url("/")]);
    out.code(1);
    assert_eq!(v["verdict"], "tls_error");
    assert_cause(&v, "tls.certificate");
    assert!(
        evidence(&v, "tls.certificate").contains("UnknownIssuer"),
        "{v:#}"
    );
    assert!(v["timings_ms"]["tls"].is_number());
}

fn write_ca(env: &TestEnv, cert: &crate::support::tls::Cert) -> String {
    env.write("ca.pem", cert.ca_pem.as_ref().unwrap())
        .to_string_lossy()
        .into_owned()
}

#[test]
fn expired_and_wrong_host_certificates_are_classified() {
    let env = TestEnv::new();
    let expired = ca_signed(&["127.0.0.1"], (2020, 1, 1), (2021, 1, 1));
    let srv = tls_server(&expired);
    let ca = write_ca(&env, &expired);
    let v = env
        .cmd(["--json", "diagnose", "--ca-file", &ca, &srv.url("/")])
        .run()
        .code(1)
        .json();
    assert!(
        finding(&v, "tls.certificate")["summary"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let wrong = ca_signed(&["other.example"], (2020, 1, 1), (2099, 1, 1));
    let srv = tls_server(&wrong);
    let ca = write_ca(&env, &wrong);
    let v = env
        .cmd(["--json", "diagnose", "--ca-file", &ca, &srv.url("/")])
        .run()
        .json();
    assert!(
        finding(&v, "tls.certificate")["summary"]
            .as_str()
            .unwrap()
            .contains("different address")
    );

    let future = ca_signed(&["127.0.0.1"], (2090, 1, 1), (2099, 1, 1));
    let srv = tls_server(&future);
    let ca = write_ca(&env, &future);
    let v = env
        .cmd(["--json", "diagnose", "--ca-file", &ca, &srv.url("/")])
        .run()
        .json();
    let f = finding(&v, "tls.certificate");
    assert!(f["summary"].as_str().unwrap().contains("not valid yet"));
    assert_eq!(f["actions"][0], "fix-clock");

    // The same CA trusted and a valid certificate: the page works.
    let good = ca_signed(&["127.0.0.1"], (2020, 1, 1), (2099, 1, 1));
    let srv = tls_server(&good);
    let ca = write_ca(&env, &good);
    let v = env
        .cmd(["--json", "diagnose", "--ca-file", &ca, &srv.url("/")])
        .run()
        .code(0)
        .json();
    assert_eq!(v["verdict"], "ok");
    assert!(v["timings_ms"]["tls"].is_number());
}

#[test]
fn server_date_an_hour_off_is_clock_skew() {
    let srv = Server::http(|_, _| {
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        respond(
            401,
            &[
                ("Date", date.as_bytes()),
                ("WWW-Authenticate", b"Bearer realm=\"api\""),
            ],
            b"",
        )
    });
    let (_, v) = diagnose(&[&srv.url("/")]);
    assert_cause(&v, "clock.skew");
    assert!(finding(&v, "clock.skew")["actions"][0] == "fix-clock");
    // A Date within a minute is fine.
    let srv = Server::http(|_, _| {
        let date = httpdate::fmt_http_date(SystemTime::now());
        respond(200, &[("Date", date.as_bytes())], b"")
    });
    let (_, v) = diagnose(&[&srv.url("/")]);
    assert!(!causes(&v).contains(&"clock.skew".to_string()));
}

#[test]
fn refused_and_silent_ports_are_network_unreachable() {
    let port = closed_port();
    let (out, v) = diagnose(&[&format!("http://127.0.0.1:{port}/")]);
    out.code(1);
    assert_eq!(v["verdict"], "unreachable");
    assert!(evidence(&v, "network.unreachable").contains("refused"));
    let srv = Server::http(|_, _| Reply::Silent);
    let (out, v) = diagnose(&["--timeout", "1", &srv.url("/")]);
    out.code(1);
    assert_eq!(v["status"], Value::Null);
    assert!(
        finding(&v, "network.unreachable")["summary"]
            .as_str()
            .unwrap()
            .contains("never answered")
    );
}

#[test]
fn wordpress_markers_are_site_wordpress() {
    let srv = Server::http(|req, _| {
        if req.target == "/wp-admin/" {
            respond(
                302,
                &[
                    ("Location", b"/wp-login.php"),
                    ("X-Redirect-By", b"WordPress"),
                ],
                b"",
            )
        } else {
            respond(
                403,
                &[("Link", b"<http://x/wp-json/>; rel=\"https://api.w.org/\"")],
                b"<html><head><meta name=\"generator\" content=\"WordPress 6.5\"></head></html>",
            )
        }
    });
    let (_, v) = diagnose(&[&srv.url("/wp-admin/")]);
    assert_cause(&v, "site.wordpress");
    assert_eq!(finding(&v, "site.wordpress")["confidence"], "high");
    assert!(
        finding(&v, "site.wordpress")["summary"]
            .as_str()
            .unwrap()
            .contains("security plugins")
    );
}

#[test]
fn unusable_url_is_url_invalid_with_exit_2() {
    let (out, v) = diagnose(&["ftp://files.example/"]);
    out.code(2);
    assert_eq!(v["verdict"], "invalid_url");
    assert_cause(&v, "url.invalid");
    let out = TestEnv::new().cmd(["diagnose", "   "]).run().code(2);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    let out = TestEnv::new()
        .cmd(["diagnose", "https://bob:hunter2secret@"])
        .run()
        .code(2);
    assert!(!out.stdout.contains("hunter2secret") && !out.stderr.contains("hunter2secret"));
}

#[test]
fn suspicious_url_is_tested_with_its_correction() {
    let srv = Server::http(|_, _| respond(200, &[], b"ok"));
    let typo = format!("htp://{}/x", srv.addr);
    let (out, v) = diagnose(&[&typo]);
    out.code(0);
    assert_cause(&v, "url.suspicious");
    assert!(evidence(&v, "url.suspicious").contains(&srv.url("/x")));
    assert_eq!(srv.received().len(), 1);
    let (_, v) = diagnose(&[&format!("<{}>.", srv.url("/y"))]);
    assert!(!causes(&v).contains(&"url.suspicious".to_string()));
}

#[test]
fn digest_stale_nonce_says_retry() {
    let srv = Server::http(|_, _| {
        respond(
            401,
            &[(
                "WWW-Authenticate",
                b"Digest realm=\"files\", nonce=\"5f1e2d\", qop=\"auth\", algorithm=SHA-256, stale=true",
            )],
            b"",
        )
    });
    let (_, v) = diagnose(&[&srv.url("/")]);
    let f = finding(&v, "credentials.missing");
    assert_eq!(f["actions"][0], "retry");
    assert!(evidence(&v, "credentials.missing").contains("stale=true"));
}

#[test]
fn credentials_never_follow_a_redirect_to_another_origin() {
    let other = Server::http(|_, _| respond(200, &[], b"elsewhere"));
    let target = other.url("/landing");
    let srv = Server::http(move |_, _| respond(302, &[("Location", target.as_bytes())], b""));
    let (out, v) = diagnose_stdin(
        &["--bearer-stdin", "--cookie-stdin", &srv.url("/")],
        Some("tok-never-leak-1\nsid=cookie-never-leak-2\n"),
    );
    out.code(0);
    let first = &srv.received()[0];
    assert!(first.header("authorization").is_some() && first.header("cookie").is_some());
    let second = &other.received()[0];
    assert!(second.header("authorization").is_none(), "{second:?}");
    assert!(second.header("cookie").is_none(), "{second:?}");
    assert_eq!(v["final_url"], other.url("/landing"));
}

#[test]
fn no_output_or_report_contains_the_credentials() {
    const PASSWORD: &str = "pa55-word-NEVER-SHOWN";
    const COOKIE: &str = "cookie-value-NEVER-SHOWN";
    // A hostile server echoes what it got into its answer.
    let srv = Server::http(|req, _| {
        let echo = format!(
            "{} | {}",
            req.header("authorization").unwrap_or(""),
            req.header("cookie").unwrap_or("")
        );
        respond(
            401,
            &[
                (
                    "WWW-Authenticate",
                    format!("Basic realm=\"{echo}\"").as_bytes(),
                ),
                ("X-Echo", echo.as_bytes()),
                ("Set-Cookie", format!("sid={COOKIE}; Path=/").as_bytes()),
            ],
            echo.as_bytes(),
        )
    });
    let url = format!(
        "{}?access_token=query-secret-NEVER-SHOWN&page=1",
        srv.url("/")
    );
    let env = TestEnv::new();
    let stdin = format!("{PASSWORD}\nsid={COOKIE}\n");
    let mut outputs = Vec::new();
    for json in [true, false] {
        let mut args = vec![];
        if json {
            args.push("--json".to_string());
        }
        args.push("diagnose".into());
        for ext in ["md", "html", "json"] {
            let p = env.path(format!("report-{json}.{ext}"));
            args.push("--report".into());
            args.push(p.to_string_lossy().into_owned());
        }
        args.extend(
            [
                "--user",
                "alice",
                "--password-stdin",
                "--cookie-stdin",
                &url,
            ]
            .map(String::from),
        );
        // Logs at the most verbose level must not show them either.
        let out = env
            .cmd(args)
            .stdin(stdin.clone())
            .env("FIX401_LOG", "trace")
            .run();
        outputs.push(out.stdout.clone());
        outputs.push(out.stderr.clone());
    }
    for entry in std::fs::read_dir(env.home()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some() {
            outputs.push(std::fs::read_to_string(&p).unwrap());
        }
    }
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    assert!(outputs.len() >= 5);
    for o in &outputs {
        for secret in [PASSWORD, COOKIE, "query-secret-NEVER-SHOWN", basic.as_str()] {
            assert!(!o.contains(secret), "{secret} leaked into:\n{o}");
        }
    }
    assert!(outputs[0].contains("credentials.rejected"));
}

#[test]
fn report_file_format_follows_the_extension() {
    let srv = basic_401();
    let env = TestEnv::new();
    for (ext, marker) in [
        ("md", "# fix401 diagnosis"),
        ("html", "<!DOCTYPE html>"),
        ("json", "\"findings\""),
    ] {
        let p = env.path(format!("r.{ext}"));
        env.cmd(["diagnose", "--report", p.to_str().unwrap(), &srv.url("/")])
            .run()
            .code(1);
        let body = std::fs::read_to_string(&p).unwrap();
        assert!(body.contains(marker), "{ext}: {body}");
        assert!(body.contains("credentials.missing"));
        if ext != "json" {
            // For a ticket: when it was tested; no row that only repeats the URL or is empty.
            assert!(
                body.contains("Tested") && body.contains(" GMT"),
                "{ext}: {body}"
            );
            assert!(!body.contains("Final URL"), "{ext}: {body}");
            assert!(!body.contains("Proxy"), "{ext}: {body}");
        }
    }
    env.cmd(["diagnose", "--report", "r.txt", &srv.url("/")])
        .run()
        .code(2)
        .stderr_has(".md, .html or .json");
    env.cmd(["diagnose", "--timeout", "0", &srv.url("/")])
        .run()
        .code(2);
}

// ---- hostile servers: each ends within the deadline, with a finding, without a panic ----

fn no_panic(out: &Outcome) {
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn hostile_one_mebibyte_challenge_header() {
    let big = format!("Basic realm=\"{}\"", "A".repeat(1024 * 1024));
    let srv = Server::http(move |_, _| respond(401, &[("WWW-Authenticate", big.as_bytes())], b""));
    let (out, v) = diagnose(&["--timeout", "5", &srv.url("/")]);
    no_panic(&out);
    assert!(
        out.stdout.len() < 256 * 1024,
        "report is {} bytes",
        out.stdout.len()
    );
    out.code(1);
    assert!(!v["findings"].as_array().unwrap().is_empty());
    assert_cause(&v, "server.misconfigured");
}

#[test]
fn hostile_endless_body_is_cut_at_the_cap() {
    let srv = Server::http(|_, _| {
        Reply::Endless(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".to_vec())
    });
    let env = home_with_site_cookie(&host_of(&srv.url("/")));
    let (out, v) = diagnose_in(&env, &["--timeout", "5", &srv.url("/")], None);
    no_panic(&out);
    assert_eq!(v["status"], 200);
    assert_cause(&v, "site_data.stale");
}

#[test]
fn hostile_accept_and_never_answer_ends_at_the_deadline() {
    let srv = Server::http(|_, _| Reply::Silent);
    let started = std::time::Instant::now();
    let (out, v) = diagnose(&["--timeout", "1", &srv.url("/")]);
    no_panic(&out);
    out.code(1);
    assert_cause(&v, "network.unreachable");
    // A hang guard, not a speed test: the deadline is 1 s.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn hostile_gzip_bomb_is_read_only_up_to_the_cap() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..16 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    let srv = Server::http(move |_, _| {
        respond(
            401,
            &[
                ("Content-Encoding", b"gzip"),
                ("WWW-Authenticate", b"Basic realm=\"z\""),
            ],
            &bomb,
        )
    });
    let (out, v) = diagnose(&["--timeout", "5", &srv.url("/")]);
    no_panic(&out);
    assert_cause(&v, "credentials.missing");
}

#[test]
fn hostile_invalid_utf8_in_headers() {
    let srv = Server::http(|_, _| {
        respond(
            401,
            &[
                ("WWW-Authenticate", b"Basic realm=\"caf\xe9 \xff\xfe\""),
                ("X-Junk", b"\xc3\x28\xa0\xa1"),
            ],
            b"\xff\xfe",
        )
    });
    let (out, v) = diagnose(&["--timeout", "5", &srv.url("/")]);
    no_panic(&out);
    assert_cause(&v, "credentials.missing");
    // Invalid bytes in a header *name* break HTTP itself.
    let bad_name = Server::http(|_, _| {
        Reply::Raw(b"HTTP/1.1 401 X\r\nX-\xff\xfe: v\r\nContent-Length: 0\r\n\r\n".to_vec())
    });
    let (out, v) = diagnose(&["--timeout", "5", &bad_name.url("/")]);
    no_panic(&out);
    assert_cause(&v, "server.misconfigured");
    // Text, Markdown and HTML forms cope too.
    let env = TestEnv::new();
    let p = env.path("r.html");
    env.cmd(["diagnose", "--report", p.to_str().unwrap(), &srv.url("/")])
        .run()
        .code(1);
}

#[test]
fn a_stdin_flag_without_input_is_bad_input() {
    let srv = basic_401();
    TestEnv::new()
        .cmd(["diagnose", "--bearer-stdin", &srv.url("/")])
        .stdin("")
        .run()
        .code(2)
        .stderr_has("no bearer token");
}

#[test]
fn names_resolve_through_the_given_dns_server() {
    let dns = crate::support::dns::UpstreamDns::start();
    dns.set("portal.fix401.test", std::net::Ipv4Addr::LOCALHOST);
    let srv = basic_401();
    let url = format!("http://portal.fix401.test:{}/", srv.addr.port());
    let server = dns.addr.to_string();
    let v = TestEnv::new()
        .cmd([
            "--dns-server",
            &server,
            "--json",
            "diagnose",
            "--timeout",
            "5",
            &url,
        ])
        .run()
        .code(1)
        .json();
    assert_eq!(v["resolved"][0], "127.0.0.1");
    assert!(v["timings_ms"]["dns"].is_number());
    assert_cause(&v, "credentials.missing");
    assert!(dns.queries() >= 1);
    // A name the server does not know is a DNS failure, not a crash.
    let v = TestEnv::new()
        .cmd([
            "--dns-server",
            &server,
            "--json",
            "diagnose",
            "--timeout",
            "5",
            "http://nowhere.fix401.test/",
        ])
        .run()
        .code(1)
        .json();
    assert_eq!(v["verdict"], "dns_failure");
    assert_cause(&v, "dns.failure");
}

/// A Digest (MD5, qop=auth) server for alice/`password` that declares its first nonce stale
/// once the login is right, and accepts the second.
fn digest_server(password: &'static str) -> Server {
    fn md5hex(s: &str) -> String {
        use md5::Digest;
        md5::Md5::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
    let challenge = |nonce: &str, stale: bool| {
        format!(
            "Digest realm=\"files\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5{}",
            if stale { ", stale=true" } else { "" }
        )
    };
    Server::http(move |req, _| {
        let auth = req.header("authorization").unwrap_or("");
        let p = fix401::challenge::parse(&[auth]);
        let ok_for = p
            .challenges
            .first()
            .filter(|c| c.is("Digest"))
            .and_then(|c| {
                let get = |n: &str| c.param(n).unwrap_or("").to_string();
                let ha1 = md5hex(&format!("{}:files:{password}", get("username")));
                let ha2 = md5hex(&format!("GET:{}", get("uri")));
                let want = md5hex(&format!(
                    "{ha1}:{}:{}:{}:{}:{ha2}",
                    get("nonce"),
                    get("nc"),
                    get("cnonce"),
                    get("qop")
                ));
                (get("response") == want && get("username") == "alice").then(|| get("nonce"))
            });
        match ok_for.as_deref() {
            Some("second") => respond(200, &[], b"files"),
            Some(_) => respond(
                401,
                &[("WWW-Authenticate", challenge("second", true).as_bytes())],
                b"",
            ),
            None => respond(
                401,
                &[("WWW-Authenticate", challenge("first", false).as_bytes())],
                b"",
            ),
        }
    })
}

#[test]
fn digest_login_with_a_stale_nonce_is_retried_and_succeeds() {
    let srv = digest_server("s3cret-digest");
    let env = home_with_site_cookie(&host_of(&srv.url("/")));
    let (out, v) = diagnose_in(
        &env,
        &["--user", "alice", "--password-stdin", &srv.url("/docs?x=1")],
        Some("s3cret-digest\n"),
    );
    out.code(0);
    assert_eq!(v["redirects"].as_array().unwrap().len(), 3);
    let ev = evidence(&v, "site_data.stale");
    assert!(
        ev.contains("with the new nonce (stale=true) → HTTP 200"),
        "{ev}"
    );
    // The password itself never went over the wire.
    for r in srv.received() {
        assert!(!format!("{r:?}").contains("s3cret-digest"));
    }
}

#[test]
fn digest_login_with_a_wrong_password_is_rejected() {
    let srv = digest_server("s3cret-digest");
    let (out, v) = diagnose_stdin(
        &["--user", "alice", "--password-stdin", &srv.url("/docs")],
        Some("not-the-password\n"),
    );
    out.code(1);
    assert_cause(&v, "credentials.rejected");
    assert!(evidence(&v, "credentials.rejected").contains("answered the digest challenge"));
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    let srv = basic_401();
    let (out, v) = diagnose(&[&format!("https://{}/", srv.addr)]);
    out.code(1);
    assert!(evidence(&v, "server.misconfigured").contains("plain HTTP"));
}

/// The library entry point the desktop app and `fix` call.
#[test]
fn library_api_diagnose_returns_a_report_in_every_form() {
    use fix401::check::{DiagnoseOptions, diagnose};
    let srv = basic_401();
    let env = TestEnv::new();
    let sys = fix401::System::simulated(fix401::Os::current(), env.home());
    let opts = DiagnoseOptions {
        timeout: Duration::from_secs(5),
        ..DiagnoseOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(diagnose(&sys, &srv.url("/"), &opts)).unwrap();
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.status, Some(401));
    assert_eq!(report.verdict, "unauthorized");
    assert!(report.to_text(false).contains("credentials.missing"));
    assert!(report.to_text(true).contains("\x1b["));
    assert!(report.to_markdown().starts_with("# fix401 diagnosis"));
    assert!(report.to_html().contains("credentials.missing"));
    let v: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["findings"][0]["cause"], "credentials.missing");
    let bad = rt.block_on(diagnose(&sys, "mailto:x@y", &opts)).unwrap();
    assert_eq!(bad.exit_code(), 2);
    assert_eq!(DiagnoseOptions::default().timeout, Duration::from_secs(15));
}

#[test]
fn a_token_with_a_line_break_is_bad_input() {
    let srv = basic_401();
    TestEnv::new()
        .cmd(["diagnose", "--cookie-stdin", &srv.url("/")])
        .stdin("a=b\x01c\n")
        .run()
        .code(2)
        .stderr_has("cannot be sent in an HTTP header");
}

#[cfg(target_os = "linux")]
#[test]
fn a_port_that_drops_connection_attempts_is_network_unreachable() {
    let (port, _fill, _listener) = crate::support::http::silent_port();
    let (out, v) = diagnose(&["--timeout", "1", &format!("http://127.0.0.1:{port}/")]);
    out.code(1);
    assert_eq!(v["verdict"], "unreachable");
    let f = finding(&v, "network.unreachable");
    assert!(
        f["summary"].as_str().unwrap().contains("nothing answers"),
        "{f:#}"
    );
    assert!(evidence(&v, "network.unreachable").contains("no answer to the connection attempt"));
}

#[test]
fn works_from_here_blames_stored_data_only_when_a_browser_holds_some() {
    let srv = Server::http(|_, _| respond(200, &[], b"<html>fine</html>"));
    let url = srv.url("/");
    let host = host_of(&url);

    // No browser holds anything for the site: no `site_data.stale`, no clear offered; the
    // report says what was tested and what still differs from the browser.
    let empty = TestEnv::new();
    let (out, v) = diagnose_in(&empty, &[&url], None);
    out.code(0);
    assert_eq!(v["verdict"], "ok");
    assert!(!causes(&v).iter().any(|c| c == "site_data.stale"), "{v:#}");
    assert!(!v.to_string().contains("clear-site-data"), "{v:#}");
    assert_eq!(v["outcome"]["tone"], "good");
    let tested = strings(&v["works_from_here"]["tested"]).join("\n");
    assert!(tested.contains("HTTP 200"), "{tested}");
    assert!(tested.contains("direct, without a proxy"), "{tested}");
    assert!(
        tested.contains(&format!(
            "no browser on this computer holds cookies, cache or storage for {host}"
        )),
        "{tested}"
    );
    let differences = strings(&v["works_from_here"]["differences"]).join("\n");
    for d in [
        "its proxy",
        "HTTP-auth cache",
        "an extension",
        "DNS-over-HTTPS",
    ] {
        assert!(differences.contains(d), "{d}: {differences}");
    }
    assert_eq!(v["works_from_here"]["actions"], serde_json::json!([]));
    // The text report says the same.
    let text = empty.cmd(["diagnose", url.as_str()]).run().code(0);
    assert!(text.stdout.contains("Works from here"), "{}", text.stdout);
    assert!(text.stdout.contains("DNS-over-HTTPS"), "{}", text.stdout);

    // Chromium holds a cookie for the site: `site_data.stale` stays, at low confidence,
    // and names who holds how much.
    let stored = home_with_site_cookie(&host);
    let (out, v) = diagnose_in(&stored, &[&url], None);
    out.code(0);
    assert_eq!(v["verdict"], "ok");
    let f = finding(&v, "site_data.stale");
    assert_eq!(f["confidence"], "low");
    assert!(strings(&f["actions"]).contains(&"clear-site-data".to_string()));
    let ev = evidence(&v, "site_data.stale");
    assert!(
        ev.contains(&format!("Chromium (Person 1) holds 1 cookie for {host}")),
        "{ev}"
    );
    assert!(v.get("works_from_here").is_none(), "{v:#}");
}

#[test]
fn works_from_here_after_an_accepted_basic_login_offers_a_restart_first() {
    let srv = auth_checking("YWxpY2U6cmlnaHQ=");
    let env = TestEnv::new();
    let (out, v) = diagnose_in(
        &env,
        &["--user", "alice", "--password-stdin", &srv.url("/")],
        Some("right\n"),
    );
    out.code(0);
    assert!(!causes(&v).iter().any(|c| c == "site_data.stale"), "{v:#}");
    let w = &v["works_from_here"];
    assert_eq!(
        w["actions"],
        serde_json::json!(["restart-browser"]),
        "{v:#}"
    );
    assert_eq!(v["outcome"]["first_action"], "restart-browser", "{v:#}");
    let tested = strings(&w["tested"]).join("\n");
    assert!(tested.contains("answered the basic challenge"), "{tested}");
    assert!(tested.contains("they were accepted"), "{tested}");
    assert!(
        strings(&w["differences"])
            .iter()
            .any(|d| d.contains("HTTP-auth cache") && d.contains("restart-browser")),
        "{w:#}"
    );
}

/// A browser that runs cannot be looked into: "nothing stored" is not said, the stored
/// data stays a (low-confidence) suspect and the evidence says why it was not read.
#[cfg(unix)]
#[test]
fn works_from_here_with_a_running_browser_keeps_stored_data_a_suspect() {
    let srv = Server::http(|_, _| respond(200, &[], b"<html>fine</html>"));
    let url = srv.url("/");
    let env = TestEnv::new();
    let p = homes::chromium_profile(&env, fix401::Os::Linux, "chromium", "Default");
    // The lock of a live process (this test) on this machine: Chromium runs.
    p.singleton_lock(
        &fix401::browsers::running::hostname().unwrap(),
        std::process::id(),
    );
    let (out, v) = diagnose_in(&env, &[&url], None);
    out.code(0);
    let f = finding(&v, "site_data.stale");
    assert_eq!(f["confidence"], "low");
    let ev = evidence(&v, "site_data.stale");
    assert!(
        ev.contains(&format!(
            "Chromium (Person 1): what it holds for {} could not be read",
            host_of(&url)
        )),
        "{ev}"
    );
    assert!(v.get("works_from_here").is_none(), "{v:#}");
}
