//! Redaction by field, never by searching text: what `diagnose` and `fix` print and write
//! (text, `--json`, Markdown / HTML / JSON reports) does not depend on the password at all,
//! and no secret the person typed or the server sent in a secret field appears anywhere.

use std::hash::{BuildHasher, Hasher};

use crate::support::TestEnv;
use crate::support::http::{Server, respond};

/// Secrets the server sends in fields that are secret by name or by position.
const HEADER_SECRETS: [(&str, &str); 6] = [
    ("X-Auth-Token", "hdr-auth-token-5f1c"),
    ("X-API-Key", "hdr-api-key-77aa"),
    ("Private-Token", "hdr-private-9d2e"),
    ("X-Amz-Security-Token", "hdr-amz-0b3f"),
    ("X-CSRF-Token", "hdr-csrf-41c8"),
    ("Set-Cookie", "sid=cookie-value-e6d0; Path=/; HttpOnly"),
];
/// Secrets in the URL: query and fragment parameters, and in the redirect's `Location`.
const URL_SECRETS: [&str; 6] = [
    "query-access-token-31ab",
    "frag-access-token-c4d9",
    "frag-id-token-8e02",
    "frag-code-a7f5",
    "loc-access-token-2b6e",
    "loc-id-token-90cd",
];

/// A site whose `/start` redirects to `/app`, which always answers 401 with a Basic
/// challenge whose realm is made of ordinary words (the short passwords among them), plus
/// custom token headers and a session cookie.
fn always_401() -> Server {
    Server::http(|req, _| {
        if req.target.starts_with("/start") {
            return respond(
                302,
                &[(
                    "Location",
                    b"/app?access_token=loc-access-token-2b6e&page=2#id_token=loc-id-token-90cd",
                )],
                b"",
            );
        }
        let mut headers: Vec<(&str, &[u8])> = vec![(
            "WWW-Authenticate",
            b"Basic realm=\"the e-mail or the 401 is here\"",
        )];
        for (name, value) in HEADER_SECRETS {
            headers.push((name, value.as_bytes()));
        }
        respond(401, &headers, b"the password is wrong or 401")
    })
}

/// Every output of one password's runs, in a fixed order, each with its name.
fn outputs(env: &TestEnv, srv: &Server, password: &str) -> Vec<(String, String)> {
    let port = srv.addr.port();
    let url = format!(
        "http://alice:{password}@127.0.0.1:{port}/start?access_token=query-access-token-31ab\
         #access_token=frag-access-token-c4d9&id_token=frag-id-token-8e02&code=frag-code-a7f5"
    );
    let stdin = format!("{password}\n");
    let dir = env.data_dir();
    let file = |name: &str| dir.join(name).display().to_string();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let mut out = Vec::new();
    let keep = |out: &mut Vec<(String, String)>, what: &str, o: crate::support::Outcome| {
        out.push((format!("{what} stdout"), o.stdout));
        out.push((format!("{what} stderr"), o.stderr));
    };

    let diagnose = |json: bool| {
        let mut args = vec![];
        if json {
            args.push("--json".to_string());
        }
        args.extend(
            [
                "diagnose",
                "--user",
                "alice",
                "--password-stdin",
                "--no-proxy",
                &url,
                "--report",
                &file("d.md"),
                "--report",
                &file("d.html"),
                "--report",
                &file("d.json"),
            ]
            .map(String::from),
        );
        env.cmd(args).stdin(stdin.clone()).run().code(1)
    };
    keep(&mut out, "diagnose", diagnose(false));
    let reports = [read("d.md"), read("d.html"), read("d.json")];
    keep(&mut out, "diagnose --json", diagnose(true));
    for (ext, body) in ["md", "html", "json"].iter().zip(reports) {
        out.push((format!("diagnose --report .{ext}"), body));
    }

    for (json, ext) in [(false, "md"), (true, "html"), (false, "json")] {
        let mut args = vec![];
        if json {
            args.push("--json".to_string());
        }
        let report = file(&format!("f.{ext}"));
        args.extend(["fix", "--yes", &url, "--report", &report].map(String::from));
        let what = format!("fix{} --report .{ext}", if json { " --json" } else { "" });
        keep(&mut out, &what, env.cmd(args).run().code(1));
        out.push((format!("{what}: the file"), read(&format!("f.{ext}"))));
    }
    out
}

/// Hides what differs between runs for reasons other than the password: durations
/// (`12.345`, `3 ms`) and HTTP dates. Status codes, ports and every word stay.
fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // An HTTP date: "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes).
        if let Some(date) = s.get(i..i + 29)
            && date.ends_with("GMT")
            && httpdate::parse_http_date(date).is_ok()
        {
            out.push_str("<date>");
            i += 29;
            continue;
        }
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let number = s[i..j].trim_end_matches('.');
            let end = i + number.len();
            let decimal = number.contains('.');
            if decimal || s[end..].starts_with(" ms") {
                out.push('#');
                i = end;
                continue;
            }
            out.push_str(number);
            i = end;
            continue;
        }
        let c = s[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn random_password() -> String {
    let mut parts = String::new();
    for _ in 0..3 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        parts.push_str(&format!("{:016x}", h.finish()));
    }
    format!("Lp{parts}")
}

fn assert_absent(outs: &[(String, String)], secret: &str) {
    for (what, text) in outs {
        assert!(
            !text.contains(secret),
            "{what} contains the secret {secret:?}:\n{text}"
        );
    }
}

#[test]
fn outputs_do_not_depend_on_the_password_and_never_carry_secrets() {
    let srv = always_401();
    let env = TestEnv::new();
    let long = random_password();
    let reference = outputs(&env, &srv, &long);

    // The long random password, the server's token headers, the cookie value and the
    // tokens in query strings and fragments appear nowhere.
    assert_absent(&reference, &long);
    for (_, value) in HEADER_SECRETS {
        let value = value.trim_start_matches("sid=");
        let value = value.split(';').next().unwrap();
        assert_absent(&reference, value);
    }
    for secret in URL_SECRETS {
        assert_absent(&reference, secret);
    }
    // They were really there to be hidden: the redacted fields are shown, by name.
    let (_, json) = &reference[2];
    for needle in [
        "x-auth-token",
        "sid=[redacted]; Path=/; HttpOnly",
        "access_token=REDACTED",
        "#access_token=REDACTED&id_token=REDACTED&code=REDACTED",
        "the e-mail or the 401 is here",
    ] {
        assert!(json.contains(needle), "lacks {needle:?}:\n{json}");
    }
    assert!(
        srv.received()
            .iter()
            .any(|r| r.header("authorization").is_some()),
        "the password was never sent: the test would prove nothing"
    );

    // A password that is an ordinary word or the status code changes nothing at all.
    for short in ["is", "the", "or", "e", "401"] {
        let got = outputs(&env, &srv, short);
        assert_eq!(got.len(), reference.len());
        for ((what, want), (_, have)) in reference.iter().zip(&got) {
            let (want, have) = (mask(want), mask(have));
            if want != have {
                let line = want
                    .lines()
                    .zip(have.lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("long:  {a}\n{short:?}: {b}"))
                    .unwrap_or_default();
                panic!(
                    "{what} differs with the password {short:?}:\n{line}\n--- long\n{want}\n--- {short:?}\n{have}"
                );
            }
        }
    }
}

#[test]
fn the_masking_hides_only_durations_and_dates() {
    assert_eq!(
        mask("total 12.5 ms, 3 ms; 401 at :8080 on Sun, 06 Nov 1994 08:49:37 GMT."),
        "total # ms, # ms; 401 at :8080 on <date>."
    );
    assert_eq!(mask("\"total\": 0.25,"), "\"total\": #,");
    assert_eq!(mask("is the or e 401"), "is the or e 401");
}
