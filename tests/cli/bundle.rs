//! `fix401 bundle URL --out FILE.zip`: one zip for a support ticket, holding the reports,
//! the HAR and `environment.json`, with no secret and no home-directory user name in any
//! entry.

use std::io::Read;

use crate::support::homes::{self, Os};
use crate::support::http::{Server, respond};

const ENTRIES: [&str; 5] = [
    "report.md",
    "report.html",
    "report.json",
    "requests.har",
    "environment.json",
];

/// Every entry of the zip at `path`, by name, in order.
fn unzip(path: &std::path::Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let name = entry.name().unwrap().into_owned();
            assert_eq!(
                entry.compression(),
                zip::CompressionMethod::Deflated,
                "{name}"
            );
            let mut body = String::new();
            entry.read_to_string(&mut body).unwrap();
            (name, body)
        })
        .collect()
}

#[test]
fn bundle_holds_reports_har_and_environment_without_secrets_or_the_user_name() {
    let srv = Server::http(|_, _| {
        respond(
            401,
            &[("WWW-Authenticate", b"Basic realm=\"intranet\"")],
            b"no",
        )
    });
    let env = homes::env(Os::Linux);
    homes::chromium_profile(&env, Os::Linux, "chromium", "Default")
        .named("Work", "jdoe@corp.example");
    let password = crate::har::random_secret("Pw");
    let cookie_value = crate::har::random_secret("ck");
    let out_file = env.data_dir().join("support.zip");
    let url = format!(
        "http://alice:{password}@127.0.0.1:{}/app?token=url-tok-81f2",
        srv.addr.port()
    );
    let out = env
        .cmd([
            "--json",
            "bundle",
            "--user",
            "alice",
            "--password-stdin",
            "--cookie-stdin",
            "--no-proxy",
            &url,
            "--out",
            out_file.to_str().unwrap(),
        ])
        .stdin(format!("{password}\nsid={cookie_value}\n"))
        .run()
        .code(1);
    let printed = out.json();
    assert_eq!(printed["path"], out_file.to_str().unwrap());
    assert_eq!(printed["contents"], serde_json::json!(ENTRIES));
    assert_eq!(printed["verdict"], "unauthorized");
    let received = srv.received();
    assert!(
        received.iter().any(|r| r.header("authorization").is_some())
            && received.iter().any(|r| r.header("cookie").is_some()),
        "the secrets were sent: the test would prove nothing"
    );

    let entries = unzip(&out_file);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ENTRIES);
    let home = env.home().display().to_string();
    // The temporary machine's own folder name stands for the account name in a real home.
    let account = env
        .home()
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for (name, body) in &entries {
        for secret in [
            password.as_str(),
            cookie_value.as_str(),
            "url-tok-81f2",
            home.as_str(),
            account.as_str(),
            "jdoe@corp.example",
        ] {
            assert!(!body.contains(secret), "{name} holds {secret:?}:\n{body}");
        }
    }
    let body = |n: &str| &entries.iter().find(|(name, _)| name == n).unwrap().1;
    let report: serde_json::Value = serde_json::from_str(body("report.json")).unwrap();
    assert_eq!(report["verdict"], "unauthorized");
    assert!(body("report.md").contains("401"));
    assert!(body("report.html").contains("<html"));
    let har = crate::har::validate(body("requests.har"));
    assert!(!har["log"]["entries"].as_array().unwrap().is_empty());

    let environment: serde_json::Value = serde_json::from_str(body("environment.json")).unwrap();
    assert_eq!(environment["os"], "linux");
    assert_eq!(environment["fix401_version"], env!("CARGO_PKG_VERSION"));
    let chromium = environment["browsers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "chromium")
        .unwrap_or_else(|| panic!("{environment:#}"));
    assert_eq!(
        chromium["profiles"],
        serde_json::json!([{"name": "Work", "dir": "~/.config/chromium/Default"}])
    );
    for key in ["resolvers", "routes", "browser_routes", "config"] {
        assert!(environment.get(key).is_some(), "{key}: {environment:#}");
    }
}

#[test]
fn bundle_to_a_bad_place_is_a_clear_error_before_anything_runs() {
    let srv = Server::http(|_, _| respond(200, &[], b"ok"));
    let env = homes::env(Os::Linux);
    let missing = env.data_dir().join("nowhere/support.zip");
    let out = env
        .cmd(["bundle", &srv.url("/"), "--out", missing.to_str().unwrap()])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("--out") && out.stderr.contains("does not exist"),
        "{}",
        out.stderr
    );
    assert!(srv.received().is_empty());
    let out = env
        .cmd([
            "--json",
            "bundle",
            &srv.url("/"),
            "--out",
            "/proc/support.zip",
        ])
        .run()
        .code(2);
    assert_eq!(out.json()["error"]["code"], "bad_input");
}

#[test]
fn bundle_of_a_working_page_exits_0_like_diagnose() {
    let srv = Server::http(|_, _| respond(200, &[("Content-Type", b"text/html")], b"<p>hi</p>"));
    let env = homes::env(Os::Linux);
    let out_file = env.data_dir().join("ok.zip");
    let out = env
        .cmd([
            "bundle",
            "--no-proxy",
            &srv.url("/"),
            "--out",
            out_file.to_str().unwrap(),
        ])
        .run()
        .code(0);
    assert!(out.stdout.contains("Saved for support:"), "{}", out.stdout);
    let names: Vec<String> = unzip(&out_file).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ENTRIES);
}
