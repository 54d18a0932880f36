//! Global options and exit codes shared by every subcommand.

use crate::support::{Fix401, TestEnv};

#[test]
fn unknown_subcommand_is_a_usage_error() {
    Fix401::new(["frobnicate"]).run().code(2);
}

#[test]
fn unknown_os_is_bad_input_with_the_choices() {
    TestEnv::new()
        .cmd(["--os", "beos", "browsers"])
        .run()
        .code(2)
        .stderr_has("linux, macos, windows");
}

#[test]
fn missing_home_is_bad_input() {
    Fix401::new(["--home", "/nonexistent/fix401-home", "browsers"])
        .run()
        .code(2)
        .stderr_has("no such directory");
}

#[test]
fn help_lists_every_subcommand() {
    let out = Fix401::new(["--help"]).run().code(0);
    for sub in [
        "diagnose",
        "challenge",
        "flush-dns",
        "browsers",
        "clear",
        "undo",
        "fix",
    ] {
        assert!(
            out.stdout.contains(sub),
            "help lacks {sub}:\n{}",
            out.stdout
        );
    }
}
