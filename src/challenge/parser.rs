//! The scanner: RFC 9110 §11 grammar with the lookahead of the reference (§3), plus the
//! recoveries for what real servers send. Works on bytes; one pass, bounded.

use super::{Challenge, Param, Parsed};

/// Bytes of the combined field that are read at most (a real header is far smaller).
pub(crate) const MAX_FIELD: usize = 1 << 20;
/// Challenges kept at most.
pub(crate) const MAX_CHALLENGES: usize = 64;
/// Parameters kept per challenge at most.
pub(crate) const MAX_PARAMS: usize = 64;
/// Bytes kept of one value (realms of tens of kilobytes have been seen).
pub(crate) const MAX_VALUE: usize = 64 * 1024;
/// Problems listed at most; the rest are counted.
const MAX_PROBLEMS: usize = 40;

/// OAuth error parameters: a field made of these alone is probably a Bearer challenge.
const OAUTH_PARAMS: &[&str] = &["error", "error_description", "error_uri", "scope"];

const DIGEST_ALGORITHMS: &[&str] = &[
    "MD5",
    "MD5-sess",
    "SHA-256",
    "SHA-256-sess",
    "SHA-512-256",
    "SHA-512-256-sess",
];

const LEFT_SMART: &[u8] = "\u{201C}".as_bytes();
const RIGHT_SMART: &[u8] = "\u{201D}".as_bytes();

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_t68char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// `token68`: one or more token68 characters, then any number of `=`.
pub(crate) fn is_token68(s: &[u8]) -> bool {
    let body = s.iter().take_while(|&&b| is_t68char(b)).count();
    body > 0 && s[body..].iter().all(|&b| b == b'=')
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// UTF-8 when it is, ISO-8859-1 otherwise (the grammar defines no charset for obs-text).
pub(crate) fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

fn show_byte(b: u8) -> String {
    match b {
        0x21..=0x7e => format!("'{}'", b as char),
        b' ' => "a space".into(),
        _ => format!("byte 0x{b:02X}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Scheme then whitespace, end, or an empty element: parameters may follow.
    Open,
    /// Scheme immediately followed by a comma: the challenge is complete.
    CommaAfterScheme,
    /// Carries a token68: nothing else may follow in this challenge.
    Token68,
    /// Has at least one parameter.
    Params,
}

struct Entry {
    challenge: Challenge,
    state: State,
    /// The value started with a parameter: no scheme was sent.
    missing_scheme: Option<usize>,
}

struct Parser {
    s: Vec<u8>,
    i: usize,
    /// Start offset of each field line inside `s`.
    starts: Vec<usize>,
    entries: Vec<Entry>,
    problems: Vec<String>,
    dropped_problems: usize,
    stop: bool,
}

pub(crate) fn parse<L: AsRef<[u8]>>(lines: &[L]) -> Parsed {
    let mut p = Parser {
        s: Vec::new(),
        i: 0,
        starts: Vec::new(),
        entries: Vec::new(),
        problems: Vec::new(),
        dropped_problems: 0,
        stop: false,
    };
    p.join(lines);
    p.run();
    p.finish()
}

impl Parser {
    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(text);
        } else {
            self.dropped_problems += 1;
        }
    }

    /// "at byte N" (of line L when there are several lines).
    fn at(&self, off: usize) -> String {
        if self.starts.len() <= 1 {
            return format!("at byte {off}");
        }
        // Binary search: a field may have very many lines.
        let line = self.starts.partition_point(|&s| s <= off).saturating_sub(1);
        format!("at byte {} of line {}", off - self.starts[line], line + 1)
    }

    /// RFC 9110 §5.3: join the lines with ", " in order; flag what the join hides.
    fn join<L: AsRef<[u8]>>(&mut self, lines: &[L]) {
        let several = lines.len() > 1;
        for (n, line) in lines.iter().enumerate() {
            let label = if several {
                format!("line {}", n + 1)
            } else {
                "the field".to_string()
            };
            let mut l: Vec<u8> = line.as_ref().to_vec();
            let budget = MAX_FIELD.saturating_sub(self.s.len());
            if l.len() > budget {
                self.problem(format!(
                    "{label} is {} bytes long; only the first {MAX_FIELD} bytes of the field were read",
                    l.len()
                ));
                l.truncate(budget);
                self.stop_after_join();
            }
            let bad = l
                .iter()
                .filter(|&&b| b == b'\r' || b == b'\n' || b == 0)
                .count();
            if bad > 0 {
                let first = l
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n' || b == 0)
                    .unwrap_or(0);
                self.problem(format!(
                    "{label} contains {} (first at byte {first}), which are not allowed in a field value; they were read as spaces",
                    crate::words::count(bad, "CR, LF or NUL byte", "CR, LF or NUL bytes")
                ));
                for b in l.iter_mut() {
                    if *b == b'\r' || *b == b'\n' || *b == 0 {
                        *b = b' ';
                    }
                }
            }
            let start = l.iter().position(|&b| !is_ows(b)).unwrap_or(l.len());
            let end = l.iter().rposition(|&b| !is_ows(b)).map_or(start, |e| e + 1);
            let l = &l[start..end.max(start)];
            if n > 0 && !l.is_empty() {
                let tok = l.iter().take_while(|&&b| is_tchar(b)).count();
                let after = tok + l[tok..].iter().take_while(|&&b| is_ows(b)).count();
                if tok == 0 || l.get(after) == Some(&b'=') {
                    self.problem(format!(
                        "line {} does not start with an authentication scheme; joined to the line before it continues that line's last challenge, so the server probably split one challenge over two lines",
                        n + 1
                    ));
                }
            }
            if n + 1 < lines.len() && ends_inside_quotes(l) {
                self.problem(format!(
                    "line {} ends inside a quoted string; a quoted string cannot span lines, and joining them puts \", \" into the value",
                    n + 1
                ));
            }
            if n > 0 {
                self.s.extend_from_slice(b", ");
            }
            self.starts.push(self.s.len());
            self.s.extend_from_slice(l);
            if self.stop {
                break;
            }
        }
        // The join stops only the join; parsing of what was read goes on.
        self.stop = false;
    }

    fn stop_after_join(&mut self) {
        self.stop = true;
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.i += 1;
        }
    }

    fn token_end(&self, from: usize) -> usize {
        from + self.s[from..].iter().take_while(|&&b| is_tchar(b)).count()
    }

    /// Moves to the next comma that is not inside a quoted string (or to the end).
    fn skip_to_comma(&mut self) {
        let mut quoted = false;
        while let Some(b) = self.peek() {
            match b {
                b'\\' if quoted => self.i += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => return,
                _ => {}
            }
            self.i += 1;
        }
        self.i = self.i.min(self.s.len());
    }

    fn run(&mut self) {
        let mut comma = true;
        while !self.stop {
            while let Some(b) = self.peek() {
                if b == b',' {
                    comma = true;
                } else if !is_ows(b) {
                    break;
                }
                self.i += 1;
            }
            let Some(b) = self.peek() else { break };
            let start = self.i;
            if b == b';' && !self.entries.is_empty() {
                self.problem(format!(
                    "a semicolon {} separates list elements; HTTP uses a comma",
                    self.at(start)
                ));
                self.i += 1;
                comma = true;
                continue;
            }
            let name_end = self.token_end(start);
            let mut k = name_end;
            while self.s.get(k).copied().is_some_and(is_ows) {
                k += 1;
            }
            if name_end > start && self.s.get(k) == Some(&b'=') {
                self.param_element(start, name_end, k, comma);
            } else if name_end > start {
                if !comma && !self.entries.is_empty() {
                    let scheme = decode(&self.s[start..name_end]);
                    self.problem(format!(
                        "the challenge {scheme} {} follows the previous challenge without a comma; it was read as a new challenge",
                        self.at(start)
                    ));
                }
                self.scheme_element(start, name_end);
            } else {
                self.problem(format!(
                    "unexpected {} {} where a scheme or parameter should start; skipped up to the next comma",
                    show_byte(b),
                    self.at(start)
                ));
                self.skip_to_comma();
            }
            comma = false;
        }
    }

    fn scheme_element(&mut self, start: usize, end: usize) {
        if self.entries.len() >= MAX_CHALLENGES {
            self.problem(format!(
                "more than {MAX_CHALLENGES} challenges; the rest of the field was not read"
            ));
            self.stop = true;
            return;
        }
        let scheme = decode(&self.s[start..end]);
        self.i = end;
        let mut token68 = None;
        let state = match self.peek() {
            None => State::Open,
            Some(b',') => State::CommaAfterScheme,
            Some(b) if is_ows(b) => {
                self.skip_ows();
                match self.peek() {
                    None | Some(b',') => State::Open,
                    Some(_) => {
                        if let Some(t) = self.token68_ahead() {
                            token68 = Some(t);
                            State::Token68
                        } else {
                            State::Open
                        }
                    }
                }
            }
            Some(b @ (b';' | b':')) => {
                self.problem(format!(
                    "{} right after the scheme {scheme} {}; a scheme and its parameters are separated by a space",
                    show_byte(b),
                    self.at(self.i)
                ));
                self.i += 1;
                self.skip_ows();
                State::Open
            }
            Some(b) => {
                self.problem(format!(
                    "unexpected {} right after the scheme {scheme} {}; skipped up to the next comma",
                    show_byte(b),
                    self.at(self.i)
                ));
                self.skip_to_comma();
                State::Open
            }
        };
        self.entries.push(Entry {
            challenge: Challenge {
                scheme,
                token68,
                params: Vec::new(),
            },
            state,
            missing_scheme: None,
        });
    }

    /// Step 4 of the reference: is what follows the scheme a token68?
    fn token68_ahead(&mut self) -> Option<String> {
        let rest = &self.s[self.i..];
        let comma = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        let text = &rest[..comma];
        let trimmed = &text[..text.iter().rposition(|&b| !is_ows(b)).map_or(0, |e| e + 1)];
        if is_token68(trimmed) {
            let t = decode(trimmed);
            self.i += comma;
            return Some(t);
        }
        // A token68 followed by a new scheme without a comma ("Negotiate abc Basic realm=x").
        let word_len = text
            .iter()
            .take_while(|&&b| !is_ows(b) && b != b',')
            .count();
        let word = &text[..word_len];
        if is_token68(word) {
            let mut k = word_len;
            while text.get(k).copied().is_some_and(is_ows) {
                k += 1;
            }
            let next_end = k + text[k..].iter().take_while(|&&b| is_tchar(b)).count();
            let mut e = next_end;
            while text.get(e).copied().is_some_and(is_ows) {
                e += 1;
            }
            if next_end > k && text.get(e) != Some(&b'=') {
                let t = decode(word);
                self.i += word_len;
                return Some(t);
            }
        }
        None
    }

    fn param_element(&mut self, start: usize, name_end: usize, eq: usize, comma: bool) {
        let name = decode(&self.s[start..name_end]);
        self.i = eq + 1;
        let value = self.value(&name);
        let at = self.at(start);
        if self.entries.is_empty() {
            self.entries.push(Entry {
                challenge: Challenge {
                    scheme: String::new(),
                    token68: None,
                    params: Vec::new(),
                },
                state: State::Params,
                missing_scheme: Some(start),
            });
        }
        let Some(last) = self.entries.len().checked_sub(1) else {
            return;
        };
        let state = self.entries[last].state;
        let scheme = self.entries[last].challenge.scheme.clone();
        match state {
            State::Token68 => {
                self.problem(format!(
                    "the parameter {name} {at} follows the token68 of the {scheme} challenge; a challenge carries either a token68 or parameters, and lenient clients keep only the token68, so it was dropped"
                ));
                return;
            }
            State::CommaAfterScheme => self.problem(format!(
                "a comma directly follows the scheme {scheme}, which makes it a complete challenge without parameters, so the parameter {name} {at} belongs to no challenge; some clients attach it anyway, as done here"
            )),
            State::Params if !comma => self.problem(format!(
                "the parameter {name} {at} is separated from the one before it by a space instead of a comma"
            )),
            _ => {}
        }
        let entry = &mut self.entries[last];
        entry.state = State::Params;
        if entry.challenge.params.len() >= MAX_PARAMS {
            self.problem(format!(
                "the {scheme} challenge has more than {MAX_PARAMS} parameters; the rest of the field was not read"
            ));
            self.stop = true;
            return;
        }
        entry.challenge.params.push(Param { name, value });
    }

    /// Reads a parameter value after `=`: token, quoted-string, or a recovered form.
    fn value(&mut self, name: &str) -> String {
        self.skip_ows();
        let start = self.i;
        let rest = &self.s[start..];
        let bytes: Vec<u8> = if rest.first() == Some(&b'"') {
            self.quoted(name)
        } else if rest.starts_with(LEFT_SMART) || rest.starts_with(RIGHT_SMART) {
            self.i += LEFT_SMART.len();
            let body = &self.s[self.i..];
            let close = find(body, RIGHT_SMART).or_else(|| find(body, LEFT_SMART));
            let len =
                close.unwrap_or_else(|| body.iter().position(|&b| b == b',').unwrap_or(body.len()));
            let v = body[..len].to_vec();
            self.i += len
                + if close.is_some() {
                    RIGHT_SMART.len()
                } else {
                    0
                };
            self.problem(format!(
                "the value of {name} {} is in typographic (smart) quotes; HTTP only knows the straight double quote \"",
                self.at(start)
            ));
            v
        } else {
            let tok_end = self.token_end(start);
            let mut end = tok_end;
            while let Some(&b) = self.s.get(end) {
                if is_ows(b) || b == b',' {
                    break;
                }
                end += 1;
            }
            if end > tok_end {
                let b = self.s[tok_end];
                self.problem(format!(
                    "the unquoted value of {name} contains {} {}, which is only allowed inside a quoted string",
                    show_byte(b),
                    self.at(tok_end)
                ));
            } else if end == start {
                self.problem(format!(
                    "the parameter {name} has an empty value {}; an empty value must be written \"\"",
                    self.at(start)
                ));
            }
            let mut v = self.s[start..end].to_vec();
            if v.first() == Some(&b'\'') {
                // Single quotes are tchars, not quoting: extend over a quoted phrase with spaces.
                if v.len() < 2 || v.last() != Some(&b'\'') {
                    let tail = &self.s[end..];
                    let stop = tail.iter().position(|&b| b == b',').unwrap_or(tail.len());
                    if let Some(q) = tail[..stop].iter().position(|&b| b == b'\'') {
                        end += q + 1;
                        v = self.s[start..end].to_vec();
                    }
                }
                self.problem(format!(
                    "the value of {name} {} uses single quotes, which HTTP does not treat as quoting; they are part of the value",
                    self.at(start)
                ));
            }
            self.i = end;
            v
        };
        let mut bytes = bytes;
        if bytes.len() > MAX_VALUE {
            self.problem(format!(
                "the value of {name} is {} bytes long; only the first {MAX_VALUE} were kept",
                bytes.len()
            ));
            bytes.truncate(MAX_VALUE);
            // Do not cut a UTF-8 sequence in the middle.
            if let Err(e) = std::str::from_utf8(&bytes) {
                if e.error_len().is_none() {
                    bytes.truncate(e.valid_up_to());
                }
            }
        }
        decode(&bytes)
    }

    /// A quoted-string starting at `self.i`, unescaped (RFC 9110 §5.6.4).
    fn quoted(&mut self, name: &str) -> Vec<u8> {
        let open = self.i;
        self.i += 1;
        let mut out = Vec::new();
        let mut ctl = None;
        loop {
            match self.peek() {
                None => {
                    self.problem(format!(
                        "the quoted value of {name} that opens {} is never closed; browsers take the rest of the field as the value",
                        self.at(open)
                    ));
                    break;
                }
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => match self.s.get(self.i + 1) {
                    Some(&c) => {
                        if c < 0x20 && c != b'\t' || c == 0x7f {
                            ctl.get_or_insert(self.i + 1);
                        }
                        out.push(c);
                        self.i += 2;
                    }
                    None => {
                        self.i += 1;
                        self.problem(format!(
                            "the quoted value of {name} that opens {} ends inside an escape (a lone backslash) and is never closed",
                            self.at(open)
                        ));
                        break;
                    }
                },
                Some(c) => {
                    if c < 0x20 && c != b'\t' || c == 0x7f {
                        ctl.get_or_insert(self.i);
                    }
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        if let Some(at) = ctl {
            self.problem(format!(
                "the quoted value of {name} contains a control character {}",
                self.at(at)
            ));
        }
        out
    }

    fn finish(mut self) -> Parsed {
        let mut challenges = Vec::with_capacity(self.entries.len());
        let entries = std::mem::take(&mut self.entries);
        for (n, mut e) in entries.into_iter().enumerate() {
            if let Some(at) = e.missing_scheme {
                let oauth = !e.challenge.params.is_empty()
                    && e.challenge.params.iter().all(|p| {
                        OAUTH_PARAMS
                            .iter()
                            .chain(&["realm"])
                            .any(|o| p.name.eq_ignore_ascii_case(o))
                    })
                    && e.challenge
                        .params
                        .iter()
                        .any(|p| OAUTH_PARAMS.iter().any(|o| p.name.eq_ignore_ascii_case(o)));
                let first = e
                    .challenge
                    .params
                    .first()
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                if oauth {
                    e.challenge.scheme = "Bearer".into();
                    self.problem(format!(
                        "the field starts with the parameter {first} {} instead of an authentication scheme; from its OAuth error parameters it is probably a Bearer challenge with the scheme left out (a guess)",
                        self.at(at)
                    ));
                } else {
                    self.problem(format!(
                        "the field starts with the parameter {first} {} instead of an authentication scheme; the scheme is unknown",
                        self.at(at)
                    ));
                }
            }
            let rules = scheme_rules(n + 1, &e.challenge);
            for r in rules {
                self.problem(r);
            }
            challenges.push(e.challenge);
        }
        if challenges.is_empty() {
            self.problem(
                "the field holds no challenge; a 401 or 407 response must carry at least one (RFC 9110 §11.6.1)".into(),
            );
        }
        if self.dropped_problems > 0 {
            self.problems
                .push(format!("… and {} more problems", self.dropped_problems));
        }
        Parsed {
            valid: self.problems.is_empty(),
            challenges,
            problems: self.problems,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether a field line ends inside an open quoted-string.
fn ends_inside_quotes(l: &[u8]) -> bool {
    let mut quoted = false;
    let mut i = 0;
    while i < l.len() {
        match l[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            _ => {}
        }
        i += 1;
    }
    quoted
}

/// Rules of the scheme definitions and of §11.2 that a parsed challenge breaks.
fn scheme_rules(n: usize, c: &Challenge) -> Vec<String> {
    let mut out = Vec::new();
    let label = if c.scheme.is_empty() {
        format!("challenge {n}")
    } else {
        format!("challenge {n} ({})", c.scheme)
    };
    // §11.2: each parameter name at most once per challenge.
    let mut seen: Vec<String> = Vec::new();
    for p in &c.params {
        let lower = p.name.to_ascii_lowercase();
        if seen.contains(&lower) {
            continue;
        }
        let values: Vec<&str> = c
            .params
            .iter()
            .filter(|q| q.name.eq_ignore_ascii_case(&p.name))
            .map(|q| q.value.as_str())
            .collect();
        if values.len() > 1 {
            let shown: Vec<String> = values.iter().map(|v| format!("\"{}\"", clip(v))).collect();
            out.push(format!(
                "{label} repeats the parameter {} {} times ({}); each parameter may occur only once, and clients disagree on which value wins",
                p.name,
                values.len(),
                shown.join(", ")
            ));
        }
        seen.push(lower);
    }
    if c.is("Basic") {
        if c.param("realm").is_none() {
            out.push(format!("{label} has no realm, which RFC 7617 requires"));
        }
        if let Some(cs) = c.param("charset") {
            if !cs.eq_ignore_ascii_case("UTF-8") {
                out.push(format!(
                    "{label} has charset \"{}\"; the only allowed value is UTF-8 (RFC 7617)",
                    clip(cs)
                ));
            }
        }
        if c.token68.is_some() {
            out.push(format!(
                "{label} carries a token68 where RFC 7617 expects a realm parameter"
            ));
        }
    } else if c.is("Digest") {
        for required in ["realm", "nonce"] {
            if c.param(required).is_none() {
                out.push(format!(
                    "{label} has no {required}, which RFC 7616 requires"
                ));
            }
        }
        if let Some(alg) = c.param("algorithm") {
            if !DIGEST_ALGORITHMS
                .iter()
                .any(|a| a.eq_ignore_ascii_case(alg))
            {
                out.push(format!(
                    "{label} uses the unknown algorithm \"{}\"; clients ignore a Digest challenge whose algorithm they do not know (RFC 7616 knows MD5, SHA-256, SHA-512-256 and their -sess variants)",
                    clip(alg)
                ));
            }
        }
        if let Some(stale) = c.param("stale") {
            if !stale.eq_ignore_ascii_case("true") && !stale.eq_ignore_ascii_case("false") {
                out.push(format!(
                    "{label} has stale=\"{}\"; only true or false are defined",
                    clip(stale)
                ));
            }
        }
        if let Some(cs) = c.param("charset") {
            if !cs.eq_ignore_ascii_case("UTF-8") {
                out.push(format!(
                    "{label} has charset \"{}\"; the only allowed value is UTF-8 (RFC 7616)",
                    clip(cs)
                ));
            }
        }
    } else if c.is("Bearer") || c.is("DPoP") {
        // RFC 6750 §3: error and error_description use %x20-21 / %x23-5B / %x5D-7E.
        let allowed = |b: u8, space: bool| {
            (space && b == b' ')
                || b == 0x21
                || (0x23..=0x5B).contains(&b)
                || (0x5D..=0x7E).contains(&b)
        };
        for p in &c.params {
            let lower = p.name.to_ascii_lowercase();
            let space = match lower.as_str() {
                "error" | "error_description" => true,
                "scope" => true, // scope tokens exclude space; the space separates them
                _ => continue,
            };
            if let Some(bad) = p.value.bytes().find(|&b| !allowed(b, space)) {
                out.push(format!(
                    "{label}: the {} value contains {}, which RFC 6750 §3 does not allow there",
                    p.name,
                    show_byte(bad)
                ));
            }
        }
        if c.token68.is_some() {
            out.push(format!(
                "{label} carries a token68; RFC 6750 defines only parameters for this challenge"
            ));
        }
    }
    out
}

/// Shortens a value for a problem sentence.
pub(crate) fn clip(v: &str) -> String {
    const MAX: usize = 80;
    if v.chars().count() <= MAX {
        v.to_string()
    } else {
        let head: String = v.chars().take(MAX).collect();
        format!("{head}…")
    }
}
