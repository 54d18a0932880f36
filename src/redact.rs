//! The one redactor: which names carry secrets, and the field redactors that remove them
//! where they enter the evidence.
//!
//! Reports get attached to tickets and mailed around, so a secret must never reach one. The
//! rule is **by field, at entry**: a value is hidden because of *where* it is (the value of an
//! `Authorization` header, the password of a URL, the value of an `access_token` parameter),
//! never because some text happens to contain it. Searching prose for a password breaks the
//! prose (a password `the` would eat every "the") and still misses encoded forms; removing
//! it where it is given does neither.
//!
//! What is redacted, and where:
//! - URL userinfo (user name and password): [`url`], [`url_str`]; the target and every hop
//!   keep only the redacted form for display.
//! - Values of secret query and fragment parameters ([`SECRET_PARAMS`], e.g. `access_token`,
//!   `id_token`, `code`, `sig`, `otp`): [`url`], [`url_str`].
//! - Response header values: `Authorization`, `Proxy-Authorization`, `Cookie` and
//!   `Set-Cookie` (names kept, values hidden), custom token headers ([`SECRET_HEADERS`] and
//!   names containing [`SECRET_HEADER_WORDS`]), and the URLs inside `Location`,
//!   `Content-Location`, `Refresh` and `Link`: [`header_value`], applied by the probe as it
//!   records each header.
//! - The password and token the person types are never recorded: the probe keeps only which
//!   kinds went out, and should a server echo a sent `Authorization` or `Cookie` value back
//!   in a response header, that value is hidden as the header is recorded ([`Sent`]).
//!
//! The module depends on nothing but `url`, so any stage may use it.

use std::path::Path;

use url::Url;

/// What replaces a secret in a header or in prose.
pub const REDACTED: &str = "[redacted]";

/// What replaces a secret parameter value inside a URL (brackets would be percent-encoded).
pub const REDACTED_IN_URL: &str = "REDACTED";

/// Query and fragment parameter names whose values are secrets: a name is secret when it
/// contains one of these (compared case-insensitively, after percent-decoding). Matching by
/// part keeps `access_token`, `id_token`, `client_secret`, `api_key`, `X-Amz-Signature`,
/// `SAMLResponse`, `PHPSESSID` … without listing each; hiding a harmless parameter that
/// happens to match costs little, showing a secret one costs a lot.
pub const SECRET_PARAMS: [&str; 16] = [
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "sig",
    "code",
    "auth",
    "sess",
    "jwt",
    "credential",
    "ticket",
    "otp",
    "saml",
    "assertion",
    "sid",
];

/// Header names (lower case) whose whole value is a secret.
pub const SECRET_HEADERS: [&str; 20] = [
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "x-api-key",
    "api-key",
    "apikey",
    "private-token",
    "x-access-token",
    "x-amz-security-token",
    "x-csrf-token",
    "x-xsrf-token",
    "csrf-token",
    "x-csrftoken",
    "x-goog-api-key",
    "x-vault-token",
    "x-refresh-token",
    "x-id-token",
    "x-session-token",
    "ocp-apim-subscription-key",
    "x-functions-key",
];

/// Parts of header names that mark a custom secret header (`X-Shopify-Access-Token`,
/// `X-My-Secret`, `X-Auth-User`…). `Cookie` and `Set-Cookie` are handled by name so their
/// cookie names stay readable; any other cookie-ish header is hidden whole.
pub const SECRET_HEADER_WORDS: [&str; 10] = [
    "token",
    "secret",
    "passw",
    "apikey",
    "api-key",
    "api_key",
    "credential",
    "session",
    "cookie",
    "x-auth",
];

/// True when a query or fragment parameter called `name` (as it appears in the URL,
/// possibly percent-encoded) holds a secret.
pub fn is_secret_param(name: &str) -> bool {
    let decoded = url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.to_lowercase())
        .unwrap_or_default();
    SECRET_PARAMS.iter().any(|p| decoded.contains(p))
}

/// True when the value of the header called `name` is a secret as a whole.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    // CORS headers list header *names* (`Access-Control-Allow-Headers: X-Auth-Token`), and
    // the challenge headers carry the server's challenge, not a credential.
    if n.starts_with("access-control-") || n.ends_with("-authenticate") {
        return false;
    }
    n.contains("authorization")
        || SECRET_HEADERS.contains(&n.as_str())
        || SECRET_HEADER_WORDS.iter().any(|w| n.contains(w))
}

/// The URL with its user name and password removed and the value of every secret query and
/// fragment parameter replaced by [`REDACTED_IN_URL`]. Everything else is kept as it was.
pub fn url(u: &Url) -> Url {
    let mut u = u.clone();
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username("");
        let _ = u.set_password(None);
    }
    if let Some(q) = u.query() {
        let r = params(q);
        if r != q {
            u.set_query(Some(&r));
        }
    }
    if let Some(f) = u.fragment() {
        let r = params(f);
        if r != f {
            u.set_fragment(Some(&r));
        }
    }
    u
}

/// Like [`url`], for text that should be a URL but may not parse (a typed address, a
/// `Location` header): the user name and password are cut out, secret parameters replaced.
pub fn url_str(s: &str) -> String {
    // `bob:hunter2@a.test/x` parses too, as scheme `bob` with no host: only a URL with a
    // host has its userinfo where the parser looks.
    if let Ok(u) = Url::parse(s)
        && u.has_host()
    {
        return url(&u).to_string();
    }
    let s = without_userinfo(s);
    let (before_fragment, fragment) = match s.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (s.as_str(), None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = base.to_string();
    if let Some(q) = query {
        out.push('?');
        out.push_str(&params(q));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&params(f));
    }
    out
}

/// A response (or request) header value fit for the evidence: secret headers hidden by
/// name, cookie values hidden with their names kept, URLs in `Location`, `Content-Location`,
/// `Refresh` and `Link` redacted like [`url`]. Any other value is returned unchanged, byte
/// for byte (servers send non-UTF-8).
pub fn header_value(name: &str, value: &[u8]) -> Vec<u8> {
    let n = name.trim().to_ascii_lowercase();
    let text = || String::from_utf8_lossy(value).into_owned();
    let redacted = match n.as_str() {
        "set-cookie" => set_cookie(&text()),
        "cookie" => cookie(&text()),
        _ if is_secret_header(&n) => REDACTED.to_string(),
        "location" | "content-location" => {
            let t = text();
            let r = url_str(t.trim());
            if r == t.trim() {
                return value.to_vec();
            }
            r
        }
        "refresh" => refresh(&text()),
        "link" => link(&text()),
        _ => return value.to_vec(),
    };
    redacted.into_bytes()
}

/// Sent credential values shorter than this are not looked for in echoes: they cannot be
/// told from ordinary words, and no real token, session id or encoded login is this short.
pub const ECHO_MIN_LEN: usize = 8;

/// The credential values the probe sent to a site, exactly as they went out in the
/// `Authorization` and `Cookie` headers, so that a server echoing one back in a response
/// header (a realm, an `X-Echo`) does not bring it into the evidence. Only the sent header
/// values are looked for, in the response header values being recorded: never the password
/// as typed (Basic and Digest never send it as such) and never any prose.
#[derive(Clone, Default)]
pub struct Sent {
    values: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sent({} values)", self.values.len())
    }
}

impl Sent {
    /// Notes an `Authorization` value that was sent: the whole value and its credentials
    /// after the scheme (`Basic <this>`, `Bearer <this>`).
    pub fn authorization(&mut self, value: &str) {
        self.add(value);
        if let Some((_, credentials)) = value.trim().split_once(' ') {
            self.add(credentials);
        }
    }

    /// Notes a `Cookie` value that was sent: the whole value and each cookie's value.
    pub fn cookie(&mut self, value: &str) {
        self.add(value);
        for pair in value.split(';') {
            if let Some((_, v)) = pair.split_once('=') {
                self.add(v);
            }
        }
    }

    fn add(&mut self, v: &str) {
        let v = v.trim();
        if v.len() >= ECHO_MIN_LEN && !self.values.iter().any(|x| x == v.as_bytes()) {
            self.values.push(v.as_bytes().to_vec());
            // Longest first, so a value containing another is hidden whole.
            self.values.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// A response header as the evidence keeps it: [`header_value`], then every sent
    /// credential value echoed in it replaced by [`REDACTED`].
    pub fn header_value(&self, name: &str, value: &[u8]) -> Vec<u8> {
        let mut v = header_value(name, value);
        for sent in &self.values {
            v = replace_bytes(&v, sent, REDACTED.as_bytes());
        }
        v
    }
}

/// `haystack` with every occurrence of `needle` replaced, byte for byte elsewhere.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// A path fit for a report: the home folder is written `~`.
pub fn path(p: &Path, home: &Path) -> String {
    match p.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".to_string(),
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => p.display().to_string(),
    }
}

/// A message from the browser-store code, which may name a store by its full path, with the
/// home folder written `~`. The home folder is not a secret (nothing here is hidden for
/// safety); it is shortened so a report does not carry the person's account name.
pub fn home_in_message(message: &str, home: &Path) -> String {
    let home = home.display().to_string();
    if home.len() > 1 {
        message.replace(&home, "~")
    } else {
        message.to_string()
    }
}

/// `k=v&k2=v2` (a query or a fragment) with every secret parameter's value replaced and
/// everything else kept byte for byte. In a fragment the parameters may follow a route
/// (`#/callback?code=…`): the name is what follows the last `?` or `/`.
fn params(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for piece in s.split_inclusive(['&', ';']) {
        let (pair, sep) = match piece.char_indices().last() {
            Some((i, c)) if c == '&' || c == ';' => (&piece[..i], &piece[i..]),
            _ => (piece, ""),
        };
        match pair.split_once('=') {
            Some((k, _)) if is_secret_param(k.rsplit(['?', '/']).next().unwrap_or(k)) => {
                out.push_str(k);
                out.push('=');
                out.push_str(REDACTED_IN_URL);
            }
            _ => out.push_str(pair),
        }
        out.push_str(sep);
    }
    out
}

/// `scheme://user:pass@rest` (or a mistyped `htp//user:pass@…`, or `user:pass@host/…`)
/// without the userinfo. The userinfo runs from after the first `//` (or the start) to the
/// last `@` before any `?` or `#`: a password may itself hold `/` or `:`, so cutting too much
/// is preferred to cutting too little.
fn without_userinfo(s: &str) -> String {
    let end = s.find(['?', '#']).unwrap_or(s.len());
    let Some(at) = s[..end].rfind('@') else {
        return s.to_string();
    };
    let start = s[..at].find("//").map_or(0, |i| i + 2);
    format!("{}{}", &s[..start], &s[at + 1..])
}

/// `name=value; Path=/; HttpOnly` → `name=[redacted]; Path=/; HttpOnly`.
fn set_cookie(v: &str) -> String {
    let (first, attrs) = match v.split_once(';') {
        Some((f, a)) => (f, format!(";{a}")),
        None => (v, String::new()),
    };
    let name = first.split('=').next().unwrap_or_default().trim();
    format!("{name}={REDACTED}{attrs}")
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`.
fn cookie(v: &str) -> String {
    v.split(';')
        .map(|p| {
            format!(
                "{}={REDACTED}",
                p.split('=').next().unwrap_or_default().trim()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `5; url=https://…` with the URL redacted.
fn refresh(v: &str) -> String {
    match v.to_ascii_lowercase().find("url=") {
        Some(i) => format!("{}{}", &v[..i + 4], url_str(v[i + 4..].trim())),
        None => v.to_string(),
    }
}

/// `<https://…>; rel="…", <…>` with each URL between angle brackets redacted.
fn link(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        out.push_str(&rest[..=open]);
        out.push_str(&url_str(&rest[open + 1..open + close]));
        out.push('>');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> String {
        url(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn urls_lose_userinfo_and_secret_query_values() {
        let s = u("https://bob:pw@example.com/a?access_token=abc&page=2&api_key=k&sig=s&code=c");
        assert_eq!(
            s,
            "https://example.com/a?access_token=REDACTED&page=2&api_key=REDACTED&sig=REDACTED&code=REDACTED"
        );
        // Nothing secret: the URL is kept exactly, odd encodings included.
        assert_eq!(
            u("https://example.com/a?q=a+b&flag#section-2"),
            "https://example.com/a?q=a+b&flag#section-2"
        );
    }

    #[test]
    fn every_secret_parameter_name_is_redacted() {
        for p in SECRET_PARAMS {
            let s = u(&format!(
                "https://a.test/?{p}=s3cr3t&{}=s3cr3t#{p}=s3cr3t",
                p.to_uppercase()
            ));
            assert!(!s.contains("s3cr3t"), "{p}: {s}");
        }
        for name in [
            "access_token",
            "id_token",
            "refresh_token",
            "client_secret",
            "password",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "SAMLResponse",
            "PHPSESSID",
            "otp",
            "credential",
            "acc%65ss_token",
        ] {
            assert!(is_secret_param(name), "{name}");
        }
        for name in ["page", "q", "lang", "redirect_uri"] {
            assert!(!is_secret_param(name), "{name}");
        }
    }

    #[test]
    fn fragments_lose_tokens() {
        assert_eq!(
            u("https://app.test/cb#access_token=AT1&token_type=bearer&expires_in=3600"),
            "https://app.test/cb#access_token=REDACTED&token_type=REDACTED&expires_in=3600"
        );
        assert_eq!(
            u("https://app.test/#id_token=eyJ.x.y&state=s"),
            "https://app.test/#id_token=REDACTED&state=s"
        );
        assert_eq!(
            u("https://app.test/#/callback?code=C0DE&state=s"),
            "https://app.test/#/callback?code=REDACTED&state=s"
        );
    }

    #[test]
    fn text_that_does_not_parse_still_loses_userinfo_and_secrets() {
        assert_eq!(
            url_str("htp//bob:hunter2@a.test/x?token=t#code=c"),
            "htp//a.test/x?token=REDACTED#code=REDACTED"
        );
        assert_eq!(url_str("bob:hunter2@a.test/x"), "a.test/x");
        assert_eq!(url_str("/next?page=2"), "/next?page=2");
        assert_eq!(url_str("not a url"), "not a url");
        assert_eq!(url_str("https://a.test/@me"), "https://a.test/@me");
        assert_eq!(url_str("http://bob:pa/ss@a.test:x/"), "http://a.test:x/");
    }

    #[test]
    fn credential_headers_are_hidden_by_name() {
        assert_eq!(
            header_value("Authorization", b"Basic Zm9vOmJhcg=="),
            REDACTED.as_bytes()
        );
        assert_eq!(
            header_value("proxy-authorization", b"Bearer x"),
            REDACTED.as_bytes()
        );
        assert_eq!(
            header_value("cookie", b"sid=abc123; theme=dark"),
            b"sid=[redacted]; theme=[redacted]"
        );
        assert_eq!(
            header_value("set-cookie", b"sid=zzz; Path=/; HttpOnly"),
            b"sid=[redacted]; Path=/; HttpOnly"
        );
    }

    #[test]
    fn custom_token_headers_are_hidden() {
        for name in SECRET_HEADERS {
            assert_eq!(header_value(name, b"t0k3n"), REDACTED.as_bytes(), "{name}");
            assert_eq!(
                header_value(&name.to_uppercase(), b"t0k3n"),
                REDACTED.as_bytes(),
                "{name}"
            );
        }
        for name in [
            "X-Auth-Token",
            "X-API-Key",
            "Private-Token",
            "Api-Key",
            "X-Access-Token",
            "X-Amz-Security-Token",
            "X-CSRF-Token",
            "X-Shopify-Access-Token",
            "X-My-Secret",
            "X-Auth-User",
            "Set-Cookie2",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "www-authenticate",
            "proxy-authenticate",
            "access-control-allow-headers",
            "content-type",
            "x-oauth-scopes",
            "retry-after",
        ] {
            assert!(!is_secret_header(name), "{name}");
            assert_eq!(header_value(name, b"x-auth-token"), b"x-auth-token");
        }
    }

    #[test]
    fn urls_inside_headers_are_redacted_and_other_values_kept_byte_for_byte() {
        assert_eq!(
            header_value("Location", b"https://u:p@a.test/cb?code=c#access_token=t"),
            b"https://a.test/cb?code=REDACTED#access_token=REDACTED"
        );
        assert_eq!(header_value("location", b"/next?page=2"), b"/next?page=2");
        assert_eq!(
            header_value("refresh", b"0; url=https://a.test/?token=t"),
            b"0; url=https://a.test/?token=REDACTED"
        );
        assert_eq!(
            header_value(
                "link",
                b"<https://a.test/wp-json/?key=k>; rel=\"https://api.w.org/\""
            ),
            b"<https://a.test/wp-json/?key=REDACTED>; rel=\"https://api.w.org/\""
        );
        let odd = b"caf\xe9 the 401 wrong";
        assert_eq!(header_value("x-note", odd), odd);
        assert_eq!(header_value("location", b"/caf\xe9"), b"/caf\xe9");
    }

    #[test]
    fn sent_credentials_echoed_by_the_server_are_hidden_and_nothing_else() {
        let mut sent = Sent::default();
        sent.authorization("Basic YWxpY2U6ZQ==");
        sent.cookie("sid=s3ss10n-v4lue; theme=dark");
        let echo =
            b"Basic realm=\"Basic YWxpY2U6ZQ== | sid=s3ss10n-v4lue; theme=dark | the dark e\"";
        assert_eq!(
            sent.header_value("www-authenticate", echo),
            b"Basic realm=\"[redacted] | [redacted] | the dark e\""
        );
        assert_eq!(
            sent.header_value("x-echo", b"token YWxpY2U6ZQ== value s3ss10n-v4lue"),
            b"token [redacted] value [redacted]"
        );
        // Short values ("dark", and a password never goes out as typed) are not looked for.
        assert_eq!(
            sent.header_value("x-note", b"the dark e 401"),
            b"the dark e 401"
        );
        assert!(!format!("{sent:?}").contains("s3ss"));
    }

    #[test]
    fn home_becomes_tilde() {
        let home = Path::new("/home/ann");
        assert_eq!(path(Path::new("/home/ann/.config/x"), home), "~/.config/x");
        assert_eq!(path(home, home), "~");
        assert_eq!(
            home_in_message("opening /home/ann/a: locked", home),
            "opening ~/a: locked"
        );
    }
}
