//! fix401: the core of a repair utility for "401 Unauthorized" and pages that will not load.
//!
//! The flow runs one way (see `ARCHITECTURE.md`):
//! URL → `target` (lint) → `check` (evidence: `probe`, DNS facts, browser routes, sign-in)
//! → `diagnosis` (findings and actions, pure, in the words of [`model`])
//! → `fix` (plan → apply (`dns`, `stores`) → probe again) → `report`. The faces (the CLI and
//! the desktop shell) reach all of it through [`api`] alone; see `ARCHITECTURE.md`.
//!
//! Nothing here depends on Tauri: the CLI (`src/main.rs`) and the desktop shell
//! (`src-tauri/`) are thin layers over this library. Every contact with the operating
//! system goes through [`system`], so tests can point the library at a simulated home
//! directory laid out like Windows, macOS or Linux.

// The public face: the one facade both faces use, its shared vocabulary, the system seam
// tests point at simulated homes, and the errors.
pub mod api;
pub mod error;
pub mod model;
pub mod system;
pub mod words;

// Internal stages. Public only for the integration tests and benches, which test the store
// formats, the catalog and the parsers directly; hidden from the docs, and the faces may
// not use them (`scripts/check-structure.py` checks that the CLI and the shell go through
// `api` only).
#[doc(hidden)]
pub mod browsers;
#[doc(hidden)]
pub mod challenge;
#[doc(hidden)]
pub mod check;
#[doc(hidden)]
pub mod diagnosis;
#[doc(hidden)]
pub mod dns;
#[doc(hidden)]
pub mod negotiate;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod route;
#[doc(hidden)]
pub mod stores;

// Internal and reached by nothing outside the crate.
pub(crate) mod bundle;
pub(crate) mod config;
pub(crate) mod cookie_jar;
pub(crate) mod fix;
pub(crate) mod har;
pub(crate) mod probe;
pub(crate) mod redact;
pub(crate) mod target;

pub use error::{Error, Result};
pub use system::{Os, System};
