//! `fix401 challenge [--proxy] [--json] -- VALUE...`: parse and explain header values.

use fix401::api;
use fix401::{Error, Result};

use super::Context;

/// Arguments of `fix401 challenge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The values are Proxy-Authenticate lines (a 407 from a proxy), not WWW-Authenticate.
    #[arg(long)]
    proxy: bool,

    /// The header values, one argument per field line of the same response, in order.
    /// A single `-` reads the lines from standard input instead (one field line per line),
    /// for values too long for the command line. A pasted leading `WWW-Authenticate:` or
    /// `Proxy-Authenticate:` is dropped.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "VALUE"
    )]
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
    let lines: Vec<Vec<u8>> = if args.values.len() == 1 && args.values[0] == "-" {
        read_stdin()?
    } else {
        args.values
            .iter()
            .map(|v| strip_field_name(&os_bytes(v)).to_vec())
            .collect()
    };
    let parsed = api::parse_challenges(&lines);
    let text = if ctx.json {
        serde_json::to_string_pretty(&parsed)
            .map_err(|e| Error::Internal(format!("cannot encode JSON output: {e}")))?
    } else {
        api::explain_challenges(&parsed, args.proxy).join("\n")
    };
    print_out(&text)?;
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

/// Field lines from standard input, bounded (the parser reads 1 MiB at most anyway).
fn read_stdin() -> Result<Vec<Vec<u8>>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::io::stdin()
        .take(4 << 20)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("cannot read the header lines from standard input", e))?;
    let mut lines: Vec<Vec<u8>> = buf
        .split(|&b| b == b'\n')
        .map(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            strip_field_name(l).to_vec()
        })
        .collect();
    // A trailing newline does not start another field line.
    if lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.iter().all(|l| l.is_empty()) && buf.is_empty() {
        return Err(Error::BadInput(
            "standard input is empty: give one WWW-Authenticate value per line".into(),
        ));
    }
    Ok(lines)
}

/// Drops a pasted `WWW-Authenticate:` / `Proxy-Authenticate:` field name (never a valid
/// start of a value: a scheme is not followed by a colon).
fn strip_field_name(line: &[u8]) -> &[u8] {
    for name in [&b"www-authenticate:"[..], b"proxy-authenticate:"] {
        if line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
            return &line[name.len()..];
        }
    }
    line
}

/// Prints `text` and a newline; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}
