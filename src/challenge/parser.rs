//! The scanner: RFC 9110 §11 grammar with the lookahead of the reference (§3), plus the
//! recoveries for what real servers send. Works on bytes; one pass, linear in the input.
//!
//! Every problem is one of two kinds: a **syntax** problem (the joined field does not match
//! `#challenge`; what follows it is a recovery) clears `valid`, a **note** (a scheme rule, a
//! repeated parameter, no challenge at all, lines that only make sense joined, a size limit
//! on what is *kept*) does not.

use super::{Challenge, Param, Parsed};

/// Bytes of the combined field that are read at most (a real header is far smaller).
pub(crate) const MAX_FIELD: usize = 1 << 20;
/// Challenges kept at most (the rest are still checked against the grammar).
pub(crate) const MAX_CHALLENGES: usize = 64;
/// Parameters kept per challenge at most (the rest are still checked).
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
    /// Scheme then spaces, end, or an empty element: parameters may follow.
    Open,
    /// Scheme immediately followed by a comma: the challenge is complete.
    CommaAfterScheme,
    /// Scheme, then only tabs before a comma: complete too (`1*SP` wants a space).
    TabCommaAfterScheme,
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
    /// Parameters beyond [`MAX_PARAMS`], checked but not kept.
    dropped_params: usize,
}

/// Where the next occurrence of a needle was found, so that repeated searches from a moving
/// position stay linear overall (a field of a thousand unclosed smart quotes).
#[derive(Default)]
struct Memo {
    /// Searched from here …
    from: usize,
    /// … and found it here (`None`: not at all after `from`).
    found: Option<usize>,
    valid: bool,
}

impl Memo {
    fn find(&mut self, hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
        let reusable = self.valid && from >= self.from && self.found.is_none_or(|f| f >= from);
        if !reusable {
            self.from = from;
            self.found = find(&hay[from..], needle).map(|p| p + from);
            self.valid = true;
        }
        self.found
    }
}

struct Parser {
    s: Vec<u8>,
    i: usize,
    /// Start offset of each field line inside `s`.
    starts: Vec<usize>,
    entries: Vec<Entry>,
    /// The current challenge once [`MAX_CHALLENGES`] are kept: checked, then dropped.
    spill: Option<Entry>,
    dropped_challenges: usize,
    problems: Vec<String>,
    dropped_problems: usize,
    /// A syntax problem was found (or the field was too long to check): `valid` is false.
    broken: bool,
    /// The join reached [`MAX_FIELD`].
    stop: bool,
    right_smart: Memo,
    left_smart: Memo,
}

pub(crate) fn parse<L: AsRef<[u8]>>(lines: &[L]) -> Parsed {
    let mut p = Parser {
        s: Vec::new(),
        i: 0,
        starts: Vec::new(),
        entries: Vec::new(),
        spill: None,
        dropped_challenges: 0,
        problems: Vec::new(),
        dropped_problems: 0,
        broken: false,
        stop: false,
        right_smart: Memo::default(),
        left_smart: Memo::default(),
    };
    p.join(lines);
    p.run();
    p.finish()
}

impl Parser {
    /// A note: the field is still valid syntax.
    fn note(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(text);
        } else {
            self.dropped_problems += 1;
        }
    }

    /// A syntax problem: the joined field does not match `#challenge`.
    fn syntax(&mut self, text: String) {
        self.broken = true;
        self.note(text);
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
                // What was not read cannot be confirmed, so the verdict is "not valid".
                self.syntax(format!(
                    "{label} is {} bytes long; only the first {MAX_FIELD} bytes of the field were read, so its syntax could not be confirmed",
                    l.len()
                ));
                l.truncate(budget);
                self.stop = true;
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
                self.syntax(format!(
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
            // Both notes describe lines that are fine once joined (the specified reading);
            // whatever the join breaks is reported by the parse of the joined value.
            // Empty list elements first: ", realm=x" continues a challenge too.
            let first = l
                .iter()
                .position(|&b| b != b',' && !is_ows(b))
                .unwrap_or(l.len());
            if n > 0 && first < l.len() {
                let l = &l[first..];
                let tok = l.iter().take_while(|&&b| is_tchar(b)).count();
                let after = tok + l[tok..].iter().take_while(|&&b| is_ows(b)).count();
                if tok == 0 || l.get(after) == Some(&b'=') {
                    self.note(format!(
                        "line {} does not start with an authentication scheme; joined to the line before it continues that line's last challenge, so the server probably split one challenge over two lines",
                        n + 1
                    ));
                }
            }
            if n + 1 < lines.len() && ends_inside_quotes(l) {
                self.note(format!(
                    "line {} ends inside a quoted string; a quoted string cannot span lines, and joining them puts \", \" into the value, so the server probably split one challenge over two lines",
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

    /// The challenge parameters attach to: the spilled one beyond the cap, else the last.
    fn current(&mut self) -> Option<&mut Entry> {
        match self.spill.as_mut() {
            Some(e) => Some(e),
            None => self.entries.last_mut(),
        }
    }

    fn run(&mut self) {
        let mut comma = true;
        loop {
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
            if b == b';' && (!self.entries.is_empty() || self.spill.is_some()) {
                self.syntax(format!(
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
                    let scheme = clip(&decode(&self.s[start..name_end]));
                    self.syntax(format!(
                        "the challenge {scheme} {} follows the previous challenge without a comma; it was read as a new challenge",
                        self.at(start)
                    ));
                }
                self.scheme_element(start, name_end);
            } else {
                self.syntax(format!(
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
        let scheme = decode(&self.s[start..end]);
        self.i = end;
        let mut token68 = None;
        let state = match self.peek() {
            None => State::Open,
            Some(b',') => State::CommaAfterScheme,
            Some(b) if is_ows(b) => {
                self.skip_ows();
                let spaces_only = self.s[end..self.i].iter().all(|&b| b == b' ');
                match self.peek() {
                    None => State::Open,
                    // `1*SP` then an empty list element: parameters may follow the comma.
                    Some(b',') if b == b' ' => State::Open,
                    // Tabs then a comma are only a list separator: the challenge ends here.
                    Some(b',') => State::TabCommaAfterScheme,
                    Some(_) => {
                        if !spaces_only {
                            self.syntax(format!(
                                "a tab separates the scheme {} from what follows it {}; the grammar wants spaces there (1*SP)",
                                clip(&scheme),
                                self.at(end)
                            ));
                        }
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
                self.syntax(format!(
                    "{} right after the scheme {} {}; a scheme and its parameters are separated by a space",
                    show_byte(b),
                    clip(&scheme),
                    self.at(self.i)
                ));
                self.i += 1;
                self.skip_ows();
                State::Open
            }
            Some(b) => {
                self.syntax(format!(
                    "unexpected {} right after the scheme {} {}; skipped up to the next comma",
                    show_byte(b),
                    clip(&scheme),
                    self.at(self.i)
                ));
                self.skip_to_comma();
                State::Open
            }
        };
        let entry = Entry {
            challenge: Challenge {
                scheme,
                token68,
                params: Vec::new(),
            },
            state,
            missing_scheme: None,
            dropped_params: 0,
        };
        if self.entries.len() < MAX_CHALLENGES {
            self.entries.push(entry);
        } else {
            if self.dropped_challenges == 0 {
                self.note(format!(
                    "more than {MAX_CHALLENGES} challenges; the rest were checked against the grammar but are not listed"
                ));
            }
            self.dropped_challenges += 1;
            self.spill = Some(entry);
        }
    }

    /// Step 4 of the reference: is what follows the scheme (up to OWS and a comma, or the
    /// end) a token68? Reads only the candidate itself, so the scan stays linear.
    fn token68_ahead(&mut self) -> Option<String> {
        let rest = &self.s[self.i..];
        let body = rest.iter().take_while(|&&b| is_t68char(b)).count();
        if body == 0 {
            return None;
        }
        let len = body + rest[body..].iter().take_while(|&&b| b == b'=').count();
        let ws = rest[len..].iter().take_while(|&&b| is_ows(b)).count();
        match rest.get(len + ws) {
            None | Some(b',') => {
                let t = decode(&rest[..len]);
                self.i += len + ws;
                Some(t)
            }
            // A token68 followed by a new scheme without a comma ("Negotiate abc Basic
            // realm=x"): keep the token68; `run` reports the missing comma. With exactly one
            // `=` it is a parameter with BWS instead ("a= b" is `a=b`).
            Some(_) if ws > 0 && len - body != 1 => {
                let next = len + ws;
                let word = rest[next..].iter().take_while(|&&b| is_tchar(b)).count();
                let gap = rest[next + word..]
                    .iter()
                    .take_while(|&&b| is_ows(b))
                    .count();
                if word > 0 && rest.get(next + word + gap) != Some(&b'=') {
                    let t = decode(&rest[..len]);
                    self.i += len;
                    Some(t)
                } else {
                    None
                }
            }
            Some(_) => None,
        }
    }

    fn param_element(&mut self, start: usize, name_end: usize, eq: usize, comma: bool) {
        let name = decode(&self.s[start..name_end]);
        self.i = eq + 1;
        let value = self.value(&name);
        if self.entries.is_empty() {
            self.entries.push(Entry {
                challenge: Challenge {
                    scheme: String::new(),
                    token68: None,
                    params: Vec::new(),
                },
                state: State::Params,
                missing_scheme: Some(start),
                dropped_params: 0,
            });
        }
        let Some(entry) = self.current() else {
            return;
        };
        let state = entry.state;
        // A label only when a sentence needs it (a scheme may be long; keep this linear).
        let scheme = |p: &mut Self| {
            p.current()
                .map_or(String::new(), |e| clip(&e.challenge.scheme))
        };
        let shown = clip(&name);
        match state {
            State::Token68 => {
                let scheme = scheme(self);
                let at = self.at(start);
                self.syntax(format!(
                    "the parameter {shown} {at} follows the token68 of the {scheme} challenge; a challenge carries either a token68 or parameters, and lenient clients keep only the token68, so it was dropped"
                ));
                return;
            }
            State::CommaAfterScheme => {
                let scheme = scheme(self);
                let at = self.at(start);
                self.syntax(format!(
                    "a comma directly follows the scheme {scheme}, which makes it a complete challenge without parameters, so the parameter {shown} {at} belongs to no challenge; some clients attach it anyway, as done here"
                ))
            }
            State::TabCommaAfterScheme => {
                let scheme = scheme(self);
                let at = self.at(start);
                self.syntax(format!(
                    "only a tab separates the scheme {scheme} from the comma after it; without a space (1*SP) that makes it a complete challenge without parameters, so the parameter {shown} {at} belongs to no challenge; some clients attach it anyway, as done here"
                ))
            }
            State::Params if !comma => {
                let at = self.at(start);
                self.syntax(format!(
                    "the parameter {shown} {at} is separated from the one before it by a space instead of a comma"
                ))
            }
            _ => {}
        }
        let Some(entry) = self.current() else {
            return;
        };
        entry.state = State::Params;
        if entry.challenge.params.len() < MAX_PARAMS {
            entry.challenge.params.push(Param { name, value });
            return;
        }
        entry.dropped_params += 1;
        if entry.dropped_params == 1 {
            let scheme = scheme(self);
            self.note(format!(
                "the {scheme} challenge has more than {MAX_PARAMS} parameters; the rest were checked against the grammar but are not listed"
            ));
        }
    }

    /// Reads a parameter value after `=`: token, quoted-string, or a recovered form.
    fn value(&mut self, name: &str) -> String {
        let name = clip(name);
        self.skip_ows();
        let start = self.i;
        let rest = &self.s[start..];
        let bytes: Vec<u8> = if rest.first() == Some(&b'"') {
            self.quoted(&name)
        } else if rest.starts_with(LEFT_SMART) || rest.starts_with(RIGHT_SMART) {
            self.i += LEFT_SMART.len();
            let from = self.i;
            let close = self
                .right_smart
                .find(&self.s, from, RIGHT_SMART)
                .or_else(|| self.left_smart.find(&self.s, from, LEFT_SMART))
                .map(|at| at - from);
            let body = &self.s[from..];
            let len =
                close.unwrap_or_else(|| body.iter().position(|&b| b == b',').unwrap_or(body.len()));
            let v = body[..len].to_vec();
            self.i += len
                + if close.is_some() {
                    RIGHT_SMART.len()
                } else {
                    0
                };
            self.syntax(format!(
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
                self.syntax(format!(
                    "the unquoted value of {name} contains {} {}, which is only allowed inside a quoted string",
                    show_byte(b),
                    self.at(tok_end)
                ));
            } else if end == start {
                self.syntax(format!(
                    "the parameter {name} has an empty value {}; an empty value must be written \"\"",
                    self.at(start)
                ));
            }
            let mut v = self.s[start..end].to_vec();
            if v.first() == Some(&b'\'') {
                // A single quote is a tchar, so 'x' is a plain token (valid, but surely not
                // meant that way). 'my site' also spans a space, which no token may hold.
                let mut spans_space = false;
                if v.len() < 2 || v.last() != Some(&b'\'') {
                    // Up to the next quote or comma, whichever comes first (linear).
                    let tail = &self.s[end..];
                    let stop = tail
                        .iter()
                        .position(|&b| b == b',' || b == b'\'')
                        .unwrap_or(tail.len());
                    if tail.get(stop) == Some(&b'\'') {
                        end += stop + 1;
                        v = self.s[start..end].to_vec();
                        spans_space = true;
                    }
                }
                let text = format!(
                    "the value of {name} {} uses single quotes, which HTTP does not treat as quoting; they are part of the value",
                    self.at(start)
                );
                if spans_space {
                    self.syntax(format!(
                        "{text}, and the space inside them ends an unquoted value"
                    ));
                } else {
                    self.note(text);
                }
            }
            self.i = end;
            v
        };
        let mut bytes = bytes;
        if bytes.len() > MAX_VALUE {
            self.note(format!(
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
                    self.syntax(format!(
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
                        self.syntax(format!(
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
            self.syntax(format!(
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
                    .map(|p| clip(&p.name))
                    .unwrap_or_default();
                if oauth {
                    e.challenge.scheme = "Bearer".into();
                    self.syntax(format!(
                        "the field starts with the parameter {first} {} instead of an authentication scheme; from its OAuth error parameters it is probably a Bearer challenge with the scheme left out (a guess)",
                        self.at(at)
                    ));
                } else {
                    self.syntax(format!(
                        "the field starts with the parameter {first} {} instead of an authentication scheme; the scheme is unknown",
                        self.at(at)
                    ));
                }
            }
            for r in scheme_rules(n + 1, &e.challenge) {
                self.note(r);
            }
            challenges.push(e.challenge);
        }
        if challenges.is_empty() {
            // `#challenge` allows an empty list; the status code is what forbids it.
            self.note(
                "the field holds no challenge; a 401 or 407 response must carry at least one (RFC 9110 §11.6.1)".into(),
            );
        }
        if self.dropped_problems > 0 {
            self.problems
                .push(format!("… and {} more problems", self.dropped_problems));
        }
        Parsed {
            valid: !self.broken,
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

/// Rules of the scheme definitions and of §11.2 that a parsed challenge breaks. None of
/// them is grammar: each is a note and leaves `valid` alone.
fn scheme_rules(n: usize, c: &Challenge) -> Vec<String> {
    let mut out = Vec::new();
    let label = if c.scheme.is_empty() {
        format!("challenge {n}")
    } else {
        format!("challenge {n} ({})", clip(&c.scheme))
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
                clip(&p.name),
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
        } else if c.params.is_empty() && c.is("Bearer") {
            out.push(format!(
                "{label} has no parameter; RFC 6750 §3 asks for at least one auth-param (such as realm), a minor deviation common frameworks make when no token was sent"
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
