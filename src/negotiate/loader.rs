//! Loading a platform library at run time (GSSAPI, krb5): the first candidate that loads
//! and has every entry point wins, an environment variable can name another one, and the
//! answer is kept for the life of the process. A library that is absent is an answer too
//! ([`SignInError::LibraryMissing`]), never a crash.

use std::sync::OnceLock;

use super::SignInError;

/// A loaded library and the entry points taken from it (valid while it stays loaded, which
/// is for the life of the process).
pub(super) struct Loaded<T> {
    api: T,
    _lib: libloading::Library,
}

/// The entry points of the library named by `var` (when set and not empty), else of the
/// first of `candidates` that loads and has all of them, loaded once into `cell`. `bind`
/// takes the symbols; it is `unsafe` because their types are the caller's promise.
pub(super) fn load<T: Send + Sync>(
    cell: &'static OnceLock<Result<Loaded<T>, String>>,
    var: &str,
    candidates: &[&str],
    bind: unsafe fn(&libloading::Library) -> Result<T, libloading::Error>,
) -> Result<&'static T, SignInError> {
    cell.get_or_init(|| {
        let names: Vec<String> = match std::env::var(var) {
            Ok(v) if !v.is_empty() => vec![v],
            _ => candidates.iter().map(|s| s.to_string()).collect(),
        };
        for name in &names {
            // SAFETY: loading a system library; its initialisers are the vendor's.
            let Ok(lib) = (unsafe { libloading::Library::new(name) }) else {
                continue;
            };
            // SAFETY: `bind` declares the symbols with the library's C signatures.
            if let Ok(api) = unsafe { bind(&lib) } {
                return Ok(Loaded { api, _lib: lib });
            }
        }
        Err(names.first().cloned().unwrap_or_default())
    })
    .as_ref()
    .map(|l| &l.api)
    .map_err(|library| SignInError::LibraryMissing {
        library: library.clone(),
    })
}
