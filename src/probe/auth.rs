//! Answering a server's challenge with the user name and password supplied: Basic
//! (RFC 7617) or Digest (RFC 7616: MD5, SHA-256 and their `-sess` forms, `qop=auth`).
//! Passwords are not sent before the server asks, so a Digest server never sees one in Basic.

use sha2::Digest as _;

use crate::challenge::{Challenge, Parsed};

/// The `Authorization` value answering the best challenge we support, and its kind
/// (`basic`, `digest`). `None` when no offered scheme can be answered.
pub fn answer(
    parsed: &Parsed,
    user: &str,
    password: &str,
    uri: &str,
    cnonce_seed: u64,
) -> Option<(String, &'static str)> {
    // Digest first: it does not reveal the password.
    for c in parsed.challenges.iter().filter(|c| c.is("Digest")) {
        if let Some(v) = digest(c, user, password, uri, cnonce_seed) {
            return Some((v, "digest"));
        }
    }
    if parsed.challenges.iter().any(|c| c.is("Basic")) {
        use base64::Engine;
        let pair = format!("{user}:{password}");
        return Some((
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
            "basic",
        ));
    }
    None
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(alg: &str, data: &str) -> String {
    if alg.starts_with("SHA-256") {
        hex(&sha2::Sha256::digest(data.as_bytes()))
    } else {
        hex(&md5::Md5::digest(data.as_bytes()))
    }
}

/// Escapes a value for a quoted-string.
fn q(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The Digest response to `c` for `GET uri`, or `None` for an algorithm or qop we lack.
pub fn digest(c: &Challenge, user: &str, password: &str, uri: &str, seed: u64) -> Option<String> {
    let realm = c.param("realm").unwrap_or_default();
    let nonce = c.param("nonce")?;
    let alg = c.param("algorithm").unwrap_or("MD5").to_ascii_uppercase();
    if !matches!(
        alg.as_str(),
        "MD5" | "MD5-SESS" | "SHA-256" | "SHA-256-SESS"
    ) {
        return None;
    }
    let qop = match c.param("qop") {
        None => None,
        Some(list) => {
            if list
                .split(',')
                .any(|x| x.trim().eq_ignore_ascii_case("auth"))
            {
                Some("auth")
            } else {
                return None;
            }
        }
    };
    let cnonce = hash("SHA-256", &format!("fix401-{seed}-{nonce}"))[..16].to_string();
    let nc = "00000001";
    let mut ha1 = hash(&alg, &format!("{user}:{realm}:{password}"));
    if alg.ends_with("-SESS") {
        ha1 = hash(&alg, &format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = hash(&alg, &format!("GET:{uri}"));
    let response = match qop {
        Some(qop) => hash(&alg, &format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")),
        None => hash(&alg, &format!("{ha1}:{nonce}:{ha2}")),
    };
    let mut v = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{response}\"",
        q(user),
        q(realm),
        q(nonce),
        q(uri),
        c.param("algorithm").unwrap_or("MD5"),
    );
    if let Some(qop) = qop {
        v.push_str(&format!(", qop={qop}, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(opaque) = c.param("opaque") {
        v.push_str(&format!(", opaque=\"{}\"", q(opaque)));
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Digest challenge with these parameters, through the real parser.
    fn ch(params: &[(&str, &str)]) -> Challenge {
        let value = params
            .iter()
            .map(|(n, v)| format!("{n}=\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        crate::challenge::parse(&[format!("Digest {value}")])
            .challenges
            .into_iter()
            .next()
            .expect("one challenge")
    }

    #[test]
    fn rfc2617_example_without_qop_matches() {
        // RFC 2069-style (no qop) response for the classic example values.
        let c = ch(&[
            ("realm", "testrealm@host.com"),
            ("nonce", "dcd98b7102dd2f0e8b11d0f600bfb0c093"),
        ]);
        let v = digest(&c, "Mufasa", "Circle Of Life", "/dir/index.html", 1).unwrap();
        let ha1 = hash("MD5", "Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = hash("MD5", "GET:/dir/index.html");
        let want = hash(
            "MD5",
            &format!("{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}"),
        );
        assert!(v.contains(&format!("response=\"{want}\"")), "{v}");
        assert_eq!(ha1, "939e7578ed9e3c518a452acee763bce9");
    }

    #[test]
    fn rfc7616_sha256_example_matches() {
        // RFC 7616 §3.9.1, SHA-256 with the example cnonce: check the pieces.
        let ha1 = hash("SHA-256", "Mufasa:http-auth@example.org:Circle of Life");
        let ha2 = hash("SHA-256", "GET:/dir/index.html");
        let resp = hash(
            "SHA-256",
            &format!(
                "{ha1}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:{ha2}"
            ),
        );
        assert_eq!(
            resp,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn unsupported_challenges_get_no_answer() {
        assert!(digest(&ch(&[("realm", "r")]), "u", "p", "/", 1).is_none());
        assert!(
            digest(
                &ch(&[("nonce", "n"), ("qop", "auth-int")]),
                "u",
                "p",
                "/",
                1
            )
            .is_none()
        );
        assert!(
            digest(
                &ch(&[("nonce", "n"), ("algorithm", "SHA-512-256")]),
                "u",
                "p",
                "/",
                1
            )
            .is_none()
        );
    }
}
