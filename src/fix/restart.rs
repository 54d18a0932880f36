//! `restart-browser`: ask a running browser to close, gracefully, and reopen the page.
//!
//! Closing is always a polite request the browser can act on (it saves its session and
//! writes its stores back): SIGTERM on Linux, "quit app" on macOS, `taskkill` without `/F`
//! (a window close) on Windows. fix401 never kills a browser hard: if it does not close,
//! the person is told to close it. Only the real machine's browsers are ever closed; on a
//! simulated home (`--home`) the processes are not the home's, so nothing is signalled.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::system::{CommandSpec, Os, System};

use super::backend::{ActionReport, BrowserInfo};

/// How long a browser gets to close after the request (it may be saving a session).
const CLOSE_WAIT: Duration = Duration::from_secs(20);

/// The commands that ask `browser` to close on `os`.
pub fn close_commands(os: Os, browser: &BrowserInfo) -> Vec<CommandSpec> {
    match os {
        Os::Linux => {
            // The browser process is the oldest (lowest pid) of its processes; its children
            // follow it when it exits.
            match browser.running_pids.iter().min() {
                Some(pid) => vec![CommandSpec::new("kill", ["-TERM", &pid.to_string()])],
                None => Vec::new(),
            }
        }
        Os::Macos => vec![CommandSpec::new(
            "osascript",
            [
                "-e",
                &format!("quit app \"{}\"", browser.name.replace('"', "")),
            ],
        )],
        Os::Windows => browser
            .running_pids
            .iter()
            .map(|pid| CommandSpec::new("taskkill", ["/PID", &pid.to_string()]))
            .collect(),
    }
}

/// The command that opens `url` in the default browser on `os`.
pub fn open_command(os: Os, url: &str) -> CommandSpec {
    match os {
        Os::Linux => CommandSpec::new("xdg-open", [url]),
        Os::Macos => CommandSpec::new("open", [url]),
        // Not `cmd /C start`: cmd would read `&` in a query string as a second command.
        // url.dll's handler hands the URL to the default browser without any shell.
        Os::Windows => CommandSpec::new("rundll32", ["url.dll,FileProtocolHandler", url]),
    }
}

/// Asks `browser` to close and waits until `still_running` says it is gone.
pub fn close(
    sys: &System,
    browser: &BrowserInfo,
    still_running: &dyn Fn() -> bool,
) -> Result<ActionReport> {
    // Process ids mean something only on this machine: a home laid out as another OS
    // (a mounted disk) has no processes fix401 could ask. On this OS the ids come from
    // the home's own lock files and processes (see `browsers::running_state`).
    if !sys.live && sys.os != Os::current() {
        return Ok(ActionReport {
            ok: false,
            summary: format!(
                "{} runs, and fix401 does not close browsers of a home examined as another \
                 OS; close it yourself and run fix401 again",
                browser.name
            ),
            ..ActionReport::default()
        });
    }
    if browser.running_pids.is_empty() && sys.os != Os::Macos {
        return Ok(ActionReport {
            ok: false,
            summary: format!(
                "{} seems to run but fix401 cannot tell which process it is; close it \
                 yourself and run fix401 again",
                browser.name
            ),
            ..ActionReport::default()
        });
    }
    let mut details = Vec::new();
    for cmd in close_commands(sys.os, browser) {
        details.push(format!("ran: {cmd}"));
        if let Err(e) = sys.run(&cmd) {
            details.push(format!("could not run {}: {e}", cmd.program));
        }
    }
    let start = Instant::now();
    while still_running() {
        if start.elapsed() > CLOSE_WAIT {
            return Ok(ActionReport {
                ok: false,
                summary: format!(
                    "{} did not close within {} seconds (it may be asking about unsaved \
                     work); close it yourself and run fix401 again",
                    browser.name,
                    CLOSE_WAIT.as_secs()
                ),
                details,
                undo_id: None,
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(ActionReport {
        ok: true,
        summary: format!("{} closed", browser.name),
        details,
        undo_id: None,
    })
}

/// Opens `url` in the default browser. Only http(s) addresses are handed over: a `file:` or
/// custom-scheme link must never start another program.
pub fn reopen(sys: &System, url: &str) -> Result<ActionReport> {
    let web = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !web {
        return Ok(ActionReport {
            ok: false,
            summary: "only web addresses (http, https) are opened; open the page yourself".into(),
            ..ActionReport::default()
        });
    }
    let cmd = open_command(sys.os, url);
    match sys.run(&cmd) {
        Ok(out) if out.success() => Ok(ActionReport {
            ok: true,
            summary: "opened the page in your default browser".into(),
            details: vec![format!("ran: {}", cmd.program)],
            undo_id: None,
        }),
        Ok(out) => Ok(ActionReport {
            ok: false,
            summary: format!(
                "could not open the page ({} exited {:?}); open it yourself",
                cmd.program, out.status
            ),
            ..ActionReport::default()
        }),
        Err(e) => Ok(ActionReport {
            ok: false,
            summary: format!(
                "could not open the page ({}: {e}); open it yourself",
                cmd.program
            ),
            ..ActionReport::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome(pids: Vec<u32>) -> BrowserInfo {
        BrowserInfo {
            id: "chrome".into(),
            name: "Google Chrome".into(),
            version: None,
            profiles: Vec::new(),
            running_pids: pids,
        }
    }

    #[test]
    fn close_is_never_a_hard_kill() {
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            for cmd in close_commands(os, &chrome(vec![40, 12, 99])) {
                let argv = cmd.argv().join(" ");
                assert!(!argv.contains("-9") && !argv.contains("KILL") && !argv.contains("/F"));
            }
        }
        assert_eq!(
            close_commands(Os::Linux, &chrome(vec![40, 12]))[0].argv(),
            vec!["kill", "-TERM", "12"]
        );
        assert_eq!(close_commands(Os::Windows, &chrome(vec![40, 12])).len(), 2);
    }

    #[test]
    fn homes_of_another_os_never_signal() {
        let other = if Os::current() == Os::Windows {
            Os::Linux
        } else {
            Os::Windows
        };
        let sys = System::simulated(other, "/tmp/none");
        let rep = close(&sys, &chrome(vec![1]), &|| true).unwrap();
        assert!(!rep.ok);
        assert!(rep.summary.contains("close it yourself"));
    }

    #[test]
    fn open_commands_per_os() {
        assert_eq!(
            open_command(Os::Linux, "http://a.test/").program,
            "xdg-open"
        );
        // A query string with `&` stays one argument of a program that runs no shell.
        assert_eq!(
            open_command(Os::Windows, "http://a.test/?a=1&calc").argv(),
            vec![
                "rundll32",
                "url.dll,FileProtocolHandler",
                "http://a.test/?a=1&calc"
            ]
        );
        assert_eq!(open_command(Os::Macos, "http://a.test/").program, "open");
    }

    #[test]
    fn only_web_addresses_are_reopened() {
        let sys = System::simulated(Os::Linux, "/tmp/none");
        for bad in ["file:///etc/passwd", "javascript:alert(1)", "not a url"] {
            let rep = reopen(&sys, bad).unwrap();
            assert!(!rep.ok, "{bad}");
            assert!(rep.summary.contains("only web addresses"), "{bad}");
        }
    }
}
