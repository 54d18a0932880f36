//! Pipeline logic against a scripted backend: order, consent, configuration, verdicts.

use std::sync::Mutex;

use super::*;
use crate::browsers::{Family, Profile, Store, StoreKind};
use crate::config::SupportContact;
use crate::cookie_jar::{HeldCookie, JarRead};
use crate::model::{Cause, Confidence, Finding};
use crate::system::Os;

/// A site that answers 401 to a stale `sid` cookie and `ok_plain` without cookies.
struct Scripted {
    ok_plain: Mutex<bool>,
    plain_findings: Vec<Finding>,
    /// The check's own "works from here" note on the plain probe.
    plain_works_from_here: Option<crate::diagnosis::WorksFromHere>,
    cookie: Mutex<Option<&'static str>>,
    unreadable: bool,
    running: Vec<u32>,
    calls: Mutex<Vec<String>>,
}

impl Scripted {
    fn stale_cookie() -> Scripted {
        Scripted {
            ok_plain: Mutex::new(true),
            plain_findings: Vec::new(),
            plain_works_from_here: None,
            cookie: Mutex::new(Some("v4lu3-0ld")),
            unreadable: false,
            running: Vec::new(),
            calls: Mutex::new(Vec::new()),
        }
    }
    fn log(&self, s: impl Into<String>) {
        self.calls.lock().unwrap().push(s.into());
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

fn summary(url: &str, status: u16, ok: bool, findings: Vec<Finding>) -> ProbeSummary {
    ProbeSummary {
        url: url.into(),
        final_url: None,
        status: Some(status),
        ok,
        verdict: if ok { "ok" } else { "failing" }.into(),
        headline: format!("answered {status}"),
        findings,
        technical: Vec::new(),
        works_from_here: None,
    }
}

fn held(value: &str) -> HeldCookie {
    // SecretValue has no public constructor: build through the jar's own type.
    let json = value.to_string();
    HeldCookie {
        name: "sid".into(),
        value: crate::cookie_jar::SecretValue::for_tests(json),
        host: "a.test".into(),
        path: "/".into(),
    }
}

impl Backend for Scripted {
    fn diagnose(&self, url: &str, cookie_header: Option<&str>) -> Result<Probe> {
        self.log(format!(
            "diagnose {url} cookies={}",
            cookie_header.is_some()
        ));
        if url.starts_with("bad") {
            return Err(Error::BadInput("bad: not a URL".into()));
        }
        let s = match cookie_header {
            Some(h) if h.contains("sid=v4lu3-0ld") => summary(url, 401, false, Vec::new()),
            _ => {
                let ok = *self.ok_plain.lock().unwrap();
                ProbeSummary {
                    works_from_here: self.plain_works_from_here.clone(),
                    ..summary(
                        url,
                        if ok { 200 } else { 500 },
                        ok,
                        self.plain_findings.clone(),
                    )
                }
            }
        };
        Ok(Probe {
            url: url.into(),
            summary: s,
            corrected_url: None,
        })
    }
    fn browsers(&self) -> Result<Vec<BrowserInfo>> {
        Ok(vec![BrowserInfo {
            id: "chromium".into(),
            name: "Chromium".into(),
            version: Some("156".into()),
            profiles: vec![Profile {
                browser_id: "chromium".into(),
                browser_name: "Chromium".into(),
                family: Family::Chromium,
                name: "Default".into(),
                email: None,
                dir: "/nonexistent/Default".into(),
                stores: vec![Store {
                    kind: StoreKind::ChromiumCookies,
                    path: "/nonexistent/Default/Cookies".into(),
                }],
                is_default: true,
                roots: Vec::new(),
            }],
            running_pids: self.running.clone(),
        }])
    }
    fn cookies(&self, _profile: &Profile, _url: &url::Url) -> Result<JarRead> {
        if self.unreadable {
            return Ok(JarRead::Unreadable("keychain locked".into()));
        }
        Ok(JarRead::Cookies(
            self.cookie
                .lock()
                .unwrap()
                .iter()
                .map(|v| held(v))
                .collect(),
        ))
    }
    fn plan_flush_dns(&self, _host: &str) -> Result<Vec<String>> {
        Ok(vec!["resolvectl flush-caches".into()])
    }
    fn flush_dns(&self, host: &str) -> Result<ActionReport> {
        self.log(format!("flush {host}"));
        *self.ok_plain.lock().unwrap() = true;
        Ok(ActionReport {
            ok: true,
            summary: "flushed".into(),
            ..ActionReport::default()
        })
    }
    fn plan_clear(&self, host: &str, ids: &[String], _hsts: bool) -> Result<PlannedClear> {
        self.log(format!("plan_clear {host} {ids:?}"));
        let empty = self.cookie.lock().unwrap().is_none();
        Ok(PlannedClear {
            touches: vec!["Chromium (Default) Cookies: 1 row (sid)".into()],
            running: Vec::new(),
            empty,
            token: Box::new(host.to_string()),
        })
    }
    fn apply_clear(&self, plan: PlannedClear) -> Result<ActionReport> {
        let host = plan.token.downcast::<String>().unwrap();
        self.log(format!("apply_clear {host}"));
        *self.cookie.lock().unwrap() = None;
        Ok(ActionReport {
            ok: true,
            summary: "removed 1 cookie".into(),
            details: vec!["Cookies: 1 row".into()],
            undo_id: Some("20261126-1".into()),
        })
    }
    fn close_browser(&self, b: &BrowserInfo) -> Result<ActionReport> {
        self.log(format!("close {}", b.id));
        Ok(ActionReport {
            ok: true,
            summary: "closed".into(),
            ..ActionReport::default()
        })
    }
    fn open_url(&self, url: &str) -> Result<ActionReport> {
        self.log(format!("open {url}"));
        Ok(ActionReport {
            ok: true,
            summary: "opened".into(),
            ..ActionReport::default()
        })
    }
}

struct Answer(bool, bool, Mutex<u32>);
impl Consent for Answer {
    fn allow_cookie_test(&self, _h: &str, _p: &[String]) -> Result<bool> {
        *self.2.lock().unwrap() += 1;
        Ok(self.0)
    }
    fn allow_plan(&self, _p: &FixPlan) -> Result<bool> {
        *self.2.lock().unwrap() += 1;
        Ok(self.1)
    }
}

fn sys() -> System {
    System::simulated(Os::Linux, "/nonexistent-home")
}

fn opts(url: &str) -> FixOptions {
    FixOptions {
        url: url.into(),
        ..FixOptions::default()
    }
}

const URL: &str = "http://a.test:8080/";

/// Runs the pipeline on `b` with the default configuration, unattended.
fn run_default(b: &Scripted, o: &FixOptions) -> Result<FixReport> {
    run(&sys(), b, &Config::default(), o, &Unattended, &NullObserver)
}

/// A site that fails without cookies too and holds none: the check found `finding`.
fn failing_without_cookies(finding: Finding) -> Scripted {
    let mut b = Scripted::stale_cookie();
    *b.ok_plain.lock().unwrap() = false;
    *b.cookie.lock().unwrap() = None;
    b.plain_findings = vec![finding];
    b
}

/// The check's low-confidence stale-site-data finding on a page that works from here.
fn works_from_here(note: &str, actions: [Action; 2]) -> Finding {
    Finding::new(Cause::SiteDataStale, Confidence::Low, note, actions)
}

#[test]
fn stale_cookie_is_proven_cleared_and_fixed() {
    let b = Scripted::stale_cookie();
    let rec = Recorder::default();
    let report = run(
        &sys(),
        &b,
        &Config::default(),
        &opts(URL),
        &Unattended,
        &rec,
    )
    .unwrap();
    assert_eq!(report.verdict, Verdict::Fixed, "{report:#?}");
    assert_eq!(report.exit_code(), 0);
    assert!(report.found(Cause::SiteDataStale, Confidence::High));
    let proof = report.proof.as_ref().unwrap();
    assert_eq!(proof.outcome, ProofOutcome::StaleProven);
    assert_eq!(proof.profiles[0].status_with_cookies, Some(401));
    let clear = report
        .actions
        .iter()
        .find(|a| a.action == Action::ClearSiteData)
        .unwrap();
    assert_eq!(clear.status, ActionStatus::Done);
    assert_eq!(clear.undo_id.as_deref(), Some("20261126-1"));
    assert!(report.headline.starts_with("Fixed"));
    // Order: diagnose, proof, plan, apply, re-test.
    let calls = b.calls();
    let pos = |s: &str| calls.iter().position(|c| c.starts_with(s)).unwrap();
    assert!(pos("diagnose http://a.test:8080/ cookies=true") < pos("apply_clear"));
    assert!(pos("plan_clear") < pos("apply_clear"));
    assert!(calls.last().unwrap().starts_with("diagnose"));
    // Every started step ends in done or failed, and no event carries the cookie value.
    let events = rec.events();
    for e in &events {
        if let Event::Started { step, .. } = e {
            assert!(events.iter().any(
                |x| matches!(x, Event::Done{step: s, ..} | Event::Failed{step: s, ..} if s == step)
            ));
        }
        assert!(!serde_json::to_string(e).unwrap().contains("v4lu3-0ld"));
    }
    let json = render::json(&report).unwrap();
    assert!(!json.contains("sid=v4lu3-0ld"));
    let md = render::markdown(&report);
    assert!(md.contains("Copy for the help desk") && md.contains("20261126-1"));
}

#[test]
fn disabled_action_never_runs() {
    let b = Scripted::stale_cookie();
    let cfg = Config {
        disabled_actions: vec![Action::ClearSiteData],
        support: Some(SupportContact {
            name: Some("IT Desk".into()),
            ..SupportContact::default()
        }),
        ..Config::default()
    };
    let report = run(&sys(), &b, &cfg, &opts(URL), &Unattended, &NullObserver).unwrap();
    assert!(!b.calls().iter().any(|c| c.starts_with("apply_clear")));
    assert_eq!(report.verdict, Verdict::StillFailing);
    assert_eq!(report.plan.disabled, vec![Action::ClearSiteData]);
    assert!(
        report
            .actions
            .iter()
            .any(|a| a.action == Action::ClearSiteData && a.status == ActionStatus::Disabled)
    );
    assert!(render::markdown(&report).contains("IT Desk"));
}

#[test]
fn declined_plan_changes_nothing() {
    let b = Scripted::stale_cookie();
    let consent = Answer(true, false, Mutex::new(0));
    let report = run(
        &sys(),
        &b,
        &Config::default(),
        &opts(URL),
        &consent,
        &NullObserver,
    )
    .unwrap();
    assert!(!b.calls().iter().any(|c| c.starts_with("apply_clear")));
    assert_eq!(report.verdict, Verdict::StillFailing);
    assert_eq!(*consent.2.lock().unwrap(), 2);
    assert!(
        report
            .actions
            .iter()
            .any(|a| a.status == ActionStatus::Declined)
    );
}

#[test]
fn no_cookie_test_without_consent() {
    let b = Scripted::stale_cookie();
    let consent = Answer(false, true, Mutex::new(0));
    let report = run(
        &sys(),
        &b,
        &Config::default(),
        &opts(URL),
        &consent,
        &NullObserver,
    )
    .unwrap();
    assert!(!b.calls().iter().any(|c| c.ends_with("cookies=true")));
    assert_eq!(report.proof.unwrap().outcome, ProofOutcome::NotRun);
    assert_eq!(report.verdict, Verdict::Working);
}

#[test]
fn unreadable_cookies_keep_the_lower_confidence() {
    let mut b = Scripted::stale_cookie();
    b.unreadable = true;
    b.plain_findings = vec![Finding::new(
        Cause::SiteDataStale,
        Confidence::Medium,
        "works from here",
        [Action::ClearSiteData],
    )];
    let report = run_default(&b, &opts(URL)).unwrap();
    let proof = report.proof.as_ref().unwrap();
    assert_eq!(proof.outcome, ProofOutcome::Unreadable);
    assert!(proof.summary.contains("keychain locked"));
    let f = report.finding(Cause::SiteDataStale).unwrap();
    assert_eq!(f.confidence, Confidence::Medium);
    assert!(f.evidence.iter().any(|e| e.contains("not proven")));
}

#[test]
fn server_error_gets_an_owner_summary_and_still_fails() {
    let b = failing_without_cookies(
        Finding::new(
            Cause::ServerError,
            Confidence::High,
            "The server failed (HTTP 500).",
            [Action::Retry, Action::ContactSiteOwner],
        )
        .with_evidence("HTTP/1.1 500 Internal Server Error"),
    );
    let report = run_default(&b, &opts(URL)).unwrap();
    assert_eq!(report.verdict, Verdict::StillFailing);
    assert_eq!(report.exit_code(), 1);
    let owner = report.owner_summary.as_deref().unwrap();
    assert!(owner.contains("Response status: 500") && owner.contains("server.error"));
    assert!(
        report
            .advice
            .iter()
            .any(|a| a.action == Action::ContactSiteOwner)
    );
}

#[test]
fn dns_flush_then_retest() {
    let b = failing_without_cookies(Finding::new(
        Cause::DnsStale,
        Confidence::High,
        "Stale DNS answer.",
        [Action::FlushDns],
    ));
    let report = run_default(&b, &opts(URL)).unwrap();
    assert_eq!(report.verdict, Verdict::Fixed, "{report:#?}");
    assert!(b.calls().iter().any(|c| c == "flush a.test"));
    assert_eq!(
        report.plan.actions[0].touches,
        vec!["run: resolvectl flush-caches"]
    );
}

#[test]
fn running_browser_is_closed_before_clearing_and_reopened() {
    let mut b = Scripted::stale_cookie();
    b.running = vec![4242];
    let mut o = opts(URL);
    o.reopen = true;
    let report = run_default(&b, &o).unwrap();
    let calls = b.calls();
    let pos = |s: &str| calls.iter().position(|c| c.starts_with(s)).unwrap();
    assert!(pos("close chromium") < pos("apply_clear"));
    assert!(pos("open ") > pos("apply_clear"));
    assert_eq!(report.plan.actions[0].action, Action::RestartBrowser);
    assert_eq!(report.verdict, Verdict::Fixed);
}

#[test]
fn running_browser_with_restart_disabled_skips_the_clear() {
    let mut b = Scripted::stale_cookie();
    b.running = vec![4242];
    let cfg = Config {
        disabled_actions: vec![Action::RestartBrowser],
        ..Config::default()
    };
    let report = run(&sys(), &b, &cfg, &opts(URL), &Unattended, &NullObserver).unwrap();
    assert!(
        !b.calls()
            .iter()
            .any(|c| c.starts_with("close") || c.starts_with("apply"))
    );
    assert_eq!(report.verdict, Verdict::StillFailing);
}

#[test]
fn bad_input_and_unknown_browser_are_errors() {
    let b = Scripted::stale_cookie();
    let e = run_default(&b, &opts("bad")).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let mut o = opts(URL);
    o.browsers = vec!["netscape".into()];
    let e = run_default(&b, &o).unwrap_err();
    assert!(e.to_string().contains("found: chromium"), "{e}");
}

#[test]
fn reports_are_saved_in_the_configured_folder() {
    let dir = tempfile::tempdir().unwrap();
    let b = Scripted::stale_cookie();
    let cfg = Config {
        reports_dir: Some(dir.path().join("reports")),
        ..Config::default()
    };
    let report = run(&sys(), &b, &cfg, &opts(URL), &Unattended, &NullObserver).unwrap();
    assert_eq!(report.saved_to.len(), 2);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 2);
}

#[test]
fn credentials_in_the_url_never_reach_the_report() {
    let b = Scripted::stale_cookie();
    let report = run_default(&b, &opts("http://ann:hunter2@a.test:8080/?token=abc")).unwrap();
    for text in [
        render::json(&report).unwrap(),
        render::markdown(&report),
        render::html(&report),
        render::text(&report),
    ] {
        assert!(
            !text.contains("hunter2") && !text.contains("token=abc"),
            "{text}"
        );
    }
}

fn server_error_with_a_held_cookie() -> Scripted {
    let mut b = Scripted::stale_cookie();
    *b.ok_plain.lock().unwrap() = false;
    b.plain_findings = vec![Finding::new(
        Cause::ServerError,
        Confidence::High,
        "The server failed (HTTP 500).",
        [Action::Retry, Action::ContactSiteOwner],
    )];
    b
}

#[test]
fn a_clear_the_evidence_rules_out_is_refused_unless_forced() {
    let b = server_error_with_a_held_cookie();
    let mut o = opts(URL);
    o.site_data = true;
    let report = run_default(&b, &o).unwrap();
    assert!(!b.calls().iter().any(|c| c.starts_with("apply_clear")));
    assert!(!report.plan.has(Action::ClearSiteData));
    let r = &report.plan.ruled_out[0];
    assert_eq!(r.action, Action::ClearSiteData);
    assert!(!r.forced);
    assert!(r.why.contains("the site itself answers 500"), "{}", r.why);
    assert!(r.tested[0].contains("HTTP 500"), "{:?}", r.tested);
    let clear = report
        .actions
        .iter()
        .find(|a| a.action == Action::ClearSiteData)
        .unwrap();
    assert_eq!(clear.status, ActionStatus::Skipped);
    assert!(clear.summary.contains("Nothing was changed"));
    assert_eq!(report.exit_code(), 1);
    assert!(render::text(&report).contains("Nothing was changed."));

    let b = server_error_with_a_held_cookie();
    o.force = true;
    let report = run_default(&b, &o).unwrap();
    assert!(b.calls().iter().any(|c| c.starts_with("apply_clear")));
    let planned = report
        .plan
        .actions
        .iter()
        .find(|a| a.action == Action::ClearSiteData)
        .unwrap();
    assert!(
        planned.forced && planned.why.contains("--force"),
        "{planned:?}"
    );
    assert!(report.plan.ruled_out[0].forced);
    assert!(render::markdown(&report).contains("(forced)"));
    assert!(render::html(&report).contains("Forced"));
    assert!(render::text(&report).contains("Forced: clear-site-data"));
}

#[test]
fn works_from_here_without_cookies_keeps_no_unproven_site_data_finding() {
    let mut b = Scripted::stale_cookie();
    *b.cookie.lock().unwrap() = None;
    b.plain_findings = vec![works_from_here(
        "works from here",
        [Action::ClearSiteData, Action::RestartBrowser],
    )];
    let report = run_default(&b, &opts(URL)).unwrap();
    assert_eq!(report.verdict, Verdict::Working);
    assert_eq!(
        report.proof.as_ref().unwrap().outcome,
        ProofOutcome::NoCookies
    );
    assert!(
        report.finding(Cause::SiteDataStale).is_none(),
        "{report:#?}"
    );
    assert!(!report.plan.has(Action::ClearSiteData));
    let w = report.works_from_here.as_ref().unwrap();
    assert!(
        w.tested
            .iter()
            .any(|t| t.contains("no browser holds cookies"))
    );
    assert!(w.differences.iter().any(|d| d.contains("DNS-over-HTTPS")));
    assert_eq!(report.before.headline, "The page works from here.");
}

#[test]
fn works_from_here_after_an_accepted_login_offers_a_restart_in_every_rendering() {
    let mut b = Scripted::stale_cookie();
    *b.cookie.lock().unwrap() = None;
    // The check's finding after a Basic login the site took: restart first.
    b.plain_findings = vec![works_from_here(
        "works from here with the login fix401 sent",
        [Action::RestartBrowser, Action::ClearSiteData],
    )];
    let report = run_default(&b, &opts(URL)).unwrap();
    let w = report.works_from_here.as_ref().expect("works from here");
    assert_eq!(w.actions, [Action::RestartBrowser]);
    assert!(w.differences.iter().any(|d| d.contains("HTTP-auth cache")));
    assert!(render::text(&report).contains("What to try: restart-browser"));
    assert!(render::markdown(&report).contains("What to try: `restart-browser`"));
    assert!(render::html(&report).contains("What to try: <code>restart-browser</code>"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report).unwrap()).unwrap();
    assert_eq!(
        json["works_from_here"]["actions"],
        serde_json::json!(["restart-browser"])
    );

    // No browser holds anything for the site: the check made no finding, only its own note
    // after the login it saw taken. The fix report still offers the restart.
    b.plain_findings.clear();
    b.plain_works_from_here = Some(crate::diagnosis::WorksFromHere {
        tested: vec!["fix401's own test: HTTP 200".into()],
        differences: Vec::new(),
        actions: vec![Action::RestartBrowser],
    });
    let report = run_default(&b, &opts(URL)).unwrap();
    let w = report.works_from_here.as_ref().expect("works from here");
    assert_eq!(w.actions, [Action::RestartBrowser]);
    assert!(w.differences.iter().any(|d| d.contains("HTTP-auth cache")));
    b.plain_works_from_here = None;

    // Without a login taken, nothing is offered.
    b.plain_findings = vec![works_from_here(
        "works from here",
        [Action::ClearSiteData, Action::RestartBrowser],
    )];
    let report = run_default(&b, &opts(URL)).unwrap();
    assert!(report.works_from_here.unwrap().actions.is_empty());
}

/// Consent to the cookie test and the plan, and `self.0` to the second site.
struct SecondSite(bool);
impl Consent for SecondSite {
    fn allow_cookie_test(&self, _h: &str, _p: &[String]) -> Result<bool> {
        Ok(true)
    }
    fn allow_plan(&self, _p: &FixPlan) -> Result<bool> {
        Ok(true)
    }
    fn allow_second_site(&self, _host: &str) -> Result<bool> {
        Ok(self.0)
    }
}

#[test]
fn the_second_site_is_its_own_action_and_asked_for_separately() {
    let o = FixOptions {
        also_site: Some("login.microsoftonline.com".into()),
        ..opts(URL)
    };
    let run_with = |consent: &dyn Consent| {
        let b = Scripted::stale_cookie();
        let report = run(&sys(), &b, &Config::default(), &o, consent, &NullObserver).unwrap();
        (report, b.calls())
    };
    let (report, calls) = run_with(&Unattended);
    let clears: Vec<&PlannedAction> = report
        .plan
        .actions
        .iter()
        .filter(|a| a.action == Action::ClearSiteData)
        .collect();
    assert_eq!(clears.len(), 2, "{:#?}", report.plan);
    assert!(clears[1].why.contains("login.microsoftonline.com"));
    assert!(
        calls.contains(&"apply_clear a.test".to_string()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"apply_clear login.microsoftonline.com".to_string()),
        "{calls:?}"
    );

    // Asked, and declined: the site is cleared, the provider is not.
    let (report, calls) = run_with(&SecondSite(false));
    assert!(
        calls.contains(&"apply_clear a.test".to_string()),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.contains("apply_clear login")),
        "{calls:?}"
    );
    assert!(
        report
            .actions
            .iter()
            .any(|a| a.status == ActionStatus::Declined
                && a.summary.contains("login.microsoftonline.com"))
    );

    // Never without being named.
    let b = Scripted::stale_cookie();
    run_default(&b, &opts(URL)).unwrap();
    assert!(
        !b.calls().iter().any(|c| c.contains("login")),
        "{:?}",
        b.calls()
    );
}
