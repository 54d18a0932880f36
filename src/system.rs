//! The only door to the operating system.
//!
//! Everything fix401 learns about the machine (home directory, OS kind, environment
//! variables, system files such as `/etc/hosts`, running processes) and everything it runs
//! (DNS flush commands) goes through a [`System`]. Tests build a `System` over a temporary
//! home laid out like Windows, macOS or Linux and a recording [`CommandRunner`], so every
//! platform table is exercised on Linux without touching the real machine.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
#[cfg(test)]
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};

/// The operating-system family whose conventions (paths, commands, lock files) apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Linux and other freedesktop systems.
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
}

impl Os {
    /// The OS this binary was compiled for.
    pub fn current() -> Os {
        if cfg!(target_os = "windows") {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::Macos
        } else {
            Os::Linux
        }
    }

    /// The id used on the command line and in JSON (`linux`, `macos`, `windows`).
    pub fn id(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Os::Linux => "Linux",
            Os::Macos => "macOS",
            Os::Windows => "Windows",
        })
    }
}

impl FromStr for Os {
    type Err = Error;

    fn from_str(s: &str) -> Result<Os> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linux" => Ok(Os::Linux),
            "macos" | "mac" | "osx" | "darwin" => Ok(Os::Macos),
            "windows" | "win" => Ok(Os::Windows),
            other => Err(Error::BadInput(format!(
                "unknown OS '{other}': use one of linux, macos, windows"
            ))),
        }
    }
}

/// A command to run: a program and its arguments, never a shell string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandSpec {
    /// The program, by name (looked up on `PATH`) or absolute path.
    pub program: String,
    /// The arguments, each passed as one argv entry.
    pub args: Vec<String>,
}

impl CommandSpec {
    /// A command from a program and its arguments.
    pub fn new<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The argv as one list, program first.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

impl fmt::Display for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.program)?;
        for arg in &self.args {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            {
                write!(f, " '{}'", arg.replace('\'', "'\\''"))?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// The exit code, `None` when the process was ended by a signal.
    pub status: Option<i32>,
    /// Everything it wrote to standard output.
    pub stdout: Vec<u8>,
    /// Everything it wrote to standard error.
    pub stderr: Vec<u8>,
}

impl CommandOutput {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// Runs commands. The real runner spawns processes; tests record the argv instead.
pub trait CommandRunner: Send + Sync {
    /// Runs `cmd` to completion. `Err` means it could not be started at all
    /// (for example the program does not exist).
    fn run(&self, cmd: &CommandSpec) -> std::io::Result<CommandOutput>;
}

/// Spawns real processes with [`std::process::Command`].
#[derive(Debug, Default)]
pub struct RealRunner;

impl CommandRunner for RealRunner {
    fn run(&self, cmd: &CommandSpec) -> std::io::Result<CommandOutput> {
        let out = std::process::Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(std::process::Stdio::null())
            .output()?;
        Ok(CommandOutput {
            status: out.status.code(),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

/// The runner of a simulated machine (a home laid out as another OS): it starts nothing and
/// answers every command with success and no output, so a simulated run never touches this
/// machine.
#[derive(Debug, Default)]
pub struct SimulatedRunner;

impl CommandRunner for SimulatedRunner {
    fn run(&self, _cmd: &CommandSpec) -> std::io::Result<CommandOutput> {
        Ok(CommandOutput {
            status: Some(0),
            ..CommandOutput::default()
        })
    }
}

/// A runner for unit tests: records every command and answers from a table of canned outputs.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct RecordingRunner {
    calls: Mutex<Vec<CommandSpec>>,
    answers: Mutex<HashMap<String, CommandOutput>>,
    missing: Mutex<Vec<String>>,
}

#[cfg(test)]
impl RecordingRunner {
    /// A runner whose commands all succeed with empty output.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers every command of `program` with `output`.
    pub fn answer(&self, program: &str, output: CommandOutput) -> &Self {
        self.answers
            .lock()
            .expect("runner lock")
            .insert(program.to_string(), output);
        self
    }

    /// Makes `program` behave as if it were not installed (spawning fails with NotFound).
    pub fn missing(&self, program: &str) -> &Self {
        self.missing
            .lock()
            .expect("runner lock")
            .push(program.to_string());
        self
    }

    /// Every command run so far, in order.
    pub fn calls(&self) -> Vec<CommandSpec> {
        self.calls.lock().expect("runner lock").clone()
    }
}

#[cfg(test)]
impl CommandRunner for RecordingRunner {
    fn run(&self, cmd: &CommandSpec) -> std::io::Result<CommandOutput> {
        self.calls.lock().expect("runner lock").push(cmd.clone());
        if self
            .missing
            .lock()
            .expect("runner lock")
            .contains(&cmd.program)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: not found", cmd.program),
            ));
        }
        let answers = self.answers.lock().expect("runner lock");
        Ok(answers.get(&cmd.program).cloned().unwrap_or(CommandOutput {
            status: Some(0),
            ..CommandOutput::default()
        }))
    }
}

/// A running process, as far as fix401 cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Executable name (`chrome`, `firefox-esr`, `Safari`…).
    pub name: String,
    /// Full path of the executable, where known.
    pub exe: Option<PathBuf>,
}

/// Lists running processes. The real source asks the OS; tests supply a list.
pub trait ProcessSource: Send + Sync {
    /// The processes running now.
    fn processes(&self) -> Vec<ProcessInfo>;
}

/// The OS process table: `/proc` read directly on Linux, `sysinfo` elsewhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealProcesses;

impl ProcessSource for RealProcesses {
    #[cfg(target_os = "linux")]
    fn processes(&self) -> Vec<ProcessInfo> {
        // Two reads a process (`comm`, the `exe` link) instead of sysinfo's `stat`, `status`
        // and `exe` with their opens, seeks and closes: a diagnose lists every process once,
        // and on a desktop that was most of a loopback check's time. `/proc` lists only
        // thread-group leaders, so no threads are read.
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let path = entry.path();
            // Gone between the listing and the read: not running any more. `comm` is at
            // most 16 bytes: one read into a buffer (no size query first, as fs::read does).
            let mut comm = [0u8; 64];
            let len =
                std::io::Read::read(&mut std::fs::File::open(path.join("comm")).ok()?, &mut comm)
                    .ok()?;
            let comm = comm[..len].strip_suffix(b"\n").unwrap_or(&comm[..len]);
            Some(ProcessInfo {
                pid,
                name: String::from_utf8_lossy(comm).into_owned(),
                exe: std::fs::read_link(path.join("exe")).ok().map(strip_deleted),
            })
        })
        .collect()
    }

    #[cfg(not(target_os = "linux"))]
    fn processes(&self) -> Vec<ProcessInfo> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, RefreshKind, UpdateKind};
        let Ok(mut sys) = sysinfo::System::new_with_specifics(RefreshKind::nothing()) else {
            return Vec::new();
        };
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            // Threads share their process's name and program: listing them (sysinfo's
            // default) only multiplies the reads.
            ProcessRefreshKind::nothing()
                .with_exe(UpdateKind::OnlyIfNotSet)
                .without_tasks(),
        );
        sys.processes()
            .iter()
            .map(|(pid, p)| ProcessInfo {
                pid: pid.as_u32(),
                name: p.name().to_string_lossy().into_owned(),
                exe: p.exe().map(Path::to_path_buf),
            })
            .collect()
    }
}

/// The program a running process was started from: Linux appends ` (deleted)` to the `exe`
/// link once the file was replaced (a browser updated while it runs), which is still that
/// program.
#[cfg(target_os = "linux")]
fn strip_deleted(exe: PathBuf) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    match exe.as_os_str().as_bytes().strip_suffix(b" (deleted)") {
        Some(path) => PathBuf::from(std::ffi::OsStr::from_bytes(path)),
        None => exe,
    }
}

/// A fixed process list, for tests.
#[derive(Debug, Default, Clone)]
pub struct FixedProcesses(pub Vec<ProcessInfo>);

impl ProcessSource for FixedProcesses {
    fn processes(&self) -> Vec<ProcessInfo> {
        self.0.clone()
    }
}

/// Everything fix401 may know about and do to the machine it runs on (or the simulated
/// machine a test or a technician points it at).
#[derive(Clone)]
pub struct System {
    /// Whose conventions apply: paths, commands and lock files are chosen by this value.
    pub os: Os,
    /// The home directory of the person being helped (`--home`).
    pub home: PathBuf,
    /// Where fix401 keeps its own backups and state (`--data-dir`).
    pub data_dir: PathBuf,
    /// The root under which system files are read (`/` normally; `/etc/hosts` is read as
    /// `<system_root>/etc/hosts`, Windows' hosts file as
    /// `<system_root>/Windows/System32/drivers/etc/hosts`). Tests point it at fixtures.
    pub system_root: PathBuf,
    /// Environment variables as the person's session sees them (`APPDATA`, `XDG_CONFIG_HOME`…).
    /// For a simulated home these are derived from the home, never from this process.
    pub env: HashMap<String, String>,
    /// True when this is the real machine (not `--home`/`--os` simulation): only then may
    /// fix401 run commands that act on the live OS or treat process lists as meaningful.
    pub live: bool,
    /// Runs external commands.
    pub runner: Arc<dyn CommandRunner>,
    /// Lists running processes.
    pub processes: Arc<dyn ProcessSource>,
    /// When set, every name lookup fix401 makes "through the system resolver" (the probe,
    /// DNS verification) asks this DNS server instead of the OS (hidden `--dns-server`; how
    /// tests put a real caching daemon on a loopback port in front of the probe).
    pub dns_server: Option<std::net::SocketAddr>,
    /// When set, the upstream name server used to detect stale local answers
    /// (hidden `--upstream-dns`); otherwise the upstream servers are discovered.
    pub upstream_dns: Option<std::net::SocketAddr>,
    /// True when fix401 already runs with administrator rights (root, or an elevated
    /// Windows token): commands that need them then run directly, without a prompt.
    /// Simulated machines start unprivileged; tests set it to exercise both paths.
    pub admin: bool,
}

/// Settings that replace a [`System`]'s defaults: `--data-dir`, and the hidden
/// `--system-root`, `--dns-server` and `--upstream-dns` the tests use (same in CLI and app).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Where backups and state go.
    pub data_dir: Option<PathBuf>,
    /// Root of the system files (`/etc/resolv.conf`, `/proc`…).
    pub system_root: Option<PathBuf>,
    /// The resolver to ask instead of the system's.
    pub dns_server: Option<std::net::SocketAddr>,
    /// The upstream name server to compare with.
    pub upstream_dns: Option<std::net::SocketAddr>,
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("os", &self.os)
            .field("home", &self.home)
            .field("data_dir", &self.data_dir)
            .field("system_root", &self.system_root)
            .field("live", &self.live)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

impl System {
    /// The real machine: this OS, this user's home, the real environment, real processes.
    pub fn live() -> Result<System> {
        let home = dirs::home_dir().ok_or_else(|| {
            Error::BadInput(
                "cannot find your home directory: set HOME (or pass --home DIR)".to_string(),
            )
        })?;
        let os = Os::current();
        let data_dir = default_data_dir(os, &home, &std::env::vars().collect());
        Ok(System {
            os,
            home,
            data_dir,
            system_root: if os == Os::Windows {
                PathBuf::from(std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into()) + "\\")
            } else {
                PathBuf::from("/")
            },
            env: std::env::vars().collect(),
            live: true,
            runner: Arc::new(RealRunner),
            processes: Arc::new(RealProcesses),
            dns_server: None,
            upstream_dns: None,
            admin: running_as_admin(),
        })
    }

    /// Applies what a technician or a test set on the command line (or in the app's
    /// environment) over the defaults.
    pub fn apply(&mut self, o: &Overrides) {
        if let Some(dir) = &o.data_dir {
            self.data_dir = dir.clone();
        }
        if let Some(root) = &o.system_root {
            self.system_root = root.clone();
        }
        self.dns_server = o.dns_server;
        self.upstream_dns = o.upstream_dns;
    }

    /// The machine as seen through a person's home folder (`--home`): files are looked up
    /// below `home`, laid out as `os`. When `os` is this very OS, real commands run and
    /// real processes are seen (a technician on a mounted disk, the tests' temporary
    /// homes); otherwise commands stay refused, as in [`System::simulated`].
    pub fn for_home(os: Os, home: &Path) -> Result<System> {
        if !home.is_dir() {
            return Err(Error::BadInput(format!(
                "--home {}: no such directory; give the folder that holds the person's files",
                home.display()
            )));
        }
        let mut sys = System::simulated(os, home);
        if os == Os::current() {
            sys.runner = Arc::new(RealRunner);
            sys.processes = Arc::new(RealProcesses);
            sys.admin = running_as_admin();
            // The session's proxy variables are the person's route too (a technician runs
            // fix401 in that session; tests set them for the run).
            for (k, v) in std::env::vars() {
                if PROXY_VARS.iter().any(|p| p.eq_ignore_ascii_case(&k)) {
                    sys.env.insert(k, v);
                }
            }
        }
        Ok(sys)
    }

    /// A simulated machine: `home` laid out as `os`. The environment is what that OS would
    /// set for such a home (`APPDATA`, `LOCALAPPDATA`, no `XDG_*` overrides), commands start
    /// nothing ([`SimulatedRunner`]) unless a runner is supplied, and no process is running.
    pub fn simulated(os: Os, home: impl Into<PathBuf>) -> System {
        let home = home.into();
        let mut env = HashMap::new();
        env.insert("HOME".to_string(), home.display().to_string());
        if os == Os::Windows {
            env.insert(
                "APPDATA".into(),
                home.join("AppData").join("Roaming").display().to_string(),
            );
            env.insert(
                "LOCALAPPDATA".into(),
                home.join("AppData").join("Local").display().to_string(),
            );
            env.insert("USERPROFILE".into(), home.display().to_string());
        }
        let data_dir = default_data_dir(os, &home, &env);
        System {
            os,
            system_root: home.join(".fix401-system-root"),
            home,
            data_dir,
            env,
            live: false,
            runner: Arc::new(SimulatedRunner),
            processes: Arc::new(FixedProcesses::default()),
            dns_server: None,
            upstream_dns: None,
            admin: false,
        }
    }

    /// An environment variable as the person's session sees it; empty values count as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A system file by its path relative to the system root, e.g. `etc/hosts`.
    pub fn system_file(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.system_root.join(relative)
    }

    /// The Windows `%APPDATA%` (roaming) folder of the home.
    pub fn appdata(&self) -> PathBuf {
        self.var("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join("AppData").join("Roaming"))
    }

    /// The Windows `%LOCALAPPDATA%` folder of the home.
    pub fn local_appdata(&self) -> PathBuf {
        self.var("LOCALAPPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join("AppData").join("Local"))
    }

    /// Linux `$XDG_CONFIG_HOME`, defaulting to `~/.config`.
    pub fn xdg_config_home(&self) -> PathBuf {
        self.var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| self.home.join(".config"))
    }

    /// Linux `$XDG_CACHE_HOME`, defaulting to `~/.cache`.
    pub fn xdg_cache_home(&self) -> PathBuf {
        self.var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| self.home.join(".cache"))
    }

    /// Runs a command through the configured runner.
    pub fn run(&self, cmd: &CommandSpec) -> std::io::Result<CommandOutput> {
        tracing::debug!(command = %cmd, "running");
        self.runner.run(cmd)
    }
}

/// The proxy environment variables (either case) a session hands to the programs in it.
const PROXY_VARS: [&str; 4] = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"];

/// True when this process has administrator rights (effective uid 0 on Unix). On Windows
/// this answers false: fix401 then tries unelevated first and asks UAC only if that fails.
pub fn running_as_admin() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Where fix401 keeps backups for a home on `os`: the platform's data folder + `fix401`.
fn default_data_dir(os: Os, home: &Path, env: &HashMap<String, String>) -> PathBuf {
    let non_empty = |k: &str| env.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    match os {
        Os::Windows => non_empty("LOCALAPPDATA")
            .unwrap_or_else(|| home.join("AppData").join("Local"))
            .join("fix401"),
        Os::Macos => home
            .join("Library")
            .join("Application Support")
            .join("fix401"),
        Os::Linux => non_empty("XDG_DATA_HOME")
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".local").join("share"))
            .join("fix401"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_parses_ids_and_rejects_unknown() {
        assert_eq!("Windows".parse::<Os>().unwrap(), Os::Windows);
        assert_eq!("macos".parse::<Os>().unwrap(), Os::Macos);
        let err = "beos".parse::<Os>().unwrap_err();
        assert!(err.to_string().contains("linux, macos, windows"));
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn simulated_windows_home_has_appdata() {
        let sys = System::simulated(Os::Windows, "/tmp/h");
        assert_eq!(sys.appdata(), PathBuf::from("/tmp/h/AppData/Roaming"));
        assert_eq!(sys.local_appdata(), PathBuf::from("/tmp/h/AppData/Local"));
        assert_eq!(sys.data_dir, PathBuf::from("/tmp/h/AppData/Local/fix401"));
        assert!(!sys.live);
    }

    #[test]
    fn recording_runner_records_and_fakes_missing_programs() {
        let r = RecordingRunner::new();
        r.missing("nscd");
        assert!(r.run(&CommandSpec::new("nscd", ["-i", "hosts"])).is_err());
        assert!(
            r.run(&CommandSpec::new("resolvectl", ["flush-caches"]))
                .unwrap()
                .success()
        );
        assert_eq!(r.calls().len(), 2);
        assert_eq!(r.calls()[1].argv(), vec!["resolvectl", "flush-caches"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn real_processes_list_this_test_with_its_name_and_program() {
        let me = std::process::id();
        let list = RealProcesses.processes();
        let this = list
            .iter()
            .find(|p| p.pid == me)
            .expect("this process is listed");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(this.exe.as_deref(), Some(exe.as_path()));
        // The kernel's name: the program's file name, cut to 15 bytes.
        let file = exe.file_name().unwrap().to_string_lossy();
        assert_eq!(this.name, file.chars().take(15).collect::<String>());
        // Thread-group leaders only: this test's threads are not listed as processes.
        assert_eq!(list.iter().filter(|p| p.pid == me).count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_replaced_program_is_still_that_program() {
        assert_eq!(
            strip_deleted(PathBuf::from("/usr/lib/firefox/firefox (deleted)")),
            PathBuf::from("/usr/lib/firefox/firefox")
        );
        assert_eq!(
            strip_deleted(PathBuf::from("/usr/bin/chromium")),
            PathBuf::from("/usr/bin/chromium")
        );
    }
}
