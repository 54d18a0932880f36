//! Central policy: the layer an administrator manages (Linux `/etc/fix401/config.toml`,
//! macOS managed preferences `com.fix401.app`, per user and per machine) wins over the
//! person's own file, disabled actions cannot be re-enabled below it, a malformed policy is
//! an error naming the file, and the ADMX/ADML templates generated from the key table are
//! well-formed and complete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use quick_xml::events::Event;

use crate::support::TestEnv;
use crate::support::http::{Server, respond};

/// A managed-preferences plist (what a configuration profile installs) with these entries.
fn managed_plist(entries: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD \
         PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\"><dict>{entries}</dict></plist>\n"
    )
}

const USER_FILE_MACOS: &str = "Library/Application Support/fix401/config.toml";

/// The person's own file, trying to re-enable everything and set their own contact.
const USER_FILE: &str = "urls = [\"https://mine.example/\"]\ndisabled_actions = []\n\
                         [support]\nname = \"My own desk\"\n";

#[test]
fn macos_managed_preferences_win_over_the_users_file() {
    let env = TestEnv::new().os("macos");
    let managed = env.write_system(
        "Library/Managed Preferences/com.fix401.app.plist",
        managed_plist(
            "<key>DisabledActions</key><array><string>flush-dns</string></array>\
             <key>SupportName</key><string>Managed IT</string>",
        ),
    );
    env.write(USER_FILE_MACOS, USER_FILE);
    let out = env.cmd(["policy", "show", "--json"]).run().code(0);
    let cfg = out.json();
    assert_eq!(cfg["support"]["name"], "Managed IT", "{cfg:#}");
    assert_eq!(cfg["disabled_actions"], serde_json::json!(["flush-dns"]));
    // What the policy does not set still comes from the person's file.
    assert_eq!(cfg["urls"], serde_json::json!(["https://mine.example/"]));
    let managed = managed.display().to_string();
    assert_eq!(cfg["sources"][0], managed.as_str());
    assert_eq!(cfg["set_by"]["support"], managed.as_str());
    assert_eq!(
        cfg["set_by"]["disabled_actions.flush-dns"],
        managed.as_str()
    );
    assert!(
        cfg["set_by"]["urls"]
            .as_str()
            .unwrap()
            .ends_with(USER_FILE_MACOS)
    );
}

#[test]
fn macos_per_user_managed_preferences_win_over_the_machines() {
    let env = TestEnv::new().os("macos");
    env.write_system(
        "Library/Managed Preferences/com.fix401.app.plist",
        managed_plist(
            "<key>SupportName</key><string>Machine IT</string>\
             <key>DisabledActions</key><array><string>retry</string></array>",
        ),
    );
    // The simulated home's folder is `home`: the person's account name.
    env.write_system(
        "Library/Managed Preferences/home/com.fix401.app.plist",
        managed_plist(
            "<key>SupportName</key><string>Team IT</string>\
             <key>DisabledActions</key><array><string>flush-dns</string></array>",
        ),
    );
    let cfg = env.cmd(["policy", "show", "--json"]).run().code(0).json();
    assert_eq!(cfg["support"]["name"], "Team IT", "{cfg:#}");
    assert_eq!(
        cfg["disabled_actions"],
        serde_json::json!(["flush-dns", "retry"])
    );
}

#[test]
fn linux_etc_wins_over_the_users_file() {
    let env = TestEnv::new();
    let system = env.write_system(
        "etc/fix401/config.toml",
        "disabled_actions = [\"flush-dns\"]\n[support]\nname = \"IT (etc)\"\n",
    );
    env.write(".config/fix401/config.toml", USER_FILE);
    let cfg = env.cmd(["policy", "show", "--json"]).run().code(0).json();
    assert_eq!(cfg["support"]["name"], "IT (etc)", "{cfg:#}");
    assert_eq!(cfg["disabled_actions"], serde_json::json!(["flush-dns"]));
    assert_eq!(
        cfg["set_by"]["disabled_actions.flush-dns"],
        system.display().to_string().as_str()
    );
}

#[test]
fn an_action_the_policy_disables_is_not_run_even_when_the_user_file_allows_it() {
    let server = Server::http(|_, _| {
        respond(
            401,
            &[("WWW-Authenticate", b"Basic realm=\"intranet\"")],
            b"no",
        )
    });
    let env = TestEnv::new().os("macos");
    env.write_system(
        "Library/Managed Preferences/com.fix401.app.plist",
        managed_plist("<key>DisabledActions</key><array><string>flush-dns</string></array>"),
    );
    env.write(USER_FILE_MACOS, USER_FILE);
    let out = env
        .cmd(["fix", &server.url("/"), "--dns", "--yes", "--json"])
        .run()
        .code(1);
    let report = out.json();
    let flush = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "flush-dns")
        .unwrap_or_else(|| panic!("flush-dns listed: {report:#}"));
    assert_eq!(flush["status"], "disabled", "{report:#}");
}

#[test]
fn a_malformed_policy_is_an_error_naming_the_file() {
    let env = TestEnv::new().os("macos");
    env.write_system(
        "Library/Managed Preferences/com.fix401.app.plist",
        "<plist><dict><key>Urls</key>",
    );
    env.write(USER_FILE_MACOS, USER_FILE);
    for args in [vec!["policy", "show"], vec!["fix", "--yes"]] {
        env.cmd(args)
            .run()
            .code(2)
            .stderr_has("Library/Managed Preferences/com.fix401.app.plist");
    }
    let env = TestEnv::new().os("macos");
    env.write_system(
        "Library/Managed Preferences/com.fix401.app.plist",
        managed_plist("<key>DisabledActions</key><string>flush-dns</string>"),
    );
    env.cmd(["policy", "show"])
        .run()
        .code(2)
        .stderr_has("com.fix401.app.plist: DisabledActions: expected list of action ids");
    let env = TestEnv::new();
    env.write_system(
        "etc/fix401/config.toml",
        "disabled_actions = [\"reboot\"]\n",
    );
    env.cmd(["policy", "show"])
        .run()
        .code(2)
        .stderr_has("etc/fix401/config.toml: line 1: disabled_actions: unknown action");
}

/// Every element of `xml` as (name, attributes); panics unless it is well-formed to the end.
fn elements(xml: &str, file: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut open = Vec::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{file} is not well-formed XML: {e}"));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap_or_else(|e| panic!("{file}: bad attribute: {e}"));
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.unescape_value().unwrap().into_owned(),
                        )
                    })
                    .collect();
                if matches!(event, Event::Start(_)) {
                    open.push(name.clone());
                }
                out.push((name, attrs));
            }
            Event::End(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                assert_eq!(open.pop().as_deref(), Some(name.as_str()), "{file}");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(open.is_empty(), "{file}: unclosed {open:?}");
    out
}

/// The policy names of `fix401 policy keys` (the table README carries).
fn policy_names(env: &TestEnv) -> BTreeSet<String> {
    let table = env.cmd(["policy", "keys"]).run().code(0).stdout;
    table
        .lines()
        .skip(2)
        .map(|row| {
            row.split('|')
                .nth(2)
                .unwrap()
                .trim()
                .trim_matches('`')
                .to_string()
        })
        .collect()
}

#[test]
fn admx_and_adml_are_well_formed_and_have_every_key() {
    let env = TestEnv::new();
    let dir = env.data_dir().join("templates");
    let out = env
        .cmd([
            "policy",
            "templates",
            "--json",
            "--out",
            dir.to_str().unwrap(),
        ])
        .run()
        .code(0);
    let written = out.json()["written"].as_array().unwrap().len();
    assert_eq!(written, 4);
    let keys = policy_names(&env);
    assert!(
        keys.contains("DisabledActions") && keys.contains("SupportName"),
        "{keys:?}"
    );

    let admx = std::fs::read_to_string(dir.join("fix401.admx")).unwrap();
    let adml = std::fs::read_to_string(dir.join("en-US/fix401.adml")).unwrap();
    let admx = elements(&admx, "fix401.admx");
    let adml = elements(&adml, "fix401.adml");
    assert_eq!(admx[0].0, "policyDefinitions");
    assert_eq!(adml[0].0, "policyDefinitionResources");

    let strings: BTreeSet<&str> = adml
        .iter()
        .filter(|(n, _)| n == "string")
        .map(|(_, a)| a["id"].as_str())
        .collect();
    let presentations: BTreeMap<&str, usize> = adml
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| n == "presentation")
        .map(|(i, (_, a))| (a["id"].as_str(), i))
        .collect();
    // Every $(string.X) / $(presentation.X) the ADMX refers to exists in the ADML.
    for (_, attrs) in &admx {
        for value in attrs.values() {
            if let Some(id) = value.strip_prefix("$(string.") {
                let id = id.trim_end_matches(')');
                assert!(strings.contains(id), "ADML lacks string {id}");
            }
            if let Some(id) = value.strip_prefix("$(presentation.") {
                let id = id.trim_end_matches(')');
                assert!(
                    presentations.contains_key(id),
                    "ADML lacks presentation {id}"
                );
            }
        }
    }
    // One machine policy per key, on the policy key, with one element writing the value.
    let mut policies = BTreeSet::new();
    for (i, (name, attrs)) in admx.iter().enumerate() {
        if name != "policy" {
            continue;
        }
        let id = attrs["name"].clone();
        assert_eq!(attrs["key"], r"SOFTWARE\Policies\fix401", "{id}");
        assert_eq!(attrs["class"], "Machine", "{id}");
        let element = admx[i + 1..]
            .iter()
            .take_while(|(n, _)| n != "policy")
            .find(|(n, _)| n == "text" || n == "multiText")
            .unwrap_or_else(|| panic!("{id} has no text element"));
        assert_eq!(element.1["valueName"], id);
        // Its presentation's box refers to that element.
        let p = presentations[attrs["presentation"]
            .trim_start_matches("$(presentation.")
            .trim_end_matches(')')];
        let control = &adml[p + 1];
        assert_eq!(control.1["refId"], element.1["id"], "{id}");
        assert_eq!(
            control.0,
            if element.0 == "text" {
                "textBox"
            } else {
                "multiTextBox"
            }
        );
        policies.insert(id);
    }
    assert_eq!(policies, keys);
}

#[test]
fn the_sample_profile_plist_is_what_fix401_reads() {
    let env = TestEnv::new().os("macos");
    let dir = env.data_dir().join("templates");
    env.cmd(["policy", "templates", "--out", dir.to_str().unwrap()])
        .run()
        .code(0);
    let sample = std::fs::read(dir.join("com.fix401.app.plist")).unwrap();
    assert!(Path::new(&dir.join("com.fix401.app.mobileconfig")).is_file());
    env.write_system("Library/Managed Preferences/com.fix401.app.plist", sample);
    let cfg = env.cmd(["policy", "show", "--json"]).run().code(0).json();
    assert_eq!(cfg["support"]["name"], "IT Service Desk", "{cfg:#}");
    assert_eq!(
        cfg["disabled_actions"],
        serde_json::json!(["flush-dns", "restart-browser"])
    );
}
