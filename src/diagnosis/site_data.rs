//! Stored site data: when it is exonerated, and what still differs between fix401's own
//! re-test and the browser when the re-test works.

use crate::model::{Action, Cause, Confidence, Finding};

/// What still differs between fix401's own test and the person's browser when the test
/// works: where to look next. `login_accepted` when the site took a Basic/Digest login.
pub fn remaining_differences(login_accepted: bool) -> Vec<String> {
    [
        "its proxy: fix401 uses the proxy its environment names (https_proxy…) or none; your browser may go through its own, the system's or one from a PAC file",
        if login_accepted {
            "a saved login: your browser keeps the user name and password it last sent to this site in its HTTP-auth cache and sends them again until it is restarted (restart-browser)"
        } else {
            "a saved login in your browser's HTTP-auth cache, kept until the browser is restarted"
        },
        "an extension (ad blocker, privacy or security add-on) that changes or blocks the request",
        "a different DNS: your browser may look names up itself, e.g. with DNS-over-HTTPS, and get another address",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}
/// Why clearing the site's stored data (cookies, cache, storage) cannot help: fix401's own
/// test, which sends none of it, fails in a way stored data cannot cause (a 5xx, no
/// connection, no name, a broken certificate, an unusable address, a redirect loop).
/// `None` when the evidence does not rule it out. The words follow "Ruled out: … — ".
pub fn site_data_exonerated(status: Option<u16>, findings: &[Finding]) -> Option<String> {
    if status.is_some_and(|s| (200..300).contains(&s)) {
        return None;
    }
    let why = findings
        .iter()
        .filter(|f| f.confidence >= Confidence::Medium)
        .find_map(|f| match f.cause {
            Cause::ServerError => status
                .filter(|s| (500..600).contains(s))
                .map(|s| format!("the site itself answers {s}")),
            Cause::NetworkUnreachable => {
                Some("no connection to the site can be made, so no cookie is ever sent".into())
            }
            Cause::DnsFailure => {
                Some("the site's name cannot be looked up, so no cookie is ever sent".into())
            }
            Cause::DnsStale | Cause::DnsHostsOverride => {
                Some("this computer has a wrong address for the site".into())
            }
            Cause::TlsCertificate => {
                Some("the secure connection fails before any cookie is sent".into())
            }
            Cause::UrlInvalid => Some("the address itself cannot be used".into()),
            Cause::UrlNotFound => {
                status.map(|s| format!("the site itself answers {s} for this address"))
            }
            Cause::RedirectLoop | Cause::RedirectTooMany => {
                Some("the site sends fix401 round the same redirects without any cookie".into())
            }
            _ => None,
        })?;
    Some(format!("your browser's cookies make no difference: {why}"))
}
/// What one browser profile holds for the site, in names and counts (never values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSiteData {
    /// The browser and profile, as people read it ("Chromium (Default)").
    pub label: String,
    /// Cookie rows for the site.
    pub cookies: usize,
    /// Cache entries for the site (a whole cache counts as one).
    pub cache_entries: usize,
    /// Storage folders or databases for the site.
    pub storage: usize,
    /// Why some of its stores could not be read (the browser runs, a store is unreadable);
    /// what they hold is unknown.
    pub unread: Option<String>,
}

impl ProfileSiteData {
    /// Items held for the site.
    pub fn items(&self) -> usize {
        self.cookies + self.cache_entries + self.storage
    }
}

/// What the browsers found on this computer hold for the site: one entry per profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteData {
    /// Every profile looked at.
    pub profiles: Vec<ProfileSiteData>,
}

impl SiteData {
    /// Some profile holds cookies, cache or storage for the site.
    pub fn holds_any(&self) -> bool {
        self.profiles.iter().any(|p| p.items() > 0)
    }

    /// Some profile could not be read, so "nothing stored" cannot be said.
    pub fn partly_unread(&self) -> bool {
        self.profiles.iter().any(|p| p.unread.is_some())
    }
}

/// The finding when fix401's own re-test gets a 2xx: what was tested, and what still
/// differs from the browser. fix401's test sent none of the browser's data: its stored data
/// is one difference left, not a finding proven (`fix` tests the browser's cookies).
pub(super) fn works_from_here(
    ev: &crate::probe::Evidence,
    last: &crate::probe::Hop,
    line: String,
    sent_line: &str,
    _site_data: Option<&SiteData>,
) -> Finding {
    let sent = &last.credentials_sent;
    let steps = super::http::auth_steps(ev);
    let login_accepted = !steps.is_empty();
    let mut f = Finding::new(
        Cause::SiteDataStale,
        Confidence::Low,
        if login_accepted {
            "The page works from here with the login fix401 sent. If your browser still shows an error, it may keep sending an old login (restarting it forgets that) or data it stored for this site."
        } else {
            "The page works from here, without any of your browser's cookies or cache. If your browser still shows an error, the difference is on its side: data it stored for this site, a saved login, its proxy, an extension or its DNS."
        },
        if login_accepted {
            [Action::RestartBrowser, Action::ClearSiteData, Action::FlushDns]
        } else {
            [Action::ClearSiteData, Action::RestartBrowser, Action::FlushDns]
        },
    )
    .with_evidence(line);
    if !sent.is_empty() {
        f = f.with_evidence(format!("{sent_line}; they were accepted"));
    }
    for step in steps {
        f = f.with_evidence(step);
    }
    if last.body_truncated {
        f = f.with_evidence(format!(
            "body read capped at {} KiB",
            crate::probe::BODY_CAP / 1024
        ));
    }
    for d in remaining_differences(login_accepted) {
        f = f.with_evidence(format!("not the same as in your browser: {d}"));
    }
    f
}
