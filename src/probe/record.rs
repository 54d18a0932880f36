//! Keeping every re-test's evidence for a caller that asks for it (the HAR export): a check
//! makes several re-tests (fix401's own, one per browser route, a PAC fetch) and the fix
//! pipeline several checks (before, the cookie test, after), none of which hand their
//! evidence up whole. Rather than thread a log through every stage, the caller opens a
//! recording around the work and [`super::run`] adds each evidence it produces.
//!
//! The recording is a tokio task-local: it follows the future it wraps across threads, and
//! [`recording_sync`] covers synchronous work that runs its own current-thread runtimes on
//! the calling thread (the fix pipeline). Outside a recording nothing is kept. The evidence
//! is the probe's own, already redacted where each secret entered it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use super::Evidence;

tokio::task_local! {
    static LOG: Arc<Mutex<Vec<Evidence>>>;
}

/// Runs `fut`, returning its output and the evidence of every re-test it made, in the
/// order they finished.
pub async fn recording<F: Future>(fut: F) -> (F::Output, Vec<Evidence>) {
    let log: Arc<Mutex<Vec<Evidence>>> = Arc::default();
    let out = LOG.scope(log.clone(), fut).await;
    (out, take(&log))
}

/// [`recording`] for synchronous work that blocks on its own runtimes on this thread.
pub fn recording_sync<R>(f: impl FnOnce() -> R) -> (R, Vec<Evidence>) {
    let log: Arc<Mutex<Vec<Evidence>>> = Arc::default();
    let out = LOG.sync_scope(log.clone(), f);
    (out, take(&log))
}

fn take(log: &Mutex<Vec<Evidence>>) -> Vec<Evidence> {
    log.lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default()
}

/// Adds `ev` to the recording in force, if any.
pub(super) fn note(ev: &Evidence) {
    let _ = LOG.try_with(|log| {
        if let Ok(mut v) = log.lock() {
            v.push(ev.clone());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence::default()
    }

    #[test]
    fn har_recording_keeps_only_what_runs_inside_it() {
        note(&evidence());
        let ((), kept) = recording_sync(|| {
            note(&evidence());
            // A runtime of its own on this thread, as the fix pipeline starts.
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(async { note(&evidence()) });
        });
        assert_eq!(kept.len(), 2);
        let ((), none) = recording_sync(|| {});
        assert!(
            none.is_empty(),
            "nothing leaks from one recording to the next"
        );
    }
}
