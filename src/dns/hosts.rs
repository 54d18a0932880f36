//! The hosts file: a separate source of answers that no flush removes. Read only; fix401
//! never edits it.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

use crate::system::{Os, System};

/// One hosts-file line that names the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostsEntry {
    /// The file, as read (below the system root).
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// The address the line pins the host to.
    pub address: IpAddr,
    /// Every name on the line.
    pub names: Vec<String>,
    /// The line as written (without its comment).
    pub text: String,
}

/// The hosts file of `sys`'s OS, below its system root.
pub fn hosts_path(sys: &System) -> PathBuf {
    match sys.os {
        Os::Windows => sys.system_file("Windows/System32/drivers/etc/hosts"),
        Os::Linux | Os::Macos => sys.system_file("etc/hosts"),
    }
}

/// Names that always live in the hosts file and pin nothing a site could move; they are
/// never looked up in DNS either.
pub fn is_local_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "localhost.localdomain"
        || name.starts_with("ip6-")
        || name == "broadcasthost"
}

/// Normalises a host name for comparison: lower case, no trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Parses hosts-file text: `(line number, address, names, text)` for every valid line.
/// Comments (`#` to the end of the line), blank lines and lines whose first field is not an
/// address are skipped; IPv6 zone ids (`fe80::1%lo0`) are accepted.
pub fn parse(text: &str) -> Vec<(usize, IpAddr, Vec<String>, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let addr = addr.split('%').next().unwrap_or(addr);
        let Ok(address) = addr.parse::<IpAddr>() else {
            continue;
        };
        let names: Vec<String> = fields.map(normalize).collect();
        if names.is_empty() {
            continue;
        }
        out.push((i + 1, address, names, line.to_string()));
    }
    out
}

/// Every line of the hosts file that pins `host` (none for `localhost`-style names).
/// A missing or unreadable hosts file has no entries.
pub fn entries_for(sys: &System, host: &str) -> Vec<HostsEntry> {
    let host = normalize(host);
    if host.is_empty() || is_local_name(&host) {
        return Vec::new();
    }
    let file = hosts_path(sys);
    let Ok(bytes) = std::fs::read(&file) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    parse(&text)
        .into_iter()
        .filter(|(_, _, names, _)| names.contains(&host))
        .map(|(line, address, names, text)| HostsEntry {
            file: file.clone(),
            line,
            address,
            names,
            text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "\
# comment line naming app.example.com
127.0.0.1\tlocalhost
::1     localhost ip6-localhost ip6-loopback
10.1.2.3  intranet.example.com   App.Example.COM.  # pinned for the migration
  # 10.9.9.9 app.example.com (commented out)
fe80::1%lo0 app.example.com
not-an-ip app.example.com
192.0.2.7
";

    #[test]
    fn parses_comments_ipv6_and_many_names() {
        let rows = parse(HOSTS);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[2].0, 4);
        assert_eq!(rows[2].2, vec!["intranet.example.com", "app.example.com"]);
        assert_eq!(rows[3].1, "fe80::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn finds_every_line_for_a_host_and_ignores_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let mut sys = System::simulated(Os::Linux, dir.path());
        sys.system_root = dir.path().to_path_buf();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/hosts"), HOSTS).unwrap();
        let found = entries_for(&sys, "APP.example.com.");
        assert_eq!(found.iter().map(|e| e.line).collect::<Vec<_>>(), vec![4, 6]);
        assert_eq!(found[0].file, dir.path().join("etc/hosts"));
        assert!(entries_for(&sys, "localhost").is_empty());
        assert!(entries_for(&sys, "other.example.com").is_empty());
    }

    #[test]
    fn windows_hosts_file_lives_under_system32() {
        let sys = System::simulated(Os::Windows, "/tmp/h");
        assert!(
            hosts_path(&sys).ends_with("Windows/System32/drivers/etc/hosts"),
            "{:?}",
            hosts_path(&sys)
        );
    }
}
