//! The elevated helper (`fix401 flush-dns --elevated`, exactly as pkexec starts it) trusts
//! nothing a user controls. Each run happens in a private mount namespace (`unshare --mount`)
//! where a copy of this machine's /etc (and, where needed, a fresh /run) is bind-mounted over
//! the real one: the helper sees the faked files, this machine's /etc and /run never change.
//! The daemons are real (dnsmasq, nscd) in front of the test's own upstream server.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::dns::{UpstreamDns, query_a, sbin, start_nscd};
use crate::support::{Fix401, Outcome};

const OLD: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 10);
const NEW: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 20);
/// A uid no account of this machine has: "some user".
const USER: u32 = 12345;

/// True when running as root (the namespaces and daemons need it); says so otherwise.
fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped: the elevated helper is exercised as root");
    }
    root
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A copy of this machine's /etc (owners and modes kept) to change for one test.
fn fake_etc(dir: &Path) -> PathBuf {
    let etc = dir.join("etc");
    let ok = Command::new("/usr/bin/cp")
        .args(["-a", "/etc"])
        .arg(&etc)
        .status()
        .unwrap()
        .success();
    assert!(ok, "copying /etc");
    etc
}

/// Runs `fix401 ARGS` inside a private mount namespace with `etc` over /etc and `run` (if
/// given) over /run, with exactly the environment `env` (nothing else is inherited, as under
/// pkexec).
fn in_namespace(etc: &Path, run: Option<&Path>, env: &[(&str, &str)], args: &[&str]) -> Outcome {
    let script = "/usr/bin/mount --bind \"$1\" /etc && \
                  if [ -n \"$2\" ]; then /usr/bin/mount --bind \"$2\" /run; fi && \
                  shift 2 && exec /usr/bin/env -i \"$@\"";
    let mut all: Vec<OsString> = vec![
        "--mount".into(),
        "--propagation".into(),
        "private".into(),
        "--".into(),
        "/bin/sh".into(),
        "-c".into(),
        script.into(),
        "sh".into(),
        etc.into(),
        run.map(OsString::from).unwrap_or_default(),
    ];
    all.extend(env.iter().map(|(k, v)| OsString::from(format!("{k}={v}"))));
    all.push(env!("CARGO_BIN_EXE_fix401").into());
    all.extend(args.iter().map(OsString::from));
    let out = Command::new("/usr/bin/unshare")
        .args(&all)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .expect("start unshare");
    Outcome {
        args: all,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The elevated helper as pkexec starts it, in the namespace.
fn helper(etc: &Path, run: Option<&Path>, env: &[(&str, &str)]) -> (Outcome, Value) {
    let out = in_namespace(etc, run, env, &["flush-dns", "--elevated"]).code(0);
    let line = out.stdout.lines().last().unwrap_or("").to_string();
    let v: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    (out, v)
}

/// A folder of programs named like everything the helper might start, each of which leaves
/// `marker` behind: on a `PATH` given to the helper, they show it never looks there.
fn evil_path(dir: &Path, marker: &Path) -> PathBuf {
    let bin = dir.join("evil-bin");
    std::fs::create_dir(&bin).unwrap();
    for name in [
        "kill",
        "nscd",
        "systemctl",
        "resolvectl",
        "busctl",
        "unbound-control",
        "rndc",
        "nmcli",
    ] {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        chmod(&p, 0o755);
    }
    bin
}

/// A dnsmasq the test started; killed on drop.
struct Dnsmasq {
    pid: u32,
    addr: SocketAddr,
    child: Child,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program` (a dnsmasq binary) answering on `ip`:53 as a cache in front of `up`,
/// under `wrapper` when given (to run it as another user), and waits until it answers.
fn dnsmasq(program: &Path, wrapper: &[&str], ip: Ipv4Addr, up: SocketAddr, dir: &Path) -> Dnsmasq {
    let args = [
        "--no-daemon".to_string(),
        "--keep-in-foreground".into(),
        format!("--listen-address={ip}"),
        "--port=53".into(),
        "--bind-interfaces".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        format!("--server=127.0.0.1#{}", up.port()),
        "--cache-size=100".into(),
        format!("--pid-file={}", dir.join(format!("{ip}.pid")).display()),
        "--conf-file=/dev/null".into(),
    ];
    let mut cmd = match wrapper.split_first() {
        Some((w, rest)) => {
            let mut c = Command::new(w);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    };
    let mut child = cmd
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dnsmasq");
    let addr = SocketAddr::new(ip.into(), 53);
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("dnsmasq on {addr} exited early ({status})");
        }
        if query_a(addr, "ready.probe.invalid").is_some() {
            return Dnsmasq {
                pid: child.id(),
                addr,
                child,
            };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("dnsmasq does not answer on {addr}");
}

/// Three loopback addresses of their own (port 53 is free on each), from this process id.
fn loopbacks() -> [Ipv4Addr; 3] {
    let id = std::process::id();
    let (a, b) = ((id >> 8) as u8, id as u8);
    [53, 54, 55].map(|n| Ipv4Addr::new(127, n, a, b))
}

fn steps(v: &Value) -> Vec<Vec<String>> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_value(s["argv"].clone()).unwrap())
        .collect()
}

fn problems(v: &Value) -> Vec<String> {
    serde_json::from_value(v["problems"].clone()).unwrap()
}

#[test]
fn faked_dnsmasq_processes_and_pid_files_are_not_flushed_a_root_one_is() {
    if !root() {
        return;
    }
    let Some(dnsmasq_bin) = sbin("dnsmasq") else {
        panic!("dnsmasq is installed (scripts/install-deps.sh)");
    };
    let dir = tempfile::tempdir().unwrap();
    let up = UpstreamDns::start();
    let [real_ip, copied_ip, user_ip] = loopbacks();

    // The real one: the system's dnsmasq started by root (it drops to its own account).
    let real = dnsmasq(&dnsmasq_bin, &[], real_ip, up.addr, dir.path());
    // A fake: the same program copied into a folder everyone may write, started as root.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let copy = open.join("dnsmasq");
    std::fs::copy(&dnsmasq_bin, &copy).unwrap();
    let copied = dnsmasq(&copy, &[], copied_ip, up.addr, dir.path());
    // A fake: the system's program started by some user (allowed to bind port 53).
    let user_dir = dir.path().join("user");
    std::fs::create_dir(&user_dir).unwrap();
    std::os::unix::fs::chown(&user_dir, Some(USER), Some(USER)).unwrap();
    let (uid, caps) = (format!("--reuid={USER}"), "+net_bind_service");
    let gid = format!("--regid={USER}");
    let as_user = [
        "/usr/bin/setpriv",
        uid.as_str(),
        gid.as_str(),
        "--clear-groups",
        "--inh-caps",
        caps,
        "--ambient-caps",
        caps,
    ];
    let user = dnsmasq(&dnsmasq_bin, &as_user, user_ip, up.addr, &user_dir);

    // Every one of them caches an answer that is now stale.
    up.set("e.test", OLD);
    for d in [&real, &copied, &user] {
        assert_eq!(query_a(d.addr, "e.test"), Some(vec![OLD]));
    }
    up.set("e.test", NEW);
    for d in [&real, &copied, &user] {
        assert_eq!(
            query_a(d.addr, "e.test"),
            Some(vec![OLD]),
            "{} caches",
            d.addr
        );
    }

    // This machine, as the helper will see it: lookups go to all three; the user's process
    // has a pid file in /run that the user owns.
    let etc = fake_etc(dir.path());
    std::fs::write(
        etc.join("resolv.conf"),
        format!("nameserver {real_ip}\nnameserver {copied_ip}\nnameserver {user_ip}\n"),
    )
    .unwrap();
    chmod(&etc.join("resolv.conf"), 0o644);
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("dnsmasq")).unwrap();
    chmod(&run, 0o755);
    std::fs::write(run.join("dnsmasq/dnsmasq.pid"), format!("{}\n", user.pid)).unwrap();
    for p in [run.join("dnsmasq"), run.join("dnsmasq/dnsmasq.pid")] {
        std::os::unix::fs::chown(&p, Some(USER), Some(USER)).unwrap();
    }

    // The fakes are convincing: the person's own detection would signal all three.
    let control = in_namespace(
        &etc,
        Some(&run),
        &[("HOME", "/root")],
        &["--json", "flush-dns", "--dry-run"],
    )
    .code(0);
    let plan = control.json();
    let planned: Vec<u64> = plan["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["pid"].as_u64())
        .collect();
    for d in [&real, &copied, &user] {
        assert!(planned.contains(&u64::from(d.pid)), "{plan:#}");
    }

    // The helper, with a hostile environment: its own PATH and library path.
    let marker = dir.path().join("evil-ran");
    let evil = evil_path(dir.path(), &marker);
    let evil = evil.display().to_string();
    let (_, result) = helper(
        &etc,
        Some(&run),
        &[
            ("PATH", &evil),
            ("LD_LIBRARY_PATH", &evil),
            ("HOME", "/root"),
        ],
    );
    let ran = steps(&result);
    assert_eq!(
        ran.len(),
        1,
        "only the real dnsmasq is signalled: {result:#}"
    );
    assert!(
        ran[0][0].starts_with('/') && ran[0][0].ends_with("/kill"),
        "{result:#}"
    );
    assert_eq!(
        ran[0][1..],
        ["-s", "HUP", &real.pid.to_string()],
        "{result:#}"
    );
    assert_eq!(result["steps"][0]["outcome"], "done", "{result:#}");
    assert!(!marker.exists(), "a program from the caller's PATH ran");
    let said = problems(&result).join("\n");
    assert!(
        said.contains(&format!(
            "process dnsmasq (pid {}) was not flushed",
            copied.pid
        )) && said.contains(&format!("its program {}: its folder", copy.display()))
            && said.contains("is not root's alone"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "process dnsmasq (pid {}) was not flushed",
            user.pid
        )) && said.contains(&format!("runs as uid {USER}")),
        "{said}"
    );

    // The real cache is flushed (the signal is handled as the daemon next runs); the fakes
    // still serve the old answer.
    let deadline = Instant::now() + Duration::from_secs(3);
    while query_a(real.addr, "e.test") != Some(vec![NEW]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(query_a(real.addr, "e.test"), Some(vec![NEW]));
    assert_eq!(query_a(copied.addr, "e.test"), Some(vec![OLD]));
    assert_eq!(query_a(user.addr, "e.test"), Some(vec![OLD]));
}

#[test]
fn symlinked_or_user_owned_configs_are_refused_saying_why() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let etc = fake_etc(dir.path());
    // nsswitch.conf: a link (to a root-owned file, even): not followed.
    let real_nss = etc.join("nsswitch.conf.real");
    std::fs::rename(etc.join("nsswitch.conf"), &real_nss).unwrap();
    std::os::unix::fs::symlink(&real_nss, etc.join("nsswitch.conf")).unwrap();
    // resolv.conf: a root-owned link to a file in a folder everyone may write.
    let planted = dir.path().join("resolv.conf");
    std::fs::write(&planted, "nameserver 127.0.0.1\n").unwrap();
    std::os::unix::fs::chown(&planted, Some(USER), Some(USER)).unwrap();
    let _ = std::fs::remove_file(etc.join("resolv.conf"));
    std::os::unix::fs::symlink(&planted, etc.join("resolv.conf")).unwrap();
    // nscd.conf: a link to a file the user owns.
    let nscd_conf = dir.path().join("nscd.conf");
    std::fs::write(&nscd_conf, "enable-cache hosts no\n").unwrap();
    std::os::unix::fs::chown(&nscd_conf, Some(USER), Some(USER)).unwrap();
    let _ = std::fs::remove_file(etc.join("nscd.conf"));
    std::os::unix::fs::symlink(&nscd_conf, etc.join("nscd.conf")).unwrap();

    let nscd = start_nscd();
    let marker = dir.path().join("evil-ran");
    let evil = evil_path(dir.path(), &marker).display().to_string();
    let (_, result) = helper(&etc, None, &[("PATH", &evil), ("HOME", "/root")]);
    let said = problems(&result).join("\n");
    assert!(
        said.contains(
            "did not read /etc/nsswitch.conf: it is a symbolic link, which the elevated run \
             does not follow"
        ),
        "{said}"
    );
    assert!(
        said.contains(&format!("did not read {}", planted.display()))
            && said.contains("is not root's alone"),
        "{said}"
    );
    match nscd {
        Some(nscd) => {
            assert!(
                said.contains("did not read /etc/nscd.conf: it is a symbolic link"),
                "{said}"
            );
            // The refused file said "hosts no"; nscd itself is verified, so it is flushed
            // (harmless) by the system's own program, not by the one on the caller's PATH.
            let ran = steps(&result);
            let nscd_bin = sbin("nscd").unwrap().display().to_string();
            assert_eq!(
                ran,
                vec![vec![nscd_bin, "-i".into(), "hosts".into()]],
                "{result:#}"
            );
            assert_eq!(result["steps"][0]["outcome"], "done", "{result:#}");
            assert!(!said.contains(&format!("pid {}", nscd.pid)), "{said}");
        }
        None => eprintln!("nscd part skipped: nscd cannot run here (or already runs)"),
    }
    assert!(!marker.exists(), "a program from the caller's PATH ran");
}

#[test]
fn injected_arguments_are_rejected_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("injected");
    let inject = format!("x; touch {}", marker.display());
    let d = dir.path().display().to_string();
    let cases: Vec<Vec<OsString>> = [
        vec!["flush-dns", "--elevated", "--host", "evil.example"],
        vec!["flush-dns", "--elevated", "--host", inject.as_str()],
        vec!["flush-dns", "--elevated", "--result", "/etc/passwd"],
        vec![
            "flush-dns",
            "--elevated",
            "--result",
            "/tmp/fix401-elevated-1-2.json",
        ],
        vec!["--system-root", d.as_str(), "flush-dns", "--elevated"],
        vec!["--home", d.as_str(), "flush-dns", "--elevated"],
        vec!["--dns-server", "127.0.0.1:53", "flush-dns", "--elevated"],
        vec!["flush-dns", "--elevated", "--dry-run"],
    ]
    .into_iter()
    .map(|a| a.into_iter().map(OsString::from).collect())
    .collect();
    for args in cases {
        Fix401::new(args)
            .run()
            .code(2)
            .stderr_has("takes no other arguments");
    }
    // Past what the parser accepts at all: still exit 2, never a panic.
    let odd: Vec<Vec<OsString>> = vec![
        vec![
            "flush-dns".into(),
            "--elevated".into(),
            "--".into(),
            "/bin/sh".into(),
        ],
        vec![
            "flush-dns".into(),
            "--elevated".into(),
            "--host".into(),
            OsString::from_vec(vec![0xff, b'x']),
        ],
        vec![
            "--home".into(),
            OsString::from_vec(vec![b'/', 0xff]),
            "flush-dns".into(),
            "--elevated".into(),
        ],
    ];
    for args in odd {
        let out = Fix401::new(args).run().code(2);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    assert!(!marker.exists(), "an injected command ran");
}
