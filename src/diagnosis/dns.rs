//! The `dns.*` findings: the DNS facts of the check (hosts-file pins, the resolver
//! comparison) in words, merged with what the probe's own lookup saw.

use crate::dns::{Conclusion, HostFacts, Verification};
use crate::model::{Action, Cause, Confidence, Finding};

use super::http::failing_proxy;

/// Adds the `dns.*` findings of the DNS facts; when the probe's own lookup failed and the
/// module has nothing to say, the probe's failure becomes the `dns.failure` finding.
pub(super) fn merge_dns(out: &mut Vec<Finding>, dns: Vec<Finding>, ev: &crate::probe::Evidence) {
    let has_failure = dns.iter().any(|f| f.cause == Cause::DnsFailure);
    // A server that cannot be reached at an address the DNS module knows to be wrong is the
    // consequence of that address, not something for the site's owner.
    let wrong_address = dns
        .iter()
        .find(|f| matches!(f.cause, Cause::DnsStale | Cause::DnsHostsOverride))
        .map(|f| f.cause);
    if let Some(cause) = wrong_address {
        for f in out
            .iter_mut()
            .filter(|f| f.cause == Cause::NetworkUnreachable)
        {
            let (summary, actions) = if cause == Cause::DnsStale {
                (
                    "Nothing answers at the out-of-date address this computer has for the site: \
                     flushing the DNS cache should fix it.",
                    vec![Action::FlushDns, Action::Retry],
                )
            } else {
                (
                    "Nothing answers at the address the hosts file gives for the site: correct \
                     or remove that line.",
                    vec![Action::Retry],
                )
            };
            f.summary = summary.to_string();
            f.actions = actions;
        }
    }
    for f in dns {
        if !out
            .iter()
            .any(|o| o.cause == f.cause && o.summary == f.summary)
        {
            out.push(f);
        }
    }
    if let Some(crate::probe::Failure::Dns { host, message }) = &ev.failure
        && ev.proxy_failed
    {
        let setting = failing_proxy(ev).map_or_else(String::new, |(_, s)| format!("; it is {s}"));
        out.push(
            Finding::new(
                Cause::NetworkUnreachable,
                Confidence::High,
                format!(
                    "The proxy's name {host} cannot be found, so nothing reaches the site{setting}: \
                     correct or remove that setting."
                ),
                [Action::Retry],
            )
            .with_evidence(format!("lookup of the proxy {host} failed: {message}")),
        );
    } else if let Some(crate::probe::Failure::Dns { host, message }) = &ev.failure
        && !has_failure
        && ev.proxy.is_none()
    {
        out.push(
            Finding::new(
                Cause::DnsFailure,
                Confidence::High,
                format!("The name {host} cannot be found, so the browser does not know where to connect."),
                [Action::FixUrl, Action::FlushDns, Action::Retry],
            )
            .with_evidence(format!("lookup of {host} failed: {message}")),
        );
    }
}
/// The `dns.*` findings of the check's DNS facts for one host: one `dns.hosts_override`
/// per hosts-file line that pins it (file and line), then the resolver comparison's
/// `dns.stale` or `dns.failure`.
pub fn dns_findings(facts: &HostFacts) -> Vec<Finding> {
    let host = &facts.host;
    let mut findings: Vec<Finding> = facts
        .hosts_entries
        .iter()
        .map(|e| {
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
            .with_evidence(format!("{}:{}: {}", e.file.display(), e.line, e.text))
        })
        .collect();
    if let Some(v) = &facts.verification {
        findings.extend(verification_findings(v));
    }
    findings
}

/// Fills a verification's `findings` with its conclusion in words (for the flush report,
/// which shows them before and after the flush).
pub fn word_verification(v: &mut Verification) {
    v.findings = verification_findings(v);
}

/// The `dns.stale` / `dns.failure` finding a resolver comparison concludes, if any.
pub fn verification_findings(v: &Verification) -> Vec<Finding> {
    let host = &v.host;
    let Some(sys_a) = &v.system else {
        return Vec::new();
    };
    let up = crate::dns::verify::usable_upstream(v);
    let finding = match (v.conclusion, up) {
        (Conclusion::Stale, Some(up)) => {
            let summary = if up.resolved() {
                format!(
                    "This computer's DNS cache answers {} for {host}, but the name servers \
                     now answer {}: the cached answer is out of date.",
                    sys_a.describe(),
                    up.describe()
                )
            } else {
                format!(
                    "This computer's DNS cache still answers {} for {host}, but the name \
                     servers say the name no longer exists.",
                    sys_a.describe()
                )
            };
            Finding::new(
                Cause::DnsStale,
                Confidence::High,
                summary,
                [Action::FlushDns, Action::RestartBrowser, Action::Retry],
            )
            .with_evidence(format!("{} answered {}", sys_a.server, sys_a.describe()))
            .with_evidence(format!(
                "upstream {} answered {}",
                up.server,
                up.describe()
            ))
        }
        (Conclusion::LocalFailure | Conclusion::NoSuchName | Conclusion::Unresolved, up) => {
            let (summary, confidence, actions): (String, Confidence, Vec<Action>) = match up {
                Some(up) if up.resolved() => (
                    format!(
                        "{host} does not resolve on this computer, although the name servers \
                         answer {}: a local cache holds a failure.",
                        up.describe()
                    ),
                    Confidence::High,
                    vec![Action::FlushDns, Action::RestartBrowser, Action::Retry],
                ),
                Some(_) => (
                    format!("{host} does not resolve: the name servers do not know it either."),
                    Confidence::High,
                    vec![Action::FixUrl, Action::ContactSiteOwner],
                ),
                None => (
                    format!("{host} does not resolve on this computer."),
                    Confidence::Medium,
                    vec![Action::FlushDns, Action::Retry],
                ),
            };
            let mut f = Finding::new(Cause::DnsFailure, confidence, summary, actions)
                .with_evidence(format!("{} answered {}", sys_a.server, sys_a.describe()));
            if let Some(up) = up {
                f = f.with_evidence(format!("upstream {} answered {}", up.server, up.describe()));
            }
            f
        }
        _ => return Vec::new(),
    };
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::verify::{Answer, compare};

    fn ans(addrs: &[&str]) -> Answer {
        Answer {
            server: "x".into(),
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            no_such_name: addrs.is_empty(),
            error: None,
        }
    }

    /// The comparison (facts, in `dns::verify`) and its words (here), as one.
    fn worded(v: Verification) -> Verification {
        let mut v = v;
        word_verification(&mut v);
        v
    }

    #[test]
    fn comparison_yields_stale_failure_or_nothing() {
        let v = worded(compare(
            "h",
            Some(ans(&["10.0.0.1"])),
            Some(ans(&["10.0.0.2"])),
            false,
        ));
        assert!(v.stale);
        assert_eq!(v.findings[0].cause, Cause::DnsStale);
        let v = worded(compare(
            "h",
            Some(ans(&["10.0.0.1", "10.0.0.2"])),
            Some(ans(&["10.0.0.2"])),
            false,
        ));
        assert!(!v.stale && v.findings.is_empty());
        let v = worded(compare(
            "h",
            Some(ans(&["10.0.0.1"])),
            Some(ans(&["10.0.0.2"])),
            true,
        ));
        assert!(v.findings.is_empty());
        let v = worded(compare(
            "h",
            Some(ans(&[])),
            Some(ans(&["10.0.0.2"])),
            false,
        ));
        assert_eq!(v.findings[0].cause, Cause::DnsFailure);
        assert!(v.findings[0].actions.contains(&Action::FlushDns));
        let v = worded(compare("h", Some(ans(&[])), Some(ans(&[])), false));
        assert_eq!(v.findings[0].cause, Cause::DnsFailure);
        let v = worded(compare("h", None, Some(ans(&["10.0.0.2"])), false));
        assert!(v.findings.is_empty() && !v.notes.is_empty());
    }
}
