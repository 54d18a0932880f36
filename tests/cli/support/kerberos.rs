//! A real MIT Kerberos realm and a real Negotiate-protected site on loopback, for the sign-in
//! tests (recipe: `enterprise-auth.md` §4). Everything lives under a temporary folder: the
//! realm's `krb5.conf` and `kdc.conf` are handed to every tool through `KRB5_CONFIG` and
//! `KRB5_KDC_PROFILE`, Apache gets its own config file, and each daemon runs in the
//! foreground as a child of the test, stopped by its own pid when dropped. Nothing of this
//! machine's `/etc` is read or written.
//!
//! ```ignore
//! let realm = Realm::start();                  // krb5kdc + principals `user`, `HTTP/localhost`
//! let site = realm.site();                     // Apache + mod_auth_gssapi at /private/
//! let cc = realm.kinit(USER_PASSWORD, None);   // FILE: ccache with the user's TGT
//! // KRB5_CONFIG=realm.krb5_config() KRB5CCNAME=cc.name() curl --negotiate ... → 200
//! ```
//!
//! Library calls read `KRB5_CONFIG` and `KRB5CCNAME` from the process environment, which the
//! test threads of one binary share: [`isolated`] runs a test's library part in a child
//! process of the test binary with its own environment.

use std::ffi::OsString;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The test realm.
pub const REALM: &str = "EXAMPLE.TEST";
/// The user principal every realm has (without the realm).
pub const USER: &str = "user";
/// The user's password (a test secret of a throw-away realm).
pub const USER_PASSWORD: &str = "fix401-user-pw";
/// The path Apache protects with `AuthType GSSAPI`.
pub const PRIVATE_PATH: &str = "/private/";

/// A private MIT realm: `krb5kdc` on a free loopback port (TCP and UDP), a database with the
/// principals `user` (password [`USER_PASSWORD`]) and `HTTP/localhost` (random key, in
/// `http.keytab`). The KDC is stopped by its pid when dropped (or by [`Realm::stop_kdc`]).
pub struct Realm {
    dir: tempfile::TempDir,
    /// The KDC's loopback port.
    pub kdc_port: u16,
    kdc: Option<Child>,
}

/// Numbers the caches [`Realm::kinit`] makes.
static KINITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A credential cache file of a realm (`FILE:` type).
pub struct Ccache(PathBuf);

impl Ccache {
    /// `FILE:/path`, the value for `KRB5CCNAME`.
    pub fn name(&self) -> String {
        format!("FILE:{}", self.0.display())
    }

    /// The file itself.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

fn tool(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("{name} is installed (krb5-kdc, krb5-user, apache2: scripts/install-deps.sh)")
        })
}

/// A loopback port free for both TCP and UDP (the KDC binds both).
fn free_port() -> u16 {
    super::dns::free_port()
}

impl Realm {
    /// Creates the realm's database and principals and starts `krb5kdc -n` on a free port,
    /// waiting until it accepts TCP connections.
    pub fn start() -> Realm {
        let dir = tempfile::Builder::new()
            .prefix("fix401-krb5-")
            .tempdir()
            .unwrap();
        // Apache's children run as `www-data` when the tests run as root: they must reach the
        // folder and read the keytab and krb5.conf.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut realm = Realm {
            dir,
            kdc_port: 0,
            kdc: None,
        };
        let d = realm.dir.path().to_path_buf();
        std::fs::write(d.join("kadm5.acl"), "").unwrap();
        // Another test may take the port between `free_port` and the KDC's bind: retried.
        for _ in 0..5 {
            realm.kdc_port = free_port();
            realm.write_configs();
            if !d.join("principal").exists() {
                realm.create_database();
            }
            let log = std::fs::File::create(d.join("kdc.stderr")).unwrap();
            let child = Command::new(tool("krb5kdc"))
                .args(["-n", "-P"])
                .arg(d.join("kdc.pid"))
                .envs(realm.env())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start krb5kdc");
            realm.kdc = Some(child);
            if realm.wait_for_kdc() {
                return realm;
            }
            realm.stop_kdc();
        }
        panic!(
            "krb5kdc did not start:\n{}\n{}",
            std::fs::read_to_string(d.join("kdc.stderr")).unwrap_or_default(),
            std::fs::read_to_string(d.join("kdc.log")).unwrap_or_default()
        );
    }

    fn wait_for_kdc(&mut self) -> bool {
        wait_for_port(
            self.kdc.as_mut().unwrap(),
            self.kdc_port,
            Duration::from_secs(10),
        )
    }

    fn write_configs(&self) {
        let d = self.dir.path().display();
        let port = self.kdc_port;
        // MIT profile syntax: `{` ends its line, one relation per line.
        let krb5 = format!(
            "[libdefaults]\n\
             default_realm = {REALM}\n\
             dns_lookup_kdc = false\n\
             dns_lookup_realm = false\n\
             rdns = false\n\
             dns_canonicalize_hostname = false\n\
             udp_preference_limit = 1\n\
             [realms]\n\
             {REALM} = {{\n\
             kdc = 127.0.0.1:{port}\n\
             }}\n\
             [domain_realm]\n\
             localhost = {REALM}\n\
             .example.test = {REALM}\n"
        );
        let kdc = format!(
            "[kdcdefaults]\n\
             kdc_ports = {port}\n\
             kdc_tcp_ports = {port}\n\
             [realms]\n\
             {REALM} = {{\n\
             database_name = {d}/principal\n\
             key_stash_file = {d}/stash\n\
             acl_file = {d}/kadm5.acl\n\
             max_life = 10h\n\
             max_renewable_life = 7d\n\
             }}\n\
             [logging]\n\
             kdc = FILE:{d}/kdc.log\n"
        );
        std::fs::write(self.krb5_config(), krb5).unwrap();
        std::fs::write(self.kdc_profile(), kdc).unwrap();
        std::fs::set_permissions(self.krb5_config(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }

    fn create_database(&self) {
        let d = self.dir.path();
        self.run(
            Command::new(tool("kdb5_util"))
                .args(["-r", REALM, "-d"])
                .arg(d.join("principal"))
                .arg("-sf")
                .arg(d.join("stash"))
                .args(["create", "-s", "-P", "fix401-master-pw"]),
        );
        self.kadmin(&format!(
            "addprinc -pw {USER_PASSWORD} +allow_renewable -maxrenewlife 7d {USER}"
        ));
        self.add_service("HTTP/localhost");
        self.kadmin(&format!(
            "ktadd -k {} HTTP/localhost",
            self.keytab().display()
        ));
        std::fs::set_permissions(self.keytab(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    /// Adds a service principal with a random key (`kadmin.local addprinc -randkey`).
    pub fn add_service(&self, principal: &str) {
        self.kadmin(&format!("addprinc -randkey {principal}"));
    }

    /// Sets the user's password (`kadmin.local cpw -pw`), e.g. to a very short one.
    pub fn set_user_password(&self, password: &str) {
        self.kadmin(&format!("cpw -pw {password} {USER}"));
    }

    /// `klist -c <cc>`'s output (principal and tickets), `None` when klist finds no cache.
    pub fn klist(&self, cc: &Ccache) -> Option<String> {
        let out = Command::new(tool("klist"))
            .envs(self.env())
            .args(["-c", &cc.name()])
            .stdin(Stdio::null())
            .output()
            .expect("run klist");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn kadmin(&self, query: &str) {
        self.run(Command::new(tool("kadmin.local")).args(["-r", REALM, "-q", query]));
    }

    fn run(&self, cmd: &mut Command) -> Output {
        let out = cmd
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("run a krb5 tool");
        // kadmin.local reports a failed query on stderr and still exits 0.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("while "),
            "{cmd:?} failed: {stderr}"
        );
        out
    }

    /// The realm's private `krb5.conf` (the value for `KRB5_CONFIG`).
    pub fn krb5_config(&self) -> PathBuf {
        self.dir.path().join("krb5.conf")
    }

    /// The realm's private `kdc.conf` (the value for `KRB5_KDC_PROFILE`).
    pub fn kdc_profile(&self) -> PathBuf {
        self.dir.path().join("kdc.conf")
    }

    /// The keytab with `HTTP/localhost`'s key.
    pub fn keytab(&self) -> PathBuf {
        self.dir.path().join("http.keytab")
    }

    /// The KDC's log (every AS and TGS request, with its outcome).
    pub fn kdc_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kdc.log")).unwrap_or_default()
    }

    /// `KRB5_CONFIG` and `KRB5_KDC_PROFILE` for a tool of this realm.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        vec![
            ("KRB5_CONFIG".into(), self.krb5_config().into()),
            ("KRB5_KDC_PROFILE".into(), self.kdc_profile().into()),
        ]
    }

    /// A path for a credential cache that does not exist yet (`FILE:` type).
    pub fn empty_ccache(&self, name: &str) -> Ccache {
        Ccache(self.dir.path().join(format!("cc-{name}")))
    }

    /// `kinit user` into a fresh private `FILE:` ccache with `password` on stdin; `lifetime`
    /// (`kinit -l`, e.g. `"2s"`) asks for a short-lived ticket. Panics when kinit fails.
    pub fn kinit(&self, password: &str, lifetime: Option<&str>) -> Ccache {
        match lifetime {
            Some(l) => self.kinit_with(password, &["-l", l]),
            None => self.kinit_with(password, &["-r", "1d"]),
        }
    }

    /// `kinit <args> user` into a fresh private `FILE:` ccache (e.g. `["-S", "HTTP/localhost"]`
    /// for a service ticket without a TGT). Panics when kinit fails.
    pub fn kinit_with(&self, password: &str, args: &[&str]) -> Ccache {
        let n = KINITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cc = self.empty_ccache(&format!("kinit{n}"));
        let out = self.try_kinit(&cc, password, args);
        assert!(
            out.status.success(),
            "kinit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cc
    }

    /// `kinit <args> user` into `cc`; the outcome, for tests of failures.
    pub fn try_kinit(&self, cc: &Ccache, password: &str, args: &[&str]) -> Output {
        let mut child = Command::new(tool("kinit"))
            .envs(self.env())
            .env("KRB5CCNAME", cc.name())
            .args(args)
            .arg(USER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kinit");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Stops the KDC (by its pid) and waits until it has exited; later requests for new
    /// tickets get "Cannot contact any KDC".
    pub fn stop_kdc(&mut self) {
        if let Some(child) = self.kdc.take() {
            stop(child);
        }
    }

    /// Starts a private Apache with `mod_auth_gssapi` that protects [`PRIVATE_PATH`] with this
    /// realm's `HTTP/localhost` key.
    pub fn site(&self) -> NegotiateSite {
        NegotiateSite::start(self)
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        self.stop_kdc();
    }
}

/// SIGTERM to a child this test started (by its own pid), then wait; SIGKILL after 5 s.
fn stop(mut child: Child) {
    // SAFETY: signalling a process this test spawned, by its own pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.wait();
}

/// A private Apache (`apache2 -f <conf> -D FOREGROUND`) on a free loopback port whose
/// [`PRIVATE_PATH`] needs Negotiate (`AuthType GSSAPI`, krb5 only, `Require valid-user`);
/// the access log (`%h %u "%r" %>s "User-Agent"`) names who signed in, and with what. Stopped by its pid when dropped.
pub struct NegotiateSite {
    dir: tempfile::TempDir,
    /// The loopback port Apache listens on.
    pub port: u16,
    child: Option<Child>,
}

impl NegotiateSite {
    fn start(realm: &Realm) -> NegotiateSite {
        let apache = tool("apache2");
        let modules = Path::new("/usr/lib/apache2/modules");
        assert!(
            modules.join("mod_auth_gssapi.so").exists(),
            "mod_auth_gssapi is installed (libapache2-mod-auth-gssapi: scripts/install-deps.sh)"
        );
        let dir = tempfile::Builder::new()
            .prefix("fix401-apache-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let d = dir.path().to_path_buf();
        std::fs::create_dir_all(d.join("htdocs/private")).unwrap();
        std::fs::write(d.join("htdocs/private/index.html"), "signed in\n").unwrap();
        // Apache refuses to run as root: its children drop to www-data.
        let user = if unsafe { libc::geteuid() } == 0 {
            "User www-data\nGroup www-data\n"
        } else {
            ""
        };
        let mut site = NegotiateSite {
            dir,
            port: 0,
            child: None,
        };
        for _ in 0..5 {
            site.port = free_port();
            let m = modules.display();
            let conf = format!(
                "ServerRoot \"{d}\"\n\
                 ServerName localhost\n\
                 Listen 127.0.0.1:{port}\n\
                 PidFile {d}/httpd.pid\n\
                 DefaultRuntimeDir {d}\n\
                 Mutex file:{d}\n\
                 ErrorLog {d}/error.log\n\
                 {user}\
                 LoadModule mpm_event_module {m}/mod_mpm_event.so\n\
                 LoadModule authn_core_module {m}/mod_authn_core.so\n\
                 LoadModule authz_core_module {m}/mod_authz_core.so\n\
                 LoadModule authz_user_module {m}/mod_authz_user.so\n\
                 LoadModule auth_gssapi_module {m}/mod_auth_gssapi.so\n\
                 LoadModule mime_module {m}/mod_mime.so\n\
                 LoadModule dir_module {m}/mod_dir.so\n\
                 LoadModule env_module {m}/mod_env.so\n\
                 TypesConfig /etc/mime.types\n\
                 LogFormat \"%h %u \\\"%r\\\" %>s \\\"%{{User-Agent}}i\\\"\" who\n\
                 CustomLog {d}/access.log who\n\
                 DocumentRoot {d}/htdocs\n\
                 DirectoryIndex index.html\n\
                 SetEnv KRB5_CONFIG {krb5}\n\
                 <Location {PRIVATE_PATH}>\n\
                 AuthType GSSAPI\n\
                 AuthName \"fix401 test\"\n\
                 GssapiCredStore keytab:{keytab}\n\
                 GssapiAllowedMech krb5\n\
                 Require valid-user\n\
                 </Location>\n",
                d = d.display(),
                port = site.port,
                krb5 = realm.krb5_config().display(),
                keytab = realm.keytab().display(),
            );
            std::fs::write(d.join("httpd.conf"), conf).unwrap();
            let child = Command::new(&apache)
                .arg("-f")
                .arg(d.join("httpd.conf"))
                .args(["-D", "FOREGROUND"])
                .envs(realm.env())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(d.join("stderr.log")).unwrap())
                .spawn()
                .expect("start apache2");
            site.child = Some(child);
            if site.wait_ready() {
                return site;
            }
            if let Some(c) = site.child.take() {
                stop(c);
            }
        }
        panic!(
            "apache2 did not start:\n{}\n{}",
            std::fs::read_to_string(d.join("stderr.log")).unwrap_or_default(),
            std::fs::read_to_string(d.join("error.log")).unwrap_or_default()
        );
    }

    fn wait_ready(&mut self) -> bool {
        wait_for_port(
            self.child.as_mut().unwrap(),
            self.port,
            Duration::from_secs(15),
        )
    }

    /// `http://<host>:<port>/private/`.
    pub fn url(&self, host: &str) -> String {
        format!("http://{host}:{}{PRIVATE_PATH}", self.port)
    }

    /// The access log so far, one `%h %u "%r" %>s "User-Agent"` line per request.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// Waits (up to 5 s: Apache writes each line when the request ends) for an access-log
    /// line containing `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if self.access_log().lines().any(|l| l.contains(needle)) {
                return true;
            }
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for NegotiateSite {
    fn drop(&mut self) {
        if let Some(c) = self.child.take() {
            stop(c);
        }
    }
}

/// `curl --negotiate -u : URL` with the realm's config and `cc` as the cache; the HTTP status.
pub fn curl_negotiate(realm: &Realm, cc: &Ccache, url: &str) -> u16 {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--negotiate",
            "-u",
            ":",
        ])
        .arg(url)
        .envs(realm.env())
        .env("KRB5CCNAME", cc.name())
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// The variable that marks a child run of [`isolated`] (its value is the test's name).
const CHILD: &str = "FIX401_ISOLATED_TEST";

/// True inside the child process [`isolated`] started for the test `name` (`module::test`,
/// as libtest names it): the test then runs its library part and returns.
pub fn in_child(name: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == name)
}

/// Runs the test `name` again in a child process of this test binary (that test alone, one
/// thread), with `env` added to its environment and [`in_child`] true there; panics with the
/// child's output unless it passed. Library calls that read `KRB5_CONFIG` / `KRB5CCNAME`
/// thus get their own environment without touching the one the other test threads share.
pub fn isolated(name: &str, env: &[(&str, OsString)]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child run of {name} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// The environment that shifts a child process's clock by `offset` (libfaketime's
/// `FAKETIME`, e.g. `"+15m"`), for clock-skew tests; the machine's clock is untouched.
pub fn clock_offset(offset: &str) -> Vec<(&'static str, OsString)> {
    let lib = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join("faketime/libfaketimeMT.so.1"))
    .find(|p| p.exists())
    .expect("libfaketime is installed (scripts/install-deps.sh)");
    vec![
        ("LD_PRELOAD", lib.into()),
        ("FAKETIME", offset.into()),
        ("FAKETIME_DONT_RESET", "1".into()),
    ]
}

/// Waits until `port` on loopback accepts connections (true), or `child` exits or `timeout`
/// passes (false).
fn wait_for_port(child: &mut std::process::Child, port: u16, timeout: Duration) -> bool {
    let until = Instant::now() + timeout;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if child.try_wait().ok().flatten().is_some() || Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
