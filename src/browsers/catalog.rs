//! The catalog: every browser fix401 knows, per OS and packaging, as data.
//!
//! Like BleachBit's CleanerML, the knowledge of where browsers keep their data is a table,
//! compiled on every OS and chosen at run time by an [`Os`] value, so that a Windows or
//! macOS home can be examined (and tested) from Linux. Sources for every path are in
//! `browser-stores.md` §1–§3 of the shared reference.

use std::path::PathBuf;

use serde::Serialize;

use super::{Family, Scope, StoreKind};
use crate::system::{Os, System};

/// How a browser was installed: it decides where its data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Packaging {
    /// The vendor's or the distribution's own package (or the usual Windows/macOS installer).
    Native,
    /// A Linux snap (`~/snap/<name>/…`).
    Snap,
    /// A Linux flatpak (`~/.var/app/<id>/…`).
    Flatpak,
    /// A Windows MSIX / Store package (`%LOCALAPPDATA%\Packages\…`).
    Msix,
}

impl Packaging {
    /// The id used in JSON and text output.
    pub fn id(self) -> &'static str {
        match self {
            Packaging::Native => "native",
            Packaging::Snap => "snap",
            Packaging::Flatpak => "flatpak",
            Packaging::Msix => "msix",
        }
    }
}

/// The folder a catalog path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The home directory itself.
    Home,
    /// Linux `$XDG_CONFIG_HOME` (`~/.config`).
    XdgConfig,
    /// Linux `$XDG_CACHE_HOME` (`~/.cache`).
    XdgCache,
    /// Linux `$CHROME_CONFIG_HOME` (Chromium browsers only), else `$XDG_CONFIG_HOME`.
    ChromeConfig,
    /// Windows `%APPDATA%` (roaming).
    AppData,
    /// Windows `%LOCALAPPDATA%`.
    LocalAppData,
    /// macOS `~/Library/Application Support`.
    MacAppSupport,
    /// macOS `~/Library/Caches`.
    MacCaches,
}

/// A path in the catalog: a base folder and a `/`-separated relative path. A `*` segment
/// stands for a snap revision (`~/snap/<name>/*/`): the revision `current` points to, or
/// every revision folder when there is no `current` link. A segment ending in `_*` is a
/// packaged app's folder with its publisher id (`TheBrowserCompany.Arc_*`): every folder
/// whose name is that prefix and an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRule {
    /// Where the path starts.
    pub base: Base,
    /// The rest, `/`-separated, possibly with one `*` revision or `<name>_*` package segment.
    pub rel: &'static str,
}

impl PathRule {
    /// The base folder of this rule on `sys` (without the relative part).
    pub fn base_dir(&self, sys: &System) -> PathBuf {
        match self.base {
            Base::Home => sys.home.clone(),
            Base::XdgConfig => sys.xdg_config_home(),
            Base::XdgCache => sys.xdg_cache_home(),
            Base::ChromeConfig => sys
                .var("CHROME_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| sys.xdg_config_home()),
            Base::AppData => sys.appdata(),
            Base::LocalAppData => sys.local_appdata(),
            Base::MacAppSupport => sys.home.join("Library").join("Application Support"),
            Base::MacCaches => sys.home.join("Library").join("Caches"),
        }
    }
}

/// How a browser lays out its profiles below its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A Chromium user-data dir: `Local State` + `Default`, `Profile N` folders.
    ChromiumUdd,
    /// Opera: the user-data dir *is* the profile; some builds add `Default` (both probed).
    OperaUdd,
    /// Firefox family: `profiles.ini` / `installs.ini` in the roaming root.
    FirefoxIni,
    /// Safari: one implicit profile spread over several `~/Library` folders, named by its
    /// files (Safari and Safari Technology Preview keep the same files in their own folders).
    Safari(&'static SafariFiles),
}

/// Where a Safari-family browser keeps the files fix401 clears (macOS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafariFiles {
    /// `Cookies.binarycookies` files, newest layout first.
    pub cookies: &'static [PathRule],
    /// Cache folders (whole removal only).
    pub caches: &'static [PathRule],
    /// The folder shown as the profile (`~/Library/Safari`: history, `LocalStorage`).
    pub library: PathRule,
}

/// A lock object a running browser holds (§3 of the reference), tested in `running.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockRule {
    /// Chromium macOS/Linux: symlink `UDD/SingletonLock` → `<hostname>-<pid>`.
    SingletonLock,
    /// Chromium Windows: `UDD\lockfile`, present only while the browser runs.
    WindowsLockfile,
    /// Firefox macOS/Linux: `P/.parentlock` with an `fcntl` write lock (file persists).
    ParentLockFcntl,
    /// Firefox Linux: symlink `P/lock` → `<ip>:+<pid>` (survives a clean exit).
    LockSymlink,
    /// Firefox Windows: `P\parent.lock` opened with share mode 0 (never deleted).
    WindowsParentLock,
}

/// Where one packaging of one browser keeps its data on one OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The OS whose homes use this location.
    pub os: Os,
    /// The packaging this location belongs to.
    pub packaging: Packaging,
    /// Chromium: the user-data dir. Firefox: the roaming root (with `profiles.ini`).
    /// Safari: one of its `~/Library` folders.
    pub root: PathRule,
    /// Chromium: the user cache dir that mirrors the user-data dir (profile `P` keeps its
    /// `Cache/Cache_Data` at the same relative path below it); `None` = inside `P`.
    /// Firefox: the local root holding each relative profile's `cache2`.
    pub cache_root: Option<PathRule>,
}

/// Process names by OS (as the process table shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessNames {
    /// Names on Linux.
    pub linux: &'static [&'static str],
    /// Names on macOS.
    pub macos: &'static [&'static str],
    /// Names on Windows.
    pub windows: &'static [&'static str],
    /// Where the executable lives, for names several browsers share (`chrome` is Chrome,
    /// Chrome Beta and snap Chromium): a process whose executable path is known and
    /// contains none of these belongs to another browser. Empty = the name is enough.
    /// Only the native packaging's folders: sandboxes are told by the two fields below.
    pub exe_dirs: &'static [&'static str],
    /// Linux: the flatpak app ids of this browser (`com.google.Chrome`). A sandboxed
    /// process counts for the flatpak installation only when its app id is one of these.
    pub flatpak_ids: &'static [&'static str],
    /// Linux: the snap names of this browser (`chromium`): a process of snap `<name>`
    /// (`/snap/<name>/…` executable, `snap.<name>.…` cgroup) counts for the snap only.
    pub snap_names: &'static [&'static str],
}

impl ProcessNames {
    /// The names that apply on `os`.
    pub fn on(&self, os: Os) -> &'static [&'static str] {
        match os {
            Os::Linux => self.linux,
            Os::Macos => self.macos,
            Os::Windows => self.windows,
        }
    }
}

/// One browser of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserSpec {
    /// Stable id used on the command line (`--browser chrome`) and in JSON.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Engine family: decides the store formats.
    pub family: Family,
    /// The release channels this entry covers (Firefox channels share one set of roots).
    pub channels: &'static [&'static str],
    /// How profiles are laid out.
    pub layout: Layout,
    /// Every location, for every OS and packaging.
    pub locations: &'static [Location],
    /// Executable names of the main process.
    pub processes: ProcessNames,
}

impl BrowserSpec {
    /// The locations that apply on `os`.
    pub fn locations_on(&self, os: Os) -> impl Iterator<Item = &'static Location> + use<> {
        let all: &'static [Location] = self.locations;
        all.iter().filter(move |l| l.os == os)
    }

    /// True when the catalog knows where this browser lives on `os`.
    pub fn supports(&self, os: Os) -> bool {
        self.locations.iter().any(|l| l.os == os)
    }

    /// The lock objects a running instance holds on `os`.
    pub fn lock_rules(&self, os: Os) -> &'static [LockRule] {
        lock_rules(self.family, os)
    }

    /// A Safari-family browser's files; `None` for the other layouts.
    pub fn safari_files(&self) -> Option<&'static SafariFiles> {
        match self.layout {
            Layout::Safari(files) => Some(files),
            _ => None,
        }
    }
}

/// The lock objects of a family on an OS (§3 of the reference).
pub fn lock_rules(family: Family, os: Os) -> &'static [LockRule] {
    match (family, os) {
        (Family::Chromium, Os::Linux | Os::Macos) => &[LockRule::SingletonLock],
        (Family::Chromium, Os::Windows) => &[LockRule::WindowsLockfile],
        (Family::Firefox, Os::Linux) => &[LockRule::ParentLockFcntl, LockRule::LockSymlink],
        (Family::Firefox, Os::Macos) => &[LockRule::ParentLockFcntl],
        (Family::Firefox, Os::Windows) => &[LockRule::WindowsParentLock],
        (Family::Safari, _) => &[],
    }
}

/// Safari's cookie files, newest layout first (container, then the legacy leftover).
pub const SAFARI_COOKIES: &[PathRule] = &[
    home("Library/Containers/com.apple.Safari/Data/Library/Cookies/Cookies.binarycookies"),
    home("Library/Cookies/Cookies.binarycookies"),
];

/// Safari's cache folders (whole removal only).
pub const SAFARI_CACHES: &[PathRule] = &[
    home("Library/Caches/com.apple.Safari"),
    home("Library/Containers/com.apple.Safari/Data/Library/Caches"),
];

/// Safari's files.
pub const SAFARI_FILES: SafariFiles = SafariFiles {
    cookies: SAFARI_COOKIES,
    caches: SAFARI_CACHES,
    library: home("Library/Safari"),
};

/// Safari Technology Preview: the same files under its own bundle id
/// `com.apple.SafariTechnologyPreview` (Homebrew cask `safari-technology-preview` zap list:
/// `~/Library/SafariTechnologyPreview`, `~/Library/Caches/com.apple.SafariTechnologyPreview`,
/// `~/Library/Containers/com.apple.SafariTechnologyPreview`). It has always been sandboxed,
/// so there is no legacy `~/Library/Cookies` file.
pub const SAFARI_TP_FILES: SafariFiles = SafariFiles {
    cookies: &[home(
        "Library/Containers/com.apple.SafariTechnologyPreview/Data/Library/Cookies/Cookies.binarycookies",
    )],
    caches: &[
        home("Library/Caches/com.apple.SafariTechnologyPreview"),
        home("Library/Containers/com.apple.SafariTechnologyPreview/Data/Library/Caches"),
    ],
    library: home("Library/SafariTechnologyPreview"),
};

const fn r(base: Base, rel: &'static str) -> PathRule {
    PathRule { base, rel }
}
const fn home(rel: &'static str) -> PathRule {
    r(Base::Home, rel)
}

/// A Windows Chromium user-data dir under `%LOCALAPPDATA%` (cache inside the profile).
const fn win(rel: &'static str) -> Location {
    Location {
        os: Os::Windows,
        packaging: Packaging::Native,
        root: r(Base::LocalAppData, rel),
        cache_root: None,
    }
}
/// A macOS folder under `~/Library/Application Support` with its cache mirrored under
/// `~/Library/Caches` (a Chromium user-data dir, or a Firefox-family roaming root).
const fn mac(rel: &'static str) -> Location {
    Location {
        os: Os::Macos,
        packaging: Packaging::Native,
        root: r(Base::MacAppSupport, rel),
        cache_root: Some(r(Base::MacCaches, rel)),
    }
}
/// A Linux Chromium user-data dir (cache mirrored under `$XDG_CACHE_HOME`).
const fn linux(rel: &'static str) -> Location {
    Location {
        os: Os::Linux,
        packaging: Packaging::Native,
        root: r(Base::ChromeConfig, rel),
        cache_root: Some(r(Base::XdgCache, rel)),
    }
}
/// A Linux location below the home with an explicit cache root.
const fn linux_pkg(packaging: Packaging, root: &'static str, cache: &'static str) -> Location {
    Location {
        os: Os::Linux,
        packaging,
        root: home(root),
        cache_root: Some(home(cache)),
    }
}

/// A Windows folder under `%APPDATA%` (roaming) with its cache under the same path of
/// `%LOCALAPPDATA%`: Opera's user-data dirs and Firefox-family roaming roots.
const fn win_roaming(rel: &'static str) -> Location {
    Location {
        os: Os::Windows,
        packaging: Packaging::Native,
        root: r(Base::AppData, rel),
        cache_root: Some(r(Base::LocalAppData, rel)),
    }
}
/// A Firefox-family Linux root below the home (`.waterfox`) with its local root (`cache2`)
/// under `$XDG_CACHE_HOME`.
const fn gecko_linux(root: &'static str, cache: &'static str) -> Location {
    Location {
        os: Os::Linux,
        packaging: Packaging::Native,
        root: home(root),
        cache_root: Some(r(Base::XdgCache, cache)),
    }
}

const CHROMIUM_FAMILY_CHANNEL: &[&str] = &["stable"];

// Left out on purpose: Tor Browser. It keeps no persistent state by default (permanent
// private browsing, `browser.privatebrowsing.autostart`; cookies and cache live only in
// memory and go when it closes), and its profile lives inside the unpacked bundle
// (`Browser/TorBrowser/Data/Browser/profile.default`), not in a fixed folder of the home.

/// The whole catalog.
static CATALOG: &[BrowserSpec] = &[
    BrowserSpec {
        id: "chrome",
        name: "Google Chrome",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Google/Chrome/User Data"),
            mac("Google/Chrome"),
            linux("google-chrome"),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/com.google.Chrome/config/google-chrome",
                ".var/app/com.google.Chrome/cache/google-chrome",
            ),
        ],
        processes: ProcessNames {
            linux: &["chrome", "google-chrome"],
            macos: &["Google Chrome"],
            windows: &["chrome.exe"],
            exe_dirs: &["/opt/google/chrome/"],
            flatpak_ids: &["com.google.Chrome"],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "chrome-beta",
        name: "Google Chrome Beta",
        family: Family::Chromium,
        channels: &["beta"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Google/Chrome Beta/User Data"),
            mac("Google/Chrome Beta"),
            linux("google-chrome-beta"),
        ],
        processes: ProcessNames {
            linux: &["chrome", "google-chrome-beta"],
            macos: &["Google Chrome Beta"],
            windows: &["chrome.exe"],
            exe_dirs: &["/opt/google/chrome-beta/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "chrome-dev",
        name: "Google Chrome Dev",
        family: Family::Chromium,
        channels: &["dev"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Google/Chrome Dev/User Data"),
            mac("Google/Chrome Dev"),
            linux("google-chrome-unstable"),
        ],
        processes: ProcessNames {
            linux: &["chrome", "google-chrome-unstable"],
            macos: &["Google Chrome Dev"],
            windows: &["chrome.exe"],
            exe_dirs: &["/opt/google/chrome-unstable/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "chrome-canary",
        name: "Google Chrome Canary",
        family: Family::Chromium,
        channels: &["canary"],
        layout: Layout::ChromiumUdd,
        // Linux since 2023: chromium `chrome/common/channel_info_posix.cc`
        // `GetChannelSuffixForDataDir()` gives `-canary` (`~/.config/google-chrome-canary`),
        // installed in `/opt/google/chrome-canary/`; Windows `Chrome SxS` and macOS
        // `Chrome Canary` per chromium `docs/user_data_dir.md`.
        locations: &[
            win("Google/Chrome SxS/User Data"),
            mac("Google/Chrome Canary"),
            linux("google-chrome-canary"),
        ],
        processes: ProcessNames {
            linux: &["chrome", "google-chrome-canary"],
            macos: &["Google Chrome Canary"],
            windows: &["chrome.exe"],
            exe_dirs: &["/opt/google/chrome-canary/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "chromium",
        name: "Chromium",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Chromium/User Data"),
            mac("Chromium"),
            linux("chromium"),
            linux_pkg(
                Packaging::Snap,
                "snap/chromium/common/chromium",
                "snap/chromium/common/.cache/chromium",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/org.chromium.Chromium/config/chromium",
                ".var/app/org.chromium.Chromium/cache/chromium",
            ),
        ],
        processes: ProcessNames {
            linux: &["chromium", "chromium-browse", "chrome"],
            macos: &["Chromium"],
            windows: &["chrome.exe"],
            exe_dirs: &["/usr/lib/chromium", "/usr/lib64/chromium-browser/"],
            flatpak_ids: &["org.chromium.Chromium"],
            snap_names: &["chromium"],
        },
    },
    BrowserSpec {
        id: "edge",
        name: "Microsoft Edge",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Microsoft/Edge/User Data"),
            mac("Microsoft Edge"),
            linux("microsoft-edge"),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/com.microsoft.Edge/config/microsoft-edge",
                ".var/app/com.microsoft.Edge/cache/microsoft-edge",
            ),
        ],
        processes: ProcessNames {
            linux: &["msedge", "microsoft-edge"],
            macos: &["Microsoft Edge"],
            windows: &["msedge.exe"],
            exe_dirs: &["/opt/microsoft/msedge/"],
            flatpak_ids: &["com.microsoft.Edge"],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "edge-beta",
        name: "Microsoft Edge Beta",
        family: Family::Chromium,
        channels: &["beta"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Microsoft/Edge Beta/User Data"),
            mac("Microsoft Edge Beta"),
            linux("microsoft-edge-beta"),
        ],
        processes: ProcessNames {
            linux: &["msedge"],
            macos: &["Microsoft Edge Beta"],
            windows: &["msedge.exe"],
            exe_dirs: &["/opt/microsoft/msedge-beta/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "edge-dev",
        name: "Microsoft Edge Dev",
        family: Family::Chromium,
        channels: &["dev"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Microsoft/Edge Dev/User Data"),
            mac("Microsoft Edge Dev"),
            linux("microsoft-edge-dev"),
        ],
        processes: ProcessNames {
            linux: &["msedge"],
            macos: &["Microsoft Edge Dev"],
            windows: &["msedge.exe"],
            exe_dirs: &["/opt/microsoft/msedge-dev/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "edge-canary",
        name: "Microsoft Edge Canary",
        family: Family::Chromium,
        channels: &["canary"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Microsoft/Edge SxS/User Data"),
            mac("Microsoft Edge Canary"),
        ],
        processes: ProcessNames {
            linux: &[],
            macos: &["Microsoft Edge Canary"],
            windows: &["msedge.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "brave",
        name: "Brave",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("BraveSoftware/Brave-Browser/User Data"),
            mac("BraveSoftware/Brave-Browser"),
            linux("BraveSoftware/Brave-Browser"),
            linux_pkg(
                Packaging::Snap,
                "snap/brave/*/.config/BraveSoftware/Brave-Browser",
                "snap/brave/common/.cache/BraveSoftware/Brave-Browser",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser",
                ".var/app/com.brave.Browser/cache/BraveSoftware/Brave-Browser",
            ),
        ],
        processes: ProcessNames {
            linux: &["brave", "brave-browser"],
            macos: &["Brave Browser"],
            windows: &["brave.exe"],
            exe_dirs: &[],
            flatpak_ids: &["com.brave.Browser"],
            snap_names: &["brave"],
        },
    },
    // Brave's channels: brave-core `common/brave_channel_info_posix.cc` gives the Linux
    // suffixes `-Beta` / `-Nightly`; Windows `%LOCALAPPDATA%\BraveSoftware\Brave-Browser-Beta`
    // and `-Nightly` (APMichael/Winapp2 `Browsers/BRAVE.md`); macOS the same names below
    // `BraveSoftware` (thewh1teagle/rookie `config.json`).
    BrowserSpec {
        id: "brave-beta",
        name: "Brave Beta",
        family: Family::Chromium,
        channels: &["beta"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("BraveSoftware/Brave-Browser-Beta/User Data"),
            mac("BraveSoftware/Brave-Browser-Beta"),
            linux("BraveSoftware/Brave-Browser-Beta"),
        ],
        processes: ProcessNames {
            linux: &["brave", "brave-browser-beta"],
            macos: &["Brave Browser Beta"],
            windows: &["brave.exe"],
            exe_dirs: &["/opt/brave.com/brave-beta/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "brave-nightly",
        name: "Brave Nightly",
        family: Family::Chromium,
        channels: &["nightly"],
        layout: Layout::ChromiumUdd,
        locations: &[
            win("BraveSoftware/Brave-Browser-Nightly/User Data"),
            mac("BraveSoftware/Brave-Browser-Nightly"),
            linux("BraveSoftware/Brave-Browser-Nightly"),
        ],
        processes: ProcessNames {
            linux: &["brave", "brave-browser-nightly"],
            macos: &["Brave Browser Nightly"],
            windows: &["brave.exe"],
            exe_dirs: &["/opt/brave.com/brave-nightly/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "vivaldi",
        name: "Vivaldi",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Vivaldi/User Data"),
            mac("Vivaldi"),
            linux("vivaldi"),
            linux_pkg(
                Packaging::Snap,
                "snap/vivaldi/*/.config/vivaldi",
                "snap/vivaldi/common/.cache/vivaldi",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/com.vivaldi.Vivaldi/config/vivaldi",
                ".var/app/com.vivaldi.Vivaldi/cache/vivaldi",
            ),
        ],
        processes: ProcessNames {
            linux: &["vivaldi-bin", "vivaldi"],
            macos: &["Vivaldi"],
            windows: &["vivaldi.exe"],
            exe_dirs: &[],
            flatpak_ids: &["com.vivaldi.Vivaldi"],
            snap_names: &["vivaldi"],
        },
    },
    // Vivaldi Snapshot: Linux `~/.config/vivaldi-snapshot` (netblue30/firejail
    // `vivaldi-snapshot.profile`, installed in `/opt/vivaldi-snapshot/`), macOS
    // `Vivaldi Snapshot` (raycast browser-bookmarks extension). On Windows a snapshot either
    // shares `%LOCALAPPDATA%\Vivaldi\User Data` with the stable row or is a standalone
    // install in a folder the user picks: no fixed folder of its own, so no Windows row.
    BrowserSpec {
        id: "vivaldi-snapshot",
        name: "Vivaldi Snapshot",
        family: Family::Chromium,
        channels: &["snapshot"],
        layout: Layout::ChromiumUdd,
        locations: &[mac("Vivaldi Snapshot"), linux("vivaldi-snapshot")],
        processes: ProcessNames {
            linux: &["vivaldi-bin", "vivaldi-snapshot"],
            macos: &["Vivaldi Snapshot"],
            windows: &[],
            exe_dirs: &["/opt/vivaldi-snapshot/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "opera",
        name: "Opera",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::OperaUdd,
        locations: &[
            Location {
                os: Os::Windows,
                packaging: Packaging::Native,
                root: r(Base::AppData, "Opera Software/Opera Stable"),
                cache_root: Some(r(Base::LocalAppData, "Opera Software/Opera Stable")),
            },
            mac("com.operasoftware.Opera"),
            linux("opera"),
            linux_pkg(
                Packaging::Snap,
                "snap/opera/*/.config/opera",
                "snap/opera/common/.cache/opera",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/com.opera.Opera/config/opera",
                ".var/app/com.opera.Opera/cache/opera",
            ),
        ],
        processes: ProcessNames {
            linux: &["opera"],
            macos: &["Opera"],
            windows: &["opera.exe"],
            exe_dirs: &[],
            flatpak_ids: &["com.opera.Opera"],
            snap_names: &["opera"],
        },
    },
    BrowserSpec {
        id: "opera-gx",
        name: "Opera GX",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::OperaUdd,
        locations: &[
            Location {
                os: Os::Windows,
                packaging: Packaging::Native,
                root: r(Base::AppData, "Opera Software/Opera GX Stable"),
                cache_root: Some(r(Base::LocalAppData, "Opera Software/Opera GX Stable")),
            },
            mac("com.operasoftware.OperaGX"),
        ],
        processes: ProcessNames {
            linux: &[],
            macos: &["Opera GX"],
            windows: &["opera.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    // Opera's channels: Windows `%APPDATA%\Opera Software\Opera Next` (beta) and
    // `Opera Developer`, macOS `com.operasoftware.OperaNext` / `OperaDeveloper`, Linux
    // `~/.config/opera-beta` / `opera-developer` (thewh1teagle/rookie `config.json`; the
    // Windows names also in rookie's `Opera {channel}` rule). Like Opera, the user-data
    // dir is the profile and the Windows cache sits under `%LOCALAPPDATA%`.
    BrowserSpec {
        id: "opera-beta",
        name: "Opera Beta",
        family: Family::Chromium,
        channels: &["beta"],
        layout: Layout::OperaUdd,
        locations: &[
            win_roaming("Opera Software/Opera Next"),
            mac("com.operasoftware.OperaNext"),
            linux("opera-beta"),
        ],
        processes: ProcessNames {
            linux: &["opera-beta"],
            // Opera's macOS bundles of every channel run an executable named `Opera`.
            macos: &["Opera Beta", "Opera"],
            windows: &["opera.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "opera-developer",
        name: "Opera Developer",
        family: Family::Chromium,
        channels: &["developer"],
        layout: Layout::OperaUdd,
        locations: &[
            win_roaming("Opera Software/Opera Developer"),
            mac("com.operasoftware.OperaDeveloper"),
            linux("opera-developer"),
        ],
        processes: ProcessNames {
            linux: &["opera-developer"],
            macos: &["Opera Developer", "Opera"],
            windows: &["opera.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    // Arc: macOS `~/Library/Application Support/Arc/User Data` (seanbreckenridge/
    // browserexport `arc.py`); Windows only as an MSIX package, whose folder carries the
    // publisher id (`TheBrowserCompany.Arc_ttt1ap7aakyb4` today; rookie globs
    // `TheBrowserCompany.Arc*`), so the rule matches any id.
    BrowserSpec {
        id: "arc",
        name: "Arc",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            Location {
                os: Os::Windows,
                packaging: Packaging::Msix,
                root: r(
                    Base::LocalAppData,
                    "Packages/TheBrowserCompany.Arc_*/LocalCache/Local/Arc/User Data",
                ),
                cache_root: None,
            },
            mac("Arc/User Data"),
        ],
        processes: ProcessNames {
            linux: &[],
            macos: &["Arc"],
            windows: &["Arc.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    // Yandex Browser: Windows `%LOCALAPPDATA%\Yandex\YandexBrowser\User Data`, macOS
    // `Yandex/YandexBrowser`, Linux `~/.config/yandex-browser` (elastic osquery-extension
    // `browserhistory` paths table), installed in `/opt/yandex/browser/`.
    BrowserSpec {
        id: "yandex",
        name: "Yandex Browser",
        family: Family::Chromium,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::ChromiumUdd,
        locations: &[
            win("Yandex/YandexBrowser/User Data"),
            mac("Yandex/YandexBrowser"),
            linux("yandex-browser"),
        ],
        processes: ProcessNames {
            linux: &["yandex_browser", "yandex-browser"],
            macos: &["Yandex"],
            windows: &["browser.exe"],
            exe_dirs: &["/opt/yandex/browser/"],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "firefox",
        name: "Firefox",
        family: Family::Firefox,
        channels: &["release", "esr", "developer", "nightly"],
        layout: Layout::FirefoxIni,
        locations: &[
            Location {
                os: Os::Windows,
                packaging: Packaging::Native,
                root: r(Base::AppData, "Mozilla/Firefox"),
                cache_root: Some(r(Base::LocalAppData, "Mozilla/Firefox")),
            },
            Location {
                os: Os::Windows,
                packaging: Packaging::Msix,
                root: r(
                    Base::LocalAppData,
                    "Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Roaming/Mozilla/Firefox",
                ),
                cache_root: Some(r(
                    Base::LocalAppData,
                    "Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Local/Mozilla/Firefox",
                )),
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: r(Base::MacAppSupport, "Firefox"),
                cache_root: Some(r(Base::MacCaches, "Firefox")),
            },
            Location {
                os: Os::Linux,
                packaging: Packaging::Native,
                root: home(".mozilla/firefox"),
                cache_root: Some(r(Base::XdgCache, "mozilla/firefox")),
            },
            // Firefox 147+ (and fresh profiles of current ESR builds) use the XDG folder.
            Location {
                os: Os::Linux,
                packaging: Packaging::Native,
                root: r(Base::XdgConfig, "mozilla/firefox"),
                cache_root: Some(r(Base::XdgCache, "mozilla/firefox")),
            },
            linux_pkg(
                Packaging::Snap,
                "snap/firefox/common/.mozilla/firefox",
                "snap/firefox/common/.cache/mozilla/firefox",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/org.mozilla.firefox/.mozilla/firefox",
                ".var/app/org.mozilla.firefox/cache/mozilla/firefox",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/org.mozilla.firefox/config/mozilla/firefox",
                ".var/app/org.mozilla.firefox/cache/mozilla/firefox",
            ),
        ],
        processes: ProcessNames {
            linux: &[
                "firefox",
                "firefox-esr",
                "firefox-bin",
                "firefox-devedition",
                "firefox-nightly",
            ],
            macos: &["firefox", "Firefox"],
            windows: &["firefox.exe"],
            exe_dirs: &[],
            flatpak_ids: &["org.mozilla.firefox"],
            snap_names: &["firefox"],
        },
    },
    BrowserSpec {
        id: "librewolf",
        name: "LibreWolf",
        family: Family::Firefox,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::FirefoxIni,
        locations: &[
            Location {
                os: Os::Windows,
                packaging: Packaging::Native,
                root: r(Base::AppData, "librewolf"),
                cache_root: Some(r(Base::LocalAppData, "librewolf")),
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: r(Base::MacAppSupport, "librewolf"),
                cache_root: Some(r(Base::MacCaches, "librewolf")),
            },
            Location {
                os: Os::Linux,
                packaging: Packaging::Native,
                root: home(".librewolf"),
                cache_root: Some(r(Base::XdgCache, "librewolf")),
            },
            // New installs follow XDG like Firefox 147 (codeberg librewolf/source PR 120).
            // nix-community/home-manager#8867 puts profiles.ini in
            // `$XDG_CONFIG_HOME/librewolf/librewolf`, 64-bitman/browser-on-ram#5 in
            // `$XDG_CONFIG_HOME/librewolf`: both are probed (a root without profiles.ini
            // and without profile folders yields nothing).
            Location {
                os: Os::Linux,
                packaging: Packaging::Native,
                root: r(Base::XdgConfig, "librewolf/librewolf"),
                cache_root: Some(r(Base::XdgCache, "librewolf")),
            },
            Location {
                os: Os::Linux,
                packaging: Packaging::Native,
                root: r(Base::XdgConfig, "librewolf"),
                cache_root: Some(r(Base::XdgCache, "librewolf")),
            },
            linux_pkg(
                Packaging::Snap,
                "snap/librewolf/common/.librewolf",
                "snap/librewolf/common/.cache/librewolf",
            ),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/io.gitlab.librewolf-community/.librewolf",
                ".var/app/io.gitlab.librewolf-community/cache/librewolf",
            ),
        ],
        processes: ProcessNames {
            linux: &["librewolf", "librewolf-bin"],
            macos: &["librewolf", "LibreWolf"],
            windows: &["librewolf.exe"],
            exe_dirs: &[],
            flatpak_ids: &["io.gitlab.librewolf-community"],
            snap_names: &["librewolf"],
        },
    },
    // Waterfox: `MOZ_APP_PROFILE=Waterfox` on every OS (BrowserWorks/Waterfox
    // `browser/branding/unofficial/configure.sh`), so `%APPDATA%\Waterfox`,
    // `~/Library/Application Support/Waterfox` and, lower-cased, `~/.waterfox` with the
    // cache in `~/.cache/waterfox` (netblue30/firejail `waterfox.profile`).
    BrowserSpec {
        id: "waterfox",
        name: "Waterfox",
        family: Family::Firefox,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::FirefoxIni,
        locations: &[
            win_roaming("Waterfox"),
            mac("Waterfox"),
            gecko_linux(".waterfox", "waterfox"),
        ],
        processes: ProcessNames {
            linux: &["waterfox", "waterfox-bin"],
            macos: &["waterfox", "Waterfox"],
            windows: &["waterfox.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    // Zen: `%APPDATA%\zen`, `~/Library/Application Support/zen`, `~/.zen`, flatpak
    // `~/.var/app/app.zen_browser.zen/.zen` (profile scripts that read Zen's profiles.ini).
    BrowserSpec {
        id: "zen",
        name: "Zen Browser",
        family: Family::Firefox,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::FirefoxIni,
        locations: &[
            win_roaming("zen"),
            mac("zen"),
            gecko_linux(".zen", "zen"),
            linux_pkg(
                Packaging::Flatpak,
                ".var/app/app.zen_browser.zen/.zen",
                ".var/app/app.zen_browser.zen/cache/zen",
            ),
        ],
        processes: ProcessNames {
            linux: &["zen", "zen-bin"],
            macos: &["zen", "Zen"],
            windows: &["zen.exe"],
            exe_dirs: &[],
            flatpak_ids: &["app.zen_browser.zen"],
            snap_names: &[],
        },
    },
    // Floorp: `%APPDATA%\Floorp`, `~/Library/Application Support/Floorp`, `~/.floorp`
    // (seanbreckenridge/browserexport `floorp.py`).
    BrowserSpec {
        id: "floorp",
        name: "Floorp",
        family: Family::Firefox,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::FirefoxIni,
        locations: &[
            win_roaming("Floorp"),
            mac("Floorp"),
            gecko_linux(".floorp", "floorp"),
        ],
        processes: ProcessNames {
            linux: &["floorp", "floorp-bin"],
            macos: &["floorp", "Floorp"],
            windows: &["floorp.exe"],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "safari",
        name: "Safari",
        family: Family::Safari,
        channels: CHROMIUM_FAMILY_CHANNEL,
        layout: Layout::Safari(&SAFARI_FILES),
        locations: &[
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Containers/com.apple.Safari"),
                cache_root: None,
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Safari"),
                cache_root: None,
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Cookies"),
                cache_root: None,
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Caches/com.apple.Safari"),
                cache_root: None,
            },
        ],
        processes: ProcessNames {
            linux: &[],
            macos: &["Safari"],
            windows: &[],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
    BrowserSpec {
        id: "safari-tp",
        name: "Safari Technology Preview",
        family: Family::Safari,
        channels: &["technology-preview"],
        layout: Layout::Safari(&SAFARI_TP_FILES),
        locations: &[
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Containers/com.apple.SafariTechnologyPreview"),
                cache_root: None,
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/SafariTechnologyPreview"),
                cache_root: None,
            },
            Location {
                os: Os::Macos,
                packaging: Packaging::Native,
                root: home("Library/Caches/com.apple.SafariTechnologyPreview"),
                cache_root: None,
            },
        ],
        processes: ProcessNames {
            linux: &[],
            macos: &["Safari Technology Preview"],
            windows: &[],
            exe_dirs: &[],
            flatpak_ids: &[],
            snap_names: &[],
        },
    },
];

/// Every browser fix401 knows, for every OS and packaging.
pub fn catalog() -> &'static [BrowserSpec] {
    CATALOG
}

/// The catalog entry with this id.
pub fn spec(id: &str) -> Option<&'static BrowserSpec> {
    CATALOG.iter().find(|s| s.id == id)
}

/// True when `exe` lies in the native executable folder of some catalog browser (a known
/// browser outside any sandbox, so never a sandboxed installation's process).
pub fn in_known_exe_dir(exe: &str) -> bool {
    CATALOG
        .iter()
        .any(|s| s.processes.exe_dirs.iter().any(|d| exe.contains(d)))
}

/// The store kinds a family uses on an OS, as (cookies, cache, site storage); `None` =
/// the browser keeps no such data fix401 can clear.
pub fn store_kinds(family: Family, os: Os) -> (StoreKind, StoreKind, Option<&'static [StoreKind]>) {
    match family {
        Family::Chromium => (
            StoreKind::ChromiumCookies,
            if os == Os::Windows {
                StoreKind::ChromiumBlockfileCache
            } else {
                StoreKind::ChromiumSimpleCache
            },
            Some(&[
                StoreKind::ChromiumIndexedDb,
                StoreKind::ChromiumLocalStorage,
                StoreKind::ChromiumServiceWorker,
            ]),
        ),
        Family::Firefox => (
            StoreKind::FirefoxCookies,
            StoreKind::FirefoxCache2,
            Some(&[StoreKind::FirefoxSiteStorage]),
        ),
        Family::Safari => (StoreKind::SafariCookies, StoreKind::SafariCache, None),
    }
}

/// The "Site storage" cell: one scope, or each kind with its own when they differ
/// (Chromium keeps IndexedDB per origin but Service Worker data is not split by site).
fn storage_cell(storage: Option<&'static [StoreKind]>) -> String {
    let Some(kinds) = storage else {
        return Scope::NotSupported.label().to_string();
    };
    let first = kinds[0].scope();
    if kinds.iter().all(|k| k.scope() == first) {
        return first.label().to_string();
    }
    kinds
        .iter()
        .map(|k| {
            let name = match k {
                StoreKind::ChromiumIndexedDb => "IndexedDB",
                StoreKind::ChromiumLocalStorage => "Local Storage",
                StoreKind::ChromiumServiceWorker => "Service Worker",
                _ => "storage",
            };
            format!("{name}: {}", k.scope().label())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The catalog as a Markdown table (browser × OS × store), as printed in the README.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Browser | OS | Packaging | Cookies | HTTP cache | Site storage |\n\
         |---|---|---|---|---|---|\n",
    );
    for spec in catalog() {
        for os in [Os::Windows, Os::Macos, Os::Linux] {
            let mut packagings: Vec<&str> = Vec::new();
            for l in spec.locations_on(os) {
                if !packagings.contains(&l.packaging.id()) {
                    packagings.push(l.packaging.id());
                }
            }
            let (cookies, cache, storage) = store_kinds(spec.family, os);
            let cells = if packagings.is_empty() {
                ["—".to_string(), "—".into(), "—".into(), "—".into()]
            } else {
                let cache_note = match cache {
                    StoreKind::ChromiumBlockfileCache => " (Blockfile)",
                    StoreKind::ChromiumSimpleCache => " (Simple)",
                    StoreKind::FirefoxCache2 => " (cache2)",
                    _ => "",
                };
                [
                    packagings.join(", "),
                    cookies.scope().label().to_string(),
                    format!("{}{cache_note}", cache.scope().label()),
                    storage_cell(storage),
                ]
            };
            let channels = if spec.channels.len() > 1 {
                format!(" ({})", spec.channels.join(", "))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "| {}{channels} (`{}`) | {os} | {} | {} | {} | {} |\n",
                spec.name, spec.id, cells[0], cells[1], cells[2], cells[3]
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_holds_the_current_catalog_table() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's catalog table is out of date; replace it with:\n{table}"
        );
    }

    #[test]
    fn ids_are_unique_and_every_os_is_covered() {
        let mut ids: Vec<_> = catalog().iter().map(|s| s.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            assert!(catalog().iter().filter(|s| s.supports(os)).count() >= 8);
        }
    }

    #[test]
    fn every_sandbox_location_has_its_app_id_or_snap_name() {
        for s in catalog() {
            for l in s.locations_on(Os::Linux) {
                let (ids, prefix) = match l.packaging {
                    Packaging::Flatpak => (s.processes.flatpak_ids, ".var/app/"),
                    Packaging::Snap => (s.processes.snap_names, "snap/"),
                    _ => continue,
                };
                let first = l.root.rel.strip_prefix(prefix).unwrap().split('/').next();
                assert!(
                    first.is_some_and(|f| ids.contains(&f)),
                    "{}: {} is not under one of {ids:?}",
                    s.id,
                    l.root.rel
                );
            }
            for (ids, packaging) in [
                (s.processes.flatpak_ids, Packaging::Flatpak),
                (s.processes.snap_names, Packaging::Snap),
            ] {
                let used = s.locations_on(Os::Linux).any(|l| l.packaging == packaging);
                assert_eq!(!ids.is_empty(), used, "{}: {ids:?} vs {packaging:?}", s.id);
            }
        }
    }

    /// Every folder the catalog names on `os`, resolved in a home laid out as `os` with
    /// the default folders, as `(browser id, what, path)`.
    fn claimed_folders(os: Os) -> Vec<(&'static str, &'static str, PathBuf)> {
        let sys = System::simulated(os, std::path::Path::new("/home/u"));
        let resolve = |rule: &PathRule| rule.base_dir(&sys).join(rule.rel);
        let mut out = Vec::new();
        for s in catalog() {
            for l in s.locations_on(os) {
                out.push((s.id, "root", resolve(&l.root)));
                if let Some(c) = &l.cache_root {
                    out.push((s.id, "cache root", resolve(c)));
                }
            }
            for rule in s.safari_files().into_iter().flat_map(|f| f.cookies) {
                out.push((s.id, "cookie file", resolve(rule)));
            }
        }
        out
    }

    #[test]
    fn no_two_rows_claim_the_same_folder_on_the_same_os() {
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            let claimed = claimed_folders(os);
            for (i, (a, what_a, pa)) in claimed.iter().enumerate() {
                for (b, what_b, pb) in &claimed[i + 1..] {
                    if a == b {
                        // One browser may list a folder as a root of two packagings'
                        // rules only when they are distinct roots (its cache roots may
                        // be shared, as Firefox's legacy and XDG roots share one).
                        if what_a == &"root" && what_b == &"root" {
                            assert_ne!(pa, pb, "{os:?}: {a} lists {} twice", pa.display());
                        }
                        continue;
                    }
                    // Two browsers: never the same folder, and never one inside the other
                    // (clearing one must not reach the other's data); whole components.
                    let nested = pa.starts_with(pb) || pb.starts_with(pa);
                    assert!(
                        !nested,
                        "{os:?}: {a}'s {what_a} {} and {b}'s {what_b} {} overlap",
                        pa.display(),
                        pb.display()
                    );
                }
            }
        }
    }

    #[test]
    fn rules_are_relative_and_slash_separated() {
        for s in catalog() {
            for l in s.locations {
                for rule in std::iter::once(l.root).chain(l.cache_root) {
                    assert!(!rule.rel.starts_with('/'), "{}: {}", s.id, rule.rel);
                    assert!(!rule.rel.contains('\\'), "{}: {}", s.id, rule.rel);
                    assert!(!rule.rel.split('/').any(|c| c == ".."));
                    // One wildcard at most: a whole `*` (snap revision) or `<name>_*`.
                    let wild: Vec<&str> = rule.rel.split('/').filter(|c| c.contains('*')).collect();
                    assert!(wild.len() <= 1, "{}: {}", s.id, rule.rel);
                    assert!(
                        wild.iter().all(|c| *c == "*"
                            || (c.ends_with("_*") && c.len() > 2 && c.matches('*').count() == 1)),
                        "{}: {}",
                        s.id,
                        rule.rel
                    );
                }
            }
        }
    }
}
