//! build.rs API in the style of prost-build: generate clients into `OUT_DIR` for `include!`.
//!
//! ```no_run
//! // build.rs: main() {
//! nlspec_codegen::Builder::new()
//!     .spec("specs/nlctrl.yaml")
//!     .compile_client()
//!     .unwrap();
//! // }
//! // src/lib.rs: pub mod nlctrl { include!(concat!(env!("OUT_DIR"), "/nlctrl.rs")); }
//! ```
//!
//! Each spec becomes `$OUT_DIR/<family>.rs` (the family name with `-` as `_`): the same items
//! as the generated crate's `lib.rs`, without crate-level attributes. The including crate
//! depends on `nlspec-rt`; with [`Builder::tokio`] it also gets `AsyncClient` (and then needs
//! `nlspec-rt` with its `tokio` feature). Cargo is told to rerun when a spec changes.

use std::path::{Path, PathBuf};

/// Generates client modules for a build script.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    specs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    emit_rerun: bool,
    tokio: bool,
}

/// What went wrong in [`Builder::compile_client`]: spec diagnostics (file:line:col) or I/O.
#[derive(Debug)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder writing to `$OUT_DIR` and printing `cargo:rerun-if-changed` lines.
    pub fn new() -> Self {
        Builder { specs: Vec::new(), out_dir: None, emit_rerun: true, tokio: false }
    }
    /// Add a spec file.
    pub fn spec(mut self, path: impl AsRef<Path>) -> Self {
        self.specs.push(path.as_ref().to_path_buf());
        self
    }
    /// Add several spec files.
    pub fn specs<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.specs.extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }
    /// Write somewhere other than `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    /// Whether to print `cargo:rerun-if-changed=<spec>` (default: yes).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.emit_rerun = yes;
        self
    }
    /// Also generate the tokio `AsyncClient` (default: no).
    pub fn tokio(mut self, yes: bool) -> Self {
        self.tokio = yes;
        self
    }
    /// Generate one module per spec; returns the files written (or left unchanged).
    pub fn compile_client(self) -> Result<Vec<PathBuf>, BuildError> {
        let out = match self.out_dir {
            Some(d) => d,
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or_else(|| {
                BuildError("OUT_DIR is not set: call this from a build script or set out_dir()".into())
            })?,
        };
        std::fs::create_dir_all(&out).map_err(|e| BuildError(format!("creating {}: {e}", out.display())))?;
        let mut written = Vec::new();
        for spec in &self.specs {
            if self.emit_rerun {
                println!("cargo:rerun-if-changed={}", spec.display());
            }
            let fam = nlspec_model::load_and_resolve(spec).map_err(|d| BuildError(d.to_string()))?;
            let src = crate::emit::client::module_rs(
                &fam,
                if self.tokio {
                    crate::emit::client::AsyncClient::Always
                } else {
                    crate::emit::client::AsyncClient::Never
                },
            )
            .map_err(|e| BuildError(format!("{}: {e}", spec.display())))?;
            let file = crate::emit::GeneratedFile::new(format!("{}.rs", fam.name.replace('-', "_")), src);
            crate::emit::write_files(&out, std::slice::from_ref(&file))
                .map_err(|e| BuildError(format!("writing into {}: {e}", out.display())))?;
            written.push(out.join(&file.path));
        }
        Ok(written)
    }
}
