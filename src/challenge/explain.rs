//! Plain-language sentences about parsed challenges: first for the person at the screen,
//! then technical notes for a technician.

use super::parser::clip;
use super::schemes::lookup;
use super::{Challenge, Parsed};

/// Bearer / DPoP `error` codes: RFC 6750 §3.1, RFC 9470 §3, RFC 9449.
const BEARER_ERRORS: &[(&str, &str)] = &[
    (
        "invalid_request",
        "The request was malformed (a missing or repeated parameter, or a token sent in several ways at once); this is a problem in the application, not your password.",
    ),
    (
        "invalid_token",
        "The access token was rejected: it expired, was revoked or is malformed; signing in again gets a new one.",
    ),
    (
        "insufficient_scope",
        "The token is valid but does not allow this; you need more permissions, not a new login.",
    ),
    (
        "insufficient_user_authentication",
        "The site wants a stronger or more recent sign-in (for example with a second factor) before it lets you in.",
    ),
    (
        "invalid_dpop_proof",
        "The proof of key possession that the application sends with its token is missing or wrong; this is a problem in the application.",
    ),
    (
        "use_dpop_nonce",
        "The server asks the application to retry once with the fresh nonce from its DPoP-Nonce header; a well-behaved application does this by itself.",
    ),
];

/// Sentences about `parsed`, one sentence each: plain ones first (scheme by scheme), then
/// the problems, then technical notes. `proxy` labels them as a proxy's challenges (407).
pub fn explain(parsed: &Parsed, proxy: bool) -> Vec<String> {
    let mut out = Vec::new();
    let who = if proxy { "The proxy" } else { "The site" };
    if parsed.challenges.is_empty() {
        out.push(if proxy {
            "The proxy refused the request but did not say how to log in, which is a fault of the proxy.".to_string()
        } else {
            "The site refused the request but did not say how to log in, which is a fault of the server.".to_string()
        });
    } else if proxy {
        out.push(format!(
            "A proxy between you and the site (not the site itself) asks for a login, offering {} to sign in.",
            crate::words::count(parsed.challenges.len(), "way", "ways")
        ));
        out.push("Enter your proxy (usually your company) credentials or check the proxy settings; clearing the site's cookies or cache does not help with this.".into());
    } else {
        out.push(format!(
            "The site asks you to sign in and offers {} to do it.",
            crate::words::count(parsed.challenges.len(), "way", "ways")
        ));
    }
    let mut notes = Vec::new();
    for (n, c) in parsed.challenges.iter().enumerate() {
        explain_one(n + 1, c, who, &mut out, &mut notes);
    }
    if !parsed.problems.is_empty() {
        let mistakes = crate::words::count(parsed.problems.len(), "mistake", "mistakes");
        out.push(if parsed.valid {
            // The grammar holds: every client reads the same challenges.
            format!(
                "{who} sent this header with {mistakes}; it is well-formed, so browsers and apps read it the same way, but some may not be able to use it."
            )
        } else {
            format!(
                "{who} sent this header with {mistakes}, so some browsers or apps may handle it differently from others."
            )
        });
        for p in &parsed.problems {
            out.push(format!("Problem: {p}."));
        }
    }
    if proxy {
        notes.push("Technical: Proxy-Authenticate addresses only the client that chose the proxy; for HTTPS the 407 answers the CONNECT request before any TLS with the site, so the fix is proxy credentials or proxy/PAC settings.".into());
    }
    out.extend(notes);
    out
}

fn explain_one(n: usize, c: &Challenge, who: &str, out: &mut Vec<String>, notes: &mut Vec<String>) {
    let name = if c.scheme.is_empty() {
        "(no scheme)".to_string()
    } else {
        c.scheme.clone()
    };
    match lookup(&c.scheme) {
        Some(s) => out.push(format!("Way {n}, {name}: {}", s.summary)),
        None if c.scheme.is_empty() => out.push(format!(
            "Way {n} names no login method, so no browser can use it."
        )),
        None => out.push(format!(
            "Way {n}, {name}: an unknown login method that browsers will not offer; some sites use one on purpose to suppress the browser's login dialog."
        )),
    }
    if let Some(realm) = c.param("realm") {
        out.push(format!(
            "{who} names the protected area \"{}\".",
            clip(realm)
        ));
        if !realm.is_ascii() {
            notes.push(non_ascii_note(realm));
        }
    }
    if c.is("Basic") {
        match c.param("charset") {
            Some(cs) if cs.eq_ignore_ascii_case("UTF-8") => out.push(
                "Your username and password will be sent as UTF-8, so accented letters work.".into(),
            ),
            Some(_) => {}
            None => notes.push("Technical: Basic without charset leaves the encoding of non-ASCII usernames and passwords undefined; browsers differ, so avoid accented letters or ask the site to add charset=\"UTF-8\".".into()),
        }
        notes.push(
            "Technical: Basic sends the password base64-encoded, which is only safe over HTTPS."
                .into(),
        );
    }
    if c.is("Digest") {
        if c.param("stale")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
        {
            out.push("Your login was accepted; only the server's one-time number (nonce) expired, so retrying with the new one works without asking for the password again.".into());
        }
        let alg = c.param("algorithm").unwrap_or("MD5");
        notes.push(format!(
            "Technical: Digest algorithm {alg}{}; qop {}.",
            if c.param("algorithm").is_none() {
                " (the default)"
            } else {
                ""
            },
            c.param("qop")
                .map(|q| format!("\"{}\"", clip(q)))
                .unwrap_or_else(|| "absent (legacy RFC 2069 mode)".into())
        ));
        if c.param("userhash")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
        {
            notes
                .push("Technical: userhash=true asks the client to send a hashed username.".into());
        }
    }
    if c.is("Bearer") || c.is("DPoP") {
        match c.param("error") {
            None => {
                // A bare Bearer's deviation from RFC 6750 §3 is among the problems.
                out.push("An access token is required and none (or no usable one) was sent; signing in to the application should fix it.".into());
            }
            Some(e) => match BEARER_ERRORS
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(e))
            {
                Some((_, text)) => out.push((*text).to_string()),
                None => out.push(format!(
                    "The server reports the error \"{}\", which is not a standard code.",
                    clip(e)
                )),
            },
        }
        if let Some(d) = c.param("error_description") {
            out.push(format!("The server's own explanation: \"{}\".", clip(d)));
        }
        if let Some(s) = c.param("scope") {
            out.push(format!("The permissions (scopes) needed are: {}.", clip(s)));
        }
        if let Some(a) = c.param("acr_values") {
            out.push(format!("The kind of sign-in required: {}.", clip(a)));
        }
        if let Some(m) = c.param("max_age") {
            out.push(format!(
                "The sign-in must be no older than {} seconds.",
                clip(m)
            ));
        }
        if let Some(u) = c.param("error_uri") {
            notes.push(format!("Technical: more about the error at {}.", clip(u)));
        }
        if let Some(u) = c.param("resource_metadata") {
            notes.push(format!(
                "Technical: the protected resource metadata (RFC 9728), which names the authorization servers to use, is at {}.",
                clip(u)
            ));
        }
        if let Some(a) = c.param("algs") {
            notes.push(format!(
                "Technical: DPoP proof algorithms accepted: {}.",
                clip(a)
            ));
        }
    }
    if let Some(t) = &c.token68 {
        notes.push(format!(
            "Technical: challenge {n} carries a token68 of {} characters (data for the client, not readable text).",
            t.len()
        ));
    }
    if let Some(s) = lookup(&c.scheme) {
        notes.push(format!(
            "Technical: {} is {} ({}).",
            s.name,
            if s.registered {
                "registered with IANA"
            } else {
                "not registered with IANA"
            },
            s.reference
        ));
    }
}

/// A non-ASCII realm and its other reading (HTTP defines no charset for these bytes).
fn non_ascii_note(realm: &str) -> String {
    let hex: Vec<String> = realm
        .as_bytes()
        .iter()
        .take(64)
        .map(|b| format!("{b:02X}"))
        .collect();
    let mojibake: String = realm.as_bytes().iter().map(|&b| b as char).collect();
    format!(
        "Technical: the realm has non-ASCII characters and HTTP defines no charset for them; fix401 shows \"{}\" (bytes read as UTF-8 when they are valid UTF-8, as ISO-8859-1 otherwise), but its UTF-8 bytes ({}) read as ISO-8859-1 would show \"{}\", so browsers may differ.",
        clip(realm),
        hex.join(" "),
        clip(&mojibake)
    )
}
