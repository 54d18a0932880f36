//! A stuck HTTPS-only (HSTS) entry: the host's HTTPS fails (nothing listens, or the TLS
//! handshake breaks) while plain HTTP answers, and a browser keeps an HSTS entry for the host,
//! so it never tries plain HTTP. Pure: the facts come from `check`.

use crate::model::{Action, Cause, Confidence, Finding};

/// What the check found about HTTPS-only state for the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HstsFacts {
    /// The browser profiles that keep an HSTS entry forcing HTTPS on the host
    /// ("Chromium (Default)").
    pub holders: Vec<String>,
    /// How `https://host` failed (a refused connection or a TLS failure), `None` when it
    /// answered or was not tried.
    pub https_failure: Option<String>,
    /// The status `http://host` answered with, `None` when it did not answer.
    pub http_status: Option<u16>,
}

/// The finding when every fact holds: a browser insists on HTTPS, HTTPS fails, HTTP works.
pub fn hsts_finding(host: &str, facts: &HstsFacts) -> Option<Finding> {
    let failure = facts.https_failure.as_deref()?;
    let status = facts.http_status?;
    if facts.holders.is_empty() {
        return None;
    }
    let who = crate::words::join(&facts.holders);
    Some(
        Finding::new(
            Cause::HstsStuck,
            Confidence::High,
            format!(
                "{who} remembers that {host} must only be opened over HTTPS (HSTS), but {host} \
                 now answers only over plain HTTP: the browser refuses it until that entry is \
                 removed"
            ),
            [Action::ClearSiteData, Action::ContactSiteOwner],
        )
        .with_evidence(format!("over HTTPS: {failure}"))
        .with_evidence(format!("over plain HTTP: answered {status}"))
        .with_evidence(format!("HTTPS-only (HSTS) entry for {host} kept by {who}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HstsFacts {
        HstsFacts {
            holders: vec!["Chromium (Default)".into()],
            https_failure: Some("connection failed: refused".into()),
            http_status: Some(200),
        }
    }

    #[test]
    fn every_fact_is_needed() {
        let f = hsts_finding("a.test", &facts()).unwrap();
        assert_eq!(f.cause, Cause::HstsStuck);
        assert_eq!(f.confidence, Confidence::High);
        assert!(f.summary.contains("Chromium (Default)") && f.summary.contains("a.test"));
        assert_eq!(f.actions[0], Action::ClearSiteData);
        assert!(f.evidence.iter().any(|e| e.contains("answered 200")));
        for broken in [
            HstsFacts {
                holders: vec![],
                ..facts()
            },
            HstsFacts {
                https_failure: None,
                ..facts()
            },
            HstsFacts {
                http_status: None,
                ..facts()
            },
        ] {
            assert_eq!(hsts_finding("a.test", &broken), None, "{broken:?}");
        }
    }
}
