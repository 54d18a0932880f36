//! The backend over the real fix401 modules: diagnosis, DNS, browsers, stores, cookie jar.

use crate::browsers::{self, Family, Installation, Profile, RunningState, StoreCategory};
use crate::check::{self as diagnosis, DiagnoseOptions};
use crate::cookie_jar::{self, JarRead};
use crate::dns;
use crate::error::{Error, Result};
use crate::probe::Credentials;
use crate::report::Report;
use crate::stores;
use crate::system::System;
use crate::target::Target;

use super::backend::{ActionReport, Backend, BrowserInfo, PlannedAllow, PlannedClear, Probe};
use super::model::ProbeSummary;
use super::restart;
use crate::redact;

/// The backend fix401 runs with.
pub struct LiveBackend {
    sys: System,
}

impl LiveBackend {
    /// A backend acting on `sys`.
    pub fn new(sys: System) -> LiveBackend {
        LiveBackend { sys }
    }
}

/// Runs a future of the async parts (DNS) to completion on a runtime of its own. The
/// pipeline is synchronous; the app calls it from a blocking task.
fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// The pid in a running-state evidence line ("… held by live process 1234",
/// "process chromium (1234) is running"): its last number.
fn last_number(text: &str) -> Option<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

/// The browser's version as its own files record it (Chromium `Last Version`, Firefox
/// `compatibility.ini`), when present.
fn version_of(inst: &Installation) -> Option<String> {
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).ok();
    match inst.family {
        Family::Chromium => inst
            .data_dirs
            .iter()
            .find_map(|d| read(d.join("Last Version")))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.len() < 40),
        Family::Firefox => inst.profiles.iter().find_map(|p| {
            read(p.dir.join("compatibility.ini"))?
                .lines()
                .find_map(|l| l.strip_prefix("LastVersion="))
                .and_then(|v| v.split('_').next())
                .map(str::to_string)
        }),
        Family::Safari => None,
    }
}

/// The parts of a diagnosis report the fix report shows.
fn summarize(report: &Report) -> ProbeSummary {
    let mut technical = Vec::new();
    if !report.resolved.is_empty() {
        technical.push(format!("resolved to {}", report.resolved.join(", ")));
    }
    for r in report.redirects.iter().filter(|r| r.location.is_some()) {
        technical.push(format!(
            "redirect: {} answered {} to {}",
            r.url,
            r.status.map_or("-".into(), |s| s.to_string()),
            r.location.as_deref().unwrap_or_default()
        ));
    }
    for c in &report.challenges {
        for line in &c.lines {
            technical.push(format!("{}: {line}", c.header));
        }
    }
    if !report.credentials_supplied.is_empty() {
        technical.push(format!(
            "sent with: {} (values not shown)",
            report.credentials_supplied.join(", ")
        ));
    }
    technical.push(format!("total time: {:.0} ms", report.timings_ms.total));
    ProbeSummary {
        url: report.url.clone(),
        final_url: (report.final_url != report.url).then(|| report.final_url.clone()),
        status: report.status,
        ok: report.exit_code() == 0,
        verdict: report.verdict.to_string(),
        headline: report.headline.clone(),
        findings: report.findings.clone(),
        technical,
        works_from_here: report.works_from_here.clone(),
    }
}

impl Backend for LiveBackend {
    fn diagnose(&self, url: &str, cookie_header: Option<&str>) -> Result<Probe> {
        let (probe_url, corrected) = match Target::parse(url) {
            Ok(t) => (t.url.to_string(), t.suggestion.clone()),
            Err(invalid) => match invalid.suggestion {
                // Unusable as typed but correctable: the pipeline offers `fix-url`.
                Some(s) => (s.clone(), Some(s)),
                None => {
                    return Err(Error::BadInput(format!(
                        "{}: {}",
                        redact::url_str(url.trim()),
                        invalid.reason
                    )));
                }
            },
        };
        let opts = DiagnoseOptions {
            credentials: Credentials {
                cookie: cookie_header.map(str::to_string),
                ..Credentials::default()
            },
            // The cookie re-test only asks the site; DNS was checked by the first probe.
            check_dns: cookie_header.is_none(),
            ..DiagnoseOptions::default()
        };
        let report = block_on(diagnosis::diagnose(&self.sys, url, &opts))??;
        Ok(Probe {
            url: probe_url,
            summary: summarize(&report),
            corrected_url: corrected,
        })
    }

    fn browsers(&self) -> Result<Vec<BrowserInfo>> {
        let found = browsers::discover(&self.sys)?;
        Ok(found
            .into_iter()
            .map(|inst| BrowserInfo {
                version: version_of(&inst),
                running_pids: match &inst.running {
                    RunningState::Running { evidence } => {
                        last_number(evidence).into_iter().collect()
                    }
                    _ => Vec::new(),
                },
                id: inst.id,
                name: inst.name,
                profiles: inst.profiles,
            })
            .collect())
    }

    fn cookies(&self, profile: &Profile, url: &url::Url) -> Result<JarRead> {
        cookie_jar::read_for_url(self.sys.os, profile, url)
    }

    fn plan_flush_dns(&self, _host: &str) -> Result<Vec<String>> {
        let detection = dns::detect(&self.sys);
        let plan = dns::plan_flush(&self.sys, &detection);
        let mut lines: Vec<String> = plan
            .steps
            .iter()
            .flat_map(|s| {
                s.commands.iter().filter_map(move |alts| {
                    alts.first().map(|c| {
                        let alt = if alts.len() > 1 {
                            format!(
                                " (or {} more)",
                                crate::words::count(alts.len() - 1, "alternative", "alternatives")
                            )
                        } else {
                            String::new()
                        };
                        format!("{c}{alt} [{}]", s.label)
                    })
                })
            })
            .collect();
        if let Some(e) = &plan.elevation {
            lines.push(format!("ask for administrator rights once: {e}"));
        }
        if lines.is_empty() {
            lines.push("no DNS cache found on the way; the answer is checked again".into());
        }
        Ok(lines)
    }

    fn flush_dns(&self, host: &str) -> Result<ActionReport> {
        let opts = dns::FlushOptions {
            host: Some(host.to_string()),
            dry_run: false,
        };
        let report = block_on(crate::check::flush_dns(&self.sys, &opts))??;
        let mut details: Vec<String> = report
            .ran
            .iter()
            .map(|r| format!("{:?}: {} ({})", r.outcome, r.argv.join(" "), r.message))
            .collect();
        details.extend(report.problems.iter().cloned());
        if let Some(after) = &report.after
            && let Some(a) = &after.system
        {
            details.push(format!("{host} now resolves to {:?}", a.addresses));
        }
        if report.after.as_ref().is_some_and(|v| v.stale) {
            // A daemon flushes on a signal, asynchronously: the check right after can race
            // it. The pipeline's own re-test decides.
            details.push("right after the flush the local answer still differed".into());
        }
        Ok(ActionReport {
            // Nothing flushed (no cache found, declined, failed) is no success.
            ok: report.flushed && !report.declined && !report.ran.is_empty(),
            summary: report.summary,
            details,
            undo_id: None,
        })
    }

    fn plan_clear(&self, host: &str, browser_ids: &[String], hsts: bool) -> Result<PlannedClear> {
        let installations = browsers::discover(&self.sys)?;
        let selection = stores::Selection {
            site: host.to_string(),
            browsers: browser_ids.to_vec(),
            // The site's data as ever; with `hsts`, its HTTPS-only entries too.
            cookies: hsts,
            cache: hsts,
            storage: hsts,
            hsts,
            ..stores::Selection::default()
        };
        let plan = stores::plan(&self.sys, &installations, &selection)?;
        let home = &self.sys.home;
        let mut touches = Vec::new();
        let mut running = Vec::new();
        for pp in &plan.profiles {
            let who = format!("{} ({})", pp.browser_name, pp.profile_name);
            for item in &pp.items {
                let store = redact::path(&item.store, home);
                touches.push(match &item.action {
                    stores::Action::Cookies { count, names } => format!(
                        "{who}: delete {} [{}] from {store}",
                        crate::words::count(*count, "cookie row", "cookie rows"),
                        names.join(", ")
                    ),
                    stores::Action::CacheEntries { count, bytes } => format!(
                        "{who}: move {}, {}, out of {store}",
                        crate::words::count(*count, "cached file", "cached files"),
                        crate::words::bytes(*bytes)
                    ),
                    stores::Action::WholeCache { bytes, reason } => format!(
                        "{who}: move the whole cache, {}, out of {store} ({reason})",
                        crate::words::bytes(*bytes)
                    ),
                    stores::Action::StorageFolders { folders, bytes } => format!(
                        "{who}: move site storage [{}], {}, out of {store}",
                        folders.join(", "),
                        crate::words::bytes(*bytes)
                    ),
                    stores::Action::StorageRecords { count, origins, .. } => format!(
                        "{who}: delete {} of [{}] from {store}",
                        crate::words::count(*count, "storage record", "storage records"),
                        origins.join(", ")
                    ),
                    stores::Action::HstsEntries { count, hosts } => format!(
                        "{who}: remove {} [{}] from {store}",
                        crate::words::count(*count, "HSTS entry", "HSTS entries"),
                        hosts.join(", ")
                    ),
                });
            }
            for skip in &pp.skipped {
                if skip.code == stores::SkipCode::BrowserRunning {
                    if !running.contains(&pp.browser_id) {
                        running.push(pp.browser_id.clone());
                    }
                    touches.push(format!(
                        "{who}: its stores are read after the browser has closed"
                    ));
                } else {
                    touches.push(format!(
                        "{who}: left alone: {}",
                        redact::home_in_message(&skip.reason, home)
                    ));
                }
            }
        }
        if !touches.is_empty() {
            touches.push(format!(
                "everything removed is backed up first under {}",
                redact::path(&stores::backup::root(&self.sys), home)
            ));
        }
        Ok(PlannedClear {
            empty: plan.is_empty() && running.is_empty(),
            touches,
            running,
            token: Box::new(plan),
        })
    }

    fn apply_clear(&self, plan: PlannedClear) -> Result<ActionReport> {
        let plan = plan
            .token
            .downcast::<stores::Plan>()
            .map_err(|_| Error::Internal("a clear plan of another backend".into()))?;
        let applied = stores::apply(&self.sys, &plan)?;
        let home = &self.sys.home;
        let details = applied
            .items
            .iter()
            .map(|i| {
                // The same "Browser (Profile)" as the plan's lines.
                let who = plan
                    .profiles
                    .iter()
                    .find(|p| p.browser_id == i.browser_id && p.profile_dir == i.profile_dir)
                    .map_or_else(
                        || i.browser_id.clone(),
                        |p| format!("{} ({})", p.browser_name, p.profile_name),
                    );
                let category = i.kind.category();
                let what = match category {
                    StoreCategory::Cookies => category.count(i.count),
                    StoreCategory::WholeCache => {
                        format!("the whole cache, {}", crate::words::bytes(i.bytes))
                    }
                    _ => format!(
                        "{}, {}",
                        category.count(i.count),
                        crate::words::bytes(i.bytes)
                    ),
                };
                format!("{who}: {what} from {}", redact::path(&i.store, home))
            })
            .collect();
        Ok(ActionReport {
            ok: true,
            summary: format!(
                "Removed {} of {}; all backed up (undo: fix401 undo {}).",
                applied.describe(),
                applied.site,
                applied.backup_id
            ),
            details,
            undo_id: Some(applied.backup_id),
        })
    }

    fn close_browser(&self, browser: &BrowserInfo) -> Result<ActionReport> {
        let id = browser.id.clone();
        let still_running = || {
            self.browsers()
                .map(|bs| bs.iter().any(|b| b.id == id && !b.running_pids.is_empty()))
                .unwrap_or(false)
        };
        restart::close(&self.sys, browser, &still_running)
    }

    fn open_url(&self, url: &str) -> Result<ActionReport> {
        restart::reopen(&self.sys, url)
    }

    fn plan_allow_negotiate(&self, url: &str, browser_ids: &[String]) -> Result<PlannedAllow> {
        let url = url::Url::parse(url)
            .map_err(|e| Error::BadInput(format!("{}: {e}", redact::url_str(url))))?;
        let plan = super::allow_negotiate::plan(&self.sys, &url, browser_ids)?;
        Ok(PlannedAllow {
            touches: plan.touches(&self.sys),
            advice: plan.advice.clone(),
            running: plan.running.clone(),
            token: Box::new(plan),
        })
    }

    fn apply_allow_negotiate(&self, plan: PlannedAllow) -> Result<ActionReport> {
        let plan = plan
            .token
            .downcast::<super::allow_negotiate::AllowPlan>()
            .map_err(|_| Error::Internal("not an allow-negotiate plan of this backend".into()))?;
        let backup = super::allow_negotiate::apply(&self.sys, &plan)?;
        let labels: Vec<&str> = plan.changes.iter().map(|c| c.label.as_str()).collect();
        let mut details = plan.touches(&self.sys);
        details.extend(plan.advice.iter().cloned());
        Ok(ActionReport {
            ok: backup.is_some(),
            summary: match &backup {
                Some(id) => format!(
                    "{} now sends your Kerberos ticket to {} (undo: fix401 undo {id}).",
                    labels.join(" and "),
                    plan.host
                ),
                None => "Nothing was changed.".to_string(),
            },
            details,
            undo_id: backup,
        })
    }
}
