//! `cargo xtask fmt-check` and `cargo xtask clippy`: the formatting and lint gates of
//! `cargo xtask test`, over the whole workspace (generated client crates included).
//!
//! - fmt-check: `cargo fmt --all --check` with the root `rustfmt.toml`, and the same style on
//!   the kernel-side Rust outside the workspace (support layer, modules, generated family
//!   files) in the kernel's style (`kernel/rustfmt-kernel.toml`), each file formatted alone through
//!   rustfmt's stdin (their `mod` files are build-time copies a clean checkout does not have);
//! - clippy: `cargo clippy --workspace --all-targets --all-features -- -D warnings`.
//!
//! Each returns 0 when clean and 1 when not (the tool's own output names the files); only a tool
//! that cannot be started is an error.

use crate::util::{self, note, Result};
use std::process::Command;

pub fn fmt_check() -> Result<i32> {
    let workspace = run("fmt-check", &["fmt", "--all", "--check"])?;
    let kernel = kernel_fmt_check()?;
    Ok(workspace.max(kernel))
}

/// The kernel's rustfmt style.
const KERNEL_STYLE: &str = "kernel/rustfmt-kernel.toml";

/// Directories of kernel-side Rust that cargo does not see (every tracked `.rs` below them).
const KERNEL_RUST: &[&str] = &[
    "kernel/support",
    "kernel/broken",
    "kernel/proof/module",
    "kernel/patches/sample",
    "examples",
    "generated/kmod",
    "generated/intree",
];

fn kernel_fmt_check() -> Result<i32> {
    let root = util::workspace_root();
    let listed = util::run_capture(Command::new("git").current_dir(&root).arg("ls-files").args(KERNEL_RUST))?;
    let files: Vec<&str> = listed
        .lines()
        .filter(|f| f.ends_with(".rs"))
        // the workspace's crates under examples/ are cargo fmt's
        .filter(|f| !std::path::Path::new(f).components().any(|c| c.as_os_str() == "src" || c.as_os_str() == "tests"))
        .filter(|f| !f.ends_with("build.rs"))
        .collect();
    let style = root.join(KERNEL_STYLE);
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(root.join(f)).map_err(|e| crate::err!("fmt-check: reading {f}: {e}"))?;
        let out = crate::generate::rustfmt(&style, &text).map_err(|e| crate::err!("fmt-check: {f}: {e}"))?;
        if out != text {
            bad.push(*f);
        }
    }
    if bad.is_empty() {
        note(format!("fmt-check: {} kernel-side Rust files clean (kernel style, {KERNEL_STYLE})", files.len()));
        Ok(0)
    } else {
        for f in &bad {
            eprintln!("fmt-check: {f} is not in the kernel's style (rustfmt --config-path {KERNEL_STYLE} {f})");
        }
        Ok(1)
    }
}

pub fn clippy() -> Result<i32> {
    let workspace =
        run("clippy", &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"])?;
    // The proof suite's client is a crate of its own (outside the workspace: it is built
    // statically for the guest); held to the same lints.
    let proof = run(
        "clippy",
        &["clippy", "--manifest-path", "kernel/proof/client/Cargo.toml", "--all-targets", "--", "-D", "warnings"],
    )?;
    Ok(workspace.max(proof))
}

/// The workspace's API docs as docs.rs builds them (every feature), with rustdoc's warnings
/// (broken or private intra-doc links) as errors: a published crate's docs must not lie.
pub fn rustdoc() -> Result<i32> {
    run_env("rustdoc", &["doc", "--workspace", "--no-deps", "--all-features"], &[("RUSTDOCFLAGS", "-D warnings")])
}

fn run(gate: &str, args: &[&str]) -> Result<i32> {
    run_env(gate, args, &[])
}

fn run_env(gate: &str, args: &[&str], env: &[(&str, &str)]) -> Result<i32> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(util::workspace_root()).args(args).envs(env.iter().copied());
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
