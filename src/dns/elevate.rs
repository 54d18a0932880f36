//! The one elevated run: fix401 starts itself as `fix401 flush-dns --elevated` with
//! administrator rights (pkexec, osascript, UAC), the elevated process finds the caches on its
//! own and flushes those that need the rights, and reports back as JSON.
//!
//! The elevated side trusts nothing the person who asked could have made (see [`trust`]):
//! its command line is fixed per OS and anything else is rejected (exit 2); it takes no plan,
//! host, path or process list from the caller; a daemon counts only when root-owned evidence
//! shows it (its program a root-owned file in a system folder, running as root or the daemon's
//! account; systemd's own answer for systemd-resolved); configuration files are opened without
//! following links and only when root's alone; commands run by absolute root-owned paths with
//! a clean environment.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::detect::{detect_root_owned, first_line};
use super::flush::{CommandRun, RunOutcome, plan_flush, run_step};
use super::tables::Privilege;
use crate::error::{Error, Result};
use crate::system::{CommandOutput, CommandSpec, FixedProcesses, Os, ProcessInfo, System};

/// Where the packages install fix401 on Linux; the polkit policy names this path.
pub const LINUX_PROGRAM: &str = "/usr/bin/fix401";
/// The app bundle's binary on macOS (used when planning for macOS from another OS).
pub const MACOS_PROGRAM: &str = "/Applications/fix401.app/Contents/MacOS/fix401";
/// The installed binary on Windows (used when planning for Windows from another OS).
pub const WINDOWS_PROGRAM: &str = r"C:\Program Files\fix401\fix401.exe";
/// The polkit action shipped in `packaging/linux/org.fix401.flush-dns.policy`.
pub const POLKIT_ACTION: &str = "org.fix401.flush-dns";
/// Exit status of the elevation wrapper when the person declined (UAC's ERROR_CANCELLED;
/// pkexec uses 126, osascript reports error -128).
pub const WINDOWS_DECLINED: i32 = 1223;

/// How the one elevated run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElevationOutcome {
    /// The elevated fix401 ran and reported back.
    Done,
    /// The person dismissed the password / UAC prompt. Nothing was changed; not an error.
    Declined,
    /// Elevation was not possible (no pkexec, not authorised, no result).
    Failed,
}

/// The one elevated run, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ElevationReport {
    /// The exact command that asked for the rights.
    pub argv: Vec<String>,
    /// How it ended.
    pub outcome: ElevationOutcome,
    /// A sentence for people.
    pub message: String,
}

/// What the elevated process reports back (stdout on Linux/macOS, the result file on Windows).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ElevatedResult {
    /// Every command it ran, with its outcome.
    pub steps: Vec<CommandRun>,
    /// What it could not determine, and what it did not trust and why (a daemon whose
    /// evidence is not root's, a configuration file it refused to open).
    pub problems: Vec<String>,
}

/// The fix401 binary the elevated run starts (never a path the user chose).
pub fn program(os: Os) -> String {
    // The desktop app is a different executable: it ships the CLI beside itself.
    let here = || {
        std::env::current_exe()
            .ok()
            .map(|exe| cli_beside(&exe).display().to_string())
    };
    match os {
        // Must equal the policy's exec.path, or pkexec falls back to its generic prompt.
        Os::Linux => LINUX_PROGRAM.to_string(),
        Os::Macos if Os::current() == Os::Macos => here().unwrap_or_else(|| MACOS_PROGRAM.into()),
        Os::Macos => MACOS_PROGRAM.to_string(),
        Os::Windows if Os::current() == Os::Windows => {
            here().unwrap_or_else(|| WINDOWS_PROGRAM.into())
        }
        Os::Windows => WINDOWS_PROGRAM.to_string(),
    }
}

/// The `fix401` CLI for a running executable: itself, or the `fix401` beside it when the
/// running program is another one (the desktop app `fix401-app`).
fn cli_beside(exe: &Path) -> PathBuf {
    let is_cli = exe
        .file_stem()
        .is_some_and(|s| s.eq_ignore_ascii_case("fix401"));
    if is_cli {
        return exe.to_path_buf();
    }
    let name = match exe.extension() {
        Some(ext) if ext.eq_ignore_ascii_case("exe") => "fix401.exe",
        _ => "fix401",
    };
    exe.with_file_name(name)
}

/// Quotes one word for `/bin/sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Escapes text for an AppleScript string literal.
fn applescript_escape(s: &str) -> String {
    s.replace('\\', r"\\").replace('"', "\\\"")
}

/// Quotes text for a PowerShell single-quoted string.
fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A fresh path for the Windows result file, in the caller's own temporary folder.
pub fn new_result_file() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "fix401-elevated-{}-{nanos}.json",
        std::process::id()
    ))
}

/// The one command that asks for administrator rights and runs the elevated fix401.
pub fn command(os: Os, result_file: Option<&Path>) -> CommandSpec {
    let exe = program(os);
    match os {
        Os::Linux => CommandSpec::new("pkexec", [exe.as_str(), "flush-dns", "--elevated"]),
        Os::Macos => {
            let shell = format!("{} flush-dns --elevated", sh_quote(&exe));
            CommandSpec::new(
                "osascript",
                [
                    "-e".to_string(),
                    format!(
                        "do shell script \"{}\" with prompt \"fix401 needs administrator \
                         rights to flush the DNS cache.\" with administrator privileges",
                        applescript_escape(&shell)
                    ),
                ],
            )
        }
        Os::Windows => {
            let file = result_file
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            // Start-Process joins -ArgumentList with spaces: quote the path inside.
            let script = format!(
                "try {{ $p = Start-Process -FilePath {exe} -ArgumentList \
                 'flush-dns','--elevated','--result',{file} -Verb RunAs -Wait -PassThru \
                 -WindowStyle Hidden; exit $p.ExitCode }} catch {{ $c = \
                 $_.Exception.NativeErrorCode; if (-not $c -and $_.Exception.InnerException) \
                 {{ $c = $_.Exception.InnerException.NativeErrorCode }}; if ($c -eq \
                 {WINDOWS_DECLINED}) {{ exit {WINDOWS_DECLINED} }}; Write-Error $_; exit 1 }}",
                exe = ps_quote(&exe),
                file = ps_quote(&format!("\"{file}\"")),
            );
            CommandSpec::new(
                "powershell.exe",
                [
                    "-NoProfile",
                    "-NonInteractive",
                    "-ExecutionPolicy",
                    "Bypass",
                    "-Command",
                    script.as_str(),
                ],
            )
        }
    }
}

/// Reads what the elevated process printed: the last line that is a JSON object.
fn parse_result(text: &str) -> Option<ElevatedResult> {
    text.split(['\n', '\r'])
        .rev()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .find_map(|l| serde_json::from_str(l).ok())
}

/// Runs the elevation command and turns its result into a report and the elevated steps.
pub fn run(sys: &System, os: Os) -> (ElevationReport, Vec<CommandRun>) {
    let result_file = (os == Os::Windows).then(new_result_file);
    let cmd = command(os, result_file.as_deref());
    let res = sys.run(&cmd);
    let file_text = result_file.as_ref().and_then(|f| {
        let t = std::fs::read_to_string(f).ok();
        let _ = std::fs::remove_file(f);
        t
    });
    interpret(os, &cmd, res, file_text)
}

/// Classifies the outcome of the elevation command (done, declined, failed).
pub fn interpret(
    os: Os,
    cmd: &CommandSpec,
    res: std::io::Result<CommandOutput>,
    result_file_text: Option<String>,
) -> (ElevationReport, Vec<CommandRun>) {
    let report = |outcome, message: String| ElevationReport {
        argv: cmd.argv(),
        outcome,
        message,
    };
    let out = match res {
        Ok(out) => out,
        Err(e) => {
            let hint = match os {
                Os::Linux => " (install polkit's pkexec, or run `sudo fix401 flush-dns`)",
                _ => "",
            };
            return (
                report(
                    ElevationOutcome::Failed,
                    format!(
                        "could not ask for administrator rights: {} ({e}){hint}",
                        cmd.program
                    ),
                ),
                Vec::new(),
            );
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let declined = match os {
        Os::Linux => out.status == Some(126),
        Os::Macos => !out.success() && stderr.contains("-128"),
        Os::Windows => out.status == Some(WINDOWS_DECLINED),
    };
    if declined {
        return (
            report(
                ElevationOutcome::Declined,
                "you declined the administrator prompt: the caches that need administrator \
                 rights were not flushed (nothing else changed)"
                    .into(),
            ),
            Vec::new(),
        );
    }
    let text = match os {
        Os::Windows => result_file_text.unwrap_or_default(),
        _ => String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    match parse_result(&text) {
        Some(result) => {
            let mut steps = result.steps;
            for s in &mut steps {
                s.elevated = true;
            }
            let failed = steps.iter().any(|s| s.outcome == RunOutcome::Failed);
            let mut message = if failed {
                "the elevated run finished; some commands failed (see each step)".to_string()
            } else {
                "the elevated run finished".to_string()
            };
            if !result.problems.is_empty() {
                message.push_str(&format!("; it noted: {}", result.problems.join("; ")));
            }
            (report(ElevationOutcome::Done, message), steps)
        }
        None => {
            let why = match (os, out.status) {
                (Os::Linux, Some(127)) => format!(
                    "not authorised, or pkexec could not start {} ({})",
                    LINUX_PROGRAM,
                    first_line(&out.stderr)
                ),
                _ => format!(
                    "exit status {:?}: {}",
                    out.status,
                    first_line(if stderr.trim().is_empty() {
                        &out.stdout
                    } else {
                        &out.stderr
                    })
                ),
            };
            (
                report(
                    ElevationOutcome::Failed,
                    format!("the elevated run did not report back: {why}"),
                ),
                Vec::new(),
            )
        }
    }
}

/// Checks the whole command line of an elevated run (`args` without the program name):
/// exactly `flush-dns --elevated`, on Windows plus `--result FILE` with a file name fix401
/// itself generates. Returns the result file, if any. Anything else (a host, a path, a
/// command, a global option) is bad input: exit 2.
pub fn check_args(os: Os, args: &[String]) -> Result<Option<PathBuf>> {
    let refuse = || {
        let got: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        Error::BadInput(format!(
            "--elevated is fix401's own elevated run and takes no other arguments (got: {}); \
             run `fix401 flush-dns` without --elevated",
            got.join(" ")
        ))
    };
    match args {
        [a, b] if a == "flush-dns" && b == "--elevated" => Ok(None),
        [a, b, c, file] if a == "flush-dns" && b == "--elevated" && c == "--result" => {
            let path = PathBuf::from(file);
            let name_ok = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("fix401-elevated-"))
                .and_then(|n| n.strip_suffix(".json"))
                .is_some_and(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                });
            if os != Os::Windows
                || !name_ok
                || !path.is_absolute()
                || !path.parent().is_some_and(Path::is_dir)
                || path.exists()
            {
                return Err(refuse());
            }
            Ok(Some(path))
        }
        _ => Err(refuse()),
    }
}

/// The elevated side: finds the caches on its own from root-owned facts only and runs every
/// step that may need administrator rights. Nothing of the caller's reaches it: the test
/// overrides of `sys` (`--dns-server`, `--upstream-dns`), its environment, runner and process
/// source are replaced; only the system root (`/` when live) is kept.
pub fn run_elevated(sys: &System) -> ElevatedResult {
    let mut sys = sys.clone();
    sys.dns_server = None;
    sys.upstream_dns = None;
    sys.env.clear();
    let (verified, mut problems) = if cfg!(unix) && sys.os == Os::current() {
        trust::scan_daemons(&sys.system_root)
    } else {
        (Vec::new(), Vec::new())
    };
    sys.processes = Arc::new(FixedProcesses(
        verified
            .iter()
            .map(|p| ProcessInfo {
                pid: p.pid,
                name: p.name.clone(),
                exe: Some(p.exe.clone()),
            })
            .collect(),
    ));
    if cfg!(unix) {
        sys.runner = Arc::new(trust::TrustedRunner {
            root: sys.system_root.clone(),
            verified,
        });
    }
    let (detection, refused) = detect_root_owned(&sys);
    let plan = plan_flush(&sys, &detection);
    problems.splice(0..0, detection.problems.iter().cloned());
    problems.extend(refused);
    let mut result = ElevatedResult {
        steps: Vec::new(),
        problems,
    };
    for step in plan.steps.iter().filter(|s| s.privilege != Privilege::User) {
        let mut step = step.clone();
        // The report names the very file that ran.
        for c in step.commands.iter_mut().flatten() {
            if cfg!(unix)
                && let Ok(path) = trust::resolve_program(&c.program)
            {
                c.program = path.display().to_string();
            }
        }
        let (_, _, runs) = run_step(&sys, &step, true);
        result.steps.extend(runs);
    }
    result
}

/// Writes the elevated result where the caller will read it (Windows), never over an
/// existing file.
pub fn write_result(path: &Path, result: &ElevatedResult) -> Result<()> {
    use std::io::Write;
    let text = serde_json::to_string(result)
        .map_err(|e| Error::Internal(format!("cannot encode the elevated result: {e}")))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// The checks the elevated run makes before it believes a file, starts a program or signals
/// a process: only what root alone could have made counts, because anything else may have
/// been put there by the person (or a program) that asked for the rights.
pub mod trust {
    use std::path::{Path, PathBuf};

    use crate::system::{CommandOutput, CommandRunner, CommandSpec};

    /// Folders the elevated run starts programs from (a program name is looked up here, in
    /// this order, never on the caller's `PATH`).
    pub const PROGRAM_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// Folders a trusted daemon's program may live in (systemd-resolved is below /usr/lib).
    pub const DAEMON_DIRS: &[&str] = &[
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/lib",
        "/lib",
        "/usr/libexec",
    ];

    /// The whole environment of every command the elevated run starts: nothing is inherited
    /// (no `PATH`, `LD_*`, `HOME`… of the person who asked).
    pub const CLEAN_ENV: &[(&str, &str)] =
        &[("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), ("LC_ALL", "C")];

    /// The caching daemons the elevated run looks for, each with the system accounts it may
    /// run as besides root (the user it drops to after starting).
    pub const DAEMONS: &[(&str, &[&str])] = &[
        ("dnsmasq", &["dnsmasq", "nobody"]),
        ("unbound", &["unbound"]),
        ("named", &["bind", "named"]),
        ("systemd-resolved", &["systemd-resolve"]),
        ("nscd", &["nscd"]),
    ];

    /// Configuration files larger than this are not read (none of them is near it).
    const MAX_CONFIG_BYTES: u64 = 1 << 20;

    /// Who besides the owner may write, from a mode.
    #[cfg(unix)]
    fn writers(mode: u32) -> &'static str {
        match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "its group and everyone",
            (true, false) => "its group",
            _ => "everyone",
        }
    }

    /// Root owns it and neither its group nor others may write it.
    #[cfg(unix)]
    pub fn root_only(meta: &std::fs::Metadata) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != 0 {
            return Err(format!("it is owned by uid {}, not by root", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "{} may change it (mode {:o})",
                writers(meta.mode()),
                meta.mode() & 0o7777
            ));
        }
        Ok(())
    }

    /// Every folder from `root` down to `path`'s parent (`root` included) is a folder root
    /// alone may change, so nobody else can swap what lies below it.
    #[cfg(unix)]
    pub fn check_folders(root: &Path, path: &Path) -> Result<(), String> {
        if !path.is_absolute() || !path.starts_with(root) {
            return Err(format!(
                "{} is not a path below {}",
                path.display(),
                root.display()
            ));
        }
        let mut dirs: Vec<&Path> = path
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(root))
            .collect();
        dirs.reverse();
        for dir in dirs {
            let meta = std::fs::metadata(dir)
                .map_err(|e| format!("its folder {} cannot be checked ({e})", dir.display()))?;
            if !meta.is_dir() {
                return Err(format!("{} is not a folder", dir.display()));
            }
            root_only(&meta).map_err(|why| {
                format!(
                    "its folder {} is not root's alone: {}",
                    dir.display(),
                    why.replacen("it ", "", 1)
                )
            })?;
        }
        Ok(())
    }

    /// Reads a configuration file for the elevated run: the path's folders must be root's
    /// alone, the file is opened without following a symbolic link (`O_NOFOLLOW`), and it must
    /// be a regular file owned by root that neither group nor others may write.
    /// `Ok(None)` when there is no such file; `Err` says why it was refused.
    #[cfg(unix)]
    pub fn read_config(root: &Path, path: &Path) -> Result<Option<String>, String> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        check_folders(root, path)?;
        // O_NONBLOCK: a FIFO planted in place of the file must not hang the elevated run.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path);
        let file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err("it is a symbolic link, which the elevated run does not follow".into());
            }
            Err(e) => return Err(format!("it cannot be opened ({e})")),
        };
        let meta = file
            .metadata()
            .map_err(|e| format!("it cannot be checked ({e})"))?;
        if !meta.is_file() {
            return Err("it is not a regular file".into());
        }
        root_only(&meta)?;
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("it cannot be read ({e})"))?;
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Not on this OS: the elevated run reads no configuration file here.
    #[cfg(not(unix))]
    pub fn read_config(_root: &Path, _path: &Path) -> Result<Option<String>, String> {
        Err("the elevated run reads no configuration file on this OS".into())
    }

    /// A program the elevated run may start: an absolute path, or a name looked up in
    /// [`PROGRAM_DIRS`]. The file (and, for a link, what it points to) must be root's alone,
    /// in folders root's alone. `NotFound` when no such program is installed.
    #[cfg(unix)]
    pub fn resolve_program(name: &str) -> std::io::Result<PathBuf> {
        use std::io::{Error, ErrorKind};
        let candidates: Vec<PathBuf> = if name.contains('/') {
            vec![PathBuf::from(name)]
        } else if name.is_empty() || name.starts_with('.') {
            Vec::new()
        } else {
            PROGRAM_DIRS
                .iter()
                .map(|d| Path::new(d).join(name))
                .collect()
        };
        let Some(path) = candidates
            .into_iter()
            .find(|p| p.is_absolute() && p.exists())
        else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("{name} is not installed in {}", PROGRAM_DIRS.join(", ")),
            ));
        };
        let refuse = |why: String| {
            Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "{} is not started with administrator rights: {why}",
                    path.display()
                ),
            )
        };
        check_folders(Path::new("/"), &path).map_err(refuse)?;
        let real = std::fs::canonicalize(&path).map_err(|e| refuse(e.to_string()))?;
        check_folders(Path::new("/"), &real).map_err(refuse)?;
        let meta = std::fs::metadata(&real).map_err(|e| refuse(e.to_string()))?;
        if !meta.is_file() {
            return Err(refuse("it is not a regular file".into()));
        }
        root_only(&meta).map_err(refuse)?;
        Ok(path)
    }

    /// Not on this OS: programs are started by name as before.
    #[cfg(not(unix))]
    pub fn resolve_program(name: &str) -> std::io::Result<PathBuf> {
        Ok(PathBuf::from(name))
    }

    /// A running daemon whose evidence root alone could have made: its program is a
    /// root-owned file in a system folder and it runs as root or as the daemon's account.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct VerifiedProcess {
        /// Its process id.
        pub pid: u32,
        /// The daemon (the file name of its program).
        pub name: String,
        /// Its program.
        pub exe: PathBuf,
        /// Its real and effective user id.
        pub uid: u32,
        /// When it started (clock ticks since boot, `/proc/PID/stat` field 22): with the pid,
        /// this names the process even if the pid is later reused.
        pub start_time: u64,
    }

    /// The start time of `pid` from `proc/PID/stat` below `root`.
    pub fn start_time(root: &Path, pid: u32) -> Option<u64> {
        let stat = std::fs::read_to_string(root.join(format!("proc/{pid}/stat"))).ok()?;
        // The command name in parentheses may contain spaces or ')': fields follow the last ')'.
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(19)?.parse().ok()
    }

    /// The uids of `accounts` in `etc/passwd` below `root` (read only when root's alone).
    pub fn account_uids(root: &Path, accounts: &[&str]) -> Vec<u32> {
        let Ok(Some(text)) = read_config(root, &root.join("etc/passwd")) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let uid = f.nth(1)?.parse().ok()?;
                accounts.contains(&name).then_some(uid)
            })
            .collect()
    }

    /// Checks that process `pid` is the daemon `name` as root started it: not a thread, its
    /// program a root-owned file named `name` in a system folder ([`DAEMON_DIRS`]), running
    /// as one of `uids` (really and effectively). `Err` says why it is not believed.
    #[cfg(unix)]
    pub fn check_process(
        root: &Path,
        pid: u32,
        name: &str,
        uids: &[u32],
    ) -> Result<VerifiedProcess, String> {
        let dir = root.join(format!("proc/{pid}"));
        let status = std::fs::read_to_string(dir.join("status"))
            .map_err(|e| format!("its status cannot be read ({e})"))?;
        let field = |key: &str| -> Vec<u32> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| {
                    v.split_whitespace()
                        .filter_map(|n| n.parse().ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        if field("Tgid:").first().is_some_and(|t| *t != pid) {
            return Err("it is a thread of another process".into());
        }
        let ids = field("Uid:");
        let (Some(real), Some(effective)) = (ids.first(), ids.get(1)) else {
            return Err("its user cannot be read".into());
        };
        for uid in [real, effective] {
            if !uids.contains(uid) {
                return Err(format!(
                    "it runs as uid {uid}, not as root or {name}'s system account"
                ));
            }
        }
        let exe = std::fs::read_link(dir.join("exe"))
            .map_err(|e| format!("its program cannot be read ({e})"))?;
        if exe.to_string_lossy().ends_with(" (deleted)") {
            return Err(format!(
                "its program {} was deleted or replaced",
                exe.display()
            ));
        }
        if exe.file_name().and_then(|n| n.to_str()) != Some(name) {
            return Err(format!("its program is {}, not {name}", exe.display()));
        }
        check_folders(Path::new("/"), &exe)
            .map_err(|why| format!("its program {}: {why}", exe.display()))?;
        if !DAEMON_DIRS.iter().any(|d| {
            exe.parent() == Some(Path::new(d)) || exe.starts_with(Path::new(d).join("systemd"))
        }) {
            return Err(format!(
                "its program {} is not in a system folder ({})",
                exe.display(),
                DAEMON_DIRS.join(", ")
            ));
        }
        // The file the process runs (the link's target inode, even if renamed since).
        let meta = std::fs::metadata(dir.join("exe"))
            .map_err(|e| format!("its program cannot be checked ({e})"))?;
        if !meta.is_file() {
            return Err(format!(
                "its program {} is not a regular file",
                exe.display()
            ));
        }
        root_only(&meta).map_err(|why| format!("its program {}: {why}", exe.display()))?;
        let start_time = start_time(root, pid).ok_or("its start time cannot be read")?;
        Ok(VerifiedProcess {
            pid,
            name: name.to_string(),
            exe,
            uid: *real,
            start_time,
        })
    }

    /// Not on this OS: no process is believed.
    #[cfg(not(unix))]
    pub fn check_process(
        _root: &Path,
        _pid: u32,
        _name: &str,
        _uids: &[u32],
    ) -> Result<VerifiedProcess, String> {
        Err("processes are not checked on this OS".into())
    }

    /// Every process below `root/proc` that looks like one of [`DAEMONS`] (by its program's
    /// file name or its command name, which anyone may set): those that pass
    /// [`check_process`], and a sentence for each one that does not.
    pub fn scan_daemons(root: &Path) -> (Vec<VerifiedProcess>, Vec<String>) {
        let mut verified = Vec::new();
        let mut ignored = Vec::new();
        let Ok(entries) = std::fs::read_dir(root.join("proc")) else {
            return (
                verified,
                vec![format!(
                    "{}: cannot list processes",
                    root.join("proc").display()
                )],
            );
        };
        let mut pids: Vec<u32> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        for pid in pids {
            let dir = root.join(format!("proc/{pid}"));
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let comm = comm.trim();
            let exe_name = std::fs::read_link(dir.join("exe"))
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            // The kernel keeps 15 bytes of the command name ("systemd-resolve").
            let looks_like =
                |d: &str| exe_name == d || comm == d || (comm.len() == 15 && d.starts_with(comm));
            let Some((name, accounts)) = DAEMONS.iter().find(|(d, _)| looks_like(d)) else {
                continue;
            };
            let mut uids = vec![0];
            uids.extend(account_uids(root, accounts));
            match check_process(root, pid, name, &uids) {
                Ok(p) => verified.push(p),
                Err(why) => {
                    ignored.push(format!("process {name} (pid {pid}) was not flushed: {why}"))
                }
            }
        }
        (verified, ignored)
    }

    /// Runs commands for the elevated run: only programs [`resolve_program`] accepts, by
    /// absolute path, with [`CLEAN_ENV`] as the whole environment, from `/`; `kill` only for a
    /// process verified earlier that is still the same process.
    #[derive(Debug, Clone)]
    pub struct TrustedRunner {
        /// Where `proc` is read (the system root).
        pub root: PathBuf,
        /// The processes that may be signalled.
        pub verified: Vec<VerifiedProcess>,
    }

    impl TrustedRunner {
        /// Refuses to signal anything but a verified daemon that is still the same process.
        fn check_signal(&self, cmd: &CommandSpec) -> std::io::Result<()> {
            let refuse =
                |why: String| std::io::Error::new(std::io::ErrorKind::PermissionDenied, why);
            let [s, sig, pid] = cmd.args.as_slice() else {
                return Err(refuse(format!(
                    "kill is only run as `kill -s HUP PID` (got {cmd})"
                )));
            };
            let pid: u32 = pid
                .parse()
                .map_err(|_| refuse(format!("{pid:?} is not a process id")))?;
            if s != "-s" || sig != "HUP" {
                return Err(refuse(format!(
                    "kill is only run as `kill -s HUP PID` (got {cmd})"
                )));
            }
            let p = self.verified.iter().find(|p| p.pid == pid).ok_or_else(|| {
                refuse(format!(
                    "pid {pid} is not a daemon the elevated run verified"
                ))
            })?;
            if start_time(&self.root, pid) != Some(p.start_time) {
                return Err(refuse(format!(
                    "{} (pid {pid}) has exited since it was verified",
                    p.name
                )));
            }
            Ok(())
        }
    }

    impl CommandRunner for TrustedRunner {
        fn run(&self, cmd: &CommandSpec) -> std::io::Result<CommandOutput> {
            let path = resolve_program(&cmd.program)?;
            if path.file_name().is_some_and(|n| n == "kill") {
                self.check_signal(cmd)?;
            }
            let out = std::process::Command::new(&path)
                .args(&cmd.args)
                .env_clear()
                .envs(CLEAN_ENV.iter().copied())
                .current_dir("/")
                .stdin(std::process::Stdio::null())
                .output()?;
            Ok(CommandOutput {
                status: out.status.code(),
                stdout: out.stdout,
                stderr: out.stderr,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_elevates_the_cli_beside_it() {
        let p = |s: &str| Path::new(s).to_path_buf();
        assert_eq!(cli_beside(&p("/opt/x/fix401")), p("/opt/x/fix401"));
        assert_eq!(cli_beside(&p("/opt/x/fix401-app")), p("/opt/x/fix401"));
        assert_eq!(
            cli_beside(&p("C:/Program Files/fix401/fix401-app.exe")),
            p("C:/Program Files/fix401/fix401.exe")
        );
        assert_eq!(
            cli_beside(&p("C:/Program Files/fix401/FIX401.EXE")),
            p("C:/Program Files/fix401/FIX401.EXE")
        );
    }

    #[test]
    fn elevated_arguments_are_checked_exactly() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_args(Os::Linux, &v(&["flush-dns", "--elevated"])).is_ok());
        for bad in [
            v(&["flush-dns", "--elevated", "--host", "x"]),
            v(&["flush-dns", "--elevated", "--system-root", "/tmp"]),
            v(&["--json", "flush-dns", "--elevated"]),
            v(&[
                "flush-dns",
                "--elevated",
                "--result",
                "/tmp/fix401-elevated-1.json",
            ]),
        ] {
            let e = check_args(Os::Linux, &bad).unwrap_err();
            assert_eq!(e.code(), "bad_input");
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("takes no other arguments"), "{e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("fix401-elevated-12-34.json");
        let good = good.to_str().unwrap();
        assert!(
            check_args(
                Os::Windows,
                &v(&["flush-dns", "--elevated", "--result", good])
            )
            .is_ok()
        );
        let evil = dir.path().join("evil.json");
        assert!(
            check_args(
                Os::Windows,
                &v(&[
                    "flush-dns",
                    "--elevated",
                    "--result",
                    evil.to_str().unwrap()
                ])
            )
            .is_err()
        );
    }

    #[test]
    fn macos_command_string_is_quoted_for_shell_and_applescript() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(applescript_escape(r#"say "hi" \ "#), r#"say \"hi\" \\ "#);
    }

    #[test]
    fn results_are_read_from_the_last_json_line() {
        let r = parse_result("noise\r{\"steps\":[],\"problems\":[\"p\"]}\r").unwrap();
        assert_eq!(r.problems, vec!["p"]);
        assert!(parse_result("nothing").is_none());
    }

    /// The trust checks need files and processes owned by root: skipped for other users.
    fn root() -> bool {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if !root {
            eprintln!("skipped: the trust checks are exercised as root");
        }
        root
    }

    fn chmod(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn config_files_are_read_only_when_root_alone_may_change_them() {
        if !root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path();
        let conf = root_dir.join("nscd.conf");
        std::fs::write(&conf, "enable-cache hosts yes\n").unwrap();
        chmod(&conf, 0o644);
        let read = |p: &Path| trust::read_config(root_dir, p);
        assert_eq!(
            read(&conf).unwrap().as_deref(),
            Some("enable-cache hosts yes\n")
        );
        assert_eq!(read(&root_dir.join("missing.conf")).unwrap(), None);

        chmod(&conf, 0o664);
        let why = read(&conf).unwrap_err();
        assert!(why.contains("its group may change it (mode 664)"), "{why}");
        chmod(&conf, 0o646);
        let why = read(&conf).unwrap_err();
        assert!(why.contains("everyone may change it"), "{why}");
        chmod(&conf, 0o644);
        std::os::unix::fs::chown(&conf, Some(1000), None).unwrap();
        let why = read(&conf).unwrap_err();
        assert!(why.contains("owned by uid 1000, not by root"), "{why}");

        // A root-owned file in a folder others may write can be swapped: refused too.
        let open = root_dir.join("open");
        std::fs::create_dir(&open).unwrap();
        chmod(&open, 0o1777);
        let inner = open.join("dnsmasq.conf");
        std::fs::write(&inner, "port=53\n").unwrap();
        chmod(&inner, 0o644);
        let why = read(&inner).unwrap_err();
        assert!(
            why.contains("its folder") && why.contains("everyone may change"),
            "{why}"
        );

        // Not a regular file.
        let why = read(&root_dir.join("open")).unwrap_err();
        assert!(why.contains("not a regular file"), "{why}");
        // Outside the root it was given.
        assert!(trust::read_config(&open, &conf).is_err());
    }

    #[test]
    fn a_symlinked_config_is_refused_even_when_its_target_is_root_owned() {
        if !root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.conf");
        std::fs::write(&target, "nameserver 127.0.0.1\n").unwrap();
        chmod(&target, 0o644);
        let link = dir.path().join("resolv.conf");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(trust::read_config(dir.path(), &target).unwrap().is_some());
        let why = trust::read_config(dir.path(), &link).unwrap_err();
        assert!(why.contains("symbolic link"), "{why}");
    }

    /// Runs `program 30`, killed on drop.
    struct Proc(std::process::Child);
    impl Drop for Proc {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    fn spawn(program: &Path, uid: Option<u32>) -> Proc {
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(program);
        cmd.arg("30");
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        Proc(cmd.spawn().unwrap())
    }

    #[test]
    fn a_process_whose_program_lies_in_a_user_writable_folder_is_not_trusted() {
        if !root() {
            return;
        }
        let sleep = trust::resolve_program("sleep").unwrap();
        // Below the build folder (root's alone when built as root), not below /tmp, so the
        // one folder others may write is the one made for the test.
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let dir = tempfile::tempdir_in(&base).unwrap();
        if trust::check_folders(Path::new("/"), &dir.path().join("x")).is_err() {
            eprintln!("skipped: {} is not root's alone", base.display());
            return;
        }
        chmod(dir.path(), 0o777);
        let fake = dir.path().join("dnsmasq");
        std::fs::copy(&sleep, &fake).unwrap();
        chmod(&fake, 0o755);
        let p = spawn(&fake, None);
        let why = trust::check_process(Path::new("/"), p.0.id(), "dnsmasq", &[0]).unwrap_err();
        let folder = format!("its folder {} is not root's alone", dir.path().display());
        assert!(
            why.contains(&folder) && why.contains("everyone may change"),
            "{why}"
        );

        // The same program in a folder root alone may change, still outside system folders.
        chmod(dir.path(), 0o755);
        let why = trust::check_process(Path::new("/"), p.0.id(), "dnsmasq", &[0]).unwrap_err();
        assert!(why.contains("not in a system folder"), "{why}");
    }

    #[test]
    fn a_system_program_counts_only_under_its_own_name_and_as_root_or_its_account() {
        if !root() {
            return;
        }
        let sleep = trust::resolve_program("sleep").unwrap();
        let name = std::fs::canonicalize(&sleep).unwrap();
        let name = name.file_name().unwrap().to_str().unwrap();
        let as_root = spawn(&sleep, None);
        let ok = trust::check_process(Path::new("/"), as_root.0.id(), name, &[0]).unwrap();
        assert_eq!(ok.pid, as_root.0.id());
        assert_eq!(ok.uid, 0);
        assert_eq!(
            trust::start_time(Path::new("/"), ok.pid),
            Some(ok.start_time)
        );
        let why =
            trust::check_process(Path::new("/"), as_root.0.id(), "dnsmasq", &[0]).unwrap_err();
        assert!(why.contains("not dnsmasq"), "{why}");

        let as_user = spawn(&sleep, Some(12345));
        let why = trust::check_process(Path::new("/"), as_user.0.id(), name, &[0]).unwrap_err();
        assert!(why.contains("runs as uid 12345"), "{why}");
        // Its system account is accepted like root.
        assert!(trust::check_process(Path::new("/"), as_user.0.id(), name, &[0, 12345]).is_ok());
    }

    #[test]
    fn trusted_runner_starts_system_programs_by_path_with_a_clean_environment() {
        if !root() {
            return;
        }
        let runner = trust::TrustedRunner {
            root: PathBuf::from("/"),
            verified: Vec::new(),
        };
        use crate::system::CommandRunner;
        // `env` prints exactly the environment it got: nothing of this process's.
        let out = runner
            .run(&CommandSpec::new("env", Vec::<String>::new()))
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "LC_ALL=C\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
        );
        let e = runner
            .run(&CommandSpec::new("kill", ["-s", "HUP", "1"]))
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(
            e.to_string()
                .contains("not a daemon the elevated run verified"),
            "{e}"
        );
        for missing in ["no-such-program-fix401", "../sleep", ""] {
            let e = trust::resolve_program(missing).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{missing}");
        }
        // A program outside root's folders is refused, not run.
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o777);
        let fake = dir.path().join("nscd");
        std::fs::copy(trust::resolve_program("true").unwrap(), &fake).unwrap();
        let e = runner
            .run(&CommandSpec::new(
                fake.display().to_string(),
                ["-i", "hosts"],
            ))
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
    }
}
