//! Which DNS caches sit between this machine's applications and the name servers.
//!
//! Everything is read through [`System`]: system files below `system_root` (so tests use
//! fixtures), commands through its runner, processes through its process source (command
//! lines from `proc/PID/cmdline` below the system root). The elevated run detects with
//! [`detect_root_owned`]: the same reasoning over root-owned facts only.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::elevate::trust;
use super::tables::{self, FlushMethod, ResolverKind};
use crate::system::{CommandSpec, Os, ProcessInfo, System};

/// Where detection gets its facts: the person's own run believes the files it reads; the
/// elevated run ([`detect_root_owned`]) opens them without following links and only when root
/// alone may change them, and asks systemd rather than the process list about resolved.
struct Facts<'a> {
    sys: &'a System,
    root_owned: bool,
    /// Files the elevated run refused to read, each with why.
    refused: RefCell<Vec<String>>,
}

impl Facts<'_> {
    /// A system file by its path relative to the system root; `None` when it is missing,
    /// unreadable or (elevated) refused, which is then noted.
    fn text(&self, rel: impl AsRef<Path>) -> Option<String> {
        let path = self.sys.system_file(rel);
        if !self.root_owned {
            return std::fs::read_to_string(&path).ok();
        }
        match trust::read_config(&self.sys.system_root, &path) {
            Ok(text) => text,
            Err(why) => {
                self.refused
                    .borrow_mut()
                    .push(format!("did not read {}: {why}", path.display()));
                None
            }
        }
    }

    /// Like [`Facts::text`] for a file that only informs (the OS release): a refusal is not
    /// worth a note.
    fn quiet_text(&self, rel: impl AsRef<Path>) -> Option<String> {
        let path = self.sys.system_file(rel);
        if self.root_owned {
            trust::read_config(&self.sys.system_root, &path)
                .ok()
                .flatten()
        } else {
            std::fs::read_to_string(&path).ok()
        }
    }

    /// An absolute path of the machine (from a command line or configuration), read below
    /// the system root.
    fn text_abs(&self, path: &Path) -> Option<String> {
        self.text(path.strip_prefix("/").unwrap_or(path))
    }
}

/// A cache found on the machine.
#[derive(Debug, Clone, Serialize)]
pub struct DetectedResolver {
    /// Which cache.
    pub kind: ResolverKind,
    /// A name for people.
    pub label: String,
    /// The daemon's process id, when it is a process fix401 saw.
    pub pid: Option<u32>,
    /// The daemon's command line, when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cmdline: Vec<String>,
    /// Where it answers queries, as far as its command line and configuration tell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<SocketAddr>,
    /// Loopback servers it forwards to (how stacked caches are found).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forwards_to: Vec<SocketAddr>,
    /// True when lookups on this machine pass through it, so it is flushed.
    pub in_use: bool,
    /// Why fix401 believes it is there (and whether it is used).
    pub why: Vec<String>,
    /// The unbound configuration file given with `-c`, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    /// How to flush it.
    #[serde(skip)]
    pub method: &'static FlushMethod,
}

/// What `/etc/resolv.conf` says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolvConf {
    /// Where it points when it is a symbolic link.
    pub symlink: Option<String>,
    /// `nameserver` lines, in order.
    pub nameservers: Vec<IpAddr>,
    /// The program that wrote it, from its header comment (`systemd-resolved`,
    /// `NetworkManager`, `resolvconf`).
    pub generator: Option<String>,
}

impl ResolvConf {
    /// True when it is (a link to) one of systemd-resolved's files or only names its stub.
    pub fn points_to_resolved(&self) -> bool {
        let link = self.symlink.as_deref().unwrap_or("");
        link.ends_with("systemd/resolve/stub-resolv.conf")
            || link.ends_with("systemd/resolve/resolv.conf")
            || link.ends_with("lib/systemd/resolv.conf")
            || (!self.nameservers.is_empty()
                && self
                    .nameservers
                    .iter()
                    .all(|n| *n == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53))))
            || self.generator.as_deref() == Some("systemd-resolved")
    }
}

/// Everything detection found, in flush order, with its reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// The OS whose table applies.
    pub os: Os,
    /// The OS release, when known (`macOS 14.2.1`, `Debian GNU/Linux 12 (bookworm)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// `/etc/resolv.conf`, on Linux and macOS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolv_conf: Option<ResolvConf>,
    /// Every cache found, in flush order (farthest from the applications first).
    pub resolvers: Vec<DetectedResolver>,
    /// The upstream name servers answers are compared against (never loopback caches).
    pub upstreams: Vec<SocketAddr>,
    /// What was looked at and what it showed.
    pub tried: Vec<String>,
    /// What could not be determined; flushing stops short where these apply.
    pub problems: Vec<String>,
}

impl Detection {
    /// The caches that will be flushed.
    pub fn in_use(&self) -> impl Iterator<Item = &DetectedResolver> {
        self.resolvers.iter().filter(|r| r.in_use)
    }
}

/// Detects the caches on `sys`. Never fails: what cannot be read is listed in `problems`
/// or `tried`.
pub fn detect(sys: &System) -> Detection {
    detect_with(&Facts {
        sys,
        root_owned: false,
        refused: RefCell::default(),
    })
}

/// Detection for the elevated run: every file is read with [`trust::read_config`] (no link
/// followed, root's alone), systemd-resolved counts when `systemctl is-active` says so (or a
/// verified process runs), and `sys.processes` must list only verified daemons. Returns the
/// detection and what it refused to read, each with why.
pub(crate) fn detect_root_owned(sys: &System) -> (Detection, Vec<String>) {
    let facts = Facts {
        sys,
        root_owned: true,
        refused: RefCell::default(),
    };
    let d = detect_with(&facts);
    (d, facts.refused.into_inner())
}

fn detect_with(facts: &Facts) -> Detection {
    let sys = facts.sys;
    let mut d = Detection {
        os: sys.os,
        os_version: None,
        resolv_conf: None,
        resolvers: Vec::new(),
        upstreams: Vec::new(),
        tried: Vec::new(),
        problems: Vec::new(),
    };
    match sys.os {
        Os::Windows => detect_windows(sys, &mut d),
        Os::Macos => detect_macos(facts, &mut d),
        Os::Linux => detect_linux(facts, &mut d),
    }
    d.resolvers.sort_by_key(|r| r.kind);
    if let Some(up) = sys.upstream_dns {
        d.upstreams = vec![up];
        d.tried
            .push(format!("upstream name server given: {up} (--upstream-dns)"));
    }
    d
}

fn detect_windows(_sys: &System, d: &mut Detection) {
    d.resolvers.push(DetectedResolver {
        kind: ResolverKind::WindowsDnsClient,
        label: tables::WINDOWS.label.to_string(),
        pid: None,
        cmdline: Vec::new(),
        listen: Vec::new(),
        forwards_to: Vec::new(),
        in_use: true,
        why: vec!["every Windows lookup goes through the DNS Client service cache".into()],
        config: None,
        method: &tables::WINDOWS,
    });
}

fn detect_macos(facts: &Facts, d: &mut Detection) {
    let (version, tried) = macos_version(facts);
    d.tried.extend(tried.iter().cloned());
    let Some((text, v)) = version else {
        d.problems.push(format!(
            "could not tell the macOS version, so no command was chosen (each release \
             flushes differently); tried: {}",
            tried.join("; ")
        ));
        return;
    };
    d.os_version = Some(format!("macOS {text}"));
    let Some(entry) = tables::macos_entry(v) else {
        d.problems.push(format!(
            "macOS {text} matches no row of the table; tried: {}",
            tried.join("; ")
        ));
        return;
    };
    d.resolvers.push(DetectedResolver {
        kind: ResolverKind::MacosDnsCache,
        label: entry.method.label.to_string(),
        pid: None,
        cmdline: Vec::new(),
        listen: Vec::new(),
        forwards_to: Vec::new(),
        in_use: true,
        why: vec![format!(
            "macOS {text}: lookups are cached by {} (system daemon, needs administrator rights)",
            entry.method.label
        )],
        config: None,
        method: &entry.method,
    });
    if let Some(rc) = read_resolv_conf(facts, d) {
        add_upstreams(
            &mut d.upstreams,
            rc.nameservers.iter().filter(|ip| !ip.is_loopback()),
        );
        d.resolv_conf = Some(rc);
    }
}

/// The macOS version from `sw_vers`, else from `SystemVersion.plist`; with what was tried.
fn macos_version(facts: &Facts) -> (Option<(String, tables::MacVersion)>, Vec<String>) {
    let sys = facts.sys;
    let mut tried = Vec::new();
    match sys.run(&CommandSpec::new("sw_vers", Vec::<String>::new())) {
        Ok(out) if out.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let version = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("ProductVersion:"))
                .or_else(|| {
                    // `sw_vers -productVersion` style: the version alone.
                    let t = text.trim();
                    (!t.contains(':') && !t.is_empty()).then_some(t)
                })
                .map(str::trim);
            match version.and_then(|v| tables::parse_mac_version(v).map(|p| (v, p))) {
                Some((v, p)) => {
                    tried.push(format!("sw_vers: ProductVersion {v}"));
                    return (Some((v.to_string(), p)), tried);
                }
                None => tried.push(format!(
                    "sw_vers printed no version fix401 understands ({:?})",
                    text.trim().chars().take(120).collect::<String>()
                )),
            }
        }
        Ok(out) => tried.push(format!("sw_vers failed (exit {:?})", out.status)),
        Err(e) => tried.push(format!("sw_vers could not run ({e})")),
    }
    let plist = sys.system_file("System/Library/CoreServices/SystemVersion.plist");
    match facts
        .text("System/Library/CoreServices/SystemVersion.plist")
        .ok_or("not readable")
    {
        Ok(text) => {
            let v = text
                .split("<key>ProductVersion</key>")
                .nth(1)
                .and_then(|rest| rest.split("<string>").nth(1))
                .and_then(|rest| rest.split("</string>").next())
                .map(str::trim);
            match v.and_then(|v| tables::parse_mac_version(v).map(|p| (v, p))) {
                Some((v, p)) => {
                    tried.push(format!("{}: ProductVersion {v}", plist.display()));
                    return (Some((v.to_string(), p)), tried);
                }
                None => tried.push(format!(
                    "{}: no ProductVersion fix401 understands",
                    plist.display()
                )),
            }
        }
        Err(e) => tried.push(format!("{}: {e}", plist.display())),
    }
    (None, tried)
}

/// Reads `etc/resolv.conf` (following a link inside the system root).
fn read_resolv_conf(facts: &Facts, d: &mut Detection) -> Option<ResolvConf> {
    let sys = facts.sys;
    let path = sys.system_file("etc/resolv.conf");
    let mut rc = ResolvConf::default();
    let mut text = None;
    let mut linked = false;
    if let Ok(target) = std::fs::read_link(&path) {
        linked = true;
        let target_s = target.to_string_lossy().into_owned();
        if facts.root_owned
            && let Err(why) = root_owned_link(&sys.system_root, &path)
        {
            facts
                .refused
                .borrow_mut()
                .push(format!("did not follow {}: {why}", path.display()));
            return None;
        }
        // An absolute target means "on that machine": map it below the system root.
        let inside = if target.is_absolute() {
            target.strip_prefix("/").unwrap_or(&target).to_path_buf()
        } else {
            path.parent()
                .unwrap_or(Path::new("/"))
                .join(&target)
                .strip_prefix(&sys.system_root)
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        rc.symlink = Some(target_s.clone());
        // The link alone says resolved manages it (its files belong to resolved's account,
        // which the elevated run does not read).
        if !(facts.root_owned && rc.points_to_resolved()) {
            text = facts.quiet_text(&inside).or_else(|| {
                // /var/run is a link to /run on current systems; fixtures may lack it.
                let alt = target_s.replace("/var/run/", "/run/");
                facts.text(alt.trim_start_matches('/'))
            });
        }
        d.tried
            .push(format!("{} is a link to {target_s}", path.display()));
    }
    // The elevated run never lets the operating system follow the link for it.
    let follow = !linked || !facts.root_owned;
    let text = match text.or_else(|| follow.then(|| facts.text("etc/resolv.conf")).flatten()) {
        Some(t) => t,
        None => {
            d.tried.push(format!("{}: not readable", path.display()));
            return linked.then_some(rc);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if (line.starts_with('#') || line.starts_with(';')) && i < 10 {
            let l = line.to_ascii_lowercase();
            if rc.generator.is_none() {
                rc.generator = if l.contains("systemd-resolved") {
                    Some("systemd-resolved".into())
                } else if l.contains("networkmanager") {
                    Some("NetworkManager".into())
                } else if l.contains("resolvconf") {
                    Some("resolvconf".into())
                } else {
                    None
                };
            }
        }
        let mut f = line.split_whitespace();
        if f.next() == Some("nameserver")
            && let Some(ip) = f.next().and_then(|a| a.split('%').next()?.parse().ok())
        {
            rc.nameservers.push(ip);
        }
    }
    d.tried.push(format!(
        "{}: nameservers {:?}{}",
        path.display(),
        rc.nameservers,
        rc.generator
            .as_deref()
            .map(|g| format!(", written by {g}"))
            .unwrap_or_default()
    ));
    Some(rc)
}

fn add_upstreams<'a>(list: &mut Vec<SocketAddr>, ips: impl Iterator<Item = &'a IpAddr>) {
    for ip in ips {
        let a = SocketAddr::new(*ip, 53);
        if !list.contains(&a) {
            list.push(a);
        }
    }
}

/// The command line of a process, from `proc/PID/cmdline` below the system root.
fn cmdline(sys: &System, pid: u32) -> Vec<String> {
    std::fs::read(sys.system_file(format!("proc/{pid}/cmdline")))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// True when `proc/PID/status` says this pid is a thread of another process.
fn is_thread(sys: &System, pid: u32) -> bool {
    std::fs::read_to_string(sys.system_file(format!("proc/{pid}/status")))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|v| v.trim().parse::<u32>().ok())
        })
        .is_some_and(|tgid| tgid != pid)
}

/// The value of an option in a command line: `--name=V`, `--name V`, `-s V` or `-sV`.
fn opt_values(args: &[String], long: &str, short: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            out.push(v.to_string());
        } else if a == long || Some(a.as_str()) == short {
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
                i += 1;
            }
        } else if let Some(s) = short
            && let Some(v) = a.strip_prefix(s)
            && !v.is_empty()
            && !a.starts_with("--")
        {
            out.push(v.to_string());
        }
        i += 1;
    }
    out
}

/// `KEY=VALUE` lines of a dnsmasq configuration file.
fn dnsmasq_conf_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            // dnsmasq comments start the line: '#' inside a value is a port (`IP#PORT`).
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
        .collect()
}

/// Parses a dnsmasq `server=` value: `IP`, `IP#PORT`, `/domain/IP#PORT`.
fn dnsmasq_server(value: &str) -> Option<SocketAddr> {
    let v = value.rsplit('/').next()?;
    let (ip, port) = match v.split_once('#') {
        Some((ip, port)) => (ip, port.parse().ok()?),
        None => (v, 53),
    };
    Some(SocketAddr::new(ip.trim().parse().ok()?, port))
}

struct DaemonInfo {
    listen: Vec<SocketAddr>,
    forwards_to: Vec<SocketAddr>,
    upstreams: Vec<SocketAddr>,
    config: Option<PathBuf>,
    notes: Vec<String>,
}

impl DaemonInfo {
    /// A daemon listening on `listen` that forwards to `servers`: loopback ones are the next
    /// cache in the stack, the others the upstream name servers.
    fn new(
        listen: Vec<SocketAddr>,
        servers: &[SocketAddr],
        config: Option<PathBuf>,
        notes: Vec<String>,
    ) -> DaemonInfo {
        let (forwards_to, upstreams) = servers.iter().partition(|s| s.ip().is_loopback());
        DaemonInfo {
            listen,
            forwards_to,
            upstreams,
            config,
            notes,
        }
    }
}

fn dnsmasq_info(facts: &Facts, args: &[String]) -> DaemonInfo {
    let conf_path = opt_values(args, "--conf-file", Some("-C"))
        .pop()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/dnsmasq.conf"));
    // `--conf-file=/dev/null` (or empty) means "no configuration file".
    let conf = if conf_path.as_os_str().is_empty() || conf_path == Path::new("/dev/null") {
        String::new()
    } else {
        facts.text_abs(&conf_path).unwrap_or_default()
    };
    let mut ports = opt_values(args, "--port", Some("-p"));
    ports.extend(dnsmasq_conf_values(&conf, "port"));
    let port = ports.first().and_then(|p| p.parse().ok()).unwrap_or(53u16);
    let mut addrs = opt_values(args, "--listen-address", Some("-a"));
    addrs.extend(dnsmasq_conf_values(&conf, "listen-address"));
    let mut listen: Vec<SocketAddr> = addrs
        .iter()
        .flat_map(|a| a.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    if listen.is_empty() {
        listen.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    let mut servers = opt_values(args, "--server", Some("-S"));
    servers.extend(dnsmasq_conf_values(&conf, "server"));
    let servers: Vec<SocketAddr> = servers.iter().filter_map(|s| dnsmasq_server(s)).collect();
    DaemonInfo::new(listen, &servers, None, Vec::new())
}

/// Parses an unbound address with an optional port: `1.2.3.4@5353`.
fn unbound_addr(value: &str, default_port: u16) -> Option<SocketAddr> {
    let v = value.trim().trim_matches('"');
    let (ip, port) = match v.split_once('@') {
        Some((ip, port)) => (ip, port.parse().ok()?),
        None => (v, default_port),
    };
    Some(SocketAddr::new(ip.parse().ok()?, port))
}

fn unbound_info(facts: &Facts, args: &[String]) -> DaemonInfo {
    let sys = facts.sys;
    let given = opt_values(args, "-c", Some("-c")).pop().map(PathBuf::from);
    let mut notes = Vec::new();
    // Running as root, a configuration file from a command line is only trusted when root
    // owns it and nobody else may write it: unbound-control would read its keys as root.
    let config = given.filter(|p| {
        let file = sys.system_file(p.strip_prefix("/").unwrap_or(p));
        let ok = if facts.root_owned {
            trust::read_config(&sys.system_root, &file).is_ok_and(|t| t.is_some())
        } else {
            !sys.admin || owned_by_root_only(&file)
        };
        if !ok {
            notes.push(format!(
                "ignored unbound configuration {} (not owned by root only)",
                p.display()
            ));
        }
        ok
    });
    let path = config
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/unbound/unbound.conf"));
    let text = facts.text_abs(&path).unwrap_or_default();
    let mut port = 53u16;
    let mut interfaces = Vec::new();
    let mut forwards = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some((k, v)) = line.split_once(':') {
            match k.trim() {
                "port" => port = v.trim().parse().unwrap_or(port),
                "interface" => interfaces.push(v.trim().to_string()),
                "forward-addr" => forwards.push(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut listen: Vec<SocketAddr> = interfaces
        .iter()
        .filter_map(|i| unbound_addr(i, port))
        .collect();
    if listen.is_empty() {
        listen.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let servers: Vec<SocketAddr> = forwards
        .iter()
        .filter_map(|f| unbound_addr(f, 53))
        .collect();
    DaemonInfo::new(listen, &servers, config, notes)
}

#[cfg(unix)]
fn owned_by_root_only(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| trust::root_only(&m).is_ok())
}

#[cfg(not(unix))]
fn owned_by_root_only(_path: &Path) -> bool {
    false
}

/// A symbolic link root alone made: in folders root's alone, and owned by root.
#[cfg(unix)]
fn root_owned_link(root: &Path, link: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    trust::check_folders(root, link)?;
    let meta =
        std::fs::symlink_metadata(link).map_err(|e| format!("it cannot be checked ({e})"))?;
    if meta.uid() != 0 {
        return Err(format!(
            "the link is owned by uid {}, not by root",
            meta.uid()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn root_owned_link(_root: &Path, _link: &Path) -> Result<(), String> {
    Err("links are not checked on this OS".into())
}

/// True when a daemon listening on `listen` answers queries sent to `target`.
fn serves(listen: &[SocketAddr], target: SocketAddr) -> bool {
    listen
        .iter()
        .any(|l| l.port() == target.port() && (l.ip() == target.ip() || l.ip().is_unspecified()))
}

/// `hosts` cache setting of nscd.conf: `Some((enabled, line))`, `None` when not set.
fn nscd_hosts_cache(text: &str) -> Option<(bool, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.split('#').next()?.trim();
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() >= 3 && f[0] == "enable-cache" && f[1] == "hosts").then(|| (f[2] == "yes", i + 1))
    })
}

fn detect_linux(facts: &Facts, d: &mut Detection) {
    let sys = facts.sys;
    for rel in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(text) = facts.quiet_text(rel) {
            d.os_version = text.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim().trim_matches('"').to_string())
            });
            if let Some(v) = &d.os_version {
                d.tried.push(format!("/{rel}: {v}"));
            }
            break;
        }
    }
    let rc = read_resolv_conf(facts, d).unwrap_or_default();
    let nsswitch_resolve = facts
        .text("etc/nsswitch.conf")
        .and_then(|t| {
            t.lines()
                .find(|l| l.trim_start().starts_with("hosts:"))
                .map(|l| l.split_whitespace().any(|w| w == "resolve"))
        })
        .unwrap_or(false);

    // The process source may list threads as well (sysinfo does on Linux): keep only
    // thread-group leaders, whose pid is the one to signal.
    let procs: Vec<ProcessInfo> = sys
        .processes
        .processes()
        .into_iter()
        .filter(|p| !is_thread(sys, p.pid))
        .collect();
    let named = |name: &'static str| procs.iter().filter(move |p| p.name == name);

    // Where this machine's lookups go first: the given server, else resolv.conf's loopback ones.
    let targets: Vec<SocketAddr> = match sys.dns_server {
        Some(s) => {
            d.tried
                .push(format!("system resolver given: {s} (--dns-server)"));
            vec![s]
        }
        None => rc
            .nameservers
            .iter()
            .filter(|ip| ip.is_loopback())
            .map(|ip| SocketAddr::new(*ip, 53))
            .collect(),
    };

    // Forwarding daemons: dnsmasq (standalone or NetworkManager's), unbound, named.
    let mut daemons: Vec<(DetectedResolver, Vec<SocketAddr>)> = Vec::new();
    for (proc_name, kind) in [
        ("dnsmasq", ResolverKind::Dnsmasq),
        ("unbound", ResolverKind::Unbound),
        ("named", ResolverKind::Bind),
    ] {
        for p in named(proc_name) {
            let args = cmdline(sys, p.pid);
            let nm =
                kind == ResolverKind::Dnsmasq && args.iter().any(|a| a.contains("NetworkManager"));
            let kind = if nm {
                ResolverKind::NetworkManagerDnsmasq
            } else {
                kind
            };
            let info = match kind {
                ResolverKind::Unbound => unbound_info(facts, &args),
                ResolverKind::Bind => DaemonInfo {
                    listen: vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 53)],
                    forwards_to: Vec::new(),
                    upstreams: Vec::new(),
                    config: None,
                    notes: Vec::new(),
                },
                _ => dnsmasq_info(facts, &args),
            };
            let Some(method) = tables::linux_method(kind) else {
                continue;
            };
            let mut why = vec![format!(
                "process {proc_name} (pid {}) runs{}",
                p.pid,
                if args.is_empty() {
                    String::new()
                } else {
                    format!(": {}", args.join(" "))
                }
            )];
            why.extend(info.notes);
            daemons.push((
                DetectedResolver {
                    kind,
                    label: method.label.to_string(),
                    pid: Some(p.pid),
                    cmdline: args,
                    listen: info.listen,
                    forwards_to: info.forwards_to,
                    in_use: false,
                    why,
                    config: info.config,
                    method,
                },
                info.upstreams,
            ));
        }
    }
    // In use: serves a target, or serves a loopback server an in-use daemon forwards to.
    let mut wanted = targets.clone();
    loop {
        let mut changed = false;
        for (r, _) in daemons.iter_mut().filter(|(r, _)| !r.in_use) {
            if let Some(t) = wanted.iter().find(|t| serves(&r.listen, **t)) {
                r.in_use = true;
                r.why.push(format!("answers on {t}, where lookups go"));
                wanted.extend(r.forwards_to.iter().copied());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (mut r, ups) in daemons {
        if r.in_use {
            for u in ups {
                if !d.upstreams.contains(&u) {
                    d.upstreams.push(u);
                }
            }
        } else {
            r.why.push(format!(
                "not in use: lookups go to {targets:?}, not to {:?}; left alone",
                r.listen
            ));
        }
        d.resolvers.push(r);
    }

    if sys.dns_server.is_some() {
        // The given server is "the system resolver": machine-wide caches are not on its path.
        d.tried.push(
            "--dns-server given: only the caches serving it are flushed (systemd-resolved and \
             nscd are not on that path)"
                .into(),
        );
        d.resolv_conf = Some(rc);
        return;
    }

    // systemd-resolved: check D-Bus whenever anything hints at it.
    let resolved_proc = named("systemd-resolved").next().map(|p| p.pid);
    let hints: Vec<String> = [
        rc.points_to_resolved()
            .then(|| "resolv.conf points to systemd-resolved's stub".to_string()),
        nsswitch_resolve.then(|| "nsswitch.conf uses the resolve module".to_string()),
        resolved_proc.map(|pid| format!("process systemd-resolved (pid {pid}) runs")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !hints.is_empty() {
        let running = if facts.root_owned {
            resolved_active(sys, resolved_proc.is_some())
        } else {
            resolved_running(sys, resolved_proc.is_some())
        };
        match running {
            (true, how) => {
                let mut why = hints.clone();
                why.push(how);
                if !rc.points_to_resolved() && !nsswitch_resolve {
                    why.push(
                        "running but not the configured resolver; flushing it is harmless".into(),
                    );
                }
                d.resolvers.push(DetectedResolver {
                    kind: ResolverKind::SystemdResolved,
                    label: "systemd-resolved".into(),
                    pid: resolved_proc,
                    cmdline: Vec::new(),
                    listen: vec![SocketAddr::new(
                        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53)),
                        53,
                    )],
                    forwards_to: Vec::new(),
                    in_use: true,
                    why,
                    config: None,
                    method: tables::linux_method(ResolverKind::SystemdResolved)
                        .unwrap_or(&tables::LINUX[0]),
                });
                // Its real upstreams, for the comparison.
                // Its real upstreams, for the comparison (the elevated run compares nothing).
                if sys.upstream_dns.is_none()
                    && !facts.root_owned
                    && let Some(t) = facts.text("run/systemd/resolve/resolv.conf")
                {
                    let ips: Vec<IpAddr> = t
                        .lines()
                        .filter_map(|l| l.trim().strip_prefix("nameserver"))
                        .filter_map(|a| a.trim().split('%').next()?.parse().ok())
                        .filter(|ip: &IpAddr| !ip.is_loopback())
                        .collect();
                    add_upstreams(&mut d.upstreams, ips.iter());
                }
            }
            (false, how) => d.tried.push(format!(
                "systemd-resolved hinted ({}) but not running: {how}",
                hints.join(", ")
            )),
        }
    }

    // nscd: the daemon runs and its hosts cache is on.
    if let Some(p) = named("nscd").next() {
        let conf = facts.text("etc/nscd.conf").ok_or(());
        let setting = conf.as_deref().ok().and_then(nscd_hosts_cache);
        let (on, why) = match (&conf, setting) {
            (_, Some((true, line))) => (
                true,
                format!("etc/nscd.conf line {line}: enable-cache hosts yes"),
            ),
            (_, Some((false, line))) => (
                false,
                format!("etc/nscd.conf line {line}: hosts cache disabled"),
            ),
            (Ok(_), None) => (
                true,
                "etc/nscd.conf does not set the hosts cache; assuming it caches".into(),
            ),
            (Err(_), None) => (
                true,
                "etc/nscd.conf missing or not read; assuming the hosts cache is on (flushing it \
                 is harmless)"
                    .into(),
            ),
        };
        if on {
            d.resolvers.push(DetectedResolver {
                kind: ResolverKind::Nscd,
                label: "nscd (hosts cache)".into(),
                pid: Some(p.pid),
                cmdline: cmdline(sys, p.pid),
                listen: Vec::new(),
                forwards_to: Vec::new(),
                in_use: true,
                why: vec![format!("process nscd (pid {}) runs", p.pid), why],
                config: None,
                method: tables::linux_method(ResolverKind::Nscd).unwrap_or(&tables::LINUX[0]),
            });
        } else {
            d.tried.push(format!("nscd (pid {}) runs, {why}", p.pid));
        }
    }

    // Upstreams from resolv.conf itself.
    add_upstreams(
        &mut d.upstreams,
        rc.nameservers.iter().filter(|ip| !ip.is_loopback()),
    );
    if d.resolvers.iter().all(|r| !r.in_use) {
        d.tried.push(
            "no local DNS cache in use: nothing to flush on this machine (stale answers then \
             come from the name servers or the browser)"
                .into(),
        );
    }
    d.resolvers.sort_by_key(|r| r.kind);
    d.resolv_conf = Some(rc);
}

/// Whether systemd-resolved runs, for the elevated run: systemd's own answer
/// (`systemctl is-active`, run as root), else a verified systemd-resolved process. Nothing a
/// user can answer (a D-Bus name, a process name) counts.
fn resolved_active(sys: &System, verified_process: bool) -> (bool, String) {
    let cmd = CommandSpec::new("systemctl", ["is-active", "systemd-resolved.service"]);
    match sys.run(&cmd) {
        Ok(out) if out.success() && String::from_utf8_lossy(&out.stdout).trim() == "active" => {
            (true, "systemctl: systemd-resolved.service is active".into())
        }
        Ok(out) if verified_process => (
            true,
            format!(
                "systemctl does not call it active ({}), but its verified process runs",
                first_line(&out.stdout)
            ),
        ),
        Ok(out) => (
            false,
            format!(
                "systemctl: systemd-resolved.service is not active ({})",
                first_line(&out.stdout)
            ),
        ),
        Err(_) if verified_process => (true, "its verified process runs".into()),
        Err(e) => (false, format!("systemctl ({e})")),
    }
}

/// Whether systemd-resolved owns its D-Bus name, asked through `busctl`, then
/// `resolvectl status`, then the process list.
fn resolved_running(sys: &System, process_seen: bool) -> (bool, String) {
    let mut tried = Vec::new();
    let busctl = CommandSpec::new(
        "busctl",
        [
            "--system",
            "--no-pager",
            "status",
            "org.freedesktop.resolve1",
        ],
    );
    match sys.run(&busctl) {
        Ok(out) if out.success() => {
            return (
                true,
                "D-Bus name org.freedesktop.resolve1 answers (busctl)".into(),
            );
        }
        Ok(out) => {
            return (
                false,
                format!(
                    "busctl: org.freedesktop.resolve1 does not answer ({})",
                    first_line(&out.stderr)
                ),
            );
        }
        Err(e) => tried.push(format!("busctl ({e})")),
    }
    match sys.run(&CommandSpec::new("resolvectl", ["status"])) {
        Ok(out) if out.success() => {
            return (true, "resolvectl status answers".into());
        }
        Ok(out) => {
            return (
                false,
                format!("resolvectl status: {}", first_line(&out.stderr)),
            );
        }
        Err(e) => tried.push(format!("resolvectl ({e})")),
    }
    if process_seen {
        (
            true,
            format!(
                "{} unavailable; the process list shows it",
                tried.join(", ")
            ),
        )
    } else {
        (false, format!("tried {}", tried.join(", ")))
    }
}

/// The first non-empty line of a command's output, for messages.
pub(crate) fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_options_in_every_spelling() {
        let a: Vec<String> = [
            "dnsmasq",
            "--port=5300",
            "-a",
            "127.0.0.1",
            "-p",
            "54",
            "-S1.1.1.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(opt_values(&a, "--port", Some("-p")), vec!["5300", "54"]);
        assert_eq!(
            opt_values(&a, "--listen-address", Some("-a")),
            vec!["127.0.0.1"]
        );
        assert_eq!(opt_values(&a, "--server", Some("-S")), vec!["1.1.1.1"]);
    }

    #[test]
    fn dnsmasq_servers_and_unbound_addresses() {
        assert_eq!(
            dnsmasq_server("127.0.0.1#5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            dnsmasq_server("/corp.example/10.0.0.1"),
            Some("10.0.0.1:53".parse().unwrap())
        );
        assert_eq!(dnsmasq_server("/local/"), None);
        assert_eq!(
            unbound_addr("127.0.0.1@5454", 53),
            Some("127.0.0.1:5454".parse().unwrap())
        );
        assert_eq!(unbound_addr("::1", 53), Some("[::1]:53".parse().unwrap()));
    }

    #[test]
    fn nscd_conf_hosts_line() {
        let t = "# nscd\n\tenable-cache\t\tpasswd\t\tyes\n\tenable-cache\t\thosts\t\tno\n";
        assert_eq!(nscd_hosts_cache(t), Some((false, 3)));
        assert_eq!(
            nscd_hosts_cache("enable-cache hosts yes # on"),
            Some((true, 1))
        );
        assert_eq!(nscd_hosts_cache(""), None);
    }
}
