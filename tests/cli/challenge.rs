//! `fix401 challenge`: the JSON contract, the plain explanation, bad input, huge headers.

use crate::support::Fix401;

#[test]
fn json_follows_the_contract_exactly() {
    let out = Fix401::new(["challenge", "--json", "--", "Basic realm=\"x\""])
        .run()
        .code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({
            "valid": true,
            "challenges": [
                {"scheme": "Basic", "token68": null, "params": [{"name": "realm", "value": "x"}]}
            ],
            "problems": []
        })
    );
}

#[test]
fn json_with_several_lines_token68_escapes_and_problems() {
    let out = Fix401::new([
        "--json",
        "challenge",
        "--",
        r#"Negotiate YII+/a==, Basic realm="a \"b\"""#,
        r#"Digest realm="r" nonce="n""#,
    ])
    .run()
    .code(0);
    let json = out.json();
    assert_eq!(json["valid"], false);
    assert_eq!(
        json["challenges"],
        serde_json::json!([
            {"scheme": "Negotiate", "token68": "YII+/a==", "params": []},
            {"scheme": "Basic", "token68": null, "params": [{"name": "realm", "value": "a \"b\""}]},
            {"scheme": "Digest", "token68": null, "params": [
                {"name": "realm", "value": "r"}, {"name": "nonce", "value": "n"}
            ]}
        ])
    );
    let problems = json["problems"].as_array().expect("problems array");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .as_str()
            .is_some_and(|p| p.contains("separated from the one before it by a space"))
    );
    // Exactly the three keys of the contract.
    assert_eq!(json.as_object().map(|o| o.len()), Some(3));
}

#[test]
fn plain_text_explains_scheme_by_scheme_and_lists_problems() {
    Fix401::new([
        "challenge",
        "--",
        r#"Digest realm="intranet", nonce="abc", stale=true, algorithm=MD5"#,
        "Basic",
    ])
    .run()
    .code(0)
    .stdout_has("Way 1, Digest")
    .stdout_has("Your login was accepted")
    .stdout_has("Way 2, Basic")
    .stdout_has("Problem: challenge 2 (Basic) has no realm");
}

#[test]
fn proxy_challenges_are_labelled() {
    Fix401::new(["challenge", "--proxy", "--", "Negotiate, NTLM"])
        .run()
        .code(0)
        .stdout_has("A proxy between you and the site");
}

#[test]
fn no_value_is_a_usage_error() {
    Fix401::new(["challenge"])
        .run()
        .code(2)
        .stderr_has("no header value given");
    let out = Fix401::new(["challenge", "--json"]).run().code(2);
    assert_eq!(out.json()["error"]["code"], "bad_input");
}

#[test]
fn garbage_is_explained_not_fatal() {
    let out = Fix401::new(["challenge", "--json", "--", "=\"\\,;\u{201C}"])
        .run()
        .code(0);
    let json = out.json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["challenges"], serde_json::json!([]));
    assert!(!json["problems"].as_array().expect("array").is_empty());
}

#[cfg(unix)]
#[test]
fn invalid_utf8_is_read_as_latin1() {
    use std::os::unix::ffi::OsStringExt;
    let value = std::ffi::OsString::from_vec(b"Basic realm=\"Z\xfcrich\"".to_vec());
    let out = Fix401::new(vec![
        std::ffi::OsString::from("challenge"),
        "--json".into(),
        "--".into(),
        value,
    ])
    .run()
    .code(0);
    assert_eq!(out.json()["challenges"][0]["params"][0]["value"], "Zürich");
}

#[test]
fn a_one_mebibyte_header_is_parsed_and_bounded() {
    // Too long for one command-line argument (Linux caps those at 128 KiB): use stdin.
    let big = format!(
        "WWW-Authenticate: Basic realm=\"{}\"\r\n",
        "r".repeat(1 << 20)
    );
    let out = Fix401::new(["challenge", "--json", "--", "-"])
        .stdin(big)
        .run()
        .code(0);
    let json = out.json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["challenges"][0]["scheme"], "Basic");
    let realm = json["challenges"][0]["params"][0]["value"]
        .as_str()
        .expect("realm");
    assert_eq!(realm.len(), 64 * 1024);
    // The library takes the same header directly.
    let lines = [format!("Basic realm=\"{}\"", "r".repeat(1 << 20))];
    let parsed = fix401::challenge::parse(&lines);
    assert_eq!(parsed.challenges.len(), 1);
}

#[test]
fn stdin_lines_are_field_lines() {
    let out = Fix401::new(["challenge", "--json", "--", "-"])
        .stdin("WWW-Authenticate: Negotiate\nwww-authenticate: Basic realm=\"x\"\n")
        .run()
        .code(0);
    let json = out.json();
    assert_eq!(json["valid"], true, "{json}");
    assert_eq!(json["challenges"][1]["scheme"], "Basic");
}

#[test]
fn values_without_the_double_dash_are_accepted() {
    let out = Fix401::new(["challenge", "--json", "Negotiate", "Basic realm=\"x\""])
        .run()
        .code(0);
    assert_eq!(out.json()["challenges"][1]["params"][0]["value"], "x");
}

#[test]
fn a_pasted_field_name_is_dropped() {
    let out = Fix401::new([
        "challenge",
        "--json",
        "--",
        "WWW-Authenticate: Basic realm=\"x\"",
    ])
    .run()
    .code(0);
    assert_eq!(out.json()["valid"], true);
}

/// `fix401 challenge --json -- LINES…`, exit 0, as JSON.
fn challenge_json(lines: &[&str]) -> serde_json::Value {
    let mut args = vec!["challenge", "--json", "--"];
    args.extend_from_slice(lines);
    Fix401::new(args).run().code(0).json()
}

#[track_caller]
fn assert_problem(json: &serde_json::Value, phrase: &str) {
    let problems = json["problems"].as_array().expect("problems array");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.contains(phrase))),
        "no problem with {phrase:?}: {json}"
    );
}

#[test]
fn json_valid_means_grammar_and_broken_rules_are_only_problems() {
    for (lines, phrase) in [
        (&["Basic"][..], "(Basic) has no realm"),
        (&[r#"Digest realm="r", algorithm=SHA-1"#], "has no nonce"),
        (
            &[r#"Digest realm="r", algorithm=SHA-1"#],
            "unknown algorithm \"SHA-1\"",
        ),
        (
            &[r#"Basic realm="a", realm="b""#],
            "repeats the parameter realm 2 times",
        ),
        (
            &[r#"Basic realm="a", charset=latin1"#],
            "the only allowed value is UTF-8",
        ),
        (&["Basic realm='intranet'"], "uses single quotes"),
        (
            &[r#"Bearer error="invalid_token", error_description="it\"s""#],
            "RFC 6750 §3 does not allow there",
        ),
        (&[", ,"], "holds no challenge"),
        (
            &[r#"Digest realm="r""#, r#"nonce="n""#],
            "line 2 does not start with an authentication scheme",
        ),
        (
            &[r#"Basic realm="a"#, r#"b""#],
            "line 1 ends inside a quoted string",
        ),
        (&["Bearer"], "asks for at least one auth-param"),
    ] {
        let json = challenge_json(lines);
        assert_eq!(json["valid"], true, "{lines:?}: {json}");
        assert_problem(&json, phrase);
    }
    // After the join a split challenge is one challenge, and a split quoted string one value.
    let json = challenge_json(&[r#"Basic realm="a"#, r#"b""#]);
    assert_eq!(json["challenges"][0]["params"][0]["value"], "a, b");
    let json = challenge_json(&[r#"Digest realm="r""#, r#"nonce="n""#]);
    assert_eq!(json["challenges"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["challenges"][0]["params"][1]["name"], "nonce");
}

#[test]
fn json_syntax_errors_are_invalid_and_keep_their_recovery() {
    for (line, phrase) in [
        (
            "Basic realm=\u{201C}intranet\u{201D}",
            "typographic (smart) quotes",
        ),
        (
            r#"Basic; realm="intranet""#,
            "';' right after the scheme Basic",
        ),
        (r#"Basic realm="intranet"#, "is never closed"),
        (
            "Basic realm='my intranet'",
            "the space inside them ends an unquoted value",
        ),
    ] {
        let json = challenge_json(&[line]);
        assert_eq!(json["valid"], false, "{line}: {json}");
        assert_problem(&json, phrase);
        let realm = json["challenges"][0]["params"][0]["value"].as_str();
        assert!(realm.is_some_and(|r| r.contains("intranet")), "{json}");
    }
}

/// Challenges recorded from servers no one here wrote (Debian bookworm packages, run on
/// loopback with minimal configs): Apache 2.4.71 mod_auth_basic (an `AuthName` with
/// quotes) and mod_auth_digest (a fresh nonce, and `stale=true` after
/// `AuthDigestNonceLifetime 1` ran out), and a Squid 5.7 407 offering Digest, Basic and
/// Negotiate on three `Proxy-Authenticate` lines. All are valid and break no rule.
#[test]
fn challenges_recorded_from_apache_and_squid_are_valid_without_problems() {
    let apache_basic = challenge_json(&[r#"Basic realm="Intranet \"Files\"""#]);
    assert_eq!(
        apache_basic,
        serde_json::json!({
            "valid": true,
            "challenges": [{"scheme": "Basic", "token68": null,
                            "params": [{"name": "realm", "value": "Intranet \"Files\""}]}],
            "problems": []
        })
    );
    for digest in [
        r#"Digest realm="Intranet Files", nonce="72B4Pw1iBgA=8453763464a2dc3fdf79c7f1e98b87a0ef376249", algorithm=MD5, domain="/digest/", qop="auth""#,
        r#"Digest realm="Intranet Files", nonce="cmUwQA1iBgA=9b9d6abc3156ff731c77941b18b41c5d1d045c8e", algorithm=MD5, domain="/digest/", stale=true, qop="auth""#,
    ] {
        let json = challenge_json(&[digest]);
        assert_eq!(json["valid"], true, "{json}");
        assert_eq!(json["problems"], serde_json::json!([]), "{json}");
        let params = json["challenges"][0]["params"].as_array().expect("params");
        assert_eq!(
            params[1]["value"].as_str().map(|n| n.contains('=')),
            Some(true)
        );
    }
    Fix401::new([
        "challenge",
        "--",
        r#"Digest realm="Intranet Files", nonce="cmUwQA1iBgA=9b9d6abc3156ff731c77941b18b41c5d1d045c8e", algorithm=MD5, domain="/digest/", stale=true, qop="auth""#,
    ])
    .run()
    .code(0)
    .stdout_has("Your login was accepted");
    let squid = [
        r#"Digest realm="Squid digest", nonce="5c5dc2185d485391262beb2cca7012b5", qop="auth", stale=false"#,
        r#"Basic realm="Squid proxy""#,
        "Negotiate",
    ];
    let mut args = vec!["challenge", "--proxy", "--json", "--"];
    args.extend_from_slice(&squid);
    let json = Fix401::new(args).run().code(0).json();
    assert_eq!(json["valid"], true, "{json}");
    assert_eq!(json["problems"], serde_json::json!([]), "{json}");
    let schemes: Vec<&str> = json["challenges"]
        .as_array()
        .expect("challenges")
        .iter()
        .filter_map(|c| c["scheme"].as_str())
        .collect();
    assert_eq!(schemes, ["Digest", "Basic", "Negotiate"]);
}
