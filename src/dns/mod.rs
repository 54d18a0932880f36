//! DNS: resolver detection, flushing per OS, hosts-file and upstream comparison.
//!
//! - [`tables`]: what flushes which cache, per OS / macOS version / Linux resolver (data).
//! - [`detect`]: which caches are on the way, in flush order, with why.
//! - [`flush`]: the exact plan (which steps elevated, grouped into ONE elevated run),
//!   running it, verifying before and after.
//! - [`elevate`]: the one elevated run (`pkexec`, `osascript`, UAC) and its checks.
//! - [`hosts`]: hosts-file lines that pin a host (read only, never edited).
//! - [`verify`]: the system resolver against the upstream name servers.

pub mod detect;
pub mod elevate;
pub mod flush;
pub mod hosts;
pub mod tables;
pub mod verify;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

pub use detect::{DetectedResolver, Detection, detect};
pub use flush::{
    CommandRun, FlushOptions, FlushPlan, FlushReport, PlannedStep, RunAs, RunOutcome, flush,
    plan_flush,
};
pub use hosts::HostsEntry;
pub use tables::{Privilege, ResolverKind};
pub use verify::{Answer, Conclusion, Verification};

use crate::system::System;

/// What the DNS checks found for one host, as facts: the hosts-file lines that pin it and
/// the comparison of the system resolver with the upstream name servers. The diagnosis
/// words them into `dns.*` findings.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// The host as looked up (brackets and spaces trimmed).
    pub host: String,
    /// Hosts-file lines that pin the host.
    pub hosts_entries: Vec<HostsEntry>,
    /// The resolver comparison; `None` when the host is not looked up (an IP literal, an
    /// invalid or local name).
    pub verification: Option<Verification>,
}

/// The DNS facts for `host`: hosts-file lines that pin it, and what the system resolver
/// and the upstream name servers answer. Gathered by the check for every probed host. Never
/// panics; IP literals, invalid and local names give empty facts.
pub async fn host_facts(sys: &System, host: &str) -> HostFacts {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    let mut facts = HostFacts {
        host: host.to_string(),
        ..HostFacts::default()
    };
    if host.parse::<IpAddr>().is_ok() || !verify::valid_host(host) {
        return facts;
    }
    if hosts::is_local_name(&hosts::normalize(host)) {
        return facts;
    }
    facts.hosts_entries = hosts::entries_for(sys, host);
    let detection = if sys.upstream_dns.is_some() || (sys.dns_server.is_none() && !sys.live) {
        // The upstream is given, or nothing can be resolved anyway: skip detection's commands.
        Detection {
            os: sys.os,
            os_version: None,
            resolv_conf: None,
            resolvers: Vec::new(),
            upstreams: sys.upstream_dns.into_iter().collect(),
            tried: Vec::new(),
            problems: Vec::new(),
        }
    } else {
        detect(sys)
    };
    let pinned = !facts.hosts_entries.is_empty();
    facts.verification = Some(flush::check(sys, &detection, host, pinned).await);
    facts
}
