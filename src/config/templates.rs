//! Documents generated from the key table ([`schema::KEYS`]): the Windows Group Policy
//! templates (`fix401.admx`, `en-US/fix401.adml`), a sample macOS configuration profile
//! (`com.fix401.app.mobileconfig`) with the managed-preferences file it installs
//! (`com.fix401.app.plist`), and README's key table. A key added to the table appears in all
//! of them; nothing here is written by hand per key.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quick_xml::escape::escape;

use super::policy::{MACOS_DOMAIN, REGISTRY_KEY};
use super::schema::{self, KEYS, Key, Kind};
use crate::error::{Error, Result};

/// The ADMX namespace of fix401's policies.
const ADMX_NAMESPACE: &str = "fix401.Policies.fix401";

/// `fix401.admx`: one machine policy per key, under `HKLM\SOFTWARE\Policies\fix401`.
pub fn admx() -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <policyDefinitions xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" \
         schemaVersion=\"1.0\" \
         xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\">\n",
    );
    let _ = write!(
        x,
        "  <policyNamespaces>\n    <target prefix=\"fix401\" namespace=\"{ADMX_NAMESPACE}\"/>\n  \
         </policyNamespaces>\n  <resources minRequiredRevision=\"1.0\"/>\n  <supportedOn>\n    \
         <definitions>\n      <definition name=\"SUPPORTED_fix401\" \
         displayName=\"$(string.SUPPORTED_fix401)\"/>\n    </definitions>\n  </supportedOn>\n  \
         <categories>\n    <category name=\"fix401\" displayName=\"$(string.fix401)\"/>\n  \
         </categories>\n  <policies>\n"
    );
    for key in KEYS {
        let id = key.policy_name;
        let element = if key.kind.is_list() {
            format!("<multiText id=\"{id}\" valueName=\"{id}\"/>")
        } else {
            format!("<text id=\"{id}\" valueName=\"{id}\" maxLength=\"2048\"/>")
        };
        let _ = write!(
            x,
            "    <policy name=\"{id}\" class=\"Machine\" displayName=\"$(string.{id})\" \
             explainText=\"$(string.{id}_Help)\" presentation=\"$(presentation.{id})\" \
             key=\"{key}\">\n      <parentCategory ref=\"fix401\"/>\n      \
             <supportedOn ref=\"SUPPORTED_fix401\"/>\n      <elements>\n        {element}\n      \
             </elements>\n    </policy>\n",
            key = escape(REGISTRY_KEY),
        );
    }
    x.push_str("  </policies>\n</policyDefinitions>\n");
    x
}

/// `en-US/fix401.adml`: the names, help texts and input boxes the ADMX refers to.
pub fn adml() -> String {
    let mut strings = String::new();
    let mut presentations = String::new();
    let string = |out: &mut String, id: &str, text: &str| {
        let _ = writeln!(out, "      <string id=\"{id}\">{}</string>", escape(text));
    };
    string(&mut strings, "fix401", "fix401");
    string(
        &mut strings,
        "SUPPORTED_fix401",
        "fix401 0.1 and later (Windows 10 and later)",
    );
    for key in KEYS {
        let id = key.policy_name;
        string(&mut strings, id, &display_name(key));
        string(&mut strings, &format!("{id}_Help"), &help_text(key));
        let label = escape(key.name);
        let control = if key.kind.is_list() {
            format!("<multiTextBox refId=\"{id}\">{label} (one per line)</multiTextBox>")
        } else {
            format!("<textBox refId=\"{id}\"><label>{label}</label></textBox>")
        };
        let _ = writeln!(
            presentations,
            "      <presentation id=\"{id}\">\n        {control}\n      </presentation>"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <policyDefinitionResources xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" \
         schemaVersion=\"1.0\" \
         xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\">\n  \
         <displayName>fix401</displayName>\n  <description>Central policy for fix401: preset \
         URLs, disabled actions, support contact, reports folder.</description>\n  \
         <resources>\n    <stringTable>\n{strings}    </stringTable>\n    \
         <presentationTable>\n{presentations}    </presentationTable>\n  </resources>\n\
         </policyDefinitionResources>\n"
    )
}

/// The policy editor's name of a key.
fn display_name(key: &Key) -> String {
    format!("fix401: {}", key.name)
}

/// The policy editor's help text of a key.
fn help_text(key: &Key) -> String {
    let mut text = format!(
        "{}\n\nType: {}. Default: {}. TOML key: {}. Registry value: {} under HKLM\\{}.",
        key.description,
        key.kind.describe(),
        key.default,
        key.name,
        key.policy_name,
        REGISTRY_KEY
    );
    if key.kind == Kind::ActionList {
        let _ = write!(text, "\n\nAction ids: {}.", schema::action_list());
    }
    text
}

/// The managed preferences of the sample: every key with its example value.
fn example_preferences() -> plist::Dictionary {
    let mut dict = plist::Dictionary::new();
    for key in KEYS {
        let value = if key.kind.is_list() {
            plist::Value::Array(
                key.example
                    .iter()
                    .map(|s| plist::Value::String(s.to_string()))
                    .collect(),
            )
        } else {
            plist::Value::String(key.example[0].to_string())
        };
        dict.insert(key.policy_name.to_string(), value);
    }
    dict
}

/// A sample configuration profile: one custom-settings payload for `com.fix401.app` (the
/// managed preferences every key goes to). Replace the example values and, for a real
/// deployment, the UUIDs.
fn mobileconfig() -> plist::Value {
    let mut payload = example_preferences();
    for (k, v) in [
        ("PayloadType", MACOS_DOMAIN),
        ("PayloadIdentifier", "com.fix401.app.settings"),
        ("PayloadUUID", "6F1D4C0E-4A54-4E0B-9E1F-000000000401"),
        ("PayloadDisplayName", "fix401 settings"),
    ] {
        payload.insert(k.to_string(), plist::Value::String(v.to_string()));
    }
    payload.insert("PayloadVersion".into(), plist::Value::Integer(1.into()));
    let mut profile = plist::Dictionary::new();
    profile.insert(
        "PayloadContent".into(),
        plist::Value::Array(vec![plist::Value::Dictionary(payload)]),
    );
    for (k, v) in [
        ("PayloadType", "Configuration"),
        ("PayloadIdentifier", "com.fix401.app.profile"),
        ("PayloadUUID", "6F1D4C0E-4A54-4E0B-9E1F-000000000402"),
        ("PayloadDisplayName", "fix401 policy"),
        ("PayloadScope", "System"),
    ] {
        profile.insert(k.to_string(), plist::Value::String(v.to_string()));
    }
    profile.insert("PayloadVersion".into(), plist::Value::Integer(1.into()));
    plist::Value::Dictionary(profile)
}

/// README's table of keys.
pub fn markdown_table() -> String {
    let mut t = String::from(
        "| TOML key | policy name (registry value, plist key) | type | default | what it does |\n\
         |---|---|---|---|---|\n",
    );
    for key in KEYS {
        let _ = writeln!(
            t,
            "| `{}` | `{}` | {} | {} | {} |",
            key.name,
            key.policy_name,
            key.kind.describe(),
            key.default,
            key.description.replace('|', "\\|")
        );
    }
    t
}

/// Writes every template into `dir` (created when missing); returns the files written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Error::io(format!("writing {what} {}", path.display()), e)
    };
    std::fs::create_dir_all(dir.join("en-US")).map_err(|e| io("the folder", dir, e))?;
    let mut written = Vec::new();
    for (name, text) in [("fix401.admx", admx()), ("en-US/fix401.adml", adml())] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io("the template", &path, e))?;
        written.push(path);
    }
    let plists = [
        ("com.fix401.app.mobileconfig", mobileconfig()),
        (
            "com.fix401.app.plist",
            plist::Value::Dictionary(example_preferences()),
        ),
    ];
    for (name, value) in plists {
        let path = dir.join(name);
        value
            .to_file_xml(&path)
            .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_key_table_is_the_generated_one() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README's key table differs from the key table; replace it with `fix401 policy \
             keys`:\n{table}"
        );
        for key in KEYS {
            assert!(table.contains(&format!("| `{}` | `{}` |", key.name, key.policy_name)));
        }
    }

    #[test]
    fn sample_preferences_read_back_as_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_all(dir.path()).unwrap();
        assert_eq!(written.len(), 4);
        let layer = super::super::policy::read_plist(&dir.path().join("com.fix401.app.plist"))
            .unwrap()
            .unwrap();
        assert!(layer.urls.is_some() && layer.disabled_actions.is_some());
        let support = layer.support.unwrap();
        assert!(support.name.is_some() && support.email.is_some());
        assert!(support.phone.is_some() && support.url.is_some());
        assert!(layer.reports_dir.is_some());
    }
}
