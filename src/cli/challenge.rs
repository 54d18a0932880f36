//! `fix401 challenge [--proxy] [--json] -- VALUE...`: parse and explain header values.

use fix401::{Error, Result, challenge};

use super::Context;

/// Arguments of `fix401 challenge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The values are Proxy-Authenticate lines (a 407 from a proxy), not WWW-Authenticate.
    #[arg(long)]
    proxy: bool,

    /// The header values, one argument per field line of the same response, in order.
    #[arg(last = true, value_name = "VALUE")]
    values: Vec<std::ffi::OsString>,
}

/// Runs the subcommand; returns the exit code (0 whenever the values could be read, even
/// when the header has problems: the problems are the answer).
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    if args.values.is_empty() {
        return Err(Error::BadInput(
            "no header value given: pass each WWW-Authenticate line after --, for example \
             fix401 challenge -- 'Basic realm=\"intranet\"'"
                .into(),
        ));
    }
    let lines: Vec<Vec<u8>> = args.values.iter().map(|v| os_bytes(v)).collect();
    let parsed = challenge::parse(&lines);
    if ctx.json {
        ctx.print_json(&parsed)?;
    } else {
        for line in challenge::explain(&parsed, args.proxy) {
            println!("{line}");
        }
    }
    Ok(0)
}

/// The raw bytes of an argument (header values may be invalid UTF-8).
fn os_bytes(v: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        v.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        v.to_string_lossy().into_owned().into_bytes()
    }
}
