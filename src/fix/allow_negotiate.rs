//! The `allow-negotiate` fix: lets each Firefox profile that will not send the Kerberos
//! ticket to the site do so, by adding the host to `network.negotiate-auth.trusted-uris` in
//! the profile's `user.js` (created when absent; every other line kept byte for byte). The
//! backup and undo are the site-data clear's (`stores::backup`, `fix401 undo`): the old
//! `user.js` is moved into the backup with its mode, or the new one is listed as created;
//! and since Firefox copies the value into `prefs.js` when it runs, the value `prefs.js` had
//! is recorded too, for undo to put back.
//!
//! Settings fix401 does not change — a Firefox value locked by enterprise policy, the
//! Chromium family's `AuthServerAllowlist` — are said as advice: what to set, and where.

use std::path::PathBuf;

use crate::browsers::{Family, Installation, StoreKind};
use crate::error::{Error, Result};
use crate::negotiate::browser_prefs::{self, BrowserSignIn, CHROMIUM_ALLOWLIST, Source};
use crate::redact;
use crate::stores::backup::{Item, Saved, Status, Writer};
use crate::stores::files;
use crate::system::{Os, System};

/// One `user.js` to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Catalog id of the browser.
    pub browser_id: String,
    /// "Firefox (default-release)".
    pub label: String,
    /// The profile folder.
    pub profile_dir: PathBuf,
    /// `<profile>/user.js`.
    pub user_js: PathBuf,
    /// Its bytes now (`None`: there is none yet).
    pub before: Option<Vec<u8>>,
    /// Its bytes after the change.
    pub after: Vec<u8>,
}

/// What `allow-negotiate` would do for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowPlan {
    /// The host to allow.
    pub host: String,
    /// The `user.js` files to write.
    pub changes: Vec<Change>,
    /// What fix401 does not change itself: what to set and where, one line each.
    pub advice: Vec<String>,
    /// Ids of browsers that run and must be closed first.
    pub running: Vec<String>,
}

impl AllowPlan {
    /// Exactly what will be touched, one line each (home written as `~`).
    pub fn touches(&self, sys: &System) -> Vec<String> {
        let home = &sys.home;
        self.changes
            .iter()
            .map(|c| {
                format!(
                    "{}: add {} to {} in {}{}",
                    c.label,
                    self.host,
                    browser_prefs::FIREFOX_TRUSTED_URIS,
                    redact::path(&c.user_js, home),
                    if c.before.is_none() {
                        " (created)"
                    } else {
                        " (every other line kept)"
                    }
                )
            })
            .collect()
    }
}

/// What an administrator must set for a browser fix401 leaves alone.
fn advice(sys: &System, b: &BrowserSignIn, host: &str) -> String {
    let with_host = match b.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => format!("{v},{host}"),
        None => host.to_string(),
    };
    match (&b.source, b.family) {
        (Source::Policy { path, .. }, Family::Firefox) => format!(
            "{}: {} is set by your administrator's policy {} (Authentication > SPNEGO); ask \
             them to add {host}",
            b.label(),
            b.setting,
            path.display()
        ),
        (_, Family::Chromium) if sys.os == Os::Linux => format!(
            "{}: add {host} to the {CHROMIUM_ALLOWLIST} policy — as administrator, a JSON file \
             in its managed policy folder with {{\"{CHROMIUM_ALLOWLIST}\": \"{with_host}\"}} — \
             or start it with --auth-server-allowlist={with_host}; then restart it (a profile \
             never offered Negotiate before signs in from its second start: the first one \
             only lets the Kerberos library load)",
            b.label()
        ),
        _ => format!(
            "{}: ask your administrator to add {host} to {} ({})",
            b.label(),
            b.setting,
            if b.admin_locations.is_empty() {
                "its enterprise policy".to_string()
            } else {
                b.admin_locations.join("; ")
            }
        ),
    }
}

/// Plans letting the browsers among `browser_ids` (all when empty) send the ticket to
/// `url`'s host, from their settings as they are now.
pub fn plan(sys: &System, url: &url::Url, browser_ids: &[String]) -> Result<AllowPlan> {
    let host = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .ok_or_else(|| Error::BadInput(format!("{}: no host", redact::url(url))))?;
    let found: Vec<Installation> = crate::browsers::discover(sys)?
        .into_iter()
        .filter(|i| browser_ids.is_empty() || browser_ids.contains(&i.id))
        .collect();
    let mut out = AllowPlan {
        host: host.clone(),
        changes: Vec::new(),
        advice: Vec::new(),
        running: Vec::new(),
    };
    for b in browser_prefs::gather(sys, &found, url) {
        if b.sends != Some(false) {
            continue;
        }
        let (true, Some(dir)) = (b.fixable(), &b.profile_dir) else {
            out.advice.push(advice(sys, &b, &host));
            continue;
        };
        let user_js = dir.join("user.js");
        if files::is_link(&user_js) {
            out.advice.push(format!(
                "{}: {} is a symbolic link; fix401 leaves it alone: add {host} to {} yourself",
                b.label(),
                user_js.display(),
                b.setting
            ));
            continue;
        }
        let before = match std::fs::read(&user_js) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(format!("cannot read {}", user_js.display()), e)),
        };
        let Some(after) = browser_prefs::add_trusted_host(
            before.as_deref().unwrap_or_default(),
            b.value.as_deref(),
            &host,
        ) else {
            out.advice.push(format!(
                "{}: {} is not UTF-8 text; fix401 leaves it alone: add {host} to {} yourself",
                b.label(),
                user_js.display(),
                b.setting
            ));
            continue;
        };
        if let Some(inst) = found.iter().find(|i| i.id == b.browser_id)
            && !crate::browsers::running_state(sys, inst).is_safe_to_write()
            && !out.running.contains(&inst.id)
        {
            out.running.push(inst.id.clone());
        }
        out.changes.push(Change {
            browser_id: b.browser_id.clone(),
            label: b.label(),
            profile_dir: dir.clone(),
            user_js,
            before,
            after,
        });
    }
    Ok(out)
}

/// Writes the plan's `user.js` files, backup first (one backup for all of them); its id.
/// Refused while a browser whose profile it changes runs, and when a file changed since
/// the plan was made.
pub fn apply(sys: &System, plan: &AllowPlan) -> Result<Option<String>> {
    if plan.changes.is_empty() {
        return Ok(None);
    }
    let found = crate::browsers::discover(sys)?;
    for c in &plan.changes {
        if let Some(inst) = found.iter().find(|i| i.id == c.browser_id) {
            let state = crate::browsers::running_state(sys, inst);
            if !state.is_safe_to_write() {
                return Err(Error::Refused(format!(
                    "{} is {}; nothing was changed. Close {} and run fix401 again",
                    inst.name,
                    state.describe(),
                    inst.name
                )));
            }
        }
        let now = std::fs::read(&c.user_js).ok();
        if now != c.before {
            return Err(Error::Refused(format!(
                "{} changed since fix401 read it; nothing was changed. Run fix401 again",
                c.user_js.display()
            )));
        }
    }
    let mut w = Writer::create(sys, &plan.host, &plan.host)?;
    let kind = serde_json::to_value(StoreKind::FirefoxUserPrefs)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    for c in &plan.changes {
        let item_in = |path: &std::path::Path, saved| Item {
            browser_id: c.browser_id.clone(),
            profile_dir: c.profile_dir.clone(),
            kind: kind.clone(),
            store: path.to_path_buf(),
            original: path.to_path_buf(),
            saved,
        };
        let item = |saved| item_in(&c.user_js, saved);
        // Firefox copies what user.js sets into prefs.js when it runs: undo puts prefs.js's
        // value back too, or the restored user.js would not be the whole story.
        let prefs_js = c.profile_dir.join("prefs.js");
        let before = std::fs::read_to_string(&prefs_js)
            .ok()
            .and_then(|t| browser_prefs::pref_value(&t, browser_prefs::FIREFOX_TRUSTED_URIS));
        w.record(vec![item_in(
            &prefs_js,
            Saved::Pref {
                name: browser_prefs::FIREFOX_TRUSTED_URIS.to_string(),
                before,
            },
        )])?;
        match &c.before {
            Some(bytes) => {
                // The old file itself goes into the backup (its bytes and mode, for undo);
                // the new one takes its mode.
                let file = w.name("files/", "");
                let modes = files::private_modes(&c.user_js);
                let mode = std::fs::metadata(&c.user_js).map(|m| m.permissions()).ok();
                w.record(vec![item(Saved::Moved {
                    file: file.clone(),
                    bytes: bytes.len() as u64,
                    is_dir: false,
                    modes,
                })])?;
                let saved = w.dir.join(&file);
                files::move_path(&c.user_js, &saved)?;
                files::make_private(&saved)?;
                files::write_atomic(&c.user_js, &c.after)?;
                if let Some(perm) = mode {
                    std::fs::set_permissions(&c.user_js, perm).map_err(|e| {
                        Error::io(format!("cannot set the mode of {}", c.user_js.display()), e)
                    })?;
                }
            }
            None => {
                let file = w.name("files/", ".created");
                w.record(vec![item(Saved::Created { file })])?;
                files::write_atomic(&c.user_js, &c.after)?;
            }
        }
    }
    w.manifest.status = Status::Complete;
    w.save()?;
    Ok(Some(w.manifest.id.clone()))
}
