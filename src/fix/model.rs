//! The fix report: everything a person and a help desk need to know about one repair.
//! All text in it is already redacted (see [`crate::redact`]).

use serde::Serialize;

use crate::config::SupportContact;
use crate::model::{Action, Cause, Confidence, Finding};

/// What a probe of the URL found, reduced to what the report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeSummary {
    /// The URL tested (redacted).
    pub url: String,
    /// Where redirects ended (redacted), when different.
    pub final_url: Option<String>,
    /// The final HTTP status, when a response came.
    pub status: Option<u16>,
    /// True when the page loads (the diagnosis found nothing that stops it).
    pub ok: bool,
    /// The diagnosis verdict id (`ok`, `failing`…), as the diagnosis names it.
    pub verdict: String,
    /// One plain sentence.
    pub headline: String,
    /// The explained causes.
    pub findings: Vec<Finding>,
    /// Technical lines (challenges, timings, redirects) for a technician.
    pub technical: Vec<String>,
    /// The check's own "works from here" note, when it made one: the fix report says its
    /// own (with the cookie test), so this is read, not shown twice.
    #[serde(skip)]
    pub works_from_here: Option<WorksFromHere>,
}

/// What the test with the browser's own cookies showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofOutcome {
    /// Rejected with the browser's cookies and accepted without: stale site data, proven.
    StaleProven,
    /// The browser's cookies make no difference.
    CookiesNotTheCause,
    /// Cookies exist but their values cannot be read here.
    Unreadable,
    /// No browser holds cookies for this address.
    NoCookies,
    /// The person did not allow the test, or the configuration forbids clearing site data.
    NotRun,
}

/// One profile's part in the cookie test. Cookie *names* are shown; values never.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileCookies {
    /// Browser id (`chromium`, `firefox`…).
    pub browser_id: String,
    /// Browser display name.
    pub browser_name: String,
    /// Profile display name.
    pub profile: String,
    /// Names of the cookies the browser would send.
    pub cookie_names: Vec<String>,
    /// Why values could not be read, when they could not.
    pub unreadable: Option<String>,
    /// The status the server answered with these cookies.
    pub status_with_cookies: Option<u16>,
    /// True when the page loads with these cookies.
    pub ok_with_cookies: Option<bool>,
}

/// The stale-site-data proof.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CookieProof {
    /// What it showed.
    pub outcome: ProofOutcome,
    /// One plain sentence.
    pub summary: String,
    /// The status without any cookie.
    pub status_without_cookies: Option<u16>,
    /// Per profile.
    pub profiles: Vec<ProfileCookies>,
}

/// A cached response for the URL found in a browser's HTTP cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedResponse {
    /// Browser id.
    pub browser_id: String,
    /// Profile display name.
    pub profile: String,
    /// The cache entry file (home written as `~`).
    pub file: String,
    /// The cached HTTP status.
    pub status: u16,
    /// The cached status line.
    pub status_line: String,
}

impl CachedResponse {
    /// True when the cached response is an error the browser could show instead of the page.
    pub fn is_error(&self) -> bool {
        self.status >= 400
    }
}

/// One action in the plan: what it is for and exactly what it touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedAction {
    /// The action id.
    pub action: Action,
    /// Why it is proposed (the finding, or the option the person gave).
    pub why: String,
    /// Exactly what it touches: commands, rows, files, bytes. Empty for advice.
    pub touches: Vec<String>,
    /// True when it changes something on this computer (and so needs consent).
    pub changes_system: bool,
    /// True when it runs although the evidence rules it out, because the person forced it
    /// (`--force`; see [`FixPlan::ruled_out`]).
    pub forced: bool,
}

/// An action the evidence rules out: what was tested and why it cannot help.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuledOut {
    /// The action id (`clear-site-data`).
    pub action: Action,
    /// Why it cannot help, in words ("your browser's cookies make no difference: the site
    /// itself answers 503").
    pub why: String,
    /// What was tested, one line each.
    pub tested: Vec<String>,
    /// True when it was carried out anyway (`--force`); otherwise nothing of it was changed.
    pub forced: bool,
}

/// When the page works from here: what fix401 tested, what still differs between its test
/// and the person's browser, and what to try. The check's own type: every face reads one.
pub use crate::diagnosis::WorksFromHere;

/// What will be done, before anything is done.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FixPlan {
    /// The actions, in the order they will run.
    pub actions: Vec<PlannedAction>,
    /// Actions the findings call for but the help-desk configuration disables.
    pub disabled: Vec<Action>,
    /// Actions asked for or suggested that the evidence rules out: not run unless forced.
    pub ruled_out: Vec<RuledOut>,
}

impl FixPlan {
    /// True when at least one action changes the system (consent needed).
    pub fn changes_system(&self) -> bool {
        self.actions.iter().any(|a| a.changes_system)
    }

    /// True when `action` is planned.
    pub fn has(&self, action: Action) -> bool {
        self.actions.iter().any(|a| a.action == action)
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// It ran and did what it should.
    Done,
    /// It ran and failed.
    Failed,
    /// It was not needed or could not apply (nothing to clear…).
    Skipped,
    /// The person said no.
    Declined,
    /// The help-desk configuration disables it.
    Disabled,
    /// Advice for the person; nothing was run.
    Advice,
}

/// The result of one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionOutcome {
    /// The action id.
    pub action: Action,
    /// How it ended.
    pub status: ActionStatus,
    /// One plain sentence.
    pub summary: String,
    /// Details for a technician (commands run, rows and files removed).
    pub details: Vec<String>,
    /// The backup id `fix401 undo` takes to reverse it, when it changed stored data.
    pub undo_id: Option<String>,
}

/// A browser found on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrowserEnv {
    /// Browser id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version, when known.
    pub version: Option<String>,
    /// Number of profiles.
    pub profiles: usize,
    /// True when it was running at the start.
    pub running: bool,
}

/// Where the repair ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    /// OS id (`linux`, `macos`, `windows`).
    pub os: String,
    /// OS name and version, when known.
    pub os_version: Option<String>,
    /// fix401's version.
    pub fix401_version: String,
    /// The browsers found.
    pub browsers: Vec<BrowserEnv>,
}

/// The end result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It failed before and works now.
    Fixed,
    /// Nothing was wrong from here: the address works, also with the browser's data.
    Working,
    /// It still fails.
    StillFailing,
}

impl Verdict {
    /// The process exit code (DESIGN.md: 0 ok/fixed, 1 still failing).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Fixed | Verdict::Working => 0,
            Verdict::StillFailing => 1,
        }
    }
}

/// Advice the person (or the site owner) has to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// The action id.
    pub action: Action,
    /// A short title.
    pub title: String,
    /// What to do, in plain words.
    pub text: String,
}

/// The whole report of one `fix` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixReport {
    /// The URL the person gave (redacted).
    pub url: String,
    /// When the repair ran (HTTP date, UTC).
    pub generated_at: String,
    /// The end result.
    pub verdict: Verdict,
    /// One plain sentence about the end result (the same as `outcome.headline`).
    pub headline: String,
    /// What every face shows first: verdict words, headline, first action (see
    /// [`crate::diagnosis::outcome`]).
    pub outcome: crate::diagnosis::Outcome,
    /// The first probe.
    pub before: ProbeSummary,
    /// The test with the browser's cookies, when it ran.
    pub proof: Option<CookieProof>,
    /// When the page works from here and nothing shows the browser's data at fault: what
    /// was tested and what still differs.
    pub works_from_here: Option<WorksFromHere>,
    /// Cached responses for the URL in the browsers' HTTP caches.
    pub cached_responses: Vec<CachedResponse>,
    /// What was planned.
    pub plan: FixPlan,
    /// What was done.
    pub actions: Vec<ActionOutcome>,
    /// The probe after the fixes, when anything was fixed.
    pub after: Option<ProbeSummary>,
    /// What the person has to do themselves.
    pub advice: Vec<Advice>,
    /// A technical summary for the site's owner, when the fault is on the server.
    pub owner_summary: Option<String>,
    /// Where it ran.
    pub environment: Environment,
    /// Who to contact (from the help-desk configuration).
    pub support: Option<SupportContact>,
    /// The files this report was saved to.
    pub saved_to: Vec<String>,
}

impl FixReport {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        self.verdict.exit_code()
    }

    /// The finding that leads, before the fixes (the one the headline is about).
    pub fn main_finding(&self) -> Option<&Finding> {
        crate::diagnosis::outcome::top(&self.before.findings, false)
    }

    /// The finding for `cause`, when present.
    pub fn finding(&self, cause: Cause) -> Option<&Finding> {
        self.before.findings.iter().find(|f| f.cause == cause)
    }

    /// True when `cause` was found with at least `confidence`.
    pub fn found(&self, cause: Cause, confidence: Confidence) -> bool {
        self.finding(cause)
            .is_some_and(|f| f.confidence >= confidence)
    }
}
