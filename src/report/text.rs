//! The plain-text form of a [`Report`], for a terminal.

use std::fmt::Write as _;

use super::*;

impl Report {
    /// Plain text for a terminal, coloured when `color`.
    pub fn to_text(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut o = String::new();
        let head_color = match self.outcome.tone {
            crate::diagnosis::Tone::Good => "1;32",
            crate::diagnosis::Tone::Warn => "1;33",
            crate::diagnosis::Tone::Bad => "1;31",
            crate::diagnosis::Tone::Neutral => "1",
        };
        let _ = writeln!(o, "{}", paint(head_color, &self.headline));
        if let Some(step) = &self.outcome.first_step {
            let _ = writeln!(o, "What to do first: {step}");
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "URL:       {}", self.url);
        if self.final_url != self.url {
            let _ = writeln!(o, "Final URL: {}", self.final_url);
        }
        let _ = writeln!(
            o,
            "Status:    {}  (verdict: {}: {})",
            self.status_shown(),
            self.verdict,
            self.outcome.verdict_words
        );
        if !self.resolved.is_empty() {
            let _ = writeln!(o, "Addresses: {}", self.resolved.join(", "));
        }
        if let Some(p) = &self.proxy {
            let _ = writeln!(o, "Proxy:     {p}");
        }
        let _ = writeln!(o, "Timings:   {}", self.timings_line());
        for n in &self.url_notes {
            let _ = writeln!(o, "Note:      {}", n.message);
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(o, "\nRedirects:");
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "  {} {}{}",
                    r.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "---".into()),
                    r.url,
                    r.location
                        .as_ref()
                        .map(|l| format!(" → {l}"))
                        .unwrap_or_default()
                );
            }
        }
        let (routes, browsers) = self.route_rows();
        if routes.len() > 1 || !browsers.is_empty() {
            let _ = writeln!(o, "\nRoutes:");
            for [route, outcome, who] in &routes {
                let _ = writeln!(o, "  {route}: {outcome}  ({who})");
            }
            for [label, route, how] in &browsers {
                let _ = writeln!(o, "  {label} → {route}: {how}");
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(o, "\nFindings:");
        }
        for f in &self.findings {
            let conf = conf_id(f.confidence);
            let _ = writeln!(
                o,
                "  {} {} ({conf})",
                paint("1", "•"),
                paint("1", f.cause.id())
            );
            let _ = writeln!(o, "    {}", f.summary);
            for e in &f.evidence {
                let _ = writeln!(o, "    {} {e}", paint("2", "│"));
            }
            if !f.actions.is_empty() {
                let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
                let _ = writeln!(o, "    actions: {}", ids.join(", "));
            }
        }
        if let Some(w) = &self.works_from_here {
            let _ = writeln!(o, "\nWorks from here:");
            for t in &w.tested {
                let _ = writeln!(o, "  Tested: {t}");
            }
            for d in &w.differences {
                let _ = writeln!(o, "  Not the same as in your browser: {d}");
            }
            if !w.actions.is_empty() {
                let ids: Vec<&str> = w.actions.iter().map(|a| a.id()).collect();
                let _ = writeln!(o, "  actions: {}", ids.join(", "));
            }
        }
        if let Some(why) = &self.site_data_ruled_out {
            let _ = writeln!(o, "\nRuled out: clearing the site's data — {why}.");
        }
        for c in &self.challenges {
            let _ = writeln!(o, "\n{}:", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "  {}", truncate(l, 300));
            }
            for e in &c.explanations {
                let _ = writeln!(o, "  → {e}");
            }
        }
        o
    }
}
