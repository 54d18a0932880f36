//! `fix401 diagnose URL`: re-test a URL and explain the answer.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use fix401::api::{self, Credentials, DiagnoseOptions, ProxyCredentials, ProxySetting};
use fix401::{Error, Result};

use super::Context;

/// Arguments of `fix401 diagnose`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to re-test and how.
    #[command(flatten)]
    check: CheckArgs,

    /// Also write the report to FILE: .md, .html or .json by extension (repeatable).
    #[arg(long, value_name = "FILE")]
    report: Vec<PathBuf>,

    /// Also write every request made (each hop, each browser route) as HAR 1.2 to FILE,
    /// secrets redacted as in the reports.
    #[arg(long, value_name = "FILE")]
    har: Option<PathBuf>,
}

/// The URL and the options of a check, shared by `diagnose` and `bundle`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The URL as pasted (quotes, <…>, a missing https:// are fine).
    #[arg(value_name = "URL")]
    url: String,

    /// Give up after this many seconds in all (default 15).
    #[arg(long, value_name = "SECS", default_value = "15")]
    timeout: f64,

    /// Test a login with this user name (Basic); the password is read with --password-stdin.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,

    /// Read the password from standard input (prompted without echo on a terminal).
    #[arg(long, requires = "user")]
    password_stdin: bool,

    /// Read a bearer token from standard input (prompted without echo on a terminal).
    #[arg(long, conflicts_with = "user")]
    bearer_stdin: bool,

    /// Read a Cookie header value (`name=value; …`) from standard input.
    #[arg(long)]
    cookie_stdin: bool,

    /// Go through this proxy (http://host:port) instead of the environment's.
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    proxy: Option<String>,

    /// Connect directly, ignoring HTTPS_PROXY / HTTP_PROXY (the browsers' own routes are
    /// still re-tested).
    #[arg(long)]
    no_proxy: bool,

    /// Log in to proxies with this user name (the password is read with
    /// --proxy-password-stdin), on every route through a proxy.
    #[arg(long, value_name = "NAME")]
    proxy_user: Option<String>,

    /// Read the proxy password from standard input (after any other secret asked for).
    #[arg(long, requires = "proxy_user")]
    proxy_password_stdin: bool,

    /// Also trust the CA certificate(s) in this PEM file (a company CA).
    #[arg(long, value_name = "FILE")]
    ca_file: Vec<PathBuf>,
}

impl CheckArgs {
    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The library's options, reading any secret asked for from standard input.
    pub fn options(&self) -> Result<DiagnoseOptions> {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            return Err(Error::BadInput(format!(
                "--timeout {}: give a number of seconds between 0 and 3600",
                self.timeout
            )));
        }
        let mut extra_roots_pem = Vec::new();
        for f in &self.ca_file {
            extra_roots_pem.push(std::fs::read(f).map_err(|e| {
                Error::BadInput(format!(
                    "--ca-file {}: cannot read it ({e}); give a PEM file",
                    f.display()
                ))
            })?);
        }
        let (credentials, proxy_credentials) = read_credentials(self)?;
        Ok(DiagnoseOptions {
            timeout: Duration::from_secs_f64(self.timeout),
            credentials,
            proxy: match (&self.proxy, self.no_proxy) {
                (Some(p), _) => ProxySetting::Url(p.clone()),
                (None, true) => ProxySetting::Off,
                (None, false) => ProxySetting::Environment,
            },
            extra_roots_pem,
            check_dns: true,
            browser_routes: true,
            proxy_credentials,
        })
    }
}

/// A runtime for the async core on this thread.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let mut reports = Vec::new();
    for p in &args.report {
        reports.push((p.clone(), report_kind(p)?));
    }
    // Opened before the re-test: a bad place fails at once, nothing half-written.
    let har_file = args.har.as_deref().map(api::har_file).transpose()?;
    let opts = args.check.options()?;
    let rt = runtime()?;
    let spinner = spinner(ctx);
    let url = args.check.url();
    let result = match har_file {
        Some(file) => rt
            .block_on(api::check_with_har(&ctx.sys, url, &opts))
            .and_then(|(report, har)| {
                file.commit(har.to_json().as_bytes())?;
                Ok(report)
            }),
        None => rt.block_on(api::check_with(&ctx.sys, url, &opts)),
    };
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let report = result?;
    for (path, kind) in &reports {
        let body = match *kind {
            "md" => report.to_markdown(),
            "html" => report.to_html(),
            _ => report.to_json(),
        };
        std::fs::write(path, body)
            .map_err(|e| Error::io(format!("writing the report {}", path.display()), e))?;
    }
    let text = if ctx.json {
        format!("{}\n", report.to_json())
    } else {
        report.to_text(ctx.stdout_tty && std::env::var_os("NO_COLOR").is_none())
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if report.exit_code() == 2 {
        eprintln!("fix401: {}", report.headline);
    }
    Ok(report.exit_code())
}

fn report_kind(p: &std::path::Path) -> Result<&'static str> {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("md") | Some("markdown") => Ok("md"),
        Some("html") | Some("htm") => Ok("html"),
        Some("json") => Ok("json"),
        _ => Err(Error::BadInput(format!(
            "--report {}: end the file name in .md, .html or .json to choose the format",
            p.display()
        ))),
    }
}

/// A spinner on standard error while the re-test runs (none for `--json` or a pipe).
pub fn spinner(ctx: &Context) -> Option<indicatif::ProgressBar> {
    if ctx.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let s = indicatif::ProgressBar::new_spinner();
    s.set_message("re-testing…");
    s.enable_steady_tick(Duration::from_millis(100));
    Some(s)
}

/// Reads the secrets asked for, in the order password, token, cookie, proxy password: one
/// line each from standard input, or a prompt without echo when standard input is a terminal.
fn read_credentials(args: &CheckArgs) -> Result<(Credentials, Option<ProxyCredentials>)> {
    let mut creds = Credentials::default();
    let tty = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut next = |what: &str| -> Result<String> {
        let value = if tty {
            prompt_hidden(&format!("{what}: "))?
        } else {
            let mut s = String::new();
            lines
                .read_line(&mut s)
                .map_err(|e| Error::io(format!("reading the {what} from standard input"), e))?;
            s.trim_end_matches(['\r', '\n']).to_string()
        };
        if value.is_empty() {
            return Err(Error::BadInput(format!(
                "no {what} on standard input: pipe it in, e.g. `printf '%s\\n' \"$SECRET\" | fix401 diagnose …`"
            )));
        }
        Ok(value)
    };
    if args.password_stdin {
        creds.password = Some(next("password")?);
    }
    if args.bearer_stdin {
        creds.bearer = Some(next("bearer token")?);
    }
    if args.cookie_stdin {
        creds.cookie = Some(next("cookie")?);
    }
    let proxy_password = if args.proxy_password_stdin {
        Some(next("proxy password")?)
    } else {
        None
    };
    if let Some(u) = &args.user {
        creds.user = Some(u.clone());
        if creds.password.is_none() {
            creds.password = Some(String::new());
        }
    }
    let proxy = args.proxy_user.as_ref().map(|user| ProxyCredentials {
        user: user.clone(),
        password: proxy_password.unwrap_or_default(),
    });
    Ok((creds, proxy))
}

/// Prompts on the terminal with echo switched off.
#[cfg(unix)]
fn prompt_hidden(prompt: &str) -> Result<String> {
    use std::os::fd::AsRawFd;
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let fd = std::io::stdin().as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr/tcsetattr only read/write it for this fd.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    let have = unsafe { libc::tcgetattr(fd, &mut term) } == 0;
    let saved = term;
    if have {
        term.c_lflag &= !libc::ECHO;
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &term) };
    }
    let mut s = String::new();
    let res = std::io::stdin().lock().read_line(&mut s);
    if have {
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    }
    let _ = writeln!(err);
    res.map_err(|e| Error::io("reading from the terminal", e))?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

/// Prompts on the terminal (no echo control on this platform).
#[cfg(not(unix))]
fn prompt_hidden(prompt: &str) -> Result<String> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| Error::io("reading from the terminal", e))?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}
