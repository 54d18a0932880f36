//! Firefox's route per profile: `prefs.js`, then `user.js` over it, then the enterprise
//! `Proxy` / `DNSOverHTTPS` policies of `policies.json` (locked policies win over both).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{BrowserSettings, Doh, Manual, ProxyServer, Setting};
use crate::browsers::Installation;
use crate::system::{Os, System};

/// One preference value.
#[derive(Debug, Clone, PartialEq)]
pub enum Pref {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl Pref {
    fn as_str(&self) -> Option<&str> {
        match self {
            Pref::Str(s) => Some(s),
            _ => None,
        }
    }
    fn as_int(&self) -> Option<i64> {
        match self {
            Pref::Int(i) => Some(*i),
            Pref::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Pref::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Reads `user_pref("name", value);` (and `pref(…)`) lines, as Firefox writes `prefs.js`
/// and people write `user.js`. Lines that are not preferences are skipped.
pub fn parse_prefs(text: &str) -> HashMap<String, Pref> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line
            .strip_prefix("user_pref(")
            .or_else(|| line.strip_prefix("pref("))
            .or_else(|| line.strip_prefix("lockPref("))
        else {
            continue;
        };
        let Some(rest) = rest.trim_end().strip_suffix(';') else {
            continue;
        };
        let Some(rest) = rest.trim_end().strip_suffix(')') else {
            continue;
        };
        let Some((name, after)) = string_literal(rest.trim_start()) else {
            continue;
        };
        let Some(value) = after.trim_start().strip_prefix(',') else {
            continue;
        };
        let value = value.trim();
        let v = if let Some((s, tail)) = string_literal(value) {
            if !tail.trim().is_empty() {
                continue;
            }
            Pref::Str(s)
        } else if value == "true" {
            Pref::Bool(true)
        } else if value == "false" {
            Pref::Bool(false)
        } else if let Ok(i) = value.parse::<i64>() {
            Pref::Int(i)
        } else {
            continue;
        };
        out.insert(name, v);
    }
    out
}

/// A double- or single-quoted JavaScript string at the start of `s`: its value and the rest.
pub(crate) fn string_literal(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next().map(|x| x.1)).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c if c == quote => return Some((out, &s[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// Where enterprise policies are read on each OS (below the system root), in order.
pub fn policy_paths(os: Os) -> &'static [&'static str] {
    match os {
        Os::Linux => &[
            "etc/firefox/policies/policies.json",
            "usr/lib/firefox-esr/distribution/policies.json",
            "usr/lib/firefox/distribution/policies.json",
        ],
        Os::Windows => &[
            "Program Files/Mozilla Firefox/distribution/policies.json",
            "Program Files (x86)/Mozilla Firefox/distribution/policies.json",
        ],
        Os::Macos => &["Applications/Firefox.app/Contents/Resources/distribution/policies.json"],
    }
}

/// The `policies` object of the first `policies.json` found, with its path.
pub(crate) fn policies(sys: &System) -> Option<(serde_json::Value, PathBuf)> {
    for rel in policy_paths(sys.os) {
        let path = sys.system_file(rel);
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(p) = v.get("policies")
        {
            return Some((p.clone(), path));
        }
    }
    None
}

/// The setting of one profile from its preferences (already merged, `user.js` last).
pub fn setting_from_prefs(prefs: &HashMap<String, Pref>) -> Setting {
    let get = |k: &str| prefs.get(k);
    let s = |k: &str| {
        get(k)
            .and_then(Pref::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let i = |k: &str| get(k).and_then(Pref::as_int).unwrap_or(0);
    let b = |k: &str, d: bool| get(k).and_then(Pref::as_bool).unwrap_or(d);
    // Firefox's default is 5: the system settings.
    match get("network.proxy.type")
        .and_then(Pref::as_int)
        .unwrap_or(5)
    {
        0 => Setting::Direct,
        1 => {
            let http = ProxyServer::from_parts(
                "http",
                &s("network.proxy.http"),
                i("network.proxy.http_port"),
            );
            let share = b("network.proxy.share_proxy_settings", false);
            let https = if share {
                http.clone()
            } else {
                ProxyServer::from_parts(
                    "http",
                    &s("network.proxy.ssl"),
                    i("network.proxy.ssl_port"),
                )
            };
            let version = get("network.proxy.socks_version")
                .and_then(Pref::as_int)
                .unwrap_or(5);
            let remote_dns = b("network.proxy.socks_remote_dns", false);
            let socks = ProxyServer::from_parts(
                socks_scheme(version == 4, remote_dns),
                &s("network.proxy.socks"),
                i("network.proxy.socks_port"),
            );
            Setting::Manual(Manual {
                http,
                https,
                socks,
                socks_remote_dns: remote_dns,
                bypass: split_list(&s("network.proxy.no_proxies_on")),
                bypass_loopback: !b("network.proxy.allow_hijacking_localhost", false),
            })
        }
        2 => Setting::Pac {
            url: s("network.proxy.autoconfig_url"),
        },
        4 => Setting::AutoDetect,
        _ => Setting::System,
    }
}

/// DNS-over-HTTPS from `network.trr.mode` / `network.trr.uri`.
pub fn doh_from_prefs(prefs: &HashMap<String, Pref>) -> Option<Doh> {
    let mode = prefs.get("network.trr.mode").and_then(Pref::as_int)?;
    let mode = match mode {
        0 | 5 => "off".to_string(),
        2 => "first".to_string(),
        3 => "only".to_string(),
        other => format!("mode {other}"),
    };
    Some(Doh {
        mode,
        uri: prefs
            .get("network.trr.uri")
            .and_then(Pref::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    })
}

/// The `Proxy` policy as a setting (`Mode`: none, system, manual, autoDetect, autoConfig),
/// and whether it is locked.
pub fn setting_from_policy(p: &serde_json::Value) -> Option<(Setting, bool)> {
    let proxy = p.get("Proxy")?;
    let s = |k: &str| proxy.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let locked = proxy
        .get("Locked")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let setting = match s("Mode") {
        "none" => Setting::Direct,
        "manual" => {
            let http = ProxyServer::parse(s("HTTPProxy"), "http");
            let share = proxy
                .get("UseHTTPProxyForAllProtocols")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let https = if share {
                http.clone()
            } else {
                ProxyServer::parse(s("SSLProxy"), "http")
            };
            let v4 = proxy.get("SOCKSVersion").and_then(|v| v.as_i64()) == Some(4);
            let remote_dns = proxy
                .get("UseProxyForDNS")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            Setting::Manual(Manual {
                http,
                https,
                socks: ProxyServer::parse(s("SOCKSProxy"), socks_scheme(v4, remote_dns)),
                socks_remote_dns: remote_dns,
                bypass: split_list(s("Passthrough")),
                bypass_loopback: true,
            })
        }
        "autoConfig" => Setting::Pac {
            url: s("AutoConfigURL").to_string(),
        },
        "autoDetect" => Setting::AutoDetect,
        "system" => Setting::System,
        _ => return None,
    };
    Some((setting, locked))
}

/// The proxy URL scheme of a SOCKS setting: with remote DNS (`socks_remote_dns`,
/// `UseProxyForDNS`) names go to the proxy unresolved (`socks5h`, `socks4a`), as Firefox
/// sends them.
fn socks_scheme(v4: bool, remote_dns: bool) -> &'static str {
    match (v4, remote_dns) {
        (true, false) => "socks4",
        (true, true) => "socks4a",
        (false, false) => "socks5",
        (false, true) => "socks5h",
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// One entry per profile of a Firefox installation.
pub fn settings(sys: &System, inst: &Installation) -> Vec<BrowserSettings> {
    let policy = policies(sys);
    let policy_setting = policy.as_ref().and_then(|(p, _)| setting_from_policy(p));
    inst.profiles
        .iter()
        .map(|profile| {
            profile_settings(
                inst,
                &profile.name,
                &profile.dir,
                policy.as_ref(),
                policy_setting.as_ref(),
            )
        })
        .collect()
}

fn profile_settings(
    inst: &Installation,
    name: &str,
    dir: &Path,
    policy: Option<&(serde_json::Value, PathBuf)>,
    policy_setting: Option<&(Setting, bool)>,
) -> BrowserSettings {
    let mut prefs = HashMap::new();
    let mut sources = Vec::new();
    for file in ["prefs.js", "user.js"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
            let p = parse_prefs(&text);
            if p.keys()
                .any(|k| k.starts_with("network.proxy.") || k.starts_with("network.trr."))
            {
                sources.push(file);
            }
            prefs.extend(p);
        }
    }
    let user_chose = prefs.contains_key("network.proxy.type");
    let mut setting = setting_from_prefs(&prefs);
    let mut source = if sources.is_empty() {
        "Firefox default".to_string()
    } else {
        sources.join(" + ")
    };
    if let (Some((s, locked)), Some((_, path))) = (policy_setting, policy)
        && (*locked || !user_chose)
    {
        setting = s.clone();
        source = format!("policies.json ({})", path.display());
    }
    let mut doh = doh_from_prefs(&prefs);
    if let Some((p, _)) = policy
        && let Some(d) = p.get("DNSOverHTTPS")
    {
        let enabled = d.get("Enabled").and_then(|v| v.as_bool()).unwrap_or(false);
        doh = Some(Doh {
            mode: if enabled {
                "first".into()
            } else {
                "off".into()
            },
            uri: d
                .get("ProviderURL")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        });
    }
    BrowserSettings {
        browser_id: inst.id.clone(),
        label: format!("{} ({name})", inst.name),
        setting,
        source,
        doh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_are_read_as_firefox_writes_them() {
        let p = parse_prefs(
            r#"// Mozilla User Preferences
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 3128);
user_pref("network.proxy.no_proxies_on", "localhost, .corp.example");
user_pref("network.proxy.allow_hijacking_localhost", true);
user_pref("browser.startup.homepage", "it's \"quoted\"");
garbage line
"#,
        );
        assert_eq!(p["network.proxy.type"], Pref::Int(1));
        assert_eq!(p["network.proxy.http"], Pref::Str("127.0.0.1".into()));
        assert_eq!(
            p["browser.startup.homepage"],
            Pref::Str("it's \"quoted\"".into())
        );
        let Setting::Manual(m) = setting_from_prefs(&p) else {
            panic!("manual");
        };
        assert_eq!(m.http.unwrap().host_port(), "127.0.0.1:3128");
        assert_eq!(m.https, None, "no ssl proxy set: https goes direct");
        assert_eq!(m.bypass, vec!["localhost", ".corp.example"]);
        assert!(!m.bypass_loopback);
    }

    #[test]
    fn every_proxy_type_maps_to_its_setting() {
        let with = |t: i64, extra: &[(&str, Pref)]| {
            let mut p = HashMap::new();
            p.insert("network.proxy.type".to_string(), Pref::Int(t));
            for (k, v) in extra {
                p.insert(k.to_string(), v.clone());
            }
            setting_from_prefs(&p)
        };
        assert_eq!(with(0, &[]), Setting::Direct);
        assert_eq!(
            with(
                2,
                &[(
                    "network.proxy.autoconfig_url",
                    Pref::Str("http://127.0.0.1:1/p.pac".into())
                )]
            ),
            Setting::Pac {
                url: "http://127.0.0.1:1/p.pac".into()
            }
        );
        assert_eq!(with(4, &[]), Setting::AutoDetect);
        assert_eq!(with(5, &[]), Setting::System);
        assert_eq!(
            setting_from_prefs(&HashMap::new()),
            Setting::System,
            "default is 5"
        );
        let Setting::Manual(m) = with(
            1,
            &[
                ("network.proxy.socks", Pref::Str("10.0.0.1".into())),
                ("network.proxy.socks_port", Pref::Int(1080)),
                ("network.proxy.socks_version", Pref::Int(4)),
                ("network.proxy.socks_remote_dns", Pref::Bool(true)),
            ],
        ) else {
            panic!("manual")
        };
        assert_eq!(
            m.socks.unwrap().0.scheme(),
            "socks4a",
            "SOCKS 4 with remote DNS"
        );
        assert!(m.socks_remote_dns);
        let Setting::Manual(m) = with(
            1,
            &[
                ("network.proxy.socks", Pref::Str("10.0.0.1".into())),
                ("network.proxy.socks_port", Pref::Int(1080)),
                ("network.proxy.socks_remote_dns", Pref::Bool(true)),
            ],
        ) else {
            panic!("manual")
        };
        assert_eq!(m.socks.unwrap().shown(), "socks5h://10.0.0.1:1080");
    }

    #[test]
    fn doh_modes_are_named() {
        let mut p = HashMap::new();
        p.insert("network.trr.mode".to_string(), Pref::Int(3));
        p.insert(
            "network.trr.uri".to_string(),
            Pref::Str("https://doh.example/dns-query".into()),
        );
        assert_eq!(
            doh_from_prefs(&p),
            Some(Doh {
                mode: "only".into(),
                uri: Some("https://doh.example/dns-query".into())
            })
        );
        p.insert("network.trr.mode".to_string(), Pref::Int(5));
        assert_eq!(doh_from_prefs(&p).unwrap().mode, "off");
    }

    #[test]
    fn enterprise_policies_are_read() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"Proxy": {"Mode": "manual", "HTTPProxy": "proxy.corp:8080", "UseHTTPProxyForAllProtocols": true,
                "Passthrough": "<local>, .corp", "Locked": true}}"#,
        )
        .unwrap();
        let (Setting::Manual(m), true) = setting_from_policy(&v).unwrap() else {
            panic!("locked manual")
        };
        assert_eq!(m.https.unwrap().host_port(), "proxy.corp:8080");
        assert_eq!(m.bypass, vec!["<local>", ".corp"]);
        let v: serde_json::Value = serde_json::from_str(
            r#"{"Proxy": {"Mode": "autoConfig", "AutoConfigURL": "http://wpad/p.pac"}}"#,
        )
        .unwrap();
        assert_eq!(
            setting_from_policy(&v),
            Some((
                Setting::Pac {
                    url: "http://wpad/p.pac".into()
                },
                false
            ))
        );
    }
}
