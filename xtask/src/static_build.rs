//! `cargo xtask build-static`: a statically linked test binary for the guest (which has no libc).
//! Built with `-C target-feature=+crt-static` into `target/static`, away from the main target dir
//! so the different RUSTFLAGS do not force rebuilds there.

use crate::err;
use crate::util::{self, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Which crate to build.
pub enum Crate<'a> {
    /// A workspace member, by package name (`-p`).
    Package(&'a str),
    /// A crate by its manifest (`--manifest-path`, relative to the workspace root): one that is
    /// in no workspace, such as `kernel/proof/client`.
    Manifest(&'a Path),
}

/// Builds `bin` of the workspace member `package` statically; returns the binary's path.
pub fn build(package: &str, bin: &str, release: bool) -> Result<PathBuf> {
    build_crate(&Crate::Package(package), bin, &[], release)
}

/// Builds `bin` of `krate` statically with the cargo `features`; returns the binary's path.
pub fn build_crate(krate: &Crate<'_>, bin: &str, features: &[&str], release: bool) -> Result<PathBuf> {
    let root = util::workspace_root();
    let target_dir = root.join("target/static");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root).args(["build", "--quiet"]);
    let what = match krate {
        Crate::Package(p) => {
            cmd.args(["-p", p]);
            p.to_string()
        }
        Crate::Manifest(m) => {
            cmd.arg("--manifest-path").arg(root.join(m));
            m.display().to_string()
        }
    };
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    cmd.args(["--bin", bin, "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static -C strip=debuginfo")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if release {
        cmd.arg("--release");
    }
    util::run_live(&mut cmd).map_err(|e| err!("building static binary {what}/{bin}: {e}"))?;
    let path = target_dir.join(TARGET).join(if release { "release" } else { "debug" }).join(bin);
    check_static(&path)?;
    Ok(path)
}

/// Fails when the ELF file asks for a dynamic loader (has a PT_INTERP program header).
fn check_static(path: &Path) -> Result<()> {
    let data = util::read(path)?;
    let bad = || err!("{} is not a 64-bit little-endian ELF file", path.display());
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 || data[5] != 1 {
        return Err(bad());
    }
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(data[0x20..0x28].try_into().context(|| path.display().to_string())?) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        let ty = data.get(o..o + 4).ok_or_else(bad)?;
        if u32::from_le_bytes(ty.try_into().expect("4 bytes")) == 3 {
            return Err(err!("{} is dynamically linked (has PT_INTERP); the guest has no libc", path.display()));
        }
    }
    Ok(())
}
