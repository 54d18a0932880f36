//! The system proxy settings browsers defer to, per OS: the environment variables, GNOME
//! (`org.gnome.system.proxy` through `gsettings`, for the home's own config folder), KDE
//! (`kioslaverc`), Windows (WinINET per user, `reg query`; WinHTTP, `netsh winhttp`) and
//! macOS (`scutil --proxy`). Each reader is a pure parser of what the OS tool prints, so
//! every OS's table is tested on any OS against recorded output.

use std::collections::HashMap;

use super::{Manual, ProxyServer, Setting, chromium};
use crate::system::{CommandSpec, Os, System};

/// The system's setting and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSetting {
    /// The setting.
    pub setting: Setting,
    /// `environment variables`, `GNOME settings`…
    pub source: String,
}

/// `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` (either case) as a setting;
/// `None` when none is set. User names and passwords in them stay in the URLs (they are
/// sent to the proxy) and are never shown.
pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Option<Setting> {
    let get = |k: &str| {
        var(k)
            .or_else(|| var(&k.to_ascii_lowercase()))
            .filter(|v| !v.is_empty())
    };
    let all = get("ALL_PROXY");
    let http = get("HTTP_PROXY").or_else(|| all.clone());
    let https = get("HTTPS_PROXY").or_else(|| all.clone());
    if http.is_none() && https.is_none() {
        return None;
    }
    Some(Setting::Manual(Manual {
        http: http.and_then(|p| ProxyServer::parse(&p, "http")),
        https: https.and_then(|p| ProxyServer::parse(&p, "http")),
        socks: None,
        socks_remote_dns: false,
        bypass: get("NO_PROXY")
            .map(|n| {
                n.split(',')
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        bypass_loopback: true,
    }))
}

/// Parses `gsettings list-recursively org.gnome.system.proxy`. `None` when the schema's
/// `mode` is not in the output.
pub fn from_gsettings(text: &str) -> Option<Setting> {
    let mut keys: HashMap<(String, String), String> = HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        if let (Some(schema), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next()) {
            keys.insert(
                (schema.to_string(), key.to_string()),
                value.trim().to_string(),
            );
        }
    }
    let get = |schema: &str, key: &str| -> String {
        let v = keys
            .get(&(format!("org.gnome.system.proxy{schema}"), key.to_string()))
            .cloned()
            .unwrap_or_default();
        v.trim_matches('\'').to_string()
    };
    let mode = keys.get(&("org.gnome.system.proxy".into(), "mode".into()))?;
    Some(match mode.trim_matches('\'') {
        "manual" => {
            let part = |schema: &str, scheme: &str| {
                let port = get(schema, "port").parse::<i64>().unwrap_or(0);
                ProxyServer::from_parts(scheme, &get(schema, "host"), port)
            };
            let http = part(".http", "http");
            let mut https = part(".https", "http");
            if https.is_none() && get("", "use-same-proxy") == "true" {
                https = http.clone();
            }
            let ignore = get("", "ignore-hosts");
            Setting::Manual(Manual {
                http,
                https,
                socks: part(".socks", "socks5"),
                socks_remote_dns: true,
                bypass: ignore
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|e| e.trim().trim_matches('\'').to_string())
                    .filter(|e| !e.is_empty())
                    .collect(),
                bypass_loopback: true,
            })
        }
        "auto" => {
            let url = get("", "autoconfig-url");
            if url.is_empty() {
                Setting::AutoDetect
            } else {
                Setting::Pac { url }
            }
        }
        _ => Setting::Direct,
    })
}

/// Parses KDE's `kioslaverc` (`[Proxy Settings]`: `ProxyType` 0 none, 1 manual, 2 PAC,
/// 3 WPAD, 4 environment; `httpProxy`, `httpsProxy`, `socksProxy` as `http://host port` or
/// `host:port`; `Proxy Config Script`; `NoProxyFor`). `None` without a `ProxyType`.
pub fn from_kioslaverc(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<Setting> {
    let mut in_section = false;
    let mut keys = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[Proxy Settings]";
            continue;
        }
        if in_section && let Some((k, v)) = line.split_once('=') {
            keys.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let get = |k: &str| keys.get(k).cloned().unwrap_or_default();
    let kde_proxy = |k: &str, scheme: &str| {
        let v = get(k);
        // KDE writes `http://host port`; older files `host:port`.
        let v = match v.rsplit_once(' ') {
            Some((h, p)) if p.parse::<u16>().is_ok() => format!("{h}:{p}"),
            _ => v,
        };
        ProxyServer::parse(&v, scheme)
    };
    Some(match get("ProxyType").parse::<i64>().ok()? {
        1 => Setting::Manual(Manual {
            http: kde_proxy("httpProxy", "http"),
            https: kde_proxy("httpsProxy", "http"),
            socks: kde_proxy("socksProxy", "socks5"),
            socks_remote_dns: true,
            bypass: get("NoProxyFor")
                .split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect(),
            bypass_loopback: true,
        }),
        2 => Setting::Pac {
            url: get("Proxy Config Script"),
        },
        3 => Setting::AutoDetect,
        4 => from_env(env).unwrap_or(Setting::Direct),
        _ => Setting::Direct,
    })
}

/// Parses `reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"`
/// (WinINET, per user): `AutoDetect`, then `AutoConfigURL`, then `ProxyEnable` with
/// `ProxyServer` and `ProxyOverride`, as Windows applies them.
pub fn from_wininet(text: &str) -> Setting {
    let mut values = HashMap::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() >= 3 && parts[1].starts_with("REG_") {
            values.insert(parts[0].to_string(), parts[2..].join(" "));
        }
    }
    let dword = |k: &str| {
        values
            .get(k)
            .and_then(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).ok())
            .unwrap_or(0)
    };
    if dword("AutoDetect") == 1 {
        return Setting::AutoDetect;
    }
    if let Some(url) = values.get("AutoConfigURL").filter(|u| !u.is_empty()) {
        return Setting::Pac { url: url.clone() };
    }
    if dword("ProxyEnable") == 1
        && let Some(server) = values.get("ProxyServer")
    {
        let mut m = chromium::manual_from_server(server, "");
        for e in values
            .get("ProxyOverride")
            .map(String::as_str)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            m.bypass.push(e.to_string());
        }
        return Setting::Manual(m);
    }
    Setting::Direct
}

/// Parses `netsh winhttp show proxy` (the machine-wide WinHTTP proxy Windows services use).
pub fn from_winhttp(text: &str) -> Setting {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    match field("Proxy Server(s)") {
        Some(server) if !server.is_empty() => Setting::Manual(chromium::manual_from_server(
            &server,
            &field("Bypass List").unwrap_or_default(),
        )),
        _ => Setting::Direct,
    }
}

/// Parses `scutil --proxy` (macOS): `ProxyAutoDiscoveryEnable`, then
/// `ProxyAutoConfigEnable` with `ProxyAutoConfigURLString`, then `HTTPEnable`/`HTTPSEnable`
/// with their proxies, `ExceptionsList` and `ExcludeSimpleHostnames`.
pub fn from_scutil(text: &str) -> Setting {
    let mut values = HashMap::new();
    let mut exceptions = Vec::new();
    let mut in_exceptions = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("ExceptionsList") {
            in_exceptions = true;
            continue;
        }
        if in_exceptions {
            if line == "}" {
                in_exceptions = false;
            } else if let Some((_, v)) = line.split_once(" : ") {
                exceptions.push(v.trim().to_string());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(" : ") {
            values.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let on = |k: &str| values.get(k).is_some_and(|v| v == "1");
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    if on("ProxyAutoDiscoveryEnable") {
        return Setting::AutoDetect;
    }
    if on("ProxyAutoConfigEnable") && !get("ProxyAutoConfigURLString").is_empty() {
        return Setting::Pac {
            url: get("ProxyAutoConfigURLString"),
        };
    }
    let server = |enable: &str, host: &str, port: &str, scheme: &str| {
        if !on(enable) {
            return None;
        }
        ProxyServer::from_parts(scheme, &get(host), get(port).parse().unwrap_or(0))
    };
    let http = server("HTTPEnable", "HTTPProxy", "HTTPPort", "http");
    let https = server("HTTPSEnable", "HTTPSProxy", "HTTPSPort", "http");
    let socks = server("SOCKSEnable", "SOCKSProxy", "SOCKSPort", "socks5");
    if http.is_none() && https.is_none() && socks.is_none() {
        return Setting::Direct;
    }
    if on("ExcludeSimpleHostnames") {
        exceptions.push("<local>".into());
    }
    Setting::Manual(Manual {
        http,
        https,
        socks,
        socks_remote_dns: true,
        bypass: exceptions,
        bypass_loopback: true,
    })
}

fn output(sys: &System, program: &str, args: &[&str]) -> Option<String> {
    let out = sys
        .run(&CommandSpec::new(program, args.iter().copied()))
        .ok()?;
    out.success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The system proxy setting of the machine, as the browsers that defer to it see it.
pub fn settings(sys: &System) -> SystemSetting {
    let env = |k: &str| sys.var(k).map(str::to_string);
    let from_env_or_direct = || match from_env(&env) {
        Some(s) => SystemSetting {
            setting: s,
            source: "environment variables".into(),
        },
        None => SystemSetting {
            setting: Setting::Direct,
            source: "no system proxy".into(),
        },
    };
    match sys.os {
        Os::Linux => {
            let kio = sys.xdg_config_home().join("kioslaverc");
            if let Ok(text) = std::fs::read_to_string(&kio)
                && let Some(s) = from_kioslaverc(&text, &env)
            {
                return SystemSetting {
                    setting: s,
                    source: format!("KDE settings ({})", kio.display()),
                };
            }
            // gsettings reads the dconf (or keyfile) database of the config folder it is
            // given: the home's own, not this process's.
            let xdg = format!("XDG_CONFIG_HOME={}", sys.xdg_config_home().display());
            if let Some(text) = output(
                sys,
                "env",
                &[
                    &xdg,
                    "gsettings",
                    "list-recursively",
                    "org.gnome.system.proxy",
                ],
            ) && let Some(s) = from_gsettings(&text)
                && s != Setting::Direct
            {
                return SystemSetting {
                    setting: s,
                    source: "GNOME settings (org.gnome.system.proxy)".into(),
                };
            }
            from_env_or_direct()
        }
        Os::Windows => match output(
            sys,
            "reg",
            &[
                "query",
                r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings",
            ],
        ) {
            Some(text) => SystemSetting {
                setting: from_wininet(&text),
                source: "Windows Internet Options (WinINET)".into(),
            },
            None => from_env_or_direct(),
        },
        Os::Macos => match output(sys, "scutil", &["--proxy"]) {
            Some(text) => SystemSetting {
                setting: from_scutil(&text),
                source: "macOS network settings (scutil --proxy)".into(),
            },
            None => from_env_or_direct(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::{CommandOutput, RecordingRunner};

    fn manual(s: Setting) -> Manual {
        match s {
            Setting::Manual(m) => m,
            other => panic!("expected manual, got {other:?}"),
        }
    }

    #[test]
    fn environment_variables_with_credentials_keep_them_hidden() {
        let vars: HashMap<&str, &str> = [
            ("https_proxy", "http://bob:hunter2@proxy.corp:3128"),
            ("NO_PROXY", "localhost,.corp"),
        ]
        .into();
        let m = manual(from_env(&|k| vars.get(k).map(|v| v.to_string())).unwrap());
        let p = m.https.unwrap();
        assert_eq!(p.0.password(), Some("hunter2"), "kept for the proxy");
        assert_eq!(p.shown(), "http://proxy.corp:3128");
        assert_eq!(m.http, None);
        assert_eq!(m.bypass, vec!["localhost", ".corp"]);
        assert_eq!(from_env(&|_| None), None);
    }

    #[test]
    fn gnome_settings_are_read_from_gsettings_output() {
        let text = "org.gnome.system.proxy autoconfig-url ''\n\
            org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '::1']\n\
            org.gnome.system.proxy mode 'manual'\n\
            org.gnome.system.proxy use-same-proxy true\n\
            org.gnome.system.proxy.http host '127.0.0.1'\n\
            org.gnome.system.proxy.http port 3128\n\
            org.gnome.system.proxy.https host ''\n\
            org.gnome.system.proxy.https port 0\n";
        let m = manual(from_gsettings(text).unwrap());
        assert_eq!(m.http.unwrap().host_port(), "127.0.0.1:3128");
        assert_eq!(
            m.https.unwrap().host_port(),
            "127.0.0.1:3128",
            "use-same-proxy"
        );
        assert_eq!(m.bypass, vec!["localhost", "127.0.0.0/8", "::1"]);
        let pac = text
            .replace("'manual'", "'auto'")
            .replace("autoconfig-url ''", "autoconfig-url 'http://h/p.pac'");
        assert_eq!(
            from_gsettings(&pac),
            Some(Setting::Pac {
                url: "http://h/p.pac".into()
            })
        );
        assert_eq!(
            from_gsettings(&text.replace("'manual'", "'none'")),
            Some(Setting::Direct)
        );
        assert_eq!(from_gsettings("No such schema"), None);
    }

    #[test]
    fn kde_kioslaverc_is_read() {
        let text = "[Proxy Settings]\nProxyType=1\nhttpProxy=http://10.0.0.1 8080\nhttpsProxy=10.0.0.2:8443\n\
                    NoProxyFor=localhost,.corp\nProxy Config Script=\n\n[Other]\nProxyType=2\n";
        let m = manual(from_kioslaverc(text, &|_| None).unwrap());
        assert_eq!(m.http.unwrap().host_port(), "10.0.0.1:8080");
        assert_eq!(m.https.unwrap().host_port(), "10.0.0.2:8443");
        assert_eq!(m.bypass, vec!["localhost", ".corp"]);
        let pac = "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://h/p.pac\n";
        assert_eq!(
            from_kioslaverc(pac, &|_| None),
            Some(Setting::Pac {
                url: "http://h/p.pac".into()
            })
        );
        assert_eq!(
            from_kioslaverc("[Proxy Settings]\nProxyType=3\n", &|_| None),
            Some(Setting::AutoDetect)
        );
        assert_eq!(from_kioslaverc("[General]\n", &|_| None), None);
    }

    const WININET: &str = r"
HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Internet Settings
    CertificateRevocation    REG_DWORD    0x1
    ProxyEnable    REG_DWORD    0x1
    ProxyServer    REG_SZ    http=proxy.corp:8080;https=proxy.corp:8443
    ProxyOverride    REG_SZ    <local>;*.corp.example
";

    #[test]
    fn windows_wininet_and_winhttp_are_read_from_their_tools_output() {
        let m = manual(from_wininet(WININET));
        assert_eq!(m.http.unwrap().host_port(), "proxy.corp:8080");
        assert_eq!(m.https.unwrap().host_port(), "proxy.corp:8443");
        assert_eq!(m.bypass, vec!["<local>", "*.corp.example"]);
        let pac = format!("{WININET}    AutoConfigURL    REG_SZ    http://wpad.corp/p.pac\n");
        assert_eq!(
            from_wininet(&pac),
            Setting::Pac {
                url: "http://wpad.corp/p.pac".into()
            }
        );
        let auto = format!("{pac}    AutoDetect    REG_DWORD    0x1\n");
        assert_eq!(from_wininet(&auto), Setting::AutoDetect);
        assert_eq!(
            from_wininet(&WININET.replace(
                "ProxyEnable    REG_DWORD    0x1",
                "ProxyEnable    REG_DWORD    0x0"
            )),
            Setting::Direct
        );

        let winhttp = "\nCurrent WinHTTP proxy settings:\n\n    Proxy Server(s) :  10.1.1.1:3128\n    Bypass List     :  <local>;*.corp\n";
        let m = manual(from_winhttp(winhttp));
        assert_eq!(m.https.unwrap().host_port(), "10.1.1.1:3128");
        assert_eq!(m.bypass, vec!["<local>", "*.corp"]);
        assert_eq!(
            from_winhttp(
                "\nCurrent WinHTTP proxy settings:\n\n    Direct access (no proxy server).\n"
            ),
            Setting::Direct
        );
    }

    const SCUTIL: &str = "<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  ExcludeSimpleHostnames : 1
  FTPPassive : 1
  HTTPEnable : 1
  HTTPPort : 3128
  HTTPProxy : 10.0.0.1
  HTTPSEnable : 1
  HTTPSPort : 3129
  HTTPSProxy : 10.0.0.1
}
";

    #[test]
    fn macos_scutil_output_is_read() {
        let m = manual(from_scutil(SCUTIL));
        assert_eq!(m.http.unwrap().host_port(), "10.0.0.1:3128");
        assert_eq!(m.https.unwrap().host_port(), "10.0.0.1:3129");
        assert_eq!(m.bypass, vec!["*.local", "169.254/16", "<local>"]);
        let pac = SCUTIL.replace(
            "  FTPPassive : 1\n",
            "  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigURLString : http://h/p.pac\n",
        );
        assert_eq!(
            from_scutil(&pac),
            Setting::Pac {
                url: "http://h/p.pac".into()
            }
        );
        assert_eq!(
            from_scutil("<dictionary> {\n  FTPPassive : 1\n}\n"),
            Setting::Direct
        );
    }

    #[test]
    fn each_os_asks_its_own_tool() {
        let dir = tempfile::tempdir().unwrap();
        for (os, program, text, source) in [
            (Os::Windows, "reg", WININET, "WinINET"),
            (Os::Macos, "scutil", SCUTIL, "scutil"),
        ] {
            let mut sys = System::simulated(os, dir.path());
            let runner = std::sync::Arc::new(RecordingRunner::new());
            runner.answer(
                program,
                CommandOutput {
                    status: Some(0),
                    stdout: text.as_bytes().to_vec(),
                    stderr: Vec::new(),
                },
            );
            sys.runner = runner.clone();
            let s = settings(&sys);
            assert!(s.source.contains(source), "{os:?}: {}", s.source);
            assert!(matches!(s.setting, Setting::Manual(_)), "{os:?}");
            assert_eq!(runner.calls()[0].program, program);
        }
    }
}
