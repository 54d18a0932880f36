//! Stage 2 of the fix pipeline: the evidence that the browser's stored data is (or is not)
//! at fault. With consent, the cookies each browser holds for the site are replayed once
//! against it (the stale-cookie proof); the browsers' caches are searched for a kept error
//! page. Both fold into the findings, and decide whether the page fails as the person sees
//! it and what "works from here" means (see the floor plan in `ARCHITECTURE.md`).

use crate::cookie_jar::{self, JarRead};
use crate::error::Result;
use crate::model::{Action, Cause, Confidence, Finding};

use super::observer::{Reporter, Step};
use super::{
    Backend, Before, CachedResponse, Consent, Context, CookieProof, Probe, ProbeSummary,
    ProfileCookies, ProofOutcome, WorksFromHere, cache, redact_summary,
};

/// What the evidence stage found about the page as the person's browsers see it.
pub(crate) struct Evidence {
    /// The stale-cookie proof, when there was something to test.
    pub(crate) proof: Option<CookieProof>,
    /// Every cached response found for the address (errors and not).
    pub(crate) cached: Vec<CachedResponse>,
    /// True when a browser keeps an error page for the address.
    pub(crate) cached_error: bool,
    /// The findings, with the proof and the cache folded in.
    pub(crate) findings: Vec<Finding>,
    /// The page fails as the person sees it (as typed, with their browser's data).
    pub(crate) failing: bool,
    /// What was tested, one line each (for the report and a ruled-out clear).
    pub(crate) tested: Vec<String>,
    /// It works from here and nothing shows the browser's data at fault.
    pub(crate) works_from_here: Option<WorksFromHere>,
    /// The "before" section of the report (redacted), headline adjusted to the evidence.
    pub(crate) before_summary: ProbeSummary,
}

/// Runs the proof and the cache lookup over `profiles` and folds both into the findings.
pub(crate) fn gather(
    cx: &Context<'_>,
    consent: &dyn Consent,
    before: &Before,
    profiles: &[crate::browsers::Profile],
) -> Result<Evidence> {
    let Context {
        sys, backend, r, ..
    } = cx;
    let (target, host, probe) = (&before.target, before.host.as_str(), &before.probe);
    let mut findings = probe.summary.findings.clone();

    // The proof with the browser's own cookies.
    let (proof, too_large) = prove_site_data(*backend, consent, r, target, host, probe, profiles)?;
    if let Some(p) = &proof {
        merge_proof_finding(&mut findings, p, probe.summary.ok);
    }
    // What the site said to the browser's own cookies: too many of them, in so many words.
    for f in too_large {
        if !findings.iter().any(|g| g.cause == f.cause) {
            findings.insert(0, f);
        }
    }

    // Cached error pages.
    r.started(Step::CacheLookup, Some(profiles.len() as u64));
    let cached = cache::lookup(profiles, target, &sys.home);
    let cached_errors: Vec<&CachedResponse> = cached.iter().filter(|c| c.is_error()).collect();
    if cached_errors.is_empty() {
        r.done(Step::CacheLookup, "no cached error page for this address");
    } else {
        r.done(
            Step::CacheLookup,
            format!(
                "{} for this address",
                crate::words::count(
                    cached_errors.len(),
                    "cached error response",
                    "cached error responses"
                )
            ),
        );
        let evidence: Vec<String> = cached_errors
            .iter()
            .map(|c| {
                format!(
                    "{} ({}) has a cached \"{}\" for this address in {}",
                    c.browser_id, c.profile, c.status_line, c.file
                )
            })
            .collect();
        let conf = if probe.summary.ok {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        upsert_site_data(
            &mut findings,
            conf,
            "Your browser keeps an old error page for this address in its cache.",
            evidence,
        );
    }
    let cached_error = !cached_errors.is_empty();

    let proven_stale = proof
        .as_ref()
        .is_some_and(|p| p.outcome == ProofOutcome::StaleProven);
    // A URL that had to be corrected fails as typed, whatever the corrected one does.
    let failing =
        !probe.summary.ok || proven_stale || cached_error || probe.corrected_url.is_some();
    // It works from here and nothing shows the browser's data at fault: no `site_data.stale`
    // without evidence; say what was tested and what still differs instead.
    let tested = tested_lines(&probe.summary, proof.as_ref(), profiles, host);
    let proof_clears_cookies = proof.as_ref().is_none_or(|p| {
        matches!(
            p.outcome,
            ProofOutcome::NoCookies | ProofOutcome::CookiesNotTheCause
        ) && p.profiles.iter().all(|r| r.unreadable.is_none())
    });
    let works_from_here = (probe.summary.ok
        && probe.corrected_url.is_none()
        && !proven_stale
        && !cached_error
        && proof_clears_cookies)
        .then(|| {
            // A Basic/Digest login the site took: the check says so in its finding, or in
            // its own note when no browser holds anything for the site (no finding then).
            let login_accepted = findings.iter().any(|f| {
                f.cause == Cause::SiteDataStale
                    && f.actions.first() == Some(&Action::RestartBrowser)
            }) || probe
                .summary
                .works_from_here
                .as_ref()
                .is_some_and(|w| w.actions.contains(&Action::RestartBrowser));
            findings.retain(|f| f.cause != Cause::SiteDataStale);
            let mut tested = tested.clone();
            tested.push("no browser keeps an error page for this address in its cache".into());
            WorksFromHere {
                tested,
                differences: crate::diagnosis::remaining_differences(login_accepted),
                // The browser may keep sending an old Basic/Digest login from its HTTP-auth
                // cache; restarting it forgets that.
                actions: if login_accepted {
                    vec![Action::RestartBrowser]
                } else {
                    Vec::new()
                },
            }
        });
    let mut before_summary = redact_summary(probe.summary.clone());
    before_summary.findings = findings.clone();
    if proven_stale || (probe.summary.ok && cached_error) {
        before_summary.ok = false;
        // The plain probe's "works from here" is only half the story: say what fails.
        before_summary.headline = match &proof {
            Some(_) if proven_stale => {
                "Your browser sends stored cookies for this site that the site now refuses.".into()
            }
            _ => "Your browser keeps an old error page for this address in its cache.".into(),
        };
    } else if probe.summary.ok
        && (works_from_here.is_some()
            || findings
                .iter()
                .any(|f| f.cause == Cause::SiteDataStale && f.confidence == Confidence::Low))
    {
        before_summary.headline = "The page works from here.".into();
    }
    Ok(Evidence {
        proof,
        cached,
        cached_error,
        findings,
        failing,
        tested,
        works_from_here,
        before_summary,
    })
}

/// Runs the stale-cookie proof; `None` when there is nothing to test. Also returns the
/// `cookies.too_large` findings of the tests with cookies, each naming the profile.
fn prove_site_data(
    backend: &dyn Backend,
    consent: &dyn Consent,
    r: &Reporter<'_>,
    target: &url::Url,
    host: &str,
    before: &Probe,
    profiles: &[crate::browsers::Profile],
) -> Result<(Option<CookieProof>, Vec<Finding>)> {
    if !matches!(target.scheme(), "http" | "https") || profiles.is_empty() {
        return Ok((None, Vec::new()));
    }
    let labels: Vec<String> = profiles
        .iter()
        .map(|p| format!("{} ({})", p.browser_name, p.name))
        .collect();
    let status_without = before.summary.status;
    if !consent.allow_cookie_test(host, &labels)? {
        return Ok((
            Some(CookieProof {
                outcome: ProofOutcome::NotRun,
                summary: "You did not allow the test with your browser's cookies.".into(),
                status_without_cookies: status_without,
                profiles: Vec::new(),
            }),
            Vec::new(),
        ));
    }
    let mut too_large: Vec<Finding> = Vec::new();
    r.started(Step::ProveSiteData, Some(profiles.len() as u64));
    let mut rows = Vec::new();
    for (i, profile) in profiles.iter().enumerate() {
        r.progress(
            Step::ProveSiteData,
            i as u64,
            Some(profiles.len() as u64),
            format!("{} ({})", profile.browser_name, profile.name),
        );
        let mut row = ProfileCookies {
            browser_id: profile.browser_id.clone(),
            browser_name: profile.browser_name.clone(),
            profile: profile.name.clone(),
            cookie_names: Vec::new(),
            unreadable: None,
            status_with_cookies: None,
            ok_with_cookies: None,
        };
        match backend.cookies(profile, target) {
            Ok(JarRead::Cookies(cookies)) if cookies.is_empty() => continue,
            Ok(JarRead::Cookies(cookies)) => {
                row.cookie_names = cookies.iter().map(|c| c.name.clone()).collect();
                let header = cookie_jar::cookie_header(&cookies);
                match backend.diagnose(&before.url, Some(&header)) {
                    Ok(p) => {
                        row.status_with_cookies = p.summary.status;
                        row.ok_with_cookies = Some(p.summary.ok);
                        if let Some(mut f) = p
                            .summary
                            .findings
                            .into_iter()
                            .find(|f| f.cause == Cause::CookiesTooLarge)
                        {
                            f.evidence.insert(
                                0,
                                format!(
                                    "the cookies {} ({}) holds for {host}, sent once as the browser would",
                                    profile.browser_name, profile.name
                                ),
                            );
                            too_large.push(f);
                        }
                    }
                    Err(e) => row.unreadable = Some(format!("the test with cookies failed: {e}")),
                }
            }
            Ok(JarRead::Unreadable(why)) => row.unreadable = Some(why),
            Err(e) => row.unreadable = Some(e.to_string()),
        }
        rows.push(row);
    }
    let failing_with: Vec<&ProfileCookies> = rows
        .iter()
        .filter(|p| p.ok_with_cookies == Some(false))
        .collect();
    let status_text = |s: Option<u16>| s.map_or("no answer".to_string(), |s| s.to_string());
    let (outcome, summary) = if before.summary.ok && !failing_with.is_empty() {
        let p = failing_with[0];
        (
            ProofOutcome::StaleProven,
            format!(
                "Proven: with the cookies {} ({}) holds the site answers {}, without them {}. \
                 The stored cookies are stale.",
                p.browser_name,
                p.profile,
                status_text(p.status_with_cookies),
                status_text(status_without)
            ),
        )
    } else if rows.iter().any(|p| p.ok_with_cookies.is_some()) {
        (
            ProofOutcome::CookiesNotTheCause,
            "Your browser's cookies for this site make no difference to the answer.".into(),
        )
    } else if let Some(p) = rows.iter().find(|p| p.unreadable.is_some()) {
        (
            ProofOutcome::Unreadable,
            format!(
                "Could not test with the cookies of {} ({}): {}.",
                p.browser_name,
                p.profile,
                p.unreadable.as_deref().unwrap_or_default()
            ),
        )
    } else {
        (
            ProofOutcome::NoCookies,
            format!("No browser holds cookies for {host}."),
        )
    };
    r.done(Step::ProveSiteData, summary.clone());
    Ok((
        Some(CookieProof {
            outcome,
            summary,
            status_without_cookies: status_without,
            profiles: rows,
        }),
        too_large,
    ))
}

/// What was tested, one line each: fix401's own test without any cookie, then each
/// browser profile's cookies (names only, never values).
fn tested_lines(
    before: &ProbeSummary,
    proof: Option<&CookieProof>,
    profiles: &[crate::browsers::Profile],
    host: &str,
) -> Vec<String> {
    let answer = |s: Option<u16>| s.map_or("no answer".to_string(), |s| format!("HTTP {s}"));
    let mut lines = vec![format!(
        "fix401's own test, without any cookie or cache: {}",
        answer(before.status)
    )];
    match proof {
        None if profiles.is_empty() => lines.push("no browser profile was found".into()),
        None => {}
        Some(p) if p.outcome == ProofOutcome::NoCookies => {
            lines.push(format!("no browser holds cookies for {host}"))
        }
        Some(p) if p.outcome == ProofOutcome::NotRun => lines.push(p.summary.clone()),
        Some(p) => {
            for r in &p.profiles {
                lines.push(match &r.unreadable {
                    Some(why) => format!(
                        "{} ({}): its cookies could not be tested ({why})",
                        r.browser_name, r.profile
                    ),
                    None => format!(
                        "with the {} {} ({}) holds [{}]: {}",
                        crate::words::count(r.cookie_names.len(), "cookie", "cookies"),
                        r.browser_name,
                        r.profile,
                        r.cookie_names.join(", "),
                        answer(r.status_with_cookies)
                    ),
                });
            }
        }
    }
    lines
}

/// Folds the proof into the findings: proof makes `site_data.stale` high confidence;
/// unreadable values leave it where it was, with a line saying why.
fn merge_proof_finding(findings: &mut Vec<Finding>, proof: &CookieProof, before_ok: bool) {
    match proof.outcome {
        ProofOutcome::StaleProven => {
            let evidence = proof
                .profiles
                .iter()
                .filter(|p| p.ok_with_cookies == Some(false))
                .map(|p| {
                    format!(
                        "{} ({}): HTTP {} with its {} [{}], HTTP {} without",
                        p.browser_name,
                        p.profile,
                        p.status_with_cookies.map_or("-".into(), |s| s.to_string()),
                        crate::words::count(p.cookie_names.len(), "cookie", "cookies"),
                        p.cookie_names.join(", "),
                        proof
                            .status_without_cookies
                            .map_or("-".into(), |s| s.to_string())
                    )
                })
                .collect();
            upsert_site_data(
                findings,
                Confidence::High,
                "Your browser sends old sign-in cookies for this site, which the site rejects; \
                 clearing this site's cookies and cache fixes it.",
                evidence,
            );
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.cause == Cause::SiteDataStale)
            {
                f.confidence = Confidence::High;
            }
        }
        ProofOutcome::NoCookies | ProofOutcome::CookiesNotTheCause if before_ok => {
            // The diagnosis could only guess at stored data; the test speaks against it.
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.cause == Cause::SiteDataStale)
            {
                f.confidence = Confidence::Low;
                f.summary = "The page works from here and your browser's cookies do not break \
                             it; an old page kept in the browser's memory could still do."
                    .into();
                f.evidence.push(format!("tested: {}", proof.summary));
            }
        }
        ProofOutcome::Unreadable if before_ok => {
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.cause == Cause::SiteDataStale)
            {
                f.evidence.push(format!("not proven: {}", proof.summary));
            }
        }
        _ => {}
    }
}

/// Adds `site_data.stale` or raises an existing one to at least `confidence`.
fn upsert_site_data(
    findings: &mut Vec<Finding>,
    confidence: Confidence,
    summary: &str,
    evidence: Vec<String>,
) {
    if let Some(f) = findings
        .iter_mut()
        .find(|f| f.cause == Cause::SiteDataStale)
    {
        if confidence > f.confidence {
            f.confidence = confidence;
            f.summary = summary.to_string();
        }
        f.evidence.extend(evidence);
        if !f.actions.contains(&Action::ClearSiteData) {
            f.actions.insert(0, Action::ClearSiteData);
        }
    } else {
        let mut f = Finding::new(
            Cause::SiteDataStale,
            confidence,
            summary,
            [Action::ClearSiteData],
        );
        f.evidence = evidence;
        findings.push(f);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.confidence));
}
