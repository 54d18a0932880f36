//! Stage 6 of the fix pipeline: the verdict (fixed, working, still failing), the advice
//! that still applies, and the report, saved where the help desk wants it (see the floor
//! plan in `ARCHITECTURE.md`).

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::Action;
use crate::redact;
use crate::system::System;

use super::apply::Applied;
use super::observer::Step;
use super::plan::Planned;
use super::proof::Evidence;
use super::{
    ActionOutcome, ActionStatus, Advice, Before, BrowserEnv, BrowserInfo, Context, Environment,
    FixReport, Probe, ProbeSummary, Verdict, advice, render,
};

/// Judges the end result and writes the report (saved in the configured `reports_dir`, when
/// one is set).
pub(crate) fn report(
    cx: &Context<'_>,
    before: &Before,
    browsers: &[BrowserInfo],
    evidence: Evidence,
    planned: Planned<'_>,
    applied: Applied<'_>,
    (after, after_ok): (Option<ProbeSummary>, bool),
) -> FixReport {
    let Context { sys, config, r, .. } = cx;
    let host = before.host.as_str();
    let before = &before.probe;
    let Planned {
        plan, mut outcomes, ..
    } = planned;
    let fixed_url = applied.fixed_url;
    let before_summary = evidence.before_summary;
    let (proof, works_from_here, cached) =
        (evidence.proof, evidence.works_from_here, evidence.cached);
    let verdict = if !evidence.failing && fixed_url.is_none() {
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
        host,
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
        environment: environment(sys, browsers),
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
    report
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
                        Action::AllowNegotiate => {
                            Some("allowing your browsers to send your company sign-in")
                        }
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
    new_stem(dir, "fix401-report", &["md", "json"])
}

/// `dir/<prefix>-YYYYMMDD-HHMMSS` (UTC), with `-2`, `-3`… added while a file of that stem
/// with one of `extensions` exists.
pub fn new_stem(dir: &std::path::Path, prefix: &str, extensions: &[&str]) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let digits: String = crate::words::rfc3339(secs)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let stamp = format!("{}-{}", &digits[..8], &digits[8..14]);
    let taken = |p: &PathBuf| extensions.iter().any(|e| p.with_extension(e).exists());
    let mut stem = dir.join(format!("{prefix}-{stamp}"));
    let mut n = 1;
    while taken(&stem) {
        n += 1;
        stem = dir.join(format!("{prefix}-{stamp}-{n}"));
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
