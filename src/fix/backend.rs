//! What the pipeline needs from the rest of fix401, behind one trait.
//!
//! The live implementation ([`super::live::LiveBackend`]) wires the diagnosis, the DNS
//! flusher, browser discovery and the store cleaner; unit tests use a scripted one. Keeping
//! the seam here lets the pipeline's order, consent and verdict logic be tested without a
//! network or a browser.

use std::any::Any;

use crate::browsers::Profile;
use crate::cookie_jar::JarRead;
use crate::error::Result;

use super::model::ProbeSummary;

/// One probe of the URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The URL as probed (normalized, not redacted: the pipeline probes it again).
    pub url: String,
    /// What the report shows.
    pub summary: ProbeSummary,
    /// A corrected URL the diagnosis proposes (`fix-url`), when it has one.
    pub corrected_url: Option<String>,
}

/// A browser installation as the pipeline sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserInfo {
    /// Catalog id (`chromium`, `firefox`…).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version, when known.
    pub version: Option<String>,
    /// Its profiles.
    pub profiles: Vec<Profile>,
    /// Process ids of the running browser (empty when closed).
    pub running_pids: Vec<u32>,
}

/// The result of an action a backend ran.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionReport {
    /// True when it did what it should.
    pub ok: bool,
    /// One plain sentence.
    pub summary: String,
    /// Details for a technician.
    pub details: Vec<String>,
    /// The undo id, when data was backed up and changed.
    pub undo_id: Option<String>,
}

/// A planned clear of one site's data: what it touches and the backend's own plan.
pub struct PlannedClear {
    /// Exactly what will be removed (rows, files, bytes), one line each.
    pub touches: Vec<String>,
    /// Ids of browsers that run and must be closed first.
    pub running: Vec<String>,
    /// True when there is nothing to remove.
    pub empty: bool,
    /// The backend's plan, handed back to [`Backend::apply_clear`].
    pub token: Box<dyn Any + Send>,
}

impl std::fmt::Debug for PlannedClear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedClear")
            .field("touches", &self.touches)
            .field("running", &self.running)
            .field("empty", &self.empty)
            .finish_non_exhaustive()
    }
}

/// A planned change of the browsers' sign-in settings (`allow-negotiate`).
pub struct PlannedAllow {
    /// Exactly what will be written, one line each (empty: nothing fix401 can change).
    pub touches: Vec<String>,
    /// What fix401 leaves to an administrator: what to set, and where.
    pub advice: Vec<String>,
    /// Ids of browsers that run and must be closed first.
    pub running: Vec<String>,
    /// The backend's plan, handed back to [`Backend::apply_allow_negotiate`].
    pub token: Box<dyn Any + Send>,
}

/// Everything the repair pipeline asks of the rest of fix401.
pub trait Backend: Send + Sync {
    /// Probes `url`, sending `cookie_header` as the `Cookie` request header when given.
    fn diagnose(&self, url: &str, cookie_header: Option<&str>) -> Result<Probe>;

    /// The browsers installed, with profiles and running state.
    fn browsers(&self) -> Result<Vec<BrowserInfo>>;

    /// The cookies `profile` would send to `url` (values in memory only).
    fn cookies(&self, profile: &Profile, url: &url::Url) -> Result<JarRead>;

    /// The commands a DNS flush for `host` would run (nothing is run).
    fn plan_flush_dns(&self, host: &str) -> Result<Vec<String>>;

    /// Flushes the DNS caches for `host` and verifies the answer.
    fn flush_dns(&self, host: &str) -> Result<ActionReport>;

    /// Plans clearing `host`'s data in the given browsers (all when empty).
    /// `hsts`: also the host's HTTPS-only entries (only for `hsts.stuck`).
    fn plan_clear(&self, host: &str, browser_ids: &[String], hsts: bool) -> Result<PlannedClear>;

    /// Applies a plan from [`Backend::plan_clear`] (backup first).
    fn apply_clear(&self, plan: PlannedClear) -> Result<ActionReport>;

    /// Asks a running browser to close (gracefully: never a hard kill) and waits for it.
    fn close_browser(&self, browser: &BrowserInfo) -> Result<ActionReport>;

    /// Opens `url` in the default browser.
    fn open_url(&self, url: &str) -> Result<ActionReport>;

    /// Plans letting the given browsers (all when empty) send the Kerberos ticket to `url`'s
    /// host. A backend that cannot change browser settings says so.
    fn plan_allow_negotiate(&self, url: &str, browser_ids: &[String]) -> Result<PlannedAllow> {
        let _ = (url, browser_ids);
        Err(crate::Error::Internal(
            "this backend cannot change browser sign-in settings".into(),
        ))
    }

    /// Applies a plan from [`Backend::plan_allow_negotiate`] (backup first).
    fn apply_allow_negotiate(&self, plan: PlannedAllow) -> Result<ActionReport> {
        let _ = plan;
        Err(crate::Error::Internal(
            "this backend cannot change browser sign-in settings".into(),
        ))
    }
}
