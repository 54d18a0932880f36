//! `WWW-Authenticate` / `Proxy-Authenticate` parsing and plain-language explanations.
//!
//! [`parse`] reads the field lines of one response exactly per RFC 9110 §11 (over raw bytes,
//! so obs-text and invalid UTF-8 never fail) and decides strict validity; separately it
//! recovers what real servers send (a space instead of a comma, `;` after the scheme, smart
//! quotes…). Every recovery and every broken scheme rule is a sentence in
//! [`Parsed::problems`], and `valid` is true exactly when there is no problem.
//! [`explain`] turns the result into sentences for a non-technical reader.

mod explain;
mod parser;
mod schemes;

pub use explain::explain;
pub use schemes::scheme_summary;

/// One auth-param of a challenge, as sent (name spelling kept, value unquoted and unescaped).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Param {
    /// The parameter name, original spelling.
    pub name: String,
    /// The value, without quotes and with quoted-pairs unescaped. Bytes that are not UTF-8
    /// are read as ISO-8859-1.
    pub value: String,
}

/// One challenge: a scheme and either a token68 or a list of parameters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    /// The auth-scheme, original spelling (empty when the server left it out and no guess fits).
    pub scheme: String,
    /// The token68 value, when the challenge carries one instead of parameters.
    pub token68: Option<String>,
    /// The parameters in order; a repeated name is kept (and reported as a problem).
    pub params: Vec<Param>,
}

impl Challenge {
    /// The value of the first parameter with this name (compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }

    /// Whether this challenge uses `scheme` (compared case-insensitively).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// The result of parsing the challenge field lines of one response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parsed {
    /// True when the field is strictly valid, carries at least one challenge and breaks no
    /// rule of its schemes (`problems` is empty).
    pub valid: bool,
    /// The challenges, strict or recovered, in order.
    pub challenges: Vec<Challenge>,
    /// One English sentence per recovery or broken rule, saying what and where.
    pub problems: Vec<String>,
}

/// Parses the field lines (`WWW-Authenticate` or `Proxy-Authenticate`) of one response, in
/// order. Never panics; the work is linear in the input, which is capped at 1 MiB.
pub fn parse<L: AsRef<[u8]>>(lines: &[L]) -> Parsed {
    parser::parse(lines)
}

#[cfg(test)]
mod tests;
