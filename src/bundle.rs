//! The support bundle: one zip to attach to a ticket, holding the check's Markdown, HTML and
//! JSON reports, the HAR of every request made ([`crate::har`]) and `environment.json` (where
//! it ran: OS, browsers and profiles, resolvers, routes, the configuration in force).
//!
//! Nothing in it is redacted here by searching text: the reports and the HAR are built from
//! evidence redacted where it entered, and the environment is made of chosen fields only —
//! no cookie values, no command lines, no account e-mails; paths below the home folder are
//! written `~` ([`crate::redact::path`]) and URLs redacted ([`crate::redact::url_str`]).
//!
//! Also here: [`OutFile`], a file the person named, written whole or not at all (the HAR
//! and the bundle both use it).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::har::Har;
use crate::redact;
use crate::report::Report;
use crate::system::System;

/// The names of the bundle's entries, in the order they are written.
pub const ENTRIES: [&str; 5] = [
    "report.md",
    "report.html",
    "report.json",
    "requests.har",
    "environment.json",
];

/// A file the person named, opened before the work that fills it so a bad place fails at
/// once (exit 2, nothing done), and written whole or not at all: the bytes go to a hidden
/// temporary file in the same folder, which is renamed over the name only when complete
/// and removed otherwise.
#[derive(Debug)]
pub struct OutFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<std::fs::File>,
}

impl OutFile {
    /// Opens the temporary file beside `path`; `what` names the file in errors (`--har`).
    pub fn create(path: &Path, what: &str) -> Result<OutFile> {
        let name = path.file_name().ok_or_else(|| {
            Error::BadInput(format!(
                "{what} {}: give a file name, not a folder",
                path.display()
            ))
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::BadInput(format!(
                "{what} {}: the folder {} does not exist; give a file in an existing folder",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::BadInput(format!(
                "{what} {}: that is a folder; give a file name",
                path.display()
            )));
        }
        let temp = dir.join(format!(
            ".{}.{}.part",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| {
                Error::BadInput(format!(
                    "{what} {}: cannot write in the folder {} ({e}); choose a folder you can write to",
                    path.display(),
                    dir.display()
                ))
            })?;
        Ok(OutFile {
            path: path.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// The name it will have.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` and puts the file in place (replacing one of that name).
    pub fn commit(mut self, bytes: &[u8]) -> Result<PathBuf> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| Error::Internal("output file already written".into()))?;
        let context = || format!("writing {}", self.path.display());
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(context(), e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.path).map_err(|e| Error::io(context(), e))?;
        Ok(self.path.clone())
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        // Not committed (or the rename failed): no half-written file is left behind.
        if self.temp.exists() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// What `fix401 bundle` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// The zip's path.
    pub path: String,
    /// Its entries, in order.
    pub contents: Vec<String>,
    /// The check's verdict id.
    pub verdict: String,
    /// The check's headline.
    pub headline: String,
    /// The process exit code (as `diagnose`).
    pub exit_code: i32,
}

/// Where it ran, for `environment.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    /// OS id (`linux`, `macos`, `windows`).
    pub os: String,
    /// OS name and version, when known.
    pub os_version: Option<String>,
    /// fix401's version.
    pub fix401_version: &'static str,
    /// The browsers found, with their profiles.
    pub browsers: Vec<BrowserEnv>,
    /// The DNS caches found on the way and the upstream servers.
    pub resolvers: Resolvers,
    /// The proxy of fix401's own re-test (redacted), if any.
    pub proxy: Option<String>,
    /// Each distinct route re-tested, with the profiles on it and what it got.
    pub routes: Vec<crate::route::RouteProbe>,
    /// Each browser profile's route and how it was decided.
    pub browser_routes: Vec<crate::route::BrowserRoute>,
    /// The help-desk configuration in force.
    pub config: ConfigEnv,
}

/// A browser installation.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserEnv {
    /// Catalog id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How it was installed.
    pub packaging: crate::browsers::Packaging,
    /// True while it runs.
    pub running: bool,
    /// Its profiles: display name and folder (home written `~`).
    pub profiles: Vec<ProfileEnv>,
}

/// A browser profile (never the account e-mail).
#[derive(Debug, Clone, Serialize)]
pub struct ProfileEnv {
    /// Display name.
    pub name: String,
    /// Its folder, home written `~`.
    pub dir: String,
}

/// The resolvers, without daemons' command lines.
#[derive(Debug, Clone, Serialize)]
pub struct Resolvers {
    /// Each cache found: label, whether lookups pass through it, where it listens.
    pub caches: Vec<ResolverEnv>,
    /// The upstream name servers.
    pub upstreams: Vec<String>,
    /// What could not be determined.
    pub problems: Vec<String>,
}

/// One DNS cache.
#[derive(Debug, Clone, Serialize)]
pub struct ResolverEnv {
    /// For people.
    pub label: String,
    /// Lookups on this machine pass through it.
    pub in_use: bool,
    /// Where it answers.
    pub listen: Vec<String>,
    /// Why fix401 believes it is there.
    pub why: Vec<String>,
}

/// The configuration in force, paths with the home written `~`, URLs redacted.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigEnv {
    /// Preset URLs.
    pub urls: Vec<String>,
    /// Actions turned off.
    pub disabled_actions: Vec<crate::model::Action>,
    /// The support contact.
    pub support: Option<crate::config::SupportContact>,
    /// Where reports are saved.
    pub reports_dir: Option<String>,
    /// The sources read (files, the Windows policy key), highest precedence first.
    pub sources: Vec<String>,
    /// Which source set what is in force (`urls`, `support`, `disabled_actions.<id>`…).
    pub set_by: std::collections::BTreeMap<String, String>,
}

/// What `sys` looks like, for the bundle (read only).
pub fn environment(sys: &System, config: &crate::config::Config, report: &Report) -> Environment {
    let home = sys.home.as_path();
    let detection = crate::dns::detect(sys);
    let browsers = crate::browsers::discover(sys)
        .unwrap_or_default()
        .into_iter()
        .map(|b| BrowserEnv {
            running: matches!(b.running, crate::browsers::RunningState::Running { .. }),
            profiles: b
                .profiles
                .iter()
                .map(|p| ProfileEnv {
                    name: p.name.clone(),
                    dir: redact::path(&p.dir, home),
                })
                .collect(),
            id: b.id,
            name: b.name,
            packaging: b.packaging,
        })
        .collect();
    Environment {
        os: sys.os.id().to_string(),
        os_version: detection.os_version.clone(),
        fix401_version: env!("CARGO_PKG_VERSION"),
        browsers,
        resolvers: Resolvers {
            caches: detection
                .resolvers
                .iter()
                .map(|r| ResolverEnv {
                    label: r.label.clone(),
                    in_use: r.in_use,
                    listen: r.listen.iter().map(|a| a.to_string()).collect(),
                    why: r
                        .why
                        .iter()
                        .map(|w| redact::home_in_message(w, home))
                        .collect(),
                })
                .collect(),
            upstreams: detection.upstreams.iter().map(|a| a.to_string()).collect(),
            problems: detection
                .problems
                .iter()
                .map(|p| redact::home_in_message(p, home))
                .collect(),
        },
        proxy: report.proxy.clone(),
        routes: report.routes.clone(),
        browser_routes: report.browser_routes.clone(),
        config: ConfigEnv {
            urls: config.urls.iter().map(|u| redact::url_str(u)).collect(),
            disabled_actions: config.disabled_actions.clone(),
            support: config.support.clone(),
            reports_dir: config.reports_dir.as_ref().map(|p| redact::path(p, home)),
            sources: config
                .sources
                .iter()
                .map(|p| redact::path(p, home))
                .collect(),
            set_by: config
                .set_by
                .iter()
                .map(|(key, p)| (key.clone(), redact::path(p, home)))
                .collect(),
        },
    }
}

/// The zip of a check: its reports, the HAR and the environment, deflated.
pub fn zip(report: &Report, har: &Har, environment: &Environment) -> Result<Vec<u8>> {
    let env_json = serde_json::to_string_pretty(environment)
        .map_err(|e| Error::Internal(format!("cannot encode the environment: {e}")))?;
    let bodies = [
        report.to_markdown(),
        report.to_html(),
        report.to_json(),
        har.to_json(),
        env_json,
    ];
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let fail = |e: zip::result::ZipError| Error::Internal(format!("cannot build the zip: {e}"));
    for (name, body) in ENTRIES.iter().zip(bodies) {
        out.start_file(*name, options).map_err(fail)?;
        out.write_all(body.as_bytes())
            .map_err(|e| Error::Internal(format!("cannot build the zip: {e}")))?;
    }
    Ok(out.finish().map_err(fail)?.into_inner())
}
