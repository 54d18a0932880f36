//! `fix401 fix URL`: diagnose, fix with consent, re-test, report.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use fix401::api::{self, Consent, FixOptions, FixPlan, Unattended, render};
use fix401::{Error, Result};

use super::Context;
use super::progress::Progress;

/// Arguments of `fix401 fix`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address that fails (default: the first URL of the help-desk configuration).
    url: Option<String>,
    /// Flush the DNS cache even if the diagnosis does not call for it.
    #[arg(long)]
    dns: bool,
    /// Clear the site's cookies and cache even if the diagnosis does not call for it.
    #[arg(long)]
    site_data: bool,
    /// Only act on this browser (catalog id, see `fix401 browsers`); repeat for more.
    #[arg(long = "browser", value_name = "ID")]
    browsers: Vec<String>,
    /// Do everything the diagnosis calls for without asking (help-desk scripts, RMM tools).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Also write the report to FILE (.md, .html or .json by its extension).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Also write every request made (before and after the fix, each browser route, the
    /// cookie test) as HAR 1.2 to FILE, secrets redacted as in the reports.
    #[arg(long, value_name = "FILE")]
    har: Option<PathBuf>,
    /// Do not reopen the page after closing a browser.
    #[arg(long)]
    no_reopen: bool,
    /// Clear the site's data even when the evidence rules it out (a 5xx, no connection, no
    /// name, cookies that make no difference); the report lists the clear as forced.
    #[arg(long)]
    force: bool,
    /// Also clear this second site's cookies and cache, as its own action: the sign-in
    /// provider an `sso.loop` / `sso.failed` finding names (e.g. login.microsoftonline.com).
    /// Never cleared unless named here, with or without --yes.
    #[arg(long, value_name = "HOST")]
    also_site: Option<String>,
}

/// Asks on the terminal; the spinner steps aside while it does.
struct Prompt<'a> {
    progress: &'a Progress,
}

impl Prompt<'_> {
    fn ask(&self, text: &str) -> Result<bool> {
        self.progress.suspend(|| {
            let mut err = std::io::stderr();
            let _ = write!(err, "{text} [y/N] ");
            let _ = err.flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Error::io("reading your answer", e))?;
            Ok(matches!(
                line.trim().to_ascii_lowercase().as_str(),
                "y" | "yes"
            ))
        })
    }
}

impl Consent for Prompt<'_> {
    fn allow_cookie_test(&self, host: &str, profiles: &[String]) -> Result<bool> {
        self.ask(&format!(
            "To check whether stored cookies cause the failure, fix401 can send {host} once \
             the cookies these browsers hold for it: {}.\nThe values stay in memory; they are \
             never shown or saved. Test with your browser's cookies?",
            profiles.join(", ")
        ))
    }

    fn allow_plan(&self, plan: &FixPlan) -> Result<bool> {
        let mut text = String::from("fix401 will:\n");
        for (i, a) in plan.actions.iter().filter(|a| a.changes_system).enumerate() {
            text.push_str(&format!(
                "  {}. {} (because of {})\n",
                i + 1,
                a.action,
                a.why
            ));
            for t in &a.touches {
                text.push_str(&format!("       {t}\n"));
            }
        }
        text.push_str("Everything removed is backed up first (undo with `fix401 undo`). Go ahead?");
        self.ask(&text)
    }

    fn allow_second_site(&self, host: &str) -> Result<bool> {
        self.ask(&format!(
            "You also named {host} (--also-site), the sign-in provider. Clearing its cookies \
             and cache signs you out of it, and of every other site that signs in through it \
             (a backup is kept). Clear {host} too?"
        ))
    }
}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let config = api::settings(&ctx.sys)?;
    let url = match args.url.or_else(|| config.urls.first().cloned()) {
        Some(u) => u,
        None => {
            return Err(Error::BadInput(
                "give the address that fails, e.g. `fix401 fix https://intranet.example/`".into(),
            ));
        }
    };
    if let Some(path) = &args.report {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !parent.is_dir() {
            return Err(Error::BadInput(format!(
                "--report {}: the folder {} does not exist; give a file in an existing folder",
                path.display(),
                parent.display()
            )));
        }
    }
    // Opened before anything runs: a bad place fails at once, with nothing changed.
    let har_file = args.har.as_deref().map(api::har_file).transpose()?;
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(Error::BadInput(
            "`fix` asks before it changes anything, but there is no terminal to ask on. \
             Run it in a terminal, or pass --yes to allow the fixes unattended (help-desk \
             scripts, RMM tools)"
                .into(),
        ));
    }
    let opts = FixOptions {
        url,
        dns: args.dns,
        site_data: args.site_data,
        browsers: args.browsers,
        reopen: !args.no_reopen,
        force: args.force,
        also_site: args.also_site,
    };
    let progress = Progress::new();
    let prompt = Prompt {
        progress: &progress,
    };
    let consent: &dyn Consent = if args.yes { &Unattended } else { &prompt };
    let result = match &har_file {
        Some(_) => api::fix_with_har(&ctx.sys, &config, &opts, consent, &progress)
            .map(|(report, har)| (report, Some(har))),
        None => api::fix(&ctx.sys, &config, &opts, consent, &progress).map(|r| (r, None)),
    };
    progress.finish();
    let (mut report, har) = result?;
    if let (Some(file), Some(har)) = (har_file, har) {
        // As with the report: the repair is done, a HAR that cannot be written is said.
        let path = file.path().display().to_string();
        if let Err(e) = file.commit(har.to_json().as_bytes()) {
            eprintln!("fix401: cannot write the HAR to {path}: {e}");
        }
    }
    if let Some(path) = &args.report {
        // The repair is done: a report that cannot be written must not hide its outcome.
        if let Err(e) = api::write_fix_report(&mut report, path)? {
            eprintln!("fix401: cannot write the report to {}: {e}", path.display());
        }
    }
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        print!("{}", render::text(&report));
        println!(
            "\nCopy for the help desk:\n{}",
            render::helpdesk_text(&report)
        );
    }
    Ok(report.exit_code())
}
