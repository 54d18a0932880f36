//! One test per edge-case category of the reference (§2.1, §2.2, §4) and the scheme rules,
//! each asserting the exact challenges, verdict and problems; then property tests.

use super::*;

/// A challenge from literals: `ch("Basic", None, &[("realm", "x")])`.
fn ch(scheme: &str, token68: Option<&str>, params: &[(&str, &str)]) -> Challenge {
    Challenge {
        scheme: scheme.into(),
        token68: token68.map(Into::into),
        params: params
            .iter()
            .map(|(n, v)| Param {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect(),
    }
}

/// Parses `lines` and asserts the challenges exactly, and that there is one problem per
/// entry of `problems`, each containing its phrase (in order). `valid` follows.
#[track_caller]
fn check<L: AsRef<[u8]> + std::fmt::Debug>(
    lines: &[L],
    challenges: &[Challenge],
    problems: &[&str],
) -> Parsed {
    let parsed = parse(lines);
    assert_eq!(
        parsed.challenges, challenges,
        "challenges of {lines:?}: {parsed:#?}"
    );
    assert_eq!(
        parsed.problems.len(),
        problems.len(),
        "problems of {lines:?}: {:#?}",
        parsed.problems
    );
    for (got, want) in parsed.problems.iter().zip(problems) {
        assert!(
            got.contains(want),
            "problem {got:?} lacks {want:?} ({lines:?})"
        );
    }
    assert_eq!(parsed.valid, problems.is_empty(), "verdict of {lines:?}");
    parsed
}

// ---- §2 grammar basics ----

#[test]
fn rfc_9110_example_with_two_challenges_and_escapes() {
    check(
        &[r#"Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\"""#],
        &[
            ch("Basic", None, &[("realm", "simple")]),
            ch(
                "Newauth",
                None,
                &[
                    ("realm", "apps"),
                    ("type", "1"),
                    ("title", "Login to \"apps\""),
                ],
            ),
        ],
        &[],
    );
}

#[test]
fn names_are_case_insensitive_and_spelling_is_kept() {
    let p = check(
        &[r#"bASIC REALM="x", CharSet=utf-8"#],
        &[ch("bASIC", None, &[("REALM", "x"), ("CharSet", "utf-8")])],
        &[],
    );
    assert!(p.challenges[0].is("basic"));
    assert_eq!(p.challenges[0].param("realm"), Some("x"));
    assert_eq!(p.challenges[0].param("charset"), Some("utf-8"));
}

#[test]
fn empty_list_elements_are_ignored() {
    check(
        &[r#" , ,Basic realm="x" ,, , Newauth ,, a=b,, "#],
        &[
            ch("Basic", None, &[("realm", "x")]),
            ch("Newauth", None, &[("a", "b")]),
        ],
        &[],
    );
}

#[test]
fn empty_field_and_only_commas_have_no_challenge() {
    for v in ["", "   ", ", ,,"] {
        check(&[v], &[], &["holds no challenge"]);
    }
    let none: [&str; 0] = [];
    let p = parse(&none);
    assert!(!p.valid);
    assert_eq!(p.problems.len(), 1);
}

// ---- §2.1 several field lines ----

#[test]
fn several_lines_are_joined_in_order() {
    check(
        &[r#"Basic realm="x""#, "Bearer", r#"DPoP algs="ES256""#],
        &[
            ch("Basic", None, &[("realm", "x")]),
            ch("Bearer", None, &[]),
            ch("DPoP", None, &[("algs", "ES256")]),
        ],
        &[],
    );
}

#[test]
fn a_line_starting_with_a_parameter_continues_the_last_challenge_and_is_flagged() {
    check(
        &[r#"Digest realm="x""#, r#"nonce="n""#],
        &[ch("Digest", None, &[("realm", "x"), ("nonce", "n")])],
        &["line 2 does not start with an authentication scheme"],
    );
}

#[test]
fn a_scheme_alone_on_a_line_before_its_parameters_is_a_comma_after_the_scheme() {
    check(
        &["Basic", r#"realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &[
            "line 2 does not start with an authentication scheme",
            "comma directly follows the scheme Basic",
        ],
    );
}

#[test]
fn a_quoted_string_spanning_lines_is_reported() {
    check(
        &[r#"Basic realm="a"#, r#"b""#],
        &[ch("Basic", None, &[("realm", "a, b")])],
        &["line 1 ends inside a quoted string"],
    );
}

// ---- §2.2 field hygiene ----

#[test]
fn cr_lf_nul_are_reported_and_read_as_spaces() {
    check(
        &["Basic\r\n realm=\"x\""],
        &[ch("Basic", None, &[("realm", "x")])],
        &["2 CR, LF or NUL bytes (first at byte 5)"],
    );
    check(
        &["Basic realm=\"a\0b\""],
        &[ch("Basic", None, &[("realm", "a b")])],
        &["1 CR, LF or NUL"],
    );
}

#[test]
fn surrounding_whitespace_is_not_part_of_the_value() {
    check(
        &["\t  Basic realm=\"x\"  \t"],
        &[ch("Basic", None, &[("realm", "x")])],
        &[],
    );
}

#[test]
fn control_characters_in_quoted_strings_are_reported() {
    check(
        &["Basic realm=\"a\x07b\""],
        &[ch("Basic", None, &[("realm", "a\x07b")])],
        &["control character at byte 14"],
    );
}

#[test]
fn limits_on_challenges_parameters_and_value_size() {
    let many = vec!["Newauth"; 100].join(", ");
    let p = parse(&[many]);
    assert_eq!(p.challenges.len(), parser::MAX_CHALLENGES);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert!(p.problems[0].contains("more than 64 challenges"));

    let params: Vec<String> = (0..100).map(|i| format!("p{i}=v")).collect();
    let p = parse(&[format!("Newauth {}", params.join(", "))]);
    assert_eq!(p.challenges[0].params.len(), parser::MAX_PARAMS);
    assert!(p.problems[0].contains("more than 64 parameters"));

    let big = format!("Basic realm=\"{}\"", "r".repeat(1 << 20));
    let p = parse(&[big]);
    assert!(!p.valid);
    assert_eq!(p.challenges.len(), 1);
    assert_eq!(p.challenges[0].params[0].value.len(), parser::MAX_VALUE);
    assert!(
        p.problems
            .iter()
            .any(|s| s.contains("only the first 1048576 bytes"))
    );
    assert!(p.problems.iter().any(|s| s.contains("never closed")));
    assert!(
        p.problems
            .iter()
            .any(|s| s.contains("only the first 65536 were kept"))
    );
}

#[test]
fn a_megabyte_of_junk_is_bounded() {
    let junk = "@,".repeat(1 << 19);
    let p = parse(&[junk.as_bytes()]);
    assert!(p.challenges.is_empty());
    // 40 listed, the rest counted, plus the zero-challenge problem (counted too).
    assert_eq!(p.problems.len(), 41);
    assert!(p.problems[40].starts_with("… and "));
}

// ---- §4 comma directly after the scheme ----

#[test]
fn comma_directly_after_the_scheme_is_invalid_and_parameters_are_attached() {
    check(
        &[r#"Basic, realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &[
            "comma directly follows the scheme Basic, which makes it a complete challenge without parameters, so the parameter realm at byte 7",
        ],
    );
}

#[test]
fn whitespace_then_comma_after_the_scheme_is_legal() {
    check(
        &[r#"Basic , realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &[],
    );
}

#[test]
fn a_scheme_then_comma_then_a_scheme_is_two_challenges() {
    check(
        &[r#"Newauth,Basic realm="x""#],
        &[
            ch("Newauth", None, &[]),
            ch("Basic", None, &[("realm", "x")]),
        ],
        &[],
    );
}

// ---- §4 token68 versus auth-param ----

#[test]
fn token68_with_padding_plus_and_slash() {
    check(
        &["Negotiate YII+/a.b_c~d-e===="],
        &[ch("Negotiate", Some("YII+/a.b_c~d-e===="), &[])],
        &[],
    );
}

#[test]
fn a_name_with_equals_and_nothing_else_is_a_token68() {
    check(
        &["Newauth realm="],
        &[ch("Newauth", Some("realm="), &[])],
        &[],
    );
    check(
        &["Newauth realm=="],
        &[ch("Newauth", Some("realm=="), &[])],
        &[],
    );
}

#[test]
fn a_name_with_a_value_is_a_parameter() {
    check(
        &["Newauth realm=x"],
        &[ch("Newauth", None, &[("realm", "x")])],
        &[],
    );
    check(
        &["Newauth a=b=="],
        &[ch("Newauth", None, &[("a", "b==")])],
        &["unquoted value of a contains '='"],
    );
}

#[test]
fn token68_then_a_new_challenge() {
    check(
        &[r#"Negotiate abc==, Basic realm="x""#],
        &[
            ch("Negotiate", Some("abc=="), &[]),
            ch("Basic", None, &[("realm", "x")]),
        ],
        &[],
    );
}

#[test]
fn token68_followed_by_parameters_is_invalid_and_keeps_only_the_token68() {
    check(
        &[r#"Negotiate abc==, realm="x""#],
        &[ch("Negotiate", Some("abc=="), &[])],
        &["the parameter realm at byte 17 follows the token68 of the Negotiate challenge"],
    );
}

// ---- §4 escapes ----

#[test]
fn escapes_are_removed_including_escaped_letters() {
    check(
        &[r#"Newauth realm="a\"b\\c\d""#],
        &[ch("Newauth", None, &[("realm", r#"a"b\cd"#)])],
        &[],
    );
}

#[test]
fn backslash_parity_decides_where_the_string_ends() {
    // Even: the quote closes the string.
    check(
        &[r#"Newauth realm="a\\", x=y"#],
        &[ch("Newauth", None, &[("realm", r"a\"), ("x", "y")])],
        &[],
    );
    // Odd: the quote is data and the string goes on.
    check(
        &[r#"Newauth realm="a\\\", x=y""#],
        &[ch("Newauth", None, &[("realm", r#"a\", x=y"#)])],
        &[],
    );
}

#[test]
fn a_backslash_in_an_unquoted_value_is_invalid() {
    check(
        &[r"Newauth realm=a\b"],
        &[ch("Newauth", None, &[("realm", r"a\b")])],
        &[r"contains '\' at byte 15"],
    );
}

// ---- §4 unterminated quoted strings ----

#[test]
fn an_unterminated_quoted_string_takes_the_rest_of_the_field() {
    check(
        &[r#"Basic realm="abc, charset=UTF-8"#],
        &[ch("Basic", None, &[("realm", "abc, charset=UTF-8")])],
        &["the quoted value of realm that opens at byte 12 is never closed"],
    );
}

#[test]
fn a_value_ending_inside_a_quoted_pair_is_invalid() {
    check(
        &[r#"Basic realm="abc\"#],
        &[ch("Basic", None, &[("realm", "abc")])],
        &["ends inside an escape"],
    );
}

// ---- §4 duplicate parameters ----

#[test]
fn duplicate_parameters_are_reported_with_every_value() {
    check(
        &[r#"Newauth realm="a", REALM="b""#],
        &[ch("Newauth", None, &[("realm", "a"), ("REALM", "b")])],
        &[r#"challenge 1 (Newauth) repeats the parameter realm 2 times ("a", "b")"#],
    );
}

#[test]
fn the_same_name_in_different_challenges_is_normal() {
    check(
        &[r#"Bearer error="invalid_token", DPoP algs="ES256", error="invalid_token""#],
        &[
            ch("Bearer", None, &[("error", "invalid_token")]),
            ch(
                "DPoP",
                None,
                &[("algs", "ES256"), ("error", "invalid_token")],
            ),
        ],
        &[],
    );
}

#[test]
fn repeated_bearer_scope_is_reported() {
    check(
        &[r#"Bearer scope="a", scope="b""#],
        &[ch("Bearer", None, &[("scope", "a"), ("scope", "b")])],
        &["repeats the parameter scope 2 times"],
    );
}

// ---- §4 missing separators sent by real servers ----

#[test]
fn parameters_separated_by_a_space() {
    check(
        &[r#"Basic realm="x" charset="UTF-8""#],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &["the parameter charset at byte 16 is separated from the one before it by a space"],
    );
}

#[test]
fn challenges_separated_by_a_space() {
    check(
        &[r#"Basic realm="x" Digest realm="y", nonce="n""#],
        &[
            ch("Basic", None, &[("realm", "x")]),
            ch("Digest", None, &[("realm", "y"), ("nonce", "n")]),
        ],
        &["the challenge Digest at byte 16 follows the previous challenge without a comma"],
    );
    check(
        &[r#"Negotiate abc Basic realm="x""#],
        &[
            ch("Negotiate", Some("abc"), &[]),
            ch("Basic", None, &[("realm", "x")]),
        ],
        &["the challenge Basic at byte 14 follows the previous challenge without a comma"],
    );
}

#[test]
fn semicolon_or_colon_after_the_scheme() {
    check(
        &[r#"Basic; realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &["';' right after the scheme Basic at byte 5"],
    );
    check(
        &[r#"Bearer: realm="x""#],
        &[ch("Bearer", None, &[("realm", "x")])],
        &["':' right after the scheme Bearer at byte 6"],
    );
}

#[test]
fn semicolons_between_parameters() {
    check(
        &[r#"Basic realm="x"; charset=UTF-8"#],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &["a semicolon at byte 15 separates list elements"],
    );
}

#[test]
fn smart_quotes() {
    check(
        &["Basic realm=\u{201C}my site\u{201D}, charset=UTF-8"],
        &[ch(
            "Basic",
            None,
            &[("realm", "my site"), ("charset", "UTF-8")],
        )],
        &["the value of realm at byte 12 is in typographic (smart) quotes"],
    );
}

#[test]
fn single_quotes_are_part_of_the_value() {
    check(
        &["Basic realm='x'"],
        &[ch("Basic", None, &[("realm", "'x'")])],
        &["uses single quotes"],
    );
    check(
        &["Basic realm='my site', charset=UTF-8"],
        &[ch(
            "Basic",
            None,
            &[("realm", "'my site'"), ("charset", "UTF-8")],
        )],
        &["uses single quotes"],
    );
}

#[test]
fn unquoted_values_with_non_token_characters() {
    check(
        &["Bearer realm=api@example.com, error_uri=https://example.com/e"],
        &[ch(
            "Bearer",
            None,
            &[
                ("realm", "api@example.com"),
                ("error_uri", "https://example.com/e"),
            ],
        )],
        &[
            "unquoted value of realm contains '@' at byte 16",
            "unquoted value of error_uri contains ':' at byte 45",
        ],
    );
}

#[test]
fn junk_where_an_element_should_start_is_skipped() {
    check(
        &[r#""quoted, still", Basic realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &["unexpected '\"' at byte 0"],
    );
}

// ---- §4 missing scheme ----

#[test]
fn missing_scheme_with_oauth_parameters_is_guessed_as_bearer() {
    check(
        &[r#"error="invalid_token", error_description="The token expired""#],
        &[ch(
            "Bearer",
            None,
            &[
                ("error", "invalid_token"),
                ("error_description", "The token expired"),
            ],
        )],
        &["probably a Bearer challenge with the scheme left out (a guess)"],
    );
}

#[test]
fn missing_scheme_without_oauth_parameters_stays_unknown() {
    check(
        &[r#"realm="x""#],
        &[ch("", None, &[("realm", "x")])],
        &[
            "starts with the parameter realm at byte 0 instead of an authentication scheme; the scheme is unknown",
        ],
    );
}

// ---- §4 bare Bearer ----

#[test]
fn bare_bearer_is_valid() {
    check(&["Bearer"], &[ch("Bearer", None, &[])], &[]);
    check(
        &[r#"Bearer, DPoP algs="ES256 PS256""#],
        &[
            ch("Bearer", None, &[]),
            ch("DPoP", None, &[("algs", "ES256 PS256")]),
        ],
        &[],
    );
    let lines = explain(&parse(&["Bearer"]), false);
    assert!(
        lines.iter().any(|l| l.contains("minor deviation")),
        "{lines:?}"
    );
}

// ---- §4 other traps ----

#[test]
fn unknown_scheme_first_is_valid() {
    check(
        &[r#"x-Custom, Basic realm="x""#],
        &[
            ch("x-Custom", None, &[]),
            ch("Basic", None, &[("realm", "x")]),
        ],
        &[],
    );
}

#[test]
fn scheme_like_words_and_commas_inside_quotes_are_data() {
    check(
        &[r#"Basic realm="Digest realm=, nonce=x, Bearer", charset="UTF-8""#],
        &[ch(
            "Basic",
            None,
            &[
                ("realm", "Digest realm=, nonce=x, Bearer"),
                ("charset", "UTF-8"),
            ],
        )],
        &[],
    );
}

#[test]
fn legal_whitespace_variants() {
    check(
        &["Basic   realm \t=\t \"x\",charset=UTF-8"],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &[],
    );
}

#[test]
fn non_ascii_realm_bytes_utf8_and_latin1() {
    check(
        &["Basic realm=\"Zürich\"".as_bytes()],
        &[ch("Basic", None, &[("realm", "Zürich")])],
        &[],
    );
    let latin1: &[u8] = b"Basic realm=\"Z\xfcrich\"";
    let p = check(&[latin1], &[ch("Basic", None, &[("realm", "Zürich")])], &[]);
    let lines = explain(&p, false);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("5A C3 BC") && l.contains("\"ZÃ¼rich\"")),
        "{lines:?}"
    );
    let lines = explain(&parse(&["Basic realm=\"Zürich\""]), false);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("5A C3 BC") && l.contains("\"ZÃ¼rich\"")),
        "{lines:?}"
    );
}

#[test]
fn empty_quoted_is_valid_and_empty_unquoted_is_not() {
    check(
        &[r#"Basic realm="""#],
        &[ch("Basic", None, &[("realm", "")])],
        &[],
    );
    check(
        &[r#"Basic realm="x", charset=, a=b"#],
        &[ch(
            "Basic",
            None,
            &[("realm", "x"), ("charset", ""), ("a", "b")],
        )],
        &[
            "the parameter charset has an empty value at byte 25",
            "charset \"\"",
        ],
    );
}

// ---- scheme rules ----

#[test]
fn basic_rules() {
    check(
        &["Basic"],
        &[ch("Basic", None, &[])],
        &["challenge 1 (Basic) has no realm"],
    );
    check(
        &[r#"Basic realm="x", charset="ISO-8859-1""#],
        &[ch(
            "Basic",
            None,
            &[("realm", "x"), ("charset", "ISO-8859-1")],
        )],
        &["has charset \"ISO-8859-1\"; the only allowed value is UTF-8"],
    );
}

#[test]
fn digest_rules_and_stale() {
    check(
        &[r#"Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth, auth-int", stale=TRUE"#],
        &[ch(
            "Digest",
            None,
            &[
                ("realm", "r"),
                ("nonce", "n"),
                ("algorithm", "SHA-256"),
                ("qop", "auth, auth-int"),
                ("stale", "TRUE"),
            ],
        )],
        &[],
    );
    check(
        &[r#"Digest qop="auth", algorithm=SHA-1"#],
        &[ch(
            "Digest",
            None,
            &[("qop", "auth"), ("algorithm", "SHA-1")],
        )],
        &[
            "has no realm",
            "has no nonce",
            "uses the unknown algorithm \"SHA-1\"",
        ],
    );
    let lines = explain(
        &parse(&[r#"Digest realm="r", nonce="n", stale=true"#]),
        false,
    );
    assert!(
        lines.iter().any(|l| l.contains("Your login was accepted")),
        "{lines:?}"
    );
}

#[test]
fn bearer_forbidden_characters() {
    check(
        &[r#"Bearer error="invalid_token", error_description="bad \"quote\"""#],
        &[ch(
            "Bearer",
            None,
            &[
                ("error", "invalid_token"),
                ("error_description", "bad \"quote\""),
            ],
        )],
        &["the error_description value contains '\"'"],
    );
}

// ---- explanations ----

#[test]
fn every_registered_scheme_has_a_sentence() {
    for s in [
        "Basic",
        "Bearer",
        "Concealed",
        "Digest",
        "DPoP",
        "GNAP",
        "HOBA",
        "Mutual",
        "Negotiate",
        "OAuth",
        "PrivateToken",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "vapid",
        "ntlm",
        "Kerberos",
        "AWS4-HMAC-SHA256",
        "Token",
        "ApiKey",
        "UMA",
        "MutualTLS",
        "Mutual-TLS",
        "Newauth",
    ] {
        let text = scheme_summary(s).unwrap_or_else(|| panic!("no summary for {s}"));
        assert!(text.ends_with('.'), "{s}: {text}");
    }
    assert_eq!(scheme_summary("Frobnicate"), None);
}

#[test]
fn bearer_errors_are_explained() {
    for (error, phrase) in [
        ("invalid_request", "malformed"),
        ("invalid_token", "expired, was revoked"),
        ("insufficient_scope", "more permissions"),
        (
            "insufficient_user_authentication",
            "stronger or more recent sign-in",
        ),
        ("invalid_dpop_proof", "proof of key possession"),
        ("use_dpop_nonce", "fresh nonce"),
        ("made_up", "not a standard code"),
    ] {
        let p = parse(&[format!(
            r#"Bearer error="{error}", error_description="d", scope="read write", acr_values="urn:mfa", max_age=60, error_uri="https://e.example/x", resource_metadata="https://r.example/.well-known/oauth-protected-resource""#
        )]);
        assert!(p.valid, "{p:?}");
        let lines = explain(&p, false);
        let all = lines.join("\n");
        for want in [
            phrase,
            "\"d\"",
            "read write",
            "urn:mfa",
            "60 seconds",
            "https://e.example/x",
            "oauth-protected-resource",
        ] {
            assert!(all.contains(want), "{error}: lacks {want}:\n{all}");
        }
    }
}

#[test]
fn proxy_challenges_are_labelled_as_proxy() {
    let lines = explain(&parse(&["Negotiate, NTLM"]), true);
    assert!(
        lines[0].contains("A proxy between you and the site"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("CONNECT")), "{lines:?}");
}

#[test]
fn serialization_matches_the_contract() {
    let p = parse(&[r#"Negotiate a==, Basic realm="x\"y""#]);
    let json = serde_json::to_value(&p).expect("serialize");
    assert_eq!(
        json,
        serde_json::json!({
            "valid": true,
            "challenges": [
                {"scheme": "Negotiate", "token68": "a==", "params": []},
                {"scheme": "Basic", "token68": null, "params": [{"name": "realm", "value": "x\"y"}]}
            ],
            "problems": []
        })
    );
}

// ---- properties ----

mod props {
    use super::super::*;
    use proptest::prelude::*;

    const RESERVED: &[&str] = &["basic", "digest", "bearer", "dpop"];

    fn scheme() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,10}".prop_filter("scheme rules", |s| {
            !RESERVED.contains(&s.to_ascii_lowercase().as_str())
        })
    }

    fn value() -> impl Strategy<Value = (String, bool)> {
        prop_oneof![
            "[A-Za-z0-9!#$%&*+.^_`|~-][A-Za-z0-9!#$%&'*+.^_`|~-]{0,10}".prop_map(|v| (v, false)),
            "[ -~\t\u{80}-\u{bf}]{0,20}".prop_map(|v| (v, true)),
        ]
    }

    fn challenge() -> impl Strategy<Value = (Challenge, Vec<bool>)> {
        let params = proptest::collection::vec(("[a-z][a-z0-9_-]{0,8}", value()), 0..5);
        (
            scheme(),
            proptest::option::of("[A-Za-z0-9._~+/-]{1,20}={0,3}"),
            params,
        )
            .prop_map(|(scheme, t68, params)| {
                let mut seen = std::collections::HashSet::new();
                let params: Vec<(String, (String, bool))> = params
                    .into_iter()
                    .filter(|(n, _)| seen.insert(n.clone()))
                    .collect();
                let (token68, params) = match t68 {
                    Some(t) if params.is_empty() => (Some(t), Vec::new()),
                    _ => (None, params),
                };
                let quoted = params.iter().map(|(_, (_, q))| *q).collect();
                (
                    Challenge {
                        scheme,
                        token68,
                        params: params
                            .into_iter()
                            .map(|(name, (value, _))| Param { name, value })
                            .collect(),
                    },
                    quoted,
                )
            })
    }

    fn render(c: &Challenge, quoted: &[bool]) -> String {
        let mut s = c.scheme.clone();
        if let Some(t) = &c.token68 {
            s.push(' ');
            s.push_str(t);
        }
        for (i, (p, q)) in c.params.iter().zip(quoted).enumerate() {
            s.push_str(if i == 0 { " " } else { ", " });
            s.push_str(&p.name);
            s.push('=');
            if *q {
                s.push('"');
                for ch in p.value.chars() {
                    if ch == '"' || ch == '\\' {
                        s.push('\\');
                    }
                    s.push(ch);
                }
                s.push('"');
            } else {
                s.push_str(&p.value);
            }
        }
        s
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4)) {
            let p = parse(&lines);
            prop_assert_eq!(p.valid, p.problems.is_empty());
            let _ = explain(&p, true);
        }

        #[test]
        fn mutated_valid_headers_never_panic(
            base in proptest::sample::select(vec![
                r#"Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\"""#,
                r#"Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth", stale=true"#,
                r#"Bearer error="invalid_token", error_description="expired", DPoP algs="ES256""#,
                "Negotiate YIIabc==, NTLM",
            ]),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8),
        ) {
            let mut bytes = base.as_bytes().to_vec();
            for (pos, b, op) in edits {
                let at = if bytes.is_empty() { 0 } else { pos % (bytes.len() + 1) };
                match op {
                    0 => bytes.insert(at, b),
                    1 if at < bytes.len() => { bytes.remove(at); }
                    _ if at < bytes.len() => bytes[at] = b,
                    _ => bytes.push(b),
                }
            }
            let p = parse(&[&bytes]);
            prop_assert_eq!(p.valid, p.problems.is_empty());
            let _ = explain(&p, false);
        }

        #[test]
        fn valid_challenges_round_trip(list in proptest::collection::vec(challenge(), 1..5)) {
            let text: Vec<String> = list.iter().map(|(c, q)| render(c, q)).collect();
            let header = text.join(", ");
            // Quoted obs-text is written as ISO-8859-1 bytes, like a real server would.
            let bytes: Vec<u8> = header.chars().map(|c| c as u32 as u8).collect();
            let p = parse(&[&bytes]);
            let want: Vec<Challenge> = list.into_iter().map(|(c, _)| c).collect();
            prop_assert!(p.valid, "{header:?}: {:?}", p.problems);
            prop_assert_eq!(p.challenges, want);
        }
    }
}
