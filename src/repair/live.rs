//! The backend over the real fix401 modules: diagnosis, DNS, browsers, stores, cookie jar.

use crate::browsers::Profile;
use crate::cookie_jar::{self, JarRead};
use crate::error::{Error, Result};
use crate::system::System;

use super::backend::{ActionReport, Backend, BrowserInfo, PlannedClear, Probe};
use super::restart;

/// The backend fix401 runs with.
pub struct LiveBackend {
    sys: System,
}

impl LiveBackend {
    /// A backend acting on `sys`.
    pub fn new(sys: System) -> LiveBackend {
        LiveBackend { sys }
    }
}

fn not_yet(what: &str) -> Error {
    Error::Internal(format!("{what} is not available in this build yet"))
}

impl Backend for LiveBackend {
    fn diagnose(&self, _url: &str, _cookie_header: Option<&str>) -> Result<Probe> {
        Err(not_yet("the diagnosis"))
    }

    fn browsers(&self) -> Result<Vec<BrowserInfo>> {
        Err(not_yet("browser discovery"))
    }

    fn cookies(&self, profile: &Profile, url: &url::Url) -> Result<JarRead> {
        cookie_jar::read_for_url(self.sys.os, profile, url)
    }

    fn plan_flush_dns(&self, _host: &str) -> Result<Vec<String>> {
        Err(not_yet("DNS flushing"))
    }

    fn flush_dns(&self, _host: &str) -> Result<ActionReport> {
        Err(not_yet("DNS flushing"))
    }

    fn plan_clear(&self, _host: &str, _browser_ids: &[String]) -> Result<PlannedClear> {
        Err(not_yet("clearing site data"))
    }

    fn apply_clear(&self, _plan: PlannedClear) -> Result<ActionReport> {
        Err(not_yet("clearing site data"))
    }

    fn close_browser(&self, browser: &BrowserInfo) -> Result<ActionReport> {
        let id = browser.id.clone();
        let still_running = || {
            self.browsers()
                .map(|bs| bs.iter().any(|b| b.id == id && !b.running_pids.is_empty()))
                .unwrap_or(false)
        };
        restart::close(&self.sys, browser, &still_running)
    }

    fn open_url(&self, url: &str) -> Result<ActionReport> {
        restart::reopen(&self.sys, url)
    }
}
