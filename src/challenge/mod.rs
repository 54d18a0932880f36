//! `WWW-Authenticate` / `Proxy-Authenticate` parsing and plain-language explanations.
//!
//! [`parse`] reads the field lines of one response exactly per RFC 9110 §11 (over raw bytes,
//! so obs-text and invalid UTF-8 never fail) and decides strict validity; separately it
//! recovers what real servers send (a space instead of a comma, `;` after the scheme, smart
//! quotes…). Every recovery and every broken scheme rule is a sentence in
//! [`Parsed::problems`]. [`explain`] turns the result into sentences for a non-technical
//! reader.
//!
//! **`valid` means grammar, nothing else.** It is true exactly when the field lines, joined
//! in order with `", "` (RFC 9110 §5.3), match `#challenge` (§11.6.1, §11.7.1) with the list
//! rules of §5.6.1: empty elements allowed and ignored, OWS around commas,
//! `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`,
//! `auth-param = token BWS "=" BWS ( token / quoted-string )`, quoted-string with
//! quoted-pair. Only a recovery from a real syntax error (smart quotes, a semicolon after the
//! scheme, an unterminated quoted string, CR/LF/NUL, a missing scheme…) makes it false, and
//! so does a field longer than 1 MiB, whose end is not read. Everything else a challenge gets
//! wrong is a problem that leaves `valid` true: Basic without realm, Digest without realm or
//! nonce or with an unknown algorithm, a parameter repeated within one challenge, a charset
//! other than UTF-8, single quotes used as if they quoted (`'x'` is a token), characters
//! RFC 6750 §3 forbids in a Bearer `error_description`, a bare `Bearer` (RFC 6750 §3 asks
//! for one auth-param), no challenge at all (the list may be empty, a 401/407 may not), and
//! field lines that only make sense joined (a line starting with a parameter, a quoted string
//! split over two lines). The limits on what is *kept* (challenges, parameters, value bytes)
//! never change the verdict: what is beyond them is still checked.

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
    /// True exactly when the joined field lines match the grammar `#challenge` (see the
    /// module docs); scheme rules and an empty list are problems that leave it true.
    pub valid: bool,
    /// The challenges, strict or recovered, in order.
    pub challenges: Vec<Challenge>,
    /// One English sentence per recovery or broken rule, saying what and where (an invalid
    /// field always has at least one; a valid one may have some too).
    pub problems: Vec<String>,
}

/// Parses the field lines (`WWW-Authenticate` or `Proxy-Authenticate`) of one response, in
/// order. Never panics; the work is linear in the input, which is capped at 1 MiB.
pub fn parse<L: AsRef<[u8]>>(lines: &[L]) -> Parsed {
    parser::parse(lines)
}

#[cfg(test)]
mod tests;
