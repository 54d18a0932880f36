//! `--har FILE` of `diagnose` and `fix`: every request fix401 made, as HAR 1.2, validated
//! against the HAR 1.2 JSON Schema kept in `data/har-1.2.schema.json` (with the
//! `jsonschema` crate), with the secrets the person gave redacted by field.

use std::path::Path;

use crate::support::TestEnv;
use crate::support::http::StaleCookieSite;
use crate::support::http::{Server, respond};
use crate::support::real_browser::Chromium;

/// Parses `text` and checks it against the HAR 1.2 schema and the cross-references the
/// schema cannot express (each entry's `pageref` names a page). Returns the document.
pub fn validate(text: &str) -> serde_json::Value {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/har-1.2.schema.json")).expect("the schema is JSON");
    let har: serde_json::Value = serde_json::from_str(text).expect("the HAR is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&har)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not HAR 1.2:\n{}\n{text}",
        errors.join("\n")
    );
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "fix401");
    assert_eq!(log["creator"]["version"], env!("CARGO_PKG_VERSION"));
    let pages: Vec<&str> = log["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for e in log["entries"].as_array().unwrap() {
        let page = e["pageref"].as_str().unwrap();
        assert!(
            pages.contains(&page),
            "pageref {page} is no page: {pages:?}"
        );
    }
    har
}

#[test]
fn the_har_schema_rejects_what_is_not_har() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/har-1.2.schema.json")).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let good = serde_json::json!({"log": {"version": "1.2",
        "creator": {"name": "x", "version": "1"}, "entries": []}});
    assert!(v.is_valid(&good));
    let mut no_timings = serde_json::json!({"log": {"version": "1.2",
        "creator": {"name": "x", "version": "1"}, "entries": [{
            "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 1,
            "request": {"method": "GET", "url": "http://a.test/", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": [], "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": [], "content": {"size": 0, "mimeType": "text/html"},
                "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}}]}});
    assert!(!v.is_valid(&no_timings), "timings are required");
    no_timings["log"]["entries"][0]["timings"] =
        serde_json::json!({"send": 0, "wait": 1, "receive": 0});
    assert!(v.is_valid(&no_timings));
    no_timings["log"]["version"] = "1.1".into();
    assert!(!v.is_valid(&no_timings), "only 1.2");
}

/// `/app` answers 401 with a Basic challenge whose realm is ordinary words (the short
/// passwords among them) and a session cookie, whatever is sent.
fn always_401() -> Server {
    Server::http(|req, _| {
        if req.target.starts_with("/start") {
            return respond(
                302,
                &[("Location", b"/app?access_token=loc-tok-5e1d&page=2")],
                b"",
            );
        }
        respond(
            401,
            &[
                (
                    "WWW-Authenticate",
                    b"Basic realm=\"the e-mail or the 401 is here\"",
                ),
                ("Set-Cookie", b"sid=server-cookie-9c4b; Path=/; HttpOnly"),
                ("Content-Type", b"text/plain"),
            ],
            b"the password is wrong or 401",
        )
    })
}

fn run_basic(env: &TestEnv, srv: &Server, password: &str, file: &Path) -> String {
    let url = format!(
        "http://alice:{password}@127.0.0.1:{}/start?access_token=query-tok-77aa",
        srv.addr.port()
    );
    env.cmd([
        "diagnose",
        "--user",
        "alice",
        "--password-stdin",
        "--no-proxy",
        &url,
        "--har",
        file.to_str().unwrap(),
    ])
    .stdin(format!("{password}\n"))
    .run()
    .code(1);
    std::fs::read_to_string(file).unwrap()
}

/// The HAR without what differs between runs for reasons other than the password: the
/// times, the durations and the `Date` header.
fn masked(har: &serde_json::Value) -> serde_json::Value {
    let mut har = har.clone();
    for p in har["log"]["pages"].as_array_mut().unwrap() {
        p["startedDateTime"] = "<time>".into();
    }
    for e in har["log"]["entries"].as_array_mut().unwrap() {
        e["startedDateTime"] = "<time>".into();
        e["time"] = 0.into();
        e["timings"] = "<timings>".into();
        for h in e["response"]["headers"].as_array_mut().unwrap() {
            if h["name"] == "date" {
                h["value"] = "<date>".into();
            }
        }
    }
    har
}

/// A long secret no output could hold by chance.
pub fn random_secret(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let a = h.finish();
    h.write_u64(a);
    format!("{prefix}{a:016x}{:016x}", h.finish())
}

#[test]
fn har_of_a_401_with_basic_credentials_is_valid_and_never_holds_the_password() {
    let srv = always_401();
    let env = TestEnv::new();
    let file = env.data_dir().join("basic.har");
    let long = random_secret("Lp");
    let text = run_basic(&env, &srv, &long, &file);
    let har = validate(&text);

    let entries = har["log"]["entries"].as_array().unwrap();
    // The redirect, the 401 without credentials, and the Basic answer to its challenge.
    let got: Vec<(String, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["request"]["url"].as_str().unwrap().to_string(),
                e["response"]["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let port = srv.addr.port();
    let start = format!("http://127.0.0.1:{port}/start?access_token=REDACTED");
    let app = format!("http://127.0.0.1:{port}/app?access_token=REDACTED&page=2");
    assert_eq!(
        got,
        [(start, 302), (app.clone(), 401), (app.clone(), 401)],
        "{text}"
    );
    assert_eq!(entries[0]["response"]["redirectURL"], app.as_str());
    let basic = &entries[2];
    let auth: Vec<&serde_json::Value> = basic["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["name"] == "authorization")
        .collect();
    assert_eq!(auth.len(), 1, "{basic:#}");
    assert_eq!(auth[0]["value"], "[redacted]");
    assert!(
        basic["comment"].as_str().unwrap().contains("basic"),
        "{basic:#}"
    );
    assert_eq!(
        basic["request"]["queryString"],
        serde_json::json!([{"name": "access_token", "value": "REDACTED"},
                           {"name": "page", "value": "2"}])
    );
    assert_eq!(basic["response"]["statusText"], "Unauthorized");
    assert_eq!(
        basic["response"]["cookies"],
        serde_json::json!([{"name": "sid", "value": "[redacted]", "path": "/", "httpOnly": true}])
    );
    assert_eq!(basic["response"]["content"]["mimeType"], "text/plain");
    assert_eq!(basic["response"]["content"]["size"], 28);
    assert_eq!(basic["serverIPAddress"], "127.0.0.1");
    // The first request to the origin ran the pre-flight: its DNS is not applicable (an IP
    // literal), its connect measured; the later ones reuse nothing measured.
    assert_eq!(entries[0]["timings"]["dns"], -1.0);
    assert!(entries[0]["timings"]["connect"].as_f64().unwrap() >= 0.0);
    assert_eq!(entries[1]["timings"]["connect"], -1.0);
    assert_eq!(entries[0]["timings"]["ssl"], -1.0);

    // The HAR lists the headers the server really received, by name, in its order.
    let received = srv.received();
    let sent = received.last().unwrap();
    assert!(
        sent.header("authorization").is_some(),
        "the password was sent"
    );
    let names = |hs: &[(String, String)]| -> Vec<String> {
        hs.iter().map(|(n, _)| n.to_ascii_lowercase()).collect()
    };
    let in_har: Vec<String> = basic["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    let mut want = names(&sent.headers);
    let mut have = in_har.clone();
    want.sort();
    have.sort();
    assert_eq!(have, want, "HAR {in_har:?} vs wire {:?}", sent.headers);

    let sent_auth = sent.header("authorization").unwrap().to_string();
    for secret in [
        long.as_str(),
        sent_auth.as_str(),
        sent_auth.trim_start_matches("Basic "),
        "query-tok-77aa",
        "loc-tok-5e1d",
        "server-cookie-9c4b",
    ] {
        assert!(!text.contains(secret), "the HAR holds {secret:?}:\n{text}");
    }

    // A password that is an ordinary word of the realm, or the status, changes nothing.
    for short in ["is", "401"] {
        let other = validate(&run_basic(&env, &srv, short, &file));
        assert_eq!(
            masked(&other),
            masked(&har),
            "the HAR depends on the password {short:?}"
        );
    }
}

#[test]
fn har_hides_a_bearer_token_and_cookie_values_the_person_gave() {
    let srv = Server::http(|_, _| respond(401, &[("WWW-Authenticate", b"Bearer")], b""));
    let env = TestEnv::new();
    let file = env.data_dir().join("bearer.har");
    let token = random_secret("tok");
    let cookie_value = random_secret("ck");
    let url = srv.url("/api");
    env.cmd([
        "diagnose",
        "--bearer-stdin",
        "--cookie-stdin",
        "--no-proxy",
        &url,
        "--har",
        file.to_str().unwrap(),
    ])
    .stdin(format!("{token}\nsession={cookie_value}; lang=en\n"))
    .run()
    .code(1);
    let text = std::fs::read_to_string(&file).unwrap();
    let har = validate(&text);
    let got = srv.received();
    assert!(
        got[0].header("authorization").unwrap().contains(&token)
            && got[0].header("cookie").unwrap().contains(&cookie_value),
        "both were sent: the test would prove nothing"
    );
    assert!(!text.contains(&token), "{text}");
    assert!(!text.contains(&cookie_value), "{text}");
    let request = &har["log"]["entries"][0]["request"];
    assert_eq!(
        request["cookies"],
        serde_json::json!([{"name": "session", "value": "[redacted]"},
                           {"name": "lang", "value": "[redacted]"}])
    );
    let header = |name: &str| {
        request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .map(|h| h["value"].clone())
    };
    assert_eq!(header("authorization"), Some("[redacted]".into()));
    assert_eq!(
        header("cookie"),
        Some("session=[redacted]; lang=[redacted]".into())
    );
    let title = har["log"]["pages"][0]["title"].as_str().unwrap();
    assert!(title.contains("bearer and cookie"), "{title}");
}

#[test]
fn har_of_a_redirect_chain_has_one_entry_per_hop_in_order() {
    let srv = Server::http(|req, _| match req.target.as_str() {
        "/a" => respond(301, &[("Location", b"/b")], b""),
        "/b" => respond(302, &[("Location", b"/c?code=oauth-code-3f9e&x=1")], b""),
        _ => respond(200, &[("Content-Type", b"text/html")], b"<p>hello</p>"),
    });
    let env = TestEnv::new();
    let file = env.data_dir().join("chain.har");
    env.cmd([
        "diagnose",
        "--no-proxy",
        &srv.url("/a"),
        "--har",
        file.to_str().unwrap(),
    ])
    .run()
    .code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    let har = validate(&text);
    let entries = har["log"]["entries"].as_array().unwrap();
    let c = srv.url("/c?code=REDACTED&x=1");
    let chain: Vec<(&str, u64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["request"]["url"].as_str().unwrap(),
                e["response"]["status"].as_u64().unwrap(),
                e["response"]["redirectURL"].as_str().unwrap(),
            )
        })
        .collect();
    let (a, b) = (srv.url("/a"), srv.url("/b"));
    assert_eq!(
        chain,
        [
            (a.as_str(), 301, b.as_str()),
            (b.as_str(), 302, c.as_str()),
            (c.as_str(), 200, "")
        ]
    );
    assert!(!text.contains("oauth-code-3f9e"), "{text}");
    let last = &entries[2];
    assert_eq!(last["response"]["content"]["size"], 12);
    assert_eq!(last["response"]["httpVersion"], "HTTP/1.1");
    assert_eq!(last["request"]["method"], "GET");
    // Entries follow one another in time, each within its page.
    let started: Vec<&str> = entries
        .iter()
        .map(|e| e["startedDateTime"].as_str().unwrap())
        .collect();
    let mut sorted = started.clone();
    sorted.sort();
    assert_eq!(started, sorted);
    assert!(
        entries
            .iter()
            .all(|e| e["pageref"] == entries[0]["pageref"])
    );
    assert!(
        entries
            .iter()
            .all(|e| e["time"].as_f64().unwrap() >= e["timings"]["wait"].as_f64().unwrap())
    );
}

#[test]
fn a_bad_place_for_the_har_is_a_clear_error_before_anything_runs() {
    let srv = Server::http(|_, _| respond(200, &[], b"ok"));
    let env = TestEnv::new();
    let missing = env.data_dir().join("no/such/folder/x.har");
    let out = env
        .cmd([
            "diagnose",
            &srv.url("/"),
            "--har",
            missing.to_str().unwrap(),
        ])
        .run()
        .code(2);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    // /proc takes no new files, even from root.
    let out = env
        .cmd(["diagnose", &srv.url("/"), "--har", "/proc/fix401-test.har"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("cannot write in the folder /proc"),
        "{}",
        out.stderr
    );
    let dir = env.data_dir();
    let out = env
        .cmd(["diagnose", &srv.url("/"), "--har", dir.to_str().unwrap()])
        .run()
        .code(2);
    assert!(out.stderr.contains("give a file name"), "{}", out.stderr);
    let out = env
        .cmd([
            "fix",
            "--yes",
            &srv.url("/"),
            "--har",
            missing.to_str().unwrap(),
        ])
        .run()
        .code(2);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(srv.received().is_empty(), "nothing was re-tested");

    // A run that fails after the file was opened leaves nothing behind, half-written or not.
    let folder = env.data_dir().join("hars");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("x.har");
    env.cmd([
        "diagnose",
        &srv.url("/"),
        "--timeout",
        "0",
        "--har",
        file.to_str().unwrap(),
    ])
    .run()
    .code(2);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[test]
fn har_of_a_fix_holds_before_the_cookie_test_and_after_without_cookie_values() {
    let site = StaleCookieSite::start();
    let (env, dns) = crate::support::chromium_home_with_stale_cookie(&site);
    let file = env.data_dir().join("fix.har");
    let out = crate::support::fix_stale_site(&env, &dns, &site, &["--har", file.to_str().unwrap()]);
    let report = out.json();
    assert_eq!(out.code, Some(0), "{report:#}\n{}", out.stderr);
    assert_eq!(report["proof"]["outcome"], "stale_proven");
    let text = std::fs::read_to_string(&file).unwrap();
    let har = validate(&text);
    assert!(!text.contains("stale-session"), "{text}");

    let pages = har["log"]["pages"].as_array().unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    let status_of = |page: &serde_json::Value| -> Vec<u64> {
        entries
            .iter()
            .filter(|e| e["pageref"] == page["id"])
            .map(|e| e["response"]["status"].as_u64().unwrap())
            .collect()
    };
    // Before the fix the page works without cookies (200); the cookie test sends the
    // browser's cookies and gets the 401; after the clear it works again.
    let with_cookies: Vec<&serde_json::Value> = pages
        .iter()
        .filter(|p| p["title"].as_str().unwrap().contains("with cookie"))
        .collect();
    assert_eq!(with_cookies.len(), 1, "{pages:#?}");
    assert_eq!(status_of(with_cookies[0]), [401]);
    let cookie_entry = entries
        .iter()
        .find(|e| e["pageref"] == with_cookies[0]["id"])
        .unwrap();
    let mut names: Vec<&str> = cookie_entry["request"]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["value"], "[redacted]");
            c["name"].as_str().unwrap()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["sid", "theme"]);
    let first = &pages[0];
    let last = pages.last().unwrap();
    assert_eq!(status_of(first), [200], "{pages:#?}");
    assert_eq!(status_of(last), [200]);
    assert!(
        pages.len() >= 3,
        "before, the cookie test and after: {pages:#?}"
    );
    assert!(
        last["startedDateTime"].as_str() > with_cookies[0]["startedDateTime"].as_str(),
        "the re-test after the fix comes after the cookie test"
    );
}

/// The HAR importer of the DevTools front end bundled with Chromium (the code behind the
/// Network panel's "Import HAR file"), run in headless Chromium on the HAR fix401 wrote.
#[test]
fn devtools_in_headless_chromium_imports_the_har() {
    let srv = always_401();
    let env = TestEnv::new();
    let file = env.data_dir().join("devtools.har");
    let text = run_basic(&env, &srv, &random_secret("Lp"), &file);
    let har = validate(&text);

    let mut session = Chromium::new(&env.home()).session();
    session.navigate("devtools://devtools/bundled/devtools_app.html");
    let script = format!(
        "import('./models/har/har.js').then(m => {{
            const root = new m.HARFormat.HARRoot(JSON.parse({har}));
            return m.Importer.Importer.requestsFromHARLog(root.log).map(r => ({{
                url: r.url(), status: r.statusCode, method: r.requestMethod,
                headers: r.requestHeaders().map(h => h.name),
                remote: r.remoteAddress(), mime: r.mimeType ?? null,
                wait: r.timing ? r.timing.receiveHeadersEnd - r.timing.sendEnd : null,
            }}));
        }})",
        har = serde_json::to_string(&text).unwrap()
    );
    let imported = session.evaluate(&script);
    session.close();

    let entries = har["log"]["entries"].as_array().unwrap();
    let imported = imported
        .as_array()
        .expect("the importer returns the requests");
    assert_eq!(imported.len(), entries.len(), "{imported:#?}");
    let remote = format!("127.0.0.1:{}", srv.addr.port());
    for (got, e) in imported.iter().zip(entries) {
        assert_eq!(got["url"], e["request"]["url"]);
        assert_eq!(got["status"], e["response"]["status"]);
        assert_eq!(got["method"], "GET");
        assert_eq!(got["remote"], remote.as_str());
        let names: Vec<&serde_json::Value> = e["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["name"])
            .collect();
        assert_eq!(
            got["headers"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            names
        );
        let wait = got["wait"].as_f64().expect("DevTools read the timings");
        assert!(
            (wait - e["timings"]["wait"].as_f64().unwrap()).abs() < 0.01,
            "{got} vs {e}"
        );
    }
    assert_eq!(imported[2]["mime"], "text/plain");
}
