//! Stage 5 of the fix pipeline: the re-test after a change. The page is probed again, with
//! the cookies each browser holds now when the proof ran, and the caches are searched again
//! (see the floor plan in `ARCHITECTURE.md`).

use crate::cookie_jar::{self, JarRead};
use crate::error::Result;
use crate::model::Cause;
use crate::system::System;

use super::apply::Applied;
use super::observer::Step;
use super::proof::Evidence;
use super::{
    Backend, Before, CachedResponse, Context, CookieProof, ProbeSummary, ProofOutcome, cache,
    redact_summary,
};

/// The "after" section (redacted) and whether the page works now as the person sees it.
/// Nothing changed: no re-test, and it works now exactly when it did not fail before.
pub(crate) fn after(
    cx: &Context<'_>,
    before: &Before,
    profiles: &[crate::browsers::Profile],
    evidence: &Evidence,
    applied: &Applied<'_>,
) -> (Option<ProbeSummary>, bool) {
    let Context {
        sys, backend, r, ..
    } = cx;
    let (proof, failing) = (evidence.proof.as_ref(), evidence.failing);
    let mut after: Option<ProbeSummary> = None;
    let mut after_ok = !failing;
    if let Some((_, p)) = &applied.fixed_url {
        after = Some(redact_summary(p.summary.clone()));
        after_ok = true;
    } else if applied.changed {
        r.started(Step::Retest, None);
        match retest(
            sys,
            *backend,
            &before.target,
            &before.probe.url,
            profiles,
            proof,
        ) {
            Ok((summary, ok)) => {
                r.done(Step::Retest, summary.headline.clone());
                after_ok = ok;
                after = Some(redact_summary(summary));
            }
            Err(e) => {
                r.failed(Step::Retest, e.to_string());
                after_ok = false;
            }
        }
    }
    (after, after_ok)
}

/// Probes again; when the proof ran, also with the cookies each browser holds now.
fn retest(
    sys: &System,
    backend: &dyn Backend,
    target: &url::Url,
    url: &str,
    profiles: &[crate::browsers::Profile],
    proof: Option<&CookieProof>,
) -> Result<(ProbeSummary, bool)> {
    let probe = backend.diagnose(url, None)?;
    let mut summary = probe.summary;
    let mut ok = summary.ok;
    if ok {
        // The diagnosis' "works from here, so it must be your browser" hint is about the
        // failure; after a fix the plain fact reads better.
        summary.headline = "The page loads.".to_string();
        summary.findings.retain(|f| f.cause != Cause::SiteDataStale);
    }
    if let Some(proof) = proof.filter(|p| p.outcome != ProofOutcome::NotRun) {
        for row in proof
            .profiles
            .iter()
            .filter(|p| p.ok_with_cookies.is_some())
        {
            let Some(profile) = profiles
                .iter()
                .find(|p| p.browser_id == row.browser_id && p.name == row.profile)
            else {
                continue;
            };
            match backend.cookies(profile, target)? {
                JarRead::Cookies(c) if c.is_empty() => summary.technical.push(format!(
                    "{} ({}) now holds no cookie for this address",
                    row.browser_name, row.profile
                )),
                JarRead::Cookies(c) => {
                    let p = backend.diagnose(url, Some(&cookie_jar::cookie_header(&c)))?;
                    summary.technical.push(format!(
                        "with the {} {} ({}) holds now: HTTP {}",
                        crate::words::count(c.len(), "cookie", "cookies"),
                        row.browser_name,
                        row.profile,
                        p.summary.status.map_or("-".into(), |s| s.to_string())
                    ));
                    ok &= p.summary.ok;
                }
                JarRead::Unreadable(_) => {}
            }
        }
    }
    let left: Vec<CachedResponse> = cache::lookup(profiles, target, &sys.home)
        .into_iter()
        .filter(|c| c.is_error())
        .collect();
    for c in &left {
        summary.technical.push(format!(
            "{} ({}) still has a cached \"{}\"",
            c.browser_id, c.profile, c.status_line
        ));
    }
    ok &= left.is_empty();
    if summary.ok && !ok {
        summary.headline = "The page loads without your browser's stored data, but with it the \
                            site still fails (see below)."
            .to_string();
    }
    Ok((summary, ok))
}
