//! Profile discovery: walks a home through the catalog and lists every installation, its
//! profiles and the stores that exist in them.
//!
//! Chromium profiles come from `Local State` (`profile.info_cache`: display name and
//! account e-mail) plus a scan for `Default` / `Profile N` folders; Firefox profiles from
//! `profiles.ini` / `installs.ini` (§2 of the reference). Nothing below a catalog root is
//! reached through a symbolic link, and nothing outside the roots is ever listed.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::catalog::{BrowserSpec, Layout, Packaging, SafariFiles, catalog};
use super::fsutil::{self, expand, is_plain_name, is_real_dir, is_real_file};
use super::{Installation, Profile, RunningState, Store, StoreKind, running};
use crate::error::Result;
use crate::system::{Os, System};

/// `Local State` and `profiles.ini` larger than this are not read (they are a few KiB).
const MAX_CONFIG_BYTES: u64 = 32 * 1024 * 1024;

/// Finds every browser of the catalog in `sys.home` (laid out as `sys.os`), with profiles,
/// stores and running state. Unreadable configuration is reported as a warning on the
/// installation, never as a failure.
pub fn discover(sys: &System) -> Result<Vec<Installation>> {
    let mut found = installed(sys);
    for inst in &mut found {
        inst.running = running::running_state(sys, inst);
    }
    Ok(found)
}

/// [`discover`] without the running state (every installation says `NotRunning`): for
/// readers of settings, which never write and need not list the processes.
pub fn installed(sys: &System) -> Vec<Installation> {
    let mut found = Vec::new();
    for spec in catalog() {
        let mut packagings: Vec<Packaging> = Vec::new();
        for loc in spec.locations_on(sys.os) {
            if !packagings.contains(&loc.packaging) {
                packagings.push(loc.packaging);
            }
        }
        for packaging in packagings {
            if let Some(inst) = discover_one(sys, spec, packaging) {
                found.push(inst);
            }
        }
    }
    found
}

/// One catalog entry in one packaging; `None` when none of its roots exists.
fn discover_one(sys: &System, spec: &BrowserSpec, packaging: Packaging) -> Option<Installation> {
    let mut inst = Installation {
        id: spec.id.to_string(),
        name: spec.name.to_string(),
        family: spec.family,
        packaging,
        data_dirs: Vec::new(),
        roots: Vec::new(),
        profiles: Vec::new(),
        running: RunningState::NotRunning,
        warnings: Vec::new(),
    };
    let locations: Vec<_> = spec
        .locations_on(sys.os)
        .filter(|l| l.packaging == packaging)
        .collect();
    if let Layout::Safari(files) = spec.layout {
        discover_safari(sys, spec, files, &mut inst, &locations);
    } else {
        for loc in &locations {
            let base = loc.root.base_dir(sys);
            for data_dir in expand(&base, loc.root.rel) {
                if inst.data_dirs.contains(&data_dir) {
                    continue;
                }
                let cache_root = loc.cache_root.and_then(|rule| {
                    expand(&rule.base_dir(sys), rule.rel)
                        .into_iter()
                        .find(|p| p != &data_dir)
                });
                push_unique(&mut inst.data_dirs, data_dir.clone());
                push_unique(&mut inst.roots, data_dir.clone());
                if let Some(c) = &cache_root {
                    push_unique(&mut inst.roots, c.clone());
                }
                match spec.layout {
                    Layout::ChromiumUdd | Layout::OperaUdd => {
                        discover_chromium(sys, spec, &mut inst, &data_dir, cache_root.as_deref())
                    }
                    Layout::FirefoxIni => {
                        discover_firefox(sys, spec, &mut inst, &data_dir, cache_root.as_deref())
                    }
                    Layout::Safari(_) => {}
                }
            }
            // A root that exists but is a symbolic link is never followed: say so.
            let lexical = base.join(loc.root.rel);
            if !loc.root.rel.contains('*') && fsutil::is_link(&lexical) {
                inst.warnings.push(format!(
                    "{} is a symbolic link; fix401 does not follow links out of a browser's \
                     folders, so this copy of {} is skipped",
                    lexical.display(),
                    spec.name
                ));
            }
        }
    }
    if inst.data_dirs.is_empty() && inst.warnings.is_empty() {
        return None;
    }
    // Every profile may touch every root of its installation (cache roots included).
    let roots = inst.roots.clone();
    for p in &mut inst.profiles {
        p.roots = roots.clone();
    }
    Some(inst)
}

fn push_unique(v: &mut Vec<PathBuf>, p: PathBuf) {
    if !v.contains(&p) {
        v.push(p);
    }
}

/// Reads a small configuration file that must be a real file; `Err` says why not.
fn read_config(path: &Path) -> std::result::Result<Option<String>, String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        return Err("a symbolic link, which fix401 does not follow".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!("too large ({} bytes)", meta.len()));
    }
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                "not UTF-8 text".to_string()
            } else {
                e.to_string()
            }
        })?;
    Ok(Some(text))
}

// ---------------------------------------------------------------- Chromium

/// What `Local State` says about one profile folder.
#[derive(Default)]
struct InfoEntry {
    name: Option<String>,
    email: Option<String>,
}

fn discover_chromium(
    sys: &System,
    spec: &BrowserSpec,
    inst: &mut Installation,
    udd: &Path,
    cache_udd: Option<&Path>,
) {
    let local_state = udd.join("Local State");
    let mut info: BTreeMap<String, InfoEntry> = BTreeMap::new();
    let mut last_used: Option<String> = None;
    match read_config(&local_state) {
        Ok(None) => {}
        Ok(Some(text)) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) => {
                let profile = &json["profile"];
                if let Some(cache) = profile["info_cache"].as_object() {
                    for (dir, entry) in cache {
                        let text = |k: &str| {
                            entry[k]
                                .as_str()
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                        };
                        info.insert(
                            dir.clone(),
                            InfoEntry {
                                name: text("name"),
                                email: text("user_name"),
                            },
                        );
                    }
                }
                last_used = profile["last_used"].as_str().map(String::from);
            }
            Err(e) => inst.warnings.push(format!(
                "{}: not valid JSON ({e}); profile names and e-mails are unknown, profiles \
                 were found by scanning the folder instead",
                local_state.display()
            )),
        },
        Err(why) => inst.warnings.push(format!(
            "{}: cannot be read ({why}); profiles were found by scanning the folder instead",
            local_state.display()
        )),
    }

    // Profile folders: those Local State names, plus Default / Profile N found on disk.
    let mut dirs: Vec<String> = info.keys().cloned().collect();
    if let Ok(entries) = fs::read_dir(udd) {
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str()
                && (name == "Default" || name.starts_with("Profile "))
                && !dirs.iter().any(|d| d == name)
            {
                dirs.push(name.to_string());
            }
        }
    }
    dirs.retain(|d| d != "System Profile" && d != "Guest Profile");
    dirs.sort_by_key(|d| profile_order(d));

    let mut profiles = Vec::new();
    // Opera: the user-data dir is itself the profile.
    if spec.layout == Layout::OperaUdd && looks_like_chromium_profile(udd) {
        profiles.push(chromium_profile(
            sys,
            spec,
            udd,
            udd,
            cache_udd,
            spec.name.to_string(),
            None,
        ));
    }
    for dir_name in dirs {
        if !is_plain_name(&dir_name) {
            inst.warnings.push(format!(
                "{}: ignoring profile entry {dir_name:?} (not a plain folder name)",
                local_state.display()
            ));
            continue;
        }
        let dir = udd.join(&dir_name);
        if fsutil::is_link(&dir) {
            inst.warnings.push(format!(
                "{}: is a symbolic link; not followed, profile skipped",
                dir.display()
            ));
            continue;
        }
        if !is_real_dir(&dir) {
            // Local State keeps entries of deleted profiles for a while: nothing to clear.
            continue;
        }
        let entry = info.remove(&dir_name).unwrap_or_default();
        let name = entry.name.unwrap_or_else(|| dir_name.clone());
        let mut p = chromium_profile(sys, spec, udd, &dir, cache_udd, name, entry.email);
        p.is_default = last_used.as_deref() == Some(dir_name.as_str());
        profiles.push(p);
    }
    if last_used.is_none() || !profiles.iter().any(|p| p.is_default) {
        // Chromium opens Default when last_used is absent.
        if let Some(p) = profiles
            .iter_mut()
            .find(|p| p.dir.file_name().is_some_and(|n| n == "Default"))
        {
            p.is_default = true;
        } else if profiles.len() == 1 {
            profiles[0].is_default = true;
        }
    }
    inst.profiles.extend(profiles);
}

/// Sort key: Default first, then Profile N by number, then the rest by name.
fn profile_order(name: &str) -> (u8, u64, String) {
    if name == "Default" {
        return (0, 0, String::new());
    }
    if let Some(n) = name
        .strip_prefix("Profile ")
        .and_then(|n| n.parse::<u64>().ok())
    {
        return (1, n, String::new());
    }
    (2, 0, name.to_string())
}

fn looks_like_chromium_profile(dir: &Path) -> bool {
    ["Cookies", "Network", "Preferences", "Cache", "IndexedDB"]
        .iter()
        .any(|f| fs::symlink_metadata(dir.join(f)).is_ok())
}

fn chromium_profile(
    sys: &System,
    spec: &BrowserSpec,
    udd: &Path,
    dir: &Path,
    cache_udd: Option<&Path>,
    name: String,
    email: Option<String>,
) -> Profile {
    let mut stores = Vec::new();
    if let Some(cookies) = chromium_cookies(dir) {
        stores.push(Store {
            kind: StoreKind::ChromiumCookies,
            path: cookies,
        });
    }
    // The cache lives in the user cache dir mirroring the profile (§1.3), or in the
    // profile itself (Windows, or an explicit --user-data-dir): probe both.
    let mut cache_dirs = Vec::new();
    let rel = dir.strip_prefix(udd).unwrap_or(Path::new(""));
    if let Some(cu) = cache_udd {
        let mirrored = if rel.as_os_str().is_empty() {
            cu.to_path_buf()
        } else {
            cu.join(rel)
        };
        cache_dirs.push((cu.to_path_buf(), mirrored));
    }
    cache_dirs.push((udd.to_path_buf(), dir.to_path_buf()));
    let mut seen = Vec::new();
    for (root, base) in cache_dirs {
        for candidate in [base.join("Cache").join("Cache_Data"), base.join("Cache")] {
            if !is_real_dir(&candidate) || !fsutil::inside_without_links(&root, &candidate) {
                continue;
            }
            // An older layout keeps the entries directly in `Cache` (with its index).
            if candidate.ends_with("Cache")
                && (candidate.join("Cache_Data").exists() || !candidate.join("index").exists())
            {
                continue;
            }
            if !seen.contains(&candidate) {
                seen.push(candidate.clone());
                stores.push(Store {
                    kind: cache_backend(sys.os, &candidate),
                    path: candidate,
                });
            }
            break;
        }
    }
    for (kind, rel) in [
        (StoreKind::ChromiumIndexedDb, "IndexedDB"),
        (StoreKind::ChromiumLocalStorage, "Local Storage/leveldb"),
        (StoreKind::ChromiumServiceWorker, "Service Worker"),
    ] {
        let p = dir.join(rel);
        if is_real_dir(&p) {
            stores.push(Store { kind, path: p });
        }
    }
    // The HSTS state moved into `Network/` with the cookies (§1.2): either may be live.
    for rel in CHROMIUM_TRANSPORT_SECURITY {
        let p = dir.join(rel);
        if is_real_file(&p) && fsutil::inside_without_links(dir, &p) {
            stores.push(Store {
                kind: StoreKind::ChromiumTransportSecurity,
                path: p,
            });
        }
    }
    Profile {
        browser_id: spec.id.to_string(),
        browser_name: spec.name.to_string(),
        family: spec.family,
        name,
        email,
        dir: dir.to_path_buf(),
        stores,
        is_default: false,
        roots: Vec::new(),
    }
}

/// Where a Chromium profile keeps its HSTS state (`TransportSecurity`), relative to it.
pub const CHROMIUM_TRANSPORT_SECURITY: [&str; 2] =
    ["Network/TransportSecurity", "TransportSecurity"];

/// Where a Firefox profile keeps its HSTS state, relative to it: the current binary file and
/// the text file of Firefox before 117.
pub const FIREFOX_SITE_SECURITY: [&str; 2] = [
    "SiteSecurityServiceState.bin",
    "SiteSecurityServiceState.txt",
];

/// The live `Cookies` file of a profile (§1.2): `Network/Cookies` once the migration
/// checkpoint exists, else `Cookies`; with both and no checkpoint, the newer one.
pub fn chromium_cookies(profile: &Path) -> Option<PathBuf> {
    let net = profile.join("Network").join("Cookies");
    let old = profile.join("Cookies");
    let net_ok = is_real_file(&net) && !fsutil::is_link(&profile.join("Network"));
    let old_ok = is_real_file(&old);
    let migrated = profile.join("Network").join("NetworkDataMigrated").exists();
    match (net_ok, old_ok) {
        (true, false) => Some(net),
        (false, true) => Some(old),
        (true, true) if migrated => Some(net),
        (true, true) => {
            if fsutil::mtime(&net) >= fsutil::mtime(&old) {
                Some(net)
            } else {
                Some(old)
            }
        }
        (false, false) => None,
    }
}

/// Simple or Blockfile, from the magic at the start of `index` (§6.1); without an index,
/// the platform default (Blockfile on Windows, Simple elsewhere).
pub fn cache_backend(os: Os, cache_dir: &Path) -> StoreKind {
    const SIMPLE: [u8; 8] = 0xfcfb_6d1b_a772_5c30_u64.to_le_bytes();
    const BLOCKFILE: [u8; 4] = 0xC103_CAC3_u32.to_le_bytes();
    let mut head = [0u8; 8];
    let index = cache_dir.join("index");
    let read = is_real_file(&index)
        && fs::File::open(&index)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok();
    let blockfile = if read && head == SIMPLE {
        false
    } else if read && head[..4] == BLOCKFILE {
        true
    } else {
        os == Os::Windows
    };
    if blockfile {
        StoreKind::ChromiumBlockfileCache
    } else {
        StoreKind::ChromiumSimpleCache
    }
}

// ---------------------------------------------------------------- Firefox

/// A parsed INI file: sections in order, keys in order.
type Ini = Vec<(String, Vec<(String, String)>)>;

/// Parses the INI dialect of `profiles.ini` / `installs.ini` (`;`/`#` comments,
/// `[Section]`, `Key=Value`). Lines that are neither are reported with their number.
fn parse_ini(text: &str) -> std::result::Result<Ini, String> {
    let mut out: Ini = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(format!("line {}: unterminated section header", n + 1));
            };
            out.push((name.trim().to_string(), Vec::new()));
        } else if let Some((k, v)) = line.split_once('=') {
            let Some(section) = out.last_mut() else {
                return Err(format!("line {}: key outside any [section]", n + 1));
            };
            section.1.push((k.trim().to_string(), v.trim().to_string()));
        } else {
            return Err(format!("line {}: expected [Section] or Key=Value", n + 1));
        }
    }
    Ok(out)
}

fn ini_get<'a>(ini: &'a Ini, section: &str, key: &str) -> Option<&'a str> {
    ini.iter()
        .find(|(s, _)| s == section)
        .and_then(|(_, kv)| kv.iter().find(|(k, _)| k == key))
        .map(|(_, v)| v.as_str())
}

fn discover_firefox(
    sys: &System,
    spec: &BrowserSpec,
    inst: &mut Installation,
    root: &Path,
    local_root: Option<&Path>,
) {
    let ini_path = root.join("profiles.ini");
    let ini = match read_config(&ini_path) {
        Ok(Some(text)) => match parse_ini(&text) {
            Ok(ini) => Some(ini),
            Err(e) => {
                inst.warnings.push(format!(
                    "{}: cannot be parsed ({e}); profiles were found by scanning the folder",
                    ini_path.display()
                ));
                None
            }
        },
        Ok(None) => None,
        Err(why) => {
            inst.warnings.push(format!(
                "{}: cannot be read ({why}); profiles were found by scanning the folder",
                ini_path.display()
            ));
            None
        }
    };

    // Install defaults: [Install<hash>] in profiles.ini and [<hash>] in installs.ini.
    let mut install_defaults: Vec<String> = Vec::new();
    if let Some(ini) = &ini {
        for (section, _) in ini.iter().filter(|(s, _)| s.starts_with("Install")) {
            if let Some(d) = ini_get(ini, section, "Default") {
                install_defaults.push(d.replace('\\', "/"));
            }
        }
    }
    if let Ok(Some(text)) = read_config(&root.join("installs.ini"))
        && let Ok(installs) = parse_ini(&text)
    {
        for (section, _) in &installs {
            if let Some(d) = ini_get(&installs, section, "Default") {
                install_defaults.push(d.replace('\\', "/"));
            }
        }
    }

    let mut profiles: Vec<(Profile, bool)> = Vec::new(); // (profile, Default=1)
    if let Some(ini) = &ini {
        // [Profile0], [Profile1]… in order until one is missing or lacks IsRelative.
        for n in 0.. {
            let section = format!("Profile{n}");
            if !ini.iter().any(|(s, _)| *s == section) {
                break;
            }
            let Some(is_relative) = ini_get(ini, &section, "IsRelative") else {
                break;
            };
            let (Some(name), Some(path)) = (
                ini_get(ini, &section, "Name"),
                ini_get(ini, &section, "Path"),
            ) else {
                inst.warnings.push(format!(
                    "{}: [{section}] lacks Name or Path; skipped",
                    ini_path.display()
                ));
                continue;
            };
            let legacy_default = ini_get(ini, &section, "Default") == Some("1");
            let resolved = if is_relative == "1" {
                match fsutil::plain_relative(path) {
                    Some(rel) => Ok((
                        root.join(&rel),
                        local_root
                            .map(|l| (l, l.join(&rel)))
                            .filter(|(l, p)| fsutil::inside_without_links(l, p))
                            .map(|(_, p)| p),
                    )),
                    None => Err(format!(
                        "[{section}] Path={path} is empty or leaves the profiles folder; skipped"
                    )),
                }
            } else {
                let p = PathBuf::from(path);
                if !p.is_absolute() {
                    Err(format!(
                        "[{section}] Path={path} is not an absolute path on {}; skipped",
                        sys.os
                    ))
                } else if !fsutil::inside_without_links(&sys.home, &p) {
                    Err(format!(
                        "[{section}] Path={path} is outside the home folder (or reached \
                         through a link); fix401 does not touch it"
                    ))
                } else {
                    Ok((p, None))
                }
            };
            let (dir, local) = match resolved {
                Ok(x) => x,
                Err(why) => {
                    inst.warnings.push(format!("{}: {why}", ini_path.display()));
                    continue;
                }
            };
            let linked = if is_relative == "1" {
                !fsutil::inside_without_links(root, &dir)
            } else {
                fsutil::is_link(&dir)
            };
            if linked || !is_real_dir(&dir) {
                inst.warnings.push(format!(
                    "{}: profile {name:?} points to {}, which {}; skipped",
                    ini_path.display(),
                    dir.display(),
                    if linked {
                        "is reached through a symbolic link"
                    } else {
                        "does not exist"
                    }
                ));
                continue;
            }
            if is_relative != "1" {
                // An absolute profile (inside the home) becomes one of the roots.
                push_unique(&mut inst.roots, dir.clone());
            }
            let mut p = firefox_profile(spec, &dir, local.as_deref(), name);
            p.is_default = install_defaults
                .iter()
                .any(|d| d.trim_end_matches('/') == path.replace('\\', "/").trim_end_matches('/'));
            profiles.push((p, legacy_default));
        }
    } else {
        // No usable profiles.ini: take every folder that holds a profile's files.
        let mut scan = vec![root.to_path_buf(), root.join("Profiles")];
        scan.retain(|d| is_real_dir(d));
        for d in scan {
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    is_real_dir(p)
                        && (p.join("prefs.js").exists() || p.join("cookies.sqlite").exists())
                })
                .collect();
            found.sort();
            for dir in found {
                let rel = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
                let name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let local = local_root
                    .map(|l| (l, l.join(&rel)))
                    .filter(|(l, p)| fsutil::inside_without_links(l, p))
                    .map(|(_, p)| p);
                profiles.push((firefox_profile(spec, &dir, local.as_deref(), &name), false));
            }
        }
    }
    if !profiles.iter().any(|(p, _)| p.is_default) {
        let legacy: Vec<usize> = (0..profiles.len()).filter(|&i| profiles[i].1).collect();
        if let Some(&i) = legacy.first() {
            profiles[i].0.is_default = true;
        } else if profiles.len() == 1 {
            profiles[0].0.is_default = true;
        }
    }
    for (p, _) in profiles {
        if !inst.profiles.iter().any(|q| q.dir == p.dir) {
            inst.profiles.push(p);
        }
    }
}

fn firefox_profile(spec: &BrowserSpec, dir: &Path, local: Option<&Path>, name: &str) -> Profile {
    let mut stores = Vec::new();
    let file = |rel: &str| Some(dir.join(rel)).filter(|p| is_real_file(p));
    if let Some(p) = file("cookies.sqlite") {
        stores.push(Store {
            kind: StoreKind::FirefoxCookies,
            path: p,
        });
    }
    for rel in [
        "sessionstore.jsonlz4",
        "sessionstore-backups/recovery.jsonlz4",
        "sessionstore-backups/recovery.baklz4",
        "sessionstore-backups/previous.jsonlz4",
    ] {
        if let Some(p) = file(rel).filter(|p| fsutil::inside_without_links(dir, p)) {
            stores.push(Store {
                kind: StoreKind::FirefoxSessionStore,
                path: p,
            });
        }
    }
    // cache2 lives below the local root for relative profiles; some layouts keep it in
    // the profile itself: probe both.
    for base in local.into_iter().chain(std::iter::once(dir)) {
        let c = base.join("cache2");
        if is_real_dir(&c) && !stores.iter().any(|s: &Store| s.path == c) {
            stores.push(Store {
                kind: StoreKind::FirefoxCache2,
                path: c,
            });
        }
    }
    // Firefox reads the `.bin` when there is one, else migrates the `.txt`: both are cleared.
    for rel in FIREFOX_SITE_SECURITY {
        if let Some(p) = file(rel) {
            stores.push(Store {
                kind: StoreKind::FirefoxSiteSecurity,
                path: p,
            });
        }
    }
    let storage = dir.join("storage").join("default");
    if is_real_dir(&storage) && fsutil::inside_without_links(dir, &storage) {
        stores.push(Store {
            kind: StoreKind::FirefoxSiteStorage,
            path: storage,
        });
    }
    // The Firefox account signed into the profile, if any (`signedInUser.json`).
    let email = read_config(&dir.join("signedInUser.json"))
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["accountData"]["email"].as_str().map(String::from))
        .filter(|e| !e.is_empty());
    Profile {
        browser_id: spec.id.to_string(),
        browser_name: spec.name.to_string(),
        family: spec.family,
        name: name.to_string(),
        email,
        dir: dir.to_path_buf(),
        stores,
        is_default: false,
        roots: Vec::new(),
    }
}

// ---------------------------------------------------------------- Safari

fn discover_safari(
    sys: &System,
    spec: &BrowserSpec,
    files: &SafariFiles,
    inst: &mut Installation,
    locations: &[&super::catalog::Location],
) {
    for loc in locations {
        for dir in expand(&loc.root.base_dir(sys), loc.root.rel) {
            push_unique(&mut inst.data_dirs, dir.clone());
            push_unique(&mut inst.roots, dir);
        }
    }
    if inst.roots.is_empty() {
        return;
    }
    let mut stores = Vec::new();
    let inside = |p: &Path| {
        inst.roots
            .iter()
            .any(|r| fsutil::inside_without_links(r, p))
    };
    for rule in files.cookies {
        let p = rule.base_dir(sys).join(rule.rel);
        if is_real_file(&p) && inside(&p) {
            // TCC: stat works but opening fails without Full Disk Access.
            if let Err(e) = fs::File::open(&p)
                && e.kind() == std::io::ErrorKind::PermissionDenied
            {
                inst.warnings.push(format!(
                    "{}: permission denied. On macOS give the app (or Terminal) Full Disk \
                     Access: x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles",
                    p.display()
                ));
                continue;
            }
            stores.push(Store {
                kind: StoreKind::SafariCookies,
                path: p,
            });
        }
    }
    for rule in files.caches {
        let p = rule.base_dir(sys).join(rule.rel);
        if is_real_dir(&p) && inside(&p) {
            stores.push(Store {
                kind: StoreKind::SafariCache,
                path: p,
            });
        }
    }
    let dir = files.library.base_dir(sys).join(files.library.rel);
    inst.profiles.push(Profile {
        browser_id: spec.id.to_string(),
        browser_name: spec.name.to_string(),
        family: spec.family,
        name: spec.name.to_string(),
        email: None,
        dir: if is_real_dir(&dir) {
            dir
        } else {
            inst.data_dirs[0].clone()
        },
        stores,
        is_default: true,
        roots: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_parser_reports_the_bad_line() {
        let ini = parse_ini("[General]\nVersion=2\n\n[Profile0]\nName=a\n").unwrap();
        assert_eq!(ini_get(&ini, "Profile0", "Name"), Some("a"));
        let err = parse_ini("[General]\nnonsense\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(parse_ini("Key=1\n").is_err());
    }

    #[test]
    fn backend_from_index_magic_and_os_default() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(
            cache_backend(Os::Linux, t.path()),
            StoreKind::ChromiumSimpleCache
        );
        assert_eq!(
            cache_backend(Os::Windows, t.path()),
            StoreKind::ChromiumBlockfileCache
        );
        let mut simple = 0xfcfb_6d1b_a772_5c30_u64.to_le_bytes().to_vec();
        simple.extend([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        fs::write(t.path().join("index"), &simple).unwrap();
        assert_eq!(
            cache_backend(Os::Windows, t.path()),
            StoreKind::ChromiumSimpleCache
        );
        let mut block = 0xC103_CAC3_u32.to_le_bytes().to_vec();
        block.extend([0, 0, 3, 0, 0, 0, 0, 0]);
        fs::write(t.path().join("index"), &block).unwrap();
        assert_eq!(
            cache_backend(Os::Linux, t.path()),
            StoreKind::ChromiumBlockfileCache
        );
    }

    #[test]
    fn live_cookies_file_rule() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        assert_eq!(chromium_cookies(p), None);
        fs::write(p.join("Cookies"), b"x").unwrap();
        assert_eq!(chromium_cookies(p), Some(p.join("Cookies")));
        fs::create_dir(p.join("Network")).unwrap();
        fs::write(p.join("Network/Cookies"), b"x").unwrap();
        // Both without checkpoint: the newer (set old one's mtime into the past).
        let old = fs::File::options()
            .write(true)
            .open(p.join("Cookies"))
            .unwrap();
        old.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(chromium_cookies(p), Some(p.join("Network/Cookies")));
        let net = fs::File::options()
            .write(true)
            .open(p.join("Network/Cookies"))
            .unwrap();
        net.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1))
            .unwrap();
        let now = std::time::SystemTime::now();
        old.set_modified(now).unwrap();
        assert_eq!(chromium_cookies(p), Some(p.join("Cookies")));
        fs::write(p.join("Network/NetworkDataMigrated"), b"").unwrap();
        assert_eq!(chromium_cookies(p), Some(p.join("Network/Cookies")));
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    #[test]
    fn chrome_config_home_and_xdg_overrides_are_honoured() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let cfg = t.path().join("chromecfg");
        let xdg = t.path().join("xdgcfg");
        fs::create_dir_all(cfg.join("google-chrome/Default")).unwrap();
        fs::create_dir_all(xdg.join("mozilla/firefox/x.default")).unwrap();
        fs::write(xdg.join("mozilla/firefox/x.default/prefs.js"), b"").unwrap();
        fs::create_dir_all(&home).unwrap();
        let mut sys = System::simulated(Os::Linux, &home);
        sys.env
            .insert("CHROME_CONFIG_HOME".into(), cfg.display().to_string());
        sys.env
            .insert("XDG_CONFIG_HOME".into(), xdg.display().to_string());
        let found = discover(&sys).unwrap();
        let chrome = found.iter().find(|i| i.id == "chrome").unwrap();
        assert_eq!(chrome.profiles[0].dir, cfg.join("google-chrome/Default"));
        let firefox = found.iter().find(|i| i.id == "firefox").unwrap();
        assert_eq!(
            firefox.profiles[0].dir,
            xdg.join("mozilla/firefox/x.default")
        );
    }
}
