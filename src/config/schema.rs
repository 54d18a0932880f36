//! The one table of configuration keys. Every source of configuration (the TOML files, the
//! Windows policy registry key, macOS managed preferences) is checked against it, and every
//! document about the keys (README's table, the ADMX/ADML templates, the sample macOS
//! profile) is generated from it, so a key cannot exist in one place and be missing in another.

use std::path::PathBuf;

use super::SupportContact;
use crate::model::Action;

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// A folder or file path.
    Path,
    /// A list of texts (URLs).
    TextList,
    /// A list of action ids.
    ActionList,
}

impl Kind {
    /// The type as README names it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Path => "path (string)",
            Kind::TextList => "list of strings",
            Kind::ActionList => "list of action ids",
        }
    }

    /// True for the list kinds (a `multiText` policy, a plist array).
    pub fn is_list(self) -> bool {
        matches!(self, Kind::TextList | Kind::ActionList)
    }
}

/// Which part of a [`Layer`] a key sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `urls`
    Urls,
    /// `disabled_actions`
    DisabledActions,
    /// `reports_dir`
    ReportsDir,
    /// `support.name`
    SupportName,
    /// `support.email`
    SupportEmail,
    /// `support.phone`
    SupportPhone,
    /// `support.url`
    SupportUrl,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The TOML key, dotted below a table (`support.name` is `name` in `[support]`).
    pub name: &'static str,
    /// The name outside TOML: the registry value under `HKLM\SOFTWARE\Policies\fix401` and
    /// the key of the macOS managed preferences `com.fix401.app`.
    pub policy_name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// For people (README, the policy editor's help text).
    pub description: &'static str,
    /// What applies when no source sets it.
    pub default: &'static str,
    /// A sample value (one entry for text kinds), used in the sample profile.
    pub example: &'static [&'static str],
    /// Where it goes.
    pub field: Field,
}

/// Every key, in README's order.
pub const KEYS: &[Key] = &[
    Key {
        name: "urls",
        policy_name: "Urls",
        kind: Kind::TextList,
        description: "URLs offered for checking; `fix401 fix` without a URL checks the first one.",
        default: "none",
        example: &["https://intranet.example.com/"],
        field: Field::Urls,
    },
    Key {
        name: "disabled_actions",
        policy_name: "DisabledActions",
        kind: Kind::ActionList,
        description: "Actions that are never offered or run. They add up across every source: \
                      a lower layer cannot re-enable what a higher one disables.",
        default: "none",
        example: &["flush-dns", "restart-browser"],
        field: Field::DisabledActions,
    },
    Key {
        name: "reports_dir",
        policy_name: "ReportsDir",
        kind: Kind::Path,
        description: "Where every `fix401 fix` report is saved (Markdown + JSON), created when \
                      missing; the app saves reports there without asking.",
        default: "ask (the app), none (the CLI)",
        example: &["/var/log/fix401"],
        field: Field::ReportsDir,
    },
    Key {
        name: "support.name",
        policy_name: "SupportName",
        kind: Kind::Text,
        description: "Who to contact, shown in every report and in the app.",
        default: "none",
        example: &["IT Service Desk"],
        field: Field::SupportName,
    },
    Key {
        name: "support.email",
        policy_name: "SupportEmail",
        kind: Kind::Text,
        description: "The support contact's e-mail address.",
        default: "none",
        example: &["servicedesk@example.com"],
        field: Field::SupportEmail,
    },
    Key {
        name: "support.phone",
        policy_name: "SupportPhone",
        kind: Kind::Text,
        description: "The support contact's phone number.",
        default: "none",
        example: &["+1 555 0100"],
        field: Field::SupportPhone,
    },
    Key {
        name: "support.url",
        policy_name: "SupportUrl",
        kind: Kind::Text,
        description: "The support contact's web page (ticket portal).",
        default: "none",
        example: &["https://help.example.com/ticket"],
        field: Field::SupportUrl,
    },
];

/// The key with this TOML name (`support.name`).
pub fn by_name(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The key with this policy name; case-insensitive, as registry value names are.
pub fn by_policy_name(name: &str) -> Option<&'static Key> {
    KEYS.iter()
        .find(|k| k.policy_name.eq_ignore_ascii_case(name))
}

/// True when `prefix` names a TOML table of the schema (`support`).
pub fn is_table(prefix: &str) -> bool {
    KEYS.iter().any(|k| {
        k.name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The TOML names, for messages.
pub fn names() -> String {
    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// The policy names, for messages.
pub fn policy_names() -> String {
    KEYS.iter()
        .map(|k| k.policy_name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every action id, for messages.
pub fn action_list() -> String {
    Action::ALL
        .iter()
        .map(|a| a.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as a source gives it, before it is checked against its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// A string (TOML string, `REG_SZ`, plist `<string>`).
    Text(String),
    /// A list whose entries are all strings (TOML array, `REG_MULTI_SZ`, plist `<array>`).
    List(Vec<String>),
    /// Anything else, by what it is ("an integer", "a table"): always wrong for fix401's keys.
    Other(&'static str),
}

/// What one source (one file, the policy registry key) sets; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// `urls`
    pub urls: Option<Vec<String>>,
    /// `disabled_actions`
    pub disabled_actions: Option<Vec<Action>>,
    /// `[support]`
    pub support: Option<SupportContact>,
    /// `reports_dir`
    pub reports_dir: Option<PathBuf>,
}

impl Layer {
    /// Sets `key` from `value`, checked against the key's kind. The error says what was
    /// wrong without naming the key or the file (the caller adds where).
    pub fn set(&mut self, key: &Key, value: RawValue) -> Result<(), String> {
        let found = match &value {
            RawValue::Text(_) => "a string",
            RawValue::List(_) => "a list",
            RawValue::Other(what) => what,
        };
        match (key.kind, value) {
            (Kind::Text | Kind::Path, RawValue::Text(text)) => {
                let support = self.support.get_or_insert_with(SupportContact::default);
                match key.field {
                    Field::ReportsDir => self.reports_dir = Some(PathBuf::from(text)),
                    Field::SupportName => support.name = Some(text),
                    Field::SupportEmail => support.email = Some(text),
                    Field::SupportPhone => support.phone = Some(text),
                    Field::SupportUrl => support.url = Some(text),
                    Field::Urls | Field::DisabledActions => {
                        return Err("the key table gives a list field a text kind".into());
                    }
                }
                if self.support == Some(SupportContact::default()) {
                    self.support = None;
                }
            }
            (Kind::TextList, RawValue::List(items)) => {
                if items.iter().any(|i| i.trim().is_empty()) {
                    return Err("an entry is empty; remove it or write the full address".into());
                }
                self.urls = Some(items);
            }
            (Kind::ActionList, RawValue::List(items)) => {
                let mut actions = Vec::new();
                for item in items {
                    let action = Action::from_id(item.trim()).ok_or_else(|| {
                        format!("unknown action {item:?} (actions: {})", action_list())
                    })?;
                    actions.push(action);
                }
                self.disabled_actions = Some(actions);
            }
            (kind, _) => return Err(format!("expected {}, found {found}", kind.describe())),
        }
        Ok(())
    }

    /// The layer from (policy name, value) pairs, as the Windows policy registry key and
    /// macOS managed preferences give them. The error names the value that is wrong.
    pub fn from_policy_values(
        values: impl IntoIterator<Item = (String, RawValue)>,
    ) -> Result<Layer, String> {
        let mut layer = Layer::default();
        for (name, value) in values {
            let key = by_policy_name(&name).ok_or_else(|| {
                format!(
                    "unknown value {name:?} (values allowed: {})",
                    policy_names()
                )
            })?;
            layer.set(key, value).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_takes_its_example_and_names_are_unique() {
        for key in KEYS {
            let value = if key.kind.is_list() {
                RawValue::List(key.example.iter().map(|s| s.to_string()).collect())
            } else {
                RawValue::Text(key.example[0].to_string())
            };
            let mut layer = Layer::default();
            layer
                .set(key, value)
                .unwrap_or_else(|e| panic!("{}: {e}", key.name));
            assert_ne!(layer, Layer::default(), "{} set nothing", key.name);
            assert_eq!(KEYS.iter().filter(|k| k.name == key.name).count(), 1);
            assert_eq!(
                KEYS.iter()
                    .filter(|k| k.policy_name.eq_ignore_ascii_case(key.policy_name))
                    .count(),
                1
            );
        }
    }

    #[test]
    fn policy_values_map_to_the_layer_case_insensitively() {
        let layer = Layer::from_policy_values([
            (
                "urls".to_string(),
                RawValue::List(vec!["https://a.example/".into()]),
            ),
            (
                "DisabledActions".to_string(),
                RawValue::List(vec!["flush-dns".into(), "clear-site-data".into()]),
            ),
            ("SupportName".to_string(), RawValue::Text("IT".into())),
            (
                "ReportsDir".to_string(),
                RawValue::Text(r"C:\Reports".into()),
            ),
        ])
        .unwrap();
        assert_eq!(layer.urls, Some(vec!["https://a.example/".to_string()]));
        assert_eq!(
            layer.disabled_actions,
            Some(vec![Action::FlushDns, Action::ClearSiteData])
        );
        assert_eq!(layer.support.unwrap().name.as_deref(), Some("IT"));
        assert_eq!(layer.reports_dir, Some(PathBuf::from(r"C:\Reports")));
    }

    #[test]
    fn wrong_policy_values_are_named() {
        let err = Layer::from_policy_values([("Colour".to_string(), RawValue::Text("x".into()))])
            .unwrap_err();
        assert!(
            err.contains("\"Colour\"") && err.contains("DisabledActions"),
            "{err}"
        );
        let err = Layer::from_policy_values([(
            "DisabledActions".to_string(),
            RawValue::Text("flush-dns".into()),
        )])
        .unwrap_err();
        assert!(
            err.starts_with("DisabledActions: expected list of action ids, found a string"),
            "{err}"
        );
        let err = Layer::from_policy_values([(
            "DisabledActions".to_string(),
            RawValue::List(vec!["reboot".into()]),
        )])
        .unwrap_err();
        assert!(
            err.contains("unknown action \"reboot\"") && err.contains("flush-dns"),
            "{err}"
        );
        let err =
            Layer::from_policy_values([("SupportPhone".to_string(), RawValue::Other("a number"))])
                .unwrap_err();
        assert_eq!(err, "SupportPhone: expected string, found a number");
    }
}
