//! A real Squid on loopback (private configuration, cache and logs under a temporary
//! folder; Basic logins checked by `basic_ncsa_auth` against an `htpasswd` file), PAC files
//! served from loopback, and Firefox profiles made by real Firefox ESR whose settings send
//! traffic the way a test wants.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http::{Reply, Server, respond};
use super::real_browser::Firefox;

/// A Squid proxy running for one test; stopped (by its pid) when dropped.
pub struct Squid {
    /// The loopback port it listens on.
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// What a test wants of its proxy.
#[derive(Default)]
pub struct SquidConfig<'a> {
    /// Users and passwords: when any, every request needs a Basic login (407 otherwise).
    pub users: &'a [(&'a str, &'a str)],
    /// URL paths (plain http) the proxy refuses with its 403 error page.
    pub deny_paths: &'a [&'a str],
    /// Extra `hosts` lines for the proxy's own name lookups (`127.0.0.1 site.test`).
    pub hosts: &'a [&'a str],
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Squid {
    /// Starts `squid -N -f <private conf>` on a free loopback port and waits until it
    /// accepts connections.
    pub fn start(cfg: &SquidConfig) -> Squid {
        let squid = ["/usr/sbin/squid", "/usr/bin/squid"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("squid is installed (scripts/install-deps.sh)");
        let dir = tempfile::Builder::new()
            .prefix("fix401-squid-")
            .tempdir()
            .unwrap();
        // Squid drops to its own user (`proxy`): it must reach the folder, write its logs
        // and read the password file.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let d = dir.path();
        let port = free_port();
        let mut conf = format!(
            "http_port 127.0.0.1:{port}\n\
             visible_hostname fix401-test-squid\n\
             pid_filename {d}/squid.pid\n\
             cache_log {d}/cache.log\n\
             access_log stdio:{d}/access.log\n\
             coredump_dir {d}\n\
             cache deny all\n\
             cache_mem 1 MB\n\
             shutdown_lifetime 0 seconds\n\
             pinger_enable off\n\
             hosts_file {d}/hosts\n\
             dns_nameservers 127.0.0.1\n",
            d = d.display()
        );
        let mut hosts = String::from("127.0.0.1 localhost\n");
        for h in cfg.hosts {
            hosts.push_str(h);
            hosts.push('\n');
        }
        std::fs::write(d.join("hosts"), hosts).unwrap();
        for (i, p) in cfg.deny_paths.iter().enumerate() {
            conf.push_str(&format!(
                "acl denied{i} urlpath_regex ^{p}\nhttp_access deny denied{i}\n"
            ));
        }
        if cfg.users.is_empty() {
            conf.push_str("http_access allow all\n");
        } else {
            let passwd = d.join("passwd");
            for (i, (user, password)) in cfg.users.iter().enumerate() {
                let mut c = Command::new("htpasswd");
                if i == 0 {
                    c.arg("-c");
                }
                let ok = c
                    .arg("-b")
                    .arg(&passwd)
                    .args([user, password])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("htpasswd is installed (apache2-utils, scripts/install-deps.sh)");
                assert!(ok.success(), "htpasswd failed");
            }
            std::fs::set_permissions(&passwd, std::fs::Permissions::from_mode(0o644)).unwrap();
            conf.push_str(&format!(
                "auth_param basic program /usr/lib/squid/basic_ncsa_auth {}\n\
                 auth_param basic realm fix401 test proxy\n\
                 acl authed proxy_auth REQUIRED\n\
                 http_access allow authed\n\
                 http_access deny all\n",
                passwd.display()
            ));
        }
        std::fs::write(d.join("squid.conf"), conf).unwrap();
        let child = Command::new(squid)
            .args(["-N", "-f"])
            .arg(d.join("squid.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("stderr.log")).unwrap())
            .spawn()
            .expect("start squid");
        let mut s = Squid { port, child, dir };
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > until || s.child.try_wait().ok().flatten().is_some() {
                panic!(
                    "squid did not start:\n{}\n{}",
                    std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default(),
                    std::fs::read_to_string(s.dir.path().join("cache.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The access log so far (Squid writes each line when the request ends).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// Waits until the access log has a line containing `needle` (Squid buffers briefly).
    pub fn logged(&self, needle: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if self.access_log().contains(needle) {
                return true;
            }
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        // SAFETY: signalling the squid process this test started, by its own pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > until {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.wait();
    }
}

/// Serves `script` as a PAC file at `/proxy.pac` on a loopback port.
pub fn pac_server(script: &str) -> Server {
    let body = script.as_bytes().to_vec();
    Server::http(move |_, _| -> Reply {
        respond(
            200,
            &[("Content-Type", b"application/x-ns-proxy-autoconfig")],
            &body,
        )
    })
}

/// A site on loopback that answers every GET with 200 and a small page.
pub fn site() -> Server {
    Server::http(|_, _| respond(200, &[("Content-Type", b"text/html")], b"<p>it works</p>"))
}

/// Creates a Firefox profile named `name` in `home` with real Firefox ESR (`-CreateProfile`),
/// gives it the loopback-only preferences of the other real-browser tests plus `prefs`
/// (name, JavaScript value), then starts Firefox once on `about:blank` so that Firefox itself
/// writes them into `prefs.js`. Returns the profile folder.
pub fn firefox_profile(home: &Path, name: &str, prefs: &[(&str, String)]) -> PathBuf {
    let dir = home.join(format!("ff-{name}"));
    // The loopback-only preferences of the other real-browser tests, then this test's own.
    let own: String = prefs
        .iter()
        .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
        .collect();
    Firefox::create_at(home, name, &dir, &own).visit_and_settle("about:blank");
    // Firefox writes only the preferences that differ from its defaults: the first one
    // each test gives does.
    let written = std::fs::read_to_string(dir.join("prefs.js")).unwrap_or_default();
    if let Some((k, _)) = prefs.first() {
        assert!(
            written.contains(k),
            "Firefox did not write {k} into prefs.js"
        );
    }
    dir
}

/// The proxy preferences of a manual proxy for http and https at `host_port`.
pub fn manual_proxy_prefs(
    host: &str,
    port: u16,
    no_proxies_on: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("network.proxy.type", "1".into()),
        ("network.proxy.http", format!("\"{host}\"")),
        ("network.proxy.http_port", port.to_string()),
        ("network.proxy.ssl", format!("\"{host}\"")),
        ("network.proxy.ssl_port", port.to_string()),
        (
            "network.proxy.no_proxies_on",
            format!("\"{no_proxies_on}\""),
        ),
        // The test sites are on loopback, which Firefox never proxies unless told to.
        ("network.proxy.allow_hijacking_localhost", "true".into()),
    ]
}

/// The proxy preferences of a PAC file at `url`, for loopback sites too.
pub fn pac_prefs(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("network.proxy.type", "2".into()),
        ("network.proxy.autoconfig_url", format!("\"{url}\"")),
        ("network.proxy.allow_hijacking_localhost", "true".into()),
    ]
}

/// The proxy preferences of a SOCKS 5 proxy at `host:port` for every URL (the http and
/// https proxies and the bypass list of the base profile cleared), names resolved by the
/// proxy when `remote_dns` (`socks_remote_dns`).
pub fn socks_proxy_prefs(host: &str, port: u16, remote_dns: bool) -> Vec<(&'static str, String)> {
    vec![
        ("network.proxy.type", "1".into()),
        ("network.proxy.socks", format!("\"{host}\"")),
        ("network.proxy.socks_port", port.to_string()),
        ("network.proxy.socks_version", "5".into()),
        ("network.proxy.socks_remote_dns", remote_dns.to_string()),
        ("network.proxy.http", "\"\"".into()),
        ("network.proxy.ssl", "\"\"".into()),
        ("network.proxy.no_proxies_on", "\"\"".into()),
        ("network.proxy.allow_hijacking_localhost", "true".into()),
    ]
}
