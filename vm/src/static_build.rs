//! A statically linked binary for the guest (which has no libc): `cargo build` of one binary with
//! `-C target-feature=+crt-static` for the host's GNU target, into a target directory of its own
//! (so the different `RUSTFLAGS` do not force rebuilds in the crate's usual one), then checked to
//! ask for no dynamic loader.

use crate::{err, show, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target the binaries are built for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Which crate to build.
pub enum Crate<'a> {
    /// A member of the workspace `cargo` runs in, by package name (`-p`).
    Package(&'a str),
    /// A crate by its manifest (`--manifest-path`).
    Manifest(&'a Path),
}

/// What to build and where.
pub struct Build<'a> {
    /// The crate.
    pub krate: Crate<'a>,
    /// Its binary target.
    pub bin: &'a str,
    /// Cargo features to enable.
    pub features: &'a [&'a str],
    /// `--release`.
    pub release: bool,
    /// The `--target-dir`.
    pub target_dir: &'a Path,
    /// Where cargo runs (the workspace of a [`Crate::Package`]).
    pub cwd: &'a Path,
}

/// Builds the binary; returns its path. Fails if cargo fails or the result is not static.
pub fn build(b: &Build<'_>) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(b.cwd).args(["build", "--quiet"]);
    let what = match b.krate {
        Crate::Package(p) => {
            cmd.args(["-p", p]);
            p.to_string()
        }
        Crate::Manifest(m) => {
            cmd.arg("--manifest-path").arg(m);
            m.display().to_string()
        }
    };
    if !b.features.is_empty() {
        cmd.arg("--features").arg(b.features.join(","));
    }
    cmd.args(["--bin", b.bin, "--target", TARGET])
        .arg("--target-dir")
        .arg(b.target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static -C strip=debuginfo")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if b.release {
        cmd.arg("--release");
    }
    let shown = show(&cmd);
    let status = cmd.status().map_err(|e| err!("cannot run `{shown}`: {e}"))?;
    if !status.success() {
        return Err(err!("building static binary {what}/{}: `{shown}` failed ({status})", b.bin));
    }
    let path = b.target_dir.join(TARGET).join(if b.release { "release" } else { "debug" }).join(b.bin);
    check_static(&path)?;
    Ok(path)
}

/// Fails when the ELF file asks for a dynamic loader (has a PT_INTERP program header).
pub fn check_static(path: &Path) -> Result<()> {
    let data = crate::read(path)?;
    let bad = || err!("{} is not a 64-bit little-endian ELF file", path.display());
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 || data[5] != 1 {
        return Err(bad());
    }
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let u64_at = |o: usize| data.get(o..o + 8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    let phoff = u64_at(0x20).ok_or_else(bad)? as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let o = phoff.checked_add(i * phentsize).ok_or_else(bad)?;
        let ty = data.get(o..o + 4).ok_or_else(bad)?;
        if u32::from_le_bytes(ty.try_into().expect("4 bytes")) == 3 {
            return Err(err!("{} is dynamically linked (has PT_INTERP); the guest has no libc", path.display()));
        }
    }
    Ok(())
}
