//! Advice-only actions in plain words, and the technical summary for a site's owner.

use crate::config::SupportContact;
use crate::model::{Action, Cause};

use super::model::{Advice, FixReport, ProbeSummary};

/// The advice for an advice-only action, given what was found.
pub fn advice(action: Action, before: &ProbeSummary) -> Option<Advice> {
    let host = url::Url::parse(&before.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| before.url.clone());
    let has = |c: Cause| before.findings.iter().any(|f| f.cause == c);
    let (title, text) = match action {
        Action::CheckCredentials => {
            let text = if has(Cause::TokenExpired) {
                format!(
                    "Your sign-in to {host} has expired. Sign out and sign in again; if an app \
                     uses a saved token or API key, create a new one."
                )
            } else if has(Cause::CredentialsMissing) {
                format!(
                    "{host} wants you to sign in and nothing was sent. Open the page and sign \
                     in; if no sign-in form appears, ask whoever gave you the address for the \
                     right account."
                )
            } else {
                format!(
                    "{host} refused the user name, password or token. Check for typos and \
                     Caps Lock, reset the password if unsure, and make sure the account may \
                     use this site."
                )
            };
            ("Check your sign-in details", text)
        }
        Action::FixClock => (
            "Set your computer's clock right",
            "This computer's date or time is far off, so secure sites and sign-in tokens \
             look invalid. Turn on \"Set time automatically\" in the date and time settings, \
             then try again."
                .to_string(),
        ),
        Action::ContactSiteOwner => (
            "Tell the site's owner",
            format!(
                "The fault is on {host}'s side; nothing on this computer can fix it. Send the \
                 technical summary below to the site's owner or your help desk."
            ),
        ),
        _ => return None,
    };
    Some(Advice {
        action,
        title: title.to_string(),
        text,
    })
}

/// Advice when the fix is one the help-desk configuration disables here.
pub fn disabled(actions: &[Action], support: Option<&SupportContact>) -> Advice {
    let list = actions
        .iter()
        .map(|a| a.id())
        .collect::<Vec<_>>()
        .join(", ");
    let who = support
        .and_then(|c| c.name.clone().or_else(|| c.email.clone()))
        .unwrap_or_else(|| "your help desk".to_string());
    let mut text = format!(
        "The fix for this ({list}) is switched off on this computer by your help desk's \
         settings. Contact {who} and attach this report."
    );
    if let Some(c) = support {
        let ways: Vec<&str> = [&c.email, &c.phone, &c.url]
            .iter()
            .filter_map(|v| v.as_deref())
            .collect();
        if !ways.is_empty() {
            text.push_str(&format!(" ({})", ways.join(", ")));
        }
    }
    Advice {
        action: actions.first().copied().unwrap_or(Action::Retry),
        title: "Ask your help desk".into(),
        text,
    }
}

/// A summary the site's owner (or a technician) can act on: what was requested, what came
/// back, which causes were found with their evidence. Already redacted.
pub fn owner_summary(report: &FixReport) -> String {
    let probe = report.after.as_ref().unwrap_or(&report.before);
    let mut out = String::new();
    out.push_str(&format!("Request: GET {}\n", probe.url));
    if let Some(final_url) = &probe.final_url {
        out.push_str(&format!("Final URL after redirects: {final_url}\n"));
    }
    match probe.status {
        Some(s) => out.push_str(&format!("Response status: {s}\n")),
        None => out.push_str("Response status: no HTTP response\n"),
    }
    out.push_str(&format!(
        "Tested: {} by fix401 {}\n",
        report.generated_at, report.environment.fix401_version
    ));
    for line in &probe.technical {
        out.push_str(&format!("{line}\n"));
    }
    for f in &probe.findings {
        out.push_str(&format!(
            "Finding {} ({:?} confidence): {}\n",
            f.cause, f.confidence, f.summary
        ));
        for e in &f.evidence {
            out.push_str(&format!("  - {e}\n"));
        }
    }
    out
}
