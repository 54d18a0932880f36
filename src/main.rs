//! The `fix401` command-line interface: a thin layer over the `fix401` library.

mod cli;

fn main() {
    // `fix401 browsers | head` must end quietly like other Unix tools, not panic in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(cli::main());
}
