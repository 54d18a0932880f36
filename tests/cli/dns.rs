//! `fix401 flush-dns` and `dns::diagnose_host` against REAL caching daemons on loopback:
//! an upstream server the test controls, real dnsmasq / unbound in front of it, a changed
//! upstream answer, the stale cached answer, the flush, the fresh answer.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use fix401::model::Cause;
use fix401::system::{RealProcesses, RealRunner};
use fix401::{Os, System};
use serde_json::Value;

use crate::support::TestEnv;
use crate::support::dns::{Daemon, UpstreamDns, query_a, start_dnsmasq, start_unbound};

const OLD: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 10);
const NEW: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 20);

/// A test machine whose `proc` (and temporary folder) are the real ones, so fix401 finds
/// the real daemons and their configuration.
fn env_with_proc() -> TestEnv {
    let env = TestEnv::new();
    // The daemons' configuration files live in temporary folders of this machine.
    std::os::unix::fs::symlink("/proc", env.system_root().join("proc")).unwrap();
    std::os::unix::fs::symlink(std::env::temp_dir(), env.system_root().join("tmp")).unwrap();
    env
}

/// Caches `name` = OLD in `cache`, then changes the upstream to NEW and shows the cache is
/// stale.
fn make_stale(up: &UpstreamDns, cache: SocketAddr, name: &str) {
    up.set(name, OLD);
    assert_eq!(query_a(cache, name), Some(vec![OLD]));
    up.set(name, NEW);
    assert_eq!(query_a(up.addr, name), Some(vec![NEW]), "upstream changed");
    assert_eq!(
        query_a(cache, name),
        Some(vec![OLD]),
        "the cache still serves the old answer"
    );
}

fn flush_json(
    env: &TestEnv,
    cache: SocketAddr,
    up: &UpstreamDns,
    host: &str,
    extra: &[&str],
) -> (Option<i32>, Value) {
    let mut args = vec![
        "--dns-server".to_string(),
        cache.to_string(),
        "--upstream-dns".to_string(),
        up.addr.to_string(),
        "--json".to_string(),
        "flush-dns".to_string(),
        "--host".to_string(),
        host.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = env.cmd(args).run();
    let json = out.json();
    (out.code, json)
}

fn causes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["cause"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn resolver_with_pid(report: &Value, pid: u32) -> Option<&Value> {
    report["detected"]["resolvers"]
        .as_array()?
        .iter()
        .find(|r| r["pid"].as_u64() == Some(pid as u64))
}

fn live_like(cache: SocketAddr, up: SocketAddr, root: &std::path::Path) -> System {
    let mut sys = System::simulated(Os::Linux, root);
    sys.system_root = root.to_path_buf();
    sys.runner = Arc::new(RealRunner);
    sys.processes = Arc::new(RealProcesses);
    sys.dns_server = Some(cache);
    sys.upstream_dns = Some(up);
    sys
}

#[test]
fn dnsmasq_stale_answer_is_found_and_fixed_by_the_flusher() {
    let up = UpstreamDns::start();
    let dnsmasq = start_dnsmasq(up.addr);
    // A second dnsmasq that is NOT the resolver in use: it must be left alone.
    let decoy = start_dnsmasq(up.addr);
    up.set("h.test", OLD);
    assert_eq!(query_a(decoy.addr, "h.test"), Some(vec![OLD]));
    make_stale(&up, dnsmasq.addr, "h.test");

    let env = env_with_proc();

    // Diagnose side: the library call the diagnosis makes.
    let sys = live_like(dnsmasq.addr, up.addr, &env.system_root());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let findings = rt.block_on(fix401::check::dns_findings(&sys, "h.test"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].cause, Cause::DnsStale);
    assert!(
        findings[0].summary.contains("127.0.0.10") && findings[0].summary.contains("127.0.0.20")
    );

    // Dry run: shows the stale answer and the exact command, runs nothing.
    let (code, dry) = flush_json(&env, dnsmasq.addr, &up, "h.test", &["--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(causes(&dry["before"]), vec!["dns.stale"]);
    assert_eq!(
        query_a(dnsmasq.addr, "h.test"),
        Some(vec![OLD]),
        "dry run changed nothing"
    );

    // The flush: finds THAT dnsmasq by pid and command line, signals it, verifies.
    let (code, report) = flush_json(&env, dnsmasq.addr, &up, "h.test", &[]);
    let found = resolver_with_pid(&report, dnsmasq.pid)
        .unwrap_or_else(|| panic!("dnsmasq {} not detected: {report:#}", dnsmasq.pid));
    assert_eq!(found["kind"], "dnsmasq");
    assert_eq!(found["in_use"], true);
    assert!(
        found["cmdline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == &Value::from(format!("--port={}", dnsmasq.addr.port())))
    );
    let decoy_found = resolver_with_pid(&report, decoy.pid).expect("decoy listed");
    assert_eq!(decoy_found["in_use"], false);
    let ran: Vec<Vec<String>> = report["ran"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_value(r["argv"].clone()).unwrap())
        .collect();
    let pid = dnsmasq.pid.to_string();
    assert_eq!(
        ran,
        vec![vec!["kill".to_string(), "-s".into(), "HUP".into(), pid]],
        "{report:#}"
    );
    assert_eq!(report["ran"][0]["outcome"], "done");
    assert_eq!(causes(&report["before"]), vec!["dns.stale"]);
    assert_eq!(
        report["after"]["system"]["addresses"],
        serde_json::json!(["127.0.0.20"])
    );
    assert_eq!(causes(&report["after"]), Vec::<String>::new());
    assert_eq!(report["changed"], true);
    assert_eq!(report["flushed"], true);
    assert!(
        report["browser_note"]
            .as_str()
            .unwrap()
            .contains("restart-browser")
    );
    assert_eq!(code, Some(0), "{report:#}");

    // The daemon itself now serves the fresh answer; the decoy was not touched.
    assert_eq!(query_a(dnsmasq.addr, "h.test"), Some(vec![NEW]));
    assert_eq!(query_a(decoy.addr, "h.test"), Some(vec![OLD]));
}

#[test]
fn flush_text_output_names_detection_commands_and_verification() {
    let up = UpstreamDns::start();
    let dnsmasq = start_dnsmasq(up.addr);
    make_stale(&up, dnsmasq.addr, "t.test");
    let env = env_with_proc();
    let out = env
        .cmd([
            "--dns-server",
            &dnsmasq.addr.to_string(),
            "--upstream-dns",
            &up.addr.to_string(),
            "flush-dns",
            "--host",
            "t.test",
        ])
        .run()
        .code(0)
        .stdout_has("dnsmasq")
        .stdout_has(&format!("kill -s HUP {}", dnsmasq.pid))
        .stdout_has("dns.stale")
        .stdout_has("The answer changed");
    assert!(out.stdout.contains("restart the browser"), "{}", out.stdout);
}

fn unbound_flow(unbound: &Daemon, up: &UpstreamDns, name: &str) -> (Option<i32>, Value) {
    make_stale(up, unbound.addr, name);
    let env = env_with_proc();
    flush_json(&env, unbound.addr, up, name, &[])
}

#[test]
fn unbound_stale_answer_is_fixed_through_unbound_control() {
    let up = UpstreamDns::start();
    let unbound = start_unbound(up.addr, true);
    let (code, report) = unbound_flow(&unbound, &up, "u.example");
    let found = resolver_with_pid(&report, unbound.pid).expect("unbound detected");
    assert_eq!(found["kind"], "unbound");
    let conf = unbound.config.as_ref().unwrap().display().to_string();
    assert_eq!(
        report["ran"][0]["argv"],
        serde_json::json!(["unbound-control", "-c", conf, "flush_zone", "."]),
        "{report:#}"
    );
    assert_eq!(report["ran"][0]["outcome"], "done", "{report:#}");
    assert_eq!(causes(&report["before"]), vec!["dns.stale"]);
    assert_eq!(report["changed"], true);
    assert_eq!(code, Some(0));
    assert_eq!(query_a(unbound.addr, "u.example"), Some(vec![NEW]));
}

#[test]
fn unbound_that_refuses_remote_control_is_a_clear_failure() {
    let up = UpstreamDns::start();
    let unbound = start_unbound(up.addr, false);
    let (code, report) = unbound_flow(&unbound, &up, "r.example");
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["flushed"], false);
    assert_eq!(report["ran"][0]["outcome"], "failed");
    let problems = report["problems"].to_string();
    assert!(problems.contains("unbound"), "{problems}");
    // Still stale, and said so.
    assert_eq!(causes(&report["after"]), vec!["dns.stale"]);
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("still differs")
    );
    assert_eq!(query_a(unbound.addr, "r.example"), Some(vec![OLD]));
}

#[test]
fn hosts_file_override_is_reported_with_file_and_line_and_never_edited() {
    let env = TestEnv::new();
    let hosts = "127.0.0.1 localhost\n# staging\n::1 ip6-localhost\n192.0.2.44 old.example.test www.old.example.test # pinned\n";
    let path = env.write_system("etc/hosts", hosts);
    let mut sys = System::simulated(Os::Linux, env.home());
    sys.system_root = env.system_root();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(fix401::check::dns_findings(&sys, "www.old.example.test"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].cause, Cause::DnsHostsOverride);
    assert!(
        f[0].evidence[0].starts_with(&format!("{}:4:", path.display())),
        "{:?}",
        f[0].evidence
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), hosts);

    let out = env
        .cmd(["--json", "flush-dns", "--host", "www.old.example.test"])
        .run();
    let v = out.json();
    assert_eq!(v["hosts_entries"][0]["line"], 4, "{v:#}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), hosts);
}

#[test]
fn failure_when_the_cache_has_no_answer_but_upstream_does() {
    let up = UpstreamDns::start();
    let dnsmasq = start_dnsmasq(up.addr);
    up.set("f.test", NEW);
    let env = TestEnv::new();
    // Ask a name the upstream knows through the cache: fine; then a name nobody knows.
    let sys = live_like(dnsmasq.addr, up.addr, &env.system_root());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        rt.block_on(fix401::check::dns_findings(&sys, "f.test"))
            .is_empty()
    );
    let f = rt.block_on(fix401::check::dns_findings(&sys, "nowhere.test"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].cause, Cause::DnsFailure);
    assert!(
        f[0].summary.contains("name servers do not know it"),
        "{}",
        f[0].summary
    );
}

#[test]
fn bad_host_is_exit_2_with_a_clear_message() {
    TestEnv::new()
        .cmd(["flush-dns", "--host", "bad host;"])
        .run()
        .code(2)
        .stderr_has("not a host name");
}

#[test]
fn simulated_macos_shows_the_plan_only() {
    let env = TestEnv::new().os("macos");
    let out = env.cmd(["--json", "flush-dns"]).run().code(0);
    let v = out.json();
    assert_eq!(v["dry_run"], true);
}

#[test]
fn elevated_mode_rejects_any_extra_argument() {
    TestEnv::new()
        .cmd(["flush-dns", "--elevated"])
        .run()
        .code(2)
        .stderr_has("takes no other arguments");
}

#[test]
fn real_nscd_hosts_cache_is_invalidated() {
    let Some(nscd) = crate::support::dns::start_nscd() else {
        eprintln!("skipped: nscd cannot run here (not root, or an nscd already runs)");
        return;
    };
    let env = env_with_proc();
    env.write_system("etc/nscd.conf", "# fixture\nenable-cache hosts yes\n");
    let out = env.cmd(["--json", "flush-dns"]).run();
    let report = out.json();
    let found = resolver_with_pid(&report, nscd.pid).unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(found["kind"], "nscd");
    let run = report["ran"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resolver"] == "nscd")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(run["argv"], serde_json::json!(["nscd", "-i", "hosts"]));
    assert_eq!(run["outcome"], "done", "{report:#}");
    drop(nscd);
}

#[test]
fn elevated_child_reports_json_or_refuses_without_rights() {
    // Exactly the command line pkexec / osascript run (no --home: it re-detects this machine).
    let out = crate::support::Fix401::new(["flush-dns", "--elevated"]).run();
    if unsafe { libc::geteuid() } == 0 {
        let out = out.code(0);
        let line = out.stdout.lines().last().unwrap_or("");
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
        assert!(v["steps"].is_array() && v["problems"].is_array(), "{v}");
        // The parent's reading of that output.
        let cmd = fix401::dns::elevate::command(Os::Linux, None);
        let (report, _) = fix401::dns::elevate::interpret(
            Os::Linux,
            &cmd,
            Ok(fix401::system::CommandOutput {
                status: Some(0),
                stdout: out.stdout.clone().into_bytes(),
                stderr: Vec::new(),
            }),
            None,
        );
        assert_eq!(report.outcome, fix401::dns::elevate::ElevationOutcome::Done);
    } else {
        out.code(1).stderr_has("administrator rights");
    }
}

#[test]
fn localhost_is_never_sent_to_dns() {
    let up = UpstreamDns::start();
    let env = TestEnv::new();
    let sys = live_like(up.addr, up.addr, &env.system_root());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        rt.block_on(fix401::check::dns_findings(&sys, "localhost"))
            .is_empty()
    );
    assert!(
        rt.block_on(fix401::check::dns_findings(&sys, "app.localhost"))
            .is_empty()
    );
    assert_eq!(up.queries(), 0);
}
