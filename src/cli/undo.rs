//! `fix401 undo [ID] [--list]`: restore a clear exactly (through `fix401::api`).

use fix401::Result;
use fix401::api;

use super::Context;

/// Arguments of `fix401 undo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup to restore (default: the newest not yet undone).
    #[arg(value_name = "ID")]
    id: Option<String>,
    /// List the backups instead.
    #[arg(long)]
    list: bool,
}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    if args.list {
        let list = api::backups(&ctx.sys)?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "backups": list }))?;
        } else if list.is_empty() {
            println!("No backups.");
        } else {
            for b in &list {
                println!(
                    "{}  {}  {}  {:?}  {}, {}",
                    b.id,
                    b.created,
                    b.site,
                    b.status,
                    api::words::count(b.rows, "row", "rows"),
                    api::words::count(b.files, "file", "files")
                );
            }
        }
        return Ok(0);
    }
    let restored = api::undo(&ctx.sys, args.id.as_deref())?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "restored": restored }))?;
    } else {
        println!(
            "Restored backup {} ({}): {}, {}.",
            restored.backup_id,
            restored.site,
            api::words::count(restored.rows, "row", "rows"),
            api::words::count(restored.files, "file", "files")
        );
        for w in &restored.warnings {
            println!("  warning: {w}");
        }
    }
    Ok(0)
}
