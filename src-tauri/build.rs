//! Declares the app's own commands in an ACL manifest, so only the commands named here (and
//! allowed by `capabilities/default.json`) can be called from the page.

/// Every command the page may call; the capability file allows exactly these.
const COMMANDS: &[&str] = &[
    "startup_url",
    "settings",
    "check",
    "flush_dns_retry",
    "list_browsers",
    "site_plan",
    "close_browsers",
    "fix_site",
    "undo",
    "undo_available",
    "open_page",
    "restart_browsers",
    "report_text",
    "save_report",
    "save_bundle",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
