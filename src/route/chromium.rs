//! The Chromium family's route: the command line (Debian's `/etc/chromium.d` flags), then
//! the managed policies (`ProxyMode`, `ProxyServer`, `ProxyPacUrl`, `ProxyBypassList`,
//! `DnsOverHttpsMode`, `DnsOverHttpsTemplates`), otherwise the system settings.

use super::{BrowserSettings, Doh, Manual, ProxyServer, Setting};
use crate::browsers::Installation;
use crate::system::{Os, System};

/// The managed-policy folders of a Chromium browser on Linux (below the system root).
pub fn policy_dirs(browser_id: &str, os: Os) -> &'static [&'static str] {
    if os != Os::Linux {
        // Windows keeps policies in the registry, macOS in managed preferences: not read.
        return &[];
    }
    match browser_id {
        "chrome" => &["etc/opt/chrome/policies/managed"],
        "edge" => &["etc/opt/edge/policies/managed"],
        "brave" => &["etc/brave/policies/managed"],
        "vivaldi" => &["etc/opt/vivaldi/policies/managed"],
        _ => &[
            "etc/chromium/policies/managed",
            "etc/chromium-browser/policies/managed",
        ],
    }
}

/// Parses Chromium's `ProxyServer` / `--proxy-server` value: `host:port`,
/// `socks5://host:port`, or per scheme `http=h:p;https=h:p;socks=h:p`.
pub fn manual_from_server(server: &str, bypass: &str) -> Manual {
    let mut m = Manual {
        bypass_loopback: true,
        ..Manual::default()
    };
    for part in server.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("http", p)) => m.http = ProxyServer::parse(p, "http"),
            Some(("https", p)) => m.https = ProxyServer::parse(p, "http"),
            Some(("socks", p)) => m.socks = ProxyServer::parse(p, "socks4"),
            Some(_) => {}
            None => {
                let p = ProxyServer::parse(part, "http");
                m.http = p.clone();
                m.https = p;
            }
        }
    }
    for entry in bypass
        .split([';', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if entry == "<-loopback>" {
            m.bypass_loopback = false;
        } else {
            m.bypass.push(entry.to_string());
        }
    }
    m
}

/// The setting of a managed policy object, when it sets one.
pub fn setting_from_policy(p: &serde_json::Value) -> Option<Setting> {
    let s = |k: &str| p.get(k).and_then(|v| v.as_str());
    let mode = s("ProxyMode").or_else(|| {
        // Without ProxyMode, a server or PAC URL alone implies the mode.
        if s("ProxyPacUrl").is_some() {
            Some("pac_script")
        } else if s("ProxyServer").is_some() {
            Some("fixed_servers")
        } else {
            None
        }
    })?;
    Some(match mode {
        "direct" => Setting::Direct,
        "auto_detect" => Setting::AutoDetect,
        "pac_script" => Setting::Pac {
            url: s("ProxyPacUrl").unwrap_or_default().to_string(),
        },
        "fixed_servers" => Setting::Manual(manual_from_server(
            s("ProxyServer").unwrap_or_default(),
            s("ProxyBypassList").unwrap_or_default(),
        )),
        _ => Setting::System,
    })
}

/// The setting the proxy switches of a command line give, when any.
pub fn setting_from_flags(flags: &str) -> Option<Setting> {
    let mut server = None;
    let mut bypass = String::new();
    let mut out = None;
    for word in flags.split_whitespace() {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        if word == "--no-proxy-server" {
            out = Some(Setting::Direct);
        } else if word == "--proxy-auto-detect" {
            out = Some(Setting::AutoDetect);
        } else if let Some(u) = word.strip_prefix("--proxy-pac-url=") {
            out = Some(Setting::Pac { url: u.to_string() });
        } else if let Some(s) = word.strip_prefix("--proxy-server=") {
            server = Some(s.to_string());
        } else if let Some(b) = word.strip_prefix("--proxy-bypass-list=") {
            bypass = b.to_string();
        }
    }
    if out.is_none()
        && let Some(s) = server
    {
        out = Some(Setting::Manual(manual_from_server(&s, &bypass)));
    }
    out
}

fn doh_from_policy(p: &serde_json::Value) -> Option<Doh> {
    let mode = p.get("DnsOverHttpsMode")?.as_str()?.to_string();
    Some(Doh {
        mode: match mode.as_str() {
            "automatic" => "first".into(),
            "secure" => "only".into(),
            other => other.into(),
        },
        uri: p
            .get("DnsOverHttpsTemplates")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

/// The setting of one Chromium-family installation (its profiles share it).
pub fn settings(sys: &System, inst: &Installation) -> BrowserSettings {
    let mut out = BrowserSettings {
        browser_id: inst.id.clone(),
        label: inst.name.clone(),
        setting: Setting::System,
        source: format!("{} uses the system settings", inst.name),
        doh: None,
    };
    if sys.os == Os::Linux
        && let Ok(dir) = std::fs::read_dir(sys.system_file("etc/chromium.d"))
    {
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f)
                && let Some(s) = setting_from_flags(&text)
            {
                out.setting = s;
                out.source = format!("command line ({})", f.display());
            }
        }
    }
    for rel in policy_dirs(&inst.id, sys.os) {
        let Ok(dir) = std::fs::read_dir(sys.system_file(rel)) else {
            continue;
        };
        let mut files: Vec<_> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let Some(v) = std::fs::read_to_string(&f)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            else {
                continue;
            };
            if let Some(s) = setting_from_policy(&v) {
                out.setting = s;
                out.source = format!("policy {}", f.display());
            }
            if let Some(d) = doh_from_policy(&v) {
                out.doh = Some(d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_set_every_mode() {
        let p = |j: &str| setting_from_policy(&serde_json::from_str(j).unwrap());
        assert_eq!(p(r#"{"ProxyMode": "direct"}"#), Some(Setting::Direct));
        assert_eq!(p(r#"{"ProxyMode": "system"}"#), Some(Setting::System));
        assert_eq!(
            p(r#"{"ProxyMode": "auto_detect"}"#),
            Some(Setting::AutoDetect)
        );
        assert_eq!(
            p(r#"{"ProxyMode": "pac_script", "ProxyPacUrl": "http://127.0.0.1:9/p.pac"}"#),
            Some(Setting::Pac {
                url: "http://127.0.0.1:9/p.pac".into()
            })
        );
        let Some(Setting::Manual(m)) = p(
            r#"{"ProxyServer": "http=h1:81;https=h2:82", "ProxyBypassList": "*.corp;<-loopback>"}"#,
        ) else {
            panic!("fixed servers")
        };
        assert_eq!(m.http.unwrap().host_port(), "h1:81");
        assert_eq!(m.https.unwrap().host_port(), "h2:82");
        assert_eq!(m.bypass, vec!["*.corp"]);
        assert!(
            !m.bypass_loopback,
            "<-loopback> sends loopback through the proxy"
        );
        assert_eq!(p(r#"{"HomepageLocation": "x"}"#), None);
    }

    #[test]
    fn command_line_switches_are_read() {
        let Some(Setting::Manual(m)) = setting_from_flags(
            "CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS --proxy-server=socks5://10.0.0.1:1080\"",
        ) else {
            panic!("manual")
        };
        assert_eq!(m.http.unwrap().0.scheme(), "socks5");
        assert_eq!(
            setting_from_flags("--no-proxy-server"),
            Some(Setting::Direct)
        );
        assert_eq!(setting_from_flags("--incognito"), None);
    }
}
