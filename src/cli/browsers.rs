//! `fix401 browsers`: every browser, profile and store found, with sizes and running state.

use fix401::Result;
use fix401::api::{self, Installation, Packaging};
use serde_json::json;

use super::Context;

/// Arguments of `fix401 browsers`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand; returns the exit code.
pub fn run(ctx: &Context, _args: Args) -> Result<i32> {
    let found = api::installations(&ctx.sys)?;
    if ctx.json {
        ctx.print_json(&to_json(ctx, &found))?;
    } else {
        print!("{}", to_text(ctx, &found));
    }
    Ok(0)
}

fn to_json(ctx: &Context, found: &[Installation]) -> serde_json::Value {
    let browsers: Vec<_> = found
        .iter()
        .map(|inst| {
            let mut v = serde_json::to_value(inst).unwrap_or_default();
            if let Some(profiles) = v["profiles"].as_array_mut() {
                for (pv, p) in profiles.iter_mut().zip(&inst.profiles) {
                    if let Some(stores) = pv["stores"].as_array_mut() {
                        for (sv, s) in stores.iter_mut().zip(&p.stores) {
                            sv["bytes"] = json!(s.size());
                        }
                    }
                }
            }
            v
        })
        .collect();
    json!({
        "os": ctx.sys.os.id(),
        "home": ctx.sys.home,
        "browsers": browsers,
    })
}

fn to_text(ctx: &Context, found: &[Installation]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if found.is_empty() {
        let _ = writeln!(
            out,
            "No browser data found in {} (looked for every browser fix401 knows on {}).",
            ctx.sys.home.display(),
            ctx.sys.os
        );
        return out;
    }
    for inst in found {
        let _ = writeln!(
            out,
            "{} [{}{}] — {}",
            inst.name,
            inst.id,
            if inst.packaging == Packaging::Native {
                String::new()
            } else {
                format!(", {}", inst.packaging.id())
            },
            inst.running.describe()
        );
        for d in &inst.data_dirs {
            let _ = writeln!(out, "  folder: {}", d.display());
        }
        if inst.profiles.is_empty() {
            let _ = writeln!(out, "  (no profiles)");
        }
        for p in &inst.profiles {
            let _ = writeln!(
                out,
                "  profile \"{}\"{}{}",
                p.name,
                p.email
                    .as_deref()
                    .map(|e| format!(" <{e}>"))
                    .unwrap_or_default(),
                if p.is_default { " (default)" } else { "" }
            );
            let _ = writeln!(out, "    dir: {}", p.dir.display());
            if p.stores.is_empty() {
                let _ = writeln!(out, "    (no stores yet)");
            }
            for s in &p.stores {
                let _ = writeln!(
                    out,
                    "    {:<30} {:>10}  {}",
                    s.kind.label(),
                    api::words::bytes(s.size()),
                    s.path.display()
                );
            }
        }
        for w in &inst.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
        out.push('\n');
    }
    out
}
