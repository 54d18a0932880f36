//! Re-testing as the browser does: a real Squid on loopback (asking for a Basic login),
//! PAC files served from loopback, Firefox profiles made by real Firefox ESR, and GNOME's
//! proxy settings written by real `gsettings` (keyfile backend) in the temporary home.

use serde_json::Value;

use crate::support::TestEnv;
use crate::support::http::{Server, closed_port, respond};
use crate::support::proxy::{
    Squid, SquidConfig, firefox_profile, manual_proxy_prefs, pac_prefs, pac_server, site,
    socks_proxy_prefs,
};
use crate::support::tls::ca_signed;

const ALICE: (&str, &str) = ("alice", "w0nderl4nd-s3cret");

fn authed_squid() -> Squid {
    Squid::start(&SquidConfig {
        users: &[ALICE],
        ..SquidConfig::default()
    })
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

fn text_of(f: &Value) -> String {
    let mut s = f["summary"].as_str().unwrap().to_string();
    for e in f["evidence"].as_array().unwrap() {
        s.push('\n');
        s.push_str(e.as_str().unwrap());
    }
    s
}

/// A temporary home with one Firefox profile `name` that holds `prefs` ([`firefox_profile`]).
fn home_with_firefox(name: &str, prefs: &[(&str, String)]) -> TestEnv {
    let env = TestEnv::new();
    firefox_profile(&env.home(), name, prefs);
    env
}

/// `fix401 [global options] --json diagnose URL`, which must exit with `code`: its report.
fn diagnose(env: &TestEnv, global: &[&str], url: &str, code: i32) -> Value {
    let mut args: Vec<&str> = global.to_vec();
    args.extend(["--json", "diagnose", url]);
    env.cmd(args).run().code(code).json()
}

/// `fix401 diagnose URL` (the text report), which must exit with `code`.
fn diagnose_text(env: &TestEnv, url: &str, code: i32) -> String {
    env.cmd(["diagnose", url]).run().code(code).stdout
}

/// The label of the one browser route of the report.
fn only_browser(v: &Value) -> &Value {
    let b = v["browser_routes"].as_array().expect("browser_routes");
    assert_eq!(b.len(), 1, "{v:#}");
    &b[0]
}

#[test]
fn a_manual_proxy_asking_for_a_login_is_what_the_browser_gets_not_the_direct_200() {
    let squid = authed_squid();
    let page = site();
    let env = home_with_firefox("work", &manual_proxy_prefs("127.0.0.1", squid.port, ""));
    let out = env
        .cmd(["--json", "diagnose", &page.url("/app")])
        .run()
        .code(1);
    let v = out.json();
    assert_eq!(v["verdict"], "proxy_auth_required", "{v:#}");
    assert_eq!(
        causes(&v)[0],
        "proxy.auth_required",
        "the proxy finding stands first"
    );
    assert!(
        !causes(&v).contains(&"site_data.stale".to_string()),
        "{v:#}"
    );
    let f = text_of(finding(&v, "proxy.auth_required"));
    assert!(f.contains(&squid.host_port()), "{f}");
    assert!(
        f.contains("Firefox") && f.contains("work"),
        "names the browser: {f}"
    );
    assert!(f.contains("Basic"), "{f}");
    let headline = v["headline"].as_str().unwrap();
    assert!(headline.contains("wants its own login"), "{headline}");
    // Direct and the browser's route were both re-tested.
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{v:#}");
    assert_eq!(routes[0]["route"]["kind"], "direct");
    assert_eq!(routes[0]["outcome"], "HTTP 200");
    assert_eq!(
        routes[1]["route"]["proxy"],
        format!("http://{}", squid.host_port())
    );
    assert_eq!(routes[1]["outcome"], "HTTP 407");
    assert_eq!(only_browser(&v)["route"]["kind"], "proxy");
    assert!(squid.logged("TCP_DENIED/407"), "{}", squid.access_log());

    // With the proxy login (from standard input) the browser's route works too.
    let out = env
        .cmd([
            "--json",
            "diagnose",
            "--proxy-user",
            ALICE.0,
            "--proxy-password-stdin",
            &page.url("/app"),
        ])
        .stdin(format!("{}\n", ALICE.1))
        .run()
        .code(0);
    assert!(!out.stdout.contains(ALICE.1) && !out.stderr.contains(ALICE.1));
    let v = out.json();
    assert_eq!(v["verdict"], "ok", "{v:#}");
    assert_eq!(v["routes"][1]["outcome"], "HTTP 200");
    assert!(squid.logged(" alice "), "{}", squid.access_log());
    // The text report shows each browser's route.
    let text = diagnose_text(&env, &page.url("/app"), 1);
    assert!(
        text.contains("Routes:")
            && text.contains(&format!("proxy {}: HTTP 407", squid.host_port())),
        "{text}"
    );
}

#[test]
fn a_pac_file_choosing_the_proxy_is_evaluated_and_followed() {
    let squid = authed_squid();
    let page = site();
    let pac = pac_server(&format!(
        "function FindProxyForURL(url, host) {{\n\
           if (dnsDomainIs(host, \".intranet.example\")) return \"DIRECT\";\n\
           if (isInNet(host, \"127.0.0.0\", \"255.0.0.0\")) return \"PROXY {}; DIRECT\";\n\
           return \"DIRECT\";\n}}\n",
        squid.host_port()
    ));
    let env = home_with_firefox("pac", &pac_prefs(&pac.url("/proxy.pac")));
    let v = diagnose(&env, &[], &page.url("/"), 1);
    assert_eq!(causes(&v)[0], "proxy.auth_required", "{v:#}");
    let b = only_browser(&v);
    assert!(
        b["setting"].as_str().unwrap().starts_with("PAC file"),
        "{b:#}"
    );
    let how = b["how"].to_string();
    assert!(
        how.contains(&format!("PROXY {}; DIRECT", squid.host_port())),
        "{how}"
    );
    assert!(squid.logged("TCP_DENIED/407"));
}

#[test]
fn a_pac_file_choosing_direct_leaves_the_direct_answer() {
    let squid = authed_squid();
    let page = site();
    let pac = pac_server(
        "function FindProxyForURL(url, host) { return isPlainHostName(host) ? 'PROXY 127.0.0.1:9' : 'DIRECT'; }",
    );
    let env = home_with_firefox("pacdirect", &pac_prefs(&pac.url("/proxy.pac")));
    let v = diagnose(&env, &[], &page.url("/"), 0);
    assert_eq!(v["verdict"], "ok", "{v:#}");
    assert_eq!(only_browser(&v)["route"]["kind"], "direct");
    assert_eq!(
        v["routes"].as_array().unwrap().len(),
        1,
        "one distinct route: direct"
    );
    assert!(
        !squid.access_log().contains("GET"),
        "nothing went through the proxy"
    );
}

#[test]
fn the_pac_dns_helpers_ask_the_resolver_the_re_test_asks() {
    let page = site();
    let dead = closed_port();
    // Only this name server knows the name: the OS resolver would say it does not exist.
    let dns = crate::support::dns::UpstreamDns::start();
    dns.set(
        "proxy-here.corp.test",
        std::net::Ipv4Addr::new(127, 0, 0, 7),
    );
    let pac = pac_server(&format!(
        "function FindProxyForURL(url, host) {{\n\
           if (dnsResolve(\"proxy-here.corp.test\") == \"127.0.0.7\" && isResolvable(\"proxy-here.corp.test\"))\n\
             return \"PROXY 127.0.0.1:{dead}\";\n\
           return \"DIRECT\";\n}}\n"
    ));
    let env = home_with_firefox("pacdns", &pac_prefs(&pac.url("/proxy.pac")));
    let v = diagnose(
        &env,
        &["--dns-server", &dns.addr.to_string()],
        &page.url("/"),
        1,
    );
    let b = only_browser(&v);
    assert_eq!(
        b["route"]["proxy"],
        format!("http://127.0.0.1:{dead}"),
        "{b:#}"
    );
    assert_eq!(causes(&v)[0], "proxy.unreachable", "{v:#}");
}

#[test]
fn a_pac_file_with_a_syntax_error_is_a_finding_with_the_scripts_error() {
    let page = site();
    let pac =
        pac_server("function FindProxyForURL(url, host) {\n  return \"PROXY 127.0.0.1:3128\"\n");
    let env = home_with_firefox("broken", &pac_prefs(&pac.url("/proxy.pac")));
    let out = env
        .cmd(["--json", "diagnose", &page.url("/")])
        .run()
        .code(1);
    let v = out.json();
    assert_eq!(v["verdict"], "proxy_pac_error", "{v:#}");
    let f = text_of(finding(&v, "proxy.pac_error"));
    assert!(
        f.contains("does not load: unexpected token") && f.contains(":3:"),
        "the script's own error and line: {f}"
    );
    assert!(
        f.contains(&pac.url("/proxy.pac")) && f.contains("Firefox (broken)"),
        "{f}"
    );
}

#[test]
fn a_dead_proxy_is_the_proxys_fault_never_the_sites() {
    let page = site();
    let dead = closed_port();
    let env = home_with_firefox("dead", &manual_proxy_prefs("127.0.0.1", dead, ""));
    let v = diagnose(&env, &[], &page.url("/"), 1);
    assert_eq!(v["verdict"], "proxy_unreachable", "{v:#}");
    assert_eq!(causes(&v)[0], "proxy.unreachable");
    assert!(
        !causes(&v).contains(&"network.unreachable".to_string()),
        "{v:#}"
    );
    let f = text_of(finding(&v, "proxy.unreachable"));
    assert!(
        f.contains(&format!("127.0.0.1:{dead}")) && f.contains("refusing connections"),
        "{f}"
    );
    assert!(f.contains("not at fault"), "{f}");

    // The same dead proxy as fix401's own route (--proxy) is named the same way.
    let v = env
        .cmd([
            "--json",
            "diagnose",
            "--proxy",
            &format!("http://127.0.0.1:{dead}"),
            &page.url("/"),
        ])
        .run()
        .code(1)
        .json();
    assert_eq!(causes(&v)[0], "proxy.unreachable", "{v:#}");
    assert!(
        !causes(&v).contains(&"network.unreachable".to_string()),
        "{v:#}"
    );
}

#[test]
fn hosts_in_no_proxies_on_go_direct() {
    let squid = authed_squid();
    let page = site();
    let env = home_with_firefox(
        "bypass",
        &manual_proxy_prefs("127.0.0.1", squid.port, "localhost, 127.0.0.1"),
    );
    let v = diagnose(&env, &[], &page.url("/"), 0);
    assert_eq!(v["verdict"], "ok", "{v:#}");
    let b = only_browser(&v);
    assert_eq!(b["route"]["kind"], "direct");
    assert!(b["how"].to_string().contains("bypasses the proxy"), "{b:#}");
    assert!(
        !squid.access_log().contains("GET"),
        "{}",
        squid.access_log()
    );
}

#[test]
fn an_environment_proxy_with_credentials_gets_through_and_keeps_them_secret() {
    let squid = Squid::start(&SquidConfig {
        users: &[ALICE],
        hosts: &["127.0.0.1 site.test"],
        ..SquidConfig::default()
    });
    let page = site();
    let env = TestEnv::new();
    let url = format!("http://site.test:{}/env", page.addr.port());
    let out = env
        .cmd(["--json", "diagnose", &url])
        .env(
            "HTTP_PROXY",
            format!("http://{}:{}@{}", ALICE.0, ALICE.1, squid.host_port()),
        )
        .run()
        .code(0);
    assert!(!out.stdout.contains(ALICE.1), "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["status"], 200, "{v:#}");
    assert_eq!(v["proxy"], format!("http://{}/", squid.host_port()));
    assert!(
        squid.logged(&format!(
            "GET http://site.test:{}/env alice",
            page.addr.port()
        )),
        "{}",
        squid.access_log()
    );
}

#[test]
fn https_goes_through_connect_as_the_browser_sends_it() {
    let squid = authed_squid();
    let cert = ca_signed(&["127.0.0.1"], (2020, 1, 1), (2090, 1, 1));
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), cert.ca_pem.as_ref().unwrap()).unwrap();
    let page = Server::https(cert.cert_der.clone(), cert.key_der.clone(), |_, _| {
        respond(200, &[], b"secure page")
    });
    let env = home_with_firefox("tls", &manual_proxy_prefs("127.0.0.1", squid.port, ""));
    let ca_path = ca.path().to_str().unwrap();
    let v = env
        .cmd(["--json", "diagnose", "--ca-file", ca_path, &page.url("/")])
        .run()
        .code(1)
        .json();
    assert_eq!(causes(&v)[0], "proxy.auth_required", "{v:#}");
    assert!(squid.logged("TCP_DENIED/407"), "{}", squid.access_log());
    assert!(
        squid
            .access_log()
            .contains(&format!("CONNECT {}", page.addr)),
        "{}",
        squid.access_log()
    );

    let out = env
        .cmd([
            "--json",
            "diagnose",
            "--ca-file",
            ca_path,
            "--proxy-user",
            ALICE.0,
            "--proxy-password-stdin",
            &page.url("/"),
        ])
        .stdin(format!("{}\n", ALICE.1))
        .run()
        .code(0);
    assert!(!out.stdout.contains(ALICE.1));
    let v = out.json();
    assert_eq!(v["routes"][1]["outcome"], "HTTP 200", "{v:#}");
    assert!(
        squid.logged(&format!("CONNECT {} alice", page.addr)),
        "{}",
        squid.access_log()
    );
}

#[test]
fn a_proxy_that_refuses_the_site_is_proxy_blocked() {
    let squid = Squid::start(&SquidConfig {
        deny_paths: &["/forbidden"],
        ..SquidConfig::default()
    });
    let page = site();
    let env = home_with_firefox("blocked", &manual_proxy_prefs("127.0.0.1", squid.port, ""));
    let v = diagnose(&env, &[], &page.url("/forbidden/x"), 1);
    assert_eq!(v["verdict"], "proxy_blocked", "{v:#}");
    let f = text_of(finding(&v, "proxy.blocked"));
    assert!(f.contains("x-squid-error: ERR_ACCESS_DENIED"), "{f}");
    assert!(
        f.contains("without the proxy the site answers HTTP 200"),
        "{f}"
    );
}

#[test]
fn gnome_system_settings_written_by_real_gsettings_are_followed() {
    let squid = Squid::start(&SquidConfig {
        users: &[ALICE],
        hosts: &["127.0.0.1 site.test"],
        ..SquidConfig::default()
    });
    let page = site();
    let dns = crate::support::dns::UpstreamDns::start();
    dns.set("site.test", std::net::Ipv4Addr::LOCALHOST);
    // A fresh profile: Firefox's default is to follow the system settings.
    let env = home_with_firefox(
        "system",
        &[
            ("browser.startup.page", "0".into()),
            ("network.proxy.type", "5".into()),
        ],
    );
    let config = env.home().join(".config");
    for args in [
        vec!["set", "org.gnome.system.proxy", "mode", "manual"],
        vec!["set", "org.gnome.system.proxy.http", "host", "127.0.0.1"],
        vec![
            "set",
            "org.gnome.system.proxy.http",
            "port",
            &squid.port.to_string(),
        ],
    ] {
        let ok = std::process::Command::new("gsettings")
            .args(&args)
            .env("GSETTINGS_BACKEND", "keyfile")
            .env("XDG_CONFIG_HOME", &config)
            .status()
            .expect("gsettings is installed (libglib2.0-bin, scripts/install-deps.sh)");
        assert!(ok.success());
    }
    assert!(config.join("glib-2.0/settings/keyfile").exists());
    let url = format!("http://site.test:{}/", page.addr.port());
    let v = env
        .cmd([
            "--dns-server",
            &dns.addr.to_string(),
            "--json",
            "diagnose",
            &url,
        ])
        .env("GSETTINGS_BACKEND", "keyfile")
        .run()
        .code(1)
        .json();
    assert_eq!(v["routes"][0]["outcome"], "HTTP 200", "direct works: {v:#}");
    assert_eq!(causes(&v)[0], "proxy.auth_required", "{v:#}");
    let b = only_browser(&v);
    assert!(b["source"].as_str().unwrap().contains("GNOME"), "{b:#}");
    assert!(squid.logged("TCP_DENIED/407"));
}

/// A loopback server on port 80 (where browsers look for `http://wpad.<domain>/wpad.dat`)
/// serving `script`, on the first free address of 127.0.80.1–20 (so parallel runs do not
/// collide); `None` when port 80 cannot be bound here (not root, and no
/// `CAP_NET_BIND_SERVICE`).
fn wpad_server(script: &str) -> Option<Server> {
    let body = script.as_bytes().to_vec();
    (1..=20).find_map(|n| {
        let body = body.clone();
        Server::http_at(
            std::net::SocketAddr::from(([127, 0, 80, n], 80)),
            move |req, _| {
                if req.target == "/wpad.dat" {
                    respond(
                        200,
                        &[("Content-Type", b"application/x-ns-proxy-autoconfig")],
                        &body,
                    )
                } else {
                    respond(404, &[], b"")
                }
            },
        )
        .ok()
    })
}

#[test]
fn auto_detect_finds_the_wpad_script_of_the_search_domain_and_follows_it() {
    let squid = authed_squid();
    let page = site();
    let script = format!(
        "function FindProxyForURL(url, host) {{ return \"PROXY {}\"; }}\n",
        squid.host_port()
    );
    let Some(wpad) = wpad_server(&script) else {
        eprintln!(
            "SKIPPED auto_detect_finds_the_wpad_script…: cannot bind port 80 on loopback \
             (run as root, as CI does, or grant CAP_NET_BIND_SERVICE)"
        );
        return;
    };
    let std::net::IpAddr::V4(wpad_ip) = wpad.addr.ip() else {
        unreachable!("the WPAD server listens on IPv4 loopback")
    };
    let dns = crate::support::dns::UpstreamDns::start();
    dns.set("wpad.corp.test", wpad_ip);
    let env = home_with_firefox(
        "wpad",
        &[
            ("network.proxy.type", "4".into()),
            ("network.proxy.allow_hijacking_localhost", "true".into()),
        ],
    );
    // The machine's DNS domain, as the OS resolver's search list names it.
    env.write_system(
        "etc/resolv.conf",
        "nameserver 127.0.0.1\nsearch corp.test\n",
    );
    let v = diagnose(
        &env,
        &["--dns-server", &dns.addr.to_string()],
        &page.url("/"),
        1,
    );
    assert_eq!(causes(&v)[0], "proxy.auth_required", "{v:#}");
    let b = only_browser(&v);
    assert_eq!(b["setting"], "auto-detect (WPAD)", "{b:#}");
    let how = b["how"].to_string();
    assert!(
        how.contains("auto-detect (WPAD) found the script at http://wpad.corp.test/wpad.dat"),
        "{how}"
    );
    assert!(
        how.contains(&format!("PROXY {}", squid.host_port())),
        "{how}"
    );
    assert_eq!(b["route"]["proxy"], format!("http://{}", squid.host_port()));
    assert!(
        wpad.received().iter().any(|r| r.target == "/wpad.dat"),
        "the script was fetched from the WPAD server"
    );
    assert!(squid.logged("TCP_DENIED/407"), "{}", squid.access_log());
}

#[test]
fn a_socks_proxy_is_re_tested_through_socks_as_the_browser_sends_it() {
    let Some(socks) = crate::support::socks::MicroSocks::start() else {
        panic!("microsocks is installed (scripts/install-deps.sh)");
    };
    let page = site();
    let env = home_with_firefox("socks", &socks_proxy_prefs("127.0.0.1", socks.port, true));
    let v = diagnose(&env, &[], &page.url("/socks"), 0);
    assert_eq!(v["verdict"], "ok", "{v:#}");
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{v:#}");
    // Names go to the proxy unresolved, as Firefox sends them with `socks_remote_dns`.
    assert_eq!(
        routes[1]["route"]["proxy"],
        format!("socks5h://127.0.0.1:{}", socks.port)
    );
    assert_eq!(routes[1]["outcome"], "HTTP 200", "{v:#}");
    assert!(
        socks.connected_to("127.0.0.1", page.addr.port()),
        "the re-test went through the SOCKS proxy: {}",
        socks.log()
    );
    assert!(
        page.received()
            .iter()
            .filter(|r| r.target == "/socks")
            .count()
            >= 2,
        "direct and through SOCKS"
    );
    let text = diagnose_text(&env, &page.url("/socks"), 0);
    assert!(
        text.contains(&format!("SOCKS proxy 127.0.0.1:{}: HTTP 200", socks.port)),
        "{text}"
    );
    // A name reaches the proxy as a name: the proxy, not fix401, resolves it.
    let named = format!("http://localhost:{}/named", page.addr.port());
    env.cmd(["--json", "diagnose", &named]).run().code(0);
    assert!(
        socks.connected_to("localhost", page.addr.port()),
        "the name went to the SOCKS proxy unresolved: {}",
        socks.log()
    );
}

#[test]
fn a_dead_socks_proxy_is_the_proxys_fault() {
    let page = site();
    let dead = closed_port();
    let env = home_with_firefox("deadsocks", &socks_proxy_prefs("127.0.0.1", dead, false));
    let v = diagnose(&env, &[], &page.url("/"), 1);
    assert_eq!(causes(&v)[0], "proxy.unreachable", "{v:#}");
    let f = text_of(finding(&v, "proxy.unreachable"));
    assert!(f.contains(&format!("127.0.0.1:{dead}")), "{f}");
}
