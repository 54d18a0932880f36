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
/// entry of `problems`, each containing its phrase (in order), and the verdict.
#[track_caller]
fn check<L: AsRef<[u8]> + std::fmt::Debug>(
    lines: &[L],
    valid: bool,
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
    assert_eq!(
        parsed.valid, valid,
        "verdict of {lines:?}: {:#?}",
        parsed.problems
    );
    parsed
}

/// [`check`] for a field that matches the grammar (`valid`), with these problems.
#[track_caller]
fn valid<L: AsRef<[u8]> + std::fmt::Debug>(
    lines: &[L],
    challenges: &[Challenge],
    problems: &[&str],
) -> Parsed {
    check(lines, true, challenges, problems)
}

/// [`check`] for a field with a syntax error (not `valid`); `problems` says which.
#[track_caller]
fn invalid<L: AsRef<[u8]> + std::fmt::Debug>(
    lines: &[L],
    challenges: &[Challenge],
    problems: &[&str],
) -> Parsed {
    assert!(!problems.is_empty(), "an invalid field always says why");
    check(lines, false, challenges, problems)
}

// ---- §2 grammar basics ----

#[test]
fn rfc_9110_example_with_two_challenges_and_escapes() {
    valid(
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
    let p = valid(
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
    valid(
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
    // `#challenge` allows an empty list (valid); a 401/407 must carry one (a problem).
    for v in ["", "   ", ", ,,"] {
        valid(&[v], &[], &["holds no challenge"]);
    }
    let none: [&str; 0] = [];
    valid(&none, &[], &["holds no challenge"]);
    valid(&["", ","], &[], &["holds no challenge"]);
}

// ---- §2.1 several field lines ----

#[test]
fn several_lines_are_joined_in_order() {
    valid(
        &[r#"Basic realm="x""#, "Bearer", r#"DPoP algs="ES256""#],
        &[
            ch("Basic", None, &[("realm", "x")]),
            ch("Bearer", None, &[]),
            ch("DPoP", None, &[("algs", "ES256")]),
        ],
        &["challenge 2 (Bearer) has no parameter"],
    );
}

#[test]
fn a_line_starting_with_a_parameter_continues_the_last_challenge_and_is_flagged() {
    valid(
        &[r#"Digest realm="x""#, r#"nonce="n""#],
        &[ch("Digest", None, &[("realm", "x"), ("nonce", "n")])],
        &["line 2 does not start with an authentication scheme"],
    );
}

#[test]
fn a_scheme_alone_on_a_line_before_its_parameters_is_a_comma_after_the_scheme() {
    invalid(
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
    valid(
        &[r#"Basic realm="a"#, r#"b""#],
        &[ch("Basic", None, &[("realm", "a, b")])],
        &["line 1 ends inside a quoted string"],
    );
}

// ---- §2.2 field hygiene ----

#[test]
fn cr_lf_nul_are_reported_and_read_as_spaces() {
    invalid(
        &["Basic\r\n realm=\"x\""],
        &[ch("Basic", None, &[("realm", "x")])],
        &["2 CR, LF or NUL bytes (first at byte 5)"],
    );
    invalid(
        &["Basic realm=\"a\0b\""],
        &[ch("Basic", None, &[("realm", "a b")])],
        &["1 CR, LF or NUL"],
    );
}

#[test]
fn surrounding_whitespace_is_not_part_of_the_value() {
    valid(
        &["\t  Basic realm=\"x\"  \t"],
        &[ch("Basic", None, &[("realm", "x")])],
        &[],
    );
}

#[test]
fn control_characters_in_quoted_strings_are_reported() {
    invalid(
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
fn a_megabyte_of_any_repeated_trap_parses_in_linear_time() {
    // Each of these once made a step scan to the end of the field per element.
    for unit in [
        "a ".to_string(),
        "Negotiate abc ".to_string(),
        "x=\u{201C}, ".to_string(),
        "x=\u{201C}y ".to_string(),
        "x='y ".to_string(),
        "A".repeat(4096) + " abc, p=1, ",
        "Newauth a=b, ".to_string(),
        "\"".to_string(),
        ",".to_string(),
    ] {
        let line: String = unit.chars().cycle().take(1 << 20).collect();
        let started = std::time::Instant::now();
        let p = parse(&[&line]);
        // A hang guard, not a benchmark: linear work is milliseconds, quadratic is hours.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{unit:?} took {:?}",
            started.elapsed()
        );
        assert!(p.challenges.len() <= parser::MAX_CHALLENGES);
    }
}

#[test]
fn limits_on_what_is_kept_never_change_the_verdict() {
    let many = vec!["Newauth"; 100].join(", ");
    assert!(parse(&[&many]).valid);
    // A syntax error beyond the kept challenges and parameters still counts.
    let p = parse(&[format!("{many}, Newauth a=b c=d")]);
    assert!(!p.valid);
    assert!(
        p.problems
            .iter()
            .any(|s| s.contains("separated from the one before it by a space"))
    );
    let params: Vec<String> = (0..100).map(|i| format!("p{i}=v")).collect();
    let p = parse(&[format!("Newauth {}, q=\"open", params.join(", "))]);
    assert!(!p.valid);
    assert!(p.problems.iter().any(|s| s.contains("never closed")));
    let p = parse(&[format!("Newauth {}", params.join(", "))]);
    assert!(p.valid, "{:?}", p.problems);
    // A value longer than what is kept is still valid.
    let p = parse(&[format!("Basic realm=\"{}\"", "r".repeat(100_000))]);
    assert!(p.valid, "{:?}", p.problems);
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
    invalid(
        &[r#"Basic, realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &[
            "comma directly follows the scheme Basic, which makes it a complete challenge without parameters, so the parameter realm at byte 7",
        ],
    );
}

#[test]
fn whitespace_then_comma_after_the_scheme_is_legal() {
    valid(
        &[r#"Basic , realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &[],
    );
}

#[test]
fn a_scheme_then_comma_then_a_scheme_is_two_challenges() {
    valid(
        &[r#"Newauth,Basic realm="x""#],
        &[
            ch("Newauth", None, &[]),
            ch("Basic", None, &[("realm", "x")]),
        ],
        &[],
    );
}

#[test]
fn a_tab_is_not_the_space_after_a_scheme() {
    // `1*SP`: a tab may not stand between a scheme and its token68 or first parameter …
    invalid(
        &["Basic\trealm=\"x\""],
        &[ch("Basic", None, &[("realm", "x")])],
        &["a tab separates the scheme Basic from what follows it at byte 5"],
    );
    invalid(
        &["Negotiate \tabc=="],
        &[ch("Negotiate", Some("abc=="), &[])],
        &["a tab separates the scheme Negotiate"],
    );
    // … and without a space a tab then a comma ends the challenge.
    invalid(
        &["Basic\t, realm=\"x\""],
        &[ch("Basic", None, &[("realm", "x")])],
        &["only a tab separates the scheme Basic from the comma after it"],
    );
    // A space first makes the rest OWS around an empty list element.
    valid(
        &["Basic \t, realm=\"x\""],
        &[ch("Basic", None, &[("realm", "x")])],
        &[],
    );
    valid(
        &["Basic\t, Newauth"],
        &[ch("Basic", None, &[]), ch("Newauth", None, &[])],
        &["challenge 1 (Basic) has no realm"],
    );
}

// ---- §4 token68 versus auth-param ----

#[test]
fn token68_with_padding_plus_and_slash() {
    valid(
        &["Negotiate YII+/a.b_c~d-e===="],
        &[ch("Negotiate", Some("YII+/a.b_c~d-e===="), &[])],
        &[],
    );
}

#[test]
fn a_name_with_equals_and_nothing_else_is_a_token68() {
    valid(
        &["Newauth realm="],
        &[ch("Newauth", Some("realm="), &[])],
        &[],
    );
    valid(
        &["Newauth realm=="],
        &[ch("Newauth", Some("realm=="), &[])],
        &[],
    );
}

#[test]
fn a_name_with_a_value_is_a_parameter() {
    valid(
        &["Newauth realm=x"],
        &[ch("Newauth", None, &[("realm", "x")])],
        &[],
    );
    invalid(
        &["Newauth a=b=="],
        &[ch("Newauth", None, &[("a", "b==")])],
        &["unquoted value of a contains '='"],
    );
}

#[test]
fn a_single_equals_sign_with_whitespace_is_a_parameter_with_bws() {
    valid(
        &["Newauth a= b, c =d"],
        &[ch("Newauth", None, &[("a", "b"), ("c", "d")])],
        &[],
    );
    // Two `=` cannot start a value: token68 then a scheme without a comma.
    invalid(
        &["Newauth a== b"],
        &[ch("Newauth", Some("a=="), &[]), ch("b", None, &[])],
        &["the challenge b at byte 12 follows the previous challenge without a comma"],
    );
}

#[test]
fn token68_then_a_new_challenge() {
    valid(
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
    invalid(
        &[r#"Negotiate abc==, realm="x""#],
        &[ch("Negotiate", Some("abc=="), &[])],
        &["the parameter realm at byte 17 follows the token68 of the Negotiate challenge"],
    );
}

// ---- §4 escapes ----

#[test]
fn escapes_are_removed_including_escaped_letters() {
    valid(
        &[r#"Newauth realm="a\"b\\c\d""#],
        &[ch("Newauth", None, &[("realm", r#"a"b\cd"#)])],
        &[],
    );
}

#[test]
fn backslash_parity_decides_where_the_string_ends() {
    // Even: the quote closes the string.
    valid(
        &[r#"Newauth realm="a\\", x=y"#],
        &[ch("Newauth", None, &[("realm", r"a\"), ("x", "y")])],
        &[],
    );
    // Odd: the quote is data and the string goes on.
    valid(
        &[r#"Newauth realm="a\\\", x=y""#],
        &[ch("Newauth", None, &[("realm", r#"a\", x=y"#)])],
        &[],
    );
}

#[test]
fn a_backslash_in_an_unquoted_value_is_invalid() {
    invalid(
        &[r"Newauth realm=a\b"],
        &[ch("Newauth", None, &[("realm", r"a\b")])],
        &[r"contains '\' at byte 15"],
    );
}

// ---- §4 unterminated quoted strings ----

#[test]
fn an_unterminated_quoted_string_takes_the_rest_of_the_field() {
    invalid(
        &[r#"Basic realm="abc, charset=UTF-8"#],
        &[ch("Basic", None, &[("realm", "abc, charset=UTF-8")])],
        &["the quoted value of realm that opens at byte 12 is never closed"],
    );
}

#[test]
fn a_value_ending_inside_a_quoted_pair_is_invalid() {
    invalid(
        &[r#"Basic realm="abc\"#],
        &[ch("Basic", None, &[("realm", "abc")])],
        &["ends inside an escape"],
    );
}

// ---- §4 duplicate parameters ----

#[test]
fn duplicate_parameters_are_reported_with_every_value() {
    valid(
        &[r#"Newauth realm="a", REALM="b""#],
        &[ch("Newauth", None, &[("realm", "a"), ("REALM", "b")])],
        &[r#"challenge 1 (Newauth) repeats the parameter realm 2 times ("a", "b")"#],
    );
}

#[test]
fn the_same_name_in_different_challenges_is_normal() {
    valid(
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
    valid(
        &[r#"Bearer scope="a", scope="b""#],
        &[ch("Bearer", None, &[("scope", "a"), ("scope", "b")])],
        &["repeats the parameter scope 2 times"],
    );
}

// ---- §4 missing separators sent by real servers ----

#[test]
fn parameters_separated_by_a_space() {
    invalid(
        &[r#"Basic realm="x" charset="UTF-8""#],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &["the parameter charset at byte 16 is separated from the one before it by a space"],
    );
}

#[test]
fn challenges_separated_by_a_space() {
    invalid(
        &[r#"Basic realm="x" Digest realm="y", nonce="n""#],
        &[
            ch("Basic", None, &[("realm", "x")]),
            ch("Digest", None, &[("realm", "y"), ("nonce", "n")]),
        ],
        &["the challenge Digest at byte 16 follows the previous challenge without a comma"],
    );
    invalid(
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
    invalid(
        &[r#"Basic; realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &["';' right after the scheme Basic at byte 5"],
    );
    invalid(
        &[r#"Bearer: realm="x""#],
        &[ch("Bearer", None, &[("realm", "x")])],
        &["':' right after the scheme Bearer at byte 6"],
    );
}

#[test]
fn semicolons_between_parameters() {
    invalid(
        &[r#"Basic realm="x"; charset=UTF-8"#],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &["a semicolon at byte 15 separates list elements"],
    );
}

#[test]
fn smart_quotes() {
    invalid(
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
    valid(
        &["Basic realm='x'"],
        &[ch("Basic", None, &[("realm", "'x'")])],
        &["uses single quotes"],
    );
    invalid(
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
    invalid(
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
    invalid(
        &[r#""quoted, still", Basic realm="x""#],
        &[ch("Basic", None, &[("realm", "x")])],
        &["unexpected '\"' at byte 0"],
    );
}

// ---- §4 missing scheme ----

#[test]
fn missing_scheme_with_oauth_parameters_is_guessed_as_bearer() {
    invalid(
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
    invalid(
        &[r#"realm="x""#],
        &[ch("", None, &[("realm", "x")])],
        &[
            "starts with the parameter realm at byte 0 instead of an authentication scheme; the scheme is unknown",
        ],
    );
}

// ---- §4 bare Bearer ----

#[test]
fn bare_bearer_is_valid_with_a_problem() {
    valid(
        &["Bearer"],
        &[ch("Bearer", None, &[])],
        &["challenge 1 (Bearer) has no parameter; RFC 6750 §3 asks for at least one auth-param"],
    );
    valid(
        &[r#"Bearer, DPoP algs="ES256 PS256""#],
        &[
            ch("Bearer", None, &[]),
            ch("DPoP", None, &[("algs", "ES256 PS256")]),
        ],
        &["challenge 1 (Bearer) has no parameter"],
    );
    // One parameter is enough; a bare DPoP is not Bearer's rule.
    valid(
        &[r#"Bearer realm="api""#],
        &[ch("Bearer", None, &[("realm", "api")])],
        &[],
    );
    valid(&["DPoP"], &[ch("DPoP", None, &[])], &[]);
    let lines = explain(&parse(&["Bearer"]), false);
    assert!(
        lines.iter().any(|l| l.contains("minor deviation")),
        "{lines:?}"
    );
}

// ---- §4 other traps ----

#[test]
fn unknown_scheme_first_is_valid() {
    valid(
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
    valid(
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
    valid(
        &["Basic   realm \t=\t \"x\",charset=UTF-8"],
        &[ch("Basic", None, &[("realm", "x"), ("charset", "UTF-8")])],
        &[],
    );
}

#[test]
fn non_ascii_realm_bytes_utf8_and_latin1() {
    valid(
        &["Basic realm=\"Zürich\"".as_bytes()],
        &[ch("Basic", None, &[("realm", "Zürich")])],
        &[],
    );
    let latin1: &[u8] = b"Basic realm=\"Z\xfcrich\"";
    let p = valid(&[latin1], &[ch("Basic", None, &[("realm", "Zürich")])], &[]);
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
    valid(
        &[r#"Basic realm="""#],
        &[ch("Basic", None, &[("realm", "")])],
        &[],
    );
    invalid(
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
    valid(
        &["Basic"],
        &[ch("Basic", None, &[])],
        &["challenge 1 (Basic) has no realm"],
    );
    valid(
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
    valid(
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
    valid(
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
    valid(
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

#[test]
fn valid_means_grammar_and_every_broken_rule_is_only_a_problem() {
    // Issue 13, point 1: each of these matches `#challenge`, so `valid` stays true, and
    // the rule it breaks is a problem.
    for (lines, problem) in [
        (vec!["Basic"], "has no realm, which RFC 7617 requires"),
        (
            vec![r#"Digest nonce="n""#],
            "has no realm, which RFC 7616 requires",
        ),
        (
            vec![r#"Digest realm="r""#],
            "has no nonce, which RFC 7616 requires",
        ),
        (
            vec![r#"Digest realm="r", nonce="n", algorithm=SHA-1"#],
            "uses the unknown algorithm \"SHA-1\"",
        ),
        (
            vec![r#"Newauth a=1, A="2""#],
            "repeats the parameter a 2 times",
        ),
        (
            vec![r#"Basic realm="r", charset=latin1"#],
            "has charset \"latin1\"; the only allowed value is UTF-8 (RFC 7617)",
        ),
        (
            vec![r#"Digest realm="r", nonce="n", charset="ISO-8859-1""#],
            "the only allowed value is UTF-8 (RFC 7616)",
        ),
        (vec!["Basic realm='r'"], "uses single quotes"),
        (
            vec![r#"Bearer error="invalid_token", error_description="caf\é""#],
            "the error_description value contains byte 0xC3",
        ),
        (vec![""], "holds no challenge"),
        (vec![", ,"], "holds no challenge"),
        (
            vec![r#"Basic realm="r""#, "charset=UTF-8"],
            "line 2 does not start with an authentication scheme",
        ),
        (
            vec![r#"Basic realm="a"#, r#"b""#],
            "line 1 ends inside a quoted string",
        ),
        (
            vec!["Bearer"],
            "RFC 6750 §3 asks for at least one auth-param",
        ),
    ] {
        let p = parse(&lines);
        assert!(p.valid, "{lines:?}: {:?}", p.problems);
        assert!(
            p.problems.iter().any(|s| s.contains(problem)),
            "{lines:?} lacks {problem:?}: {:?}",
            p.problems
        );
    }
    // Real syntax errors keep their recovery and make the field invalid.
    for (line, problem) in [
        (
            "Basic realm=\u{201C}r\u{201D}",
            "typographic (smart) quotes",
        ),
        (r#"Basic; realm="r""#, "';' right after the scheme Basic"),
        (r#"Basic realm="r"#, "is never closed"),
    ] {
        let p = parse(&[line]);
        assert!(!p.valid, "{line}");
        assert_eq!(p.challenges[0].param("realm"), Some("r"));
        assert!(
            p.problems.iter().any(|s| s.contains(problem)),
            "{:?}",
            p.problems
        );
    }
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
fn the_explanation_tells_well_formed_from_malformed() {
    let lines = explain(&parse(&["Basic"]), false);
    assert!(
        lines.iter().any(|l| l
            .contains("1 mistake; it is well-formed, so browsers and apps read it the same way")),
        "{lines:?}"
    );
    let lines = explain(&parse(&["Basic; realm=x"]), false);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("1 mistake, so some browsers or apps may handle it differently")),
        "{lines:?}"
    );
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

    // ---- an independent recogniser: the ABNF as one regular expression ----
    //
    // The parser is a hand-written scanner with lookahead and recoveries; this is a finite
    // automaton compiled by the `regex` crate from the grammar as written, so the two share
    // no code and no strategy. The grammar is regular (no recursion), so a regex is exact.

    /// `#challenge` of RFC 9110 §11.6.1 with §5.6.1 list rules, over bytes.
    fn grammar() -> &'static regex::bytes::Regex {
        static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
        RE.get_or_init(|| {
            let tchar = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]";
            let token = format!("{tchar}+");
            let token68 = r"[A-Za-z0-9\-._~+/]+=*";
            let ows = r"[ \t]*";
            let qdtext = r"[\t \x21\x23-\x5B\x5D-\x7E\x80-\xFF]";
            let quoted_pair = r"\\[\t \x21-\x7E\x80-\xFF]";
            let quoted = format!(r#""(?:{qdtext}|{quoted_pair})*""#);
            let param = format!("{token}{ows}={ows}(?:{token}|{quoted})");
            let list = |e: &str| format!("(?:{e})?(?:{ows},{ows}(?:{e})?)*");
            let challenge = format!("{token}(?: +(?:{token68}|{}))?", list(&param));
            regex::bytes::Regex::new(&format!("(?-u)^{}$", list(&challenge)))
                .expect("grammar regex")
        })
    }

    /// Whether the field lines, each without its surrounding whitespace (not part of a
    /// field value, RFC 9110 §5.5) and joined with ", " (§5.3), match the grammar.
    fn recognise<L: AsRef<[u8]>>(lines: &[L]) -> bool {
        let trim = |l: &[u8]| -> Vec<u8> {
            let start = l
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(l.len());
            let end = l
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
                .map_or(start, |e| e + 1);
            l[start..end.max(start)].to_vec()
        };
        let joined: Vec<Vec<u8>> = lines.iter().map(|l| trim(l.as_ref())).collect();
        grammar().is_match(&joined.join(&b", "[..]))
    }

    #[test]
    fn the_recogniser_agrees_with_the_rfc_examples() {
        for ok in [
            r#"Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\"""#,
            "Negotiate YII+/a==, NTLM",
            "",
            ", ,",
            "Basic , realm=x",
            "Basic realm='x'",
            "Newauth realm=",
        ] {
            assert!(recognise(&[ok]), "{ok}");
        }
        for bad in [
            "Basic, realm=x",
            "Basic\trealm=x",
            "Basic\t, realm=x",
            "Basic realm='my site'",
            r#"Basic realm="x" charset=y"#,
            "Negotiate abc, realm=x",
            r#"Basic realm="x"#,
            "realm=x",
            "Basic; realm=x",
        ] {
            assert!(!recognise(&[bad]), "{bad}");
        }
        assert!(recognise(&[r#"Digest realm="a"#, r#"b", nonce=n"#]));
        assert!(!recognise(&["Basic", "realm=x"]));
    }

    // ---- fields generated from the ABNF ----

    /// A piece of a generated field.
    #[derive(Debug, Clone)]
    enum Frag {
        Text(Vec<u8>),
        /// `OWS "," OWS` between list elements; a line may end here when `cut` is set.
        Sep(Vec<u8>, bool),
        /// A point inside a quoted string where a line may end.
        InQuotes,
    }

    fn bytes_of(s: String) -> Vec<u8> {
        s.into_bytes()
    }

    fn token() -> impl Strategy<Value = Vec<u8>> {
        "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}".prop_map(bytes_of)
    }

    fn ows() -> impl Strategy<Value = Vec<u8>> {
        "[ \t]{0,2}".prop_map(bytes_of)
    }

    fn sep() -> impl Strategy<Value = Vec<u8>> {
        (ows(), ows()).prop_map(|(a, b)| [a, b",".to_vec(), b].concat())
    }

    /// One qdtext byte or one quoted-pair (RFC 9110 §5.6.4), obs-text included.
    fn quoted_unit() -> impl Strategy<Value = Vec<u8>> {
        let qdtext = prop_oneof![
            Just(b'\t'),
            0x20u8..=0x21,
            0x23u8..=0x5B,
            0x5Du8..=0x7E,
            0x80u8..=0xFF
        ];
        let escaped = prop_oneof![Just(b'\t'), 0x20u8..=0x7E, 0x80u8..=0xFF];
        prop_oneof![
            3 => qdtext.prop_map(|b| vec![b]),
            1 => escaped.prop_map(|b| vec![b'\\', b]),
        ]
    }

    fn quoted() -> impl Strategy<Value = Vec<Frag>> {
        proptest::collection::vec(quoted_unit(), 0..8).prop_map(|units| {
            let mut out = vec![Frag::Text(b"\"".to_vec())];
            for u in units {
                out.push(Frag::InQuotes);
                out.push(Frag::Text(u));
            }
            out.push(Frag::Text(b"\"".to_vec()));
            out
        })
    }

    fn auth_param() -> impl Strategy<Value = Vec<Frag>> {
        let value = prop_oneof![token().prop_map(|t| vec![Frag::Text(t)]), quoted()];
        (token(), ows(), ows(), value).prop_map(|(name, a, b, value)| {
            let mut out = vec![Frag::Text([name, a, b"=".to_vec(), b].concat())];
            out.extend(value);
            out
        })
    }

    /// `[ e ] *( OWS "," OWS [ e ] )`; a separator may end a line only after the first
    /// element that is not empty when `cut_after_first` (inside a challenge, cutting before
    /// any parameter would leave the scheme followed by a comma).
    fn list(
        element: impl Strategy<Value = Vec<Frag>>,
        cut_anywhere: bool,
    ) -> impl Strategy<Value = Vec<Frag>> {
        proptest::collection::vec((proptest::option::weighted(0.8, element), sep()), 1..4).prop_map(
            move |items| {
                let mut out = Vec::new();
                let mut seen = cut_anywhere;
                let n = items.len();
                for (k, (e, s)) in items.into_iter().enumerate() {
                    if let Some(e) = e {
                        seen = true;
                        out.extend(e);
                    }
                    if k + 1 < n {
                        out.push(Frag::Sep(s, seen));
                    }
                }
                out
            },
        )
    }

    fn challenge_frags() -> impl Strategy<Value = Vec<Frag>> {
        let token68 =
            "[A-Za-z0-9._~+/-]{1,12}={0,3}".prop_map(|t| vec![Frag::Text(t.into_bytes())]);
        let rest = prop_oneof![1 => token68, 3 => list(auth_param(), false)];
        (token(), proptest::option::weighted(0.8, (1usize..3, rest))).prop_map(|(scheme, rest)| {
            let mut out = vec![Frag::Text(scheme)];
            if let Some((spaces, rest)) = rest {
                out.push(Frag::Text(vec![b' '; spaces]));
                out.extend(rest);
            }
            out
        })
    }

    /// A field generated from the grammar, and where a line may end: `(end, next start)`.
    fn field() -> impl Strategy<Value = (Vec<u8>, Vec<(usize, usize)>)> {
        list(challenge_frags(), true).prop_map(|frags| {
            let mut bytes = Vec::new();
            let mut cuts = Vec::new();
            for f in frags {
                match f {
                    Frag::Text(t) => bytes.extend(t),
                    Frag::Sep(s, cut) => {
                        let at = bytes.len();
                        bytes.extend(s);
                        if cut {
                            cuts.push((at, bytes.len()));
                        }
                    }
                    Frag::InQuotes => cuts.push((bytes.len(), bytes.len())),
                }
            }
            (bytes, cuts)
        })
    }

    /// A generated field split into field lines at some of its cut points, each line with
    /// some surrounding whitespace (which is not part of a field value).
    fn field_lines() -> impl Strategy<Value = Vec<Vec<u8>>> {
        field().prop_flat_map(|(bytes, cuts)| {
            let n = cuts.len();
            (
                Just(bytes),
                proptest::sample::subsequence(cuts, 0..=n.min(3)),
                ows(),
                ows(),
            )
                .prop_map(|(bytes, cuts, lead, trail)| {
                    let mut lines = Vec::new();
                    let mut from = 0;
                    for (end, next) in cuts {
                        lines.push([&lead[..], &bytes[from..end], &trail[..]].concat());
                        from = next;
                    }
                    lines.push([&lead[..], &bytes[from..], &trail[..]].concat());
                    lines
                })
        })
    }

    /// Bytes that matter to the grammar, and whole words, for hostile inputs.
    fn hostile_piece() -> impl Strategy<Value = Vec<u8>> {
        proptest::sample::select(vec![
            &b" "[..],
            b"\t",
            b",",
            b"=",
            b"\"",
            b"\\",
            b"'",
            b";",
            b":",
            b"@",
            b"/",
            b"+",
            b"a",
            b"Z",
            b"0",
            b"!",
            b"\x7f",
            b"\x01",
            b"\r",
            b"\n",
            b"\0",
            b"\x80",
            b"\xff",
            "\u{201C}".as_bytes(),
            "\u{201D}".as_bytes(),
            "é".as_bytes(),
            b"Basic",
            b"Bearer",
            b"Digest",
            b"realm",
            b"a=b",
        ])
        .prop_map(<[u8]>::to_vec)
    }

    fn hostile_line() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(hostile_piece(), 0..24).prop_map(|p| p.concat())
    }

    /// A generated field with a few bytes inserted, removed or replaced.
    fn mutated_lines() -> impl Strategy<Value = Vec<Vec<u8>>> {
        (
            field_lines(),
            proptest::collection::vec(
                (any::<usize>(), any::<usize>(), hostile_piece(), 0u8..3),
                1..4,
            ),
        )
            .prop_map(|(mut lines, edits)| {
                for (line, pos, piece, op) in edits {
                    let n = lines.len();
                    let l = &mut lines[line % n];
                    let at = pos % (l.len() + 1);
                    match op {
                        0 => {
                            l.splice(at..at, piece);
                        }
                        1 if at < l.len() => {
                            l.remove(at);
                        }
                        _ => {
                            let end = (at + 1).min(l.len());
                            l.splice(at..end, piece);
                        }
                    }
                }
                lines
            })
    }

    /// What holds for every parse: an invalid verdict gives a reason, the kept lists are
    /// bounded, and the explanation is produced.
    fn sane(p: &Parsed) -> Result<(), TestCaseError> {
        prop_assert!(
            p.valid || !p.problems.is_empty(),
            "invalid without a reason"
        );
        prop_assert!(p.challenges.len() <= parser::MAX_CHALLENGES);
        prop_assert!(
            p.challenges
                .iter()
                .all(|c| c.params.len() <= parser::MAX_PARAMS)
        );
        prop_assert!(!explain(p, false).is_empty());
        Ok(())
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4)) {
            let p = parse(&lines);
            sane(&p)?;
            prop_assert_eq!(p.valid, recognise(&lines), "{:?}: {:?}", lines, p.problems);
            let _ = explain(&p, true);
        }

        #[test]
        fn any_string_never_panics(lines in proptest::collection::vec(any::<String>(), 0..4)) {
            let p = parse(&lines);
            sane(&p)?;
            prop_assert_eq!(p.valid, recognise(&lines), "{:?}: {:?}", lines, p.problems);
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
            sane(&p)?;
            prop_assert_eq!(p.valid, recognise(&[&bytes]), "{:?}: {:?}", String::from_utf8_lossy(&bytes), p.problems);
            let _ = explain(&p, false);
        }

        #[test]
        fn fields_generated_from_the_grammar_are_valid(lines in field_lines()) {
            let p = parse(&lines);
            sane(&p)?;
            let shown: Vec<_> = lines.iter().map(|l| String::from_utf8_lossy(l)).collect();
            prop_assert!(recognise(&lines), "recogniser rejects {:?}", shown);
            prop_assert!(p.valid, "{:?}: {:?}", shown, p.problems);
        }

        #[test]
        fn valid_matches_the_recogniser_on_mutated_fields(lines in mutated_lines()) {
            let p = parse(&lines);
            sane(&p)?;
            let shown: Vec<_> = lines.iter().map(|l| String::from_utf8_lossy(l)).collect();
            prop_assert_eq!(p.valid, recognise(&lines), "{:?}: {:?}", shown, p.problems);
        }

        #[test]
        fn valid_matches_the_recogniser_on_hostile_lines(lines in proptest::collection::vec(hostile_line(), 0..4)) {
            let p = parse(&lines);
            sane(&p)?;
            let shown: Vec<_> = lines.iter().map(|l| String::from_utf8_lossy(l)).collect();
            prop_assert_eq!(p.valid, recognise(&lines), "{:?}: {:?}", shown, p.problems);
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Up to 1.5 MiB of one hostile pattern repeated (commas, quotes, smart quotes,
        /// parameters, schemes): never a panic, and fast enough to finish at all (a
        /// quadratic step would not).
        #[test]
        fn huge_hostile_inputs_never_panic(
            pattern in proptest::collection::vec(hostile_piece(), 1..6),
            size in (1usize << 18)..(3usize << 19),
        ) {
            let unit = pattern.concat();
            let line: Vec<u8> = unit.iter().copied().cycle().take(size).collect();
            let p = parse(&[&line]);
            sane(&p)?;
            prop_assert!(p.problems.len() <= 41);
        }
    }
}
