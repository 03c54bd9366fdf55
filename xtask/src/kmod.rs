//! `cargo xtask kmod-build`: build an out-of-tree module directory against a cached kernel.
//!
//! Two layouts are accepted:
//! - a directory with a `Kbuild` *and* a `Makefile`: the Makefile drives the build (it may run
//!   bindgen before kbuild); it is run as `make -C DIR KDIR=<kdir> LLVM=.. RUSTC=.. BINDGEN=..`
//!   with KDIR, LLVM, RUSTC, HOSTRUSTC, BINDGEN, LIBCLANG_PATH also in the environment;
//! - otherwise the kernel's usual `make -C <kdir> M=DIR modules`.
//!
//! The module is built in place. When the same directory was last built against another kernel,
//! it is cleaned first (kbuild would otherwise mix objects).

use crate::err;
use crate::kernel::{KernelDir, Toolchain};
use crate::util::{self, note, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Builds the module(s) in `dir` against `kd`; returns the .ko paths.
pub fn build(kd: &KernelDir, dir: &Path) -> Result<Vec<PathBuf>> {
    let tc = Toolchain::detect()?;
    let dir = dir.canonicalize().context(|| format!("module directory {}", dir.display()))?;
    let started = Instant::now();

    // Clean when this directory was last built for a different kernel tree.
    let stamp_dir = util::workspace_root().join("target/xtask-kmod-stamps");
    util::mkdir_p(&stamp_dir)?;
    let stamp = stamp_dir.join(&util::sha256_hex(dir.as_os_str().as_encoded_bytes())?[..16]);
    let kdir_s = kd.kdir.display().to_string();
    let last = std::fs::read_to_string(&stamp).unwrap_or_default();
    let own_makefile = dir.join("Kbuild").is_file() && dir.join("Makefile").is_file();
    if last != kdir_s && !last.is_empty() {
        note(format!("{}: last built against {last}; cleaning first", dir.display()));
        let mut clean = make_in(&tc, kd, &dir, own_makefile);
        clean.arg("clean");
        util::run_capture(&mut clean)?;
    }
    let _ = std::fs::remove_file(dir.join("modules.order"));

    let mut cmd = make_in(&tc, kd, &dir, own_makefile);
    if !own_makefile {
        cmd.arg("modules");
    }
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    cmd.arg(format!("-j{jobs}"));
    util::run_capture(&mut cmd)
        .map_err(|e| err!("building module {} against {}: {e}", dir.display(), kd.kdir.display()))?;
    util::write(&stamp, &kdir_s)?;

    let kos = find_kos(&dir)?;
    if kos.is_empty() {
        return Err(err!("building {} produced no .ko file", dir.display()));
    }
    note(format!(
        "built {} module(s) in {} for {} in {:.1} s",
        kos.len(),
        dir.display(),
        kd.version,
        started.elapsed().as_secs_f64()
    ));
    Ok(kos)
}

/// `make` for the module directory: its own Makefile, or kbuild's M= route.
fn make_in(tc: &Toolchain, kd: &KernelDir, dir: &Path, own_makefile: bool) -> Command {
    let mut c = if own_makefile {
        let mut c = tc.make(dir);
        c.arg(format!("KDIR={}", kd.kdir.display()));
        c
    } else {
        let mut c = tc.make(&kd.kdir);
        c.arg(format!("M={}", dir.display()));
        c
    };
    c.env("KDIR", &kd.kdir);
    c
}

/// The modules kbuild just built: from `modules.order` when present, else every `*.ko`.
fn find_kos(dir: &Path) -> Result<Vec<PathBuf>> {
    let order = dir.join("modules.order");
    if let Ok(text) = std::fs::read_to_string(&order) {
        let mut out = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let ko = dir.join(line).with_extension("ko");
            if !ko.is_file() {
                return Err(err!("{} lists {line} but {} is missing", order.display(), ko.display()));
            }
            out.push(ko);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
        let p = e.context(|| format!("listing {}", dir.display()))?.path();
        if p.extension().is_some_and(|x| x == "ko") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}
