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
pub use tables::{Privilege, ResolverKind};
pub use verify::{Answer, Verification};

use crate::diagnosis::{Action, Cause, Confidence, Finding};
use crate::system::System;

/// The `dns.*` findings for `host`: `dns.hosts_override` (file and line), `dns.stale`,
/// `dns.failure`. Called by the diagnosis for every probed host. Never panics; IP literals
/// and invalid names have no DNS findings.
pub async fn diagnose_host(sys: &System, host: &str) -> Vec<Finding> {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    if host.parse::<IpAddr>().is_ok() || !verify::valid_host(host) {
        return Vec::new();
    }
    if hosts::is_local_name(&hosts::normalize(host)) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    let entries = hosts::entries_for(sys, host);
    for e in &entries {
        findings.push(
            Finding::new(
                Cause::DnsHostsOverride,
                Confidence::High,
                format!(
                    "The hosts file pins {host} to {} ({} line {}). Flushing DNS does not change \
                     that; fix401 never edits the file — remove or correct that line if the \
                     address is outdated.",
                    e.address,
                    e.file.display(),
                    e.line
                ),
                [Action::Retry],
            )
            .with_evidence(format!("{}:{}: {}", e.file.display(), e.line, e.text)),
        );
    }
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
    let v = flush::check(sys, &detection, host, !entries.is_empty()).await;
    findings.extend(v.findings);
    findings
}
