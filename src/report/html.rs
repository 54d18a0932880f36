//! The HTML form of a [`Report`]: one self-contained page.

use std::fmt::Write as _;

use super::*;

impl Report {
    /// A self-contained HTML page (inline style, no scripts, no external resources).
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <title>fix401 diagnosis</title><style>\
             body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}}\
             h1{{font-size:1.6em}} .headline{{font-size:1.4em;font-weight:bold;color:{}}}\
             table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}\
             code,pre{{font-family:ui-monospace,monospace;font-size:.9em}} .ev{{color:#555}}\
             </style></head><body>\n",
            match self.outcome.tone {
                crate::diagnosis::Tone::Good => "#176f2c",
                crate::diagnosis::Tone::Warn => "#8a5300",
                crate::diagnosis::Tone::Bad => "#a4161a",
                crate::diagnosis::Tone::Neutral => "#222",
            }
        );
        let _ = writeln!(o, "<h1>fix401 diagnosis</h1>");
        let _ = writeln!(o, "<p class=\"headline\">{}</p>", esc(&self.headline));
        if let Some(step) = &self.outcome.first_step {
            let _ = writeln!(o, "<p>What to do first: {}</p>", esc(step));
        }
        let _ = writeln!(o, "<table>");
        // Rows that would only repeat the URL or say nothing are left out.
        let final_url = (self.final_url != self.url).then(|| self.final_url.clone());
        let addresses = (!self.resolved.is_empty()).then(|| self.resolved.join(", "));
        for (k, v) in [
            ("URL", Some(self.url.clone())),
            ("Final URL", final_url),
            ("Tested", Some(self.tested_at.clone())),
            ("Status", Some(self.status_shown().to_string())),
            (
                "Verdict",
                Some(format!("{} ({})", self.outcome.verdict_words, self.verdict)),
            ),
            ("Addresses", addresses),
            ("Timings", Some(self.timings_line())),
            ("Proxy", self.proxy.clone()),
            ("fix401", Some(self.fix401_version.to_string())),
        ] {
            let Some(v) = v else { continue };
            let _ = writeln!(o, "<tr><th>{k}</th><td><code>{}</code></td></tr>", esc(&v));
        }
        let _ = writeln!(o, "</table>\n<h2>Findings</h2>");
        for f in &self.findings {
            let _ = writeln!(
                o,
                "<h3><code>{}</code> ({})</h3><p>{}</p><ul class=\"ev\">",
                f.cause.id(),
                conf_id(f.confidence),
                esc(&f.summary)
            );
            for e in &f.evidence {
                let _ = writeln!(o, "<li><code>{}</code></li>", esc(e));
            }
            let ids: Vec<&str> = f.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "</ul><p>Actions: {}</p>", esc(&ids.join(", ")));
        }
        if let Some(w) = &self.works_from_here {
            let _ = writeln!(o, "<h2>Works from here</h2><ul class=\"ev\">");
            for t in &w.tested {
                let _ = writeln!(o, "<li>Tested: {}</li>", esc(t));
            }
            for d in &w.differences {
                let _ = writeln!(o, "<li>Not the same as in your browser: {}</li>", esc(d));
            }
            let ids: Vec<&str> = w.actions.iter().map(|a| a.id()).collect();
            let _ = writeln!(o, "</ul><p>Actions: {}</p>", esc(&ids.join(", ")));
        }
        let (routes, browsers) = self.route_rows();
        if routes.len() > 1 || !browsers.is_empty() {
            let _ = writeln!(
                o,
                "<h2>Routes</h2><table><tr><th>Route</th><th>Got</th><th>Taken by</th></tr>"
            );
            for row in routes.iter().chain(&browsers) {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&row[0]),
                    esc(&row[1]),
                    esc(&row[2])
                );
            }
            let _ = writeln!(o, "</table>");
        }
        if self.redirects.len() > 1 {
            let _ = writeln!(
                o,
                "<h2>Redirects</h2><table><tr><th>Status</th><th>URL</th><th>Location</th></tr>"
            );
            for r in &self.redirects {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    r.status.map(|s| s.to_string()).unwrap_or_default(),
                    esc(&r.url),
                    esc(r.location.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(o, "</table>");
        }
        for c in &self.challenges {
            let _ = writeln!(o, "<h2>{}</h2><pre>", header_title(&c.header));
            for l in &c.lines {
                let _ = writeln!(o, "{}", esc(&truncate(l, 300)));
            }
            let _ = writeln!(o, "</pre><ul>");
            for e in &c.explanations {
                let _ = writeln!(o, "<li>{}</li>", esc(e));
            }
            let _ = writeln!(o, "</ul>");
        }
        if !self.headers.is_empty() {
            let _ = writeln!(o, "<h2>Response headers</h2><pre>");
            for h in &self.headers {
                let _ = writeln!(o, "{}: {}", esc(&h.name), esc(&truncate(&h.value, 300)));
            }
            let _ = writeln!(o, "</pre>");
        }
        let _ = writeln!(o, "</body></html>");
        o
    }
}
