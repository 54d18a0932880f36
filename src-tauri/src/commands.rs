//! The commands the page may call (each one listed in `build.rs` and allowed by
//! `capabilities/default.json`). Each is a thin wrapper over [`fix401::api`].

use fix401::api::{
    self, BackupSummary, BrowserChoice, Bundle, Closed, Config, DiagnoseOptions, Event, FixReport,
    FlushAndRetest, Observer, Opened, Plan, Report, ReportDestination, Restarted, Shown, Undone,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::Dialog;

use crate::{AppState, CmdResult, internal};

/// Streams pipeline events to the page.
struct ChannelObserver(Channel<Event>);

impl Observer for ChannelObserver {
    fn event(&self, event: &Event) {
        // A closed page is no reason to stop a repair half-way.
        let _ = self.0.send(event.clone());
    }
}

/// Runs `work` on the app's machine off the async runtime (store and process work blocks).
async fn on_system<T, F>(state: &State<'_, AppState>, work: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce(&fix401::System) -> fix401::Result<T> + Send + 'static,
{
    let sys = state.sys.clone();
    tauri::async_runtime::spawn_blocking(move || work(&sys))
        .await
        .map_err(internal)?
        .map_err(Into::into)
}

/// The URL the app was started with (taken once).
#[tauri::command]
pub fn startup_url(state: State<'_, AppState>) -> Option<String> {
    state.startup_url.lock().ok().and_then(|mut u| u.take())
}

/// The help-desk configuration: preset URLs, actions not offered, the support contact.
/// A bad configuration file reaches the page as a `bad_file` error naming its line.
/// Run off the main thread (`async`): reading the files must never hold up painting.
#[tauri::command(async)]
pub fn settings(state: State<'_, AppState>) -> CmdResult<Config> {
    api::settings(&state.sys).map_err(Into::into)
}

/// Re-tests `url` and explains the answer.
#[tauri::command]
pub async fn check(
    state: State<'_, AppState>,
    url: String,
    on_event: Channel<Event>,
) -> CmdResult<Report> {
    let obs = ChannelObserver(on_event);
    let report = api::check_reporting(&state.sys, &url, &obs).await?;
    state.remember(Shown::Check(Box::new(report.clone())));
    Ok(report)
}

/// Flushes the DNS caches, then re-tests `url`.
#[tauri::command]
pub async fn flush_dns_retry(
    state: State<'_, AppState>,
    url: String,
    on_event: Channel<Event>,
) -> CmdResult<FlushAndRetest> {
    let obs = ChannelObserver(on_event);
    let r = api::flush_dns_and_retest(&state.sys, &url, &obs).await?;
    state.remember(Shown::Flush(Box::new(r.clone())));
    Ok(r)
}

/// The browsers installed, with profiles and whether they run.
#[tauri::command]
pub async fn list_browsers(state: State<'_, AppState>) -> CmdResult<Vec<BrowserChoice>> {
    on_system(&state, api::browsers).await
}

/// What clearing `url`'s site would remove, per browser and profile (never cookie values).
#[tauri::command]
pub async fn site_plan(state: State<'_, AppState>, url: String) -> CmdResult<Plan> {
    on_system(&state, move |sys| api::site_plan(sys, &url)).await
}

/// Closes the given running browsers gracefully.
#[tauri::command]
pub async fn close_browsers(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> CmdResult<Vec<Closed>> {
    on_system(&state, move |sys| api::close_browsers(sys, &ids)).await
}

/// Clears the site's data in the chosen browsers (all when empty), then re-tests.
#[tauri::command]
pub async fn fix_site(
    state: State<'_, AppState>,
    url: String,
    browsers: Vec<String>,
    on_event: Channel<Event>,
) -> CmdResult<FixReport> {
    let report = on_system(&state, move |sys| {
        api::fix_site_and_retest(sys, &url, &browsers, &ChannelObserver(on_event))
    })
    .await?;
    state.remember(Shown::Fix(Box::new(report.clone())));
    Ok(report)
}

/// Puts the newest clear back exactly.
#[tauri::command]
pub async fn undo(state: State<'_, AppState>) -> CmdResult<Undone> {
    on_system(&state, api::undo_last).await
}

/// The clear that Undo would put back, if any (the window offers Undo only then).
#[tauri::command]
pub async fn undo_available(state: State<'_, AppState>) -> CmdResult<Option<BackupSummary>> {
    on_system(&state, api::last_undoable).await
}

/// Opens the page in the person's default browser (http and https only).
#[tauri::command]
pub async fn open_page(state: State<'_, AppState>, url: String) -> CmdResult<Opened> {
    on_system(&state, move |sys| api::open_page(sys, &url)).await
}

/// Closes every open browser gracefully, then opens the page again in the default browser.
#[tauri::command]
pub async fn restart_browsers(state: State<'_, AppState>, url: String) -> CmdResult<Restarted> {
    on_system(&state, move |sys| api::restart_browsers(sys, &url)).await
}

fn last_markdown(state: &AppState) -> CmdResult<String> {
    let last = state.last.lock().map_err(internal)?.clone();
    match last {
        None => {
            Err(fix401::Error::BadInput("there is no result yet: press Check first".into()).into())
        }
        Some(shown) => Ok(shown.to_markdown()),
    }
}

/// The last result as a Markdown report (redacted), for the clipboard.
#[tauri::command]
pub fn report_text(state: State<'_, AppState>) -> CmdResult<String> {
    last_markdown(&state)
}

/// Saves the last result as a Markdown report and returns its path: straight into the help
/// desk's `reports_dir` when the configuration sets one, else where the person chooses in a
/// save dialog (`None` when they cancel). The dialog is opened from here, never by the page:
/// the page gets no dialog or file-system permission.
#[tauri::command]
pub async fn save_report<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<Option<String>> {
    let text = last_markdown(&state)?;
    let path = match api::report_destination(&state.sys)? {
        ReportDestination::Folder(dir) => api::save_report_in(&dir, &text)?,
        ask => {
            let Some(path) =
                ask_where(&app, ask, "Save the fix401 report", "Markdown report", "md")?
            else {
                return Ok(None);
            };
            api::write_report(&path, &text)?;
            path
        }
    };
    Ok(Some(path.display().to_string()))
}

/// "Save for support…": re-tests `url` recording every request, then writes one zip (the
/// reports, the HAR and `environment.json`, see [`api::bundle`]) into the help desk's
/// `reports_dir`, else where the person chooses in a save dialog (`None` when they cancel).
#[tauri::command]
pub async fn save_bundle<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
) -> CmdResult<Option<Bundle>> {
    let path = match api::support_destination(&state.sys)? {
        ReportDestination::Folder(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| fix401::Error::io(format!("cannot create {}", dir.display()), e))?;
            api::new_file_in(&dir, "fix401-support", "zip")
        }
        ask => match ask_where(&app, ask, "Save the file for support", "Zip archive", "zip")? {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let (_, bundle) = api::bundle(&state.sys, &url, &DiagnoseOptions::default(), &path).await?;
    Ok(Some(bundle))
}

/// The native save dialog, modal over the window, starting where `ask` says; `None` when
/// the person cancels. Opened from here, never by the page.
fn ask_where<R: Runtime>(
    app: &AppHandle<R>,
    ask: ReportDestination,
    title: &str,
    filter: &str,
    extension: &str,
) -> CmdResult<Option<std::path::PathBuf>> {
    let ReportDestination::Ask { folder, file_name } = ask else {
        return Err(internal("no dialog needed for a configured folder"));
    };
    let Some(dialog) = app.try_state::<Dialog<R>>() else {
        return Err(internal("the save dialog is not available"));
    };
    let mut builder = dialog.file();
    if let Some(window) = app.get_webview_window("main") {
        builder = builder.set_parent(&window);
    }
    let picked = builder
        .set_title(title)
        .set_directory(folder)
        .set_file_name(file_name)
        .add_filter(filter, &[extension])
        .blocking_save_file();
    match picked {
        None => Ok(None),
        Some(p) => Ok(Some(p.into_path().map_err(internal)?)),
    }
}
