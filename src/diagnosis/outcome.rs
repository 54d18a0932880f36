//! What a result means to a person, said once: the verdict in large words, one sentence, and
//! what to do first — all from the top-ranked finding. Every face (CLI text, JSON, Markdown,
//! HTML, the fix report, the window) shows the [`Outcome`] this module builds and never words
//! of its own, so the terminal and the window can never disagree about the same answer.

use serde::Serialize;

#[cfg(test)]
use crate::model::Confidence;
use crate::model::{Action, Cause, Finding, Verdict};

/// How a result should feel at a glance (the window's colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    /// The page works (or works again).
    Good,
    /// It works from here, but something stored in the browser is the likely fault.
    Warn,
    /// It fails.
    Bad,
    /// Neither: a state that needs a new test (after an undo).
    Neutral,
}

/// The state a set of findings is judged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// A diagnosis, with the report's verdict (`ok` when the page loads).
    Checked(Verdict),
    /// A repair made it work: what did it, as the rest of "Fixed: …" ("a.test loads again
    /// after flushing the DNS cache.").
    Fixed(String),
    /// Nothing needed fixing: the sentence that says so.
    Working(String),
    /// It still fails after the repair.
    StillFailing,
    /// A clear was undone: nothing is known until the page is tested again.
    Undone,
}

/// The verdict, its words, the headline and the first action, as every face shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The stable verdict id: the diagnosis' ([`Verdict`]: `ok`, `unauthorized`…) or the
    /// repair's (`fixed`, `working`, `still_failing`); a string while the repair's verdicts
    /// are still strings (transitional).
    pub verdict: &'static str,
    /// The verdict in a few large words ("Your sign-in has expired").
    pub verdict_words: String,
    /// Good, warn or bad.
    pub tone: Tone,
    /// One plain sentence: the top finding's summary, or what the repair did.
    pub headline: String,
    /// The top finding's cause, when one leads.
    pub cause: Option<Cause>,
    /// What to do first: the top finding's first repair fix401 performs itself, else its
    /// first piece of advice (`retry` never leads: testing again fixes nothing).
    pub first_action: Option<Action>,
    /// [`Outcome::first_action`] as a plain instruction.
    pub first_step: Option<String>,
}

/// The finding that leads: the most confident, then the most blocking ([`Cause::rank`]), first
/// listed on a tie. When the page loads (`ok`) only stored site data may lead: context such
/// as a WordPress site or a suspicious URL is no headline for a page that works.
pub fn top(findings: &[Finding], ok: bool) -> Option<&Finding> {
    findings
        .iter()
        .filter(|f| !ok || f.cause == Cause::SiteDataStale)
        .min_by_key(|f| (std::cmp::Reverse(f.confidence), f.cause.rank()))
}

/// The outcome of `findings` judged at `stage`: the one function every face takes its
/// verdict words, headline and first action from.
pub fn outcome(findings: &[Finding], stage: Stage) -> Outcome {
    let (verdict, ok) = match &stage {
        Stage::Checked(v) => (v.id(), *v == Verdict::Ok),
        Stage::Fixed(_) => ("fixed", true),
        Stage::Working(_) => ("working", true),
        Stage::StillFailing => ("still_failing", false),
        Stage::Undone => ("undone", false),
    };
    let lead = top(findings, ok);
    let summary = |f: Option<&Finding>| {
        f.map(|f| f.summary.clone()).unwrap_or_else(|| {
            if ok {
                "The page works from here.".to_string()
            } else {
                "The page does not load, and fix401 could not tell why.".to_string()
            }
        })
    };
    let (verdict_words, tone, headline, lead) = match stage {
        Stage::Checked(_) => {
            let (words, tone) = match lead {
                Some(f) if ok => (
                    format!("It works from here: {}", lower_first(cause_words(f.cause))),
                    Tone::Warn,
                ),
                Some(f) => (cause_words(f.cause).to_string(), Tone::Bad),
                None if ok => ("This page works".to_string(), Tone::Good),
                None => ("This page does not work".to_string(), Tone::Bad),
            };
            (words, tone, summary(lead), lead)
        }
        // Once it works, the failure's advice would only confuse.
        Stage::Fixed(how) => ("Fixed".into(), Tone::Good, format!("Fixed: {how}"), None),
        Stage::Working(said) => ("Working: nothing to fix".into(), Tone::Good, said, None),
        Stage::StillFailing => (
            "Still failing".into(),
            Tone::Bad,
            format!("Still failing: {}", summary(lead)),
            lead,
        ),
        Stage::Undone => (
            "Undone: the site’s data is back as it was".into(),
            Tone::Neutral,
            "Press Check to test the page again.".into(),
            None,
        ),
    };
    let first_action = lead.and_then(first_action);
    Outcome {
        verdict,
        verdict_words,
        tone,
        headline,
        cause: lead.map(|f| f.cause),
        first_action,
        first_step: first_action.map(|a| step(a).to_string()),
    }
}

/// The outcome of a page that refuses a request without a login but lets `who` in with
/// their own company sign-in (Kerberos ticket), which every browser found is set to send
/// ([`crate::diagnosis::signin::works_for`]): it works for this person, verdict `ok`. A
/// browser that was open before its setting changed still has to be restarted to use it.
pub fn signed_in(findings: &[Finding], who: &str) -> Outcome {
    Outcome {
        verdict_words: "This page works with your company sign-in".to_string(),
        tone: Tone::Good,
        headline: format!("This page works with your company sign-in (as {who})."),
        ..outcome(findings, Stage::Checked(Verdict::Ok))
    }
    .offering(Some(Action::RestartBrowser))
}

impl Outcome {
    /// With `action` as what to do first when no finding leads (a working page's
    /// `restart-browser` after an accepted login); a leading finding's action stays.
    pub fn offering(mut self, action: Option<Action>) -> Outcome {
        if self.cause.is_none()
            && self.first_action.is_none()
            && let Some(a) = action
        {
            self.first_action = Some(a);
            self.first_step = Some(step(a).to_string());
        }
        self
    }
}

/// A finding's first repair that fix401 performs itself, else its first advice.
fn first_action(f: &Finding) -> Option<Action> {
    let useful = || f.actions.iter().copied().filter(|a| *a != Action::Retry);
    useful().find(|a| a.is_repair()).or_else(|| useful().next())
}

/// The verdict words of a failure led by `cause`.
pub fn cause_words(cause: Cause) -> &'static str {
    match cause {
        Cause::UrlInvalid => "This address cannot be used",
        Cause::UrlSuspicious => "The address looks mistyped",
        Cause::UrlNotFound => "This page does not exist",
        Cause::CredentialsMissing => "Access refused: a login is needed",
        Cause::CredentialsRejected => "Access refused: the login was not accepted",
        Cause::TokenInvalid => "Access refused: the sign-in token is not valid",
        Cause::TokenExpired => "Your sign-in has expired",
        Cause::PermissionDenied => "Access refused: this account is not allowed",
        Cause::ProxyAuthRequired => "Your network’s proxy wants a login",
        Cause::ProxyUnreachable => "The proxy server cannot be reached",
        Cause::ProxyPacError => "The proxy script (PAC file) does not work",
        Cause::ProxyBlocked => "Your network’s proxy refuses this site",
        Cause::ServerMisconfigured => "The website is set up wrongly",
        Cause::ServerError => "The website has a fault",
        Cause::TlsCertificate => "The site’s security certificate is not valid",
        Cause::ClockSkew => "This computer’s clock is wrong",
        Cause::RedirectLoop => "The page keeps redirecting in a loop",
        Cause::RedirectTooMany => "Too many redirects",
        Cause::DnsFailure => "The site’s name cannot be found",
        Cause::DnsHostsOverride => "A hosts-file entry sends the site elsewhere",
        Cause::DnsStale => "This computer has an out-of-date address for the site",
        Cause::NetworkUnreachable => "The site cannot be reached",
        Cause::SiteDataStale => "Your browser’s saved data for this site is the likely problem",
        Cause::SiteWordpress => "This page does not work (the site runs WordPress)",
        Cause::KerberosNoTicket => "You are not signed in to your company network",
        Cause::KerberosTicketExpired => "Your company sign-in has expired",
        Cause::KerberosKdcUnreachable => "Your company’s sign-in server cannot be reached",
        Cause::KerberosNoServicePrincipal => "Company sign-in does not know this site’s name",
        Cause::NegotiateBrowserNotAllowed => "Your browser does not send your sign-in to this site",
        Cause::NtlmOnly => "This site accepts only Windows sign-in (NTLM)",
        Cause::SsoLoop => "Signing in goes round in a loop with the sign-in provider",
        Cause::SsoFailed => "Signing in through the sign-in provider fails",
        Cause::CookiesTooLarge => "Your browser sends this site too many cookies",
        Cause::HstsStuck => "Your browser insists on a secure connection the site no longer has",
    }
}

/// What to do for `action`, as one plain instruction that fits every face.
pub fn step(action: Action) -> &'static str {
    match action {
        Action::Retry => "Test the page again in a little while.",
        Action::FixUrl => "Use the corrected address.",
        Action::FlushDns => "Flush this computer’s DNS cache, then test again.",
        Action::ClearSiteData => {
            "Fix this site: clear only its cookies and cache in your browsers (a backup is kept), \
             then test again."
        }
        Action::RestartBrowser => "Close your browser completely and open it again.",
        Action::CheckCredentials => {
            "Check your user name and password, or sign in again (or ask for a new link or token)."
        }
        Action::FixClock => "Set this computer’s date and time correctly, then test again.",
        Action::ContactSiteOwner => {
            "This needs the site’s owner: send them (or your help desk) the fix401 report."
        }
        Action::RenewTicket => {
            "Sign in to your company network again (Windows: lock and unlock the computer; \
             Linux and macOS: run kinit or use Ticket Viewer), then test again."
        }
        Action::AllowNegotiate => {
            "Allow your browser to send your company sign-in to this site (its Negotiate \
             allowlist), then test again."
        }
    }
}

/// "Your browser’s…" → "your browser’s…", to follow "It works from here: ".
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// A finding for `cause` with `actions`, as the diagnosis would make it (for tests).
#[cfg(test)]
pub(crate) fn sample(cause: Cause, actions: &[Action]) -> Finding {
    Finding::new(
        cause,
        Confidence::High,
        format!("Sample summary for {}.", cause.id()),
        actions.iter().copied(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README's table of every cause id, most urgent first, with the words the verdict
    /// uses for it (`cause_words`).
    fn cause_table() -> String {
        let mut causes = Cause::ALL.to_vec();
        causes.sort_by_key(|c| (c.rank(), c.id()));
        let mut t = String::from("| cause id | rank | the verdict says |\n|---|---|---|\n");
        for c in causes {
            t.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.id(),
                c.rank(),
                cause_words(c)
            ));
        }
        t
    }

    #[test]
    fn readme_lists_every_cause_id_with_its_words() {
        let readme = include_str!("../../README.md");
        let table = cause_table();
        assert!(
            readme.contains(&table),
            "README's cause table differs from the model's; replace it with:\n{table}"
        );
    }

    #[test]
    fn an_expired_token_heads_with_its_own_words_not_the_status() {
        let f = Finding::new(
            Cause::TokenExpired,
            Confidence::High,
            "Your sign-in has expired: sign in again (or let the app refresh its token).",
            [
                Action::CheckCredentials,
                Action::ClearSiteData,
                Action::Retry,
            ],
        );
        let o = outcome(&[f], Stage::Checked(Verdict::Unauthorized));
        assert_eq!(o.verdict, "unauthorized");
        assert_eq!(o.verdict_words, "Your sign-in has expired");
        assert_eq!(
            o.headline,
            "Your sign-in has expired: sign in again (or let the app refresh its token)."
        );
        assert_eq!(o.first_action, Some(Action::ClearSiteData));
        assert_eq!(o.tone, Tone::Bad);
    }

    #[test]
    fn the_most_confident_then_most_blocking_finding_leads() {
        let mut low = sample(Cause::DnsFailure, &[Action::FlushDns]);
        low.confidence = Confidence::Low;
        let findings = [
            sample(Cause::SiteWordpress, &[Action::ClearSiteData]),
            low,
            sample(
                Cause::ServerError,
                &[Action::Retry, Action::ContactSiteOwner],
            ),
        ];
        let o = outcome(&findings, Stage::Checked(Verdict::ServerError));
        assert_eq!(o.cause, Some(Cause::ServerError));
        assert_eq!(o.verdict_words, "The website has a fault");
        assert_eq!(
            o.first_action,
            Some(Action::ContactSiteOwner),
            "retry never leads"
        );
        let still = outcome(&findings, Stage::StillFailing);
        assert_eq!(
            still.headline,
            "Still failing: Sample summary for server.error."
        );
    }

    #[test]
    fn a_working_page_is_headed_only_by_stored_data() {
        let wp = sample(Cause::SiteWordpress, &[Action::ClearSiteData]);
        let o = outcome(std::slice::from_ref(&wp), Stage::Checked(Verdict::Ok));
        assert_eq!(
            (o.verdict_words.as_str(), o.headline.as_str(), o.tone),
            ("This page works", "The page works from here.", Tone::Good)
        );
        let mut stale = sample(Cause::SiteDataStale, &[Action::ClearSiteData]);
        stale.confidence = Confidence::Medium;
        let o = outcome(&[wp, stale], Stage::Checked(Verdict::Ok));
        assert_eq!(
            o.verdict_words,
            "It works from here: your browser’s saved data for this site is the likely problem"
        );
        assert_eq!(o.tone, Tone::Warn);
        assert_eq!(o.first_action, Some(Action::ClearSiteData));
    }

    #[test]
    fn a_page_that_lets_the_user_in_with_their_ticket_works_with_their_sign_in() {
        let mut f = sample(Cause::NegotiateBrowserNotAllowed, &[Action::RestartBrowser]);
        f.confidence = Confidence::Low;
        let o = signed_in(&[f], "user@EXAMPLE.TEST");
        assert_eq!(o.verdict, "ok");
        assert_eq!(o.verdict_words, "This page works with your company sign-in");
        assert_eq!(
            o.headline,
            "This page works with your company sign-in (as user@EXAMPLE.TEST)."
        );
        assert_eq!((o.tone, o.cause), (Tone::Good, None));
        assert_eq!(o.first_action, Some(Action::RestartBrowser));
    }

    #[test]
    fn repairs_say_what_they_did() {
        let f = sample(Cause::DnsStale, &[Action::FlushDns]);
        let o = outcome(
            std::slice::from_ref(&f),
            Stage::Fixed("a.test loads again.".into()),
        );
        assert_eq!(
            (o.verdict, o.verdict_words.as_str(), o.headline.as_str()),
            ("fixed", "Fixed", "Fixed: a.test loads again.")
        );
        assert_eq!(o.first_action, None);
        let o = outcome(&[], Stage::StillFailing);
        assert_eq!(
            o.headline,
            "Still failing: The page does not load, and fix401 could not tell why."
        );
    }

    #[test]
    fn every_cause_has_words_and_every_action_a_step() {
        for cause in Cause::ALL {
            let words = cause_words(cause);
            assert!(!words.is_empty() && !words.contains(cause.id()), "{cause}");
        }
        for action in Action::ALL {
            assert!(step(action).ends_with('.'), "{action}");
        }
    }
}
