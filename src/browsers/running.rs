//! Is a browser running? Lock objects first, processes second (§3 of the reference).
//!
//! Existence proves little: Chromium's `SingletonLock` survives a crash (so the pid it
//! names must be alive), Firefox's `.parentlock` is never deleted (so the `fcntl` lock on
//! it must be tested with `F_GETLK`, which reports a holder without taking the lock) and
//! its `lock` symlink survives even a clean exit. A stale lock is not "running".

use std::path::{Path, PathBuf};

use super::catalog::{LockRule, Packaging, ProcessNames};
use super::{Installation, RunningState};
use crate::system::{Os, System};

/// What one lock object says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// No lock object.
    Absent,
    /// The lock object exists but nobody holds it (a crash or clean-exit leftover).
    Stale(String),
    /// A live holder: the evidence.
    Held(String),
    /// It exists but cannot be tested here: why.
    Inconclusive(String),
}

/// Whether `inst` runs now: a held lock → running; otherwise a process of this browser
/// that belongs to this home → running; inconclusive locks and no process → unknown.
pub fn running_state(sys: &System, inst: &Installation) -> RunningState {
    let Some(spec) = inst.spec() else {
        return RunningState::Unknown {
            why: format!("{} is not in the catalog", inst.id),
        };
    };
    let mut doubts = Vec::new();
    for rule in spec.lock_rules(sys.os) {
        for path in lock_paths(*rule, inst) {
            match test_lock(sys, *rule, &path, inst.packaging) {
                LockState::Held(evidence) => return RunningState::Running { evidence },
                LockState::Inconclusive(why) => doubts.push(why),
                LockState::Absent | LockState::Stale(_) => {}
            }
        }
    }
    if let Some(evidence) = process_evidence(sys, inst, &spec.processes) {
        return RunningState::Running { evidence };
    }
    // The process list settles a doubtful lock only when it is this machine's list for a
    // home of this OS (a sandboxed browser's processes are visible from the host).
    let list_is_meaningful = sys.live || sys.os == Os::current();
    if doubts.is_empty() || list_is_meaningful {
        RunningState::NotRunning
    } else {
        RunningState::Unknown {
            why: doubts.join("; "),
        }
    }
}

/// The lock objects of one rule for this installation.
fn lock_paths(rule: LockRule, inst: &Installation) -> Vec<PathBuf> {
    match rule {
        LockRule::SingletonLock => inst
            .data_dirs
            .iter()
            .map(|d| d.join("SingletonLock"))
            .collect(),
        LockRule::WindowsLockfile => inst.data_dirs.iter().map(|d| d.join("lockfile")).collect(),
        LockRule::ParentLockFcntl => inst
            .profiles
            .iter()
            .map(|p| p.dir.join(".parentlock"))
            .collect(),
        LockRule::LockSymlink => inst.profiles.iter().map(|p| p.dir.join("lock")).collect(),
        LockRule::WindowsParentLock => inst
            .profiles
            .iter()
            .map(|p| p.dir.join("parent.lock"))
            .collect(),
    }
}

/// Tests one lock object.
pub fn test_lock(sys: &System, rule: LockRule, path: &Path, packaging: Packaging) -> LockState {
    if std::fs::symlink_metadata(path).is_err() {
        return LockState::Absent;
    }
    match rule {
        LockRule::SingletonLock => singleton_lock(path, packaging),
        LockRule::LockSymlink => {
            // `lock` survives a clean exit, so only a live pid counts; `.parentlock` is
            // tested first and decides whenever it exists.
            if std::fs::symlink_metadata(path.with_file_name(".parentlock")).is_ok() {
                return LockState::Absent;
            }
            firefox_lock_symlink(path)
        }
        LockRule::ParentLockFcntl => fcntl_lock(path),
        LockRule::WindowsLockfile => windows_lockfile(sys, path),
        LockRule::WindowsParentLock => windows_parent_lock(sys, path),
    }
}

/// `SingletonLock` → `<hostname>-<pid>`, split at the last `-`.
fn singleton_lock(path: &Path, packaging: Packaging) -> LockState {
    let target = match std::fs::read_link(path) {
        Ok(t) => t.to_string_lossy().into_owned(),
        Err(e) => {
            return LockState::Inconclusive(format!(
                "{} exists but is not a readable link ({e})",
                path.display()
            ));
        }
    };
    let Some((host, pid)) = target.rsplit_once('-') else {
        return LockState::Inconclusive(format!("{} → {target:?}: not host-pid", path.display()));
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return LockState::Inconclusive(format!("{} → {target:?}: bad pid", path.display()));
    };
    let here = hostname();
    match here {
        Some(h) if h == host => {}
        Some(_) => {
            return LockState::Held(format!(
                "{} is held by process {pid} on another computer ({host})",
                path.display()
            ));
        }
        None => {
            return LockState::Inconclusive(format!(
                "{}: this computer's name is unknown, cannot tell whether {host} is this one",
                path.display()
            ));
        }
    }
    match pid_alive(pid) {
        Some(true) => LockState::Held(format!("{} is held by live process {pid}", path.display())),
        Some(false) if packaging == Packaging::Flatpak => {
            // A flatpak runs in its own pid namespace: the pid may not be a host pid.
            LockState::Inconclusive(format!(
                "{} names process {pid} of a flatpak sandbox, which this computer cannot check",
                path.display()
            ))
        }
        Some(false) => LockState::Stale(format!(
            "{} names process {pid}, which is gone (left by a crash)",
            path.display()
        )),
        None => LockState::Inconclusive(format!(
            "{}: cannot check process {pid} on this OS",
            path.display()
        )),
    }
}

/// Firefox `lock` → `<ip>:+<pid>`.
fn firefox_lock_symlink(path: &Path) -> LockState {
    let Ok(target) = std::fs::read_link(path) else {
        return LockState::Absent;
    };
    let target = target.to_string_lossy().into_owned();
    let Some(pid) = target
        .rsplit_once('+')
        .and_then(|(_, p)| p.parse::<u32>().ok())
    else {
        return LockState::Inconclusive(format!("{} → {target:?}: no pid", path.display()));
    };
    match pid_alive(pid) {
        Some(true) => LockState::Held(format!("{} names live process {pid}", path.display())),
        Some(false) => LockState::Stale(format!("{} names a finished process", path.display())),
        None => LockState::Inconclusive(format!("cannot check process {pid}")),
    }
}

/// Firefox `.parentlock`: is a conflicting `fcntl` lock held? (`F_GETLK` only asks.)
#[cfg(unix)]
fn fcntl_lock(path: &Path) -> LockState {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => {
            return LockState::Inconclusive(format!("{}: cannot open ({e})", path.display()));
        }
    };
    // SAFETY: a zeroed `flock` is a valid value; fcntl only reads/writes that struct.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as _;
    fl.l_whence = libc::SEEK_SET as _;
    fl.l_start = 0;
    fl.l_len = 0;
    // SAFETY: valid fd owned by `file`, pointer to a live `flock`.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) };
    if rc == -1 {
        return LockState::Inconclusive(format!(
            "{}: cannot test the lock ({})",
            path.display(),
            std::io::Error::last_os_error()
        ));
    }
    if i32::from(fl.l_type) == libc::F_UNLCK {
        LockState::Stale(format!("{} exists but is not locked", path.display()))
    } else {
        LockState::Held(format!(
            "{} is locked by process {}",
            path.display(),
            fl.l_pid
        ))
    }
}

#[cfg(not(unix))]
fn fcntl_lock(path: &Path) -> LockState {
    // A macOS/Linux home examined from Windows: nobody there can hold the lock now.
    LockState::Stale(format!(
        "{} cannot be held from this computer",
        path.display()
    ))
}

/// Chromium on Windows: `lockfile` exists only while the browser runs (delete-on-close).
fn windows_lockfile(sys: &System, path: &Path) -> LockState {
    if cfg!(windows) && sys.os == Os::Windows {
        match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(_) => LockState::Stale(format!("{} is not held", path.display())),
            Err(_) => LockState::Held(format!("{} is held open", path.display())),
        }
    } else {
        LockState::Held(format!(
            "{} exists (Chromium keeps it only while it runs)",
            path.display()
        ))
    }
}

/// Firefox on Windows: `parent.lock` is never deleted; only an open with share mode 0 tells.
fn windows_parent_lock(sys: &System, path: &Path) -> LockState {
    #[cfg(windows)]
    if sys.os == Os::Windows {
        use std::os::windows::fs::OpenOptionsExt;
        return match std::fs::OpenOptions::new()
            .read(true)
            .share_mode(0)
            .open(path)
        {
            Ok(_) => LockState::Stale(format!("{} is not held", path.display())),
            Err(e) if e.raw_os_error() == Some(32) => {
                LockState::Held(format!("{} is held open", path.display()))
            }
            Err(e) => LockState::Inconclusive(format!("{}: {e}", path.display())),
        };
    }
    let _ = sys;
    // A Windows home examined from another OS (a mounted disk): nothing there runs now.
    LockState::Stale(format!(
        "{} cannot be held on a disk examined from another OS",
        path.display()
    ))
}

/// `Some(true)` when a process with this pid exists on this computer.
#[cfg(unix)]
pub fn pid_alive(pid: u32) -> Option<bool> {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return Some(false);
    };
    if pid <= 0 {
        return Some(false);
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    if rc == 0 {
        return Some(true);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EPERM) => Some(true),
        Some(libc::ESRCH) => Some(false),
        _ => None,
    }
}

/// `Some(true)` when a process with this pid exists on this computer.
#[cfg(not(unix))]
pub fn pid_alive(_pid: u32) -> Option<bool> {
    None
}

/// This computer's host name, as Chromium writes it into `SingletonLock`.
#[cfg(unix)]
pub fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its whole length.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}

/// This computer's host name, as Chromium writes it into `SingletonLock`.
#[cfg(not(unix))]
pub fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

/// A process of this browser that runs for this home, as evidence.
fn process_evidence(sys: &System, inst: &Installation, spec: &ProcessNames) -> Option<String> {
    let names = spec.on(sys.os);
    if names.is_empty() {
        return None;
    }
    let me = std::process::id();
    for proc in sys.processes.processes() {
        if proc.pid == me || !names.iter().any(|n| proc.name == *n) {
            continue;
        }
        // A shared name (`chrome`): the executable's folder tells which browser it is.
        if sys.os == Os::Linux
            && !spec.exe_dirs.is_empty()
            && let Some(exe) = proc.exe.as_ref().and_then(|e| e.to_str())
            && !spec.exe_dirs.iter().any(|d| exe.contains(d))
        {
            continue;
        }
        if belongs_elsewhere(sys, inst, proc.pid) {
            continue;
        }
        return Some(format!("process {} ({}) is running", proc.name, proc.pid));
    }
    None
}

/// True when the process provably works on another home or profile folder (Linux: its
/// command line names a profile folder outside this installation, or its `HOME` is another
/// folder). Anything unreadable counts as "may be ours".
fn belongs_elsewhere(sys: &System, inst: &Installation, pid: u32) -> bool {
    if !cfg!(target_os = "linux") || sys.os != Os::Linux {
        return false;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match std::fs::read(proc_dir.join("cmdline")) {
        // Gone since the list was taken, or a zombie (empty command line): holds nothing.
        Err(_) if !proc_dir.exists() => return true,
        Ok(raw) if raw.is_empty() => return true,
        _ => {}
    }
    if let Ok(raw) = std::fs::read(proc_dir.join("cmdline")) {
        let mut args: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.len() == 1 {
            // Chromium's helpers rewrite their title into one space-separated string.
            args = args[0].split(' ').map(String::from).collect();
        }
        // Helper processes (Chromium `--type=renderer|gpu-process|utility…`, Firefox
        // `-contentproc`) live and die with their main process, which decides; they also
        // run with an empty environment, so they could never be tied to a home.
        if args
            .iter()
            .any(|a| a.starts_with("--type=") || a == "-contentproc")
        {
            return true;
        }
        let mut dir: Option<String> = None;
        for (i, a) in args.iter().enumerate() {
            if let Some(v) = a.strip_prefix("--user-data-dir=") {
                dir = Some(v.to_string());
            } else if a == "--user-data-dir" || a == "-profile" || a == "--profile" {
                dir = args.get(i + 1).cloned();
            }
        }
        if let Some(d) = dir {
            let d = canon(Path::new(&d));
            let mine = inst
                .roots
                .iter()
                .chain(inst.profiles.iter().map(|p| &p.dir))
                .any(|r| d.starts_with(canon(r)));
            return !mine;
        }
    }
    if let Ok(raw) = std::fs::read(proc_dir.join("environ")) {
        for var in raw.split(|b| *b == 0) {
            if let Some(home) = var.strip_prefix(b"HOME=") {
                let home = PathBuf::from(String::from_utf8_lossy(home).into_owned());
                return canon(&home) != canon(&sys.home);
            }
        }
    }
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn own_pid_is_alive_and_a_huge_pid_is_not() {
        assert_eq!(pid_alive(std::process::id()), Some(true));
        assert_eq!(pid_alive(u32::MAX), Some(false));
        assert!(hostname().is_some_and(|h| !h.is_empty()));
    }

    #[test]
    fn singleton_lock_live_dead_and_foreign() {
        let t = tempfile::tempdir().unwrap();
        let lock = t.path().join("SingletonLock");
        let host = hostname().unwrap();
        std::os::unix::fs::symlink(format!("{host}-{}", std::process::id()), &lock).unwrap();
        assert!(matches!(
            singleton_lock(&lock, Packaging::Native),
            LockState::Held(_)
        ));
        std::fs::remove_file(&lock).unwrap();
        std::os::unix::fs::symlink(format!("{host}-{}", i32::MAX), &lock).unwrap();
        assert!(matches!(
            singleton_lock(&lock, Packaging::Native),
            LockState::Stale(_)
        ));
        std::fs::remove_file(&lock).unwrap();
        std::os::unix::fs::symlink("some-other-host-1", &lock).unwrap();
        assert!(matches!(
            singleton_lock(&lock, Packaging::Native),
            LockState::Held(_)
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn processes_count_only_for_their_own_browser_and_home() {
        use crate::system::{FixedProcesses, ProcessInfo};
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let udd = home.join(".config/google-chrome");
        std::fs::create_dir_all(&udd).unwrap();
        let inst = Installation {
            id: "chrome".into(),
            name: "Google Chrome".into(),
            family: crate::browsers::Family::Chromium,
            packaging: Packaging::Native,
            data_dirs: vec![udd.clone()],
            roots: vec![udd],
            profiles: Vec::new(),
            running: RunningState::NotRunning,
            warnings: Vec::new(),
        };
        // A real process (so /proc can be read) that claims to be a browser.
        let spawn = |home: &Path| {
            std::process::Command::new("sleep")
                .arg("1000")
                .env_clear()
                .env("HOME", home)
                .spawn()
                .unwrap()
        };
        let state_with = |pid: u32, exe: &str| {
            let mut sys = System::simulated(Os::Linux, &home);
            sys.processes = std::sync::Arc::new(FixedProcesses(vec![ProcessInfo {
                pid,
                name: "chrome".into(),
                exe: Some(PathBuf::from(exe)),
            }]));
            running_state(&sys, &inst)
        };
        let mut ours = spawn(&home);
        assert!(state_with(ours.id(), "/opt/google/chrome/chrome").is_running());
        // Chrome Beta's `chrome` is not Chrome.
        assert_eq!(
            state_with(ours.id(), "/opt/google/chrome-beta/chrome"),
            RunningState::NotRunning
        );
        let _ = ours.kill();
        let _ = ours.wait();
        // Someone else's Chrome (another HOME) is not this home's.
        let mut theirs = spawn(t.path());
        assert_eq!(
            state_with(theirs.id(), "/opt/google/chrome/chrome"),
            RunningState::NotRunning
        );
        let _ = theirs.kill();
        let _ = theirs.wait();
    }

    #[test]
    fn unlocked_parentlock_is_stale() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(".parentlock");
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(fcntl_lock(&p), LockState::Stale(_)));
    }
}
