//! Every OS / macOS version / Linux resolver row against a recording runner: the exact argv
//! run, which steps run elevated, and that all elevated work is ONE prompt. Detection reads
//! fixture files below a temporary system root.

use std::path::Path;
use std::sync::Arc;

use super::elevate::{ElevatedResult, ElevationOutcome};
use super::*;
use crate::system::{CommandOutput, FixedProcesses, Os, ProcessInfo, RecordingRunner, System};

struct Machine {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    sys: System,
    runner: Arc<RecordingRunner>,
    procs: Vec<ProcessInfo>,
}

impl Machine {
    fn new(os: Os) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        let mut sys = System::simulated(os, dir.path().join("home"));
        sys.system_root = root.clone();
        let runner = Arc::new(RecordingRunner::new());
        sys.runner = runner.clone();
        Machine {
            _dir: dir,
            root,
            sys,
            runner,
            procs: Vec::new(),
        }
    }

    fn admin(mut self) -> Machine {
        self.sys.admin = true;
        self
    }

    fn file(self, rel: &str, text: &str) -> Machine {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    fn link(self, rel: &str, target: &str) -> Machine {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }

    fn process(mut self, pid: u32, name: &str, cmdline: &[&str]) -> Machine {
        let dir = self.root.join(format!("proc/{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut bytes = Vec::new();
        for a in cmdline {
            bytes.extend_from_slice(a.as_bytes());
            bytes.push(0);
        }
        std::fs::write(dir.join("cmdline"), bytes).unwrap();
        self.procs.push(ProcessInfo {
            pid,
            name: name.into(),
            exe: None,
        });
        self.sys.processes = Arc::new(FixedProcesses(self.procs.clone()));
        self
    }

    fn answer(self, program: &str, status: i32, stdout: &str, stderr: &str) -> Machine {
        self.runner.answer(
            program,
            CommandOutput {
                status: Some(status),
                stdout: stdout.as_bytes().to_vec(),
                stderr: stderr.as_bytes().to_vec(),
            },
        );
        self
    }

    fn missing(self, program: &str) -> Machine {
        self.runner.missing(program);
        self
    }

    fn flush(&self) -> FlushReport {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(flush(&self.sys, &FlushOptions::default()))
            .unwrap()
    }

    fn calls(&self) -> Vec<Vec<String>> {
        self.runner.calls().iter().map(|c| c.argv()).collect()
    }
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

const BUSCTL: &[&str] = &[
    "busctl",
    "--system",
    "--no-pager",
    "status",
    "org.freedesktop.resolve1",
];
const PKEXEC: &[&str] = &["pkexec", "/usr/bin/fix401", "flush-dns", "--elevated"];

fn elevated_json(steps: &[(ResolverKind, &[&str])]) -> String {
    serde_json::to_string(&ElevatedResult {
        steps: steps
            .iter()
            .map(|(k, a)| CommandRun {
                resolver: *k,
                argv: argv(a),
                elevated: true,
                outcome: RunOutcome::Done,
                message: "done".into(),
            })
            .collect(),
        problems: Vec::new(),
    })
    .unwrap()
}

// ---------------------------------------------------------------- Windows

#[test]
fn windows_flushes_unelevated_first() {
    let m = Machine::new(Os::Windows);
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(&["ipconfig", "/flushdns"])]);
    assert!(r.flushed && r.elevation.is_none());
    assert_eq!(r.plan.steps[0].run_as, RunAs::UserThenElevated);
    assert!(!r.ran[0].elevated);
}

#[test]
fn windows_repeats_in_one_uac_run_when_unelevated_fails() {
    let m = Machine::new(Os::Windows).answer("ipconfig", 1, "", "Access is denied.");
    let r = m.flush();
    let calls = m.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], argv(&["ipconfig", "/flushdns"]));
    assert_eq!(
        &calls[1][..6],
        &argv(&[
            "powershell.exe",
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command"
        ])[..]
    );
    let script = &calls[1][6];
    assert!(script.contains(r"Start-Process -FilePath 'C:\Program Files\fix401\fix401.exe' -ArgumentList 'flush-dns','--elevated','--result','"), "{script}");
    assert!(script.contains("fix401-elevated-") && script.contains("-Verb RunAs -Wait -PassThru"));
    // The recording runner never writes the result file: reported as failed, not a crash.
    let e = r.elevation.unwrap();
    assert_eq!(e.outcome, ElevationOutcome::Failed);
    assert!(!r.flushed);
}

#[test]
fn windows_uac_declined_is_not_fatal() {
    let m = Machine::new(Os::Windows)
        .answer("ipconfig", 1, "", "denied")
        .answer("powershell.exe", 1223, "", "");
    let r = m.flush();
    assert!(r.declined && !r.flushed);
    assert_eq!(r.elevation.unwrap().outcome, ElevationOutcome::Declined);
    assert!(r.actions.contains(&crate::model::Action::FlushDns));
}

// ---------------------------------------------------------------- macOS

const MAC_ROWS: &[(&str, &[&[&str]])] = &[
    ("10.4.11", &[&["lookupd", "-flushcache"]]),
    ("10.5.8", &[&["dscacheutil", "-flushcache"]]),
    ("10.6.8", &[&["dscacheutil", "-flushcache"]]),
    ("10.7.5", &[&["killall", "-HUP", "mDNSResponder"]]),
    ("10.9.5", &[&["killall", "-HUP", "mDNSResponder"]]),
    (
        "10.10",
        &[
            &["discoveryutil", "udnsflushcaches"],
            &["discoveryutil", "mdnsflushcache"],
        ],
    ),
    (
        "10.10.3",
        &[
            &["discoveryutil", "udnsflushcaches"],
            &["discoveryutil", "mdnsflushcache"],
        ],
    ),
    (
        "10.10.4",
        &[
            &["dscacheutil", "-flushcache"],
            &["killall", "-HUP", "mDNSResponder"],
        ],
    ),
    (
        "10.15.7",
        &[
            &["dscacheutil", "-flushcache"],
            &["killall", "-HUP", "mDNSResponder"],
        ],
    ),
    (
        "14.2.1",
        &[
            &["dscacheutil", "-flushcache"],
            &["killall", "-HUP", "mDNSResponder"],
        ],
    ),
    (
        "26.0",
        &[
            &["dscacheutil", "-flushcache"],
            &["killall", "-HUP", "mDNSResponder"],
        ],
    ),
];

fn sw_vers(v: &str) -> String {
    format!("ProductName:\t\tmacOS\nProductVersion:\t\t{v}\nBuildVersion:\t\t23C71\n")
}

#[test]
fn macos_every_version_runs_its_command_set_as_root() {
    for (version, cmds) in MAC_ROWS {
        let m = Machine::new(Os::Macos)
            .admin()
            .answer("sw_vers", 0, &sw_vers(version), "");
        let r = m.flush();
        let mut expected = vec![argv(&["sw_vers"])];
        expected.extend(cmds.iter().map(|c| argv(c)));
        assert_eq!(m.calls(), expected, "macOS {version}");
        assert!(r.flushed, "macOS {version}");
        assert!(r.ran.iter().all(|c| c.elevated), "macOS {version}");
        assert_eq!(
            r.detected.os_version.as_deref(),
            Some(format!("macOS {version}").as_str())
        );
    }
}

#[test]
fn macos_unprivileged_asks_once_through_osascript_with_a_fixed_string() {
    for (version, cmds) in MAC_ROWS {
        let child = elevated_json(
            &cmds
                .iter()
                .map(|c| (ResolverKind::MacosDnsCache, *c))
                .collect::<Vec<_>>(),
        );
        let m = Machine::new(Os::Macos)
            .answer("sw_vers", 0, &sw_vers(version), "")
            .answer("osascript", 0, &child, "");
        let r = m.flush();
        assert_eq!(
            m.calls(),
            vec![
                argv(&["sw_vers"]),
                argv(&[
                    "osascript",
                    "-e",
                    "do shell script \"'/Applications/fix401.app/Contents/MacOS/fix401' \
                     flush-dns --elevated\" with prompt \"fix401 needs administrator rights to \
                     flush the DNS cache.\" with administrator privileges"
                ]),
            ],
            "macOS {version}"
        );
        assert!(r.plan.steps.iter().all(|s| s.run_as == RunAs::Elevated));
        assert!(r.flushed, "macOS {version}: {:?}", r.problems);
        assert_eq!(r.ran.len(), cmds.len());
        assert!(r.ran.iter().all(|c| c.elevated));
    }
}

#[test]
fn macos_cancelled_prompt_is_a_clear_non_fatal_outcome() {
    let m = Machine::new(Os::Macos)
        .answer("sw_vers", 0, &sw_vers("14.1"), "")
        .answer(
            "osascript",
            1,
            "",
            "0:105: execution error: User canceled. (-128)",
        );
    let r = m.flush();
    assert!(r.declined && !r.flushed);
    assert!(r.summary.contains("declined"), "{}", r.summary);
}

#[test]
fn macos_version_from_the_plist_when_sw_vers_is_missing() {
    let m = Machine::new(Os::Macos)
        .admin()
        .missing("sw_vers")
        .file(
            "System/Library/CoreServices/SystemVersion.plist",
            "<dict>\n<key>ProductName</key>\n<string>Mac OS X</string>\n<key>ProductVersion</key>\n<string>10.6.8</string>\n</dict>",
        );
    let r = m.flush();
    assert_eq!(m.calls()[1], argv(&["dscacheutil", "-flushcache"]));
    assert!(r.flushed);
}

#[test]
fn macos_unknown_version_runs_nothing_and_says_what_was_tried() {
    let m = Machine::new(Os::Macos)
        .admin()
        .answer("sw_vers", 0, "ProductVersion: banana\n", "");
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(&["sw_vers"])]);
    assert!(!r.flushed);
    let p = r.problems.join("\n");
    assert!(
        p.contains("sw_vers") && p.contains("banana") && p.contains("SystemVersion.plist"),
        "{p}"
    );
    assert!(r.summary.contains("could not tell"), "{}", r.summary);
}

// ---------------------------------------------------------------- Linux

const STUB: &str = "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n";

#[test]
fn resolved_is_detected_through_every_resolv_conf_form() {
    let cases: Vec<Machine> = vec![
        Machine::new(Os::Linux)
            .file("run/systemd/resolve/stub-resolv.conf", STUB)
            .link("etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf"),
        Machine::new(Os::Linux)
            .file("run/systemd/resolve/stub-resolv.conf", STUB)
            .link("etc/resolv.conf", "/run/systemd/resolve/stub-resolv.conf"),
        Machine::new(Os::Linux)
            .file("run/systemd/resolve/stub-resolv.conf", STUB)
            .link(
                "etc/resolv.conf",
                "/var/run/systemd/resolve/stub-resolv.conf",
            ),
        Machine::new(Os::Linux)
            .file("run/systemd/resolve/resolv.conf", "nameserver 192.0.2.1\n")
            .link("etc/resolv.conf", "/run/systemd/resolve/resolv.conf"),
        Machine::new(Os::Linux).file("etc/resolv.conf", "nameserver 127.0.0.53\n"),
        Machine::new(Os::Linux).link("etc/resolv.conf", "/usr/lib/systemd/resolv.conf"),
    ];
    for m in cases {
        let r = m.flush();
        assert_eq!(
            m.calls(),
            vec![argv(BUSCTL), argv(&["resolvectl", "flush-caches"])],
            "{:?}",
            r.detected.resolv_conf
        );
        assert!(r.flushed && r.elevation.is_none());
        assert_eq!(r.plan.steps[0].run_as, RunAs::UserThenElevated);
    }
}

#[test]
fn resolved_upstreams_come_from_its_own_resolv_conf() {
    let m = Machine::new(Os::Linux)
        .file("run/systemd/resolve/stub-resolv.conf", STUB)
        .file(
            "run/systemd/resolve/resolv.conf",
            "nameserver 192.0.2.10\nnameserver fe80::1%eth0\n",
        )
        .link("etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf");
    let d = detect(&m.sys);
    assert_eq!(
        d.upstreams,
        vec![
            "192.0.2.10:53".parse().unwrap(),
            "[fe80::1]:53".parse().unwrap()
        ]
    );
}

#[test]
fn resolved_not_answering_on_dbus_is_not_flushed() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .answer(
            "busctl",
            1,
            "",
            "Failed to get credentials: Unit dbus-org.freedesktop.resolve1.service not found.",
        );
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(BUSCTL)]);
    assert!(r.plan.steps.is_empty());
    assert!(r.detected.tried.iter().any(|t| t.contains("not running")));
}

#[test]
fn resolved_without_busctl_asks_resolvectl_and_falls_back_to_systemd_resolve() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .missing("busctl")
        .missing("resolvectl");
    let r = m.flush();
    // Neither busctl nor resolvectl, and no process: not running.
    assert_eq!(
        m.calls(),
        vec![argv(BUSCTL), argv(&["resolvectl", "status"])]
    );
    assert!(r.plan.steps.is_empty());

    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .process(310, "systemd-resolved", &["/lib/systemd/systemd-resolved"])
        .missing("resolvectl");
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![
            argv(BUSCTL),
            argv(&["resolvectl", "flush-caches"]),
            argv(&["systemd-resolve", "--flush-caches"]),
        ]
    );
    assert!(r.flushed);
    assert_eq!(r.ran[0].outcome, RunOutcome::NotInstalled);
}

#[test]
fn missing_binaries_give_a_message_listing_what_was_tried() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .missing("resolvectl")
        .missing("systemd-resolve");
    let r = m.flush();
    assert!(!r.flushed);
    assert!(
        r.elevation.is_none(),
        "a missing program is not retried elevated"
    );
    let last = r.ran.last().unwrap();
    assert!(
        last.message.contains("resolvectl flush-caches")
            && last.message.contains("systemd-resolve --flush-caches"),
        "{}",
        last.message
    );
    assert!(r.problems.iter().any(|p| p.contains("systemd-resolved")));
}

#[test]
fn resolved_refused_by_polkit_goes_into_the_one_elevated_run() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .answer("resolvectl", 1, "", "Failed to flush caches: Access denied")
        .answer(
            "pkexec",
            0,
            &elevated_json(&[(
                ResolverKind::SystemdResolved,
                &["resolvectl", "flush-caches"],
            )]),
            "",
        );
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![
            argv(BUSCTL),
            argv(&["resolvectl", "flush-caches"]),
            argv(PKEXEC)
        ]
    );
    assert!(r.flushed, "{:?}", r.problems);
    assert!(!r.ran[0].elevated && r.ran[1].elevated);
    assert!(r.ran[0].message.contains("Access denied"));
}

#[test]
fn nscd_needs_root_and_reads_nscd_conf() {
    let conf =
        "# /etc/nscd.conf\n\tenable-cache\t\tpasswd\t\tyes\n\tenable-cache\t\thosts\t\tyes\n";
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 192.0.2.1\n")
        .file("etc/nscd.conf", conf)
        .process(77, "nscd", &["/usr/sbin/nscd"])
        .admin();
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(&["nscd", "-i", "hosts"])]);
    assert!(r.flushed && r.ran[0].elevated);
    assert!(
        r.detected.resolvers[0]
            .why
            .iter()
            .any(|w| w.contains("line 3"))
    );

    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 192.0.2.1\n")
        .file("etc/nscd.conf", conf)
        .process(77, "nscd", &["/usr/sbin/nscd"])
        .answer(
            "pkexec",
            0,
            &elevated_json(&[(ResolverKind::Nscd, &["nscd", "-i", "hosts"])]),
            "",
        );
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(PKEXEC)], "straight to the one prompt");
    assert_eq!(r.plan.steps[0].run_as, RunAs::Elevated);
    assert!(r.flushed);

    let m = Machine::new(Os::Linux)
        .file("etc/nscd.conf", "enable-cache hosts no\n")
        .process(77, "nscd", &["/usr/sbin/nscd"]);
    let r = m.flush();
    assert!(m.calls().is_empty() && r.plan.steps.is_empty());
}

#[test]
fn standalone_dnsmasq_gets_sighup_by_pid() {
    let m = Machine::new(Os::Linux)
        .file(
            "etc/resolv.conf",
            "# Generated by resolvconf\nnameserver 127.0.0.1\n",
        )
        .process(
            4242,
            "dnsmasq",
            &[
                "/usr/sbin/dnsmasq",
                "--listen-address=127.0.0.1",
                "--server=192.0.2.53",
                "-k",
            ],
        );
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(&["kill", "-s", "HUP", "4242"])]);
    assert!(r.flushed);
    assert_eq!(r.detected.upstreams, vec!["192.0.2.53:53".parse().unwrap()]);
    assert_eq!(
        r.detected.resolv_conf.unwrap().generator.as_deref(),
        Some("resolvconf")
    );
}

#[test]
fn dnsmasq_port_and_servers_from_its_config_file() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 127.0.0.1\n")
        .file(
            "etc/dnsmasq.conf",
            "# local cache\nport=53\nserver=198.51.100.1#5353\n",
        )
        .process(50, "dnsmasq", &["/usr/sbin/dnsmasq"]);
    let d = detect(&m.sys);
    assert!(d.resolvers[0].in_use);
    assert_eq!(d.upstreams, vec!["198.51.100.1:5353".parse().unwrap()]);
}

#[test]
fn unused_dnsmasq_is_listed_but_left_alone() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 192.0.2.1\n")
        .process(
            4242,
            "dnsmasq",
            &["dnsmasq", "--port=5353", "--listen-address=127.0.0.1"],
        );
    let r = m.flush();
    assert!(m.calls().is_empty());
    assert_eq!(r.detected.resolvers.len(), 1);
    assert!(!r.detected.resolvers[0].in_use);
    assert!(
        r.detected.resolvers[0]
            .why
            .iter()
            .any(|w| w.contains("left alone"))
    );
}

#[test]
fn networkmanager_dnsmasq_reloads_through_nmcli_or_falls_back_to_sighup() {
    let nm = &[
        "/usr/sbin/dnsmasq",
        "--no-resolv",
        "--keep-in-foreground",
        "--listen-address=127.0.1.1",
        "--pid-file=/run/NetworkManager/dnsmasq.pid",
        "--conf-dir=/etc/NetworkManager/dnsmasq.d",
    ];
    let m = Machine::new(Os::Linux)
        .file(
            "etc/resolv.conf",
            "# Generated by NetworkManager\nnameserver 127.0.1.1\n",
        )
        .process(900, "dnsmasq", nm);
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![argv(&["nmcli", "general", "reload", "dns-full"])]
    );
    assert_eq!(
        r.plan.steps[0].resolver,
        ResolverKind::NetworkManagerDnsmasq
    );

    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 127.0.1.1\n")
        .process(900, "dnsmasq", nm)
        .missing("nmcli");
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![
            argv(&["nmcli", "general", "reload", "dns-full"]),
            argv(&["kill", "-s", "HUP", "900"]),
        ]
    );
    assert!(r.flushed);
}

#[test]
fn unbound_flushes_its_whole_cache_with_its_own_config() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 127.0.0.1\n")
        .file("etc/unbound/unbound.conf", "server:\n  interface: 127.0.0.1\n  port: 53\nforward-zone:\n  name: \".\"\n  forward-addr: 192.0.2.99@853\n")
        .process(61, "unbound", &["/usr/sbin/unbound", "-d", "-p"]);
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![argv(&["unbound-control", "flush_zone", "."])]
    );
    assert_eq!(
        r.detected.upstreams,
        vec!["192.0.2.99:853".parse().unwrap()]
    );

    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 127.0.0.1\n")
        .process(
            61,
            "unbound",
            &["unbound", "-d", "-c", "/opt/u/unbound.conf"],
        );
    m.flush();
    assert_eq!(
        m.calls(),
        vec![argv(&[
            "unbound-control",
            "-c",
            "/opt/u/unbound.conf",
            "flush_zone",
            "."
        ])]
    );
}

#[test]
fn bind_flushes_with_rndc() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 127.0.0.1\n")
        .process(53, "named", &["/usr/sbin/named", "-u", "bind"]);
    let r = m.flush();
    assert_eq!(m.calls(), vec![argv(&["rndc", "flush"])]);
    assert!(r.flushed);
}

#[test]
fn stacked_caches_flush_farthest_first_with_one_prompt() {
    let m = Machine::new(Os::Linux)
        .file("run/systemd/resolve/stub-resolv.conf", STUB)
        .link("etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf")
        .file("etc/nscd.conf", "enable-cache hosts yes\n")
        .file("etc/unbound/unbound.conf", "server:\n port: 5353\n")
        .process(77, "nscd", &["nscd"])
        .process(61, "unbound", &["unbound", "-d"])
        // A dnsmasq on the stub address forwards to unbound on 127.0.0.1:5353.
        .process(
            42,
            "dnsmasq",
            &[
                "dnsmasq",
                "--listen-address=127.0.0.53",
                "--server=127.0.0.1#5353",
            ],
        )
        .answer(
            "unbound-control",
            1,
            "",
            "error: Error setting up SSL_CTX client key and cert",
        )
        .answer(
            "pkexec",
            0,
            &elevated_json(&[
                (
                    ResolverKind::Unbound,
                    &["unbound-control", "flush_zone", "."],
                ),
                (ResolverKind::Nscd, &["nscd", "-i", "hosts"]),
            ]),
            "",
        );
    let r = m.flush();
    let kinds: Vec<ResolverKind> = r.plan.steps.iter().map(|s| s.resolver).collect();
    assert_eq!(
        kinds,
        vec![
            ResolverKind::Unbound,
            ResolverKind::Dnsmasq,
            ResolverKind::SystemdResolved,
            ResolverKind::Nscd
        ]
    );
    assert_eq!(
        m.calls(),
        vec![
            argv(BUSCTL),
            argv(&["unbound-control", "flush_zone", "."]),
            argv(&["kill", "-s", "HUP", "42"]),
            argv(&["resolvectl", "flush-caches"]),
            argv(PKEXEC),
        ]
    );
    assert_eq!(m.calls().iter().filter(|c| c[0] == "pkexec").count(), 1);
    assert!(r.flushed, "{:?}", r.problems);
    let elevated: Vec<&str> = r
        .ran
        .iter()
        .filter(|c| c.elevated)
        .map(|c| c.argv[0].as_str())
        .collect();
    assert_eq!(elevated, vec!["unbound-control", "nscd"]);
}

#[test]
fn already_root_runs_everything_directly() {
    let m = Machine::new(Os::Linux)
        .admin()
        .file("etc/resolv.conf", STUB)
        .file("etc/nscd.conf", "enable-cache hosts yes\n")
        .process(77, "nscd", &["nscd"]);
    let r = m.flush();
    assert!(r.plan.elevation.is_none() && r.plan.already_admin);
    assert_eq!(
        m.calls(),
        vec![
            argv(BUSCTL),
            argv(&["resolvectl", "flush-caches"]),
            argv(&["nscd", "-i", "hosts"])
        ]
    );
    assert!(
        r.ran
            .iter()
            .all(|c| c.elevated && c.outcome == RunOutcome::Done)
    );
}

#[test]
fn pkexec_dismissed_or_unauthorised_or_missing() {
    let base = || {
        Machine::new(Os::Linux)
            .file("etc/nscd.conf", "enable-cache hosts yes\n")
            .process(77, "nscd", &["nscd"])
    };
    let r = base().answer("pkexec", 126, "", "").flush();
    assert!(r.declined && !r.flushed);
    assert_eq!(
        r.elevation.as_ref().unwrap().outcome,
        ElevationOutcome::Declined
    );

    let r = base()
        .answer(
            "pkexec",
            127,
            "",
            "Error executing command as another user: Not authorized",
        )
        .flush();
    assert!(!r.declined && !r.flushed);
    let e = r.elevation.unwrap();
    assert_eq!(e.outcome, ElevationOutcome::Failed);
    assert!(e.message.contains("Not authorized"), "{}", e.message);

    let r = base().missing("pkexec").flush();
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("sudo fix401 flush-dns")),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_resolver_that_refuses_even_as_root_is_reported() {
    let m = Machine::new(Os::Linux)
        .admin()
        .file("etc/resolv.conf", "nameserver 127.0.0.1\n")
        .process(61, "unbound", &["unbound", "-d"])
        .answer(
            "unbound-control",
            1,
            "",
            "error: connect: Connection refused for 127.0.0.1 port 8953",
        );
    let r = m.flush();
    assert!(!r.flushed);
    assert!(r.ran[0].message.contains("Connection refused"));
    assert!(r.problems.iter().any(|p| p.contains("unbound")));
}

#[test]
fn dry_run_runs_nothing_but_shows_what_is_elevated() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", STUB)
        .file("etc/nscd.conf", "enable-cache hosts yes\n")
        .process(77, "nscd", &["nscd"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt
        .block_on(flush(
            &m.sys,
            &FlushOptions {
                host: None,
                dry_run: true,
            },
        ))
        .unwrap();
    // Only detection's D-Bus question ran.
    assert_eq!(m.calls(), vec![argv(BUSCTL)]);
    assert_eq!(r.plan.elevation.as_ref().unwrap().argv(), argv(PKEXEC));
    let elevated: Vec<bool> = r.ran.iter().map(|c| c.elevated).collect();
    assert_eq!(elevated, vec![false, true]);
}

#[test]
fn bad_host_is_bad_input_and_never_reaches_a_command() {
    let m = Machine::new(Os::Linux).file("etc/nscd.conf", "enable-cache hosts yes\n");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt
        .block_on(flush(
            &m.sys,
            &FlushOptions {
                host: Some("x; rm -rf /".into()),
                dry_run: false,
            },
        ))
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(m.calls().is_empty());
}

#[test]
fn os_release_is_read() {
    let m = Machine::new(Os::Linux).file(
        "etc/os-release",
        "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n",
    );
    assert_eq!(
        detect(&m.sys).os_version.as_deref(),
        Some("Ubuntu 24.04.1 LTS")
    );
}

#[tokio::test]
async fn hosts_override_is_a_finding_with_file_and_line() {
    let m = Machine::new(Os::Windows).file(
        "Windows/System32/drivers/etc/hosts",
        "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# 102.54.94.97 rhino.acme.com\r\n10.0.0.5 intranet.example.com portal.example.com\r\n",
    );
    let f = crate::check::dns_findings(&m.sys, "Portal.Example.com").await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].cause, crate::model::Cause::DnsHostsOverride);
    assert!(f[0].summary.contains("line 4"), "{}", f[0].summary);
    assert!(f[0].evidence[0].contains(&format!(
        "{}",
        Path::new("Windows/System32/drivers/etc/hosts").display()
    )));
    assert!(
        crate::check::dns_findings(&m.sys, "rhino.acme.com")
            .await
            .is_empty(),
        "commented out"
    );
    assert!(
        crate::check::dns_findings(&m.sys, "10.0.0.5")
            .await
            .is_empty()
    );
    assert!(
        crate::check::dns_findings(&m.sys, "not a host!")
            .await
            .is_empty()
    );
    assert!(m.calls().is_empty());
}

#[test]
fn windows_result_file_is_read_after_uac() {
    let cmd = super::elevate::command(
        Os::Windows,
        Some(Path::new("/tmp/fix401-elevated-1-2.json")),
    );
    let json = elevated_json(&[(ResolverKind::WindowsDnsClient, &["ipconfig", "/flushdns"])]);
    let (report, steps) = super::elevate::interpret(
        Os::Windows,
        &cmd,
        Ok(CommandOutput {
            status: Some(0),
            ..CommandOutput::default()
        }),
        Some(json),
    );
    assert_eq!(report.outcome, ElevationOutcome::Done);
    assert_eq!(steps.len(), 1);
    assert!(steps[0].elevated && steps[0].outcome == RunOutcome::Done);
}

#[test]
fn only_a_successful_signal_makes_the_verification_wait_for_the_daemon() {
    let run = |argv_: &[&str], outcome| CommandRun {
        resolver: ResolverKind::Dnsmasq,
        argv: argv(argv_),
        elevated: false,
        outcome,
        message: String::new(),
    };
    use super::flush::signalled;
    assert!(signalled(&[run(
        &["kill", "-s", "HUP", "42"],
        RunOutcome::Done
    )]));
    assert!(signalled(&[run(
        &["killall", "-HUP", "mDNSResponder"],
        RunOutcome::Done
    )]));
    assert!(!signalled(&[run(
        &["kill", "-s", "HUP", "42"],
        RunOutcome::Failed
    )]));
    // Synchronous flushes answer only once the cache is empty.
    assert!(!signalled(&[run(
        &["resolvectl", "flush-caches"],
        RunOutcome::Done
    )]));
    assert!(!signalled(&[run(
        &["nscd", "-i", "hosts"],
        RunOutcome::Done
    )]));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn on_any_system_files_or_command_output(
            resolv in "\\PC{0,200}",
            hosts in "\\PC{0,200}",
            nscd in "\\PC{0,100}",
            cmdline in proptest::collection::vec("\\PC{0,30}", 0..6),
            sw in "\\PC{0,80}",
        ) {
            let args: Vec<&str> = cmdline.iter().map(String::as_str).collect();
            let m = Machine::new(Os::Linux)
                .file("etc/resolv.conf", &resolv)
                .file("etc/hosts", &hosts)
                .file("etc/nscd.conf", &nscd)
                .file("etc/dnsmasq.conf", &resolv)
                .process(10, "dnsmasq", &args)
                .process(11, "unbound", &args)
                .process(12, "nscd", &args);
            let _ = m.flush();
            let _ = super::hosts::entries_for(&m.sys, "a.example");
            let mac = Machine::new(Os::Macos).answer("sw_vers", 0, &sw, "");
            let _ = mac.flush();
        }
    }
}

#[test]
fn resolved_via_nsswitch_or_merely_running_is_flushed_too() {
    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 192.0.2.1\n")
        .file(
            "etc/nsswitch.conf",
            "passwd: files\nhosts:          files mymachines resolve [!UNAVAIL=return] dns myhostname\n",
        );
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![argv(BUSCTL), argv(&["resolvectl", "flush-caches"])]
    );
    assert!(
        r.detected.resolvers[0]
            .why
            .iter()
            .any(|w| w.contains("nsswitch"))
    );

    let m = Machine::new(Os::Linux)
        .file("etc/resolv.conf", "nameserver 192.0.2.1\n")
        .process(310, "systemd-resolved", &["/lib/systemd/systemd-resolved"]);
    let r = m.flush();
    assert_eq!(
        m.calls(),
        vec![argv(BUSCTL), argv(&["resolvectl", "flush-caches"])]
    );
    let why = r.detected.resolvers[0].why.join("\n");
    assert!(why.contains("harmless"), "{why}");
    assert_eq!(r.detected.resolvers[0].pid, Some(310));
}
