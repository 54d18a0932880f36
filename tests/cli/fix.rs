//! `fix401 fix`: consent handling, configuration, and the end-to-end repairs.

use crate::support::TestEnv;

#[test]
fn interactive_mode_without_a_terminal_refuses_clearly() {
    let env = TestEnv::new();
    env.cmd(["fix", "http://a.test:9/"])
        .stdin("y\n")
        .run()
        .code(2)
        .stderr_has("no terminal to ask on")
        .stderr_has("--yes");
}

#[test]
fn missing_url_without_configured_urls_is_bad_input() {
    TestEnv::new()
        .cmd(["fix", "--yes"])
        .run()
        .code(2)
        .stderr_has("give the address that fails");
}

#[test]
fn bad_config_file_is_rejected_with_its_line() {
    let env = TestEnv::new();
    env.write(
        ".config/fix401/config.toml",
        "urls = [\"http://a.test/\"]\ndisabled_actions = [\"reboot\"]\n",
    );
    env.cmd(["fix", "--yes", "http://a.test:9/"])
        .run()
        .code(2)
        .stderr_has("config.toml: line 2");
}

#[test]
fn bad_system_config_is_rejected_even_when_the_user_file_is_fine() {
    let env = TestEnv::new();
    env.write(
        ".config/fix401/config.toml",
        "urls = [\"http://a.test/\"]\n",
    );
    env.write_system("etc/fix401/config.toml", "[support]\nname = 1\n");
    env.cmd(["fix", "--yes"]).run().code(2).stderr_has("line 2");
}
