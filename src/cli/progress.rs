//! Renders the repair pipeline's events: a spinner with the current step on a terminal,
//! plain lines otherwise (logs of help-desk scripts).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use fix401::api::{Event, Observer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The CLI's observer. Everything goes to standard error, so standard output stays the
/// report (or JSON).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner when standard error is a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Runs `f` with the spinner out of the way (prompts).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Between steps the spinner shows no stale label.
    fn idle(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message("");
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event) {
        match event {
            Event::Started { label, .. } => match &self.bar {
                Some(bar) => bar.set_message(format!("{label}…")),
                None => self.line(format!("… {label}")),
            },
            Event::Progress {
                step,
                done,
                total,
                message,
            } => {
                let count = total.map_or(String::new(), |t| format!(" ({}/{t})", done + 1));
                match &self.bar {
                    Some(bar) => bar.set_message(format!("{}{count}: {message}", step.label())),
                    None => self.line(format!("  {}{count}: {message}", step.label())),
                }
            }
            Event::Done { step, message } => {
                self.line(format!("✓ {}: {message}", step.label()));
                self.idle();
            }
            Event::Failed { step, error } => {
                self.line(format!("✗ {}: {error}", step.label()));
                self.idle();
            }
        }
    }
}
