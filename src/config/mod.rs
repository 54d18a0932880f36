//! Help-desk configuration: presets the URLs to check, disables actions, names the support
//! contact shown in reports and says where reports are saved.
//!
//! The layers, highest precedence first (README documents them):
//! 0. what an administrator manages outside fix401's files: the Windows policy key
//!    `HKLM\SOFTWARE\Policies\fix401` (Group Policy, Intune), macOS managed preferences
//!    `com.fix401.app` (per user, then per machine: a configuration profile),
//! 1. the system-wide TOML file (set by IT: `/etc/fix401/config.toml`,
//!    `%ProgramData%\fix401\config.toml`, `/Library/Application Support/fix401/config.toml`),
//! 2. per user (`~/.config/fix401/config.toml`, `%APPDATA%\fix401\config.toml`,
//!    `~/Library/Application Support/fix401/config.toml`),
//! 3. next to the executable (`fix401.toml`, for a help desk that ships a folder).
//!
//! A value set by a layer of higher precedence wins. Disabled actions add up across layers,
//! so a user file can never re-enable what IT disabled. Every layer is checked against the
//! one key table ([`schema::KEYS`]); a source that cannot be read or parsed is an error
//! naming it (and the line): fix401 never falls back to permissive defaults silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

use crate::error::{Error, Result};
use crate::model::Action;
use crate::system::{Os, System};

pub mod policy;
pub mod schema;
pub mod templates;

use schema::{Layer, RawValue};

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

/// The effective configuration after merging every source found.
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
    /// The sources that were read (files, the Windows policy key), highest precedence first.
    pub sources: Vec<PathBuf>,
    /// Which source set what is in force: `urls`, `reports_dir`, `support` (the contact is
    /// taken whole from one layer), and `disabled_actions.<id>` for each disabled action
    /// (the highest source that disabled it).
    pub set_by: BTreeMap<String, PathBuf>,
}

/// Where one layer of configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A TOML file.
    Toml(PathBuf),
    /// macOS managed preferences.
    ManagedPreferences(PathBuf),
    /// `HKLM\SOFTWARE\Policies\fix401` (Windows, the live machine only).
    #[cfg_attr(not(windows), allow(dead_code))]
    PolicyRegistry,
}

impl Source {
    /// How reports name it.
    fn name(&self) -> PathBuf {
        match self {
            Source::Toml(p) | Source::ManagedPreferences(p) => p.clone(),
            Source::PolicyRegistry => PathBuf::from(policy::REGISTRY_SOURCE),
        }
    }

    /// Its layer; `None` when it does not exist.
    fn read(&self) -> Result<Option<Layer>> {
        match self {
            Source::Toml(path) => read_toml(path),
            Source::ManagedPreferences(path) => policy::read_plist(path),
            #[cfg(windows)]
            Source::PolicyRegistry => policy::read_registry(),
            #[cfg(not(windows))]
            Source::PolicyRegistry => Ok(None),
        }
    }
}

impl Config {
    /// True when `action` may be offered and run.
    pub fn allows(&self, action: Action) -> bool {
        !self.disabled_actions.contains(&action)
    }

    /// Loads and merges every source of configuration that exists for `sys`, highest
    /// precedence first. `exe_dir` is the folder of the running executable (None to skip
    /// that file).
    pub fn load(sys: &System, exe_dir: Option<&Path>) -> Result<Config> {
        Config::merge(&sources(sys, exe_dir))
    }

    /// Loads and merges the given TOML files (highest precedence first); missing files are
    /// skipped.
    pub fn load_from(paths: &[PathBuf]) -> Result<Config> {
        let sources: Vec<Source> = paths.iter().cloned().map(Source::Toml).collect();
        Config::merge(&sources)
    }

    fn merge(sources: &[Source]) -> Result<Config> {
        let mut config = Config::default();
        for source in sources {
            if let Some(layer) = source.read()? {
                let name = source.name();
                config.merge_lower(layer, &name);
                config.sources.push(name);
            }
        }
        Ok(config)
    }

    /// Adds a layer of lower precedence than everything merged so far: it sets only what no
    /// higher layer set, except disabled actions, which add up.
    fn merge_lower(&mut self, layer: Layer, source: &Path) {
        let claim = |config: &mut Config, key: &str| -> bool {
            if config.set_by.contains_key(key) {
                return false;
            }
            config.set_by.insert(key.to_string(), source.to_path_buf());
            true
        };
        if let Some(urls) = layer.urls {
            if claim(self, "urls") {
                self.urls = urls;
            }
        }
        for action in layer.disabled_actions.unwrap_or_default() {
            if claim(self, &format!("disabled_actions.{}", action.id())) {
                self.disabled_actions.push(action);
            }
        }
        if let Some(dir) = layer.reports_dir {
            if claim(self, "reports_dir") {
                self.reports_dir = Some(dir);
            }
        }
        // The contact is taken whole from one layer: a user file must not put its own
        // e-mail address next to the name IT set.
        if let Some(support) = layer.support {
            if claim(self, "support") {
                self.support = Some(support);
            }
        }
    }
}

/// Reads one TOML file; `None` when it does not exist.
fn read_toml(path: &Path) -> Result<Option<Layer>> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::BadFile {
            path: path.to_path_buf(),
            message: format!("cannot read the configuration file: {e}"),
        }),
    }
}

/// Parses one TOML file against the key table; every error names the line.
fn parse(path: &Path, text: &str) -> Result<Layer> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let bad = |offset: usize, what: String| Error::BadFile {
        path: path.to_path_buf(),
        message: format!("line {}: {what}", line_of(offset)),
    };
    let table = DeTable::parse(text).map_err(|e| {
        let what = e.message().trim().to_string();
        match e.span() {
            Some(span) => bad(span.start, what),
            None => Error::BadFile {
                path: path.to_path_buf(),
                message: what,
            },
        }
    })?;
    let mut layer = Layer::default();
    walk(table.get_ref(), "", &mut layer, &bad)?;
    Ok(layer)
}

/// Sets every key of `table` (below the dotted `prefix`) in `layer`.
fn walk(
    table: &DeTable<'_>,
    prefix: &str,
    layer: &mut Layer,
    bad: &dyn Fn(usize, String) -> Error,
) -> Result<()> {
    for (key, value) in table.iter() {
        let name = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        let at = value.span().start;
        if let DeValue::Table(inner) = value.get_ref() {
            if schema::is_table(&name) {
                walk(inner, &name, layer, bad)?;
                continue;
            }
        }
        let Some(schema_key) = schema::by_name(&name) else {
            return Err(bad(
                key.span().start,
                format!(
                    "unknown key {name:?} (keys allowed: {}; actions: {})",
                    schema::names(),
                    schema::action_list()
                ),
            ));
        };
        layer
            .set(schema_key, toml_value(value.get_ref()))
            .map_err(|e| bad(at, format!("{name}: {e}")))?;
    }
    Ok(())
}

/// A TOML value as a [`RawValue`].
fn toml_value(value: &DeValue<'_>) -> RawValue {
    match value {
        DeValue::String(s) => RawValue::Text(s.to_string()),
        DeValue::Array(items) => {
            let mut list = Vec::new();
            for item in items.iter() {
                match item.get_ref() {
                    DeValue::String(s) => list.push(s.to_string()),
                    _ => return RawValue::Other("a list with an entry that is not a string"),
                }
            }
            RawValue::List(list)
        }
        DeValue::Integer(_) | DeValue::Float(_) => RawValue::Other("a number"),
        DeValue::Boolean(_) => RawValue::Other("a boolean"),
        DeValue::Datetime(_) => RawValue::Other("a date"),
        DeValue::Table(_) => RawValue::Other("a table"),
    }
}

/// The sources of configuration for `sys`, highest precedence first: what an administrator
/// manages (Windows policy key, macOS managed preferences), the system-wide file, the
/// person's file, the file next to the executable.
fn sources(sys: &System, exe_dir: Option<&Path>) -> Vec<Source> {
    let mut sources = Vec::new();
    match sys.os {
        // The live registry is this machine's: never applied to a simulated or mounted home.
        Os::Windows if sys.live && cfg!(windows) => sources.push(Source::PolicyRegistry),
        Os::Macos => sources.extend(
            policy::macos_managed_paths(sys)
                .into_iter()
                .map(Source::ManagedPreferences),
        ),
        _ => {}
    }
    sources.extend(candidate_paths(sys, exe_dir).into_iter().map(Source::Toml));
    sources
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

    #[test]
    fn set_by_names_the_layer_of_each_value() {
        let dir = tempfile::tempdir().unwrap();
        let system = write(
            dir.path(),
            "system.toml",
            "disabled_actions = [\"flush-dns\"]\n[support]\nname = \"IT\"\n",
        );
        let user = write(
            dir.path(),
            "user.toml",
            "urls = []\ndisabled_actions = [\"flush-dns\", \"retry\"]\n[support]\nemail = \"me@x\"\n",
        );
        let cfg = Config::load_from(&[system.clone(), user.clone()]).unwrap();
        assert_eq!(cfg.set_by["disabled_actions.flush-dns"], system);
        assert_eq!(cfg.set_by["disabled_actions.retry"], user);
        assert_eq!(cfg.set_by["support"], system);
        assert_eq!(cfg.set_by["urls"], user);
        // The contact is IT's, whole: the user's e-mail is not mixed in.
        assert_eq!(cfg.support.unwrap().email, None);
    }

    #[test]
    fn wrong_types_name_the_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "c.toml", "\nurls = \"https://a.example/\"\n");
        let msg = Config::load_from(&[p]).unwrap_err().to_string();
        assert!(
            msg.contains("line 2: urls: expected list of strings, found a string"),
            "{msg}"
        );
        let p = write(dir.path(), "d.toml", "support = \"IT\"\n");
        let msg = Config::load_from(&[p]).unwrap_err().to_string();
        assert!(msg.contains("unknown key \"support\""), "{msg}");
    }

    #[test]
    fn macos_managed_preferences_are_the_top_layer() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("alice");
        std::fs::create_dir_all(home.join("Library/Application Support/fix401")).unwrap();
        let mut sys = System::simulated(Os::Macos, &home);
        sys.system_root = dir.path().join("root");
        let managed = sys.system_file("Library/Managed Preferences/com.fix401.app.plist");
        std::fs::create_dir_all(managed.parent().unwrap()).unwrap();
        std::fs::write(
            &managed,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\
             <key>DisabledActions</key><array><string>clear-site-data</string></array>\
             <key>SupportName</key><string>Managed IT</string></dict></plist>",
        )
        .unwrap();
        write(
            &home.join("Library/Application Support/fix401"),
            "config.toml",
            "disabled_actions = []\n[support]\nname = \"Me\"\n",
        );
        let cfg = Config::load(&sys, None).unwrap();
        assert!(!cfg.allows(Action::ClearSiteData));
        assert_eq!(cfg.support.unwrap().name.as_deref(), Some("Managed IT"));
        assert_eq!(cfg.sources[0], managed);
        assert_eq!(cfg.set_by["support"], managed);
    }

    #[test]
    fn the_policy_registry_is_only_read_on_the_live_machine() {
        let sys = System::simulated(Os::Windows, "/tmp/nobody");
        assert!(!sources(&sys, None).contains(&Source::PolicyRegistry));
    }
}
