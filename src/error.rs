//! The error type shared by the library, the CLI and the desktop shell.
//!
//! Every error carries a stable machine code (`code()`) and a message written for the person
//! who has to act on it: what was wrong and what to do. The CLI maps errors to exit codes
//! (`exit_code()`), the desktop shell sends them to the page as `{code, message}`.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way an operation of fix401 can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user gave input that cannot be used (a bad URL, an unknown option value…).
    /// The message says what was wrong and what to do instead. Exit code 2.
    #[error("{0}")]
    BadInput(String),

    /// A file the user pointed at (configuration, store, backup) is malformed.
    #[error("{path}: {message}")]
    BadFile {
        /// The file that is wrong.
        path: PathBuf,
        /// What is wrong with it, including the line where one is known.
        message: String,
    },

    /// The operation was refused for safety (a browser is running, a path leaves the
    /// catalog's roots…). Nothing was changed.
    #[error("{0}")]
    Refused(String),

    /// The person declined a prompt (confirmation, administrator password).
    #[error("{0}")]
    Cancelled(String),

    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What fix401 was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A SQLite store could not be read or changed.
    #[error("{context}: {source}")]
    Sqlite {
        /// What fix401 was doing, naming the store.
        context: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },

    /// A bug or an unexpected state inside fix401. Exit code 3.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A stable, machine-readable code for this kind of error (`bad_input`, `refused`…).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput(_) => "bad_input",
            Error::BadFile { .. } => "bad_file",
            Error::Refused(_) => "refused",
            Error::Cancelled(_) => "cancelled",
            Error::Io { .. } => "io",
            Error::Sqlite { .. } => "sqlite",
            Error::Internal(_) => "internal",
        }
    }

    /// The process exit code the CLI uses for this error (DESIGN.md: 2 usage or bad input,
    /// 3 internal error; a refusal or a declined prompt is "still failing", 1).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput(_) | Error::BadFile { .. } => 2,
            Error::Refused(_) | Error::Cancelled(_) => 1,
            Error::Io { .. } | Error::Sqlite { .. } | Error::Internal(_) => 3,
        }
    }

    /// Builds an [`Error::Io`] with a description of what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds an [`Error::Sqlite`] with a description of what was being done.
    pub fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> Self {
        Error::Sqlite {
            context: context.into(),
            source,
        }
    }
}
