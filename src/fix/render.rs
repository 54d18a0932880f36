//! The fix report as terminal text, Markdown, HTML, JSON, and the short "copy for the help
//! desk" text. Everything rendered is already redacted in the model.

use crate::error::{Error, Result};

use super::model::*;

fn status(s: Option<u16>) -> String {
    s.map_or("no HTTP answer".to_string(), |s| format!("HTTP {s}"))
}

/// The "before" status: with a cookie test, both answers.
fn before_status(report: &FixReport) -> String {
    let plain = status(report.before.status);
    match &report.proof {
        Some(p) if p.outcome == ProofOutcome::StaleProven => {
            match p.profiles.iter().find(|r| r.ok_with_cookies == Some(false)) {
                Some(r) => format!(
                    "{plain} without cookies, {} with {}'s cookies",
                    status(r.status_with_cookies),
                    r.browser_name
                ),
                None => plain,
            }
        }
        _ => plain,
    }
}

fn confidence(c: crate::model::Confidence) -> &'static str {
    match c {
        crate::model::Confidence::Low => "low",
        crate::model::Confidence::Medium => "medium",
        crate::model::Confidence::High => "high",
    }
}

fn action_status(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Done => "done",
        ActionStatus::Failed => "failed",
        ActionStatus::Skipped => "skipped",
        ActionStatus::Declined => "declined",
        ActionStatus::Disabled => "disabled by help desk",
        ActionStatus::Advice => "advice",
    }
}

fn support_line(c: &crate::config::SupportContact) -> String {
    [&c.name, &c.email, &c.phone, &c.url]
        .iter()
        .filter_map(|v| v.as_deref())
        .collect::<Vec<_>>()
        .join(" · ")
}

fn browsers_line(env: &Environment) -> String {
    if env.browsers.is_empty() {
        return "none found".into();
    }
    env.browsers
        .iter()
        .map(|b| match &b.version {
            Some(v) => format!("{} {v}", b.name),
            None => b.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn os_line(env: &Environment) -> String {
    match &env.os_version {
        Some(v) => format!("{} ({v})", env.os),
        None => env.os.clone(),
    }
}

/// True when no action changed anything on this computer.
fn nothing_changed(report: &FixReport) -> bool {
    !report.actions.iter().any(|a| {
        a.status == ActionStatus::Done
            && report
                .plan
                .actions
                .iter()
                .any(|p| p.action == a.action && p.changes_system)
    })
}

/// One line per ruled-out action: refused, or carried out anyway (`--force`).
/// "restart-browser, flush-dns": the ids a technician types.
fn action_ids(actions: &[crate::model::Action]) -> String {
    let ids: Vec<&str> = actions.iter().map(|a| a.id()).collect();
    ids.join(", ")
}

fn ruled_out_line(r: &RuledOut) -> String {
    if r.forced {
        format!("Forced: {} (--force), although {}.", r.action, r.why)
    } else {
        format!("Ruled out: {} — {}.", r.action, r.why)
    }
}

/// The report as JSON (pretty).
pub fn json(report: &FixReport) -> Result<String> {
    serde_json::to_string_pretty(report)
        .map_err(|e| Error::Internal(format!("cannot encode the report as JSON: {e}")))
}

/// A short text a person can paste into a ticket or chat with the help desk.
pub fn helpdesk_text(report: &FixReport) -> String {
    let mut out = format!(
        "fix401 {}: {} is {} ({})\n",
        report.environment.fix401_version,
        report.url,
        report.outcome.verdict_words.to_uppercase(),
        report.generated_at
    );
    out.push_str(&format!("Before: {}", status(report.before.status)));
    if let Some(p) = &report.proof
        && let Some(row) = p.profiles.iter().find(|r| r.status_with_cookies.is_some())
    {
        out.push_str(&format!(
            " without cookies, {} with {} ({}) cookies",
            status(row.status_with_cookies),
            row.browser_name,
            row.profile
        ));
    }
    out.push('\n');
    for f in report.before.findings.iter().take(3) {
        out.push_str(&format!(
            "Cause: {} ({}): {}\n",
            f.cause,
            confidence(f.confidence),
            f.summary
        ));
    }
    for r in &report.plan.ruled_out {
        out.push_str(&format!("{}\n", ruled_out_line(r)));
    }
    for a in report
        .actions
        .iter()
        .filter(|a| a.status != ActionStatus::Advice)
    {
        out.push_str(&format!("Action: {} {}", a.action, action_status(a.status)));
        if let Some(id) = &a.undo_id {
            out.push_str(&format!(" (undo id {id})"));
        }
        out.push('\n');
    }
    if let Some(after) = &report.after {
        out.push_str(&format!("After: {}\n", status(after.status)));
    }
    out.push_str(&format!(
        "System: {}; browsers: {}\n",
        os_line(&report.environment),
        browsers_line(&report.environment)
    ));
    out
}

/// The report for a terminal: the verdict first, then what happened, plain words.
pub fn text(report: &FixReport) -> String {
    let mut out = format!("{}\n\n", report.headline);
    out.push_str(&format!(
        "Before: {} — {}\n",
        before_status(report),
        report.before.headline
    ));
    for f in &report.before.findings {
        out.push_str(&format!(
            "  • {} [{} confidence]: {}\n",
            f.cause,
            confidence(f.confidence),
            f.summary
        ));
    }
    if let Some(p) = &report.proof {
        out.push_str(&format!("Cookie test: {}\n", p.summary));
    }
    for c in report.cached_responses.iter().filter(|c| c.is_error()) {
        out.push_str(&format!(
            "Cached: {} ({}) keeps \"{}\"\n",
            c.browser_id, c.profile, c.status_line
        ));
    }
    if let Some(w) = &report.works_from_here {
        out.push_str(&format!("Tested: {}\n", w.tested.join("; ")));
        out.push_str("What still differs between fix401's test and your browser:\n");
        for d in &w.differences {
            out.push_str(&format!("  • {d}\n"));
        }
        if !w.actions.is_empty() {
            out.push_str(&format!("What to try: {}\n", action_ids(&w.actions)));
        }
    }
    if !report.plan.ruled_out.is_empty() {
        out.push('\n');
        for r in &report.plan.ruled_out {
            out.push_str(&format!("{}\n", ruled_out_line(r)));
            out.push_str(&format!("  Tested: {}\n", r.tested.join("; ")));
        }
        if report.plan.ruled_out.iter().any(|r| !r.forced) {
            if nothing_changed(report) {
                out.push_str("Nothing was changed.\n");
            }
            out.push_str("A technician who wants it anyway passes --force.\n");
        }
    }
    let done: Vec<&ActionOutcome> = report
        .actions
        .iter()
        .filter(|a| a.status != ActionStatus::Advice)
        .collect();
    if !done.is_empty() {
        out.push_str("\nWhat was done:\n");
        for a in done {
            out.push_str(&format!(
                "  {} — {}: {}\n",
                a.action,
                action_status(a.status),
                a.summary
            ));
            if let Some(id) = &a.undo_id {
                out.push_str(&format!("    undo: fix401 undo {id}\n"));
            }
        }
    }
    if let Some(after) = &report.after {
        out.push_str(&format!(
            "\nAfter: {} — {}\n",
            status(after.status),
            after.headline
        ));
    }
    if !report.advice.is_empty() {
        out.push_str("\nWhat you can do:\n");
        for a in &report.advice {
            out.push_str(&format!("  {}: {}\n", a.title, a.text));
        }
    }
    if let Some(s) = &report.owner_summary {
        out.push_str("\nFor the site's owner:\n");
        for line in s.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(c) = &report.support {
        out.push_str(&format!("\nHelp: {}\n", support_line(c)));
    }
    for f in &report.saved_to {
        out.push_str(&format!("Report saved: {f}\n"));
    }
    out
}

/// The report as Markdown (for tickets and README examples).
pub fn markdown(report: &FixReport) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# fix401 report: {}\n\n**{}**\n\n",
        report.outcome.verdict_words.to_lowercase(),
        report.headline
    ));
    o.push_str("| | |\n|---|---|\n");
    o.push_str(&format!("| Address | `{}` |\n", report.url));
    o.push_str(&format!("| Tested | {} |\n", report.generated_at));
    o.push_str(&format!("| Result | {} |\n", report.outcome.verdict_words));
    if let Some(c) = &report.support {
        o.push_str(&format!("| Help desk | {} |\n", support_line(c)));
    }
    o.push_str("\n## Before\n\n");
    o.push_str(&format!(
        "{}: {}\n\n",
        before_status(report),
        report.before.headline
    ));
    for f in &report.before.findings {
        o.push_str(&format!(
            "- **{}** ({} confidence): {}\n",
            f.cause,
            confidence(f.confidence),
            f.summary
        ));
        for e in &f.evidence {
            o.push_str(&format!("  - {e}\n"));
        }
    }
    for t in &report.before.technical {
        o.push_str(&format!("- {t}\n"));
    }
    if let Some(p) = &report.proof {
        o.push_str("\n## Test with the browser's cookies\n\n");
        o.push_str(&format!("{}\n\n", p.summary));
        if !p.profiles.is_empty() {
            o.push_str("| Browser | Profile | Cookies (names only) | Answer with them |\n|---|---|---|---|\n");
            for r in &p.profiles {
                let answer = match (&r.unreadable, r.status_with_cookies) {
                    (Some(why), _) => format!("not tested: {why}"),
                    (None, s) => status(s),
                };
                o.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    r.browser_name,
                    r.profile,
                    r.cookie_names.join(", "),
                    answer
                ));
            }
            o.push_str(&format!(
                "\nWithout cookies: {}.\n",
                status(p.status_without_cookies)
            ));
        }
    }
    if !report.cached_responses.is_empty() {
        o.push_str("\n## Cached responses\n\n");
        for c in &report.cached_responses {
            o.push_str(&format!(
                "- {} ({}): `{}` in `{}`\n",
                c.browser_id, c.profile, c.status_line, c.file
            ));
        }
    }
    if let Some(w) = &report.works_from_here {
        o.push_str("\n## Works from here\n\nTested:\n\n");
        for t in &w.tested {
            o.push_str(&format!("- {t}\n"));
        }
        o.push_str("\nWhat still differs between fix401's test and your browser:\n\n");
        for d in &w.differences {
            o.push_str(&format!("- {d}\n"));
        }
        if !w.actions.is_empty() {
            o.push_str(&format!("\nWhat to try: `{}`\n", action_ids(&w.actions)));
        }
    }
    o.push_str("\n## Plan\n\n");
    if report.plan.actions.is_empty() {
        o.push_str(if report.plan.disabled.is_empty() {
            "Nothing to do.\n"
        } else {
            "Nothing fix401 may do here:\n"
        });
    }
    for (i, a) in report.plan.actions.iter().enumerate() {
        o.push_str(&format!(
            "{}. **{}**{}: because of {}\n",
            i + 1,
            a.action,
            if a.forced { " (forced)" } else { "" },
            a.why
        ));
        for t in &a.touches {
            o.push_str(&format!("   - {t}\n"));
        }
    }
    for a in &report.plan.disabled {
        o.push_str(&format!(
            "- **{a}**: disabled by the help-desk configuration\n"
        ));
    }
    for r in &report.plan.ruled_out {
        o.push_str(&format!("\n{}\n\nTested:\n\n", ruled_out_line(r)));
        for t in &r.tested {
            o.push_str(&format!("- {t}\n"));
        }
    }
    if report.plan.ruled_out.iter().any(|r| !r.forced) && nothing_changed(report) {
        o.push_str("\nNothing was changed.\n");
    }
    if !report.actions.is_empty() {
        o.push_str("\n## What was done\n\n| Action | Result | What happened | Undo id |\n|---|---|---|---|\n");
        for a in &report.actions {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                a.action,
                action_status(a.status),
                a.summary.replace('|', "\\|"),
                a.undo_id.as_deref().unwrap_or("")
            ));
        }
        let details: Vec<&ActionOutcome> = report
            .actions
            .iter()
            .filter(|a| !a.details.is_empty())
            .collect();
        for a in details {
            o.push_str(&format!("\n{} details:\n\n", a.action));
            for d in &a.details {
                o.push_str(&format!("- {d}\n"));
            }
        }
    }
    if let Some(after) = &report.after {
        o.push_str(&format!(
            "\n## After\n\n{}: {}\n",
            status(after.status),
            after.headline
        ));
        for t in &after.technical {
            o.push_str(&format!("- {t}\n"));
        }
    }
    if !report.advice.is_empty() {
        o.push_str("\n## What you can do\n\n");
        for a in &report.advice {
            o.push_str(&format!("- **{}**: {}\n", a.title, a.text));
        }
    }
    if let Some(s) = &report.owner_summary {
        o.push_str(&format!("\n## For the site's owner\n\n```text\n{s}```\n"));
    }
    o.push_str(&format!(
        "\n## Environment\n\n- System: {}\n- Browsers: {}\n- fix401 {}\n",
        os_line(&report.environment),
        browsers_line(&report.environment),
        report.environment.fix401_version
    ));
    o.push_str(&format!(
        "\n## Copy for the help desk\n\n```text\n{}```\n",
        helpdesk_text(report)
    ));
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one self-contained HTML page (no scripts, no external resources).
pub fn html(report: &FixReport) -> String {
    let colour = match report.verdict {
        Verdict::Fixed | Verdict::Working => "#1a7f37",
        Verdict::StillFailing => "#b35900",
    };
    let mut o = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>fix401 report</title><style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
         pre{background:#f4f4f4;padding:1em;white-space:pre-wrap}</style></head><body>\n",
    );
    o.push_str(&format!(
        "<h1 style=\"color:{colour}\">{}</h1>\n<p><strong>{}</strong></p>\n",
        esc(&report.outcome.verdict_words.to_uppercase()),
        esc(&report.headline)
    ));
    o.push_str(&format!(
        "<p>Address: <code>{}</code><br>Tested: {}</p>\n",
        esc(&report.url),
        esc(&report.generated_at)
    ));
    if let Some(c) = &report.support {
        o.push_str(&format!("<p>Help desk: {}</p>\n", esc(&support_line(c))));
    }
    o.push_str(&format!(
        "<h2>Before</h2><p>{}: {}</p><ul>\n",
        esc(&before_status(report)),
        esc(&report.before.headline)
    ));
    for f in &report.before.findings {
        o.push_str(&format!(
            "<li><strong>{}</strong> ({} confidence): {}<ul>",
            f.cause,
            confidence(f.confidence),
            esc(&f.summary)
        ));
        for e in &f.evidence {
            o.push_str(&format!("<li>{}</li>", esc(e)));
        }
        o.push_str("</ul></li>\n");
    }
    o.push_str("</ul>\n");
    if let Some(p) = &report.proof {
        o.push_str(&format!(
            "<h2>Test with the browser's cookies</h2><p>{}</p>\n",
            esc(&p.summary)
        ));
    }
    if let Some(w) = &report.works_from_here {
        o.push_str("<h2>Works from here</h2><p>Tested:</p><ul>");
        for t in &w.tested {
            o.push_str(&format!("<li>{}</li>", esc(t)));
        }
        o.push_str("</ul><p>What still differs between fix401's test and your browser:</p><ul>");
        for d in &w.differences {
            o.push_str(&format!("<li>{}</li>", esc(d)));
        }
        o.push_str("</ul>\n");
        if !w.actions.is_empty() {
            o.push_str(&format!(
                "<p>What to try: <code>{}</code></p>\n",
                esc(&action_ids(&w.actions))
            ));
        }
    }
    for r in &report.plan.ruled_out {
        o.push_str(&format!(
            "<h2>{}</h2><p>{}</p><ul>",
            if r.forced { "Forced" } else { "Ruled out" },
            esc(&ruled_out_line(r))
        ));
        for t in &r.tested {
            o.push_str(&format!("<li>{}</li>", esc(t)));
        }
        o.push_str("</ul>\n");
    }
    if report.plan.ruled_out.iter().any(|r| !r.forced) && nothing_changed(report) {
        o.push_str("<p>Nothing was changed.</p>\n");
    }
    if !report.actions.is_empty() {
        o.push_str("<h2>What was done</h2><table><tr><th>Action</th><th>Result</th><th>What happened</th><th>Undo id</th></tr>\n");
        for a in &report.actions {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                a.action,
                action_status(a.status),
                esc(&a.summary),
                esc(a.undo_id.as_deref().unwrap_or(""))
            ));
        }
        o.push_str("</table>\n");
    }
    if let Some(after) = &report.after {
        o.push_str(&format!(
            "<h2>After</h2><p>{}: {}</p>\n",
            esc(&status(after.status)),
            esc(&after.headline)
        ));
    }
    if let Some(s) = &report.owner_summary {
        o.push_str(&format!(
            "<h2>For the site's owner</h2><pre>{}</pre>\n",
            esc(s)
        ));
    }
    o.push_str(&format!(
        "<h2>Environment</h2><p>System: {}<br>Browsers: {}<br>fix401 {}</p>\n",
        esc(&os_line(&report.environment)),
        esc(&browsers_line(&report.environment)),
        esc(&report.environment.fix401_version)
    ));
    o.push_str(&format!(
        "<h2>Copy for the help desk</h2><pre>{}</pre>\n</body></html>\n",
        esc(&helpdesk_text(report))
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Cause, Confidence, Finding};

    fn report() -> FixReport {
        let before = ProbeSummary {
            url: "http://a.test/<x>".into(),
            final_url: None,
            status: Some(401),
            ok: false,
            verdict: "unauthorized".into(),
            headline: "Refused <script>".into(),
            findings: vec![Finding::new(
                Cause::CredentialsRejected,
                Confidence::High,
                "The site refused the password.",
                [Action::CheckCredentials],
            )],
            technical: vec!["www-authenticate: Basic realm=\"x\"".into()],
            works_from_here: None,
        };
        FixReport {
            url: "http://a.test/<x>".into(),
            generated_at: "Thu, 26 Nov 2026 20:00:00 GMT".into(),
            verdict: Verdict::StillFailing,
            headline: "Still failing: The site refused the password.".into(),
            outcome: crate::diagnosis::outcome(
                &before.findings,
                crate::diagnosis::Stage::StillFailing,
            ),
            advice: vec![Advice {
                action: Action::CheckCredentials,
                title: "Check your sign-in details".into(),
                text: "Check for typos.".into(),
            }],
            before,
            proof: None,
            works_from_here: None,
            cached_responses: Vec::new(),
            plan: FixPlan::default(),
            actions: vec![ActionOutcome {
                action: Action::CheckCredentials,
                status: ActionStatus::Advice,
                summary: "Check for typos.".into(),
                details: Vec::new(),
                undo_id: None,
            }],
            after: None,
            owner_summary: None,
            environment: Environment {
                os: "linux".into(),
                os_version: Some("Debian GNU/Linux 12 (bookworm)".into()),
                fix401_version: "0.1.0".into(),
                browsers: vec![BrowserEnv {
                    id: "firefox".into(),
                    name: "Firefox".into(),
                    version: Some("128.5.0".into()),
                    profiles: 1,
                    running: false,
                }],
            },
            support: Some(crate::config::SupportContact {
                name: Some("IT Desk".into()),
                email: Some("it@example.com".into()),
                ..Default::default()
            }),
            saved_to: Vec::new(),
        }
    }

    #[test]
    fn html_escapes_everything_and_loads_nothing() {
        let html = html(&report());
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("src=") && !html.contains("href="));
        assert!(html.contains("STILL FAILING"));
    }

    #[test]
    fn every_format_names_verdict_advice_environment_and_contact() {
        let r = report();
        let md = markdown(&r);
        for needle in [
            "# fix401 report: still failing",
            "credentials.rejected",
            "Check your sign-in details",
            "Firefox 128.5.0",
            "IT Desk · it@example.com",
            "## Copy for the help desk",
        ] {
            assert!(md.contains(needle), "markdown lacks {needle}:\n{md}");
        }
        let text = text(&r);
        assert!(text.starts_with("Still failing"));
        assert!(text.contains("What you can do:") && text.contains("Help: IT Desk"));
        let desk = helpdesk_text(&r);
        assert!(desk.lines().count() <= 8, "{desk}");
        assert!(desk.contains("STILL FAILING") && desk.contains("Debian GNU/Linux 12"));
        let v: serde_json::Value = serde_json::from_str(&json(&r).unwrap()).unwrap();
        assert_eq!(v["verdict"], "still_failing");
        assert_eq!(v["actions"][0]["status"], "advice");
    }
}
