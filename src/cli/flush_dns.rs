//! `fix401 flush-dns` (being built).

use fix401::{Error, Result};

use super::Context;

/// Arguments of `fix401 flush-dns`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand; returns the exit code.
pub fn run(_ctx: &Context, _args: Args) -> Result<i32> {
    Err(Error::Internal("this command is not built yet".into()))
}
