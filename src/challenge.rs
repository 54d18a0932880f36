//! WWW-Authenticate / Proxy-Authenticate parser (interim version on h/diagnose with the API
//! of h/challenge, replaced by the full parser when that branch is merged).

use serde::Serialize;

/// One auth-param.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// Name as sent.
    pub name: String,
    /// Value, unquoted and unescaped.
    pub value: String,
}

/// One challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// The scheme as sent.
    pub scheme: String,
    /// The token68, if any.
    pub token68: Option<String>,
    /// The parameters.
    pub params: Vec<Param>,
}

impl Challenge {
    /// The value of a parameter (name compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }

    /// True when the scheme is `scheme` (case-insensitive).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// The result of parsing field lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// Strictly valid.
    pub valid: bool,
    /// The challenges found (recovered where invalid).
    pub challenges: Vec<Challenge>,
    /// Every problem found.
    pub problems: Vec<String>,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Parses the field lines of one header.
pub fn parse<L: AsRef<[u8]>>(lines: &[L]) -> Parsed {
    let joined = lines
        .iter()
        .map(|l| String::from_utf8_lossy(l.as_ref()).trim().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let chars: Vec<char> = joined.chars().collect();
    let mut i = 0;
    let mut out = Parsed {
        valid: true,
        challenges: Vec::new(),
        problems: Vec::new(),
    };
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t') {
            *i += 1;
        }
    };
    let read_token = |i: &mut usize| {
        let s = *i;
        while *i < chars.len() && is_tchar(chars[*i]) {
            *i += 1;
        }
        chars[s..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        skip_ws(&mut i);
        if i < chars.len() && chars[i] == ',' {
            i += 1;
            continue;
        }
        if i >= chars.len() {
            break;
        }
        let save = i;
        let tok = read_token(&mut i);
        if tok.is_empty() {
            out.valid = false;
            out.problems
                .push(format!("unexpected character at offset {i}"));
            i += 1;
            continue;
        }
        let mut j = i;
        skip_ws(&mut j);
        if j < chars.len() && chars[j] == '=' && out.challenges.last().is_some() {
            // A parameter of the previous challenge.
            i = save;
        } else {
            out.challenges.push(Challenge {
                scheme: tok,
                token68: None,
                params: Vec::new(),
            });
        }
        // Parameters.
        loop {
            skip_ws(&mut i);
            if i >= chars.len() {
                break;
            }
            if chars[i] == ',' {
                i += 1;
                skip_ws(&mut i);
                let mut k = i;
                let _ = read_token(&mut k);
                let mut k2 = k;
                skip_ws(&mut k2);
                if k == i || k2 >= chars.len() || chars[k2] != '=' {
                    break;
                }
                continue;
            }
            let name = read_token(&mut i);
            skip_ws(&mut i);
            if i >= chars.len() || chars[i] != '=' {
                let empty = name.is_empty();
                if !empty && let Some(c) = out.challenges.last_mut() {
                    c.token68 = Some(name);
                }
                if empty {
                    out.valid = false;
                    out.problems
                        .push(format!("unexpected character at offset {i}"));
                    i += 1;
                }
                continue;
            }
            i += 1;
            skip_ws(&mut i);
            let mut value = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            value.push(chars[i + 1]);
                            i += 2;
                        }
                        '"' => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        c => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    out.valid = false;
                    out.problems.push("unterminated quoted string".into());
                }
            } else {
                value = read_token(&mut i);
                if value.is_empty() {
                    // token68 padding, e.g. "abc=="
                    while i < chars.len() && chars[i] == '=' {
                        i += 1;
                    }
                }
            }
            if let Some(c) = out.challenges.last_mut() {
                c.params.push(Param { name, value });
            }
        }
    }
    for c in &out.challenges {
        if c.is("Basic") && c.param("realm").is_none() {
            out.problems.push("Basic challenge without realm".into());
        }
        if c.is("Digest") && c.param("nonce").is_none() {
            out.problems.push("Digest challenge without nonce".into());
        }
    }
    if out.challenges.is_empty() {
        out.valid = false;
        out.problems.push("no challenge in the field".into());
    }
    out
}

/// One plain sentence per scheme, where known.
pub fn scheme_summary(scheme: &str) -> Option<&'static str> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "basic" => {
            "Username and password, sent base64-encoded with every request; the browser shows a login dialog."
        }
        "bearer" => {
            "The application must present an access token (OAuth 2.0 / OpenID Connect); sign in again or refresh the token in the app."
        }
        "digest" => {
            "Username and password proven with a hash challenge-response; the password itself is not sent."
        }
        "negotiate" => "Windows integrated / Kerberos single sign-on.",
        "ntlm" => "Windows integrated authentication.",
        _ => return None,
    })
}

/// Plain explanations of every challenge and problem.
pub fn explain(parsed: &Parsed, proxy: bool) -> Vec<String> {
    let mut out = Vec::new();
    for c in &parsed.challenges {
        let who = if proxy { "The proxy" } else { "The server" };
        let mut line = format!("{who} offers {}", c.scheme);
        if let Some(s) = scheme_summary(&c.scheme) {
            line.push_str(": ");
            line.push_str(s);
        }
        out.push(line);
        if c.is("Digest")
            && c.param("stale")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            out.push("stale=true: the login was fine and only the nonce expired; retry with the new nonce.".into());
        }
        if let Some(e) = c.param("error") {
            out.push(format!("error={e}"));
        }
    }
    out.extend(parsed.problems.iter().cloned());
    out
}
