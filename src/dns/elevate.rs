//! The one elevated run: fix401 starts itself as `fix401 flush-dns --elevated` with
//! administrator rights (pkexec, osascript, UAC), the elevated process re-detects the caches
//! on its own and flushes those that need the rights, and reports back as JSON.
//!
//! Nothing the user typed reaches that command line: it is fixed per OS, and the elevated
//! process rejects any other argument.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::detect::{detect, first_line};
use super::flush::{CommandRun, RunOutcome, plan_flush, run_step};
use super::tables::Privilege;
use crate::error::{Error, Result};
use crate::system::{CommandOutput, CommandSpec, Os, System};

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
    /// What it could not determine.
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
/// itself generates. Returns the result file, if any.
pub fn check_args(os: Os, args: &[String]) -> Result<Option<PathBuf>> {
    let refuse = || {
        Error::Refused(format!(
            "--elevated is fix401's own elevated run and takes no other arguments (got: {})",
            args.join(" ")
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

/// The elevated side: re-detects on its own (no input from the caller) and runs every step
/// that may need administrator rights.
pub fn run_elevated(sys: &System) -> ElevatedResult {
    let detection = detect(sys);
    let plan = plan_flush(sys, &detection);
    let mut result = ElevatedResult {
        steps: Vec::new(),
        problems: detection.problems.clone(),
    };
    for step in plan.steps.iter().filter(|s| s.privilege != Privilege::User) {
        let (_, _, runs) = run_step(sys, step, true);
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
            assert_eq!(e.code(), "refused");
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
}
