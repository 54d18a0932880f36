//! Verification: what the system resolver answers for a host, what the upstream name
//! servers answer when asked directly (bypassing every local cache), and what follows.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde::Serialize;

use crate::model::Finding;
use crate::system::System;

/// How long one direct query may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// One resolution of the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// Who answered: `system resolver` or the server address.
    pub server: String,
    /// The addresses, sorted (empty when there is no answer).
    pub addresses: Vec<IpAddr>,
    /// The name does not exist there (NXDOMAIN) or has no address records.
    pub no_such_name: bool,
    /// Why there is no answer, when the query itself failed (timeout, refused…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Answer {
    /// True when addresses came back.
    pub fn resolved(&self) -> bool {
        !self.addresses.is_empty()
    }

    /// The answer as a technician reads it: the addresses, "no answer (why)" or "no such
    /// name".
    pub fn describe(&self) -> String {
        if self.resolved() {
            self.addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        } else if let Some(e) = &self.error {
            format!("no answer ({e})")
        } else {
            "no such name".to_string()
        }
    }
}

/// The outcome of comparing the system resolver with the upstream name servers.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The host checked.
    pub host: String,
    /// What the system resolver (or `--dns-server`) answered; `None` when it cannot be
    /// asked (a simulated machine).
    pub system: Option<Answer>,
    /// What the upstream name servers answered directly; `None` when none is known.
    pub upstream: Option<Answer>,
    /// The local answer differs from the upstream one.
    pub stale: bool,
    /// What the comparison shows, as a fact; the diagnosis words it.
    #[serde(skip)]
    pub conclusion: Conclusion,
    /// The `dns.stale` / `dns.failure` findings, worded by the diagnosis
    /// (`word_verification` in the diagnosis): empty as this module returns it, filled by
    /// the check before a flush report is shown.
    pub findings: Vec<Finding>,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
}

/// What comparing the system resolver with the upstream name servers shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conclusion {
    /// Nothing could be compared (a simulated machine, a local name).
    #[default]
    Unchecked,
    /// No disagreement: the answers overlap, the hosts file pins the host, or there is no
    /// upstream to compare with.
    Agrees,
    /// The system answers addresses the upstream does not (or the upstream knows no such
    /// name any more): a cache is out of date.
    Stale,
    /// No local answer, although the upstream resolves the name: a cache holds a failure.
    LocalFailure,
    /// No local answer, and the upstream does not know the name either.
    NoSuchName,
    /// No local answer, and no upstream to ask.
    Unresolved,
}

impl Conclusion {
    /// True when the comparison shows something wrong (a `dns.*` finding follows).
    pub fn is_problem(self) -> bool {
        !matches!(self, Conclusion::Unchecked | Conclusion::Agrees)
    }
}

/// The usable upstream answer of `v` (one that answered, or at least resolved).
pub fn usable_upstream(v: &Verification) -> Option<&Answer> {
    v.upstream
        .as_ref()
        .filter(|u| u.error.is_none() || u.resolved())
}

/// A host name fix401 is willing to look up: letters, digits, `-`, `_`, dots; at most 253.
pub fn valid_host(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Asks one DNS server directly, with no cache and no hosts file: A and AAAA records.
pub async fn query(server: SocketAddr, host: &str) -> Answer {
    let mut ns = NameServerConfig::udp(server.ip());
    for c in &mut ns.connections {
        c.port = server.port();
    }
    let mut builder = TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    let opts: &mut ResolverOpts = builder.options_mut();
    opts.timeout = QUERY_TIMEOUT;
    opts.attempts = 1;
    opts.ndots = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.cache_size = 0;
    let mut answer = Answer {
        server: server.to_string(),
        addresses: Vec::new(),
        no_such_name: false,
        error: None,
    };
    let resolver = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            answer.error = Some(format!("cannot build a resolver: {e}"));
            return answer;
        }
    };
    let fqdn = format!("{}.", host.trim_end_matches('.'));
    let mut empty = 0;
    // Both record types at once: one timeout, not two, when the server is silent.
    let (a, aaaa) = tokio::join!(
        resolver.lookup(fqdn.as_str(), RecordType::A),
        resolver.lookup(fqdn.as_str(), RecordType::AAAA)
    );
    for result in [a, aaaa] {
        match result {
            Ok(lookup) => {
                for r in lookup.answers() {
                    match &r.data {
                        RData::A(a) => answer.addresses.push(IpAddr::V4(a.0)),
                        RData::AAAA(a) => answer.addresses.push(IpAddr::V6(a.0)),
                        _ => {}
                    }
                }
            }
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => empty += 1,
            Err(e) => {
                if answer.error.is_none() {
                    answer.error = Some(e.to_string());
                }
            }
        }
    }
    answer.addresses.sort();
    answer.addresses.dedup();
    if answer.resolved() {
        answer.error = None;
    } else if empty > 0 && answer.error.is_none() {
        answer.no_such_name = true;
    }
    answer
}

/// Resolves through the system resolver: `sys.dns_server` when set, the OS resolver
/// (getaddrinfo, through every local cache and the hosts file) on the live machine,
/// `None` on a simulated machine, whose resolver is not this one.
pub async fn resolve_system(sys: &System, host: &str) -> Option<Answer> {
    if let Some(server) = sys.dns_server {
        return Some(query(server, host).await);
    }
    if !sys.live {
        return None;
    }
    let mut answer = Answer {
        server: "system resolver".into(),
        addresses: Vec::new(),
        no_such_name: false,
        error: None,
    };
    let lookup = tokio::net::lookup_host((host.trim_end_matches('.'), 0));
    match tokio::time::timeout(QUERY_TIMEOUT * 3, lookup).await {
        Ok(Ok(addrs)) => {
            answer.addresses = addrs.map(|a| a.ip()).collect();
            answer.addresses.sort();
            answer.addresses.dedup();
            answer.no_such_name = answer.addresses.is_empty();
        }
        Ok(Err(e)) => {
            // getaddrinfo reports "Name or service not known" for NXDOMAIN.
            let msg = e.to_string();
            if msg.contains("not known") || msg.contains("No address") || msg.contains("nodename") {
                answer.no_such_name = true;
            } else {
                answer.error = Some(msg);
            }
        }
        Err(_) => answer.error = Some("the system resolver did not answer in time".into()),
    }
    Some(answer)
}

/// Asks the upstream servers in order until one answers (`None` when none is known).
pub async fn resolve_upstream(upstreams: &[SocketAddr], host: &str) -> Option<Answer> {
    let mut last = None;
    for up in upstreams {
        let a = query(*up, host).await;
        if a.error.is_none() {
            return Some(a);
        }
        last = Some(a);
    }
    last
}

/// Compares the system answer with the upstream one and concludes.
/// `hosts_pinned` suppresses `dns.stale` (the hosts file explains the difference).
pub fn compare(
    host: &str,
    system: Option<Answer>,
    upstream: Option<Answer>,
    hosts_pinned: bool,
) -> Verification {
    let mut v = Verification {
        host: host.to_string(),
        system,
        upstream,
        stale: false,
        conclusion: Conclusion::Unchecked,
        findings: Vec::new(),
        notes: Vec::new(),
    };
    let Some(sys_a) = &v.system else {
        v.notes.push(
            "the system resolver of a simulated machine cannot be asked; pass --dns-server to \
             name one"
                .into(),
        );
        return v;
    };
    match &v.upstream {
        None => v.notes.push(
            "no upstream name server known to compare with (resolv.conf names none outside \
             this machine)"
                .into(),
        ),
        Some(up) if up.error.is_some() && !up.resolved() => v.notes.push(format!(
            "the upstream name server {} did not answer: {}",
            up.server,
            up.describe()
        )),
        _ => {}
    }
    let up = usable_upstream(&v);
    v.conclusion = if sys_a.resolved() {
        match up {
            Some(up)
                if !hosts_pinned && !up.addresses.iter().any(|a| sys_a.addresses.contains(a)) =>
            {
                Conclusion::Stale
            }
            _ => Conclusion::Agrees,
        }
    } else {
        match up {
            Some(up) if up.resolved() => Conclusion::LocalFailure,
            Some(_) => Conclusion::NoSuchName,
            None => Conclusion::Unresolved,
        }
    };
    v.stale = v.conclusion == Conclusion::Stale;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked() {
        assert!(valid_host("h.test"));
        assert!(valid_host("a-b_c.example.com."));
        for bad in [
            "",
            ".",
            "a..b",
            "-a.b",
            "a b",
            "a;rm -rf",
            "a/b",
            &"x".repeat(300),
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }
}
