//! The `fix401` command-line interface: a thin layer over the `fix401` library.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
