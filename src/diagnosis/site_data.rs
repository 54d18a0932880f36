//! Stored site data: when it is exonerated, and what still differs between fix401's own
//! re-test and the browser when the re-test works.

use serde::Serialize;

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
    /// Origins of the site with records in a Local Storage database every origin shares.
    pub local_storage: usize,
    /// Why some of its stores could not be looked into; what they hold is unknown.
    pub unread: Option<Unread>,
}

/// Why a profile's stores could not be looked into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// The browser runs (or may run): its stores are not opened.
    Running,
    /// Another process holds a store.
    Locked,
    /// macOS denies access until Full Disk Access is granted.
    NoDiskAccess,
    /// A store could not be read.
    Unreadable,
}

impl Unread {
    /// Why, in words, to follow "could not be read (…)".
    pub fn words(self) -> &'static str {
        match self {
            Unread::Running => "the browser is running, so its stores were not opened",
            Unread::Locked => "another program holds one of its stores",
            Unread::NoDiskAccess => "macOS allows it only with Full Disk Access",
            Unread::Unreadable => "one of its stores cannot be read",
        }
    }
}

impl ProfileSiteData {
    /// Items held for the site.
    pub fn items(&self) -> usize {
        self.cookies + self.cache_entries + self.storage + self.local_storage
    }

    /// What it holds, in words ("2 cookies and 1 cached file").
    pub fn held(&self) -> String {
        let parts: Vec<String> = [
            (self.cookies, "cookie", "cookies"),
            (self.cache_entries, "cached file", "cached files"),
            (self.storage, "storage folder", "storage folders"),
            (
                self.local_storage,
                "origin in Local Storage",
                "origins in Local Storage",
            ),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| crate::words::count(n, one, many))
        .collect();
        match parts.as_slice() {
            [] => "nothing".to_string(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
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

    /// Every profile was read and none holds anything for the site: stored data is cleared
    /// of suspicion.
    pub fn clears(&self) -> bool {
        !self.holds_any() && !self.partly_unread()
    }
}

/// The finding when fix401's own re-test gets a 2xx and a browser holds data for the site
/// (or what they hold is unknown): stored data is one difference left, not a finding proven
/// (`fix` tests the browser's cookies). `None` when the check read every browser and none
/// holds anything for the site: then [`works_from_here`] says what was tested instead.
pub(super) fn stale_data_finding(
    ev: &crate::probe::Evidence,
    last: &crate::probe::Hop,
    line: String,
    sent_line: &str,
    host: &str,
    site_data: Option<&SiteData>,
) -> Option<Finding> {
    if site_data.is_some_and(SiteData::clears) {
        return None;
    }
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
    for p in site_data.map(|d| d.profiles.as_slice()).unwrap_or_default() {
        if p.items() > 0 {
            f = f.with_evidence(format!("{} holds {} for {host}", p.label, p.held()));
        }
        if let Some(why) = p.unread {
            f = f.with_evidence(format!(
                "{}: what it holds for {host} could not be read ({})",
                p.label,
                why.words()
            ));
        }
    }
    for d in remaining_differences(login_accepted) {
        f = f.with_evidence(format!("not the same as in your browser: {d}"));
    }
    Some(f)
}

/// What fix401 tested when the page works from here and no browser holds anything for the
/// site, and what still differs from the browser: said instead of a `site_data.stale`
/// finding, which has no evidence then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorksFromHere {
    /// What the re-test was: the answer, the route, the browser data it went without, the
    /// login it sent.
    pub tested: Vec<String>,
    /// What still differs between fix401 and the browser: where to look next.
    pub differences: Vec<String>,
    /// What to try: `restart-browser` when the site took a Basic/Digest login (the browser
    /// may keep sending an old one from its HTTP-auth cache); else nothing.
    pub actions: Vec<Action>,
}

/// The "works from here" note for `ev` with its `findings`: `Some` when fix401's own
/// re-test got a 2xx, every browser was read and none holds cookies, cache or storage for
/// the site, and no finding explains the browser's trouble instead.
pub fn works_from_here(ev: &super::Evidence, findings: &[Finding]) -> Option<WorksFromHere> {
    let probe = &ev.probe;
    let last = probe.hops.last()?;
    let status = last.status.filter(|s| (200..300).contains(s))?;
    let data = ev.site_data.as_ref().filter(|d| d.clears())?;
    if probe.redirect_problem.is_some()
        || findings
            .iter()
            .any(|f| f.cause == Cause::SiteDataStale || super::is_proxy_cause(f.cause))
    {
        return None;
    }
    let host = &ev.target.host;
    let mut tested = vec![format!(
        "fix401's own test, without any cookie or cache: GET {} → HTTP {status}",
        last.url
    )];
    tested.push(match &probe.proxy {
        Some(p) => format!("through the proxy {p}"),
        None => "direct, without a proxy".to_string(),
    });
    tested.push(if data.profiles.is_empty() {
        format!(
            "no browser on this computer holds cookies, cache or storage for {host} (no browser profile was found)"
        )
    } else {
        let who: Vec<&str> = data.profiles.iter().map(|p| p.label.as_str()).collect();
        format!(
            "no browser on this computer holds cookies, cache or storage for {host} (looked in {})",
            who.join(", ")
        )
    });
    let sent = &last.credentials_sent;
    if !sent.is_empty() && !last.credentials_withheld {
        tested.push(format!(
            "credentials sent: {}; they were accepted",
            sent.join(", ")
        ));
    }
    let steps = super::http::auth_steps(probe);
    let login_accepted = !steps.is_empty();
    tested.extend(steps);
    if last.body_truncated {
        tested.push(format!(
            "body read capped at {} KiB",
            crate::probe::BODY_CAP / 1024
        ));
    }
    Some(WorksFromHere {
        tested,
        differences: remaining_differences(login_accepted),
        actions: if login_accepted {
            vec![Action::RestartBrowser]
        } else {
            Vec::new()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_held_or_unread_keeps_stored_data_a_suspect() {
        let p = |cookies, cache_entries, unread| ProfileSiteData {
            label: "Chromium (Default)".into(),
            cookies,
            cache_entries,
            storage: 0,
            local_storage: 0,
            unread,
        };
        assert!(SiteData::default().clears(), "no browser: nothing stored");
        assert!(
            SiteData {
                profiles: vec![p(0, 0, None)]
            }
            .clears()
        );
        assert!(
            !SiteData {
                profiles: vec![p(1, 0, None)]
            }
            .clears()
        );
        assert!(
            !SiteData {
                profiles: vec![p(0, 0, Some(Unread::Running))]
            }
            .clears()
        );
        assert_eq!(p(2, 1, None).held(), "2 cookies and 1 cached file");
        assert_eq!(p(1, 0, None).held(), "1 cookie");
    }
}
