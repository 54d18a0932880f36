//! The catalog completed (issue 18): every location of every browser added to it —
//! Chrome Canary on Linux, Arc (macOS, Windows MSIX), Yandex, Brave Beta/Nightly, Vivaldi
//! Snapshot, Opera Beta/Developer, Waterfox, Zen, Floorp, LibreWolf under XDG, Safari
//! Technology Preview — gets a simulated home laid out from the catalog's own paths, is
//! discovered, has one site's cookies cleared and is restored exactly by `undo`.

use std::path::{Path, PathBuf};

use fix401::browsers::catalog::{self, Layout, Location};
use serde_json::Value;

use crate::support::TestEnv;
use crate::support::homes::{self, Os};
use crate::support::stores::dump_rows;

/// The browsers issue 18 added or completed: every one of their locations is tested.
const COMPLETED: &[&str] = &[
    "chrome-canary",
    "arc",
    "yandex",
    "brave-beta",
    "brave-nightly",
    "vivaldi-snapshot",
    "opera-beta",
    "opera-developer",
    "waterfox",
    "zen",
    "floorp",
    "librewolf",
];

/// What a simulated home holds for one location: the profile folder discovery must list,
/// its cookie store (kind and path) and the store's table.
struct Home {
    env: TestEnv,
    profile_dir: PathBuf,
    cookies: PathBuf,
    kind: &'static str,
    table: &'static str,
}

/// A home laid out as `location` of `id` says, with cookies of a.test (two) and b.test.
fn home_at(id: &str, location: &Location) -> Home {
    let spec = catalog::spec(id).unwrap();
    let os = location.os;
    let env = homes::env(os);
    let (profile_dir, cookies, kind, table) = match spec.layout {
        Layout::ChromiumUdd | Layout::OperaUdd => {
            let p = if spec.layout == Layout::OperaUdd {
                homes::opera_udd_profile_at(&env, os, location)
            } else {
                homes::chromium_profile_at(&env, os, location, "Default")
            };
            for (host, name) in [("a.test", "sid"), (".a.test", "pref"), ("b.test", "keep")] {
                homes::chromium_cookie(&p.cookies, host, name, "");
            }
            (p.dir, p.cookies, "chromium_cookies", "cookies")
        }
        Layout::FirefoxIni => {
            let p = homes::firefox_profile_at(&env, os, id, location, "default-release");
            for (host, name) in [("a.test", "sid"), (".a.test", "pref"), ("b.test", "keep")] {
                homes::firefox_cookie(&p.cookies, host, name, "value", "");
            }
            (p.dir, p.cookies, "firefox_cookies", "moz_cookies")
        }
        Layout::Safari(_) => unreachable!("Safari-family rows have their own test"),
    };
    Home {
        env,
        profile_dir,
        cookies,
        kind,
        table,
    }
}

/// `fix401 browsers --json`: the installation of `id` in `packaging`.
fn installation(env: &TestEnv, id: &str, packaging: &str) -> Value {
    let out = env.cmd(["browsers", "--json"]).run().code(0);
    let list = out.json()["browsers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.into_iter()
        .find(|b| b["id"] == id && b["packaging"] == packaging)
        .unwrap_or_else(|| panic!("{id} ({packaging}) not discovered: {}", out.stdout))
}

fn store_paths(profile: &Value, kind: &str) -> Vec<PathBuf> {
    profile["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == kind)
        .map(|s| PathBuf::from(s["path"].as_str().unwrap()))
        .collect()
}

fn profile_at<'a>(inst: &'a Value, dir: &Path) -> &'a Value {
    inst["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["dir"] == dir.to_str().unwrap())
        .unwrap_or_else(|| panic!("profile {} not in {inst:#}", dir.display()))
}

/// The `name` column of every cookie row left, sorted.
fn names(db: &Path, table: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut stmt = c
        .prepare(&format!("SELECT name FROM {table} ORDER BY name"))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn every_completed_row_is_discovered_cleared_for_one_site_and_undone() {
    let mut tested = 0;
    for &id in COMPLETED {
        let spec = catalog::spec(id).unwrap_or_else(|| panic!("{id} is not in the catalog"));
        for location in spec.locations {
            let what = format!(
                "{id} {:?} {} {}",
                location.os,
                location.packaging.id(),
                location.root.rel
            );
            let h = home_at(id, location);
            let inst = installation(&h.env, id, location.packaging.id());
            assert_eq!(inst["running"]["state"], "not_running", "{what}: {inst:#}");
            let profile = profile_at(&inst, &h.profile_dir);
            assert_eq!(
                store_paths(profile, h.kind),
                vec![h.cookies.clone()],
                "{what}"
            );
            let before = dump_rows(&h.cookies, h.table);

            let out = h
                .env
                .cmd(["clear", "--site", "a.test", "--yes", "--json"])
                .run()
                .code(0);
            assert_eq!(
                out.json()["applied"]["cookies"],
                2,
                "{what}: {}",
                out.stdout
            );
            assert_eq!(names(&h.cookies, h.table), ["keep"], "{what}");

            h.env.cmd(["undo"]).run().code(0).stdout_has("Restored");
            assert_eq!(dump_rows(&h.cookies, h.table), before, "{what}: rows back");
            tested += 1;
        }
    }
    // Every location of the completed browsers, on every OS (a row lost from the catalog
    // shows up here as a smaller count).
    assert_eq!(tested, 39);
}

#[test]
fn safari_technology_preview_is_its_own_browser_with_its_own_files() {
    use fix401::stores::safari_cookies::{self, Jar, Record};
    let env = homes::env(Os::Macos);
    let stp = homes::safari_family(&env, "safari-tp");
    let safari = homes::safari(&env);
    let rec = |d: &str, n: &str| Record {
        raw: safari_cookies::record(d, n, "/", "value", 5),
        domain: d.into(),
        name: n.into(),
    };
    let jar = Jar {
        pages: vec![vec![
            rec("a.test", "sid"),
            rec(".b.test", "keep"),
            rec(".www.a.test", "pref"),
        ]],
        tail: vec![0x07, 0x17, 0x20, 0x05, 0, 0, 0, 0],
    };
    let original = safari_cookies::write(&jar);
    std::fs::write(&stp.cookie_files[0], &original).unwrap();
    let safari_before = std::fs::read(&safari.cookies).unwrap();

    let inst = installation(&env, "safari-tp", "native");
    assert_eq!(inst["family"], "safari");
    assert_eq!(inst["running"]["state"], "not_running", "{inst:#}");
    let profile = profile_at(&inst, &stp.library);
    assert_eq!(profile["name"], "Safari Technology Preview");
    assert_eq!(store_paths(profile, "safari_cookies"), stp.cookie_files);
    assert_eq!(
        store_paths(profile, "safari_cache"),
        vec![stp.cache.clone()]
    );
    // Safari in the same home keeps to its own files.
    let safari_inst = installation(&env, "safari", "native");
    let safari_profile = &safari_inst["profiles"][0];
    assert_eq!(
        store_paths(safari_profile, "safari_cookies"),
        vec![safari.cookies.clone(), safari.legacy_cookies.clone()]
    );
    assert_eq!(
        store_paths(safari_profile, "safari_cache"),
        vec![safari.cache.clone()]
    );

    let out = env
        .cmd([
            "clear",
            "--site",
            "a.test",
            "--browser",
            "safari-tp",
            "--yes",
            "--json",
        ])
        .run()
        .code(0);
    assert_eq!(out.json()["applied"]["cookies"], 2, "{}", out.stdout);
    let left = safari_cookies::parse(&std::fs::read(&stp.cookie_files[0]).unwrap()).unwrap();
    let left: Vec<&str> = left
        .pages
        .iter()
        .flatten()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(left, ["keep"]);
    assert_eq!(std::fs::read(&safari.cookies).unwrap(), safari_before);

    env.cmd(["undo"]).run().code(0).stdout_has("Restored");
    assert_eq!(std::fs::read(&stp.cookie_files[0]).unwrap(), original);
}

#[test]
fn arc_is_found_whatever_its_publisher_id() {
    let arc = catalog::spec("arc").unwrap();
    let msix = arc.locations_on(Os::Windows).next().unwrap();
    let h = home_at("arc", msix);
    // Move the package folder to another publisher id: discovery still finds it.
    let rel = homes::home_relative(Os::Windows, &msix.root);
    let package = rel
        .split('/')
        .find(|p| p.ends_with(homes::SIMULATED_PUBLISHER_ID))
        .unwrap();
    let old = h
        .env
        .path(&rel[..rel.find(package).unwrap() + package.len()]);
    let new = old.with_file_name("TheBrowserCompany.Arc_0another1id");
    std::fs::rename(&old, &new).unwrap();
    let inst = installation(&h.env, "arc", "msix");
    let moved = new.join(h.cookies.strip_prefix(&old).unwrap());
    let dir = new.join(h.profile_dir.strip_prefix(&old).unwrap());
    assert_eq!(
        store_paths(profile_at(&inst, &dir), "chromium_cookies"),
        vec![moved]
    );
}

#[test]
fn every_catalog_row_has_a_simulated_home_in_the_discovery_matrices() {
    for spec in catalog::catalog() {
        if spec.safari_files().is_some() {
            continue; // Safari-family rows: the tests above and `browsers.rs`.
        }
        let matrix = match spec.family {
            fix401::browsers::Family::Chromium => homes::CHROMIUM_MATRIX,
            _ => homes::FIREFOX_MATRIX,
        };
        for l in spec.locations {
            assert!(
                matrix
                    .iter()
                    .any(|&(id, os, p)| id == spec.id && os == l.os && p == l.packaging.id()),
                "{} {:?} {} has no simulated home in the discovery matrix",
                spec.id,
                l.os,
                l.packaging.id()
            );
        }
    }
}
