//! `cargo xtask build-static`: a statically linked test binary for the guest (which has no libc),
//! through `nlspec_vm::static_build`, into `target/static` (away from the main target dir so the
//! different RUSTFLAGS do not force rebuilds there).

use crate::util::{self, Result};
use std::path::{Path, PathBuf};

pub use nlspec_vm::static_build::Crate;

/// Builds `bin` of the workspace member `package` statically; returns the binary's path.
pub fn build(package: &str, bin: &str, release: bool) -> Result<PathBuf> {
    build_crate(&Crate::Package(package), bin, &[], release)
}

/// Builds `bin` of `krate` (a manifest path relative to the workspace root) statically with the
/// cargo `features`; returns the binary's path.
pub fn build_crate(krate: &Crate<'_>, bin: &str, features: &[&str], release: bool) -> Result<PathBuf> {
    let root = util::workspace_root();
    let manifest;
    let krate = match krate {
        Crate::Package(p) => Crate::Package(p),
        Crate::Manifest(m) => {
            manifest = root.join(m);
            Crate::Manifest(Path::new(&manifest))
        }
    };
    Ok(nlspec_vm::static_build::build(&nlspec_vm::static_build::Build {
        krate,
        bin,
        features,
        release,
        target_dir: &root.join("target/static"),
        cwd: &root,
    })?)
}
