//! The one facade of the core: the CLI (`src/cli/`) and the desktop shell (`src-tauri/`)
//! call only this (the floor plan in `ARCHITECTURE.md`). Where both faces do the same thing
//! they call the same function here; what one face asks for in addition is an option, not a
//! second code path.
//!
//! - [`machine`]: the computer to act on (the live one, or a home given by a technician).
//! - [`check`] / [`check_with`] / [`check_reporting`]: re-test a URL and explain the answer.
//! - [`flush_dns`] / [`flush_dns_and_retest`]: flush every DNS cache on the way (then re-test).
//! - [`browsers`] / [`installations`] / [`close_browsers`] / [`restart_browsers`]: which
//!   browsers are installed and open; close them gracefully so their stores may be changed.
//! - [`site_plan`] / [`clear_plan`] / [`clear`]: what clearing a site would remove, before
//!   anything is touched; then the clear (backup first).
//! - [`fix`] / [`fix_site_and_retest`]: the fix pipeline ([`crate::fix`]): diagnose, plan,
//!   apply with consent, re-test, verdict.
//! - [`undo`] / [`undo_last`] / [`backups`] / [`last_undoable`]: put a clear back exactly.
//! - [`open_page`]: hand a page that works again to the person's default browser.
//! - [`settings`] / [`report_destination`] / [`save_report_in`] / [`write_report`] /
//!   [`write_fix_report`]: the help-desk configuration, and reports where it says (or where
//!   the person chooses).
//! - [`check_with_har`] / [`fix_with_har`] / [`har_file`]: the same check and fix, with
//!   every request they made as HAR 1.2 ([`crate::har`]), written whole or not at all.
//! - [`bundle`]: one zip for a support ticket ([`crate::bundle`]).
//! - [`sign_in`] / [`read_password`] / [`password`]: a new Kerberos ticket with the
//!   person's password (the `renew-ticket` action), the password never kept.

use serde::Serialize;

use crate::diagnosis::Stage;
use crate::dns;
use crate::error::{Error, Result};
use crate::fix::{self, Backend, live::LiveBackend};
use crate::stores;

pub use crate::browsers::{Installation, Packaging};
pub use crate::bundle::{Bundle, ENTRIES as BUNDLE_ENTRIES, OutFile};
pub use crate::challenge::{
    Parsed as Challenges, explain as explain_challenges, parse as parse_challenges,
};
pub use crate::check::{DiagnoseOptions, ProxyCredentials};
pub use crate::config::{Config, SupportContact};
pub use crate::diagnosis::Outcome;
pub use crate::dns::{FlushOptions, FlushReport, RunAs, RunOutcome};
pub use crate::fix::{
    Consent, FixOptions, FixPlan, FixReport, NullObserver, Observer, Unattended, Verdict, render,
};
/// One step of a combined operation, for progress displays (same shape as the fix
/// pipeline's events, so a front end renders both alike).
pub use crate::fix::{Event, Step};
pub use crate::har::Har;
pub use crate::probe::{Credentials, ProxySetting};
pub use crate::report::Report;
pub use crate::stores::{Action as ClearAction, Applied, BackupSummary, Plan, Restored, Selection};
pub use crate::system::{Os, Overrides, System};
pub use crate::words;

/// Which computer to act on: the live one, or a home given by a technician or a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineOptions {
    /// Act on this home directory instead of the person's (`--home DIR`).
    pub home: Option<std::path::PathBuf>,
    /// Treat the home as laid out by this OS (`--os`; default this computer's).
    pub os: Option<Os>,
    /// Settings that replace the machine's defaults (`--data-dir`, test resolvers…).
    pub overrides: Overrides,
}

/// The machine the faces act on. Without a home or an OS it is the live one; a technician
/// cleaning a mounted disk still runs real commands only when the home is laid out as this
/// very OS.
pub fn machine(opts: &MachineOptions) -> Result<System> {
    let mut sys = match (&opts.home, opts.os) {
        (None, None) => System::live()?,
        (home, os) => {
            let home = match home {
                Some(h) => h.clone(),
                None => dirs::home_dir().ok_or_else(|| {
                    Error::BadInput("cannot find your home directory: pass --home DIR".into())
                })?,
            };
            System::for_home(os.unwrap_or(Os::current()), &home)?
        }
    };
    sys.apply(&opts.overrides);
    Ok(sys)
}

/// The help-desk configuration as the app needs it: preset URLs, actions not offered, the
/// support contact. A bad configuration file is an error (never silently permissive).
pub fn settings(sys: &System) -> Result<Config> {
    Config::load(sys, exe_dir().as_deref())
}

/// Writes the central-policy templates generated from the one key table into `dir`: the
/// Windows `fix401.admx` and `en-US/fix401.adml`, a sample macOS profile
/// `com.fix401.app.mobileconfig` and the `com.fix401.app.plist` it installs.
pub fn policy_templates(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    crate::config::templates::write_all(dir)
}

/// The table of configuration keys as README shows it (Markdown).
pub fn policy_keys_markdown() -> String {
    crate::config::templates::markdown_table()
}

/// Where "Save report…" puts a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportDestination {
    /// The help desk's `reports_dir`: saved there at once, under a fresh name.
    Folder(std::path::PathBuf),
    /// Nobody decided: ask the person, starting in `folder` with `file_name` proposed.
    Ask {
        /// Their documents folder (else their home).
        folder: std::path::PathBuf,
        /// `fix401-report-YYYYMMDD-HHMMSS.md`, not taken in `folder`.
        file_name: String,
    },
}

/// Where a report goes: the help desk's `reports_dir` when the configuration sets one,
/// otherwise wherever the person chooses (the app asks with a save dialog).
pub fn report_destination(sys: &System) -> Result<ReportDestination> {
    destination(sys, "fix401-report", "md")
}

/// Where "Save for support…" puts the support file (a zip, see [`bundle`]): the help desk's
/// `reports_dir`, else the person's choice, proposed as `fix401-support-YYYYMMDD-HHMMSS.zip`.
pub fn support_destination(sys: &System) -> Result<ReportDestination> {
    destination(sys, "fix401-support", "zip")
}

/// A fresh `<prefix>-YYYYMMDD-HHMMSS.<extension>` in `dir`, for a file saved there unasked.
pub fn new_file_in(dir: &std::path::Path, prefix: &str, extension: &str) -> std::path::PathBuf {
    fix::new_stem(dir, prefix, &[extension]).with_extension(extension)
}

fn destination(sys: &System, prefix: &str, extension: &str) -> Result<ReportDestination> {
    if let Some(dir) = settings(sys)?.reports_dir {
        return Ok(ReportDestination::Folder(dir));
    }
    let documents = sys.home.join("Documents");
    let folder = if documents.is_dir() {
        documents
    } else {
        sys.home.clone()
    };
    let file_name = new_file_in(&folder, prefix, extension)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{prefix}.{extension}"));
    Ok(ReportDestination::Ask { folder, file_name })
}

/// Saves a report (Markdown) under a fresh name in `dir` (created when missing).
pub fn save_report_in(dir: &std::path::Path, markdown: &str) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let path = fix::new_report_stem(dir).with_extension("md");
    write_report(&path, markdown)?;
    Ok(path)
}

/// Writes a report to the file the person chose (replacing it: the save dialog has already
/// asked whether to).
pub fn write_report(path: &std::path::Path, markdown: &str) -> Result<()> {
    std::fs::write(path, markdown)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Re-tests `url` and explains the answer.
pub async fn check(sys: &System, url: &str) -> Result<Report> {
    check_with(sys, url, &DiagnoseOptions::default()).await
}

/// [`check`] with the CLI's options: timeout, credentials, proxy, extra CA roots.
pub async fn check_with(sys: &System, url: &str, opts: &DiagnoseOptions) -> Result<Report> {
    crate::check::diagnose(sys, url, opts).await
}

/// [`check`], reported to `observer` as the [`Step::Diagnose`] step (started, then done with
/// the headline).
pub async fn check_reporting(sys: &System, url: &str, observer: &dyn Observer) -> Result<Report> {
    started(observer, Step::Diagnose);
    let report = check(sys, url).await?;
    observer.event(&Event::Done {
        step: Step::Diagnose,
        message: report.headline.clone(),
    });
    Ok(report)
}

/// Flushes the DNS caches (`fix401 flush-dns`). On this computer's own OS the flush runs
/// with the rights the process has; a home examined as another OS cannot run that OS's
/// commands, so only the plan is shown.
pub async fn flush_dns(sys: &System, opts: &FlushOptions) -> Result<FlushReport> {
    let mut sys = sys.clone();
    let mut opts = opts.clone();
    if sys.os == Os::current() {
        sys.admin = crate::system::running_as_admin();
    } else {
        opts.dry_run = true;
    }
    crate::check::flush_dns(&sys, &opts).await
}

/// fix401's own elevated flush (`flush-dns --elevated`, started through pkexec / osascript /
/// UAC): checks its own command line `argv` (anything but the fixed one is bad input), finds
/// the caches from root-owned facts only and flushes. Takes no home, system root or resolver
/// override. Returns the result as JSON when no result file was named, else writes it there.
pub fn flush_dns_elevated(argv: &[String]) -> Result<Option<String>> {
    let os = Os::current();
    let result_file = dns::elevate::check_args(os, argv)?;
    if !crate::system::running_as_admin() && os != Os::Windows {
        return Err(Error::Refused(
            "--elevated is fix401's own elevated run: it must run with administrator rights \
             (through pkexec or osascript)"
                .into(),
        ));
    }
    let sys = System::live()?;
    let result = dns::elevate::run_elevated(&sys);
    match result_file {
        Some(path) => {
            dns::elevate::write_result(&path, &result)?;
            Ok(None)
        }
        None => serde_json::to_string(&result)
            .map(Some)
            .map_err(|e| Error::Internal(format!("cannot encode the elevated result: {e}"))),
    }
}

/// What "Flush DNS and retry" did: the flush, then the re-test, and what that means.
#[derive(Debug, Clone, Serialize)]
pub struct FlushAndRetest {
    /// Everything the flush did and found.
    pub flush: FlushReport,
    /// The re-test after the flush.
    pub after: Report,
    /// `fixed` (the answer changed and the page works now), `working` (it works, but the
    /// flush changed nothing), or `still_failing`.
    pub verdict: &'static str,
    /// One plain sentence for the person (the same as `outcome.headline`).
    pub headline: String,
    /// What every face shows first: verdict words, headline, first action (see
    /// [`crate::diagnosis::outcome`]).
    pub outcome: crate::diagnosis::Outcome,
}

impl FlushAndRetest {
    /// The result as a Markdown report (redacted like every report), for a ticket.
    pub fn to_markdown(&self) -> String {
        format!(
            "# DNS flush: {}\n\n{}\n\n{}\n\n{}\n\n## After the flush\n\n{}",
            self.outcome.verdict_words,
            self.headline,
            self.flush.summary,
            self.flush.browser_note,
            self.after.to_markdown()
        )
    }
}

/// Judges a flush and its re-test. When the flush changed the answer and the page works
/// now, the DNS answer was the fault: a "works from here, so it is your browser's stored
/// data" finding would send the person after the wrong cause, so it is dropped.
fn judge_flush(flush: FlushReport, mut after: Report) -> FlushAndRetest {
    let works = after.verdict == "ok";
    let changed = flush.changed == Some(true);
    let host = flush.host.clone().unwrap_or_else(|| "the site".into());
    let stage = match (works, changed) {
        (true, true) => {
            after
                .findings
                .retain(|f| f.cause != crate::model::Cause::SiteDataStale);
            Stage::Fixed(format!(
                "this computer had an out-of-date address for {host}; after the DNS flush the page loads."
            ))
        }
        (true, false) => Stage::Working(format!("{} {}", flush.summary, after.headline)),
        // The flush's own summary is shown beside the result; the headline is the failure.
        (false, _) => Stage::StillFailing,
    };
    let outcome = crate::diagnosis::outcome(&after.findings, stage);
    FlushAndRetest {
        flush,
        after,
        verdict: outcome.verdict,
        headline: outcome.headline.clone(),
        outcome,
    }
}

/// Flushes the DNS caches (verifying `url`'s host before and after), then re-tests `url`.
/// `observer` receives started/done/failed for [`Step::FlushDns`] and [`Step::Retest`].
pub async fn flush_dns_and_retest(
    sys: &System,
    url: &str,
    observer: &dyn Observer,
) -> Result<FlushAndRetest> {
    let target = parse_url(url)?;
    if !settings(sys)?.allows(crate::model::Action::FlushDns) {
        return Err(Error::Refused(
            "flushing DNS is turned off by your help desk's configuration; ask them to flush it"
                .into(),
        ));
    }
    started(observer, Step::FlushDns);
    let flush = match crate::check::flush_dns(
        sys,
        &FlushOptions {
            host: Some(target.host.clone()),
            dry_run: false,
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => {
            observer.event(&Event::Failed {
                step: Step::FlushDns,
                error: e.to_string(),
            });
            return Err(e);
        }
    };
    observer.event(&Event::Done {
        step: Step::FlushDns,
        message: flush.summary.clone(),
    });
    started(observer, Step::Retest);
    let after = check(sys, url).await?;
    observer.event(&Event::Done {
        step: Step::Retest,
        message: after.headline.clone(),
    });
    Ok(judge_flush(flush, after))
}

/// A result a face has shown, for "Copy report" / "Save report".
#[derive(Debug, Clone)]
pub enum Shown {
    /// A check ([`check`]).
    Check(Box<Report>),
    /// A flush and its re-test ([`flush_dns_and_retest`]).
    Flush(Box<FlushAndRetest>),
    /// A fix ([`fix`], [`fix_site_and_retest`]).
    Fix(Box<FixReport>),
}

impl Shown {
    /// The result as a Markdown report (redacted like every report), for a ticket.
    pub fn to_markdown(&self) -> String {
        match self {
            Shown::Check(r) => r.to_markdown(),
            Shown::Flush(f) => f.to_markdown(),
            Shown::Fix(r) => render::markdown(r),
        }
    }
}

/// The address typed into the app, or a bad-input error that says what to type.
fn parse_url(url: &str) -> Result<crate::target::Target> {
    crate::target::Target::parse(url).map_err(|invalid| {
        // The address as typed may carry a password: it is shown redacted.
        Error::BadInput(format!(
            "{}: not a usable address ({invalid}); type the full address, for example https://example.com/",
            crate::redact::url_str(url.trim())
        ))
    })
}

fn started(observer: &dyn Observer, step: Step) {
    observer.event(&Event::Started {
        step,
        label: step.label().to_string(),
        total: None,
    });
}

/// A browser as a chooser shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserChoice {
    /// Catalog id (`chromium`, `firefox`…).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version, when known.
    pub version: Option<String>,
    /// Profile names.
    pub profiles: Vec<String>,
    /// True while it runs (its stores cannot be changed then).
    pub running: bool,
}

/// Every browser installation found, with its profiles, stores and running state
/// (`fix401 browsers`).
pub fn installations(sys: &System) -> Result<Vec<Installation>> {
    crate::browsers::discover(sys)
}

/// The browsers installed for the person, with their profiles and whether they run.
pub fn browsers(sys: &System) -> Result<Vec<BrowserChoice>> {
    let backend = LiveBackend::new(sys.clone());
    Ok(backend
        .browsers()?
        .into_iter()
        .map(|b| BrowserChoice {
            running: !b.running_pids.is_empty(),
            profiles: b.profiles.iter().map(|p| p.name.clone()).collect(),
            id: b.id,
            name: b.name,
            version: b.version,
        })
        .collect())
}

/// What "Clear and retry" would remove for `url`'s site, per browser: the same plan as
/// `fix401 clear --site HOST --dry-run` (cookie names, never values; cache entries and bytes;
/// storage folders; what is skipped and why).
pub fn site_plan(sys: &System, url: &str) -> Result<Plan> {
    let target = parse_url(url)?;
    clear_plan(
        sys,
        &Selection {
            site: target.host.clone(),
            ..Selection::default()
        },
    )
}

/// What clearing the selected site data would remove (`fix401 clear --site HOST`, with its
/// browser, profile, kind and exact-host choices), before anything is touched.
pub fn clear_plan(sys: &System, selection: &Selection) -> Result<Plan> {
    let installations = installations(sys)?;
    stores::plan(sys, &installations, selection)
}

/// Carries out a clear plan: a private backup first, then the rows and files removed
/// (undo with [`undo`]).
pub fn clear(sys: &System, plan: &Plan) -> Result<Applied> {
    stores::apply(sys, plan)
}

/// The outcome of closing one browser.
#[derive(Debug, Clone, Serialize)]
pub struct Closed {
    /// Catalog id.
    pub id: String,
    /// True when it is closed now.
    pub ok: bool,
    /// One plain sentence.
    pub summary: String,
}

/// Asks the running browsers among `ids` to close (gracefully, never a hard kill).
pub fn close_browsers(sys: &System, ids: &[String]) -> Result<Vec<Closed>> {
    let backend = LiveBackend::new(sys.clone());
    let all = backend.browsers()?;
    close_among(&backend, &all, ids)
}

/// [`close_browsers`] over browsers already discovered.
fn close_among(
    backend: &LiveBackend,
    all: &[crate::fix::BrowserInfo],
    ids: &[String],
) -> Result<Vec<Closed>> {
    let mut out = Vec::new();
    for id in ids {
        let Some(b) = all.iter().find(|b| &b.id == id) else {
            return Err(Error::BadInput(format!(
                "{id}: no such browser on this computer"
            )));
        };
        if b.running_pids.is_empty() {
            out.push(Closed {
                id: id.clone(),
                ok: true,
                summary: format!("{} is not running.", b.name),
            });
            continue;
        }
        let r = backend.close_browser(b)?;
        out.push(Closed {
            id: id.clone(),
            ok: r.ok,
            summary: crate::words::sentence(&r.summary),
        });
    }
    Ok(out)
}

/// The outcome of `restart-browser` in the window.
#[derive(Debug, Clone, Serialize)]
pub struct Restarted {
    /// The browsers that were open and are closed now (catalog ids).
    pub closed: Vec<String>,
    /// True when every open browser closed and the page was opened again.
    pub ok: bool,
    /// Plain sentences for the person.
    pub summary: String,
}

/// `restart-browser`: asks every open browser to close (gracefully, never a hard kill), then
/// opens `url` in the default browser, which starts with empty in-memory DNS and connection
/// caches that nothing outside the browser can flush. A browser that will not close stops
/// here: the page is not opened behind it.
pub fn restart_browsers(sys: &System, url: &str) -> Result<Restarted> {
    // The address is checked before anything is closed.
    parse_url(url)?;
    let backend = LiveBackend::new(sys.clone());
    let all = backend.browsers()?;
    let open: Vec<String> = all
        .iter()
        .filter(|b| !b.running_pids.is_empty())
        .map(|b| b.id.clone())
        .collect();
    let results = close_among(&backend, &all, &open)?;
    let mut summary: Vec<String> = results.iter().map(|c| c.summary.clone()).collect();
    let closed = results
        .iter()
        .filter(|c| c.ok)
        .map(|c| c.id.clone())
        .collect();
    if results.iter().any(|c| !c.ok) {
        return Ok(Restarted {
            closed,
            ok: false,
            summary: summary.join(" "),
        });
    }
    if open.is_empty() {
        summary.push("No browser was open, so none needed closing.".into());
    }
    let opened = open_page(sys, url)?;
    summary.push(crate::words::sentence(&opened.summary));
    Ok(Restarted {
        closed,
        ok: opened.ok,
        summary: summary.join(" "),
    })
}

/// Clears `url`'s site data in `browser_ids` (all when empty), backup first, then re-tests,
/// through the repair pipeline. Pressing the button is the consent: the plan is shown in the
/// report and every change can be undone with [`undo_last`].
pub fn fix_site_and_retest(
    sys: &System,
    url: &str,
    browser_ids: &[String],
    observer: &dyn Observer,
) -> Result<FixReport> {
    let config = settings(sys)?;
    let opts = FixOptions {
        url: url.to_string(),
        dns: false,
        site_data: true,
        browsers: browser_ids.to_vec(),
        reopen: false,
        // The window offers no clear the evidence rules out (`site_data_ruled_out`).
        force: false,
        also_site: None,
    };
    self::fix(sys, &config, &opts, &Unattended, observer)
}

/// The whole fix pipeline on this machine (`fix401 fix`; the window's "Clear and retry"):
/// diagnose, prove, plan, apply what `consent` allows, re-test, verdict and report (also
/// saved in the configuration's `reports_dir`, when it sets one).
pub fn fix(
    sys: &System,
    config: &Config,
    opts: &FixOptions,
    consent: &dyn Consent,
    observer: &dyn Observer,
) -> Result<FixReport> {
    let backend = LiveBackend::new(sys.clone());
    fix::run(sys, &backend, config, opts, consent, observer)
}

/// Writes a fix report to `path`, in the format its extension names (`.html`/`.htm`,
/// `.json`, else Markdown), and lists it in the report's `saved_to`. A file that cannot be
/// written leaves `saved_to` as it was and returns why.
pub fn write_fix_report(
    report: &mut FixReport,
    path: &std::path::Path,
) -> Result<std::result::Result<(), std::io::Error>> {
    report.saved_to.push(path.display().to_string());
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let body = match ext.as_deref() {
        Some("html" | "htm") => render::html(report),
        Some("json") => render::json(report)?,
        _ => render::markdown(report),
    };
    let written = std::fs::write(path, body);
    if written.is_err() {
        report.saved_to.pop();
    }
    Ok(written)
}

/// Opens the file a HAR goes to before anything runs, so a bad place is a clear error (exit
/// 2) with nothing done; the HAR is put in place whole by [`OutFile::commit`].
pub fn har_file(path: &std::path::Path) -> Result<OutFile> {
    OutFile::create(path, "--har")
}

/// [`check_with`], also returning every request it made (fix401's own re-test, each
/// browser route, a PAC fetch) as HAR 1.2.
pub async fn check_with_har(
    sys: &System,
    url: &str,
    opts: &DiagnoseOptions,
) -> Result<(Report, Har)> {
    let (report, runs) = crate::probe::record::recording(check_with(sys, url, opts)).await;
    Ok((report?, Har::from_evidence(&runs)))
}

/// [`fix`], also returning every request it made (before, each route, the cookie test,
/// after) as HAR 1.2.
pub fn fix_with_har(
    sys: &System,
    config: &Config,
    opts: &FixOptions,
    consent: &dyn Consent,
    observer: &dyn Observer,
) -> Result<(FixReport, Har)> {
    let (report, runs) =
        crate::probe::record::recording_sync(|| self::fix(sys, config, opts, consent, observer));
    Ok((report?, Har::from_evidence(&runs)))
}

/// The support bundle (`fix401 bundle URL --out FILE.zip`, the window's "Save for
/// support…"): checks `url` as [`check_with`] does, then writes one zip to `out` with the
/// Markdown, HTML and JSON reports, the HAR of every request and `environment.json`. A bad
/// place for `out` fails before anything runs; the zip is written whole or not at all.
pub async fn bundle(
    sys: &System,
    url: &str,
    opts: &DiagnoseOptions,
    out: &std::path::Path,
) -> Result<(Report, Bundle)> {
    let file = OutFile::create(out, "--out")?;
    let config = settings(sys)?;
    let (report, har) = check_with_har(sys, url, opts).await?;
    let environment = crate::bundle::environment(sys, &config, &report);
    let bytes = crate::bundle::zip(&report, &har, &environment)?;
    let path = file.commit(&bytes)?;
    let bundle = Bundle {
        path: path.display().to_string(),
        contents: crate::bundle::ENTRIES.map(String::from).to_vec(),
        verdict: report.verdict.to_string(),
        headline: report.headline.clone(),
        exit_code: report.exit_code(),
    };
    Ok((report, bundle))
}

/// The outcome of opening the page in the person's default browser.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// True when the browser was asked to open it.
    pub ok: bool,
    /// One plain sentence.
    pub summary: String,
}

/// Opens `url` in the default browser, so the person sees the page fixed where it failed.
/// Only http(s) addresses, and never with a user name or password from the address (it would
/// show on a command line).
pub fn open_page(sys: &System, url: &str) -> Result<Opened> {
    let mut web = parse_url(url)?.url;
    let _ = web.set_username("");
    let _ = web.set_password(None);
    let r = fix::restart::reopen(sys, web.as_str())?;
    Ok(Opened {
        ok: r.ok,
        summary: crate::words::sentence(&r.summary),
    })
}

/// What "Undo last fix" put back, in words for the person.
#[derive(Debug, Clone, Serialize)]
pub struct Undone {
    /// What was restored.
    #[serde(flatten)]
    pub restored: Restored,
    /// One plain sentence: what is back.
    pub summary: String,
    /// What the window shows: the site's data is back, nothing is tested yet.
    pub outcome: crate::diagnosis::Outcome,
}

/// Restores the newest clear not yet undone.
pub fn undo_last(sys: &System) -> Result<Undone> {
    let restored = undo(sys, None)?;
    let summary = format!(
        "Undone: {} and {} of {} are back.",
        crate::words::count(restored.rows, "cookie", "cookies"),
        crate::words::count(restored.files, "file", "files"),
        restored.site
    );
    Ok(Undone {
        restored,
        summary,
        outcome: crate::diagnosis::outcome(&[], Stage::Undone),
    })
}

/// Restores the clear backed up as `id` (the newest not yet undone when `None`), exactly
/// (`fix401 undo [ID]`).
pub fn undo(sys: &System, id: Option<&str>) -> Result<Restored> {
    stores::undo(sys, id)
}

/// Every backup of a clear, newest first (`fix401 undo --list`).
pub fn backups(sys: &System) -> Result<Vec<BackupSummary>> {
    stores::list_backups(sys)
}

/// The clear [`undo_last`] would put back, if any: the window offers Undo only then.
pub fn last_undoable(sys: &System) -> Result<Option<stores::BackupSummary>> {
    // The newest backup not undone yet, and only when undo would accept its manifest.
    Ok(stores::backup::list(sys)?
        .into_iter()
        .find(|b| b.status != stores::backup::Status::Undone)
        .filter(|b| stores::can_undo(sys, &b.id)))
}

fn exe_dir() -> Option<std::path::PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Os;

    fn machine() -> (tempfile::TempDir, System) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("root")).unwrap();
        let mut sys = System::simulated(Os::Linux, dir.path().join("home"));
        sys.system_root = dir.path().join("root");
        (dir, sys)
    }

    #[test]
    fn reports_go_where_the_help_desk_says_without_asking() {
        let (dir, sys) = machine();
        let config = dir.path().join("root/etc/fix401");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            "reports_dir = \"/srv/tickets\"\n",
        )
        .unwrap();
        assert_eq!(
            report_destination(&sys).unwrap(),
            ReportDestination::Folder("/srv/tickets".into())
        );
    }

    #[test]
    fn otherwise_the_person_is_asked_starting_in_their_documents() {
        let (_dir, sys) = machine();
        let ReportDestination::Ask { folder, file_name } = report_destination(&sys).unwrap() else {
            panic!("no reports_dir: the person chooses");
        };
        assert_eq!(folder, sys.home, "no Documents folder: the home");
        assert!(
            file_name.starts_with("fix401-report-") && file_name.ends_with(".md"),
            "{file_name}"
        );

        let docs = sys.home.join("Documents");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join(&file_name), "an earlier report").unwrap();
        let ReportDestination::Ask {
            folder,
            file_name: next,
        } = report_destination(&sys).unwrap()
        else {
            panic!("no reports_dir: the person chooses");
        };
        assert_eq!(folder, docs);
        assert_ne!(
            next, file_name,
            "an existing report is never proposed for overwriting"
        );
    }

    /// [`machine`] with a runner that records every command instead of running it.
    fn recording_machine() -> (
        tempfile::TempDir,
        System,
        std::sync::Arc<crate::system::RecordingRunner>,
    ) {
        let (dir, mut sys) = machine();
        let runner = std::sync::Arc::new(crate::system::RecordingRunner::new());
        sys.runner = runner.clone();
        (dir, sys, runner)
    }

    #[test]
    fn restarting_with_no_browser_open_just_opens_the_page() {
        let (_dir, sys, runner) = recording_machine();
        let r = restart_browsers(&sys, "https://intranet.example/login").unwrap();
        assert!(r.ok && r.closed.is_empty(), "{r:?}");
        assert_eq!(
            r.summary,
            "No browser was open, so none needed closing. Opened the page in your default browser."
        );
        let calls = runner.calls();
        assert_eq!(calls.len(), 1, "nothing but the opener ran");
        assert_eq!(
            calls[0].argv(),
            vec!["xdg-open", "https://intranet.example/login"]
        );
    }

    #[test]
    fn restarting_with_a_bad_address_changes_nothing() {
        let (_dir, sys, runner) = recording_machine();
        let err = restart_browsers(&sys, "http://").unwrap_err();
        assert!(matches!(err, Error::BadInput(_)), "{err}");
        assert!(
            runner.calls().is_empty(),
            "no browser closed, nothing opened"
        );
    }

    #[test]
    fn undo_is_offered_only_while_a_clear_is_not_undone() {
        let (_dir, sys) = machine();
        assert_eq!(last_undoable(&sys).unwrap(), None, "no backup yet");
        let mut w = stores::backup::Writer::create(&sys, "a.test", "a.test").unwrap();
        w.manifest.status = stores::backup::Status::Complete;
        w.save().unwrap();
        let id = w.manifest.id.clone();
        let offered = last_undoable(&sys).unwrap().expect("a clear to undo");
        assert_eq!(
            (offered.id.as_str(), offered.site.as_str()),
            (id.as_str(), "a.test")
        );
        undo_last(&sys).unwrap();
        assert_eq!(last_undoable(&sys).unwrap(), None, "undone: nothing left");
    }

    #[test]
    fn a_report_is_written_where_asked_and_a_bad_place_is_a_clear_error() {
        let (dir, _sys) = machine();
        let saved = save_report_in(&dir.path().join("new/reports"), "# fix401 report").unwrap();
        assert_eq!(std::fs::read_to_string(&saved).unwrap(), "# fix401 report");
        let err = write_report(&dir.path().join("missing/x.md"), "x").unwrap_err();
        assert!(err.to_string().contains("cannot write"), "{err}");
    }

    #[test]
    fn an_unusable_address_is_named_without_its_password_or_tokens() {
        for typed in [
            "https://bob:hunter2@exa mple.com/?access_token=t0k3n#id_token=fr4g",
            "ftp://bob:hunter2@a.test/?token=t0k3n",
            "https://bob:hunter2@",
        ] {
            let e = parse_url(typed).unwrap_err().to_string();
            assert!(e.contains("not a usable address"), "{e}");
            for secret in ["hunter2", "t0k3n", "fr4g"] {
                assert!(!e.contains(secret), "{typed}: {e}");
            }
        }
    }
}

/// What [`sign_in`] did: who is signed in now, and until when (names and times only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedIn {
    /// The principal signed in (`user@REALM`).
    pub principal: String,
    /// The credential cache that holds the new ticket (`FILE:/tmp/krb5cc_1000`).
    pub cache: String,
    /// When the new ticket-granting ticket ends (HTTP date), when the cache could be read.
    pub tgt_end: Option<String>,
    /// Until when it can be renewed (HTTP date), for a renewable ticket.
    pub renew_until: Option<String>,
    /// One plain sentence saying so.
    pub summary: String,
}

/// A password as typed (a `String` from a prompt or a field), moved (not copied) into a
/// buffer that is wiped when dropped.
pub fn password(typed: String) -> zeroize::Zeroizing<Vec<u8>> {
    zeroize::Zeroizing::new(typed.into_bytes())
}

/// The longest password [`read_password`] takes, in bytes.
const PASSWORD_MAX: usize = 1024;

/// Reads a password from `input` (`--password-stdin`): its first line, without the line end,
/// into a buffer that is never reallocated (so no copy is left behind) and is wiped when
/// dropped. An empty or over-long line is bad input.
pub fn read_password(input: &mut dyn std::io::BufRead) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    use std::io::{BufRead, Read};
    // One byte more than the limit tells an over-long line; +1 again for the newline.
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(PASSWORD_MAX + 2));
    input
        .take((PASSWORD_MAX + 2) as u64)
        .read_until(b'\n', &mut buf)
        .map_err(|e| Error::io("reading the password from standard input", e))?;
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if buf.is_empty() {
        return Err(Error::BadInput(
            "no password on standard input: give it as the first line (or leave out \
             --password-stdin to be asked for it)"
                .into(),
        ));
    }
    if buf.len() > PASSWORD_MAX {
        return Err(Error::BadInput(format!(
            "the password on standard input is longer than {PASSWORD_MAX} bytes"
        )));
    }
    Ok(buf)
}

/// Why `principal` cannot name a Kerberos principal, if it cannot: empty, spaces or control
/// characters, or an `@` without a realm after it.
fn principal_problem(principal: &str) -> Option<&'static str> {
    if principal.is_empty() {
        return Some("it is empty");
    }
    if principal
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Some("it contains a space or a control character");
    }
    match crate::negotiate::realm_of(principal) {
        Some("") => Some("nothing follows the @ (the realm)"),
        Some(_) if principal.starts_with('@') => Some("no user name before the @"),
        _ => None,
    }
}

/// Signs in to Kerberos with `password` (the `renew-ticket` action; `fix401 sign-in`): a new
/// ticket-granting ticket for `principal` (`None`: the cache's principal, else this user's
/// login name in the default realm), stored in the person's credential cache (`KRB5CCNAME`,
/// else the library's default). The password is wiped when this returns, and is never
/// stored, logged or part of any message. A refused sign-in (wrong password, unknown user,
/// no KDC) changes nothing and is [`Error::Refused`] (exit 1); a principal or password that
/// cannot be used is [`Error::BadInput`] (exit 2).
pub fn sign_in(principal: Option<&str>, password: zeroize::Zeroizing<Vec<u8>>) -> Result<SignedIn> {
    use crate::negotiate::{CacheState, SignInError};
    if let Some(p) = principal
        && let Some(why) = principal_problem(p)
    {
        return Err(Error::BadInput(format!(
            "not a Kerberos principal: {p:?} ({why}); give it as user or user@REALM"
        )));
    }
    if password.is_empty() {
        return Err(Error::BadInput("no password was given".into()));
    }
    if password.contains(&0) {
        return Err(Error::BadInput(
            "the password cannot contain a NUL character".into(),
        ));
    }
    let signed_in = crate::negotiate::sign_in(principal, &password);
    drop(password);
    let who = signed_in.map_err(|e| {
        let why = match &e {
            SignInError::KdcUnreachable => {
                format!("{e}: connect to the company network or VPN, then try again")
            }
            SignInError::ClockSkew { .. } => {
                format!("{e}: set this computer's date and time correctly, then try again")
            }
            SignInError::LibraryMissing { .. } => {
                format!("{e}: install the Kerberos libraries (libkrb5), then try again")
            }
            SignInError::Other(m) => m.clone(),
            _ => e.to_string(),
        };
        Error::Refused(format!("cannot sign in: {why}"))
    })?;
    let cache = crate::negotiate::credential_cache().ok();
    let times = cache.as_ref().and_then(|c| match &c.state {
        CacheState::Tgt {
            principal, times, ..
        } if *principal == who => Some(*times),
        _ => None,
    });
    let tgt_end = times.map(|t| httpdate::fmt_http_date(t.end));
    let renew_until = times
        .and_then(|t| t.renew_until)
        .map(httpdate::fmt_http_date);
    let summary = match &tgt_end {
        Some(end) => format!(
            "Signed in as {who}: your company sign-in (Kerberos ticket) is valid until {end}."
        ),
        None => format!("Signed in as {who}."),
    };
    Ok(SignedIn {
        principal: who,
        cache: cache.map(|c| c.name).unwrap_or_default(),
        tgt_end,
        renew_until,
        summary,
    })
}

#[cfg(test)]
mod sign_in_tests {
    use super::*;

    #[test]
    fn a_password_is_the_first_line_without_its_end_and_never_empty() {
        let read = |s: &[u8]| read_password(&mut &s[..]).map(|p| p.to_vec());
        assert_eq!(read(b"is\n").unwrap(), b"is");
        assert_eq!(read(b"pw\r\nrest\n").unwrap(), b"pw");
        assert_eq!(read(b"no newline").unwrap(), b"no newline");
        for bad in [&b""[..], b"\n", b"\r\n"] {
            assert!(matches!(read(bad), Err(Error::BadInput(_))), "{bad:?}");
        }
        let long = vec![b'x'; PASSWORD_MAX + 1];
        assert!(matches!(read(&long), Err(Error::BadInput(_))));
        assert_eq!(read(&long[..PASSWORD_MAX]).unwrap().len(), PASSWORD_MAX);
    }

    #[test]
    fn a_principal_that_cannot_be_one_is_bad_input_before_any_library_call() {
        for bad in ["", "us er", "user@", "@REALM", "a\tb"] {
            let e = sign_in(Some(bad), password("pw".into())).unwrap_err();
            assert!(matches!(e, Error::BadInput(_)), "{bad:?}: {e}");
            assert_eq!(e.exit_code(), 2);
        }
        let e = sign_in(Some("user"), password(String::new())).unwrap_err();
        assert!(matches!(e, Error::BadInput(_)), "{e}");
        assert!(principal_problem("user@EXAMPLE.TEST").is_none());
        assert!(principal_problem("user").is_none());
    }
}
