//! `fix401 bundle URL --out FILE.zip`: one zip for a support ticket (reports, HAR,
//! environment).

use std::io::Write;
use std::path::PathBuf;

use fix401::Result;
use fix401::api;

use super::Context;
use super::diagnose::{CheckArgs, runtime, spinner};

/// Arguments of `fix401 bundle`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to re-test and how (as `diagnose`).
    #[command(flatten)]
    check: CheckArgs,

    /// The zip to write.
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
}

/// Runs the subcommand; returns the exit code (as `diagnose`).
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let opts = args.check.options()?;
    let rt = runtime()?;
    let spinner = spinner(ctx);
    let result = rt.block_on(api::bundle(&ctx.sys, args.check.url(), &opts, &args.out));
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let (report, bundle) = result?;
    if ctx.json {
        ctx.print_json(&bundle)?;
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}\nSaved for support: {} ({})",
            report.headline,
            bundle.path,
            bundle.contents.join(", ")
        );
    }
    Ok(bundle.exit_code)
}
