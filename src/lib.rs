//! fix401: the core of a repair utility for "401 Unauthorized" and pages that will not load.
//!
//! The flow runs one way (see `DESIGN.md`):
//! URL → [`target`] (lint) → [`check`] (evidence: [`probe`], DNS facts, browser routes)
//! → [`diagnosis`] (findings and actions, pure, in the words of [`model`])
//! → plan → apply ([`dns`], [`stores`]) → probe again → [`report`].
//!
//! Nothing here depends on Tauri: the CLI (`src/main.rs`) and the desktop shell
//! (`src-tauri/`) are thin layers over this library. Every contact with the operating
//! system goes through [`system`], so tests can point the library at a simulated home
//! directory laid out like Windows, macOS or Linux.

pub mod api;
pub mod browsers;
pub mod challenge;
pub mod check;
pub mod config;
pub mod cookie_jar;
pub mod diagnosis;
pub mod dns;
pub mod error;
pub mod fix;
pub mod model;
pub mod negotiate;
pub mod probe;
pub mod redact;
pub mod report;
pub mod route;
pub mod stores;
pub mod system;
pub mod target;
pub mod words;

pub use error::{Error, Result};
pub use system::{Os, System};
