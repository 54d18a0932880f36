//! The error type shared by the library, the CLI and the desktop shell.
//!
//! Every error carries a stable machine code (`code()`) and a message written for the person
//! who has to act on it: what was wrong and what to do. The CLI maps errors to exit codes
//! (`exit_code()`), the desktop shell sends them to the page as `{code, message}`.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

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
    #[error("{}{message}", file_prefix(path))]
    BadFile {
        /// The file that is wrong (empty while only a decoder of its bytes has seen it: the
        /// caller names it with [`Error::in_file`]).
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

    /// Like [`Error::sqlite`] for the database at `path`, except that a file SQLite calls
    /// damaged or not a database at all is the user's file being wrong: [`Error::BadFile`],
    /// saying what to do.
    pub fn sqlite_file(path: &Path, context: impl Into<String>, source: rusqlite::Error) -> Self {
        if sqlite_code(&source)
            .is_some_and(|c| matches!(c, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase))
        {
            return Error::BadFile {
                path: path.to_path_buf(),
                message: format!(
                    "{}: {source}; the file is damaged: close the browser that owns it and \
                     move it aside (the browser starts a new one, without its cookies)",
                    context.into()
                ),
            };
        }
        Error::sqlite(context, source)
    }

    /// A file's contents are malformed, found by a decoder that sees only its bytes; the
    /// caller names the file with [`Error::in_file`].
    pub fn malformed(message: impl Into<String>) -> Self {
        Error::BadFile {
            path: PathBuf::new(),
            message: message.into(),
        }
    }

    /// Names `path` as the file of an [`Error::BadFile`] that does not name one yet; any
    /// other error is returned as it is.
    pub fn in_file(self, path: &Path) -> Self {
        match self {
            Error::BadFile { path: p, message } if p.as_os_str().is_empty() => Error::BadFile {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        }
    }

    /// True when SQLite said another connection holds the database (busy or locked), by
    /// its result code rather than its message.
    pub fn is_sqlite_busy(&self) -> bool {
        match self {
            Error::Sqlite { source, .. } => sqlite_code(source)
                .is_some_and(|c| matches!(c, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)),
            _ => false,
        }
    }
}

/// SQLite's primary result code of an error that came from SQLite itself.
fn sqlite_code(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}

/// `path: ` before a [`Error::BadFile`] message, or nothing while no file is named yet.
fn file_prefix(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}: ", path.display())
    }
}
