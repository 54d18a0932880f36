//! Help-desk configuration: a TOML file that presets URLs to check, disables actions, names
//! the support contact shown in reports and says where reports are saved.
//!
//! Three files are read, highest precedence first (README documents them):
//! 1. system-wide (set by IT: `/etc/fix401/config.toml`, `%ProgramData%\fix401\config.toml`,
//!    `/Library/Application Support/fix401/config.toml`),
//! 2. per user (`~/.config/fix401/config.toml`, `%APPDATA%\fix401\config.toml`,
//!    `~/Library/Application Support/fix401/config.toml`),
//! 3. next to the executable (`fix401.toml`, for a help desk that ships a folder).
//!
//! A value set by a file of higher precedence wins. Disabled actions add up across files, so a
//! user file can never re-enable what IT disabled. A file that cannot be read or parsed is an
//! error naming the file and line: fix401 never falls back to permissive defaults silently.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Action;
use crate::system::{Os, System};

/// The support contact printed in reports and shown in the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportContact {
    /// Who to contact (`IT Service Desk`).
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Web page (ticket portal).
    pub url: Option<String>,
}

/// One configuration file as written by a help desk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// URLs offered for checking (the first one is filled in when the app starts empty).
    urls: Option<Vec<String>>,
    /// Action ids that must not be offered or run.
    disabled_actions: Option<Vec<Action>>,
    /// The support contact.
    support: Option<SupportContact>,
    /// Where reports are saved.
    reports_dir: Option<PathBuf>,
}

/// The effective configuration after merging every file found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Config {
    /// URLs offered for checking.
    pub urls: Vec<String>,
    /// Actions that must not be offered or run.
    pub disabled_actions: Vec<Action>,
    /// The support contact, when one is configured.
    pub support: Option<SupportContact>,
    /// Where reports are saved, when configured.
    pub reports_dir: Option<PathBuf>,
    /// The files that were read, highest precedence first.
    pub sources: Vec<PathBuf>,
}

impl Config {
    /// True when `action` may be offered and run.
    pub fn allows(&self, action: Action) -> bool {
        !self.disabled_actions.contains(&action)
    }

    /// Loads and merges the configuration files that exist for `sys`, highest precedence
    /// first. `exe_dir` is the folder of the running executable (None to skip that file).
    pub fn load(sys: &System, exe_dir: Option<&Path>) -> Result<Config> {
        let paths = candidate_paths(sys, exe_dir);
        Config::load_from(&paths)
    }

    /// Loads and merges the given files (highest precedence first); missing files are skipped.
    pub fn load_from(paths: &[PathBuf]) -> Result<Config> {
        let mut config = Config::default();
        for path in paths {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Error::BadFile {
                        path: path.clone(),
                        message: format!("cannot read the configuration file: {e}"),
                    });
                }
            };
            let file = parse(path, &text)?;
            config.merge_lower(file);
            config.sources.push(path.clone());
        }
        Ok(config)
    }

    /// Adds a file of lower precedence than everything merged so far.
    fn merge_lower(&mut self, file: ConfigFile) {
        if self.urls.is_empty() {
            self.urls = file.urls.unwrap_or_default();
        }
        for action in file.disabled_actions.unwrap_or_default() {
            if !self.disabled_actions.contains(&action) {
                self.disabled_actions.push(action);
            }
        }
        if self.support.is_none() {
            self.support = file.support;
        }
        if self.reports_dir.is_none() {
            self.reports_dir = file.reports_dir;
        }
    }
}

/// Parses one file, turning TOML errors into a message with the line number.
fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let what = e.message().trim().to_string();
        Error::BadFile {
            path: path.to_path_buf(),
            message: match line {
                Some(line) => format!(
                    "line {line}: {what} (keys allowed: urls, disabled_actions, support, reports_dir; \
                     actions: {})",
                    action_list()
                ),
                None => what,
            },
        }
    })?;
    for url in file.urls.iter().flatten() {
        if url.trim().is_empty() {
            return Err(Error::BadFile {
                path: path.to_path_buf(),
                message: "urls: an entry is empty; remove it or write the full address".into(),
            });
        }
    }
    Ok(file)
}

fn action_list() -> String {
    Action::ALL
        .iter()
        .map(|a| a.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The configuration files for `sys`, highest precedence first.
pub fn candidate_paths(sys: &System, exe_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    match sys.os {
        Os::Linux => {
            paths.push(sys.system_file("etc/fix401/config.toml"));
            paths.push(sys.xdg_config_home().join("fix401").join("config.toml"));
        }
        Os::Macos => {
            paths.push(sys.system_file("Library/Application Support/fix401/config.toml"));
            paths.push(
                sys.home
                    .join("Library/Application Support/fix401")
                    .join("config.toml"),
            );
        }
        Os::Windows => {
            let program_data = sys
                .var("ProgramData")
                .map(PathBuf::from)
                .unwrap_or_else(|| sys.system_file("ProgramData"));
            paths.push(program_data.join("fix401").join("config.toml"));
            paths.push(sys.appdata().join("fix401").join("config.toml"));
        }
    }
    if let Some(dir) = exe_dir {
        paths.push(dir.join("fix401.toml"));
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn higher_precedence_wins_and_disabled_actions_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let system = write(
            dir.path(),
            "system.toml",
            "disabled_actions = [\"flush-dns\"]\n[support]\nname = \"IT\"\n",
        );
        let user = write(
            dir.path(),
            "user.toml",
            "urls = [\"https://intranet.example\"]\ndisabled_actions = [\"restart-browser\"]\n\
             [support]\nname = \"Me\"\nemail = \"me@example.com\"\n",
        );
        let cfg = Config::load_from(&[system.clone(), user.clone()]).unwrap();
        assert_eq!(cfg.support.as_ref().unwrap().name.as_deref(), Some("IT"));
        assert_eq!(cfg.urls, vec!["https://intranet.example".to_string()]);
        assert!(!cfg.allows(Action::FlushDns));
        assert!(!cfg.allows(Action::RestartBrowser));
        assert!(cfg.allows(Action::ClearSiteData));
        assert_eq!(cfg.sources, vec![system, user]);
    }

    #[test]
    fn bad_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.toml",
            "urls = [\"https://a.example\"]\n\ndisabled_actions = [\"format-disk\"]\n",
        );
        let err = Config::load_from(&[p]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("flush-dns"), "{msg}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn unknown_keys_are_rejected_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "c.toml", "[support]\nnmae = \"typo\"\n");
        let msg = Config::load_from(&[p]).unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn missing_files_are_skipped() {
        let cfg = Config::load_from(&[PathBuf::from("/nonexistent/fix401.toml")]).unwrap();
        assert_eq!(cfg, Config::default());
    }
}
