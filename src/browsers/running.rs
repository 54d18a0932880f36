//! Is a browser running? Lock objects first, processes second (§3 of the reference).
//!
//! Existence proves little: Chromium's `SingletonLock` survives a crash (so the pid it
//! names must be alive), Firefox's `.parentlock` is never deleted (so the `fcntl` lock on
//! it must be tested with `F_GETLK`, which reports a holder without taking the lock) and
//! its `lock` symlink survives even a clean exit. A stale lock is not "running".
//!
//! A sandboxed browser (flatpak, snap) writes pids of its own pid namespace into its
//! locks, which the host cannot check: such a lock is inconclusive, and the process list
//! decides. A process is tied to an installation by its name, then by what `/proc` says:
//! the profile folder on its command line, its `HOME`, and its sandbox (a flatpak's
//! `/.flatpak-info` and `app-flatpak-<id>-….scope` cgroup, a snap's `/snap/<name>/…`
//! executable and `snap.<name>.…` cgroup). A process with the browser's name that cannot
//! be tied either way keeps an inconclusive lock inconclusive: fix401 then refuses.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::catalog::{self, LockRule, Packaging, ProcessNames};
use super::{Installation, RunningState};
use crate::system::{Os, ProcessInfo, System};

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

/// The processes running now, listed at most once for every installation one look asks
/// about (a `/proc` scan costs milliseconds of system time; each installation reading it
/// again would multiply them), and only when some installation's locks leave it open.
pub struct ProcessList<'a> {
    sys: &'a System,
    listed: std::cell::OnceCell<Vec<ProcessInfo>>,
}

impl<'a> ProcessList<'a> {
    /// A list of `sys`'s processes, not taken yet.
    pub fn new(sys: &'a System) -> Self {
        ProcessList {
            sys,
            listed: std::cell::OnceCell::new(),
        }
    }

    /// The processes, listed on the first call.
    fn get(&self) -> &[ProcessInfo] {
        self.listed.get_or_init(|| self.sys.processes.processes())
    }
}

/// Whether `inst` runs now: a held lock → running; otherwise a process of this browser
/// that belongs to this home → running; an inconclusive lock with a process that may be
/// this browser's, or without a process list to ask → unknown.
pub fn running_state(sys: &System, inst: &Installation) -> RunningState {
    running_state_with(sys, inst, &ProcessList::new(sys))
}

/// Sets the running state of every installation in `installs`, sharing one process list.
pub fn set_running_states(sys: &System, installs: &mut [Installation]) {
    let processes = ProcessList::new(sys);
    for inst in installs {
        inst.running = running_state_with(sys, inst, &processes);
    }
}

/// [`running_state`] with the processes of `processes`, listed only when the locks leave
/// the answer open.
pub fn running_state_with(
    sys: &System,
    inst: &Installation,
    processes: &ProcessList<'_>,
) -> RunningState {
    let Some(spec) = inst.spec() else {
        return RunningState::Unknown {
            why: format!("{} is not in the catalog", inst.id),
        };
    };
    let mut doubts = Vec::new();
    // The folders (data folders, profiles) whose locks were tested, and those a lock that
    // exists proved free.
    let mut locked_dirs = Vec::new();
    let mut free_dirs = Vec::new();
    for rule in spec.lock_rules(sys.os) {
        for path in lock_paths(*rule, inst) {
            let dir = path.parent().map(Path::to_path_buf);
            match test_lock(sys, *rule, &path, inst.packaging) {
                LockState::Held(evidence) => return RunningState::Running { evidence },
                LockState::Inconclusive(why) => doubts.push(why),
                LockState::Stale(_) => free_dirs.push(dir.clone()),
                LockState::Absent => {}
            }
            locked_dirs.push(dir);
        }
    }
    // Every folder has a lock object that exists and is provably free (a Chromium
    // `SingletonLock` naming a dead pid of this computer, a Firefox `.parentlock` nobody
    // holds): a browser working on them would hold it (it replaces a stale one as it
    // starts), so no process can change the answer and none are listed. An absent lock
    // (Chromium removes its own on exit) proves nothing alone: the processes decide.
    if doubts.is_empty()
        && !locked_dirs.is_empty()
        && locked_dirs.iter().all(|d| free_dirs.contains(d))
    {
        return RunningState::NotRunning;
    }
    let mut maybe = Vec::new();
    for proc in processes.get() {
        match claim(sys, inst, &spec.processes, proc) {
            Claim::Ours(evidence) => return RunningState::Running { evidence },
            Claim::Maybe(why) => maybe.push(why),
            Claim::NotOurs => {}
        }
    }
    // Every lock answered (absent or stale): a process that cannot be tied to this
    // installation does not hold its profile (a running browser holds its lock).
    if doubts.is_empty() {
        return RunningState::NotRunning;
    }
    if !maybe.is_empty() {
        doubts.extend(maybe);
        return RunningState::Unknown {
            why: format!(
                "{}; close {} to be sure, then run again",
                doubts.join("; "),
                inst.name
            ),
        };
    }
    // An inconclusive lock and no process that could hold it. On this machine's own list
    // for a home of this OS that settles it: every sandbox's processes are visible from
    // the host (pid namespaces nest inside the host's), and each one with this browser's
    // name was either tied elsewhere or is absent, so the lock is a crash leftover (the
    // sandbox pid it names is gone). Any other list (a disk examined from another OS)
    // says nothing about that home: unknown.
    let list_is_meaningful = sys.live || sys.os == Os::current();
    if list_is_meaningful {
        RunningState::NotRunning
    } else {
        RunningState::Unknown {
            why: doubts.join("; "),
        }
    }
}

/// True for the packagings whose browser may run in its own pid namespace: a pid in its
/// locks that is not alive on the host proves nothing.
fn sandboxed(packaging: Packaging) -> bool {
    matches!(packaging, Packaging::Flatpak | Packaging::Snap)
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
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return LockState::Absent;
    };
    match rule {
        LockRule::SingletonLock => singleton_lock(path, packaging),
        LockRule::LockSymlink => {
            let parentlock = std::fs::symlink_metadata(path.with_file_name(".parentlock")).is_ok();
            firefox_lock_symlink(path, packaging, parentlock)
        }
        // Where `fcntl` is not supported (NFS), Firefox on macOS puts its symlink lock at
        // the `.parentlock` path itself (`nsProfileLock::Lock`).
        LockRule::ParentLockFcntl if meta.file_type().is_symlink() => {
            firefox_lock_symlink(path, packaging, false)
        }
        LockRule::ParentLockFcntl => fcntl_lock(path),
        LockRule::WindowsLockfile => windows_lockfile(sys, path),
        LockRule::WindowsParentLock => windows_parent_lock(sys, path),
    }
}

/// A `SingletonLock` target `<hostname>-<pid>`, split at the last `-` (host names may
/// contain `-`): `None` when it has no such form.
pub fn parse_singleton_target(target: &str) -> Option<(&str, u32)> {
    let (host, pid) = target.rsplit_once('-')?;
    let pid = pid.parse::<u32>().ok().filter(|p| *p != 0)?;
    Some((host, pid))
}

/// `SingletonLock` → `<hostname>-<pid>`.
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
    let Some((host, pid)) = parse_singleton_target(&target) else {
        return LockState::Inconclusive(format!(
            "{} → {target:?}: not <host>-<pid>",
            path.display()
        ));
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
    pid_lock_state(path, pid, packaging)
}

/// A lock naming `pid` of this computer: alive → held; gone → stale, except that a
/// sandbox's pid (its own namespace) proves nothing when the host has no such process.
fn pid_lock_state(path: &Path, pid: u32, packaging: Packaging) -> LockState {
    match pid_alive(pid) {
        Some(true) => LockState::Held(format!("{} is held by live process {pid}", path.display())),
        Some(false) if sandboxed(packaging) => LockState::Inconclusive(format!(
            "{} names process {pid} of a {} sandbox, which this computer cannot check",
            path.display(),
            packaging.id()
        )),
        Some(false) => LockState::Stale(format!(
            "{} names process {pid}, which is gone (left by a crash or an exit)",
            path.display()
        )),
        None => LockState::Inconclusive(format!(
            "{}: cannot check process {pid} on this OS",
            path.display()
        )),
    }
}

/// The signature in a Firefox symlink lock (`nsProfileLock::LockWithSymlink`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymlinkLock {
    /// The IPv4 address of the computer that wrote it (its host name resolved, or
    /// `127.0.0.1`).
    pub addr: Ipv4Addr,
    /// The pid of the Firefox that wrote it.
    pub pid: u32,
    /// `<ip>:+<pid>`: written beside a taken `fcntl` lock on `.parentlock`, which then
    /// decides. Without `+` (`<ip>:<pid>`, NFS without `fcntl`) the link *is* the lock.
    pub beside_fcntl: bool,
}

/// Parses `<ip>:+<pid>` or `<ip>:<pid>` (as Gecko's `IsSymlinkStaleLock` reads it: the
/// address up to the first `:`, a decimal pid that is not 0 and nothing after it).
pub fn parse_symlink_lock(target: &str) -> Option<SymlinkLock> {
    let (addr, rest) = target.split_once(':')?;
    let addr = addr.parse::<Ipv4Addr>().ok()?;
    let (beside_fcntl, pid) = match rest.strip_prefix('+') {
        Some(pid) => (true, pid),
        None => (false, rest),
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid = pid.parse::<u32>().ok().filter(|p| *p != 0)?;
    Some(SymlinkLock {
        addr,
        pid,
        beside_fcntl,
    })
}

/// Firefox `lock` → `<ip>:+<pid>` or `<ip>:<pid>` (its NFS form). The `+` form is only a
/// note beside the `fcntl` lock: when `.parentlock` exists, that lock decides.
fn firefox_lock_symlink(path: &Path, packaging: Packaging, parentlock_exists: bool) -> LockState {
    let target = match std::fs::read_link(path) {
        Ok(t) => t.to_string_lossy().into_owned(),
        Err(e) => {
            return LockState::Inconclusive(format!(
                "{} exists but is not a readable link ({e})",
                path.display()
            ));
        }
    };
    let Some(lock) = parse_symlink_lock(&target) else {
        return LockState::Inconclusive(format!("{} → {target:?}: not <ip>:<pid>", path.display()));
    };
    if lock.beside_fcntl && parentlock_exists {
        return LockState::Absent;
    }
    match is_this_computer(lock.addr) {
        Some(true) => pid_lock_state(path, lock.pid, packaging),
        // Gecko gives up on a remote lock, stuck or not: so does fix401.
        Some(false) => LockState::Held(format!(
            "{} is held by process {} on another computer ({})",
            path.display(),
            lock.pid,
            lock.addr
        )),
        None => LockState::Inconclusive(format!(
            "{}: cannot tell whether {} is this computer",
            path.display(),
            lock.addr
        )),
    }
}

/// True when `addr` is one of this computer's addresses (loopback included).
fn is_this_computer(addr: Ipv4Addr) -> Option<bool> {
    if addr.is_loopback() {
        return Some(true);
    }
    local_ipv4_addrs().map(|all| all.contains(&addr))
}

/// Every IPv4 address of this computer's interfaces.
#[cfg(unix)]
fn local_ipv4_addrs() -> Option<Vec<Ipv4Addr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, still alive.
        let ifa = unsafe { &*cur };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: ifa_addr points to a sockaddr whose family says its real type.
            let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
            if family == libc::AF_INET {
                // SAFETY: an AF_INET address is a sockaddr_in.
                let sin = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in>() };
                out.push(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
            }
        }
        cur = ifa.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Some(out)
}

/// Every IPv4 address of this computer's interfaces.
#[cfg(not(unix))]
fn local_ipv4_addrs() -> Option<Vec<Ipv4Addr>> {
    None
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

/// What one process says about an installation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// It is this installation's browser, running for this home: the evidence.
    Ours(String),
    /// It has the browser's name but cannot be tied to this installation or away from
    /// it: why.
    Maybe(String),
    /// It is another browser, another home's or profile's, a helper, or gone.
    NotOurs,
}

/// The sandbox a process runs in, as far as the host can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// A flatpak, with its app id where it could be read.
    Flatpak(Option<String>),
    /// A snap, by its name.
    Snap(String),
    /// No sign of a sandbox.
    Host,
}

/// Ties one process to `inst` (or not), from its name, its `/proc` entries and its
/// executable (Linux homes; elsewhere the name decides).
fn claim(sys: &System, inst: &Installation, spec: &ProcessNames, proc: &ProcessInfo) -> Claim {
    let names = spec.on(sys.os);
    if !names.iter().any(|n| proc.name == *n) || proc.pid == std::process::id() {
        return Claim::NotOurs;
    }
    let running = |how: String| {
        Claim::Ours(format!(
            "{how}process {} ({}) is running",
            proc.name, proc.pid
        ))
    };
    if sys.os != Os::Linux {
        return running(String::new());
    }
    match profile_owner(sys, inst, proc.pid) {
        Owner::Elsewhere => return Claim::NotOurs,
        Owner::Mine => return running(String::new()),
        Owner::Undecided => {}
    }
    let exe = proc
        .exe
        .as_ref()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty());
    let cannot_tie = |what: String| {
        Claim::Maybe(format!(
            "process {} ({}) {what}, which fix401 cannot tie to {} or to another browser",
            proc.name, proc.pid, inst.name
        ))
    };
    match (sandbox_of(proc.pid, exe), inst.packaging) {
        (Sandbox::Flatpak(Some(id)), Packaging::Flatpak)
            if spec.flatpak_ids.contains(&id.as_str()) =>
        {
            running(format!("flatpak {id}: "))
        }
        (Sandbox::Flatpak(None), Packaging::Flatpak) => cannot_tie(format!(
            "runs {} in a flatpak sandbox of unknown app id",
            exe.unwrap_or("?")
        )),
        (Sandbox::Snap(name), Packaging::Snap) if spec.snap_names.contains(&name.as_str()) => {
            running(format!("snap {name}: "))
        }
        // Another app's sandbox, or a sandbox while this installation is not one.
        (Sandbox::Flatpak(_) | Sandbox::Snap(_), _) => Claim::NotOurs,
        (Sandbox::Host, packaging) => match exe {
            // A shared name (`chrome`): the executable's folder tells which browser it is.
            Some(exe) if packaging == Packaging::Native || packaging == Packaging::Msix => {
                if spec.exe_dirs.is_empty() || spec.exe_dirs.iter().any(|d| exe.contains(d)) {
                    running(String::new())
                } else if catalog::in_known_exe_dir(exe) {
                    Claim::NotOurs
                } else {
                    cannot_tie(format!("runs {exe}"))
                }
            }
            None if packaging == Packaging::Native || packaging == Packaging::Msix => {
                running(String::new())
            }
            // A sandboxed installation and a process outside any recognised sandbox: a
            // known native browser is not it; anything else may be a sandbox unseen.
            Some(exe) if catalog::in_known_exe_dir(exe) => Claim::NotOurs,
            Some(exe) => cannot_tie(format!("runs {exe}")),
            None => cannot_tie("has an unreadable executable".to_string()),
        },
    }
}

/// Whose profile a process works on, as its command line and environment tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Its command line names a profile folder of this installation.
    Mine,
    /// It provably works elsewhere (or holds nothing).
    Elsewhere,
    /// Nothing tells.
    Undecided,
}

/// Linux `/proc`: the profile folder named on the command line decides; otherwise a
/// `HOME` outside this home (a snap's `HOME` is a folder inside it) means another
/// person's. Helpers (`--type=…`, `-contentproc`) and gone or zombie processes hold
/// nothing. Anything unreadable stays undecided ("may be ours").
fn profile_owner(sys: &System, inst: &Installation, pid: u32) -> Owner {
    if !cfg!(target_os = "linux") {
        return Owner::Undecided;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let cmdline = std::fs::read(proc_dir.join("cmdline"));
    match &cmdline {
        // Gone since the list was taken, or a zombie (empty command line): holds nothing.
        Err(_) if !proc_dir.exists() => return Owner::Elsewhere,
        Ok(raw) if raw.is_empty() => return Owner::Elsewhere,
        _ => {}
    }
    if let Ok(raw) = cmdline {
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
            return Owner::Elsewhere;
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
            return if mine { Owner::Mine } else { Owner::Elsewhere };
        }
    }
    if let Some(home) = environ_var(pid, "HOME") {
        if !canon(Path::new(&home)).starts_with(canon(&sys.home)) {
            return Owner::Elsewhere;
        }
    }
    Owner::Undecided
}

/// One variable of a process's environment (Linux `/proc/<pid>/environ`).
fn environ_var(pid: u32, name: &str) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    raw.split(|b| *b == 0).find_map(|var| {
        let rest = var.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        Some(String::from_utf8_lossy(rest).into_owned())
    })
}

/// The sandbox of a process: its `/.flatpak-info` (seen from the host through
/// `/proc/<pid>/root`), its cgroup, its executable path (`/snap/<name>/…`, `/app/…` with
/// `FLATPAK_ID` in its environment). The environment alone proves nothing (children of
/// sandboxed apps inherit it), so it only names the app of an `/app/` executable.
fn sandbox_of(pid: u32, exe: Option<&str>) -> Sandbox {
    if cfg!(target_os = "linux") {
        if let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/root/.flatpak-info")) {
            return Sandbox::Flatpak(flatpak_info_app(&info));
        }
        if let Some(sandbox) = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|c| cgroup_sandbox(&c))
        {
            return sandbox;
        }
    }
    let Some(exe) = exe else {
        return Sandbox::Host;
    };
    if let Some(name) = snap_of_exe(exe) {
        return Sandbox::Snap(name.to_string());
    }
    if exe.starts_with("/app/") {
        return Sandbox::Flatpak(environ_var(pid, "FLATPAK_ID").filter(|id| !id.is_empty()));
    }
    Sandbox::Host
}

/// The app id in a `.flatpak-info` (`[Application]` `name=`).
pub fn flatpak_info_app(text: &str) -> Option<String> {
    let mut in_app = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_app = line == "[Application]";
        } else if in_app && let Some(v) = line.strip_prefix("name=") {
            return Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
    }
    None
}

/// The sandbox a `/proc/<pid>/cgroup` names: a flatpak's `app-flatpak-<id>-<n>.scope`
/// (with systemd's `\x2d` escapes), a snap's `snap.<name>.<app>…` unit.
pub fn cgroup_sandbox(text: &str) -> Option<Sandbox> {
    for line in text.lines() {
        let path = line.splitn(3, ':').nth(2).unwrap_or("");
        for unit in path.split('/') {
            if let Some(rest) = unit.strip_prefix("app-flatpak-") {
                let rest = rest.strip_suffix(".scope").unwrap_or(rest);
                let id = rest.rsplit_once('-').map_or(rest, |(id, _)| id);
                let id = id.replace("\\x2d", "-");
                return Some(Sandbox::Flatpak(Some(id).filter(|i| !i.is_empty())));
            }
            if let Some(rest) = unit.strip_prefix("snap.")
                && let Some((name, _)) = rest.split_once('.')
                && !name.is_empty()
            {
                return Some(Sandbox::Snap(name.to_string()));
            }
        }
    }
    None
}

/// `chromium` for `/snap/chromium/2345/usr/lib/chromium-browser/chrome`.
pub fn snap_of_exe(exe: &str) -> Option<&str> {
    let (name, _) = exe.strip_prefix("/snap/")?.split_once('/')?;
    Some(name).filter(|n| !n.is_empty() && *n != "bin")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Google Chrome with its user data in `udd` (created), packaged as `packaging`, not
    /// known to run: the installation the running tests ask about.
    fn chrome_at(udd: &Path, packaging: Packaging) -> Installation {
        std::fs::create_dir_all(udd).unwrap();
        Installation {
            id: "chrome".into(),
            name: "Google Chrome".into(),
            family: crate::browsers::Family::Chromium,
            packaging,
            data_dirs: vec![udd.to_path_buf()],
            roots: vec![udd.to_path_buf()],
            profiles: Vec::new(),
            running: RunningState::NotRunning,
            warnings: Vec::new(),
        }
    }

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
        let inst = chrome_at(&home.join(".config/google-chrome"), Packaging::Native);
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
    fn singleton_targets_split_at_the_last_dash() {
        assert_eq!(
            parse_singleton_target("my-lap-top-4242"),
            Some(("my-lap-top", 4242))
        );
        for bad in ["nopid", "host-", "host-0", "host-12a", ""] {
            assert_eq!(parse_singleton_target(bad), None, "{bad}");
        }
    }

    #[test]
    fn symlink_lock_signatures_with_and_without_plus() {
        assert_eq!(
            parse_symlink_lock("127.0.1.1:+4242"),
            Some(SymlinkLock {
                addr: Ipv4Addr::new(127, 0, 1, 1),
                pid: 4242,
                beside_fcntl: true
            })
        );
        // The NFS form (no fcntl lock on that file system): the link is the lock.
        assert_eq!(
            parse_symlink_lock("192.168.1.20:77"),
            Some(SymlinkLock {
                addr: Ipv4Addr::new(192, 168, 1, 20),
                pid: 77,
                beside_fcntl: false
            })
        );
        for bad in [
            "127.0.0.1:",
            "127.0.0.1:+",
            "127.0.0.1:+0",
            "127.0.0.1:12x",
            "127.0.0.1:-5",
            "127.0.0.1:++5",
            "localhost:+5",
            "::1:+5",
            "4242",
        ] {
            assert_eq!(parse_symlink_lock(bad), None, "{bad}");
        }
    }

    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(pid_alive(pid), Some(false));
        pid
    }

    #[test]
    fn firefox_lock_link_nfs_form_is_the_lock_and_plus_form_defers_to_parentlock() {
        let t = tempfile::tempdir().unwrap();
        let lock = t.path().join("lock");
        let link = |target: &str| {
            let _ = std::fs::remove_file(&lock);
            std::os::unix::fs::symlink(target, &lock).unwrap();
        };
        let me = std::process::id();
        let dead = dead_pid();
        // No `.parentlock`: the pid decides, whichever form.
        link(&format!("127.0.0.1:{me}"));
        assert!(matches!(
            firefox_lock_symlink(&lock, Packaging::Native, false),
            LockState::Held(_)
        ));
        link(&format!("127.0.0.1:{dead}"));
        assert!(matches!(
            firefox_lock_symlink(&lock, Packaging::Native, false),
            LockState::Stale(_)
        ));
        // A sandbox's pid that the host lacks proves nothing.
        assert!(matches!(
            firefox_lock_symlink(&lock, Packaging::Flatpak, false),
            LockState::Inconclusive(_)
        ));
        // Beside an existing (unlocked) `.parentlock`: the NFS form still holds, the
        // `+` form leaves it to the fcntl lock.
        link(&format!("127.0.0.1:{me}"));
        assert!(matches!(
            firefox_lock_symlink(&lock, Packaging::Native, true),
            LockState::Held(_)
        ));
        link(&format!("127.0.0.1:+{me}"));
        assert_eq!(
            firefox_lock_symlink(&lock, Packaging::Native, true),
            LockState::Absent
        );
        // Another computer's lock (TEST-NET-3 is no interface here): held, as Gecko says.
        link("203.0.113.7:4242");
        match firefox_lock_symlink(&lock, Packaging::Native, false) {
            LockState::Held(e) => assert!(e.contains("another computer"), "{e}"),
            other => panic!("{other:?}"),
        }
        link("garbage");
        assert!(matches!(
            firefox_lock_symlink(&lock, Packaging::Native, false),
            LockState::Inconclusive(_)
        ));
    }

    #[test]
    fn a_parentlock_that_is_a_symlink_is_read_as_a_symlink_lock() {
        // macOS Firefox on NFS puts `<ip>:<pid>` at the `.parentlock` path itself.
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(".parentlock");
        std::os::unix::fs::symlink(format!("127.0.0.1:{}", std::process::id()), &p).unwrap();
        let sys = System::simulated(Os::Macos, t.path());
        assert!(matches!(
            test_lock(&sys, LockRule::ParentLockFcntl, &p, Packaging::Native),
            LockState::Held(_)
        ));
    }

    #[test]
    fn sandboxed_singleton_lock_with_a_pid_the_host_lacks_is_inconclusive() {
        let t = tempfile::tempdir().unwrap();
        let lock = t.path().join("SingletonLock");
        std::os::unix::fs::symlink(format!("{}-{}", hostname().unwrap(), dead_pid()), &lock)
            .unwrap();
        for packaging in [Packaging::Flatpak, Packaging::Snap] {
            assert!(matches!(
                singleton_lock(&lock, packaging),
                LockState::Inconclusive(_)
            ));
        }
        assert!(matches!(
            singleton_lock(&lock, Packaging::Native),
            LockState::Stale(_)
        ));
    }

    #[test]
    fn windows_parent_lock_examined_from_another_os_is_stale() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("parent.lock");
        std::fs::write(&p, b"").unwrap();
        let sys = System::simulated(Os::Windows, t.path());
        assert!(matches!(
            test_lock(&sys, LockRule::WindowsParentLock, &p, Packaging::Native),
            LockState::Stale(_)
        ));
    }

    #[test]
    fn sandbox_markers_are_read_from_flatpak_info_cgroups_and_exe_paths() {
        let info = "[Application]\nname=com.google.Chrome\nruntime=runtime/x\n\n[Instance]\ninstance-id=1\n";
        assert_eq!(flatpak_info_app(info).as_deref(), Some("com.google.Chrome"));
        assert_eq!(
            flatpak_info_app("[Runtime]\nname=org.freedesktop.Platform\n"),
            None
        );
        let flatpak = |id: &str| Some(Sandbox::Flatpak(Some(id.to_string())));
        assert_eq!(
            cgroup_sandbox(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/\
                 app-flatpak-com.google.Chrome-12345.scope\n"
            ),
            flatpak("com.google.Chrome")
        );
        assert_eq!(
            cgroup_sandbox("0::/app.slice/app-flatpak-io.gitlab.librewolf\\x2dcommunity-9.scope"),
            flatpak("io.gitlab.librewolf-community")
        );
        assert_eq!(
            cgroup_sandbox(
                "12:pids:/\n1:name=systemd:/user.slice/user@1000.service/app.slice/\
                 snap.chromium.chromium-1b2c3d.scope\n0::/"
            ),
            Some(Sandbox::Snap("chromium".into()))
        );
        assert_eq!(
            cgroup_sandbox("0::/user.slice/user@1000.service/app.slice/app-gnome-firefox-7.scope"),
            None
        );
        assert_eq!(cgroup_sandbox("0::/"), None);
        assert_eq!(
            snap_of_exe("/snap/chromium/2345/usr/lib/chromium-browser/chrome"),
            Some("chromium")
        );
        assert_eq!(snap_of_exe("/snap/bin/chromium"), None);
        assert_eq!(snap_of_exe("/usr/lib/chromium/chromium"), None);
    }

    /// A flatpak Chrome whose `SingletonLock` names a sandbox pid, seen with one process
    /// (a real `sleep`, so `/proc` can be read, listed with the given name and exe).
    #[cfg(target_os = "linux")]
    #[test]
    fn an_inconclusive_lock_is_settled_only_by_processes_that_can_be_tied() {
        use crate::system::FixedProcesses;
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let udd = home.join(".var/app/com.google.Chrome/config/google-chrome");
        let inst = chrome_at(&udd, Packaging::Flatpak);
        std::os::unix::fs::symlink(
            format!("{}-{}", hostname().unwrap(), dead_pid()),
            udd.join("SingletonLock"),
        )
        .unwrap();
        let state_with = |env: &[(&str, &str)], listed: Option<(&str, &str)>| {
            let mut child = std::process::Command::new("sleep");
            child.arg("1000").env_clear().env("HOME", &home);
            for (k, v) in env {
                child.env(k, v);
            }
            let mut child = child.spawn().unwrap();
            let mut sys = System::simulated(Os::Linux, &home);
            sys.processes = std::sync::Arc::new(FixedProcesses(
                listed
                    .map(|(name, exe)| ProcessInfo {
                        pid: child.id(),
                        name: name.into(),
                        exe: Some(PathBuf::from(exe)),
                    })
                    .into_iter()
                    .collect(),
            ));
            let state = running_state(&sys, &inst);
            let _ = child.kill();
            let _ = child.wait();
            state
        };
        let chrome_app = [("FLATPAK_ID", "com.google.Chrome")];
        // The sandboxed chrome of this app id: running.
        let s = state_with(&chrome_app, Some(("chrome", "/app/extra/chrome")));
        assert!(s.is_running(), "{s:?}");
        assert!(s.describe().contains("flatpak com.google.Chrome"), "{s:?}");
        // Another flatpak's chrome-named process, or a wrapper name: not this one.
        let brave = [("FLATPAK_ID", "com.brave.Browser")];
        assert_eq!(
            state_with(&brave, Some(("chrome", "/app/extra/chrome"))),
            RunningState::NotRunning
        );
        assert_eq!(
            state_with(&chrome_app, Some(("bwrap", "/usr/bin/bwrap"))),
            RunningState::NotRunning
        );
        // A sandbox of unknown app id, or an executable fix401 does not know: unknown,
        // and the reason names the browser to close.
        for exe in ["/app/extra/chrome", "/home/someone/bin/chrome"] {
            let s = state_with(&[], Some(("chrome", exe)));
            assert!(!s.is_safe_to_write(), "{exe}: {s:?}");
            assert!(s.describe().contains("close Google Chrome"), "{s:?}");
        }
        // Native Chrome (known folder) is not the flatpak; no process at all: not running.
        assert_eq!(
            state_with(&[], Some(("chrome", "/opt/google/chrome/chrome"))),
            RunningState::NotRunning
        );
        assert_eq!(state_with(&[], None), RunningState::NotRunning);
    }

    /// A process source that counts how often it is listed.
    #[derive(Default)]
    struct CountedProcesses {
        listed: std::sync::atomic::AtomicUsize,
        list: Vec<ProcessInfo>,
    }

    impl crate::system::ProcessSource for CountedProcesses {
        fn processes(&self) -> Vec<ProcessInfo> {
            self.listed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.list.clone()
        }
    }

    /// The cheaper path: a lock that exists and is provably free settles "closed" without
    /// listing the processes, a live lock says "running", and the installations whose
    /// locks leave it open share one listing that still finds a live browser.
    #[cfg(target_os = "linux")]
    #[test]
    fn stale_locks_need_no_process_list_and_one_list_serves_every_installation() {
        use std::sync::atomic::Ordering::SeqCst;
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let chrome = |dir: &str| chrome_at(&home.join(dir), Packaging::Native);
        let lock_to = |inst: &Installation, pid: u32| {
            let lock = inst.data_dirs[0].join("SingletonLock");
            let _ = std::fs::remove_file(&lock);
            std::os::unix::fs::symlink(format!("{}-{pid}", hostname().unwrap()), lock).unwrap();
        };
        // A live Chrome of this home with no lock (a real process, so /proc can be read).
        let mut live = std::process::Command::new("sleep")
            .arg("1000")
            .env_clear()
            .env("HOME", &home)
            .spawn()
            .unwrap();
        let source = std::sync::Arc::new(CountedProcesses {
            list: vec![ProcessInfo {
                pid: live.id(),
                name: "chrome".into(),
                exe: Some(PathBuf::from("/opt/google/chrome/chrome")),
            }],
            ..CountedProcesses::default()
        });
        let mut sys = System::simulated(Os::Linux, &home);
        sys.processes = source.clone();
        let stale = chrome(".config/stale");
        lock_to(&stale, dead_pid());
        let held = chrome(".config/held");
        lock_to(&held, std::process::id());
        // Stale: closed, even with this home's Chrome process listed, which is not asked.
        assert_eq!(running_state(&sys, &stale), RunningState::NotRunning);
        assert_eq!(source.listed.load(SeqCst), 0);
        // A live pid in the lock: running, still without the list.
        assert!(running_state(&sys, &held).is_running());
        assert_eq!(source.listed.load(SeqCst), 0);
        // No lock at all: the processes decide; two such installations, one listing.
        let mut all = vec![stale, held, chrome(".config/a"), chrome(".config/b")];
        set_running_states(&sys, &mut all);
        assert_eq!(all[0].running, RunningState::NotRunning);
        assert!(all[1].running.is_running(), "{:?}", all[1].running);
        for unlocked in &all[2..] {
            let state = &unlocked.running;
            assert!(state.is_running(), "{state:?}");
            assert!(
                state.describe().contains(&live.id().to_string()),
                "{state:?}"
            );
        }
        assert_eq!(source.listed.load(SeqCst), 1);
        let _ = live.kill();
        let _ = live.wait();
    }

    #[test]
    fn unlocked_parentlock_is_stale() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(".parentlock");
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(fcntl_lock(&p), LockState::Stale(_)));
    }
}
