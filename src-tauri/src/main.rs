//! The fix401 desktop app's entry point (all code lives in the library, for tests).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    fix401_app::run();
}
