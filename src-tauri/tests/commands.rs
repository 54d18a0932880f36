//! The app's commands on Tauri's mock runtime: arguments, `{code, message}` errors and the
//! progress events sent through the channel, against real loopback HTTP servers.

mod support;
use support::{server, server_with};

use std::sync::{Arc, Mutex};

use fix401_app::{AppState, StartArgs, commands, parse_args, system_for, url_from_deep_link};
use tauri::Manager;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::test::{MockRuntime, mock_context, noop_assets};

fn app(home: &std::path::Path) -> tauri::App<MockRuntime> {
    let args = StartArgs {
        home: Some(home.to_path_buf()),
        ..StartArgs::default()
    };
    let sys = system_for(&args).expect("system");
    fix401_app::builder::<MockRuntime>(AppState::new(sys, Some("http://127.0.0.1:1/".into())))
        .build(mock_context(noop_assets()))
        .expect("mock app")
}

/// A channel that keeps every event as JSON.
fn recorder() -> (
    Channel<fix401::api::Event>,
    Arc<Mutex<Vec<serde_json::Value>>>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let ch = Channel::new(move |body| {
        if let InvokeResponseBody::Json(j) = body {
            s.lock()
                .unwrap()
                .push(serde_json::from_str(&j).unwrap_or_default());
        }
        Ok(())
    });
    (ch, seen)
}

#[test]
fn check_reports_401_and_streams_progress() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    let url = server(401);
    let (ch, seen) = recorder();
    let report = tauri::async_runtime::block_on(commands::check(app.state(), url, ch)).unwrap();
    assert_eq!(report.status, Some(401));
    assert_eq!(report.verdict, "unauthorized");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.cause.id() == "credentials.missing")
    );
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.first().unwrap()["event"], "started");
    assert_eq!(events.first().unwrap()["step"], "diagnose");
    assert_eq!(events.last().unwrap()["event"], "done");
    // The report can now be copied (saving asks with a dialog: the e2e test drives it).
    let text = commands::report_text(app.state()).unwrap();
    assert!(text.contains("401"), "{text}");
}

#[test]
fn check_of_a_working_page_says_ok() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    let (ch, _) = recorder();
    let report =
        tauri::async_runtime::block_on(commands::check(app.state(), server(200), ch)).unwrap();
    assert_eq!(report.verdict, "ok");
}

#[test]
fn errors_reach_the_page_as_code_and_message() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    // Nothing checked yet: copying a report is bad input with a clear message.
    let err = commands::report_text(app.state()).unwrap_err();
    assert_eq!(err.code, "bad_input");
    assert!(err.message.contains("Check"), "{}", err.message);
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "bad_input");
    // A URL that cannot be used is refused by flush-and-retry before anything runs.
    let (ch, seen) = recorder();
    let err = tauri::async_runtime::block_on(commands::flush_dns_retry(
        app.state(),
        "http://".into(),
        ch,
    ))
    .unwrap_err();
    assert_eq!(err.code, "bad_input");
    assert!(seen.lock().unwrap().is_empty());
    // With no backup the window offers no Undo; pressed anyway, it is an error, not a panic.
    let offered = tauri::async_runtime::block_on(commands::undo_available(app.state())).unwrap();
    assert!(offered.is_none());
    let err = tauri::async_runtime::block_on(commands::undo(app.state())).unwrap_err();
    assert!(!err.message.is_empty());
    // Only web pages are opened in the browser: anything else never starts a program.
    for url in ["file:///etc/passwd", "javascript:alert(1)"] {
        let r = tauri::async_runtime::block_on(commands::open_page(app.state(), url.into()));
        assert!(r.map(|o| !o.ok).unwrap_or(true), "{url}");
    }
    // Restarting the browser for an unusable address closes nothing.
    let err =
        tauri::async_runtime::block_on(commands::restart_browsers(app.state(), "http://".into()))
            .unwrap_err();
    assert_eq!(err.code, "bad_input");
    // Closing a browser that is not installed is bad input.
    let err = tauri::async_runtime::block_on(commands::close_browsers(
        app.state(),
        vec!["netscape".into()],
    ))
    .unwrap_err();
    assert_eq!(err.code, "bad_input");
}

#[test]
fn startup_url_is_handed_over_once() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    assert_eq!(
        commands::startup_url(app.state()).as_deref(),
        Some("http://127.0.0.1:1/")
    );
    assert_eq!(commands::startup_url(app.state()), None);
}

#[test]
fn empty_home_lists_no_browsers_and_plans_nothing() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    let list = tauri::async_runtime::block_on(commands::list_browsers(app.state())).unwrap();
    assert!(list.is_empty(), "{list:?}");
    let plan = tauri::async_runtime::block_on(commands::site_plan(
        app.state(),
        "https://intranet.example.com/login".into(),
    ))
    .unwrap();
    assert!(plan.profiles.is_empty());
    assert_eq!(plan.total_cookies, 0);
    let err = tauri::async_runtime::block_on(commands::site_plan(app.state(), "http://".into()))
        .unwrap_err();
    assert_eq!(err.code, "bad_input");
    // A public suffix is never a site: the window gets the reason and what to type instead.
    for url in ["https://github.io/", "http://co.uk/x"] {
        let err = tauri::async_runtime::block_on(commands::site_plan(app.state(), url.into()))
            .unwrap_err();
        assert_eq!(err.code, "bad_input", "{url}");
        assert!(err.message.contains("public suffix"), "{}", err.message);
    }
}

#[test]
fn arguments_and_deep_links() {
    let none = |_: &str| None;
    let a = parse_args(
        [
            "--url",
            "http://127.0.0.1:8080/x",
            "--dns-server=127.0.0.1:5353",
        ]
        .map(String::from),
        none,
    )
    .unwrap();
    assert_eq!(a.url.as_deref(), Some("http://127.0.0.1:8080/x"));
    assert_eq!(a.dns_server, Some("127.0.0.1:5353".parse().unwrap()));
    let a = parse_args(
        ["fix401://check?url=http%3A%2F%2F127.0.0.1%3A9%2Fa%3Fb%3Dc".to_string()],
        none,
    )
    .unwrap();
    assert_eq!(a.url.as_deref(), Some("http://127.0.0.1:9/a?b=c"));
    assert_eq!(url_from_deep_link("fix401://other?url=x"), None);
    assert_eq!(url_from_deep_link("https://check?url=x"), None);
    let err = parse_args(["--dns-server".to_string(), "nope".into()], none).unwrap_err();
    assert_eq!(err.code, "bad_input");
    let err = parse_args(["--url".to_string()], none).unwrap_err();
    assert!(err.message.contains("--url"));
    let env = |k: &str| (k == "FIX401_HOME").then(|| "/tmp/x".to_string());
    assert_eq!(
        parse_args(Vec::new(), env).unwrap().home.as_deref(),
        Some(std::path::Path::new("/tmp/x"))
    );
    let missing = StartArgs {
        home: Some("/nonexistent/fix401-home".into()),
        ..StartArgs::default()
    };
    assert_eq!(system_for(&missing).unwrap_err().code, "bad_input");
}

#[test]
fn help_desk_settings_reach_the_page_and_are_honoured() {
    let home = tempfile::tempdir().unwrap();
    let reports = home.path().join("tickets");
    let dir = home.path().join(".config/fix401");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "urls = [\"https://intranet.example.com/\"]\ndisabled_actions = [\"flush-dns\"]\n\
             reports_dir = {:?}\n[support]\nname = \"IT Desk\"\nphone = \"+1 555 0100\"\n",
            reports.display().to_string()
        ),
    )
    .unwrap();
    let app = app(home.path());
    let s = serde_json::to_value(commands::settings(app.state()).unwrap()).unwrap();
    assert_eq!(s["urls"][0], "https://intranet.example.com/");
    assert_eq!(s["disabled_actions"][0], "flush-dns");
    assert_eq!(s["support"]["name"], "IT Desk");
    assert_eq!(s["support"]["phone"], "+1 555 0100");

    // A disabled action is refused before anything runs, with words for the person.
    let (ch, seen) = recorder();
    let err =
        tauri::async_runtime::block_on(commands::flush_dns_retry(app.state(), server(200), ch))
            .unwrap_err();
    assert_eq!(err.code, "refused");
    assert!(err.message.contains("help desk"), "{}", err.message);
    assert!(seen.lock().unwrap().is_empty());

    // Reports go where the help desk wants them.
    let (ch, _) = recorder();
    tauri::async_runtime::block_on(commands::check(app.state(), server(401), ch)).unwrap();
    let saved =
        tauri::async_runtime::block_on(commands::save_report(app.handle().clone(), app.state()))
            .unwrap()
            .expect("saved without asking");
    assert!(saved.starts_with(&reports.display().to_string()), "{saved}");
    assert!(saved.ends_with(".md"), "{saved}");
    assert!(std::fs::read_to_string(&saved).unwrap().contains("401"));
}

#[test]
fn a_bad_configuration_file_is_an_error_naming_its_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".config/fix401");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "urls = []\ndisabled_actions = [\"reboot\"]\n",
    )
    .unwrap();
    let app = app(home.path());
    let err = commands::settings(app.state()).unwrap_err();
    assert_eq!(err.code, "bad_file");
    assert!(err.message.contains("line 2"), "{}", err.message);
}

/// One loopback answer per cause the check command can meet on loopback, and the cause that
/// must lead its report.
fn answers() -> Vec<(String, &'static str)> {
    let far_past = "Date: Sat, 01 Jan 2000 00:00:00 GMT\r\n";
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}/")
    };
    let looping = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/a", l.local_addr().unwrap());
        let to = url.clone();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for mut s in l.incoming().flatten() {
                let _ = s.read(&mut [0u8; 4096]);
                let _ = write!(
                    s,
                    "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        url
    };
    vec![
        (server(401), "credentials.missing"),
        (
            server_with(
                401,
                "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"\r\n",
            ),
            "token.expired",
        ),
        (
            server_with(
                401,
                "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"\r\n",
            ),
            "token.invalid",
        ),
        (server_with(401, ""), "server.misconfigured"),
        (server(403), "permission.denied"),
        (server(407), "proxy.auth_required"),
        (server(404), "url.not_found"),
        (server(503), "server.error"),
        // A 200 with no browser holding anything for the site: nothing to blame (issue 13.5);
        // the report says what was tested instead.
        (server(200), ""),
        (server_with(401, far_past), "clock.skew"),
        (closed, "network.unreachable"),
        (looping, "redirect.loop"),
        ("http://".to_string(), "url.invalid"),
    ]
}

#[test]
fn the_check_command_carries_the_cores_one_headline_for_each_cause() {
    use fix401::diagnosis::{Stage, outcome};
    use fix401::model::Cause;
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    for (url, cause) in answers() {
        let (ch, seen) = recorder();
        let report =
            tauri::async_runtime::block_on(commands::check(app.state(), url.clone(), ch)).unwrap();
        let o = &report.outcome;
        if cause.is_empty() {
            assert_eq!(o.cause, None, "{url}: {report:#?}");
            assert!(report.works_from_here.is_some(), "{url}: {report:#?}");
        } else {
            assert_eq!(o.cause.map(Cause::id), Some(cause), "{url}: {report:#?}");
        }
        // The one core function, applied to the findings the command returned, says the same.
        let again = outcome(&report.findings, Stage::Checked(report.verdict));
        assert_eq!(&again, o, "{url}");
        // The CLI's first line, the JSON headline and the report are the same text.
        assert_eq!(
            report.to_text(false).lines().next(),
            Some(o.headline.as_str())
        );
        assert_eq!(report.headline, o.headline, "{url}");
        assert!(report.to_markdown().contains(&o.headline), "{url}");
        // What the page receives: the outcome as JSON, words never an id.
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["headline"], json["outcome"]["headline"], "{url}");
        let words = json["outcome"]["verdict_words"].as_str().unwrap();
        assert!(
            !words.is_empty()
                && words != report.verdict
                && (cause.is_empty() || !words.contains(cause)),
            "{url}: {words}"
        );
        // The progress line ends with the same sentence.
        let events = seen.lock().unwrap().clone();
        assert_eq!(
            events.last().unwrap()["message"],
            o.headline.as_str(),
            "{url}"
        );
        let copied = commands::report_text(app.state()).unwrap();
        assert!(
            copied.contains(&o.headline),
            "{url}: the copied report says it too"
        );
    }
}

#[test]
fn an_expired_bearer_token_is_said_the_same_in_every_face() {
    let home = tempfile::tempdir().unwrap();
    let app = app(home.path());
    let url = server_with(
        401,
        "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"\r\n",
    );
    let (ch, _) = recorder();
    let report = tauri::async_runtime::block_on(commands::check(app.state(), url, ch)).unwrap();
    assert_eq!(report.verdict, "unauthorized");
    assert_eq!(report.outcome.verdict_words, "Your sign-in has expired");
    assert!(
        report.headline.starts_with("Your sign-in has expired"),
        "{}",
        report.headline
    );
    assert!(!report.outcome.verdict_words.contains("login is needed"));
}
