//! `fix401 flush-dns [--host H] [--dry-run] [--json]`: detect every DNS cache, flush each
//! with the fewest prompts, verify. The hidden `--elevated` mode is fix401's own elevated run.

use std::path::PathBuf;

use fix401::api::{self, FlushOptions, FlushReport, RunAs, RunOutcome};
use fix401::{Error, Result};

use super::Context;

/// Arguments of `fix401 flush-dns`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check this host before and after: local answer against the name servers.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// Show what would run (and which steps need administrator rights); run nothing.
    #[arg(long)]
    dry_run: bool,

    /// fix401's own elevated run (started through pkexec / osascript / UAC).
    #[arg(long, hide = true)]
    elevated: bool,

    /// Where the elevated run writes its result (Windows).
    #[arg(long, hide = true, value_name = "FILE")]
    result: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code (0 flushed, 1 not everything flushed or the
/// answer still stale, 2 bad input).
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    if args.elevated {
        return run_elevated();
    }
    let opts = FlushOptions {
        host: args.host,
        dry_run: args.dry_run,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    let report = rt.block_on(api::flush_dns(&ctx.sys, &opts))?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        print_text(&report);
    }
    let still_stale = report.after.as_ref().is_some_and(|v| v.stale);
    Ok(if report.dry_run || (report.flushed && !still_stale) {
        0
    } else {
        1
    })
}

/// The elevated side: checks its own command line (anything but the fixed one is bad input,
/// exit 2), finds the caches from root-owned facts only, flushes, reports as JSON. Takes
/// nothing from `Context`: no home, system root or resolver override reaches it.
fn run_elevated() -> Result<i32> {
    // Lossy: a non-UTF-8 argument must be refused, not panic.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(text) = api::flush_dns_elevated(&argv)? {
        use std::io::Write;
        // writeln, not println: a closed pipe is an error to report, not a panic.
        writeln!(std::io::stdout().lock(), "{text}")
            .map_err(|e| Error::io("writing the elevated result", e))?;
    }
    Ok(0)
}

fn print_text(r: &FlushReport) {
    let d = &r.detected;
    println!(
        "{}{}",
        d.os,
        d.os_version
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    );
    if d.resolvers.is_empty() {
        println!("Detected: no local DNS cache");
    } else {
        println!("Detected, in flush order:");
        for res in &d.resolvers {
            println!(
                "  {} {}{}",
                if res.in_use { "*" } else { "-" },
                res.label,
                res.pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            );
            for why in &res.why {
                println!("      {why}");
            }
        }
    }
    for t in &d.tried {
        println!("  looked at: {t}");
    }
    if !r.plan.steps.is_empty() {
        println!("{}:", if r.dry_run { "Would run" } else { "Plan" });
        for s in &r.plan.steps {
            let how = match s.run_as {
                RunAs::User => "as you",
                RunAs::UserThenElevated => "as you; with administrator rights if that fails",
                RunAs::Elevated => "needs administrator rights",
                RunAs::AlreadyAdmin => "already administrator",
            };
            for alts in &s.commands {
                let cmds: Vec<String> = alts.iter().map(ToString::to_string).collect();
                println!("  {}  [{how}]", cmds.join("  |  or  "));
            }
        }
        if let Some(e) = &r.plan.elevation {
            println!("  one prompt for all of them: {e}");
        }
    }
    if !r.dry_run && !r.ran.is_empty() {
        println!("Ran:");
        for c in &r.ran {
            let o = match c.outcome {
                RunOutcome::Done => "done",
                RunOutcome::Failed => "FAILED",
                RunOutcome::NotInstalled => "not installed",
                RunOutcome::Skipped => "skipped",
            };
            println!(
                "  {}{}: {o} — {}",
                c.argv.join(" "),
                if c.elevated { " (elevated)" } else { "" },
                c.message
            );
        }
    }
    if let Some(e) = &r.elevation {
        println!("Administrator prompt: {:?} — {}", e.outcome, e.message);
    }
    for e in &r.hosts_entries {
        println!(
            "Hosts file: {} line {} pins {} to {} (not edited; no flush changes it)",
            e.file.display(),
            e.line,
            r.host.as_deref().unwrap_or(""),
            e.address
        );
    }
    for (label, v) in [("Before", &r.before), ("After", &r.after)] {
        if let Some(v) = v {
            if let Some(a) = &v.system {
                println!("{label}: {} answers {:?}", a.server, a.addresses);
            }
            if let Some(u) = &v.upstream {
                println!("{label}: upstream {} answers {:?}", u.server, u.addresses);
            }
            for f in &v.findings {
                println!("{label}: [{}] {}", f.cause, f.summary);
            }
            for n in &v.notes {
                println!("{label}: {n}");
            }
        }
    }
    for p in &r.problems {
        println!("Problem: {p}");
    }
    println!("{}", r.summary);
    if r.host.is_some() {
        println!("{}", r.browser_note);
    }
}
