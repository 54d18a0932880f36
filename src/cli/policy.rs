//! `fix401 policy`: the configuration in force and who set it, the key table, and the
//! central-policy templates (ADMX/ADML, macOS profile) generated from it.

use std::io::Write;
use std::path::PathBuf;

use fix401::Result;
use fix401::api;

use super::Context;

/// Arguments of `fix401 policy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PolicyCommand {
    /// Show the configuration in force and which layer set each value.
    Show,
    /// Print the table of configuration keys (Markdown, as in README).
    Keys,
    /// Write fix401.admx, en-US/fix401.adml, com.fix401.app.mobileconfig and
    /// com.fix401.app.plist into DIR.
    Templates {
        /// The folder to write them to (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match args.command {
        PolicyCommand::Show => {
            let config = api::settings(&ctx.sys)?;
            if ctx.json {
                ctx.print_json(&config)?;
            } else if config.sources.is_empty() {
                let _ = writeln!(out, "No configuration found: every action is allowed.");
            } else {
                let _ = writeln!(out, "Read, highest precedence first:");
                for s in &config.sources {
                    let _ = writeln!(out, "  {}", s.display());
                }
                let _ = writeln!(out, "In force:");
                for (key, source) in &config.set_by {
                    let _ = writeln!(out, "  {key} (set by {})", source.display());
                }
            }
        }
        PolicyCommand::Keys => {
            let _ = write!(out, "{}", api::policy_keys_markdown());
        }
        PolicyCommand::Templates { out: dir } => {
            let written = api::policy_templates(&dir)?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "written": written }))?;
            } else {
                for path in written {
                    let _ = writeln!(out, "{}", path.display());
                }
            }
        }
    }
    Ok(0)
}
