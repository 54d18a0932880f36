//! The SPNEGO token as a secret value, and what kind of token a header carries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// An initial SPNEGO token for `Authorization: Negotiate …`. It is a credential: it has no
/// `Display`, `Serialize` or `Clone`, its `Debug` shows only its length, and its bytes are
/// overwritten when it is dropped.
pub struct Token(Vec<u8>);

impl Token {
    pub(crate) fn new(bytes: Vec<u8>) -> Token {
        Token(bytes)
    }

    /// The value for the `Authorization` header: `Negotiate <base64>`. Send it, never log it.
    pub fn authorization(&self) -> String {
        format!("Negotiate {}", STANDARD.encode(&self.0))
    }

    /// The same value as a header marked sensitive (its `Debug` says `Sensitive`, and HTTP/2
    /// never puts it in the compression table), for the re-test's request.
    pub fn header_value(&self) -> reqwest::header::HeaderValue {
        let mut value = reqwest::header::HeaderValue::from_str(&self.authorization())
            .expect("base64 is a valid header value");
        value.set_sensitive(true);
        value
    }

    /// What the token is (Kerberos inside SPNEGO, or NTLM), read from its structure.
    pub fn kind(&self) -> TokenKind {
        TokenKind::of_bytes(&self.0)
    }

    /// The token's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a token without bytes (never produced by a successful sign-in).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(<redacted, {} bytes>)", self.0.len())
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // SAFETY: a valid, aligned, exclusive reference into the vector; the volatile
            // write keeps the compiler from dropping the wipe of memory about to be freed.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

/// The kind of a Negotiate / NTLM token, from its bytes (never from what a header calls it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A Kerberos token: a raw krb5 GSS token, or SPNEGO whose first mechanism is Kerberos.
    Kerberos,
    /// NTLM: a raw `NTLMSSP` message (base64 `TlRMTVNTUA…`), or SPNEGO offering NTLM first —
    /// a client that sends this to a Negotiate site fell back from Kerberos.
    Ntlm,
    /// Anything else (a SPNEGO response, another mechanism, or not a token at all).
    Unknown,
}

/// `NTLMSSP\0`, the signature every NTLM message starts with.
const NTLMSSP: &[u8] = b"NTLMSSP\0";
/// DER contents of the OIDs a token names: SPNEGO 1.3.6.1.5.5.2, Kerberos 5
/// 1.2.840.113554.1.2.2, Microsoft's Kerberos 1.2.840.48018.1.2.2, NTLM 1.3.6.1.4.1.311.2.2.10.
const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
const OID_NTLM: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

impl TokenKind {
    /// The kind of the token in a header value: `Negotiate <b64>`, `NTLM <b64>`, `Kerberos
    /// <b64>` or the bare base64. Text that is not base64 is [`TokenKind::Unknown`].
    pub fn of_header(value: &str) -> TokenKind {
        let b64 = value
            .trim()
            .split_once(' ')
            .map_or(value.trim(), |(_, rest)| rest.trim());
        match STANDARD.decode(b64) {
            Ok(bytes) => TokenKind::of_bytes(&bytes),
            Err(_) => TokenKind::Unknown,
        }
    }

    /// The kind of a decoded token.
    pub fn of_bytes(bytes: &[u8]) -> TokenKind {
        if bytes.starts_with(NTLMSSP) {
            return TokenKind::Ntlm;
        }
        first_mechanism(bytes).map_or(TokenKind::Unknown, |oid| match oid {
            o if o == OID_KRB5 || o == OID_MS_KRB5 => TokenKind::Kerberos,
            o if o == OID_NTLM => TokenKind::Ntlm,
            _ => TokenKind::Unknown,
        })
    }
}

/// A DER element: `tag`, length, `contents`.
fn der_element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// Wraps an initial Kerberos GSS token in an SPNEGO NegTokenInit offering Kerberos only
/// (RFC 4178 §4.2.1, the framing of RFC 2743 §3.1), as browsers and curl send it.
pub(crate) fn spnego_init(krb5_token: &[u8]) -> Vec<u8> {
    let mech_types = der_element(0xa0, &der_element(0x30, &der_element(0x06, OID_KRB5)));
    let mech_token = der_element(0xa2, &der_element(0x04, krb5_token));
    let init = der_element(0xa0, &der_element(0x30, &[mech_types, mech_token].concat()));
    der_element(0x60, &[der_element(0x06, OID_SPNEGO), init].concat())
}

/// One DER element: (tag, contents, rest after it).
fn der(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The mechanism an initial GSS token is for (RFC 2743 §3.1 framing): the token's own OID,
/// or for SPNEGO (RFC 4178 NegTokenInit) the first of its `mechTypes`.
fn first_mechanism(bytes: &[u8]) -> Option<&[u8]> {
    let (tag, body, _) = der(bytes)?;
    if tag != 0x60 {
        return None;
    }
    let (tag, oid, inner) = der(body)?;
    if tag != 0x06 {
        return None;
    }
    if oid != OID_SPNEGO {
        return Some(oid);
    }
    // [0] NegTokenInit ::= SEQUENCE { mechTypes [0] SEQUENCE OF OID, ... }
    let (tag, init, _) = der(inner)?;
    let (seq_tag, seq, _) = der(init)?;
    let (types_tag, types, _) = der(seq)?;
    let (list_tag, list, _) = der(types)?;
    let (oid_tag, first, _) = der(list)?;
    (tag == 0xa0 && seq_tag == 0x30 && types_tag == 0xa0 && list_tag == 0x30 && oid_tag == 0x06)
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spnego_with(mech: &[u8]) -> Vec<u8> {
        let oid = [&[0x06, mech.len() as u8][..], mech].concat();
        let list = [&[0x30, oid.len() as u8][..], &oid].concat();
        let types = [&[0xa0, list.len() as u8][..], &list].concat();
        let seq = [&[0x30, types.len() as u8][..], &types].concat();
        let init = [&[0xa0, seq.len() as u8][..], &seq].concat();
        let body = [&[0x06, 0x06][..], OID_SPNEGO, &init].concat();
        [&[0x60, body.len() as u8][..], &body].concat()
    }

    #[test]
    fn spnego_offering_kerberos_first_is_kerberos() {
        assert_eq!(
            TokenKind::of_bytes(&spnego_with(OID_KRB5)),
            TokenKind::Kerberos
        );
        assert_eq!(
            TokenKind::of_bytes(&spnego_with(OID_MS_KRB5)),
            TokenKind::Kerberos
        );
    }

    #[test]
    fn spnego_framing_matches_what_curl_sends() {
        // The first 45 bytes of a real `curl --negotiate` token (MIT krb5 SPNEGO) whose inner
        // Kerberos token is 718 bytes long and starts 60 82 02 ca.
        let curl = STANDARD
            .decode("YIIC9QYGKwYBBQUCoIIC6TCCAuWgDTALBgkqhkiG9xIBAgKiggLSBIICzmCCAsoG")
            .unwrap();
        let mut inner = vec![0x60, 0x82, 0x02, 0xca, 0x06];
        inner.resize(718, 0);
        let ours = spnego_init(&inner);
        assert_eq!(&ours[..curl.len()], &curl[..]);
        assert_eq!(ours.len(), 4 + 0x2f5);
        assert_eq!(TokenKind::of_bytes(&ours), TokenKind::Kerberos);
        let short = spnego_init(&[0x60, 0x03, 0x06, 0x01, 0x00]);
        assert_eq!(TokenKind::of_bytes(&short), TokenKind::Kerberos);
    }

    #[test]
    fn ntlm_raw_or_in_spnego_is_ntlm() {
        assert_eq!(
            TokenKind::of_header("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="),
            TokenKind::Ntlm
        );
        assert_eq!(TokenKind::of_bytes(&spnego_with(OID_NTLM)), TokenKind::Ntlm);
        let header = format!("Negotiate {}", STANDARD.encode(spnego_with(OID_NTLM)));
        assert_eq!(TokenKind::of_header(&header), TokenKind::Ntlm);
    }

    #[test]
    fn garbage_and_truncation_are_unknown_without_panicking() {
        assert_eq!(
            TokenKind::of_header("Negotiate not base64!"),
            TokenKind::Unknown
        );
        assert_eq!(TokenKind::of_bytes(&[]), TokenKind::Unknown);
        assert_eq!(
            TokenKind::of_bytes(&[0x60, 0x84, 0xff, 0xff]),
            TokenKind::Unknown
        );
        let full = spnego_with(OID_KRB5);
        for cut in 0..full.len() {
            assert_eq!(
                TokenKind::of_bytes(&full[..cut]),
                TokenKind::Unknown,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn token_debug_hides_the_bytes() {
        let t = Token::new(b"secret-bytes".to_vec());
        assert_eq!(format!("{t:?}"), "Token(<redacted, 12 bytes>)");
        assert!(t.authorization().starts_with("Negotiate "));
        assert_eq!(format!("{:?}", t.header_value()), "Sensitive");
    }
}
