//! Stage 3 of the fix pipeline: the plan. The findings' recommended actions, filtered by
//! the help-desk configuration and by what the evidence exonerates, become exactly what will
//! be touched (commands, browsers to close, rows and files to clear), before anything is
//! (see the floor plan in `ARCHITECTURE.md`).

use crate::error::{Error, Result};
use crate::model::{Action, Cause};
use crate::redact;

use super::observer::Step;
use super::proof::Evidence;
use super::{
    ActionOutcome, ActionStatus, Before, BrowserInfo, Context, CookieProof, FixPlan, PlannedAction,
    PlannedAllow, PlannedClear, ProbeSummary, ProofOutcome, RuledOut, failed, names,
};

/// The browsers the person asked for (all when none named). A `--browser` not found is bad
/// input, and so is a site-data clear asked for on a public suffix: both are reported before
/// any probe runs. A list that cannot be read counts as no browser.
pub(crate) fn browsers(cx: &Context<'_>) -> Result<Vec<BrowserInfo>> {
    let Context {
        backend, r, opts, ..
    } = cx;
    let browsers = match backend.browsers() {
        Ok(b) => b,
        Err(e) => {
            r.failed(Step::Plan, format!("cannot list the browsers: {e}"));
            Vec::new()
        }
    };
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
    // So is a second site that is no site.
    if let Some(also) = &opts.also_site {
        crate::stores::Site::parse(also, false)
            .map_err(|e| Error::BadInput(format!("--also-site {also}: {e}")))?;
    }
    Ok(browsers)
}

/// The plan and what is already decided without running anything.
pub(crate) struct Planned<'a> {
    /// What will be done, in order, and what is disabled or ruled out.
    pub(crate) plan: FixPlan,
    /// Outcomes decided while planning (disabled, skipped, failed to plan).
    pub(crate) outcomes: Vec<ActionOutcome>,
    /// The stores' clear, read at planning time.
    pub(crate) clear: Option<PlannedClear>,
    /// The second site's clear (`--also-site`), with its host: the second `clear-site-data`
    /// action of the plan.
    pub(crate) also_clear: Option<(String, PlannedClear)>,
    /// The site's clear includes its HTTPS-only (HSTS) entries: a finding says one breaks it.
    pub(crate) clear_hsts: bool,
    /// The browsers' sign-in settings to change, read at planning time.
    pub(crate) allow: Option<PlannedAllow>,
    /// The running browsers to close first.
    pub(crate) to_close: Vec<&'a BrowserInfo>,
}

/// Turns the findings into the plan over the `selected` browsers.
pub(crate) fn plan<'a>(
    cx: &Context<'_>,
    before: &Before,
    evidence: &Evidence,
    selected: &[&'a BrowserInfo],
) -> Planned<'a> {
    let Context {
        backend,
        config,
        opts,
        r,
        ..
    } = cx;
    let host = before.host.as_str();
    let before = &before.probe;
    let (findings, proof, tested) = (&evidence.findings, &evidence.proof, &evidence.tested);
    let clear_hsts = findings.iter().any(|f| f.cause == Cause::HstsStuck);
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
        }) && !evidence.cached_error;
        if !ruled_out {
            for f in sorted
                .iter()
                .filter(|f| matches!(f.cause, Cause::SiteDataStale | Cause::CookiesTooLarge))
            {
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
        match backend.plan_flush_dns(host) {
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
        clear_plan = plan_site_clear(
            SiteClear {
                site: host,
                hsts: clear_hsts,
                why,
                forced,
            },
            *backend,
            config,
            selected,
            &mut to_close,
            &mut plan,
            &mut outcomes,
        );
    }
    // The second site, only when named (`--also-site`) and only as its own action. The
    // cookie test replayed the site's cookies, not the provider's, so it rules nothing out
    // for the provider; a failure no stored data can cause (no name, no connection, a 5xx)
    // does.
    let mut also_clear: Option<(String, PlannedClear)> = None;
    let also_ruled_out =
        crate::diagnosis::site_data_exonerated(before.summary.status, &before.summary.findings);
    if let Some(also) = opts
        .also_site
        .as_deref()
        .filter(|a| !a.eq_ignore_ascii_case(host))
        && config.allows(Action::ClearSiteData)
        && (also_ruled_out.is_none() || opts.force)
    {
        also_clear = plan_site_clear(
            SiteClear {
                site: also,
                hsts: false,
                why: format!(
                    "a second site, the sign-in provider {also}: you asked for it (--also-site)"
                ),
                forced: also_ruled_out.is_some(),
            },
            *backend,
            config,
            selected,
            &mut to_close,
            &mut plan,
            &mut outcomes,
        )
        .map(|pc| (also.to_string(), pc));
    }
    let mut allow_plan: Option<PlannedAllow> = None;
    if let Some(why) = why_of(Action::AllowNegotiate) {
        let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
        match backend.plan_allow_negotiate(&before.url, &ids) {
            // No browser found to change or advise about: nothing to say.
            Ok(pa) if pa.touches.is_empty() && pa.advice.is_empty() => {}
            Ok(pa) if pa.touches.is_empty() => outcomes.push(ActionOutcome {
                action: Action::AllowNegotiate,
                status: ActionStatus::Advice,
                summary: "fix401 cannot change this setting itself; what to set, and where:".into(),
                details: pa.advice,
                undo_id: None,
            }),
            Ok(pa) => {
                let running: Vec<&BrowserInfo> = selected
                    .iter()
                    .copied()
                    .filter(|b| pa.running.contains(&b.id))
                    .filter(|b| !to_close.iter().any(|c| c.id == b.id))
                    .collect();
                if !running.is_empty() && !config.allows(Action::RestartBrowser) {
                    outcomes.push(closing_disabled(Action::AllowNegotiate, &running));
                } else {
                    to_close.extend(running);
                    plan.actions.push(PlannedAction {
                        action: Action::AllowNegotiate,
                        why,
                        touches: pa.touches.iter().chain(&pa.advice).cloned().collect(),
                        changes_system: true,
                        forced: false,
                    });
                    allow_plan = Some(pa);
                }
            }
            Err(e) => outcomes.push(failed(Action::AllowNegotiate, &e)),
        }
    }
    if why_of(Action::RestartBrowser).is_some() {
        for b in selected.iter() {
            if !b.running_pids.is_empty() && !to_close.iter().any(|c| c.id == b.id) {
                to_close.push(*b);
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
        // Closing comes before clearing and before changing settings.
        let at = plan
            .actions
            .iter()
            .position(|a| matches!(a.action, Action::ClearSiteData | Action::AllowNegotiate))
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
    Planned {
        plan,
        outcomes,
        clear: clear_plan,
        also_clear,
        clear_hsts,
        allow: allow_plan,
        to_close,
    }
}

/// One site's `clear-site-data` as the plan asks for it.
struct SiteClear<'s> {
    /// The host whose data goes.
    site: &'s str,
    /// Its HTTPS-only entries too (`hsts.stuck`).
    hsts: bool,
    /// Why, as the plan says it.
    why: String,
    /// Planned against what rules it out (`--force`).
    forced: bool,
}

/// Plans `clear`'s `clear-site-data` over the `selected` browsers: its action with what it
/// touches (and the running browsers it must close first, each once) pushed onto `plan`, or
/// the outcome that says why not (nothing stored, no site, closing disabled, failed). The
/// stores' plan to apply, when there is one.
#[allow(clippy::too_many_arguments)]
fn plan_site_clear<'a>(
    clear: SiteClear<'_>,
    backend: &dyn super::Backend,
    config: &crate::config::Config,
    selected: &[&'a BrowserInfo],
    to_close: &mut Vec<&'a BrowserInfo>,
    plan: &mut FixPlan,
    outcomes: &mut Vec<ActionOutcome>,
) -> Option<PlannedClear> {
    let site = clear.site;
    let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
    match backend.plan_clear(site, &ids, clear.hsts) {
        Ok(pc) if pc.empty => outcomes.push(ActionOutcome {
            action: Action::ClearSiteData,
            status: ActionStatus::Skipped,
            summary: format!("No browser holds cookies or cache for {site}; nothing to clear."),
            details: Vec::new(),
            undo_id: None,
        }),
        Ok(pc) => {
            let running: Vec<&BrowserInfo> = selected
                .iter()
                .copied()
                .filter(|b| pc.running.contains(&b.id) || !b.running_pids.is_empty())
                .filter(|b| !to_close.iter().any(|c| c.id == b.id))
                .collect();
            if !running.is_empty() && !config.allows(Action::RestartBrowser) {
                outcomes.push(closing_disabled(Action::ClearSiteData, &running));
            } else {
                to_close.extend(running);
                plan.actions.push(PlannedAction {
                    action: Action::ClearSiteData,
                    why: clear.why,
                    touches: pc.touches.clone(),
                    changes_system: true,
                    forced: clear.forced,
                });
                return Some(pc);
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
    None
}

/// `action` skipped because `running` browsers must close first and closing browsers is
/// disabled by the help desk.
fn closing_disabled(action: Action, running: &[&BrowserInfo]) -> ActionOutcome {
    let names = names(running);
    ActionOutcome {
        action,
        status: ActionStatus::Skipped,
        summary: format!(
            "{names} is running and closing browsers is disabled by your help desk; close \
             {names} and run fix401 again."
        ),
        details: Vec::new(),
        undo_id: None,
    }
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
