//! `cargo xtask fmt-check` and `cargo xtask clippy`: the formatting and lint gates of
//! `cargo xtask test`, over the whole workspace (generated client crates included).
//!
//! - fmt-check: `cargo fmt --all --check` with the root `rustfmt.toml`;
//! - clippy: `cargo clippy --workspace --all-targets --all-features -- -D warnings`.
//!
//! Each returns 0 when clean and 1 when not (the tool's own output names the files); only a tool
//! that cannot be started is an error.

use crate::util::{self, note, Result};
use std::process::Command;

pub fn fmt_check() -> Result<i32> {
    run("fmt-check", &["fmt", "--all", "--check"])
}

pub fn clippy() -> Result<i32> {
    run("clippy", &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"])
}

fn run(gate: &str, args: &[&str]) -> Result<i32> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(util::workspace_root()).args(args);
    let shown = util::show(&cmd);
    note(format!("{gate}: {shown}"));
    let status = cmd.status().map_err(|e| crate::err!("{gate}: cannot start `{shown}`: {e}"))?;
    if status.success() {
        note(format!("{gate}: clean"));
        Ok(0)
    } else {
        eprintln!("{gate}: `{shown}` failed ({status}); see its output above");
        Ok(1)
    }
}
