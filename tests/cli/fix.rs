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

mod fixtures {
    //! The fixtures themselves: real browsers store the stale cookie where fix401 reads it.
    use crate::support::TestEnv;
    use crate::support::fixsite::*;

    #[test]
    fn chromium_stores_the_stale_cookie_and_the_site_rejects_it() {
        let env = TestEnv::new();
        let site = StaleCookieSite::start();
        chromium_visit(&env.home(), &site.url("a.test", "/login"));
        chromium_visit(&env.home(), &site.url("a.test", "/"));
        assert!(site.saw_stale_cookie());
        assert!(env.path(".config/chromium/Default/Cookies").exists());
    }

    #[test]
    fn firefox_stores_the_stale_cookie_and_the_site_rejects_it() {
        let env = TestEnv::new();
        let site = StaleCookieSite::start();
        let profile = firefox_profile(&env.home(), site.port);
        firefox_visit(&env.home(), &profile, &site.url("a.test", "/login"));
        firefox_visit(&env.home(), &profile, &site.url("a.test", "/"));
        assert!(site.saw_stale_cookie(), "{:?}", site.seen.lock().unwrap());
        assert!(profile.join("cookies.sqlite").exists());
    }
}
