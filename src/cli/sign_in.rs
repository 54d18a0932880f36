//! `fix401 sign-in [--principal P] [--password-stdin]`: a new Kerberos ticket-granting ticket
//! with the person's password, into their credential cache (the `renew-ticket` action). The
//! password is asked without echo (or read from standard input), handed to the library and
//! wiped; it is never stored, logged or printed.

use fix401::Result;
use fix401::api;

use super::Context;

/// Arguments of `fix401 sign-in`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sign in as this principal (`user` or `user@REALM`); default: the credential cache's,
    /// else your login name in the default realm.
    #[arg(long, value_name = "PRINCIPAL")]
    principal: Option<String>,

    /// Read the password from standard input (its first line) instead of asking for it.
    #[arg(long)]
    password_stdin: bool,
}

/// Runs the subcommand; returns the exit code (0 signed in; a refused sign-in is an error,
/// exit 1; bad input exit 2).
pub fn run(ctx: &Context, args: Args) -> Result<i32> {
    let password = if args.password_stdin {
        api::read_password(&mut std::io::stdin().lock())?
    } else {
        let whose = args
            .principal
            .as_deref()
            .map(|p| format!(" for {p}"))
            .unwrap_or_default();
        let typed =
            rpassword::prompt_password(format!("Kerberos password{whose}: ")).map_err(|e| {
                fix401::Error::BadInput(format!(
                    "cannot ask for the password ({e}): run it in a terminal, or pass \
                     --password-stdin"
                ))
            })?;
        api::password(typed)
    };
    let done = api::sign_in(args.principal.as_deref(), password)?;
    if ctx.json {
        ctx.print_json(&done)?;
    } else {
        println!("{}", done.summary);
    }
    Ok(0)
}
