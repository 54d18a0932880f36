//! The layers an administrator manages outside fix401's TOML files: macOS managed preferences
//! (`com.fix401.app`, a plist a configuration profile installs) and the Windows policy key
//! `HKLM\SOFTWARE\Policies\fix401` (Group Policy, Intune). Both give (policy name, value)
//! pairs that [`Layer::from_policy_values`] checks against the one key table.

use std::path::{Path, PathBuf};

use super::schema::{Layer, RawValue};
use crate::error::{Error, Result};
use crate::system::System;

/// The macOS preference domain of fix401 (the configuration profile's `PayloadType`).
pub const MACOS_DOMAIN: &str = "com.fix401.app";

/// The Windows policy key below `HKEY_LOCAL_MACHINE`.
pub const REGISTRY_KEY: &str = r"SOFTWARE\Policies\fix401";

/// How the policy key is named as a source of configuration.
pub const REGISTRY_SOURCE: &str = r"HKLM\SOFTWARE\Policies\fix401";

/// The managed preferences of `sys`, highest precedence first: the person's own
/// (`/Library/Managed Preferences/<user>/com.fix401.app.plist`, a user-scope profile), then
/// the machine's (a device-scope profile).
pub fn macos_managed_paths(sys: &System) -> Vec<PathBuf> {
    let file = format!("{MACOS_DOMAIN}.plist");
    let user = sys.var("USER").map(str::to_string).or_else(|| {
        sys.home
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    });
    let mut paths = Vec::new();
    if let Some(user) = user.filter(|u| !u.contains(['/', '\\']) && u != "..") {
        paths.push(
            sys.system_file(
                Path::new("Library/Managed Preferences")
                    .join(user)
                    .join(&file),
            ),
        );
    }
    paths.push(sys.system_file(Path::new("Library/Managed Preferences").join(&file)));
    paths
}

/// Reads one managed-preferences plist (XML or binary); `None` when it does not exist.
pub fn read_plist(path: &Path) -> Result<Option<Layer>> {
    let bad = |message: String| Error::BadFile {
        path: path.to_path_buf(),
        message,
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(format!("cannot read the managed preferences: {e}"))),
    };
    let value = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        bad(format!(
            "not a property list ({e}); reinstall the configuration profile of {MACOS_DOMAIN}"
        ))
    })?;
    let plist::Value::Dictionary(dict) = value else {
        return Err(bad(
            "the property list is not a dictionary of fix401's keys".to_string(),
        ));
    };
    // `Payload*` keys are the profile's own bookkeeping (an MDM may leave them in the
    // domain's file), never settings: skipped, so a real profile does not fail every run.
    let pairs = dict
        .into_iter()
        .filter(|(name, _)| !name.starts_with("Payload"))
        .map(|(name, value)| (name, plist_value(value)));
    Layer::from_policy_values(pairs).map(Some).map_err(bad)
}

/// A plist value as a [`RawValue`].
fn plist_value(value: plist::Value) -> RawValue {
    match value {
        plist::Value::String(s) => RawValue::Text(s),
        plist::Value::Array(items) => {
            let mut list = Vec::new();
            for item in items {
                match item {
                    plist::Value::String(s) => list.push(s),
                    _ => return RawValue::Other("a list with an entry that is not a string"),
                }
            }
            RawValue::List(list)
        }
        plist::Value::Boolean(_) => RawValue::Other("a boolean"),
        plist::Value::Integer(_) | plist::Value::Real(_) => RawValue::Other("a number"),
        plist::Value::Dictionary(_) => RawValue::Other("a dictionary"),
        plist::Value::Date(_) => RawValue::Other("a date"),
        plist::Value::Data(_) => RawValue::Other("data"),
        _ => RawValue::Other("an unknown plist type"),
    }
}

/// A `REG_MULTI_SZ` as a list: the lone empty string of an empty value is no entry.
#[cfg_attr(not(windows), allow(dead_code))]
pub fn multi_sz(items: Vec<String>) -> RawValue {
    if items.len() == 1 && items[0].is_empty() {
        RawValue::List(Vec::new())
    } else {
        RawValue::List(items)
    }
}

/// Reads `HKLM\SOFTWARE\Policies\fix401`; `None` when the key does not exist. Only this
/// small reader is Windows code: the names and values go through the shared mapping.
#[cfg(windows)]
pub fn read_registry() -> Result<Option<Layer>> {
    use winreg::HKLM;
    use winreg::enums::RegType;
    use winreg::types::FromRegValue;

    let bad = |message: String| Error::BadFile {
        path: PathBuf::from(REGISTRY_SOURCE),
        message,
    };
    let key = match HKLM.open_subkey(REGISTRY_KEY) {
        Ok(key) => key,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(format!("cannot read the policy key: {e}"))),
    };
    let mut pairs = Vec::new();
    for entry in key.enum_values() {
        let (name, value) = entry.map_err(|e| bad(format!("cannot read a policy value: {e}")))?;
        let raw = match value.vtype {
            RegType::REG_SZ | RegType::REG_EXPAND_SZ => String::from_reg_value(&value)
                .map(RawValue::Text)
                .unwrap_or(RawValue::Other("unreadable text")),
            RegType::REG_MULTI_SZ => Vec::<String>::from_reg_value(&value)
                .map(multi_sz)
                .unwrap_or(RawValue::Other("unreadable text")),
            RegType::REG_DWORD | RegType::REG_QWORD => RawValue::Other("a number"),
            _ => RawValue::Other("binary data"),
        };
        pairs.push((name, raw));
    }
    Layer::from_policy_values(pairs).map(Some).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Action;
    use crate::system::Os;

    #[test]
    fn registry_values_become_the_layer_the_toml_gives() {
        let from_registry = Layer::from_policy_values([
            (
                "Urls".to_string(),
                multi_sz(vec!["https://a.example/".into()]),
            ),
            ("DisabledActions".to_string(), multi_sz(vec![String::new()])),
            (
                "SupportEmail".to_string(),
                RawValue::Text("it@example.com".into()),
            ),
        ])
        .unwrap();
        let from_toml = super::super::parse(
            Path::new("c.toml"),
            "urls = [\"https://a.example/\"]\ndisabled_actions = []\n\
             [support]\nemail = \"it@example.com\"\n",
        )
        .unwrap();
        assert_eq!(from_registry, from_toml);
    }

    #[test]
    fn plist_is_read_and_malformed_plist_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("com.fix401.app.plist");
        std::fs::write(
            &path,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>DisabledActions</key><array><string>clear-site-data</string></array>
<key>SupportName</key><string>IT</string>
<key>PayloadUUID</key><string>6F1D4C0E-4A54-4E0B-9E1F-000000000401</string>
</dict></plist>"#,
        )
        .unwrap();
        let layer = read_plist(&path).unwrap().unwrap();
        assert_eq!(layer.disabled_actions, Some(vec![Action::ClearSiteData]));
        std::fs::write(&path, "<plist><dict><key>Urls</key>").unwrap();
        let err = read_plist(&path).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("com.fix401.app.plist"), "{err}");
        assert_eq!(read_plist(&dir.path().join("none.plist")).unwrap(), None);
    }

    #[test]
    fn managed_paths_put_the_user_first_below_the_system_root() {
        let sys = System::simulated(Os::Macos, "/tmp/x/alice");
        let paths = macos_managed_paths(&sys);
        assert_eq!(
            paths,
            vec![
                sys.system_file("Library/Managed Preferences/alice/com.fix401.app.plist"),
                sys.system_file("Library/Managed Preferences/com.fix401.app.plist"),
            ]
        );
    }
}
