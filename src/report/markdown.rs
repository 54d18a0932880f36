//! The Markdown form of a [`Report`], for a ticket.

use std::fmt::Write as _;

use super::*;

impl Report {
    /// Markdown for a ticket.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# fix401 diagnosis\n");
        let _ = writeln!(o, "**{}**\n", md(&self.headline));
        if let Some(step) = &self.outcome.first_step {
            let _ = writeln!(o, "What to do first: {}\n", md(step));
        }
        let _ = writeln!(o, "| | |\n|---|---|");
        let _ = writeln!(o, "| URL | `{}` |", md(&self.url));
        if self.final_url != self.url {
            let _ = writeln!(o, "| Final URL | `{}` |", md(&self.final_url));
        }
        let _ = writeln!(o, "| Tested | {} |", self.tested_at);
        let _ = writeln!(o, "| Status | {} |", self.status_shown());
        let _ = writeln!(
            o,
            "| Verdict | {} (`{}`) |",
            md(&self.outcome.verdict_words),
            self.verdict
        );
        if !self.resolved.is_empty() {
            let _ = writeln!(o, "| Addresses | {} |", md(&self.resolved.join(", ")));
        }
        let _ = writeln!(o, "| Timings | {} |", self.timings_line());
        if let Some(p) = &self.proxy {
            let _ = writeln!(o, "| Proxy | `{}` |", md(p));
        }
        let _ = writeln!(o, "| fix401 | {} |", self.fix401_version);
        let _ = writeln!(o, "\n## Findings\n");
        for f in &self.findings {
            let _ = writeln!(
                o,
                "### `{}` ({})\n\n{}\n",
                f.cause.id(),
                conf_id(f.confidence),
                md(&f.summary)
            );
            for e in &f.evidence {
                let _ = writeln!(o, "- `{}`", e.replace('`', "'"));
            }
            let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "\nActions: {}\n", ids.join(", "));
        }
        if let Some(w) = &self.works_from_here {
            let _ = writeln!(o, "## Works from here\n");
            for t in &w.tested {
                let _ = writeln!(o, "- Tested: {}", md(t));
            }
            for d in &w.differences {
                let _ = writeln!(o, "- Not the same as in your browser: {}", md(d));
            }
            let ids: Vec<&str> = w.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "\nActions: {}\n", ids.join(", "));
        }
        let (routes, browsers) = self.route_rows();
        if routes.len() > 1 || !browsers.is_empty() {
            let _ = writeln!(o, "## Routes\n\n| Route | Got | Taken by |\n|---|---|---|");
            for [route, outcome, who] in &routes {
                let _ = writeln!(o, "| {} | {} | {} |", md(route), md(outcome), md(who));
            }
            let _ = writeln!(o, "\n| Browser | Route | Setting |\n|---|---|---|");
            for [label, route, how] in &browsers {
                let _ = writeln!(o, "| {} | {} | {} |", md(label), md(route), md(how));
            }
            let _ = writeln!(o);
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(
                o,
                "## Redirects\n\n| Status | URL | Location |\n|---|---|---|"
            );
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "| {} | `{}` | `{}` |",
                    r.status.map(|s| s.to_string()).unwrap_or_default(),
                    md(&r.url),
                    md(r.location.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(o);
        }
        for c in &self.challenges {
            let _ = writeln!(o, "## {}\n", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "    {}", truncate(l, 300));
            }
            let _ = writeln!(o);
            for e in &c.explanations {
                let _ = writeln!(o, "- {}", md(e));
            }
            let _ = writeln!(o);
        }
        if !self.headers.is_empty() {
            let _ = writeln!(o, "## Response headers\n\n```");
            for h in &self.headers {
                let _ = writeln!(
                    o,
                    "{}: {}",
                    h.name,
                    truncate(&h.value, 300).replace("```", "'''")
                );
            }
            let _ = writeln!(o, "```");
        }
        o
    }
}
