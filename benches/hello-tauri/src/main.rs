//! A bare hello-world Tauri 2 app: the baseline of the start-up and memory benchmark.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the hello-world app");
}
