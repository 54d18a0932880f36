//! The one progress interface of the repair pipeline.
//!
//! Every step reports `started`, any number of `progress`, then `done` or `failed`. The CLI
//! renders these events with a progress bar; the desktop app serializes them (JSON) and
//! streams them to its page. Events never carry secrets: messages are written for people and
//! name cookies, files and commands, never cookie values or typed credentials.

use serde::Serialize;

/// The steps of the pipeline, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Re-test the URL and explain the answer.
    Diagnose,
    /// Re-test once more with the cookies the browsers hold (consent required).
    ProveSiteData,
    /// Look for a cached error response in the browsers' HTTP caches.
    CacheLookup,
    /// Work out exactly what would be touched.
    Plan,
    /// Ask the person.
    Consent,
    /// Flush the DNS caches.
    FlushDns,
    /// Close running browsers gracefully so their stores can be changed.
    CloseBrowser,
    /// Clear the site's cookies and cache (backup first).
    ClearSiteData,
    /// Re-test with the corrected URL.
    FixUrl,
    /// Let a browser send the Kerberos ticket to the site (backup first).
    AllowNegotiate,
    /// Probe again after the fixes.
    Retest,
    /// Reopen the URL in the default browser.
    ReopenBrowser,
    /// Save the report.
    Report,
}

impl Step {
    /// A short label for progress displays.
    pub fn label(self) -> &'static str {
        match self {
            Step::Diagnose => "Testing the address",
            Step::ProveSiteData => "Testing with your browser's cookies",
            Step::CacheLookup => "Looking for a cached error page",
            Step::Plan => "Planning the repair",
            Step::Consent => "Asking for your consent",
            Step::FlushDns => "Flushing the DNS cache",
            Step::CloseBrowser => "Closing the browser",
            Step::ClearSiteData => "Clearing the site's data",
            Step::AllowNegotiate => "Allowing the browser to sign you in",
            Step::FixUrl => "Trying the corrected address",
            Step::Retest => "Testing again",
            Step::ReopenBrowser => "Reopening the page",
            Step::Report => "Writing the report",
        }
    }
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A step began. `total` is the number of units of work when known.
    Started {
        /// Which step.
        step: Step,
        /// What is being done, in plain words.
        label: String,
        /// Units of work expected, when known.
        total: Option<u64>,
    },
    /// A step made progress.
    Progress {
        /// Which step.
        step: Step,
        /// Units done so far.
        done: u64,
        /// Units expected, when known.
        total: Option<u64>,
        /// What is being done right now.
        message: String,
    },
    /// A step finished; `message` says what came of it.
    Done {
        /// Which step.
        step: Step,
        /// The outcome, in plain words.
        message: String,
    },
    /// A step failed; the pipeline carries on where it safely can.
    Failed {
        /// Which step.
        step: Step,
        /// What went wrong and what to do.
        error: String,
    },
}

impl Event {
    /// The step the event belongs to.
    pub fn step(&self) -> Step {
        match self {
            Event::Started { step, .. }
            | Event::Progress { step, .. }
            | Event::Done { step, .. }
            | Event::Failed { step, .. } => *step,
        }
    }
}

/// Receives the pipeline's progress events.
pub trait Observer: Send + Sync {
    /// Called for every event, in order, from the thread running the pipeline.
    fn event(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> Observer for F {
    fn event(&self, event: &Event) {
        self(event)
    }
}

/// Ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullObserver;

impl Observer for NullObserver {
    fn event(&self, _event: &Event) {}
}

/// Keeps every event, for the pipeline's tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Recorder(std::sync::Mutex<Vec<Event>>);

#[cfg(test)]
impl Recorder {
    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
impl Observer for Recorder {
    fn event(&self, event: &Event) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.clone());
        }
    }
}

/// Helpers so the pipeline reports each step in one line.
pub(crate) struct Reporter<'a>(pub &'a dyn Observer);

impl Reporter<'_> {
    pub(crate) fn started(&self, step: Step, total: Option<u64>) {
        self.0.event(&Event::Started {
            step,
            label: step.label().to_string(),
            total,
        });
    }

    pub(crate) fn progress(&self, step: Step, done: u64, total: Option<u64>, message: String) {
        self.0.event(&Event::Progress {
            step,
            done,
            total,
            message,
        });
    }

    pub(crate) fn done(&self, step: Step, message: impl Into<String>) {
        self.0.event(&Event::Done {
            step,
            message: message.into(),
        });
    }

    pub(crate) fn failed(&self, step: Step, error: impl Into<String>) {
        self.0.event(&Event::Failed {
            step,
            error: error.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_a_tag_and_kebab_steps() {
        let e = Event::Done {
            step: Step::ClearSiteData,
            message: "ok".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "done");
        assert_eq!(v["step"], "clear-site-data");
    }

    #[test]
    fn closures_are_observers() {
        let seen = std::sync::Mutex::new(0);
        let obs = |_: &Event| *seen.lock().unwrap() += 1;
        Reporter(&obs).started(Step::Diagnose, None);
        assert_eq!(*seen.lock().unwrap(), 1);
    }
}
