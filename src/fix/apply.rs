//! Stage 4 of the fix pipeline: consent, then the plan carried out in its order (close
//! browsers before clearing their stores; backups are taken by the stores themselves), each
//! action's outcome recorded and reported as it happens (see the floor plan in
//! `ARCHITECTURE.md`).

use crate::error::{Error, Result};
use crate::model::Action;
use crate::redact;

use super::observer::{Reporter, Step};
use super::plan::Planned;
use super::{
    ActionOutcome, ActionReport, ActionStatus, Before, BrowserInfo, Consent, Context, FixPlan,
    Probe, failed, names,
};

/// Asks for consent when the plan changes the system; `true` when it may go ahead.
pub(crate) fn consent(consent: &dyn Consent, r: &Reporter<'_>, plan: &FixPlan) -> Result<bool> {
    let mut consented = true;
    if plan.changes_system() {
        r.started(Step::Consent, None);
        consented = consent.allow_plan(plan)?;
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
    Ok(consented)
}

/// Asks separately for the second site (`--also-site`) once the plan was agreed to; a no
/// takes its clear out of the plan (recorded as declined), the site's own stays.
pub(crate) fn consent_second_site(
    consent: &dyn Consent,
    planned: &mut Planned<'_>,
    consented: bool,
) -> Result<()> {
    let Some((host, _)) = &planned.also_clear else {
        return Ok(());
    };
    if !consented || consent.allow_second_site(host)? {
        return Ok(());
    }
    let host = host.clone();
    planned.also_clear = None;
    // The provider's clear is planned after the site's: the last `clear-site-data`.
    if let Some(at) = planned
        .plan
        .actions
        .iter()
        .rposition(|a| a.action == Action::ClearSiteData)
    {
        planned.plan.actions.remove(at);
    }
    planned.outcomes.push(ActionOutcome {
        action: Action::ClearSiteData,
        status: ActionStatus::Declined,
        summary: format!("You declined clearing {host}; nothing was changed there."),
        details: Vec::new(),
        undo_id: None,
    });
    Ok(())
}

/// What carrying out the plan changed.
pub(crate) struct Applied<'a> {
    /// The browsers that closed.
    pub(crate) closed: Vec<&'a BrowserInfo>,
    /// True when anything was changed (a re-test is due).
    pub(crate) changed: bool,
    /// The corrected address and its probe, when it works.
    pub(crate) fixed_url: Option<(String, Probe)>,
}

/// Carries out the plan (only what needs no consent when it was declined); every outcome
/// joins `planned.outcomes`.
pub(crate) fn apply<'a>(
    cx: &Context<'_>,
    before: &Before,
    planned: &mut Planned<'a>,
    consented: bool,
    selected: &[&BrowserInfo],
) -> Applied<'a> {
    let Context { backend, r, .. } = cx;
    let host = before.host.as_str();
    let before = &before.probe;
    let Planned {
        plan,
        outcomes,
        clear: clear_plan,
        also_clear,
        clear_hsts,
        allow: allow_plan,
        to_close,
    } = planned;
    // The first `clear-site-data` is the site's; a second one is `--also-site`'s.
    let mut site_cleared = false;
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
                let out = record(r, Step::FlushDns, Action::FlushDns, backend.flush_dns(host));
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
                            closed.push(*b);
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
                    format!("Closed {} gracefully.", names(to_close))
                } else {
                    format!(
                        "{} did not close; close it yourself (save your work first) and run \
                         fix401 again.",
                        names(to_close)
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
                // The HSTS entries only ever go with the site's own clear, never the second's.
                let (site, planned_clear, hsts) = if !site_cleared && clear_plan.is_some() {
                    (host.to_string(), clear_plan.take(), *clear_hsts)
                } else if let Some((also, pc)) = also_clear.take() {
                    (also, Some(pc), false)
                } else {
                    (host.to_string(), None, false)
                };
                site_cleared = true;
                // A browser was closed since planning: plan again so the stores are read now.
                let pc = if closed.is_empty() {
                    planned_clear
                } else {
                    let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
                    backend.plan_clear(&site, &ids, hsts).ok()
                };
                let result = match pc {
                    Some(pc) => backend.apply_clear(pc),
                    None => Err(Error::Internal("the clear plan went missing".into())),
                };
                let out = record(r, Step::ClearSiteData, Action::ClearSiteData, result);
                changed |= out.status == ActionStatus::Done;
                outcomes.push(out);
            }
            Action::AllowNegotiate => {
                r.started(Step::AllowNegotiate, None);
                // A browser was closed since planning: plan again so the files are read now.
                let pa = if closed.is_empty() {
                    allow_plan.take()
                } else {
                    let ids: Vec<String> = selected.iter().map(|b| b.id.clone()).collect();
                    backend.plan_allow_negotiate(&before.url, &ids).ok()
                };
                let result = match pa {
                    Some(pa) => backend.apply_allow_negotiate(pa),
                    None => Err(Error::Internal(
                        "the allow-negotiate plan went missing".into(),
                    )),
                };
                let out = record(r, Step::AllowNegotiate, Action::AllowNegotiate, result);
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
    Applied {
        closed,
        changed,
        fixed_url,
    }
}

/// Reopens the page (the corrected address when that is what works) after a browser was
/// closed, when the person wants it.
pub(crate) fn reopen(cx: &Context<'_>, before: &Before, applied: &Applied<'_>) {
    let Context {
        backend, r, opts, ..
    } = cx;
    if !applied.closed.is_empty() && opts.reopen {
        r.started(Step::ReopenBrowser, None);
        let url = applied
            .fixed_url
            .as_ref()
            .map(|(u, _)| u.as_str())
            .unwrap_or(&before.probe.url);
        match backend.open_url(url) {
            Ok(rep) if rep.ok => r.done(Step::ReopenBrowser, rep.summary),
            Ok(rep) => r.failed(Step::ReopenBrowser, rep.summary),
            Err(e) => r.failed(Step::ReopenBrowser, e.to_string()),
        }
    }
}

/// The outcome of an action the backend carried out, reported as done or failed.
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
