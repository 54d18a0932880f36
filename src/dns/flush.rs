//! Planning and running the flush: every cache found, in order, unprivileged where that
//! works, everything else in ONE elevated run; then verification.

use serde::{Deserialize, Serialize};

use super::detect::{DetectedResolver, Detection, detect, first_line};
use super::elevate::{self, ElevationOutcome, ElevationReport};
use super::hosts::{self, HostsEntry};
use super::tables::{CommandTemplate, Privilege, ResolverKind};
use super::verify::{self, Answer, Verification};
use crate::error::{Error, Result};
use crate::model::Action;
use crate::system::{CommandSpec, System};

/// What `flush` should do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FlushOptions {
    /// Verify this host before and after (never passed to an elevated command).
    pub host: Option<String>,
    /// Only detect and plan; run nothing.
    pub dry_run: bool,
}

/// How a step is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunAs {
    /// As the person, no prompt.
    User,
    /// As the person first; in the elevated run only if that fails.
    UserThenElevated,
    /// In the one elevated run.
    Elevated,
    /// Directly: fix401 already has administrator rights.
    AlreadyAdmin,
}

/// One cache to flush, with the exact commands.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// Which cache.
    pub resolver: ResolverKind,
    /// A name for people.
    pub label: String,
    /// The daemon's process id, where one is signalled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The rights the table says it needs.
    pub privilege: Privilege,
    /// How it will run here.
    pub run_as: RunAs,
    /// Commands in order; each lists the alternatives tried when earlier ones are missing.
    pub commands: Vec<Vec<CommandSpec>>,
}

/// The exact plan: every step, and the one elevated run if any step may need it.
#[derive(Debug, Clone, Serialize)]
pub struct FlushPlan {
    /// fix401 already runs with administrator rights: everything runs directly.
    pub already_admin: bool,
    /// The steps, in flush order.
    pub steps: Vec<PlannedStep>,
    /// The single command that asks for administrator rights, when some step may need it.
    /// It runs only the re-detected admin steps; no user input reaches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevation: Option<CommandSpec>,
}

/// What happened to one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    /// It ran and succeeded.
    Done,
    /// It ran and failed (or could not be started).
    Failed,
    /// The program is not installed; the next alternative was tried.
    NotInstalled,
    /// Not run (dry run, or an earlier command of the step failed).
    Skipped,
}

/// One command as run (or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    /// The cache it flushes.
    pub resolver: ResolverKind,
    /// The exact argv.
    pub argv: Vec<String>,
    /// It ran with administrator rights.
    pub elevated: bool,
    /// What happened.
    pub outcome: RunOutcome,
    /// Details for people (exit status, first line of its error output).
    pub message: String,
}

/// Everything a flush did and found; `fix401 flush-dns --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct FlushReport {
    /// The host verified, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Nothing was run.
    pub dry_run: bool,
    /// What was detected, in flush order, with why.
    pub detected: Detection,
    /// The exact plan.
    pub plan: FlushPlan,
    /// Every command run, in order (unprivileged ones, then those of the elevated run).
    pub ran: Vec<CommandRun>,
    /// The one elevated run, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevation: Option<ElevationReport>,
    /// The person declined the administrator prompt (not an error).
    pub declined: bool,
    /// Every cache in use was flushed.
    pub flushed: bool,
    /// Hosts-file lines that pin the host: no flush changes them; fix401 never edits them.
    pub hosts_entries: Vec<HostsEntry>,
    /// Verification before the flush.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Verification>,
    /// Verification after the flush.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Verification>,
    /// The system resolver's answer changed through the flush.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// Browsers keep their own DNS cache, which no outside command flushes.
    pub browser_note: String,
    /// What to do next.
    pub actions: Vec<Action>,
    /// What could not be done or determined, each naming what was tried.
    pub problems: Vec<String>,
    /// One plain sentence.
    pub summary: String,
}

/// The note on browser-internal DNS caches.
pub const BROWSER_NOTE: &str = "Browsers keep their own DNS cache (Chrome, Edge and other \
Chromium browsers about 1 minute, Firefox up to 2 minutes) and open connections that no outside \
command can flush: restart the browser (restart-browser) or wait 2 minutes before trying again.";

fn expand(t: &CommandTemplate, r: &DetectedResolver) -> Option<CommandSpec> {
    let mut args = Vec::new();
    for a in t.args {
        match *a {
            "{pid}" => args.push(r.pid?.to_string()),
            "{unbound-conf}" => {
                if let Some(c) = &r.config {
                    args.push("-c".to_string());
                    args.push(c.display().to_string());
                }
            }
            other => args.push(other.to_string()),
        }
    }
    Some(CommandSpec::new(t.program, args))
}

/// The exact commands for every cache in use, which run elevated, and the one elevated run.
pub fn plan_flush(sys: &System, detection: &Detection) -> FlushPlan {
    let steps: Vec<PlannedStep> = detection
        .in_use()
        .map(|r| {
            let m = r.method;
            PlannedStep {
                resolver: r.kind,
                label: r.label.clone(),
                pid: r.pid,
                privilege: m.privilege,
                run_as: match (sys.admin, m.privilege) {
                    (true, _) => RunAs::AlreadyAdmin,
                    (false, Privilege::User) => RunAs::User,
                    (false, Privilege::UserThenAdmin) => RunAs::UserThenElevated,
                    (false, Privilege::Admin) => RunAs::Elevated,
                },
                commands: m
                    .commands
                    .iter()
                    .map(|alts| alts.iter().filter_map(|t| expand(t, r)).collect())
                    .collect(),
            }
        })
        .collect();
    let elevation = (!sys.admin
        && steps
            .iter()
            .any(|s| matches!(s.run_as, RunAs::Elevated | RunAs::UserThenElevated)))
    .then(|| {
        // The Windows result file is named at run time; the plan shows its pattern.
        let placeholder = std::env::temp_dir().join("fix401-elevated-PID-TIME.json");
        elevate::command(sys.os, Some(placeholder.as_path()))
    });
    FlushPlan {
        already_admin: sys.admin,
        steps,
        elevation,
    }
}

/// Runs one step: its commands in order, each with its alternatives. Returns (succeeded,
/// every alternative of some command was missing, the runs).
pub fn run_step(sys: &System, step: &PlannedStep, elevated: bool) -> (bool, bool, Vec<CommandRun>) {
    let mut runs = Vec::new();
    let mut ok = true;
    let mut missing = false;
    for alts in &step.commands {
        if !ok {
            for c in alts.iter().take(1) {
                runs.push(CommandRun {
                    resolver: step.resolver,
                    argv: c.argv(),
                    elevated,
                    outcome: RunOutcome::Skipped,
                    message: "skipped: an earlier command of this step failed".into(),
                });
            }
            continue;
        }
        let mut done = false;
        let mut tried = Vec::new();
        for c in alts {
            let run = |outcome, message: String| CommandRun {
                resolver: step.resolver,
                argv: c.argv(),
                elevated,
                outcome,
                message,
            };
            match sys.run(c) {
                Ok(out) if out.success() => {
                    runs.push(run(RunOutcome::Done, "done".into()));
                    done = true;
                    break;
                }
                Ok(out) => {
                    let status = out
                        .status
                        .map_or_else(|| "ended by a signal".to_string(), |s| format!("exit {s}"));
                    let detail = if out.stderr.iter().all(u8::is_ascii_whitespace) {
                        first_line(&out.stdout)
                    } else {
                        first_line(&out.stderr)
                    };
                    runs.push(run(RunOutcome::Failed, format!("{status}: {detail}")));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tried.push(c.to_string());
                    runs.push(run(
                        RunOutcome::NotInstalled,
                        format!("{} is not installed", c.program),
                    ));
                }
                Err(e) => {
                    runs.push(run(RunOutcome::Failed, format!("could not start: {e}")));
                    break;
                }
            }
        }
        if !done {
            ok = false;
            if tried.len() == alts.len() {
                missing = true;
                if let Some(last) = runs.last_mut() {
                    last.message = format!(
                        "none of these is installed: {} — nothing to flush {} with",
                        tried.join(", "),
                        step.label
                    );
                }
            }
        }
    }
    (ok, missing, runs)
}

/// Detects, plans, runs (unless `dry_run`) and verifies. Errors only on bad input (an invalid
/// host name); everything else, including a declined prompt, is in the report.
pub async fn flush(sys: &System, opts: &FlushOptions) -> Result<FlushReport> {
    let host = match &opts.host {
        Some(h) if !verify::valid_host(h.trim()) => {
            return Err(Error::BadInput(format!(
                "--host {h:?} is not a host name: give a name like www.example.com \
                 (letters, digits, '-', '.')"
            )));
        }
        Some(h) => Some(hosts::normalize(h)),
        None => None,
    };
    let detection = detect(sys);
    let plan = plan_flush(sys, &detection);
    let hosts_entries = host
        .as_deref()
        .map(|h| hosts::entries_for(sys, h))
        .unwrap_or_default();
    let mut problems = detection.problems.clone();
    let before = match &host {
        Some(h) => Some(check(sys, &detection, h, !hosts_entries.is_empty()).await),
        None => None,
    };

    let mut report = FlushReport {
        host: host.clone(),
        dry_run: opts.dry_run,
        ran: Vec::new(),
        elevation: None,
        declined: false,
        flushed: false,
        hosts_entries,
        before,
        after: None,
        changed: None,
        browser_note: BROWSER_NOTE.to_string(),
        actions: Vec::new(),
        problems: Vec::new(),
        summary: String::new(),
        detected: detection,
        plan,
    };

    if opts.dry_run {
        for s in &report.plan.steps {
            for alts in &s.commands {
                if let Some(c) = alts.first() {
                    report.ran.push(CommandRun {
                        resolver: s.resolver,
                        argv: c.argv(),
                        elevated: matches!(s.run_as, RunAs::Elevated),
                        outcome: RunOutcome::Skipped,
                        message: "dry run: not run".into(),
                    });
                }
            }
        }
        report.problems = problems;
        finish(&mut report);
        return Ok(report);
    }

    let mut all_ok = true;
    let mut pending = Vec::new();
    for step in &report.plan.steps {
        match step.run_as {
            RunAs::Elevated => pending.push(step.resolver),
            run_as => {
                let (ok, missing, runs) = run_step(sys, step, run_as == RunAs::AlreadyAdmin);
                report.ran.extend(runs);
                if !ok {
                    if run_as == RunAs::UserThenElevated && !missing {
                        pending.push(step.resolver);
                    } else {
                        all_ok = false;
                        problems.push(format!("{} was not flushed", step.label));
                    }
                }
            }
        }
    }
    if !pending.is_empty() {
        let (elevation, runs) = elevate::run(sys, sys.os);
        match elevation.outcome {
            ElevationOutcome::Done => {
                for kind in &pending {
                    let done = runs.iter().any(|r| r.resolver == *kind)
                        && runs.iter().filter(|r| r.resolver == *kind).all(|r| {
                            matches!(r.outcome, RunOutcome::Done | RunOutcome::NotInstalled)
                        })
                        && runs
                            .iter()
                            .any(|r| r.resolver == *kind && r.outcome == RunOutcome::Done);
                    if !done {
                        all_ok = false;
                        problems.push(format!(
                            "{} was not flushed by the elevated run",
                            label_of(&report.plan, *kind)
                        ));
                    }
                }
            }
            ElevationOutcome::Declined => {
                report.declined = true;
                all_ok = false;
            }
            ElevationOutcome::Failed => {
                all_ok = false;
                problems.push(elevation.message.clone());
            }
        }
        report.ran.extend(runs);
        report.elevation = Some(elevation);
    }
    report.flushed = all_ok && report.detected.problems.is_empty();

    if let Some(h) = &host {
        let pinned = !report.hosts_entries.is_empty();
        let mut after = check(sys, &report.detected, h, pinned).await;
        // A signal is delivered at once but acted on when the daemon next runs: give a
        // signalled cache a moment before calling its answer still stale.
        if after.stale && signalled(&report.ran) {
            let deadline = std::time::Instant::now() + SIGNAL_SETTLE;
            while after.stale && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                after = check(sys, &report.detected, h, pinned).await;
            }
        }
        let addrs = |v: &Option<Verification>| -> Option<Vec<std::net::IpAddr>> {
            v.as_ref()?
                .system
                .as_ref()
                .map(|a: &Answer| a.addresses.clone())
        };
        let before_a = addrs(&report.before);
        let after_a = addrs(&Some(after.clone()));
        report.changed = match (before_a, after_a) {
            (Some(b), Some(a)) => Some(a != b),
            _ => None,
        };
        report.after = Some(after);
    }
    report.problems = problems;
    finish(&mut report);
    Ok(report)
}

/// How long a cache flushed by a signal (`kill -HUP`, `killall -HUP`) may take to drop its
/// answers before the verification believes what it sees.
const SIGNAL_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// Some command that succeeded flushed its cache by sending a signal, which the daemon
/// handles asynchronously.
pub(crate) fn signalled(ran: &[CommandRun]) -> bool {
    ran.iter().any(|r| {
        r.outcome == RunOutcome::Done
            && r.argv.iter().any(|a| a == "-HUP" || a == "HUP")
            && matches!(
                // The elevated run reports programs by absolute path.
                r.argv
                    .first()
                    .and_then(|p| std::path::Path::new(p).file_name())
                    .and_then(|n| n.to_str()),
                Some("kill" | "killall" | "pkill")
            )
    })
}

fn label_of(plan: &FlushPlan, kind: ResolverKind) -> String {
    plan.steps
        .iter()
        .find(|s| s.resolver == kind)
        .map(|s| s.label.clone())
        .unwrap_or_else(|| kind.id().to_string())
}

/// Verification of `host` against the detected upstreams.
pub(crate) async fn check(
    sys: &System,
    detection: &Detection,
    host: &str,
    hosts_pinned: bool,
) -> Verification {
    if hosts::is_local_name(&hosts::normalize(host)) {
        // localhost never goes to DNS: nothing to compare, and no query leaves the machine.
        let mut v = verify::compare(host, None, None, true);
        v.notes = vec![format!(
            "{host} is answered by this machine itself, never by DNS"
        )];
        return v;
    }
    let system = verify::resolve_system(sys, host).await;
    // Only ask upstream when there is a local answer to compare.
    let upstream = match &system {
        Some(_) => verify::resolve_upstream(&detection.upstreams, host).await,
        None => None,
    };
    verify::compare(host, system, upstream, hosts_pinned)
}

fn caches(n: usize) -> String {
    if n == 1 {
        "1 cache".to_string()
    } else {
        format!("{n} caches")
    }
}

/// Fills the summary and the next actions.
fn finish(r: &mut FlushReport) {
    let n = r.plan.steps.len();
    let names: Vec<&str> = r.plan.steps.iter().map(|s| s.label.as_str()).collect();
    let mut s = if !r.detected.problems.is_empty() && n == 0 {
        "Nothing was flushed: fix401 could not tell which cache this machine uses.".to_string()
    } else if n == 0 {
        "No local DNS cache is in use on this machine: there is nothing to flush here.".to_string()
    } else if r.dry_run {
        format!("Would flush {}: {}.", caches(n), names.join(", "))
    } else if r.declined {
        "The administrator prompt was declined: the caches that need it were not flushed."
            .to_string()
    } else if r.flushed {
        format!("Flushed {}: {}.", caches(n), names.join(", "))
    } else {
        format!("Not every cache could be flushed ({}).", names.join(", "))
    };
    if let Some(after) = &r.after {
        match (after.stale, r.changed) {
            (true, _) => s.push_str(" The local answer still differs from the name servers'."),
            (false, Some(true)) => {
                s.push_str(" The answer changed and now matches the name servers.")
            }
            (false, Some(false)) if !after.conclusion.is_problem() => {
                s.push_str(" The answer is unchanged and matches the name servers.")
            }
            _ => {}
        }
    }
    if !r.hosts_entries.is_empty() {
        s.push_str(" The hosts file pins this host; flushing does not change that.");
    }
    r.summary = s;
    let mut actions = Vec::new();
    if r.declined || (!r.flushed && !r.dry_run && n > 0) {
        actions.push(Action::FlushDns);
    }
    if r.host.is_some() {
        actions.push(Action::RestartBrowser);
        actions.push(Action::Retry);
    }
    r.actions = actions;
}
