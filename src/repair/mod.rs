//! The repair pipeline behind `fix401 fix` and the app's "Fix it" button.
//!
//! One direction, as DESIGN.md draws it: diagnose → (with consent) prove stale site data
//! with the browser's own cookies, look for cached error pages → recommended actions,
//! filtered by the help-desk configuration → plan (exactly what will be touched) → consent →
//! apply (backups first) → probe again → verdict and report. Every step reports through one
//! [`Observer`]. Nothing here prompts or prints: consent comes through [`Consent`].

pub mod advice;
pub mod backend;
pub mod cache;
pub mod live;
pub mod model;
pub mod observer;
pub mod render;
pub mod restart;

use std::path::PathBuf;

use crate::config::Config;
use crate::cookie_jar::{self, JarRead};
use crate::diagnosis::{Action, Cause, Confidence, Finding};
use crate::error::{Error, Result};
use crate::report::redact;
use crate::system::System;

pub use backend::{ActionReport, Backend, BrowserInfo, PlannedClear, Probe};
pub use model::*;
pub use observer::{Event, NullObserver, Observer, Recorder, Step};

use observer::Reporter;

/// What the person asked for.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// The address that fails.
    pub url: String,
    /// Flush DNS even when the findings do not call for it (`--dns`).
    pub dns: bool,
    /// Clear the site's data even when the findings do not call for it (`--site-data`).
    pub site_data: bool,
    /// Only these browsers (catalog ids); all when empty (`--browser`).
    pub browsers: Vec<String>,
    /// Reopen the URL in the default browser after closing a browser.
    pub reopen: bool,
    /// Carry out a clear the evidence rules out (`--force`); the report lists it as forced.
    pub force: bool,
}

/// Where consent comes from: a prompt in the CLI, a dialog in the app, or `--yes`.
pub trait Consent {
    /// May fix401 read the cookies the browsers hold for `host` (into memory only) and send
    /// them once to that site, to prove or rule out stale site data?
    fn allow_cookie_test(&self, host: &str, profiles: &[String]) -> Result<bool>;
    /// May fix401 carry out this plan?
    fn allow_plan(&self, plan: &FixPlan) -> Result<bool>;
    /// True when consent was given in advance (nobody is asked).
    fn in_advance(&self) -> bool {
        false
    }
}

/// Consent given in advance (`--yes`, help-desk scripts): never asks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unattended;

impl Consent for Unattended {
    fn allow_cookie_test(&self, _host: &str, _profiles: &[String]) -> Result<bool> {
        Ok(true)
    }
    fn allow_plan(&self, _plan: &FixPlan) -> Result<bool> {
        Ok(true)
    }
    fn in_advance(&self) -> bool {
        true
    }
}

/// Runs the whole pipeline and returns the report (also saved to the configured
/// `reports_dir`, when one is set).
pub fn run(
    sys: &System,
    backend: &dyn Backend,
    config: &Config,
    opts: &FixOptions,
    consent: &dyn Consent,
    observer: &dyn Observer,
) -> Result<FixReport> {
    let r = Reporter(observer);

    // 0. The browsers (a wrong --browser is bad input, reported before any probe).
    let browsers = match backend.browsers() {
        Ok(b) => b,
        Err(e) => {
            r.failed(Step::Plan, format!("cannot list the browsers: {e}"));
            Vec::new()
        }
    };
    let selected: Vec<&BrowserInfo> = browsers
        .iter()
        .filter(|b| opts.browsers.is_empty() || opts.browsers.contains(&b.id))
        .collect();
    let mut unknown: Vec<&String> = opts
        .browsers
        .iter()
        .filter(|id| !browsers.iter().any(|b| &b.id == *id))
        .collect();
    unknown.dedup();
    if !unknown.is_empty() {
        let known: Vec<&str> = browsers.iter().map(|b| b.id.as_str()).collect();
        return Err(Error::BadInput(format!(
            "--browser {}: not found on this computer (found: {})",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }

    // A site-data clear asked for on a public suffix is refused before anything runs.
    if opts.site_data
        && let Some(host) = url::Url::parse(&opts.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
    {
        crate::stores::Site::parse(&host, false)?;
    }

    // 1. Diagnose.
    r.started(Step::Diagnose, None);
    let before = match backend.diagnose(&opts.url, None) {
        Ok(p) => p,
        Err(e) => {
            r.failed(Step::Diagnose, e.to_string());
            return Err(e);
        }
    };
    r.done(Step::Diagnose, before.summary.headline.clone());
    let target = url::Url::parse(&before.url).map_err(|e| {
        Error::BadInput(format!(
            "{}: not a usable address ({e})",
            redact::url_str(&opts.url)
        ))
    })?;
    let host = target
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .unwrap_or_default();

    let profiles: Vec<crate::browsers::Profile> = selected
        .iter()
        .flat_map(|b| b.profiles.iter().cloned())
        .collect();
    let mut findings = before.summary.findings.clone();

    // 2. Proof with the browser's own cookies.
    let proof = prove_site_data(backend, consent, &r, &target, &host, &before, &profiles)?;
    if let Some(p) = &proof {
        merge_proof_finding(&mut findings, p, before.summary.ok);
    }

    // 3. Cached error pages.
    r.started(Step::CacheLookup, Some(profiles.len() as u64));
    let cached = cache::lookup(&profiles, &target, &sys.home);
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
        let conf = if before.summary.ok {
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

    let proven_stale = proof
        .as_ref()
        .is_some_and(|p| p.outcome == ProofOutcome::StaleProven);
    // A URL that had to be corrected fails as typed, whatever the corrected one does.
    let before_failing = !before.summary.ok
        || proven_stale
        || !cached_errors.is_empty()
        || before.corrected_url.is_some();
    // It works from here and nothing shows the browser's data at fault: no `site_data.stale`
    // without evidence; say what was tested and what still differs instead.
    let tested = tested_lines(&before.summary, proof.as_ref(), &profiles, &host);
    let proof_clears_cookies = proof.as_ref().is_none_or(|p| {
        matches!(
            p.outcome,
            ProofOutcome::NoCookies | ProofOutcome::CookiesNotTheCause
        ) && p.profiles.iter().all(|r| r.unreadable.is_none())
    });
    let works_from_here = (before.summary.ok
        && before.corrected_url.is_none()
        && !proven_stale
        && cached_errors.is_empty()
        && proof_clears_cookies)
        .then(|| {
            let login_accepted = findings.iter().any(|f| {
                f.cause == Cause::SiteDataStale
                    && f.actions.first() == Some(&Action::RestartBrowser)
            });
            findings.retain(|f| f.cause != Cause::SiteDataStale);
            let mut tested = tested.clone();
            tested.push("no browser keeps an error page for this address in its cache".into());
            WorksFromHere {
                tested,
                differences: crate::diagnosis::remaining_differences(login_accepted),
            }
        });
    let mut before_summary = redact_summary(before.summary.clone());
    before_summary.findings = findings.clone();
    if proven_stale || (before.summary.ok && !cached_errors.is_empty()) {
        before_summary.ok = false;
        // The plain probe's "works from here" is only half the story: say what fails.
        before_summary.headline = match &proof {
            Some(_) if proven_stale => {
                "Your browser sends stored cookies for this site that the site now refuses.".into()
            }
            _ => "Your browser keeps an old error page for this address in its cache.".into(),
        };
    } else if before.summary.ok
        && (works_from_here.is_some()
            || findings
                .iter()
                .any(|f| f.cause == Cause::SiteDataStale && f.confidence == Confidence::Low))
    {
        before_summary.headline = "The page works from here.".into();
    }

    // 4. Recommended actions → plan.
    r.started(Step::Plan, None);
    let mut wanted: Vec<(Action, String)> = Vec::new();
    let mut add = |a: Action, why: String| {
        if a != Action::Retry && !wanted.iter().any(|(w, _)| *w == a) {
            wanted.push((a, why));
        }
    };
    let mut sorted = findings.clone();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.confidence));
    if !before.summary.ok {
        for f in &sorted {
            for a in &f.actions {
                add(
                    *a,
                    format!("{} ({:?} confidence)", f.cause, f.confidence).to_lowercase(),
                );
            }
        }
    } else {
        // It works from here: only the browser's stored data can be at fault, unless the
        // cookie test ruled that out. DNS and restarts are not called for.
        let ruled_out = proof.as_ref().is_some_and(|p| {
            matches!(
                p.outcome,
                ProofOutcome::CookiesNotTheCause | ProofOutcome::NoCookies
            )
        }) && cached_errors.is_empty();
        if !ruled_out {
            for f in sorted.iter().filter(|f| f.cause == Cause::SiteDataStale) {
                add(
                    Action::ClearSiteData,
                    format!("{} ({:?} confidence)", f.cause, f.confidence).to_lowercase(),
                );
            }
        }
    }
    if before.corrected_url.is_some() {
        add(
            Action::FixUrl,
            "the address as typed looks wrong; a corrected one exists".into(),
        );
    }
    if opts.dns {
        add(Action::FlushDns, "you asked for it (--dns)".into());
    }
    if opts.site_data {
        add(
            Action::ClearSiteData,
            "you asked for it (--site-data)".into(),
        );
    }
    let mut plan = FixPlan::default();
    let mut outcomes: Vec<ActionOutcome> = Vec::new();
    for (a, _) in &wanted {
        if !config.allows(*a) {
            plan.disabled.push(*a);
            outcomes.push(ActionOutcome {
                action: *a,
                status: ActionStatus::Disabled,
                summary: "Disabled by your help desk's configuration; not run.".into(),
                details: Vec::new(),
                undo_id: None,
            });
        }
    }
    wanted.retain(|(a, _)| config.allows(*a));
    let why_of = |a: Action| {
        wanted
            .iter()
            .find(|(w, _)| *w == a)
            .map(|(_, why)| why.clone())
    };

    let mut clear_plan: Option<PlannedClear> = None;
    let mut to_close: Vec<&BrowserInfo> = Vec::new();
    if let Some(why) = why_of(Action::FixUrl)
        && let Some(corrected) = &before.corrected_url
    {
        plan.actions.push(PlannedAction {
            action: Action::FixUrl,
            why,
            touches: vec![format!("test {}", redact::url_str(corrected))],
            changes_system: false,
            forced: false,
        });
    }
    if let Some(why) = why_of(Action::FlushDns) {
        match backend.plan_flush_dns(&host) {
            Ok(cmds) => plan.actions.push(PlannedAction {
                action: Action::FlushDns,
                why,
                touches: cmds.into_iter().map(|c| format!("run: {c}")).collect(),
                changes_system: true,
                forced: false,
            }),
            Err(e) => outcomes.push(failed(Action::FlushDns, &e)),
        }
    }
    // A plan never clears what the evidence exonerates, unless the person forces it.
    let clear_ruled_out = clear_ruled_out(&before.summary, proof.as_ref())
        .filter(|_| why_of(Action::ClearSiteData).is_some());
    if let Some(why) = &clear_ruled_out {
        plan.ruled_out.push(RuledOut {
            action: Action::ClearSiteData,
            why: why.clone(),
            tested: tested.clone(),
            forced: opts.force,
        });
        if !opts.force {
            outcomes.push(ActionOutcome {
                action: Action::ClearSiteData,
                status: ActionStatus::Skipped,
                summary: format!("Not cleared: {why}. Nothing was changed."),
                details: Vec::new(),
                undo_id: None,
            });
        }
    }
    if let Some(why) =
        why_of(Action::ClearSiteData).filter(|_| clear_ruled_out.is_none() || opts.force)
    {
        let forced = clear_ruled_out.is_some();
        let why = match &clear_ruled_out {
            Some(r) => format!("you forced it (--force), although {r}; asked: {why}"),
            None => why,
        };
        let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
        match backend.plan_clear(&host, &ids) {
            Ok(pc) if pc.empty => outcomes.push(ActionOutcome {
                action: Action::ClearSiteData,
                status: ActionStatus::Skipped,
                summary: format!("No browser holds cookies or cache for {host}; nothing to clear."),
                details: Vec::new(),
                undo_id: None,
            }),
            Ok(pc) => {
                let running: Vec<&BrowserInfo> = selected
                    .iter()
                    .copied()
                    .filter(|b| pc.running.contains(&b.id) || !b.running_pids.is_empty())
                    .collect();
                if !running.is_empty() && !config.allows(Action::RestartBrowser) {
                    let names = names(&running);
                    outcomes.push(ActionOutcome {
                        action: Action::ClearSiteData,
                        status: ActionStatus::Skipped,
                        summary: format!(
                            "{names} is running and closing browsers is disabled by your help \
                             desk; close {names} and run fix401 again."
                        ),
                        details: Vec::new(),
                        undo_id: None,
                    });
                } else {
                    to_close.extend(running);
                    plan.actions.push(PlannedAction {
                        action: Action::ClearSiteData,
                        why,
                        touches: pc.touches.clone(),
                        changes_system: true,
                        forced,
                    });
                    clear_plan = Some(pc);
                }
            }
            // A public suffix is no site: nothing to clear, and no failure.
            Err(e @ Error::BadInput(_)) => outcomes.push(ActionOutcome {
                action: Action::ClearSiteData,
                status: ActionStatus::Skipped,
                summary: e.to_string(),
                details: Vec::new(),
                undo_id: None,
            }),
            Err(e) => outcomes.push(failed(Action::ClearSiteData, &e)),
        }
    }
    if why_of(Action::RestartBrowser).is_some() {
        for b in &selected {
            if !b.running_pids.is_empty() && !to_close.iter().any(|c| c.id == b.id) {
                to_close.push(b);
            }
        }
    }
    if !to_close.is_empty() {
        let why = why_of(Action::RestartBrowser).unwrap_or_else(|| {
            "the browser must be closed before its stores can be changed".to_string()
        });
        let mut touches: Vec<String> = to_close
            .iter()
            .map(|b| {
                format!(
                    "ask {} to close (process {}), gracefully: no forced kill",
                    b.name,
                    b.running_pids
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        if opts.reopen {
            touches.push(format!(
                "reopen {} in the default browser",
                redact::url_str(&before.url)
            ));
        }
        // Closing comes before clearing.
        let at = plan
            .actions
            .iter()
            .position(|a| a.action == Action::ClearSiteData)
            .unwrap_or(plan.actions.len());
        plan.actions.insert(
            at,
            PlannedAction {
                action: Action::RestartBrowser,
                why,
                touches,
                changes_system: true,
                forced: false,
            },
        );
    }
    for a in [
        Action::CheckCredentials,
        Action::FixClock,
        Action::ContactSiteOwner,
    ] {
        if let Some(why) = why_of(a) {
            plan.actions.push(PlannedAction {
                action: a,
                why,
                touches: Vec::new(),
                changes_system: false,
                forced: false,
            });
        }
    }
    r.done(
        Step::Plan,
        match plan.actions.len() {
            0 => "nothing to do".to_string(),
            n => format!("{} planned", crate::words::count(n, "action", "actions")),
        },
    );

    // 5. Consent.
    let mut consented = true;
    if plan.changes_system() {
        r.started(Step::Consent, None);
        consented = consent.allow_plan(&plan)?;
        r.done(
            Step::Consent,
            if consented && consent.in_advance() {
                "given in advance (--yes)"
            } else if consented {
                "go ahead"
            } else {
                "declined: nothing was changed"
            },
        );
    }

    // 6. Apply.
    let mut closed: Vec<&BrowserInfo> = Vec::new();
    let mut changed = false;
    let mut fixed_url: Option<(String, Probe)> = None;
    for planned in &plan.actions {
        if planned.changes_system && !consented {
            outcomes.push(ActionOutcome {
                action: planned.action,
                status: ActionStatus::Declined,
                summary: "You declined; nothing was changed.".into(),
                details: Vec::new(),
                undo_id: None,
            });
            continue;
        }
        match planned.action {
            Action::FlushDns => {
                r.started(Step::FlushDns, None);
                let out = record(
                    &r,
                    Step::FlushDns,
                    Action::FlushDns,
                    backend.flush_dns(&host),
                );
                changed |= out.status == ActionStatus::Done;
                outcomes.push(out);
            }
            Action::RestartBrowser => {
                r.started(Step::CloseBrowser, Some(to_close.len() as u64));
                let mut details = Vec::new();
                let mut all_ok = true;
                for (i, b) in to_close.iter().enumerate() {
                    r.progress(
                        Step::CloseBrowser,
                        i as u64,
                        Some(to_close.len() as u64),
                        format!("asking {} to close", b.name),
                    );
                    match backend.close_browser(b) {
                        Ok(rep) if rep.ok => {
                            closed.push(b);
                            details.push(rep.summary);
                            details.extend(rep.details);
                        }
                        Ok(rep) => {
                            all_ok = false;
                            details.push(rep.summary);
                            details.extend(rep.details);
                        }
                        Err(e) => {
                            all_ok = false;
                            details.push(e.to_string());
                        }
                    }
                }
                let summary = if all_ok {
                    format!("Closed {} gracefully.", names(&to_close))
                } else {
                    format!(
                        "{} did not close; close it yourself (save your work first) and run \
                         fix401 again.",
                        names(&to_close)
                    )
                };
                if all_ok {
                    r.done(Step::CloseBrowser, summary.clone());
                } else {
                    r.failed(Step::CloseBrowser, summary.clone());
                }
                changed |= !closed.is_empty();
                outcomes.push(ActionOutcome {
                    action: Action::RestartBrowser,
                    status: if all_ok {
                        ActionStatus::Done
                    } else {
                        ActionStatus::Failed
                    },
                    summary,
                    details,
                    undo_id: None,
                });
            }
            Action::ClearSiteData => {
                r.started(Step::ClearSiteData, None);
                // A browser was closed since planning: plan again so the stores are read now.
                let pc = if closed.is_empty() {
                    clear_plan.take()
                } else {
                    let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
                    backend.plan_clear(&host, &ids).ok()
                };
                let result = match pc {
                    Some(pc) => backend.apply_clear(pc),
                    None => Err(Error::Internal("the clear plan went missing".into())),
                };
                let out = record(&r, Step::ClearSiteData, Action::ClearSiteData, result);
                changed |= out.status == ActionStatus::Done;
                outcomes.push(out);
            }
            Action::FixUrl => {
                if let Some(corrected) = &before.corrected_url {
                    r.started(Step::FixUrl, None);
                    // The diagnosis already probed the corrected URL when it could parse
                    // the input; probe again only when it could not.
                    let probe =
                        if *corrected == before.url && before.summary.verdict != "invalid_url" {
                            Ok(before.clone())
                        } else {
                            backend.diagnose(corrected, None)
                        };
                    match probe {
                        Ok(p) => {
                            let works = p.summary.ok;
                            r.done(Step::FixUrl, p.summary.headline.clone());
                            outcomes.push(ActionOutcome {
                                action: Action::FixUrl,
                                status: if works {
                                    ActionStatus::Done
                                } else {
                                    ActionStatus::Failed
                                },
                                summary: if works {
                                    format!(
                                        "The corrected address works: {}",
                                        redact::url_str(corrected)
                                    )
                                } else {
                                    format!(
                                        "The corrected address fails too: {}",
                                        p.summary.headline
                                    )
                                },
                                details: Vec::new(),
                                undo_id: None,
                            });
                            if works {
                                fixed_url = Some((corrected.clone(), p));
                            }
                        }
                        Err(e) => {
                            r.failed(Step::FixUrl, e.to_string());
                            outcomes.push(failed(Action::FixUrl, &e));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // 7. Probe again.
    let mut after: Option<ProbeSummary> = None;
    let mut after_ok = !before_failing;
    if let Some((_, p)) = &fixed_url {
        after = Some(redact_summary(p.summary.clone()));
        after_ok = true;
    } else if changed {
        r.started(Step::Retest, None);
        match retest(
            sys,
            backend,
            &target,
            &before.url,
            &profiles,
            proof.as_ref(),
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

    // 8. Reopen what was closed.
    if !closed.is_empty() && opts.reopen {
        r.started(Step::ReopenBrowser, None);
        let url = fixed_url
            .as_ref()
            .map(|(u, _)| u.as_str())
            .unwrap_or(&before.url);
        match backend.open_url(url) {
            Ok(rep) if rep.ok => r.done(Step::ReopenBrowser, rep.summary),
            Ok(rep) => r.failed(Step::ReopenBrowser, rep.summary),
            Err(e) => r.failed(Step::ReopenBrowser, e.to_string()),
        }
    }

    // 9. Verdict, advice, report.
    let verdict = if !before_failing && fixed_url.is_none() {
        Verdict::Working
    } else if after_ok {
        Verdict::Fixed
    } else {
        Verdict::StillFailing
    };
    // Once it works again, advice about the failure would only confuse.
    let mut advice: Vec<Advice> = plan
        .actions
        .iter()
        .filter(|_| verdict == Verdict::StillFailing)
        .filter_map(|a| advice::advice(a.action, &before_summary))
        .collect();
    for a in &advice {
        outcomes.push(ActionOutcome {
            action: a.action,
            status: ActionStatus::Advice,
            summary: a.text.clone(),
            details: Vec::new(),
            undo_id: None,
        });
    }
    if verdict == Verdict::StillFailing && !plan.disabled.is_empty() {
        advice.push(advice::disabled(&plan.disabled, config.support.as_ref()));
    }
    let outcome = outcome(
        verdict,
        &host,
        &outcomes,
        &before_summary,
        fixed_url.as_ref(),
    );
    let mut report = FixReport {
        url: redact::url_str(&before.url),
        generated_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
        verdict,
        headline: outcome.headline.clone(),
        outcome,
        before: before_summary,
        proof,
        works_from_here,
        cached_responses: cached,
        plan,
        actions: outcomes,
        after,
        advice,
        owner_summary: None,
        environment: environment(sys, &browsers),
        support: config.support.clone(),
        saved_to: Vec::new(),
    };
    // Only a fault on the site's side goes to its owner; local faults stay local.
    let site_side = report
        .before
        .findings
        .iter()
        .any(|f| f.actions.contains(&Action::ContactSiteOwner));
    if verdict == Verdict::StillFailing && site_side {
        report.owner_summary = Some(advice::owner_summary(&report));
    }
    if let Some(dir) = &config.reports_dir {
        r.started(Step::Report, None);
        match save_in_dir(&mut report, dir) {
            Ok(()) => r.done(Step::Report, format!("saved in {}", dir.display())),
            Err(e) => r.failed(Step::Report, e.to_string()),
        }
    }
    Ok(report)
}

/// Runs the stale-cookie proof; `None` when there is nothing to test.
fn prove_site_data(
    backend: &dyn Backend,
    consent: &dyn Consent,
    r: &Reporter<'_>,
    target: &url::Url,
    host: &str,
    before: &Probe,
    profiles: &[crate::browsers::Profile],
) -> Result<Option<CookieProof>> {
    if !matches!(target.scheme(), "http" | "https") || profiles.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = profiles
        .iter()
        .map(|p| format!("{} ({})", p.browser_name, p.name))
        .collect();
    let status_without = before.summary.status;
    if !consent.allow_cookie_test(host, &labels)? {
        return Ok(Some(CookieProof {
            outcome: ProofOutcome::NotRun,
            summary: "You did not allow the test with your browser's cookies.".into(),
            status_without_cookies: status_without,
            profiles: Vec::new(),
        }));
    }
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
    Ok(Some(CookieProof {
        outcome,
        summary,
        status_without_cookies: status_without,
        profiles: rows,
    }))
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

/// Why clearing the site's data cannot help when the page fails: fix401's own test fails
/// without any of it in a way stored data cannot cause, or every browser's cookies were
/// tested and the site answers the same with them as without. `None` when the evidence does
/// not rule it out (a page that works from here, cookies that could not be tested).
fn clear_ruled_out(before: &ProbeSummary, proof: Option<&CookieProof>) -> Option<String> {
    if before.ok {
        return None;
    }
    if let Some(why) = crate::diagnosis::site_data_exonerated(before.status, &before.findings) {
        return Some(why);
    }
    let p = proof.filter(|p| p.outcome == ProofOutcome::CookiesNotTheCause)?;
    let same = !p.profiles.is_empty()
        && p.profiles.iter().all(|r| {
            r.unreadable.is_none()
                && r.ok_with_cookies == Some(false)
                && r.status_with_cookies == p.status_without_cookies
        });
    same.then(|| {
        format!(
            "your browser's cookies make no difference: the site answers {} with and without them",
            p.status_without_cookies
                .map_or("nothing".to_string(), |s| s.to_string())
        )
    })
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

/// A probe summary as the report keeps it: its URL fields redacted (see [`redact`]). Its
/// prose comes from the diagnosis, built from evidence that was redacted where secrets
/// entered it, and is never searched for secrets.
fn redact_summary(mut s: ProbeSummary) -> ProbeSummary {
    s.url = redact::url_str(&s.url);
    s.final_url = s.final_url.as_deref().map(redact::url_str);
    s
}

fn failed(action: Action, e: &Error) -> ActionOutcome {
    ActionOutcome {
        action,
        status: ActionStatus::Failed,
        summary: e.to_string(),
        details: Vec::new(),
        undo_id: None,
    }
}

fn record(
    r: &Reporter<'_>,
    step: Step,
    action: Action,
    result: Result<ActionReport>,
) -> ActionOutcome {
    match result {
        Ok(rep) => {
            if rep.ok {
                r.done(step, rep.summary.clone());
            } else {
                r.failed(step, rep.summary.clone());
            }
            ActionOutcome {
                action,
                status: if rep.ok {
                    ActionStatus::Done
                } else {
                    ActionStatus::Failed
                },
                summary: rep.summary,
                details: rep.details,
                undo_id: rep.undo_id,
            }
        }
        Err(e) => {
            r.failed(step, e.to_string());
            failed(action, &e)
        }
    }
}

fn names(browsers: &[&BrowserInfo]) -> String {
    browsers
        .iter()
        .map(|b| b.name.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The verdict words, headline and first action of the end result, from the one function
/// every face uses ([`crate::diagnosis::outcome`]): still failing, the top finding before the
/// fixes leads.
fn outcome(
    verdict: Verdict,
    host: &str,
    outcomes: &[ActionOutcome],
    before: &ProbeSummary,
    fixed_url: Option<&(String, Probe)>,
) -> crate::diagnosis::Outcome {
    use crate::diagnosis::Stage;
    let stage = match verdict {
        Verdict::Fixed => {
            if let Some((u, _)) = fixed_url {
                Stage::Fixed(format!(
                    "the corrected address {} works.",
                    redact::url_str(u)
                ))
            } else {
                let done: Vec<&str> = outcomes
                    .iter()
                    .filter(|o| o.status == ActionStatus::Done)
                    .filter_map(|o| match o.action {
                        Action::FlushDns => Some("flushing the DNS cache"),
                        Action::ClearSiteData => Some("clearing its stale cookies and cache"),
                        Action::RestartBrowser => Some("restarting the browser"),
                        _ => None,
                    })
                    .collect();
                Stage::Fixed(format!("{host} loads again after {}.", done.join(" and ")))
            }
        }
        Verdict::Working
            if outcomes
                .iter()
                .any(|o| o.status == ActionStatus::Done && o.action == Action::ClearSiteData) =>
        {
            Stage::Working(format!(
                "{host} answers normally from this computer; its stored cookies and cache \
                 were cleared as a precaution. Reload the page."
            ))
        }
        Verdict::Working => Stage::Working(format!(
            "No fault found: {host} answers normally from this computer, also with your \
             browser's data. If your browser still shows an error, restart it."
        )),
        Verdict::StillFailing => Stage::StillFailing,
    };
    crate::diagnosis::outcome(&before.findings, stage)
}

/// The environment section: OS, version, browsers.
fn environment(sys: &System, browsers: &[BrowserInfo]) -> Environment {
    let os_version = match sys.os {
        crate::system::Os::Linux => std::fs::read_to_string(sys.system_file("etc/os-release"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            }),
        // Windows and macOS keep their version outside any file a home could hold: asked of
        // the running system only, never reported for a home examined as another OS.
        _ if sys.live && sys.os == crate::system::Os::current() => {
            sysinfo::System::long_os_version().ok()
        }
        _ => None,
    };
    Environment {
        os: sys.os.id().to_string(),
        os_version,
        fix401_version: env!("CARGO_PKG_VERSION").to_string(),
        browsers: browsers
            .iter()
            .map(|b| BrowserEnv {
                id: b.id.clone(),
                name: b.name.clone(),
                version: b.version.clone(),
                profiles: b.profiles.len(),
                running: !b.running_pids.is_empty(),
            })
            .collect(),
    }
}

/// A fresh `DIR/fix401-report-YYYYMMDD-HHMMSS` (UTC; `-2`, `-3`… when taken), to which the
/// caller adds `.md` / `.json`.
pub fn new_report_stem(dir: &std::path::Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let digits: String = crate::stores::backup::rfc3339(secs)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let stamp = format!("{}-{}", &digits[..8], &digits[8..14]);
    let taken = |p: &PathBuf| p.with_extension("md").exists() || p.with_extension("json").exists();
    let mut stem = dir.join(format!("fix401-report-{stamp}"));
    let mut n = 1;
    while taken(&stem) {
        n += 1;
        stem = dir.join(format!("fix401-report-{stamp}-{n}"));
    }
    stem
}

/// Saves the report as Markdown and JSON in `dir` (created when missing) and records the
/// file names in the report.
pub fn save_in_dir(report: &mut FixReport, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating the reports folder {}", dir.display()), e))?;
    let base = new_report_stem(dir);
    let md: PathBuf = base.with_extension("md");
    let json: PathBuf = base.with_extension("json");
    report.saved_to = vec![md.display().to_string(), json.display().to_string()];
    std::fs::write(&md, render::markdown(report))
        .map_err(|e| Error::io(format!("writing {}", md.display()), e))?;
    std::fs::write(&json, render::json(report)?)
        .map_err(|e| Error::io(format!("writing {}", json.display()), e))?;
    Ok(())
}

#[cfg(test)]
mod tests;
