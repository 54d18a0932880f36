//! Argument parsing, the shared context, output and exit codes. Each subcommand lives in
//! its own module and only turns arguments into library calls and library results into
//! text or JSON.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fix401::api::{self, MachineOptions, Os, Overrides, System};
use fix401::{Error, Result};

mod browsers;
mod bundle;
mod challenge;
mod clear;
mod diagnose;
mod fix;
mod flush_dns;
mod policy;
mod progress;
mod sign_in;
mod undo;

/// Repairs "401 Unauthorized" and pages that will not load.
#[derive(Debug, Parser)]
#[command(name = "fix401", version, about, long_about = None)]
struct Cli {
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,

    /// Act on this home directory instead of yours (a simulated home, a mounted disk).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,

    /// Treat the home as laid out by this OS: linux, macos or windows.
    #[arg(long, global = true, value_name = "OS")]
    os: Option<String>,

    /// Keep backups and state here instead of the platform's data folder.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Read system files (/etc/hosts, /etc/resolv.conf…) below this folder (for tests).
    #[arg(long, global = true, value_name = "DIR", hide = true)]
    system_root: Option<PathBuf>,

    /// Resolve names through this DNS server (IP:PORT) instead of the OS resolver (for tests).
    #[arg(long, global = true, value_name = "ADDR", hide = true)]
    dns_server: Option<std::net::SocketAddr>,

    /// Compare local DNS answers against this upstream server (IP:PORT) (for tests).
    #[arg(long, global = true, value_name = "ADDR", hide = true)]
    upstream_dns: Option<std::net::SocketAddr>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Re-test a URL and explain what the server answers and why.
    Diagnose(diagnose::Args),
    /// Parse and explain WWW-Authenticate / Proxy-Authenticate header values.
    Challenge(challenge::Args),
    /// Flush every DNS cache on this machine and check the answer.
    FlushDns(flush_dns::Args),
    /// List the browsers, profiles and stores found.
    Browsers(browsers::Args),
    /// Clear one site's cookies, cache and storage in every browser and profile.
    Clear(clear::Args),
    /// Undo a clear, exactly.
    Undo(undo::Args),
    /// Diagnose, fix, re-test and report.
    Fix(fix::Args),
    /// Re-test a URL and save one zip for a support ticket: reports, HAR, environment.
    Bundle(bundle::Args),
    /// Sign in to your company network (Kerberos) with your password: a new ticket.
    SignIn(sign_in::Args),
    /// Central policy: the configuration in force, its keys, the ADMX/ADML and macOS templates.
    Policy(policy::Args),
}

/// What every subcommand gets: the global options and the machine to act on.
pub struct Context {
    /// `--json` was given.
    pub json: bool,
    /// Standard output is a terminal (colours, spinners, prompts).
    pub stdout_tty: bool,
    /// The machine (real or simulated) to act on.
    pub sys: System,
}

impl Context {
    fn new(cli: &Cli) -> Result<Context> {
        let os = cli.os.as_deref().map(str::parse::<Os>).transpose()?;
        let sys = api::machine(&MachineOptions {
            home: cli.home.clone(),
            os,
            overrides: Overrides {
                data_dir: cli.data_dir.clone(),
                system_root: cli.system_root.clone(),
                dns_server: cli.dns_server,
                upstream_dns: cli.upstream_dns,
            },
        })?;
        Ok(Context {
            json: cli.json,
            stdout_tty: std::io::stdout().is_terminal(),
            sys,
        })
    }

    /// Prints a value as pretty JSON on standard output.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Internal(format!("cannot encode JSON output: {e}")))?;
        println!("{text}");
        Ok(())
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    init_tracing();
    let json = cli.json;
    let result = Context::new(&cli).and_then(|ctx| match cli.command {
        Command::Diagnose(args) => diagnose::run(&ctx, args),
        Command::Challenge(args) => challenge::run(&ctx, args),
        Command::FlushDns(args) => flush_dns::run(&ctx, args),
        Command::Browsers(args) => browsers::run(&ctx, args),
        Command::Clear(args) => clear::run(&ctx, args),
        Command::Undo(args) => undo::run(&ctx, args),
        Command::Fix(args) => fix::run(&ctx, args),
        Command::Bundle(args) => bundle::run(&ctx, args),
        Command::SignIn(args) => sign_in::run(&ctx, args),
        Command::Policy(args) => policy::run(&ctx, args),
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            if json {
                let body = serde_json::json!({
                    "error": { "code": err.code(), "message": err.to_string() }
                });
                println!("{body}");
            }
            eprintln!("fix401: {err}");
            err.exit_code()
        }
    }
}

/// Logs go to standard error, off unless `FIX401_LOG` asks for them (e.g. `FIX401_LOG=debug`).
fn init_tracing() {
    let filter = match std::env::var("FIX401_LOG") {
        Ok(spec) if !spec.is_empty() => tracing_subscriber::EnvFilter::new(spec),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
