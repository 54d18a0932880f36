//! The fix401 desktop shell: thin Tauri commands over the core library.
//!
//! Every decision lives in `fix401` (mostly [`fix401::api`]); the commands here only
//! move arguments in, results and progress out. Errors reach the page as
//! `{code, message}` ([`AppError`]), progress as repair-pipeline events through a
//! [`tauri::ipc::Channel`].

pub mod commands;

use std::path::PathBuf;
use std::sync::Mutex;

use fix401::System;
use fix401::api::{self, MachineOptions, Overrides};
use serde::Serialize;
use tauri::{Emitter, Manager};

/// An error as the page receives it: a stable code and a message for people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppError {
    /// `bad_input`, `refused`, `internal`… (from [`fix401::Error::code`]).
    pub code: String,
    /// What was wrong and what to do.
    pub message: String,
}

impl From<fix401::Error> for AppError {
    fn from(e: fix401::Error) -> AppError {
        AppError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

pub(crate) fn internal(message: impl std::fmt::Display) -> AppError {
    AppError {
        code: "internal".into(),
        message: format!("internal error: {message}"),
    }
}

/// Result of every command.
pub type CmdResult<T> = Result<T, AppError>;

/// What the app was started with (command line, deep link, environment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartArgs {
    /// The URL to fill in (`--url URL` or `fix401://check?url=…`).
    pub url: Option<String>,
    /// The person's home (`--home DIR` / `FIX401_HOME`), for technicians and tests.
    pub home: Option<PathBuf>,
    /// Where backups go (`--data-dir DIR` / `FIX401_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// Root of the system files (hidden, as in the CLI): `--system-root DIR` /
    /// `FIX401_SYSTEM_ROOT`, so tests show the app a resolver set-up of their own.
    pub system_root: Option<PathBuf>,
    /// Test resolver (hidden, as in the CLI): `--dns-server IP:PORT` / `FIX401_DNS_SERVER`.
    pub dns_server: Option<std::net::SocketAddr>,
    /// Upstream to compare with (hidden): `--upstream-dns IP:PORT` / `FIX401_UPSTREAM_DNS`.
    pub upstream_dns: Option<std::net::SocketAddr>,
}

/// The URL carried by a `fix401://check?url=…` deep link, if `link` is one.
pub fn url_from_deep_link(link: &str) -> Option<String> {
    let u = url::Url::parse(link).ok()?;
    if u.scheme() != "fix401" {
        return None;
    }
    // `fix401://check?url=…` parses with host "check"; accept `fix401:check?url=…` too.
    let is_check = u.host_str() == Some("check") || u.path().trim_matches('/') == "check";
    if !is_check {
        return None;
    }
    u.query_pairs()
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Parses the app's arguments (without the program name). Unknown arguments are ignored
/// so a desktop environment's extra arguments never stop the window from opening.
pub fn parse_args<I: IntoIterator<Item = String>>(
    args: I,
    env: impl Fn(&str) -> Option<String>,
) -> Result<StartArgs, AppError> {
    let bad = |m: String| AppError {
        code: "bad_input".into(),
        message: m,
    };
    let addr = |flag: &str, v: &str| {
        v.parse::<std::net::SocketAddr>()
            .map_err(|_| bad(format!("{flag} {v}: expected IP:PORT, e.g. 127.0.0.1:5353")))
    };
    let mut out = StartArgs {
        home: env("FIX401_HOME").map(PathBuf::from),
        data_dir: env("FIX401_DATA_DIR").map(PathBuf::from),
        system_root: env("FIX401_SYSTEM_ROOT").map(PathBuf::from),
        ..StartArgs::default()
    };
    if let Some(v) = env("FIX401_DNS_SERVER") {
        out.dns_server = Some(addr("FIX401_DNS_SERVER", &v)?);
    }
    if let Some(v) = env("FIX401_UPSTREAM_DNS") {
        out.upstream_dns = Some(addr("FIX401_UPSTREAM_DNS", &v)?);
    }
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let value = |it: &mut dyn Iterator<Item = String>| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| bad(format!("{flag}: a value is missing")))
        };
        match flag.as_str() {
            "--url" => out.url = Some(value(&mut it)?),
            "--home" => out.home = Some(PathBuf::from(value(&mut it)?)),
            "--data-dir" => out.data_dir = Some(PathBuf::from(value(&mut it)?)),
            "--system-root" => out.system_root = Some(PathBuf::from(value(&mut it)?)),
            "--dns-server" => out.dns_server = Some(addr("--dns-server", &value(&mut it)?)?),
            "--upstream-dns" => out.upstream_dns = Some(addr("--upstream-dns", &value(&mut it)?)?),
            _ => {
                if let Some(u) = url_from_deep_link(&a) {
                    out.url = Some(u);
                }
            }
        }
    }
    Ok(out)
}

/// The machine the app acts on: the live one, or a home given by a technician or a test.
pub fn system_for(args: &StartArgs) -> Result<System, AppError> {
    // Same rule as the CLI: a home laid out as this very OS runs real commands and sees
    // real processes (so running browsers are detected).
    Ok(api::machine(&MachineOptions {
        home: args.home.clone(),
        os: None,
        overrides: Overrides {
            data_dir: args.data_dir.clone(),
            system_root: args.system_root.clone(),
            dns_server: args.dns_server,
            upstream_dns: args.upstream_dns,
        },
    })?)
}

/// The shell's state: the machine and what the page has shown so far.
pub struct AppState {
    pub(crate) sys: System,
    pub(crate) startup_url: Mutex<Option<String>>,
    /// The last result shown, for Copy report / Save report.
    pub(crate) last: Mutex<Option<api::Shown>>,
}

impl AppState {
    /// State over `sys`, with the URL to fill in at start.
    pub fn new(sys: System, startup_url: Option<String>) -> AppState {
        AppState {
            sys,
            startup_url: Mutex::new(startup_url),
            last: Mutex::new(None),
        }
    }

    pub(crate) fn remember(&self, last: api::Shown) {
        if let Ok(mut l) = self.last.lock() {
            *l = Some(last);
        }
    }
}

/// Builds the app over `state` (without running it), so tests can use the mock runtime.
pub fn builder<R: tauri::Runtime>(state: AppState) -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::startup_url,
            commands::settings,
            commands::check,
            commands::flush_dns_retry,
            commands::list_browsers,
            commands::site_plan,
            commands::close_browsers,
            commands::fix_site,
            commands::undo,
            commands::undo_available,
            commands::open_page,
            commands::restart_browsers,
            commands::report_text,
            commands::save_report,
            commands::save_bundle
        ])
}

/// Fills the URL in the running window and brings it to the front.
fn focus_with_url<R: tauri::Runtime>(app: &tauri::AppHandle<R>, url: Option<String>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        if let Some(u) = url {
            let _ = w.emit("fill-url", u);
        }
    }
}

/// Starts the desktop app.
pub fn run() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(argv, |k| std::env::var(k).ok().filter(|v| !v.is_empty())) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fix401-app: {}", e.message);
            std::process::exit(2);
        }
    };
    let sys = match system_for(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fix401-app: {}", e.message);
            std::process::exit(2);
        }
    };
    let state = AppState::new(sys, args.url.clone());
    let result = builder::<tauri::Wry>(state)
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            let url = parse_args(argv.into_iter().skip(1), |_| None)
                .ok()
                .and_then(|a| a.url);
            focus_with_url(app, url);
        }))
        .plugin(tauri_plugin_deep_link::init())
        // Used by the save_report command only; the capability grants the page nothing of it.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            use tauri_plugin_deep_link::DeepLinkExt;
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                let url = event
                    .urls()
                    .iter()
                    .find_map(|u| url_from_deep_link(u.as_str()));
                focus_with_url(&handle, url);
            });
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("fix401-app: cannot start the window: {e}");
        std::process::exit(3);
    }
}
