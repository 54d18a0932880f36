//! The fix pipeline behind `fix401 fix` and the app's "Fix it" button, one file per stage
//! (the floor plan in `ARCHITECTURE.md`):
//!
//! diagnose → [`proof`] (with consent, replay the browser's own cookies; look for cached
//! error pages) → [`plan`] (recommended actions, filtered by the help-desk configuration and
//! by what the evidence exonerates: exactly what will be touched) → [`apply`] (consent, then
//! the plan; backups first) → [`retest`] (probe again) → [`verdict`] (fixed, working or still
//! failing, and the report). [`run`] reads as that flow. Every step reports through one
//! [`Observer`]. Nothing here prompts or prints: consent comes through [`Consent`].

pub mod advice;
pub mod allow_negotiate;
mod apply;
pub mod backend;
pub mod cache;
pub mod live;
pub mod model;
pub mod observer;
mod plan;
mod proof;
pub mod render;
pub mod restart;
mod retest;
mod verdict;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Action;
use crate::redact;
use crate::system::System;

pub use backend::{ActionReport, Backend, BrowserInfo, PlannedAllow, PlannedClear, Probe};
pub use model::*;
#[cfg(test)]
pub use observer::Recorder;
pub use observer::{Event, NullObserver, Observer, Step};
pub use verdict::{new_report_stem, new_stem};

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
    /// A second site to clear along with the failing one (`--also-site HOST`): the sign-in
    /// provider a `sso.*` finding names. Never cleared unless asked for by name; planned as
    /// its own `clear-site-data` action, shown and consented to as such.
    pub also_site: Option<String>,
}

/// Where consent comes from: a prompt in the CLI, a dialog in the app, or `--yes`.
pub trait Consent {
    /// May fix401 read the cookies the browsers hold for `host` (into memory only) and send
    /// them once to that site, to prove or rule out stale site data?
    fn allow_cookie_test(&self, host: &str, profiles: &[String]) -> Result<bool>;
    /// May fix401 carry out this plan?
    fn allow_plan(&self, plan: &FixPlan) -> Result<bool>;
    /// May fix401 also clear `host`, the second site named with `--also-site` (the sign-in
    /// provider), asked on its own after the plan? Default: only with consent in advance,
    /// which `--also-site` itself gave by naming the host.
    fn allow_second_site(&self, host: &str) -> Result<bool> {
        let _ = host;
        Ok(self.in_advance())
    }
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

/// What every stage gets: the machine, the backend, the configuration, the request, and
/// where progress goes.
pub(crate) struct Context<'a> {
    pub(crate) sys: &'a System,
    pub(crate) backend: &'a dyn Backend,
    pub(crate) config: &'a Config,
    pub(crate) opts: &'a FixOptions,
    pub(crate) r: Reporter<'a>,
}

/// The first probe of the address, as every later stage needs it.
pub(crate) struct Before {
    /// The probe (its URL normalized, not redacted: it is probed again).
    pub(crate) probe: Probe,
    /// Its URL, parsed.
    pub(crate) target: url::Url,
    /// Its host, without IPv6 brackets.
    pub(crate) host: String,
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
    let cx = Context {
        sys,
        backend,
        config,
        opts,
        r: Reporter(observer),
    };
    // A wrong --browser is bad input, reported before any probe.
    let browsers = plan::browsers(&cx)?;
    let selected: Vec<&BrowserInfo> = browsers
        .iter()
        .filter(|b| opts.browsers.is_empty() || opts.browsers.contains(&b.id))
        .collect();
    let before = diagnose(&cx)?;
    let profiles: Vec<crate::browsers::Profile> = selected
        .iter()
        .flat_map(|b| b.profiles.iter().cloned())
        .collect();
    let evidence = proof::gather(&cx, consent, &before, &profiles)?;
    let mut planned = plan::plan(&cx, &before, &evidence, &selected);
    let consented = apply::consent(consent, &cx.r, &planned.plan)?;
    apply::consent_second_site(consent, &mut planned, consented)?;
    let applied = apply::apply(&cx, &before, &mut planned, consented, &selected);
    let after = retest::after(&cx, &before, &profiles, &evidence, &applied);
    apply::reopen(&cx, &before, &applied);
    Ok(verdict::report(
        &cx, &before, &browsers, evidence, planned, applied, after,
    ))
}

/// Stage 1: the diagnosis of the address as typed.
fn diagnose(cx: &Context<'_>) -> Result<Before> {
    let r = &cx.r;
    r.started(Step::Diagnose, None);
    let probe = match cx.backend.diagnose(&cx.opts.url, None) {
        Ok(p) => p,
        Err(e) => {
            r.failed(Step::Diagnose, e.to_string());
            return Err(e);
        }
    };
    r.done(Step::Diagnose, probe.summary.headline.clone());
    let target = url::Url::parse(&probe.url).map_err(|e| {
        Error::BadInput(format!(
            "{}: not a usable address ({e})",
            redact::url_str(&cx.opts.url)
        ))
    })?;
    let host = target
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .unwrap_or_default();
    Ok(Before {
        probe,
        target,
        host,
    })
}

/// A probe summary as the report keeps it: its URL fields redacted (see [`redact`]). Its
/// prose comes from the diagnosis, built from evidence that was redacted where secrets
/// entered it, and is never searched for secrets.
pub(crate) fn redact_summary(mut s: ProbeSummary) -> ProbeSummary {
    s.url = redact::url_str(&s.url);
    s.final_url = s.final_url.as_deref().map(redact::url_str);
    s
}

/// A failed action's outcome.
pub(crate) fn failed(action: Action, e: &Error) -> ActionOutcome {
    ActionOutcome {
        action,
        status: ActionStatus::Failed,
        summary: e.to_string(),
        details: Vec::new(),
        undo_id: None,
    }
}

/// The browsers' names, joined with "and".
pub(crate) fn names(browsers: &[&BrowserInfo]) -> String {
    browsers
        .iter()
        .map(|b| b.name.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
mod tests;
