//! `fix401 clear --site HOST`: plan, confirm, back up, clear (through `fix401::api`; the logic lives in the core's stores module).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use fix401::api::{self, ClearAction as Action, Plan, Selection};
use fix401::{Error, Result};

use super::Context;

/// Arguments of `fix401 clear`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The failing site: a host name or URL (its registrable domain is cleared).
    #[arg(long, value_name = "HOST")]
    site: String,
    /// Only this browser (catalog id, e.g. chrome, firefox); repeatable.
    #[arg(long = "browser", value_name = "ID")]
    browsers: Vec<String>,
    /// Only this profile (its folder or display name); repeatable.
    #[arg(long = "profile", value_name = "PATH")]
    profiles: Vec<PathBuf>,
    /// Clear cookies (no kind flag = cookies, cache and storage).
    #[arg(long)]
    cookies: bool,
    /// Clear the HTTP cache.
    #[arg(long)]
    cache: bool,
    /// Clear per-origin site storage.
    #[arg(long)]
    storage: bool,
    /// Clear the HTTPS-only (HSTS) entries the browsers learnt for the host (only with this
    /// flag: an entry protects against a downgraded connection)
    #[arg(long)]
    hsts: bool,
    /// Only that exact host, not the whole registrable domain.
    #[arg(long)]
    exact_host: bool,
    /// Show what would be cleared; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let sel = Selection {
        site: args.site,
        exact_host: args.exact_host,
        cookies: args.cookies,
        cache: args.cache,
        storage: args.storage,
        hsts: args.hsts,
        browsers: args.browsers,
        profiles: args.profiles,
    };
    let plan = api::clear_plan(&ctx.sys, &sel)?;
    if args.dry_run || (plan.is_empty() && !plan.blocked_by_running()) {
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "plan": plan, "applied": null }))?;
        } else {
            print_plan(&plan);
            if plan.is_empty() {
                println!("Nothing to clear for {}.", plan.matched.key());
            } else {
                println!("Dry run: nothing was changed.");
            }
        }
        return Ok(0);
    }
    if !args.yes {
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if !interactive {
            if !ctx.json {
                print_plan(&plan);
            }
            return Err(Error::BadInput(
                "not asking for confirmation without a terminal: add --yes to clear, or \
                 --dry-run to only look"
                    .into(),
            ));
        }
        print_plan(&plan);
        eprint!("Clear this (a backup is kept; `fix401 undo` restores it)? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(Error::Cancelled("nothing was changed".into()));
        }
    }
    let applied = api::clear(&ctx.sys, &plan)?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "plan": plan, "applied": applied }))?;
    } else {
        if args.yes {
            print_plan(&plan);
        }
        println!("Cleared {} for {}.", applied.describe(), plan.matched.key());
        println!(
            "Backup {} (undo with `fix401 undo {}`).",
            applied.backup_id, applied.backup_id
        );
    }
    Ok(0)
}

fn print_plan(plan: &Plan) {
    println!(
        "Site {} (matching {}{}):",
        plan.site,
        plan.matched.key(),
        if plan.matched.public_suffix {
            ", exact host only: it is a public suffix, so no site under it is touched"
        } else if plan.matched.exact_host {
            ", exact host"
        } else {
            " and its subdomains"
        }
    );
    for p in &plan.profiles {
        if p.items.is_empty() && p.skipped.is_empty() {
            continue;
        }
        println!(
            "  {} — {} ({})",
            p.browser_name,
            p.profile_name,
            p.profile_dir.display()
        );
        for item in &p.items {
            let what = match &item.action {
                Action::Cookies { count, names } => {
                    format!(
                        "{}: {}",
                        api::words::count(*count, "cookie", "cookies"),
                        names.join(", ")
                    )
                }
                Action::CacheEntries { count, bytes } => {
                    format!(
                        "{}, {}",
                        api::words::count(*count, "cached file", "cached files"),
                        api::words::bytes(*bytes)
                    )
                }
                Action::WholeCache { bytes, reason } => {
                    format!("WHOLE cache, {} ({reason})", api::words::bytes(*bytes))
                }
                Action::StorageFolders { folders, bytes } => {
                    format!(
                        "{}, {}: {}",
                        api::words::count(folders.len(), "storage folder", "storage folders"),
                        api::words::bytes(*bytes),
                        folders.join(", ")
                    )
                }
                Action::StorageRecords {
                    count,
                    origins,
                    bytes,
                } => {
                    format!(
                        "{}, {}: {}",
                        api::words::count(*count, "storage record", "storage records"),
                        api::words::bytes(*bytes),
                        origins.join(", ")
                    )
                }
                Action::HstsEntries { count, hosts } => format!(
                    "{}: {}",
                    api::words::count(*count, "HSTS entry", "HSTS entries"),
                    hosts.join(", ")
                ),
            };
            println!("    {}: {what}", item.kind.label());
        }
        for s in &p.skipped {
            let path = s
                .path
                .as_ref()
                .map(|p| format!(" {}", p.display()))
                .unwrap_or_default();
            println!("    skipped{path}: {}", s.reason);
            if let Some(r) = &s.remedy {
                println!("      → {r}");
            }
        }
    }
}
