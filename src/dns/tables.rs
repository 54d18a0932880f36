//! What flushes which DNS cache, per OS, macOS version and Linux resolver: plain data,
//! compiled on every OS and chosen at run time (facts and sources in the shared
//! `reference/dns-flush.md`).

use serde::{Deserialize, Serialize};

/// A DNS cache fix401 knows how to flush.
///
/// The declaration order is the flush order: caches farther from the applications come
/// first, so a nearer cache flushed afterwards cannot refill itself from a stale farther one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolverKind {
    /// BIND `named` running on this machine.
    Bind,
    /// `unbound` running on this machine.
    Unbound,
    /// A standalone `dnsmasq`.
    Dnsmasq,
    /// The private `dnsmasq` NetworkManager starts with `dns=dnsmasq`.
    #[serde(rename = "networkmanager-dnsmasq")]
    NetworkManagerDnsmasq,
    /// systemd-resolved.
    SystemdResolved,
    /// glibc's name service cache daemon (hosts cache).
    Nscd,
    /// The Windows DNS Client service (`Dnscache`).
    WindowsDnsClient,
    /// The macOS system resolver cache (mDNSResponder; lookupd / discoveryd on old releases).
    MacosDnsCache,
}

impl ResolverKind {
    /// The stable id used in JSON (`systemd-resolved`…).
    pub fn id(self) -> &'static str {
        match self {
            ResolverKind::Bind => "bind",
            ResolverKind::Unbound => "unbound",
            ResolverKind::Dnsmasq => "dnsmasq",
            ResolverKind::NetworkManagerDnsmasq => "networkmanager-dnsmasq",
            ResolverKind::SystemdResolved => "systemd-resolved",
            ResolverKind::Nscd => "nscd",
            ResolverKind::WindowsDnsClient => "windows-dns-client",
            ResolverKind::MacosDnsCache => "macos-dns-cache",
        }
    }
}

/// Which rights a flush step needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Privilege {
    /// Works for any user.
    User,
    /// Often works unprivileged (polkit rules, group-readable keys, a daemon the user owns):
    /// tried as the user first, repeated in the one elevated run only if that fails.
    UserThenAdmin,
    /// Needs administrator rights; goes straight into the one elevated run.
    Admin,
}

/// One command of a table, with placeholders filled from detection:
/// `{pid}` → the daemon's process id; `{unbound-conf}` → `-c FILE` when the running
/// unbound was started with its own configuration file, nothing otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandTemplate {
    /// The program (looked up on `PATH`).
    pub program: &'static str,
    /// Its arguments.
    pub args: &'static [&'static str],
}

/// Commands that do the same thing: the first one installed is used, the rest are tried
/// only when the earlier ones are not installed (older or newer releases).
pub type Alternatives = &'static [CommandTemplate];

/// How to flush one cache: every command in order, each with its fallbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushMethod {
    /// Which cache this flushes.
    pub kind: ResolverKind,
    /// A name for people ("systemd-resolved", "mDNSResponder").
    pub label: &'static str,
    /// Which rights it needs.
    pub privilege: Privilege,
    /// Commands run in order.
    pub commands: &'static [Alternatives],
}

const fn cmd(program: &'static str, args: &'static [&'static str]) -> CommandTemplate {
    CommandTemplate { program, args }
}

/// Windows: the DNS Client service cache. Microsoft documents `/flushdns` as not needing
/// administrator rights, current guides elevate: try as the user first.
pub const WINDOWS: FlushMethod = FlushMethod {
    kind: ResolverKind::WindowsDnsClient,
    label: "Windows DNS Client",
    privilege: Privilege::UserThenAdmin,
    commands: &[&[cmd("ipconfig", &["/flushdns"])]],
};

/// Linux resolvers, in flush order.
pub const LINUX: &[FlushMethod] = &[
    FlushMethod {
        kind: ResolverKind::Bind,
        label: "BIND (named)",
        // The rndc key is often group-readable for the bind group.
        privilege: Privilege::UserThenAdmin,
        commands: &[&[cmd("rndc", &["flush"])]],
    },
    FlushMethod {
        kind: ResolverKind::Unbound,
        label: "unbound",
        // Works for the user when remote-control runs without certificates on loopback.
        privilege: Privilege::UserThenAdmin,
        // The whole cache: a per-name flush would put the host name on a command line
        // that may run elevated.
        commands: &[&[cmd(
            "unbound-control",
            &["{unbound-conf}", "flush_zone", "."],
        )]],
    },
    FlushMethod {
        kind: ResolverKind::Dnsmasq,
        label: "dnsmasq",
        // SIGHUP clears the cache; a dnsmasq the user started can be signalled by the user.
        privilege: Privilege::UserThenAdmin,
        commands: &[&[cmd("kill", &["-s", "HUP", "{pid}"])]],
    },
    FlushMethod {
        kind: ResolverKind::NetworkManagerDnsmasq,
        label: "NetworkManager's dnsmasq",
        // polkit usually lets the active user reload NetworkManager's DNS.
        privilege: Privilege::UserThenAdmin,
        commands: &[&[
            cmd("nmcli", &["general", "reload", "dns-full"]),
            cmd("kill", &["-s", "HUP", "{pid}"]),
        ]],
    },
    FlushMethod {
        kind: ResolverKind::SystemdResolved,
        label: "systemd-resolved",
        // Unprivileged until systemd added a polkit check (PR #42163).
        privilege: Privilege::UserThenAdmin,
        commands: &[&[
            cmd("resolvectl", &["flush-caches"]),
            cmd("systemd-resolve", &["--flush-caches"]),
        ]],
    },
    FlushMethod {
        kind: ResolverKind::Nscd,
        label: "nscd (hosts cache)",
        // glibc: "Only root is allowed to use this option!"
        privilege: Privilege::Admin,
        commands: &[&[cmd("nscd", &["-i", "hosts"])]],
    },
];

/// The Linux table entry for `kind`.
pub fn linux_method(kind: ResolverKind) -> Option<&'static FlushMethod> {
    LINUX.iter().find(|m| m.kind == kind)
}

/// A macOS version `major.minor.patch`.
pub type MacVersion = (u32, u32, u32);

/// One row of the macOS table: the releases it covers and their command set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacosEntry {
    /// First release covered.
    pub first: MacVersion,
    /// Last release covered (inclusive); `None` = every later release.
    pub last: Option<MacVersion>,
    /// The command set; every variant needs root (the cache belongs to the system daemon).
    pub method: FlushMethod,
}

const fn mac(label: &'static str, commands: &'static [Alternatives]) -> FlushMethod {
    FlushMethod {
        kind: ResolverKind::MacosDnsCache,
        label,
        privilege: Privilege::Admin,
        commands,
    }
}

/// macOS, by version (madboa.com, macfreek.nl; see the reference).
pub const MACOS: &[MacosEntry] = &[
    MacosEntry {
        first: (0, 0, 0),
        last: Some((10, 4, u32::MAX)),
        method: mac("lookupd", &[&[cmd("lookupd", &["-flushcache"])]]),
    },
    MacosEntry {
        first: (10, 5, 0),
        last: Some((10, 6, u32::MAX)),
        method: mac(
            "Directory Service cache",
            &[&[cmd("dscacheutil", &["-flushcache"])]],
        ),
    },
    MacosEntry {
        first: (10, 7, 0),
        last: Some((10, 9, u32::MAX)),
        method: mac(
            "mDNSResponder",
            &[&[cmd("killall", &["-HUP", "mDNSResponder"])]],
        ),
    },
    MacosEntry {
        first: (10, 10, 0),
        last: Some((10, 10, 3)),
        method: mac(
            "discoveryd",
            &[
                &[cmd("discoveryutil", &["udnsflushcaches"])],
                &[cmd("discoveryutil", &["mdnsflushcache"])],
            ],
        ),
    },
    MacosEntry {
        // From 10.10.4 on both commands together are the safe default.
        first: (10, 10, 4),
        last: None,
        method: mac(
            "mDNSResponder",
            &[
                &[cmd("dscacheutil", &["-flushcache"])],
                &[cmd("killall", &["-HUP", "mDNSResponder"])],
            ],
        ),
    },
];

/// The macOS table entry for `version` (later releases than any row use the newest row).
pub fn macos_entry(version: MacVersion) -> Option<&'static MacosEntry> {
    MACOS
        .iter()
        .find(|e| version >= e.first && e.last.is_none_or(|last| version <= last))
}

/// Parses `14.2.1`, `10.10` or `15` into a version; `None` for anything else.
pub fn parse_mac_version(text: &str) -> Option<MacVersion> {
    let text = text.trim();
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    let patch = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || major == 0 {
        return None;
    }
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macos_version_has_exactly_one_row() {
        for v in [
            (10, 3, 9),
            (10, 4, 11),
            (10, 5, 0),
            (10, 6, 8),
            (10, 9, 5),
            (10, 10, 0),
            (10, 10, 3),
            (10, 10, 4),
            (10, 15, 7),
            (11, 0, 0),
            (14, 2, 1),
            (26, 0, 0),
        ] {
            let rows = MACOS
                .iter()
                .filter(|e| v >= e.first && e.last.is_none_or(|l| v <= l))
                .count();
            assert_eq!(rows, 1, "{v:?}");
        }
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_mac_version("14.2.1"), Some((14, 2, 1)));
        assert_eq!(parse_mac_version(" 10.10 "), Some((10, 10, 0)));
        assert_eq!(parse_mac_version("15"), Some((15, 0, 0)));
        for bad in ["", "banana", "14.x", "1.2.3.4", "0.1", "-3"] {
            assert_eq!(parse_mac_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn linux_table_is_in_flush_order() {
        let kinds: Vec<_> = LINUX.iter().map(|m| m.kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
    }
}
