//! `cargo xtask generate [--check]`: regenerate everything under `generated/` from `specs/`.
//!
//! Each spec `specs/<x>.yaml` yields the client crate `generated/client/<family>/` (and, for
//! Generic Netlink families, the kernel module `generated/kmod/<family>/` and the in-tree driver
//! directory `generated/intree/<family>/`, whose family file is the module's, byte for byte). With
//! `--check` nothing is written: the task fails listing every file that differs from what
//! would be generated, is missing, or is left over from a spec that no longer exists.
//!
//! Outputs are produced by [`outputs`]: one entry per output directory with its complete
//! file list. The kernel-module emitter adds its `generated/kmod/<family>/` entry there.
//!
//! The client crates are checked in and held to `cargo fmt --all --check` like hand-written
//! code, but the emitters lay their Rust out with prettyplease, whose style is not rustfmt's: so
//! every `.rs` file of `generated/client/` is passed through `rustfmt --edition 2021` with the
//! workspace's `rustfmt.toml` ([`rustfmt`]) before it is written or compared. The kernel
//! emitter writes the kernel's style itself (`kernel/rustfmt-kernel.toml`, what an in-tree
//! `make rustfmtcheck` wants): `generated/kmod/` and `generated/intree/` are its output as
//! `nlspec gen --kernel` writes it, and `cargo xtask fmt-check` checks them with rustfmt.

use std::path::{Path, PathBuf};

use nlspec_codegen::emit::client::{crate_files, RtDependency};
use nlspec_codegen::emit::{drifted, write_files, GeneratedFile};
use nlspec_codegen::model::ir::Family;

use crate::err;
use crate::util::{note, workspace_root, Result};

/// One output directory (relative to the workspace root) and every file that belongs in it.
pub struct Output {
    pub dir: PathBuf,
    pub files: Vec<GeneratedFile>,
}

/// The outputs of one resolved family.
fn outputs(fam: &Family) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    // Client crate: generated/client/<family>/, depending on the runtime by relative path.
    let rt = RtDependency { path: Some("../../../runtime".into()), version: "0.1.0".into() };
    let files = crate_files(fam, &rt).map_err(|e| err!("{}: client emitter: {e}", fam.source))?;
    out.push(Output { dir: PathBuf::from("generated/client").join(&fam.name), files });
    // Kernel module: generated/kmod/<family>/ (family code, skeleton main, Kbuild, support files).
    // Build a copy of it (kmod-build in place leaves objects that --check reports). netlink-raw
    // families on a protocol the kernel serves itself (rtnetlink & co., numbers up to
    // NETLINK_SMC = 22) get a client only; one on a free number (the nlbus showcase) a module too.
    if !fam.is_genetlink() && (fam.protonum.is_none() || fam.kernel_protocol().is_some()) {
        return Ok(out);
    }
    let opts = nlspec_codegen::emit::kernel::KernelOptions::default();
    let files =
        nlspec_codegen::emit::kernel::generate(fam, &opts).map_err(|e| err!("{}: kernel emitter: {e}", fam.source))?;
    out.push(Output { dir: PathBuf::from("generated/kmod").join(&fam.name), files });
    // In-tree driver: generated/intree/<family>/ (the same family file, the in-tree layer,
    // Kconfig, Makefile, skeleton) for a kernel patched with kernel::net::genetlink.
    if fam.is_genetlink() {
        let opts = nlspec_codegen::emit::kernel::KernelOptions { in_tree: true, ..Default::default() };
        let files = nlspec_codegen::emit::kernel::generate(fam, &opts)
            .map_err(|e| err!("{}: kernel emitter (in-tree): {e}", fam.source))?;
        out.push(Output { dir: PathBuf::from("generated/intree").join(&fam.name), files });
    }
    Ok(out)
}

/// `source` formatted by `rustfmt --edition 2021` with the config file `config`.
/// A missing rustfmt is an error: unformatted output would fail `cargo fmt --check`.
pub fn rustfmt(config: &Path, source: &str) -> Result<String> {
    if !config.is_file() {
        return Err(err!("{} not found (generated client code is formatted with it)", config.display()));
    }
    nlspec_codegen::rustfmt::rustfmt(source, config).map_err(|e| err!("{e}"))
}

/// The spec files under `specs/`, sorted.
fn specs(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("specs");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| err!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    Ok(v)
}

/// Files under `dir`, recursively (relative to `dir`), skipping `target/`.
fn existing_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out
}

pub fn generate(check: bool) -> Result<i32> {
    let root = workspace_root();
    let mut all: Vec<Output> = Vec::new();
    for spec in specs(&root)? {
        // Diagnostics name the spec relative to the workspace (no machine paths).
        let rel = spec.strip_prefix(&root).unwrap_or(&spec).to_path_buf();
        let text = std::fs::read_to_string(&spec).map_err(|e| err!("reading {}: {e}", rel.display()))?;
        let fam = nlspec_codegen::resolve_str(&rel.to_string_lossy(), &text).map_err(|d| err!("{d}"))?;
        all.extend(outputs(&fam)?);
    }
    // Rust through rustfmt, for writing and for --check alike: clients in the workspace's style,
    // kernel code in the kernel's, as `nlspec gen --kernel` writes it.
    let client_style = root.join("rustfmt.toml");
    for o in all.iter_mut() {
        if !o.dir.starts_with("generated/client") {
            // the kernel emitter writes the kernel's rustfmt style itself: its files are
            // compared as written, and `cargo xtask fmt-check` holds it to that style
            continue;
        }
        for f in o.files.iter_mut().filter(|f| f.path.extension().is_some_and(|x| x == "rs")) {
            let name = o.dir.join(&f.path);
            f.contents = rustfmt(&client_style, &f.contents).map_err(|e| err!("{}: {e}", name.display()))?;
        }
    }
    // Every directory under generated/<kind>/ that no spec produced is stale.
    let mut stale = Vec::new();
    for kind in ["client", "kmod", "intree"] {
        let base = root.join("generated").join(kind);
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                let rel = PathBuf::from("generated").join(kind).join(e.file_name());
                if !all.iter().any(|o| o.dir == rel) {
                    stale.push(rel);
                }
            }
        }
    }
    if check {
        let mut bad: Vec<String> = Vec::new();
        for o in &all {
            let dir = root.join(&o.dir);
            for p in drifted(&dir, &o.files) {
                bad.push(format!("{} (differs or missing)", p.strip_prefix(&root).unwrap_or(&p).display()));
            }
            for f in existing_files(&dir) {
                if !o.files.iter().any(|g| g.path == f) && f.file_name().is_some_and(|n| n != "Cargo.lock") {
                    bad.push(format!("{} (not generated by any spec)", o.dir.join(f).display()));
                }
            }
        }
        for s in &stale {
            bad.push(format!("{} (no spec produces it)", s.display()));
        }
        if bad.is_empty() {
            note(format!("generate --check: {} output directories up to date", all.len()));
            return Ok(0);
        }
        eprintln!("generated/ drifted from specs/ (run `cargo xtask generate`):");
        for b in &bad {
            eprintln!("  {b}");
        }
        return Ok(1);
    }
    for o in &all {
        let dir = root.join(&o.dir);
        let written = write_files(&dir, &o.files).map_err(|e| err!("writing {}: {e}", o.dir.display()))?;
        for p in written {
            note(format!("wrote {}", p.strip_prefix(&root).unwrap_or(&p).display()));
        }
        for f in existing_files(&dir) {
            if !o.files.iter().any(|g| g.path == f) && f.file_name().is_some_and(|n| n != "Cargo.lock") {
                let p = dir.join(&f);
                std::fs::remove_file(&p).map_err(|e| err!("removing {}: {e}", p.display()))?;
                note(format!("removed {}", o.dir.join(f).display()));
            }
        }
    }
    for s in &stale {
        std::fs::remove_dir_all(root.join(s)).map_err(|e| err!("removing {}: {e}", s.display()))?;
        note(format!("removed {}", s.display()));
    }
    note(format!("generate: {} output directories up to date", all.len()));
    Ok(0)
}
